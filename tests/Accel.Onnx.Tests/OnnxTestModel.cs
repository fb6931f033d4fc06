using Accel.Onnx.Proto;
using Google.Protobuf;

namespace Accel.Onnx.Tests;

/// <summary>Builds small synthetic ONNX models with the generated protobuf classes.</summary>
internal sealed class OnnxTestModel
{
    private readonly GraphProto _graph = new() { Name = "synthetic" };
    private readonly Random _rng;
    private int _next;

    private readonly int _opset;

    public OnnxTestModel(int channels, int height, int width, int seed = 1, bool symbolicBatch = false, int opset = 13)
    {
        _rng = new Random(seed);
        _opset = opset;
        var shape = new TensorShapeProto();
        shape.Dim.Add(symbolicBatch ? new TensorShapeProto.Types.Dimension { DimParam = "N" } : new TensorShapeProto.Types.Dimension { DimValue = 1 });
        foreach (var d in new[] { channels, height, width }) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        _graph.Input.Add(new ValueInfoProto { Name = "x", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } });
    }

    public const string Input = "x";

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = 7 };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = 2, I = value };

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = 1, F = value };

    /// <summary>A node with several outputs (Split), returning their names.</summary>
    public string[] Nodes(string op, string name, string[] inputs, int outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        var names = Enumerable.Range(0, outputs).Select(_ => $"t{_next++}").ToArray();
        node.Output.AddRange(names);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return names;
    }

    /// <summary>A 1-D int64 initializer (Reshape shapes, Split sizes, Slice bounds).</summary>
    public string Int64s(params long[] values)
    {
        var t = new TensorProto { Name = $"i{_next++}", DataType = 7 };
        t.Dims.Add(values.Length);
        t.Int64Data.AddRange(values);
        _graph.Initializer.Add(t);
        return t.Name;
    }

    /// <summary>A scalar float initializer (Clip bounds from opset 11).</summary>
    public string Scalar(float value) => Initializer([], [value]);

    /// <summary>Uniform values in [lo, hi).</summary>
    public float[] Uniform(int count, double lo, double hi) =>
        Enumerable.Range(0, count).Select(_ => (float)(lo + _rng.NextDouble() * (hi - lo))).ToArray();

    /// <summary>Inference BatchNormalization over <paramref name="channels"/> channels with random statistics.</summary>
    public string BatchNorm(string x, int channels, string? name = null) =>
        Node("BatchNormalization", name ?? $"bn_{_next}",
            [x, Initializer([channels], Uniform(channels, 0.5, 1.5)), Initializer([channels], Uniform(channels, -0.2, 0.2)),
             Initializer([channels], Uniform(channels, -0.3, 0.3)), Initializer([channels], Uniform(channels, 0.2, 2.0))],
            Float("epsilon", 1e-3f));

    public string Node(string op, string name, string[] inputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        string output = $"t{_next++}";
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return output;
    }

    public string Initializer(long[] dims, float[] values, bool raw = true)
    {
        var t = new TensorProto { Name = $"w{_next++}", DataType = 1 };
        t.Dims.AddRange(dims);
        if (raw)
        {
            var bytes = new byte[values.Length * 4];
            Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
            t.RawData = ByteString.CopyFrom(bytes);
        }
        else t.FloatData.AddRange(values);
        _graph.Initializer.Add(t);
        return t.Name;
    }

    public string Conv(string x, int cin, int cout, int k, int stride = 1, int pad = 0, bool relu = true, string? name = null, bool bias = true, int groups = 1, params AttributeProto[] extra)
    {
        int fanIn = cin / groups * k * k;
        double std = Math.Sqrt(2.0 / fanIn);
        var w = Initializer([cout, cin / groups, k, k], Enumerable.Range(0, cout * fanIn).Select(_ => (float)((_rng.NextDouble() * 2 - 1) * std * 1.7)).ToArray());
        var inputs = new List<string> { x, w };
        if (bias) inputs.Add(Initializer([cout], Enumerable.Range(0, cout).Select(_ => (float)(_rng.NextDouble() * 0.2 - 0.1)).ToArray(), raw: false));
        var attrs = new List<AttributeProto> { Ints("kernel_shape", k, k), Ints("strides", stride, stride), Ints("pads", pad, pad, pad, pad) };
        if (groups != 1) attrs.Add(Int("group", groups));
        attrs.AddRange(extra);
        var y = Node("Conv", name ?? $"conv_{_next}", inputs.ToArray(), attrs.ToArray());
        return relu ? Node("Relu", $"relu_{_next}", [y]) : y;
    }

    public string Fire(string x, int cin, int squeeze, int e1, int e3)
    {
        var s = Conv(x, cin, squeeze, 1);
        var a = Conv(s, squeeze, e1, 1);
        var b = Conv(s, squeeze, e3, 3, pad: 1);
        return Node("Concat", $"concat_{_next}", [a, b], Int("axis", 1));
    }

    public ModelProto Build(string output)
    {
        var graph = _graph.Clone();
        graph.Output.Add(new ValueInfoProto { Name = output, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } });
        var model = new ModelProto { IrVersion = 8, ProducerName = "accel-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = _opset });
        return model;
    }

    public byte[] Bytes(string output) => Build(output).ToByteArray();

    /// <summary>Writes the model to a temporary .onnx file named <paramref name="name"/>.</summary>
    public string Save(string output, string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), "accel-onnx-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name + ".onnx");
        File.WriteAllBytes(path, Bytes(output));
        return path;
    }
}
