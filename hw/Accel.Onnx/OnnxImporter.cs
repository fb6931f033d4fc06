using System.Buffers.Binary;
using Accel.Model.Networks;
using Accel.Model.Weights;
using Accel.Onnx.Proto;
using Google.Protobuf;

namespace Accel.Onnx;

/// <summary>
/// Reads standard ONNX files (the SqueezeNet operator subset) into the network model with float
/// weights. Conv+Relu pairs become convolutions with a fused ReLU, squeeze/expand/concat patterns
/// become Fire modules, and layers are named the way <see cref="BuiltinNetworks"/> names them, so an
/// imported SqueezeNet equals the built-in description layer for layer.
/// </summary>
public static class OnnxImporter
{
    /// <summary>Imports an ONNX file; the network is named after the file (without extension).</summary>
    public static FloatModel Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string file = Path.GetFileName(path);
        if (!File.Exists(path))
            throw new OnnxImportException($"{file}: file not found ({Path.GetFullPath(path)})");
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OnnxImportException($"{file}: cannot read the file: {e.Message}", e);
        }
        return Load(bytes, Path.GetFileNameWithoutExtension(path), file);
    }

    /// <summary>Imports an ONNX model held in memory. <paramref name="fileName"/> is used in messages.</summary>
    public static FloatModel Load(byte[] bytes, string networkName, string? fileName = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        string file = fileName ?? networkName + ".onnx";
        ModelProto model;
        try { model = ModelProto.Parser.ParseFrom(bytes); }
        catch (Exception e) when (e is InvalidProtocolBufferException or IOException or ArgumentException)
        {
            throw new OnnxImportException($"{file}: not a readable ONNX model (truncated or not protobuf): {e.Message}", e);
        }
        return new Builder(file, networkName, model).Build();
    }

    /// <summary>Imports an ONNX model from a stream.</summary>
    public static FloatModel Load(Stream stream, string networkName, string? fileName = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Load(copy.ToArray(), networkName, fileName);
    }

    /// <summary>Decodes a float32 (or float16/double) TensorProto's values, e.g. an ONNX test-data file.</summary>
    internal static float[] TensorToFloats(TensorProto t, Func<string, Exception> error)
    {
        long count = t.Dims.Aggregate(1L, (a, b) => a * b);
        if (t.DataLocation == 1 || t.ExternalData.Count > 0)
            throw error($"tensor '{t.Name}' keeps its data in an external file, which is not supported");
        var raw = t.RawData.Span;
        float[] values;
        switch (t.DataType)
        {
            case 1: // FLOAT
                if (!raw.IsEmpty)
                {
                    if (raw.Length != count * 4) throw error($"tensor '{t.Name}' has {raw.Length} bytes of raw data, expected {count * 4}");
                    values = new float[count];
                    for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]);
                }
                else values = t.FloatData.ToArray();
                break;
            case 10: // FLOAT16
                values = new float[count];
                if (!raw.IsEmpty)
                {
                    if (raw.Length != count * 2) throw error($"tensor '{t.Name}' has {raw.Length} bytes of raw data, expected {count * 2}");
                    for (int i = 0; i < values.Length; i++) values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(raw[(2 * i)..]);
                }
                else
                {
                    if (t.Int32Data.Count != count) throw error($"tensor '{t.Name}' has {t.Int32Data.Count} values, expected {count}");
                    for (int i = 0; i < values.Length; i++) values[i] = (float)BitConverter.UInt16BitsToHalf((ushort)t.Int32Data[i]);
                }
                break;
            case 11: // DOUBLE
                if (!raw.IsEmpty)
                {
                    if (raw.Length != count * 8) throw error($"tensor '{t.Name}' has {raw.Length} bytes of raw data, expected {count * 8}");
                    values = new float[count];
                    for (int i = 0; i < values.Length; i++) values[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(raw[(8 * i)..]);
                }
                else values = t.DoubleData.Select(d => (float)d).ToArray();
                break;
            default:
                throw error($"tensor '{t.Name}' has data type {t.DataType}; only float32, float16 and double are supported");
        }
        if (values.Length != count)
            throw error($"tensor '{t.Name}' has {values.Length} values but its dims [{string.Join(",", t.Dims)}] need {count}");
        return values;
    }

    /// <summary>Integer values of an INT64/INT32 tensor (Reshape shapes, Dropout ratios are not needed).</summary>
    private static long[] TensorToInts(TensorProto t)
    {
        var raw = t.RawData.ToByteArray();
        switch (t.DataType)
        {
            case 7 when raw.Length > 0:
            {
                var v = new long[raw.Length / 8];
                for (int i = 0; i < v.Length; i++) v[i] = BinaryPrimitives.ReadInt64LittleEndian(raw.AsSpan(8 * i));
                return v;
            }
            case 7: return t.Int64Data.ToArray();
            case 6 when raw.Length > 0:
            {
                var v = new long[raw.Length / 4];
                for (int i = 0; i < v.Length; i++) v[i] = BinaryPrimitives.ReadInt32LittleEndian(raw.AsSpan(4 * i));
                return v;
            }
            case 6: return t.Int32Data.Select(v => (long)v).ToArray();
            default: return [];
        }
    }

    private enum OpKind { Input, Conv, MaxPool, GlobalAvgPool, Concat, Dropout }

    /// <summary>One value-producing operation of the imported graph, before naming and Fire grouping.</summary>
    private sealed class Op
    {
        public required OpKind Kind;
        public required List<Op> Inputs;
        public required Shape Shape;
        public required int Order;
        public string NodeName = "";
        // Conv
        public int OutChannels, Kernel, Stride = 1, Padding;
        public bool Relu;
        public ConvWeights? Weights;
        // MaxPool
        public bool CeilMode;
        // Dropout
        public double Ratio = 0.5;
        // Filled when laying out layers.
        public int Consumers;
        public string? LayerName;
        public Op? FireConcat;
    }

    private sealed class Builder(string file, string networkName, ModelProto model)
    {
        private readonly Dictionary<string, TensorProto> _constants = [];
        private readonly Dictionary<string, Op> _values = [];
        private readonly Dictionary<string, int> _tensorConsumers = [];
        private readonly HashSet<string> _graphOutputs = [];
        private bool _softmax;
        private bool _flattened;
        private int _order;

        private OnnxImportException Error(string message) => new($"{file}: {message}");

        private static string NodeLabel(NodeProto n, int index) => string.IsNullOrEmpty(n.Name) ? $"#{index}" : n.Name;

        private OnnxImportException NodeError(NodeProto n, int index, string message) =>
            Error($"node '{NodeLabel(n, index)}' ({n.OpType}): {message}");

        public FloatModel Build()
        {
            var graph = model.Graph;
            if (graph is null || graph.Node.Count == 0)
                throw Error("not an ONNX model: it has no graph or the graph has no nodes");

            foreach (var t in graph.Initializer) _constants[t.Name] = t;
            foreach (var n in graph.Node)
                foreach (var i in n.Input)
                    if (i.Length > 0) _tensorConsumers[i] = _tensorConsumers.GetValueOrDefault(i) + 1;
            foreach (var o in graph.Output) _graphOutputs.Add(o.Name);

            var input = graph.Input.FirstOrDefault(v => !_constants.ContainsKey(v.Name))
                ?? throw Error("the graph has no input that is not an initializer");
            var inputOp = new Op { Kind = OpKind.Input, Inputs = [], Shape = InputShape(input), Order = _order++ };
            _values[input.Name] = inputOp;

            for (int index = 0; index < graph.Node.Count; index++)
                Convert(graph.Node[index], index);

            if (graph.Output.Count == 0)
                throw Error("the graph has no output");
            string outName = graph.Output[0].Name;
            if (!_values.TryGetValue(outName, out var output))
                throw Error($"graph output '{outName}' is not produced by any supported node");
            if (output.Kind == OpKind.Input)
                throw Error("the graph output is its input: there is nothing to import");

            return Assemble(inputOp, output);
        }

        private Shape InputShape(ValueInfoProto input)
        {
            var tensor = input.Type?.TensorType
                ?? throw Error($"graph input '{input.Name}' is not a tensor");
            if (tensor.ElemType != 1)
                throw Error($"graph input '{input.Name}' has element type {tensor.ElemType}; only float32 (1) is supported");
            var dims = tensor.Shape?.Dim;
            if (dims is null || dims.Count != 4)
                throw Error($"graph input '{input.Name}' must have a 4-D shape [N,C,H,W], got {(dims is null ? "no shape" : dims.Count + " dimensions")}");
            var batch = dims[0];
            if (batch.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && batch.DimValue != 1)
                throw Error($"graph input '{input.Name}' has batch size {batch.DimValue}; only 1 (or symbolic) is supported");
            int Dim(int i, string what)
            {
                var d = dims[i];
                if (d.ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue || d.DimValue < 1 || d.DimValue > int.MaxValue)
                    throw Error($"graph input '{input.Name}' needs a fixed positive {what}, got '{(d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam ? d.DimParam : d.DimValue.ToString())}'");
                return (int)d.DimValue;
            }
            return new Shape(Dim(1, "channel count"), Dim(2, "height"), Dim(3, "width"));
        }

        private Op Value(NodeProto n, int index, int input)
        {
            if (input >= n.Input.Count || n.Input[input].Length == 0)
                throw NodeError(n, index, $"input {input} is missing");
            string name = n.Input[input];
            if (_values.TryGetValue(name, out var op)) return op;
            if (_constants.ContainsKey(name))
                throw NodeError(n, index, $"input '{name}' is a constant; only weights and biases of Conv may be constants");
            throw NodeError(n, index, $"input '{name}' is not produced by an earlier node (the graph must be in topological order)");
        }

        private TensorProto Constant(NodeProto n, int index, int input, string what)
        {
            if (input >= n.Input.Count || n.Input[input].Length == 0)
                throw NodeError(n, index, $"{what} (input {input}) is missing");
            return _constants.TryGetValue(n.Input[input], out var t) ? t
                : throw NodeError(n, index, $"{what} '{n.Input[input]}' must be an initializer or Constant");
        }

        private void Define(NodeProto n, int index, Op op)
        {
            if (n.Output.Count == 0 || n.Output[0].Length == 0)
                throw NodeError(n, index, "has no output");
            op.NodeName = NodeLabel(n, index);
            _values[n.Output[0]] = op;
            for (int i = 1; i < n.Output.Count; i++)
                if (n.Output[i].Length > 0 && (_tensorConsumers.ContainsKey(n.Output[i]) || _graphOutputs.Contains(n.Output[i])))
                    throw NodeError(n, index, $"output {i} ('{n.Output[i]}') is used, which is not supported");
        }

        private void Alias(NodeProto n, int index, Op op)
        {
            if (n.Output.Count == 0 || n.Output[0].Length == 0)
                throw NodeError(n, index, "has no output");
            _values[n.Output[0]] = op;
        }

        private static AttributeProto? Attr(NodeProto n, string name) => n.Attribute.FirstOrDefault(a => a.Name == name);

        private long Int(NodeProto n, int index, string name, long fallback)
        {
            var a = Attr(n, name);
            if (a is null) return fallback;
            if (a.Type is not (0 or 2)) throw NodeError(n, index, $"attribute '{name}' must be an integer");
            return a.I;
        }

        private long[]? Ints(NodeProto n, int index, string name)
        {
            var a = Attr(n, name);
            if (a is null) return null;
            if (a.Type is not (0 or 7)) throw NodeError(n, index, $"attribute '{name}' must be a list of integers");
            return a.Ints.ToArray();
        }

        private string Str(NodeProto n, string name, string fallback)
        {
            var a = Attr(n, name);
            return a is null ? fallback : a.S.ToStringUtf8();
        }

        private OnnxImportException Unsupported(NodeProto n, int index, string attribute, string value, string? why = null) =>
            NodeError(n, index, $"attribute '{attribute}' = {value} is not supported{(why is null ? "" : $" ({why})")}");

        private static string Show(long[] v) => "[" + string.Join(",", v) + "]";

        /// <summary>Square kernel, equal strides, symmetric equal pads, unit dilations; returns (kernel, stride, pad).</summary>
        private (int Kernel, int Stride, int Pad) Window(NodeProto n, int index, long[]? kernelShape, string kernelWhy)
        {
            var autoPad = Str(n, "auto_pad", "NOTSET");
            if (autoPad is not ("NOTSET" or "" or "VALID"))
                throw Unsupported(n, index, "auto_pad", autoPad, "use explicit pads");
            if (kernelShape is null || kernelShape.Length != 2 || kernelShape[0] != kernelShape[1] || kernelShape[0] < 1)
                throw Unsupported(n, index, "kernel_shape", kernelShape is null ? "missing" : Show(kernelShape), kernelWhy);
            var strides = Ints(n, index, "strides") ?? [1, 1];
            if (strides.Length != 2 || strides[0] != strides[1] || strides[0] < 1)
                throw Unsupported(n, index, "strides", Show(strides), "strides must be equal in both directions");
            var pads = Ints(n, index, "pads") ?? [0, 0, 0, 0];
            if (pads.Length != 4 || pads.Any(p => p != pads[0]) || pads[0] < 0)
                throw Unsupported(n, index, "pads", Show(pads), "pads must be equal on all four sides");
            var dilations = Ints(n, index, "dilations");
            if (dilations is not null && dilations.Any(d => d != 1))
                throw Unsupported(n, index, "dilations", Show(dilations), "only 1 is supported");
            return ((int)kernelShape[0], (int)strides[0], (int)pads[0]);
        }

        private void Convert(NodeProto n, int index)
        {
            if (n.Domain is not ("" or "ai.onnx"))
                throw NodeError(n, index, $"operator domain '{n.Domain}' is not supported");
            if (_softmax)
                throw NodeError(n, index, "Softmax is only supported as the last operation of the graph");
            if (_flattened && n.OpType is not ("Softmax" or "Dropout" or "Flatten" or "Reshape" or "Identity"))
                throw NodeError(n, index, "only Softmax, Dropout, Flatten or Reshape may follow a Flatten or Reshape");
            switch (n.OpType)
            {
                case "Constant":
                {
                    var value = Attr(n, "value")?.T
                        ?? throw NodeError(n, index, "only Constant nodes with a tensor 'value' attribute are supported");
                    if (n.Output.Count > 0) _constants[n.Output[0]] = value;
                    break;
                }
                case "Conv":
                    ConvertConv(n, index);
                    break;
                case "Relu":
                {
                    var src = Value(n, index, 0);
                    if (src.Kind != OpKind.Conv || src.Relu)
                        throw NodeError(n, index, "Relu is only supported directly after a Conv");
                    if (_tensorConsumers.GetValueOrDefault(n.Input[0]) != 1 || _graphOutputs.Contains(n.Input[0]))
                        throw NodeError(n, index, $"the Conv output '{n.Input[0]}' is also used without the Relu, which cannot be fused");
                    src.Relu = true;
                    Alias(n, index, src);
                    break;
                }
                case "MaxPool":
                {
                    var src = Value(n, index, 0);
                    long storage = Int(n, index, "storage_order", 0);
                    if (storage != 0) throw Unsupported(n, index, "storage_order", storage.ToString());
                    var (k, s, p) = Window(n, index, Ints(n, index, "kernel_shape"), "only square kernels are supported");
                    long ceil = Int(n, index, "ceil_mode", 0);
                    if (ceil is not (0 or 1)) throw Unsupported(n, index, "ceil_mode", ceil.ToString());
                    if (2 * p > k) throw Unsupported(n, index, "pads", p.ToString(), "padding must be at most half the kernel");
                    int oh = Network.OutputSize(src.Shape.Height, k, s, p, ceil == 1);
                    int ow = Network.OutputSize(src.Shape.Width, k, s, p, ceil == 1);
                    if (oh < 1 || ow < 1) throw NodeError(n, index, $"a {k}x{k} window does not fit the {src.Shape} input");
                    Define(n, index, new Op
                    {
                        Kind = OpKind.MaxPool, Inputs = [src], Order = _order++, Kernel = k, Stride = s, Padding = p,
                        CeilMode = ceil == 1, Shape = src.Shape with { Height = oh, Width = ow },
                    });
                    break;
                }
                case "AveragePool":
                {
                    var src = Value(n, index, 0);
                    var kernel = Ints(n, index, "kernel_shape");
                    var (k, _, p) = Window(n, index, kernel, "only square kernels are supported");
                    if (k != src.Shape.Height || k != src.Shape.Width || p != 0)
                        throw Unsupported(n, index, "kernel_shape", Show(kernel!), $"AveragePool is only supported over the whole {src.Shape.Height}x{src.Shape.Width} feature map without padding");
                    Define(n, index, new Op { Kind = OpKind.GlobalAvgPool, Inputs = [src], Order = _order++, Shape = src.Shape with { Height = 1, Width = 1 } });
                    break;
                }
                case "GlobalAveragePool":
                {
                    var src = Value(n, index, 0);
                    Define(n, index, new Op { Kind = OpKind.GlobalAvgPool, Inputs = [src], Order = _order++, Shape = src.Shape with { Height = 1, Width = 1 } });
                    break;
                }
                case "Concat":
                {
                    long axis = Int(n, index, "axis", 1);
                    if (axis is not (1 or -3)) throw Unsupported(n, index, "axis", axis.ToString(), "only channel concatenation (axis 1) is supported");
                    var inputs = Enumerable.Range(0, n.Input.Count).Select(i => Value(n, index, i)).ToList();
                    if (inputs.Count < 2) throw NodeError(n, index, $"needs at least two inputs, got {inputs.Count}");
                    var first = inputs[0].Shape;
                    foreach (var i in inputs)
                        if (i.Shape.Height != first.Height || i.Shape.Width != first.Width)
                            throw NodeError(n, index, $"inputs of {first} and {i.Shape} differ in height or width");
                    Define(n, index, new Op
                    {
                        Kind = OpKind.Concat, Inputs = inputs, Order = _order++,
                        Shape = first with { Channels = inputs.Sum(i => i.Shape.Channels) },
                    });
                    break;
                }
                case "Dropout":
                {
                    var src = Value(n, index, 0);
                    double ratio = 0.5;
                    var ratioAttr = Attr(n, "ratio");
                    if (ratioAttr is not null) ratio = ratioAttr.F;
                    else if (n.Input.Count > 1 && n.Input[1].Length > 0 && _constants.TryGetValue(n.Input[1], out var rt))
                    {
                        var r = TensorToFloats(rt, m => NodeError(n, index, m));
                        if (r.Length == 1) ratio = r[0];
                    }
                    if (ratio is < 0 or >= 1) throw Unsupported(n, index, "ratio", ratio.ToString(System.Globalization.CultureInfo.InvariantCulture), "must be in [0, 1)");
                    if (_flattened) { Alias(n, index, src); break; }
                    Define(n, index, new Op { Kind = OpKind.Dropout, Inputs = [src], Order = _order++, Shape = src.Shape, Ratio = ratio });
                    break;
                }
                case "Identity":
                    Alias(n, index, Value(n, index, 0));
                    break;
                case "Flatten":
                case "Reshape":
                {
                    var src = Value(n, index, 0);
                    if (src.Shape.Height != 1 || src.Shape.Width != 1)
                        throw NodeError(n, index, $"only supported on a Cx1x1 tail, but its input is {src.Shape}");
                    if (n.OpType == "Flatten")
                    {
                        long axis = Int(n, index, "axis", 1);
                        if (axis != 1) throw Unsupported(n, index, "axis", axis.ToString(), "only 1 is supported");
                    }
                    else if (n.Input.Count > 1 && _constants.TryGetValue(n.Input[1], out var shapeTensor))
                    {
                        var target = TensorToInts(shapeTensor);
                        long known = target.Where(d => d > 0).Aggregate(1L, (a, b) => a * b);
                        if (target.Length > 0 && (target[0] is not (1 or 0 or -1) || (target.All(d => d > 0) && known != src.Shape.Channels)))
                            throw NodeError(n, index, $"reshape to {Show(target)} is not supported (only [1,C] style reshapes of the Cx1x1 tail)");
                    }
                    _flattened = true;
                    Alias(n, index, src);
                    break;
                }
                case "Softmax":
                {
                    var src = Value(n, index, 0);
                    if (n.Output.Count == 0 || _tensorConsumers.ContainsKey(n.Output[0]) || !_graphOutputs.Contains(n.Output[0]))
                        throw NodeError(n, index, "Softmax is only supported as the last operation, producing the graph output");
                    if (src.Shape.Height != 1 || src.Shape.Width != 1)
                        throw NodeError(n, index, $"Softmax is only supported on a Cx1x1 tail, but its input is {src.Shape}");
                    _softmax = true;
                    Alias(n, index, src);
                    break;
                }
                default:
                    throw NodeError(n, index, $"operator '{n.OpType}' is not supported");
            }
        }

        private void ConvertConv(NodeProto n, int index)
        {
            var src = Value(n, index, 0);
            long group = Int(n, index, "group", 1);
            if (group != 1) throw Unsupported(n, index, "group", group.ToString(), "only group 1");
            var wt = Constant(n, index, 1, "weight");
            var dims = wt.Dims.ToArray();
            if (dims.Length != 4)
                throw NodeError(n, index, $"weight '{wt.Name}' must be 4-D [Cout,Cin,K,K], got {Show(dims)}");
            var kernelShape = Ints(n, index, "kernel_shape") ?? [dims[2], dims[3]];
            if (kernelShape.Length != 2 || kernelShape[0] != dims[2] || kernelShape[1] != dims[3])
                throw Unsupported(n, index, "kernel_shape", Show(kernelShape), $"must match the weight shape {Show(dims)}");
            var (k, s, p) = Window(n, index, kernelShape, "only square kernels are supported");
            if (dims[1] != src.Shape.Channels)
                throw NodeError(n, index, $"weight '{wt.Name}' expects {dims[1]} input channels but the input is {src.Shape}");
            int cout = (int)dims[0];
            var weights = TensorToFloats(wt, m => NodeError(n, index, m));
            float[] bias;
            if (n.Input.Count > 2 && n.Input[2].Length > 0)
            {
                bias = TensorToFloats(Constant(n, index, 2, "bias"), m => NodeError(n, index, m));
                if (bias.Length != cout) throw NodeError(n, index, $"bias has {bias.Length} values, expected {cout}");
            }
            else bias = new float[cout];
            int oh = Network.OutputSize(src.Shape.Height, k, s, p, false);
            int ow = Network.OutputSize(src.Shape.Width, k, s, p, false);
            if (oh < 1 || ow < 1) throw NodeError(n, index, $"a {k}x{k} kernel with pad {p} does not fit the {src.Shape} input");
            Define(n, index, new Op
            {
                Kind = OpKind.Conv, Inputs = [src], Order = _order++, OutChannels = cout, Kernel = k, Stride = s, Padding = p,
                Weights = new ConvWeights(weights, bias), Shape = new Shape(cout, oh, ow),
            });
        }

        /// <summary>Orders the ops reaching the output, groups Fire modules, names layers, builds the network.</summary>
        private FloatModel Assemble(Op inputOp, Op output)
        {
            // Ops the output depends on, in graph order.
            var live = new HashSet<Op>();
            var stack = new Stack<Op>([output]);
            while (stack.Count > 0)
            {
                var op = stack.Pop();
                if (!live.Add(op)) continue;
                foreach (var i in op.Inputs) stack.Push(i);
            }
            var ordered = live.OrderBy(o => o.Order).ToList();
            foreach (var op in ordered)
                foreach (var i in op.Inputs) i.Consumers++;

            foreach (var cat in ordered.Where(o => o.Kind == OpKind.Concat))
                TryMarkFire(cat);

            var layers = new List<Layer>();
            var weights = new Dictionary<string, ConvWeights>();
            var used = new HashSet<string> { Network.InputName };
            inputOp.LayerName = Network.InputName;
            string previous = Network.InputName;
            int stage = 0;

            string Unique(string name)
            {
                if (used.Add(name)) return name;
                for (int i = 2; ; i++)
                    if (used.Add($"{name}_{i}")) return $"{name}_{i}";
            }

            foreach (var op in ordered)
            {
                if (op.Kind == OpKind.Input || op.FireConcat is not null) continue;
                Layer layer;
                IReadOnlyList<Op> sources = op.Inputs;
                if (op.Kind == OpKind.Concat && IsFireConcat(op))
                {
                    var e1 = op.Inputs[0];
                    var e3 = op.Inputs[1];
                    var sq = e1.Inputs[0];
                    var fire = new FireLayer(Unique($"fire{++stage}"), sq.OutChannels, e1.OutChannels, e3.OutChannels);
                    weights[fire.SqueezeName] = sq.Weights!;
                    weights[fire.Expand1x1Name] = e1.Weights!;
                    weights[fire.Expand3x3Name] = e3.Weights!;
                    sources = sq.Inputs;
                    layer = fire;
                }
                else
                {
                    switch (op.Kind)
                    {
                        case OpKind.Conv:
                        {
                            var name = Unique($"conv{++stage}");
                            weights[name] = op.Weights!;
                            layer = new ConvLayer(name, op.OutChannels, op.Kernel, op.Stride, op.Padding, op.Relu);
                            break;
                        }
                        case OpKind.MaxPool:
                            layer = new MaxPoolLayer(Unique($"pool{stage}"), op.Kernel, op.Stride, op.Padding, op.CeilMode);
                            break;
                        case OpKind.GlobalAvgPool:
                            layer = new GlobalAvgPoolLayer(Unique($"pool{stage}"));
                            break;
                        case OpKind.Dropout:
                            layer = new DropoutLayer(Unique($"drop{stage}"), op.Ratio);
                            break;
                        case OpKind.Concat:
                            layer = new ConcatLayer(Unique($"concat{stage}"));
                            break;
                        default:
                            throw new InvalidOperationException($"unexpected op kind {op.Kind}");
                    }
                }
                var inputNames = sources.Select(s => s.LayerName!).ToList();
                if (!(inputNames.Count == 1 && inputNames[0] == previous))
                    layer = layer with { Inputs = inputNames };
                op.LayerName = layer.Name;
                previous = layer.Name;
                layers.Add(layer);
            }

            var network = new Network(networkName, inputOp.Shape, layers, _softmax);
            return new FloatModel(network, weights);
        }

        private static bool IsFireConcat(Op cat) => cat.Inputs.Count == 2 && cat.Inputs[0].FireConcat == cat;

        /// <summary>
        /// Marks squeeze (1x1+ReLU) -> {expand 1x1+ReLU, expand 3x3 pad 1+ReLU} -> concat [1x1, 3x3]
        /// as one Fire module when no part is used outside it.
        /// </summary>
        private static void TryMarkFire(Op cat)
        {
            if (cat.Inputs.Count != 2) return;
            var (e1, e3) = (cat.Inputs[0], cat.Inputs[1]);
            if (e1 == e3) return;
            static bool Conv(Op o, int k, int pad) =>
                o.Kind == OpKind.Conv && o.Relu && o.Kernel == k && o.Stride == 1 && o.Padding == pad;
            if (!Conv(e1, 1, 0) || !Conv(e3, 3, 1) || e1.Consumers != 1 || e3.Consumers != 1) return;
            var sq = e1.Inputs[0];
            if (e3.Inputs[0] != sq || !Conv(sq, 1, 0) || sq.Consumers != 2 || sq.FireConcat is not null) return;
            sq.FireConcat = e1.FireConcat = e3.FireConcat = cat;
        }
    }
}
