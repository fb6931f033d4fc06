using System.Buffers.Binary;
using Accel.Model.Networks;
using Accel.Model.Weights;
using Accel.Onnx.Proto;
using Google.Protobuf;

namespace Accel.Onnx;

/// <summary>A network read from ONNX with its float conv weights, before any executor checks what it can run.</summary>
public sealed record ImportedNetwork(Network Network, IReadOnlyDictionary<string, ConvWeights> Weights);

/// <summary>
/// Reads standard ONNX files into the network model with float weights: the SqueezeNet operators
/// plus the compact-network ones (grouped and depthwise Conv with BatchNormalization folded in, Add,
/// Clip as ReLU6, HardSigmoid, HardSwish, AveragePool, Split, Slice, the Reshape-Transpose-Reshape
/// channel shuffle, and Mul as squeeze-and-excitation scaling). Conv+Relu pairs become convolutions
/// with a fused ReLU, squeeze/expand/concat patterns become Fire modules, and layers are named the
/// way <see cref="BuiltinNetworks"/> names them, so an imported SqueezeNet equals the built-in
/// description layer for layer. docs/formats.md lists the supported operators and patterns.
/// </summary>
public static class OnnxImporter
{
    /// <summary>Imports an ONNX file; the network is named after the file (without extension).</summary>
    public static FloatModel Load(string path) => ToFloatModel(Import(path));

    /// <summary>Imports an ONNX model held in memory. <paramref name="fileName"/> is used in messages.</summary>
    public static FloatModel Load(byte[] bytes, string networkName, string? fileName = null) =>
        ToFloatModel(Import(bytes, networkName, fileName));

    /// <summary>Imports an ONNX model from a stream.</summary>
    public static FloatModel Load(Stream stream, string networkName, string? fileName = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Load(copy.ToArray(), networkName, fileName);
    }

    private static FloatModel ToFloatModel(ImportedNetwork imported) => new(imported.Network, imported.Weights);

    /// <summary>
    /// The network and weights of an ONNX file without building a <see cref="FloatModel"/>, for
    /// structure-only uses (`accel info`) of operators an executor may not run yet.
    /// </summary>
    public static ImportedNetwork Import(string path)
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
        return Import(bytes, Path.GetFileNameWithoutExtension(path), file);
    }

    /// <summary>The network and weights of an ONNX model held in memory (see <see cref="Import(string)"/>).</summary>
    public static ImportedNetwork Import(byte[] bytes, string networkName, string? fileName = null)
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

    private enum OpKind
    {
        Input, Conv, MaxPool, GlobalAvgPool, Concat, Dropout, AvgPool, Add, Activation, Shuffle, Slice, Scale,
        // Intermediate 5-D tensors of a channel shuffle: [1, g, C/g, H, W] and its transpose [1, C/g, g, H, W].
        GroupedView, TransposedView,
    }

    /// <summary>One value-producing operation of the imported graph, before naming and Fire grouping.</summary>
    private sealed class Op
    {
        public required OpKind Kind;
        public required List<Op> Inputs;
        public required Shape Shape;
        public required int Order;
        public string NodeName = "";
        // Conv (Relu also for Add); Groups also for the shuffle and its views.
        public int OutChannels, Kernel, Stride = 1, Padding, Groups = 1;
        public bool Relu;
        public ConvWeights? Weights;
        // Activation
        public ActivationKind Function;
        // Slice
        public int Start, Count;
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

        public ImportedNetwork Build()
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
            if (IsView(output))
                throw Error($"graph output '{outName}' is the 5-D output of node '{output.NodeName}', an unfinished channel shuffle ({ShufflePattern})");

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

        private Op Value(NodeProto n, int index, int input, bool allowView = false)
        {
            if (input >= n.Input.Count || n.Input[input].Length == 0)
                throw NodeError(n, index, $"input {input} is missing");
            string name = n.Input[input];
            if (_values.TryGetValue(name, out var op))
            {
                if (!allowView && IsView(op))
                    throw NodeError(n, index, $"input '{name}' is the 5-D output of node '{op.NodeName}', which is only supported inside a channel shuffle ({ShufflePattern})");
                return op;
            }
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

        private const string ShufflePattern = "Reshape [1,g,C/g,H,W] -> Transpose perm [0,2,1,3,4] -> Reshape [1,C,H,W]";

        private static bool IsView(Op op) => op.Kind is OpKind.GroupedView or OpKind.TransposedView;

        private bool IsConstant(NodeProto n, int input) =>
            input < n.Input.Count && n.Input[input].Length > 0 && _constants.ContainsKey(n.Input[input]);

        /// <summary>Whether the tensor is read once, by the node at hand, so the op producing it may absorb that node.</summary>
        private bool SingleUse(string tensor) => _tensorConsumers.GetValueOrDefault(tensor) == 1 && !_graphOutputs.Contains(tensor);

        private void Define(NodeProto n, int index, Op op)
        {
            if (n.Output.Count == 0 || n.Output[0].Length == 0)
                throw NodeError(n, index, "has no output");
            op.NodeName = NodeLabel(n, index);
            _values[n.Output[0]] = op;
            RequireUnusedExtraOutputs(n, index);
        }

        private void RequireUnusedExtraOutputs(NodeProto n, int index)
        {
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

        private float Float(NodeProto n, int index, string name, float fallback)
        {
            var a = Attr(n, name);
            if (a is null) return fallback;
            if (a.Type is not (0 or 1)) throw NodeError(n, index, $"attribute '{name}' must be a float");
            return a.F;
        }

        /// <summary>An optional constant integer input (Split sizes, Slice starts...), or null when the input is absent.</summary>
        private long[]? ConstantInts(NodeProto n, int index, int input, string what)
        {
            if (input >= n.Input.Count || n.Input[input].Length == 0) return null;
            var t = Constant(n, index, input, what);
            if (t.DataType is not (6 or 7))
                throw NodeError(n, index, $"{what} '{t.Name}' must be an int32 or int64 tensor, got data type {t.DataType}");
            return TensorToInts(t);
        }

        /// <summary>An optional constant scalar float input (Clip's min and max), or null when the input is absent.</summary>
        private float? ConstantScalar(NodeProto n, int index, int input, string what)
        {
            if (input >= n.Input.Count || n.Input[input].Length == 0) return null;
            var values = TensorToFloats(Constant(n, index, input, what), m => NodeError(n, index, m));
            return values.Length == 1 ? values[0] : throw NodeError(n, index, $"{what} must be a single value, got {values.Length}");
        }

        private static string Show(float v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

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
                    // Fused into the Conv or Add it follows when nothing else reads their output; else its own layer.
                    var src = Value(n, index, 0);
                    if (src.Kind is OpKind.Conv or OpKind.Add && !src.Relu && SingleUse(n.Input[0]))
                    {
                        src.Relu = true;
                        Alias(n, index, src);
                    }
                    else Activation(n, index, src, ActivationKind.Relu);
                    break;
                }
                case "Clip":
                {
                    var src = Value(n, index, 0);
                    // Bounds are attributes before opset 11 and optional constant inputs from then on.
                    float? min = Attr(n, "min") is null ? ConstantScalar(n, index, 1, "min") : Float(n, index, "min", 0);
                    float? max = Attr(n, "max") is null ? ConstantScalar(n, index, 2, "max") : Float(n, index, "max", 0);
                    if (min != 0 || max != 6)
                        throw NodeError(n, index, $"Clip to [{(min is float lo ? Show(lo) : "none")}, {(max is float hi ? Show(hi) : "none")}] is not supported; only [0, 6] (ReLU6)");
                    Activation(n, index, src, ActivationKind.Relu6);
                    break;
                }
                case "HardSigmoid":
                {
                    var src = Value(n, index, 0);
                    float alpha = Float(n, index, "alpha", 0.2f), beta = Float(n, index, "beta", 0.5f);
                    // ONNX's defaults (0.2, 0.5) are not PyTorch's hardsigmoid, clamp(x + 3, 0, 6) / 6, which the int8 tables use.
                    if (Math.Abs(alpha - 1.0 / 6) > 1e-6 || beta != 0.5f)
                        throw NodeError(n, index, $"alpha = {Show(alpha)}, beta = {Show(beta)} is not supported; only PyTorch's hardsigmoid (alpha = 1/6, beta = 0.5)");
                    Activation(n, index, src, ActivationKind.HardSigmoid);
                    break;
                }
                case "HardSwish":
                    Activation(n, index, Value(n, index, 0), ActivationKind.HardSwish);
                    break;
                case "BatchNormalization":
                    FoldBatchNorm(n, index);
                    break;
                case "Add":
                {
                    RequireTwoMaps(n, index, "only the sum of two feature maps of the same shape is supported");
                    var (a, b) = (Value(n, index, 0), Value(n, index, 1));
                    if (a.Shape != b.Shape)
                        throw NodeError(n, index, $"inputs of {a.Shape} and {b.Shape} differ; only the sum of two feature maps of the same shape is supported (no broadcasting)");
                    Define(n, index, new Op { Kind = OpKind.Add, Inputs = [a, b], Order = _order++, Shape = a.Shape });
                    break;
                }
                case "Mul":
                    ConvertMul(n, index);
                    break;
                case "Split":
                    ConvertSplit(n, index);
                    break;
                case "Slice":
                    ConvertSlice(n, index);
                    break;
                case "Transpose":
                {
                    var src = Value(n, index, 0, allowView: true);
                    var perm = Ints(n, index, "perm");
                    if (src.Kind != OpKind.GroupedView || perm is null || !perm.SequenceEqual([0L, 2, 1, 3, 4]))
                        throw NodeError(n, index, $"Transpose{(perm is null ? "" : " perm " + Show(perm))} of a {(IsView(src) ? "5-D tensor" : src.Shape + " map")} is not supported; Transpose is only supported inside a channel shuffle ({ShufflePattern})");
                    Define(n, index, new Op { Kind = OpKind.TransposedView, Inputs = src.Inputs, Order = _order++, Groups = src.Groups, Shape = src.Shape });
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
                    var (k, s, p) = Window(n, index, Ints(n, index, "kernel_shape"), "only square kernels are supported");
                    if (k == src.Shape.Height && k == src.Shape.Width && p == 0)
                    {
                        // One window over the whole map: the global average pool SqueezeNet exports use.
                        Define(n, index, new Op { Kind = OpKind.GlobalAvgPool, Inputs = [src], Order = _order++, Shape = src.Shape with { Height = 1, Width = 1 } });
                        break;
                    }
                    if (2 * p > k) throw Unsupported(n, index, "pads", p.ToString(), "padding must be at most half the kernel");
                    // Both attributes only matter when they change a window: padded taps, or a window started in the padding.
                    long includePad = Int(n, index, "count_include_pad", 0);
                    if (includePad != 0 && p > 0)
                        throw Unsupported(n, index, "count_include_pad", includePad.ToString(), "padded taps are never counted in the average; export with count_include_pad=False");
                    int oh = Network.OutputSize(src.Shape.Height, k, s, p, false);
                    int ow = Network.OutputSize(src.Shape.Width, k, s, p, false);
                    long ceil = Int(n, index, "ceil_mode", 0);
                    if (ceil != 0 && (Network.OutputSize(src.Shape.Height, k, s, p, true) != oh || Network.OutputSize(src.Shape.Width, k, s, p, true) != ow))
                        throw Unsupported(n, index, "ceil_mode", ceil.ToString(), "average pooling places its windows in floor mode");
                    if (oh < 1 || ow < 1) throw NodeError(n, index, $"a {k}x{k} window does not fit the {src.Shape} input");
                    Define(n, index, new Op
                    {
                        Kind = OpKind.AvgPool, Inputs = [src], Order = _order++, Kernel = k, Stride = s, Padding = p,
                        Shape = src.Shape with { Height = oh, Width = ow },
                    });
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
                {
                    var src = Value(n, index, 0);
                    if (src.Shape.Height != 1 || src.Shape.Width != 1)
                        throw NodeError(n, index, $"only supported on a Cx1x1 tail, but its input is {src.Shape}");
                    long axis = Int(n, index, "axis", 1);
                    if (axis != 1) throw Unsupported(n, index, "axis", axis.ToString(), "only 1 is supported");
                    _flattened = true;
                    Alias(n, index, src);
                    break;
                }
                case "Reshape":
                    ConvertReshape(n, index);
                    break;
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

        private void Activation(NodeProto n, int index, Op src, ActivationKind function) =>
            Define(n, index, new Op { Kind = OpKind.Activation, Inputs = [src], Order = _order++, Shape = src.Shape, Function = function });

        /// <summary>Add and Mul take exactly two feature maps; a constant operand (bias, broadcast factor) has no layer.</summary>
        private void RequireTwoMaps(NodeProto n, int index, string supported)
        {
            if (n.Input.Count != 2) throw NodeError(n, index, $"needs exactly two inputs, got {n.Input.Count}");
            for (int i = 0; i < 2; i++)
                if (IsConstant(n, i))
                    throw NodeError(n, index, $"input '{n.Input[i]}' is a constant, which is not supported; {supported}");
        }

        /// <summary>
        /// Folds an inference BatchNormalization into the Conv before it (how PyTorch exports look
        /// unless fused at export): per output channel, weights times gamma / sqrt(var + eps), and
        /// bias (b - mean) times that plus beta.
        /// </summary>
        private void FoldBatchNorm(NodeProto n, int index)
        {
            var src = Value(n, index, 0);
            long training = Int(n, index, "training_mode", 0);
            if (training != 0) throw Unsupported(n, index, "training_mode", training.ToString(), "only inference");
            if (src.Kind != OpKind.Conv || src.Relu || !SingleUse(n.Input[0]))
                throw NodeError(n, index, "BatchNormalization is only supported directly after a Conv whose output nothing else reads (it is folded into the Conv's weights and bias)");
            RequireUnusedExtraOutputs(n, index);
            double epsilon = Float(n, index, "epsilon", 1e-5f);
            int channels = src.OutChannels;
            float[] Parameter(int input, string what)
            {
                var v = TensorToFloats(Constant(n, index, input, what), m => NodeError(n, index, m));
                return v.Length == channels ? v : throw NodeError(n, index, $"{what} has {v.Length} values, expected {channels}");
            }
            var (gamma, beta, mean, variance) = (Parameter(1, "scale"), Parameter(2, "bias"), Parameter(3, "mean"), Parameter(4, "variance"));
            var weights = src.Weights!.Weights.ToArray();
            var bias = src.Weights.Bias.ToArray();
            int perChannel = weights.Length / channels;
            for (int c = 0; c < channels; c++)
            {
                if (variance[c] + epsilon <= 0)
                    throw NodeError(n, index, $"variance {Show(variance[c])} of channel {c} plus epsilon is not positive");
                double factor = gamma[c] / Math.Sqrt(variance[c] + epsilon);
                for (int i = c * perChannel; i < (c + 1) * perChannel; i++) weights[i] = (float)(weights[i] * factor);
                bias[c] = (float)((bias[c] - mean[c]) * factor + beta[c]);
            }
            src.Weights = new ConvWeights(weights, bias);
            Alias(n, index, src);
        }

        /// <summary>
        /// Mul of a CxHxW map and a Cx1x1 gate (either order) is squeeze-and-excitation scaling;
        /// x * HardSigmoid(x) is hard-swish as exported before opset 14.
        /// </summary>
        private void ConvertMul(NodeProto n, int index)
        {
            const string supported = "only a CxHxW map times Cx1x1 per-channel scales (squeeze-and-excitation) or x * HardSigmoid(x) (hard-swish)";
            RequireTwoMaps(n, index, supported);
            var (a, b) = (Value(n, index, 0), Value(n, index, 1));
            bool HardSigmoidOf(Op gate, int gateInput, Op x) =>
                gate.Kind == OpKind.Activation && gate.Function == ActivationKind.HardSigmoid && gate.Inputs[0] == x && SingleUse(n.Input[gateInput]);
            if (HardSigmoidOf(b, 1, a)) { Activation(n, index, a, ActivationKind.HardSwish); return; }
            if (HardSigmoidOf(a, 0, b)) { Activation(n, index, b, ActivationKind.HardSwish); return; }
            Op map, gate;
            if (b.Shape == new Shape(a.Shape.Channels, 1, 1)) (map, gate) = (a, b);
            else if (a.Shape == new Shape(b.Shape.Channels, 1, 1)) (map, gate) = (b, a);
            else throw NodeError(n, index, $"Mul of a {a.Shape} and a {b.Shape} tensor is not supported; {supported}");
            Define(n, index, new Op { Kind = OpKind.Scale, Inputs = [map, gate], Order = _order++, Shape = map.Shape });
        }

        /// <summary>A channel Split: one slice per output, sizes from the attribute (opset &lt; 13), the input (13+) or equal parts.</summary>
        private void ConvertSplit(NodeProto n, int index)
        {
            var src = Value(n, index, 0);
            long axis = Int(n, index, "axis", 0);
            if (axis is not (1 or -3)) throw Unsupported(n, index, "axis", axis.ToString(), "only channel splits (axis 1) are supported");
            int channels = src.Shape.Channels, parts = n.Output.Count;
            if (parts == 0) throw NodeError(n, index, "has no output");
            long numOutputs = Int(n, index, "num_outputs", parts);
            if (numOutputs != parts) throw NodeError(n, index, $"num_outputs = {numOutputs} but the node has {parts} outputs");
            var sizes = Ints(n, index, "split") ?? ConstantInts(n, index, 1, "split");
            if (sizes is null)
            {
                // Opset 18's rule, which also covers the even split of earlier opsets: equal parts, the last one smaller.
                long chunk = (channels + parts - 1) / parts;
                sizes = Enumerable.Range(0, parts).Select(i => i < parts - 1 ? chunk : channels - chunk * (parts - 1)).ToArray();
            }
            if (sizes.Length != parts)
                throw NodeError(n, index, $"split {Show(sizes)} has {sizes.Length} sizes but the node has {parts} outputs");
            if (sizes.Any(v => v < 1) || sizes.Sum() != channels)
                throw NodeError(n, index, $"split {Show(sizes)} does not divide the {channels} channels of the {src.Shape} input into non-empty parts");
            int start = 0;
            for (int i = 0; i < parts; i++)
            {
                int count = (int)sizes[i];
                if (n.Output[i].Length > 0)
                    _values[n.Output[i]] = new Op
                    {
                        Kind = OpKind.Slice, Inputs = [src], Order = _order++, NodeName = NodeLabel(n, index), Start = start, Count = count,
                        Shape = src.Shape with { Channels = count },
                    };
                start += count;
            }
        }

        /// <summary>Slice along channels with step 1 (other axes untouched); starts and ends are constant inputs, or attributes before opset 10.</summary>
        private void ConvertSlice(NodeProto n, int index)
        {
            var src = Value(n, index, 0);
            long[]? starts, ends, axes, steps = null;
            if (n.Input.Count > 1)
            {
                starts = ConstantInts(n, index, 1, "starts");
                ends = ConstantInts(n, index, 2, "ends");
                axes = ConstantInts(n, index, 3, "axes");
                steps = ConstantInts(n, index, 4, "steps");
            }
            else (starts, ends, axes) = (Ints(n, index, "starts"), Ints(n, index, "ends"), Ints(n, index, "axes"));
            if (starts is null || ends is null) throw NodeError(n, index, "needs starts and ends");
            axes ??= Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
            if (ends.Length != starts.Length || axes.Length != starts.Length || (steps is not null && steps.Length != starts.Length))
                throw NodeError(n, index, $"starts {Show(starts)}, ends {Show(ends)}, axes {Show(axes)} differ in length");
            long[] dims = [1, src.Shape.Channels, src.Shape.Height, src.Shape.Width];
            long first = 0, end = src.Shape.Channels;
            for (int i = 0; i < starts.Length; i++)
            {
                long axis = axes[i] < 0 ? axes[i] + 4 : axes[i];
                if (axis is < 0 or > 3) throw NodeError(n, index, $"axis {axes[i]} is outside the 4-D input");
                long step = steps?[i] ?? 1;
                if (step != 1) throw NodeError(n, index, $"step {step} on axis {axis} is not supported; only step 1");
                long d = dims[axis];
                long from = Math.Clamp(starts[i] < 0 ? starts[i] + d : starts[i], 0, d);
                long to = Math.Clamp(ends[i] < 0 ? ends[i] + d : ends[i], 0, d);
                if (axis == 1) (first, end) = (from, to);
                else if (from != 0 || to != d)
                    throw NodeError(n, index, $"slicing axis {axis} to [{from}, {to}) is not supported; only channel slices (axis 1)");
            }
            if (end <= first)
                throw NodeError(n, index, $"channels [{first}, {end}) of the {src.Shape} input are empty");
            if (first == 0 && end == src.Shape.Channels) { Alias(n, index, src); return; }
            Define(n, index, new Op
            {
                Kind = OpKind.Slice, Inputs = [src], Order = _order++, Start = (int)first, Count = (int)(end - first),
                Shape = src.Shape with { Channels = (int)(end - first) },
            });
        }

        /// <summary>
        /// Reshape is a step of the channel shuffle (<see cref="ShufflePattern"/>, recognised by its
        /// constant shapes), a no-op to the same [1,C,H,W], or the [1,C] flatten of a Cx1x1 tail.
        /// </summary>
        private void ConvertReshape(NodeProto n, int index)
        {
            var src = Value(n, index, 0, allowView: true);
            var shape = src.Shape;
            long[]? target = n.Input.Count > 1 && _constants.TryGetValue(n.Input[1], out var shapeTensor) ? TensorToInts(shapeTensor) : null;
            long[] srcDims = src.Kind switch
            {
                OpKind.GroupedView => [1, src.Groups, shape.Channels / src.Groups, shape.Height, shape.Width],
                OpKind.TransposedView => [1, shape.Channels / src.Groups, src.Groups, shape.Height, shape.Width],
                _ => [1, shape.Channels, shape.Height, shape.Width],
            };
            var dims = target is null ? null : ResolveShape(n, index, srcDims, target, Int(n, index, "allowzero", 0) != 0);
            long[] map = [1, shape.Channels, shape.Height, shape.Width];
            string to = dims is null ? "a computed shape" : Show(dims);
            switch (src.Kind)
            {
                case OpKind.TransposedView:
                    if (dims is null || !dims.SequenceEqual(map))
                        throw NodeError(n, index, $"reshape of the transposed channel groups to {to} is not supported; a channel shuffle ends with Reshape {Show(map)} ({ShufflePattern})");
                    Define(n, index, new Op { Kind = OpKind.Shuffle, Inputs = src.Inputs, Order = _order++, Groups = src.Groups, Shape = shape });
                    return;
                case OpKind.GroupedView:
                    throw NodeError(n, index, $"reshape of the 5-D output of node '{src.NodeName}' to {to} is not supported; it is only supported inside a channel shuffle ({ShufflePattern})");
            }
            if (dims is { Length: 5 })
            {
                if (dims[0] != 1 || dims[3] != shape.Height || dims[4] != shape.Width)
                    throw NodeError(n, index, $"reshape of a {shape} map to {to} is not supported; a channel shuffle starts with Reshape [1,g,C/g,H,W] ({ShufflePattern})");
                Define(n, index, new Op { Kind = OpKind.GroupedView, Inputs = [src], Order = _order++, Groups = (int)dims[1], Shape = shape });
                return;
            }
            if (dims is not null && dims.SequenceEqual(map)) { Alias(n, index, src); return; }
            if (shape.Height != 1 || shape.Width != 1 || (dims is not null && (dims.Length != 2 || dims[0] != 1)))
                throw NodeError(n, index, $"reshape of a {shape} map to {to} is not supported; only a channel shuffle ({ShufflePattern}) or the [1,C] flatten of a Cx1x1 tail");
            _flattened = true;
            Alias(n, index, src);
        }

        /// <summary>ONNX Reshape's target: 0 copies the input dimension (unless allowzero), one -1 takes what is left.</summary>
        private long[] ResolveShape(NodeProto n, int index, long[] input, long[] target, bool allowZero)
        {
            long total = input.Aggregate(1L, (a, b) => a * b);
            var dims = new long[target.Length];
            int inferred = -1;
            long known = 1;
            for (int i = 0; i < target.Length; i++)
            {
                if (target[i] == -1)
                {
                    if (inferred >= 0) throw NodeError(n, index, $"shape {Show(target)} has more than one -1");
                    inferred = i;
                    continue;
                }
                if (target[i] < 0) throw NodeError(n, index, $"shape {Show(target)} has a negative dimension");
                if (target[i] == 0 && !allowZero)
                {
                    if (i >= input.Length) throw NodeError(n, index, $"shape {Show(target)} copies dimension {i} (0), which the {input.Length}-D input lacks");
                    dims[i] = input[i];
                }
                else dims[i] = target[i];
                known *= dims[i];
            }
            if (inferred >= 0)
            {
                if (known == 0 || total % known != 0)
                    throw NodeError(n, index, $"shape {Show(target)} does not fit the {total} elements of the input {Show(input)}");
                dims[inferred] = total / known;
            }
            else if (known != total)
                throw NodeError(n, index, $"shape {Show(target)} holds {known} elements but the input {Show(input)} has {total}");
            return dims;
        }

        private void ConvertConv(NodeProto n, int index)
        {
            var src = Value(n, index, 0);
            long group = Int(n, index, "group", 1);
            if (group < 1 || group > src.Shape.Channels)
                throw Unsupported(n, index, "group", group.ToString(), $"must be in [1, {src.Shape.Channels}], the input channels");
            var wt = Constant(n, index, 1, "weight");
            var dims = wt.Dims.ToArray();
            if (dims.Length != 4)
                throw NodeError(n, index, $"weight '{wt.Name}' must be 4-D [Cout,Cin/group,K,K], got {Show(dims)}");
            var kernelShape = Ints(n, index, "kernel_shape") ?? [dims[2], dims[3]];
            if (kernelShape.Length != 2 || kernelShape[0] != dims[2] || kernelShape[1] != dims[3])
                throw Unsupported(n, index, "kernel_shape", Show(kernelShape), $"must match the weight shape {Show(dims)}");
            var (k, s, p) = Window(n, index, kernelShape, "only square kernels are supported");
            if (dims[1] * group != src.Shape.Channels)
                throw NodeError(n, index, group == 1
                    ? $"weight '{wt.Name}' expects {dims[1]} input channels but the input is {src.Shape}"
                    : $"weight '{wt.Name}' expects {dims[1]} input channels per group, {dims[1] * group} in {group} groups, but the input is {src.Shape}");
            int cout = (int)dims[0];
            if (cout % group != 0)
                throw Unsupported(n, index, "group", group.ToString(), $"the {cout} output channels do not split into {group} groups");
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
                Groups = (int)group, Weights = new ConvWeights(weights, bias), Shape = new Shape(cout, oh, ow),
            });
        }

        /// <summary>Orders the ops reaching the output, groups Fire modules, names layers, builds the network.</summary>
        private ImportedNetwork Assemble(Op inputOp, Op output)
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
                            layer = new ConvLayer(name, op.OutChannels, op.Kernel, op.Stride, op.Padding, op.Relu) { Groups = op.Groups };
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
                        case OpKind.AvgPool:
                            layer = new AvgPoolLayer(Unique($"pool{stage}"), op.Kernel, op.Stride, op.Padding);
                            break;
                        case OpKind.Add:
                            layer = new AddLayer(Unique($"add{stage}"), op.Relu);
                            break;
                        case OpKind.Activation:
                            layer = new ActivationLayer(Unique($"{ActivationLayer.FunctionName(op.Function)}_{stage}"), op.Function);
                            break;
                        case OpKind.Shuffle:
                            layer = new ChannelShuffleLayer(Unique($"shuffle{stage}"), op.Groups);
                            break;
                        case OpKind.Slice:
                            layer = new ChannelSliceLayer(Unique($"slice{stage}"), op.Start, op.Count);
                            break;
                        case OpKind.Scale:
                            layer = new ScaleLayer(Unique($"scale{stage}"));
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

            return new ImportedNetwork(new Network(networkName, inputOp.Shape, layers, _softmax), weights);
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
