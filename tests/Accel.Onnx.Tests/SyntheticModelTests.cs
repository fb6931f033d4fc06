using Accel.Golden.Float;
using Accel.Model.Networks;
using Accel.Onnx.Runtime;
using Xunit;
using static Accel.Onnx.Tests.OnnxTestModel;

namespace Accel.Onnx.Tests;

/// <summary>Small ONNX graphs built in the test: patterns, tails, and every kind of import error.</summary>
public sealed class SyntheticModelTests
{
    private static float[] RandomInput(Shape shape, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, (int)shape.Elements).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
    }

    private static void MatchesOnnxRuntime(string path, FloatModel_ model)
    {
        var input = RandomInput(model.Network.InputShape, 7);
        var ours = FloatReference.Run(model.Value, input).Output;
        using var session = new OnnxRuntimeSession(path);
        var ort = session.Run(input);
        Assert.Equal(ort.Length, ours.Length);
        for (int i = 0; i < ours.Length; i++)
            Assert.True(Math.Abs(ours[i] - ort[i]) < 1e-4f, $"output {i}: ours {ours[i]} vs ORT {ort[i]}");
    }

    private sealed record FloatModel_(Accel.Model.Weights.FloatModel Value)
    {
        public Network Network => Value.Network;
    }

    [Fact]
    public void Fire_stack_with_softmax_tail_imports_as_fire_modules()
    {
        var b = new OnnxTestModel(3, 19, 19, seed: 3, symbolicBatch: true);
        var x = b.Conv(Input, 3, 8, 3, stride: 2, name: "stem");
        x = b.Node("MaxPool", "mp", [x], Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Int("ceil_mode", 1));
        x = b.Fire(x, 8, 4, 6, 6);
        x = b.Fire(x, 12, 4, 8, 8);
        x = b.Node("Dropout", "dp", [x]);
        x = b.Conv(x, 16, 10, 1, name: "classifier");
        x = b.Node("GlobalAveragePool", "gap", [x]);
        x = b.Node("Flatten", "flat", [x], Int("axis", 1));
        x = b.Node("Softmax", "prob", [x], Int("axis", 1));
        var path = b.Save(x, "tiny_fire");

        var model = OnnxImporter.Load(path);
        var net = model.Network;
        Assert.Equal("tiny_fire", net.Name);
        Assert.True(net.OutputSoftmax);
        Assert.Equal(new Shape(3, 19, 19), net.InputShape);
        Layer[] expected =
        [
            new ConvLayer("conv1", 8, 3, 2),
            new MaxPoolLayer("pool1", 3, 2, 0, true),
            new FireLayer("fire2", 4, 6, 6),
            new FireLayer("fire3", 4, 8, 8),
            new DropoutLayer("drop3"),
            new ConvLayer("conv4", 10, 1),
            new GlobalAvgPoolLayer("pool4"),
        ];
        Assert.Equal(expected, net.Layers);
        Assert.Equal(new Shape(10, 1, 1), net.OutputShape);
        var result = FloatReference.Run(model, RandomInput(net.InputShape, 1)).Output;
        Assert.Equal(1.0, result.Sum(), 5);
        MatchesOnnxRuntime(path, new FloatModel_(model));
    }

    [Fact]
    public void Average_pool_over_the_whole_map_and_reshape_tail()
    {
        var b = new OnnxTestModel(4, 6, 6, seed: 5);
        var x = b.Conv(Input, 4, 5, 3, pad: 1, relu: false, bias: false, name: "c");
        x = b.Node("AveragePool", "avg", [x], Ints("kernel_shape", 6, 6));
        var shape = new Accel.Onnx.Proto.TensorProto { Name = "shape", DataType = 7 };
        shape.Dims.Add(2);
        shape.Int64Data.AddRange([1, -1]);
        var model = b.Build(b.Node("Reshape", "rs", [x, "shape"]));
        model.Graph.Initializer.Add(shape);
        var path = Path.Combine(Directory.CreateTempSubdirectory("accel-onnx-").FullName, "avg_tail.onnx");
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(model));

        var imported = OnnxImporter.Load(path);
        Assert.Equal([new ConvLayer("conv1", 5, 3, 1, 1, Relu: false), new GlobalAvgPoolLayer("pool1")], imported.Network.Layers);
        Assert.All(imported.Weights["conv1"].Bias, v => Assert.Equal(0f, v));
        Assert.False(imported.Network.OutputSoftmax);
        MatchesOnnxRuntime(path, new FloatModel_(imported));
    }

    [Fact]
    public void Non_fire_dag_imports_as_plain_convs_and_concat()
    {
        var b = new OnnxTestModel(3, 8, 8, seed: 9);
        var left = b.Conv(Input, 3, 4, 1, name: "left");
        var right = b.Conv(Input, 3, 5, 3, pad: 1, relu: false, name: "right");
        var cat = b.Node("Concat", "cat", [left, right], Int("axis", 1));
        var path = b.Save(cat, "dag");

        var model = OnnxImporter.Load(path);
        var layers = model.Network.Layers;
        Assert.Equal(3, layers.Count);
        Assert.Equal(new ConvLayer("conv1", 4, 1), layers[0]);
        Assert.Null(layers[0].Inputs);
        Assert.Equal(new ConvLayer("conv2", 5, 3, 1, 1, Relu: false), layers[1] with { Inputs = null });
        Assert.Equal([Network.InputName], layers[1].Inputs!);
        Assert.IsType<ConcatLayer>(layers[2]);
        Assert.Equal("concat2", layers[2].Name);
        Assert.Equal(["conv1", "conv2"], layers[2].Inputs!);
        Assert.Equal(new Shape(9, 8, 8), model.Network.OutputShape);
        MatchesOnnxRuntime(path, new FloatModel_(model));
    }

    [Fact]
    public void Fire_with_expands_in_the_wrong_order_is_not_a_fire()
    {
        var b = new OnnxTestModel(4, 5, 5);
        var s = b.Conv(Input, 4, 2, 1);
        var e1 = b.Conv(s, 2, 3, 1);
        var e3 = b.Conv(s, 2, 3, 3, pad: 1);
        var model = OnnxImporter.Load(b.Bytes(b.Node("Concat", "cat", [e3, e1], Int("axis", 1))), "swapped");
        Assert.Equal(["conv", "conv", "conv", "concat"], model.Network.Layers.Select(l => l.Kind));
    }

    [Theory]
    [InlineData("Gemm")]
    [InlineData("LSTM")]
    public void Unsupported_operator_names_the_node(string op)
    {
        var b = new OnnxTestModel(3, 4, 4);
        var x = b.Conv(Input, 3, 4, 1);
        x = b.Node(op, "head_" + op, [x]);
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Load(b.Bytes(x), "m", "m.onnx"));
        Assert.Equal($"m.onnx: node 'head_{op}' ({op}): operator '{op}' is not supported", e.Message);
    }

    [Fact]
    public void Grouped_conv_whose_weights_do_not_fit_the_groups_names_the_node()
    {
        // Weights for an ungrouped 4-channel input, declared with two groups.
        var b = new OnnxTestModel(4, 4, 4);
        var x = b.Node("Conv", "conv_3", [Input, b.Initializer([4, 4, 1, 1], new float[16])], Ints("kernel_shape", 1, 1), Int("group", 2));
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(b.Bytes(x), "squeezenet", "squeezenet.onnx"));
        Assert.StartsWith("squeezenet.onnx: node 'conv_3' (Conv): weight 'w0' expects 4 input channels per group, 8 in 2 groups, but the input is 4x4x4", e.Message);

        var c = new OnnxTestModel(4, 4, 4);
        var y = c.Node("Conv", "conv_5", [Input, c.Initializer([6, 1, 1, 1], new float[6])], Ints("kernel_shape", 1, 1), Int("group", 4));
        e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(c.Bytes(y), "m", "m.onnx"));
        Assert.StartsWith("m.onnx: node 'conv_5' (Conv): attribute 'group' = 4 is not supported (the 6 output channels do not split into 4 groups)", e.Message);
    }

    [Theory]
    [InlineData("strides", new long[] { 1, 2 })]
    [InlineData("pads", new long[] { 0, 0, 1, 1 })]
    [InlineData("dilations", new long[] { 2, 2 })]
    public void Unsupported_conv_geometry_names_the_attribute(string attribute, long[] value)
    {
        var b = new OnnxTestModel(2, 6, 6);
        var x = b.Node("Conv", "odd", [Input, b.Initializer([2, 2, 3, 3], new float[36])], Ints(attribute, value));
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Load(b.Bytes(x), "m"));
        Assert.Contains($"node 'odd' (Conv): attribute '{attribute}' = [{string.Join(",", value)}]", e.Message);
    }

    [Fact]
    public void Average_pool_counting_padding_and_misplaced_softmax_are_errors()
    {
        var b = new OnnxTestModel(2, 6, 6);
        var x = b.Conv(Input, 2, 2, 1);
        var pooled = b.Node("AveragePool", "ap", [x], Ints("kernel_shape", 2, 2), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1), Int("count_include_pad", 1));
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(b.Bytes(pooled), "m"));
        Assert.Contains("node 'ap' (AveragePool): attribute 'count_include_pad' = 1 is not supported", e.Message);

        var c = new OnnxTestModel(2, 1, 1);
        var y = c.Conv(Input, 2, 2, 1);
        y = c.Node("Softmax", "sm", [y]);
        y = c.Conv(y, 2, 2, 1);
        e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Load(c.Bytes(y), "m"));
        Assert.Contains("node 'sm' (Softmax)", e.Message);
    }

    [Fact]
    public void Fixed_batch_other_than_one_is_an_error()
    {
        var b = new OnnxTestModel(2, 4, 4);
        var model = b.Build(b.Conv(Input, 2, 2, 1));
        model.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimValue = 4;
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Load(Google.Protobuf.MessageExtensions.ToByteArray(model), "m"));
        Assert.Contains("batch size 4", e.Message);
    }

    [Fact]
    public void Broken_files_are_import_errors()
    {
        var b = new OnnxTestModel(3, 8, 8);
        var bytes = b.Bytes(b.Fire(b.Conv(Input, 3, 8, 3), 8, 2, 4, 4));
        for (int cut = 1; cut < bytes.Length; cut += Math.Max(1, bytes.Length / 97))
        {
            try { OnnxImporter.Load(bytes[..cut], "cut"); }
            catch (OnnxImportException) { }
        }
        Assert.Throws<OnnxImportException>(() => OnnxImporter.Load(bytes[..(bytes.Length / 2)], "cut"));
        Assert.Throws<OnnxImportException>(() => OnnxImporter.Load([], "empty"));

        var dir = Directory.CreateTempSubdirectory("accel-onnx-").FullName;
        var text = Path.Combine(dir, "notes.onnx");
        File.WriteAllText(text, "This is a text file, not an ONNX model.\nSecond line.\n");
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Load(text));
        Assert.StartsWith("notes.onnx: ", e.Message);

        var missing = Path.Combine(dir, "missing.onnx");
        e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Load(missing));
        Assert.StartsWith("missing.onnx: file not found", e.Message);
    }
}
