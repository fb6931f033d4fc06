using Accel.Model.Networks;
using Xunit;
using static Accel.Onnx.Tests.OnnxTestModel;

namespace Accel.Onnx.Tests;

/// <summary>
/// Import of the compact-network operators: each ONNX operator or pattern becomes the right layers
/// and weights, and every unsupported variant is an <see cref="OnnxImportException"/> naming the node.
/// </summary>
public sealed class CompactImportTests
{
    private static Network Layers(OnnxTestModel b, string output) => OnnxImporter.Import(b.Bytes(output), "m", "m.onnx").Network;

    /// <summary>The layer without its input list (a list compares by reference) and that list as text.</summary>
    private static (Layer, string) Shown(Layer l) => (l with { Inputs = null }, string.Join(",", l.Inputs ?? []));

    private static string Refused(OnnxTestModel b, string output) =>
        Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(b.Bytes(output), "m", "m.onnx")).Message;

    [Fact]
    public void Depthwise_conv_folds_the_batch_norm_after_it_into_weights_and_bias()
    {
        var b = new OnnxTestModel(3, 6, 6);
        float[] w = b.Uniform(3 * 9, -1, 1), bias = b.Uniform(3, -1, 1);
        float[] gamma = [0.5f, 2f, -1f], beta = [0.1f, -0.2f, 0.3f], mean = [0.25f, -1f, 0f], variance = [1f, 4f, 0.09f];
        var conv = b.Node("Conv", "dw", [Input, b.Initializer([3, 1, 3, 3], w), b.Initializer([3], bias)],
            Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1), Ints("strides", 2, 2), Int("group", 3));
        var bn = b.Node("BatchNormalization", "bn",
            [conv, b.Initializer([3], gamma), b.Initializer([3], beta), b.Initializer([3], mean), b.Initializer([3], variance)], Float("epsilon", 0.01f));
        var imported = OnnxImporter.Import(b.Bytes(bn), "m");

        Assert.Equal([new ConvLayer("conv1", 3, 3, 2, 1, Relu: false) { Groups = 3 }], imported.Network.Layers);
        Assert.Equal(new Shape(3, 3, 3), imported.Network.OutputShape);
        var folded = imported.Weights["conv1"];
        for (int c = 0; c < 3; c++)
        {
            double factor = gamma[c] / Math.Sqrt(variance[c] + 0.01f);
            for (int i = 0; i < 9; i++) Assert.Equal(w[c * 9 + i] * factor, folded.Weights[c * 9 + i], 5);
            Assert.Equal((bias[c] - mean[c]) * factor + beta[c], folded.Bias[c], 5);
        }
    }

    [Fact]
    public void Grouped_conv_keeps_its_weights_per_group()
    {
        var b = new OnnxTestModel(4, 5, 5);
        var x = b.Conv(Input, 4, 6, 3, pad: 1, groups: 2, name: "g");
        var imported = OnnxImporter.Import(b.Bytes(x), "m");
        Assert.Equal([new ConvLayer("conv1", 6, 3, 1, 1) { Groups = 2 }], imported.Network.Layers);
        Assert.Equal(6 * 2 * 9, imported.Weights["conv1"].Weights.Length);
        Assert.Equal(6 * 2 * 9 + 6, imported.Network.Parameters);
    }

    [Fact]
    public void Batch_norm_that_cannot_be_folded_is_refused()
    {
        var b = new OnnxTestModel(2, 4, 4);
        var x = b.Conv(Input, 2, 2, 1, name: "c");
        Assert.Contains("node 'bn' (BatchNormalization): BatchNormalization is only supported directly after a Conv whose output nothing else reads",
            Refused(b, b.BatchNorm(x, 2, "bn")));

        var c = new OnnxTestModel(2, 4, 4);
        var y = c.Conv(Input, 2, 2, 1, relu: false);
        var both = c.Node("Add", "sum", [y, c.BatchNorm(y, 2, "bn2")]);
        Assert.Contains("node 'bn2' (BatchNormalization)", Refused(c, both));
    }

    [Fact]
    public void Add_becomes_an_add_layer_and_absorbs_a_following_relu()
    {
        var b = new OnnxTestModel(4, 5, 5);
        var left = b.Conv(Input, 4, 4, 1, relu: false);
        var right = b.Conv(Input, 4, 4, 3, pad: 1);
        var sum = b.Node("Relu", "r", [b.Node("Add", "a", [left, right])]);
        var net = Layers(b, sum);
        Assert.Equal(
            [(new ConvLayer("conv1", 4, 1, Relu: false), ""), (new ConvLayer("conv2", 4, 3, 1, 1), "input"), (new AddLayer("add2", Relu: true), "conv1,conv2")],
            net.Layers.Select(Shown));

        // The sum is also read before the ReLU: the ReLU is its own layer.
        var c = new OnnxTestModel(4, 5, 5);
        var s = c.Node("Add", "a", [c.Conv(Input, 4, 4, 1), c.Conv(Input, 4, 4, 1)]);
        var out2 = c.Node("Concat", "cat", [s, c.Node("Relu", "r", [s])], Int("axis", 1));
        Assert.Equal(["conv", "conv", "add", "activation", "concat"], Layers(c, out2).Layers.Select(l => l.Kind));
        Assert.Equal(new ActivationLayer("relu_2", ActivationKind.Relu), Layers(c, out2).Layers[3] with { Inputs = null });
    }

    [Fact]
    public void Add_of_a_constant_or_of_different_shapes_is_refused()
    {
        var b = new OnnxTestModel(2, 4, 4);
        var x = b.Conv(Input, 2, 2, 1);
        var constant = b.Initializer([1, 2, 1, 1], [1f, 2f]);
        Assert.Contains($"node 'bias' (Add): input '{constant}' is a constant, which is not supported; only the sum of two feature maps",
            Refused(b, b.Node("Add", "bias", [x, constant])));

        var c = new OnnxTestModel(2, 4, 4);
        var y = c.Conv(Input, 2, 2, 1);
        Assert.Contains("node 'sum' (Add): inputs of 2x4x4 and 2x1x1 differ",
            Refused(c, c.Node("Add", "sum", [y, c.Node("GlobalAveragePool", "gap", [y])])));
    }

    [Fact]
    public void Standalone_relu_becomes_an_activation_layer()
    {
        var b = new OnnxTestModel(2, 4, 4);
        var x = b.Node("MaxPool", "mp", [b.Conv(Input, 2, 3, 1, relu: false)], Ints("kernel_shape", 2, 2), Ints("strides", 2, 2));
        var net = Layers(b, b.Node("Relu", "r", [x]));
        Assert.Equal([new ConvLayer("conv1", 3, 1, Relu: false), new MaxPoolLayer("pool1", 2, 2, 0, false), new ActivationLayer("relu_1", ActivationKind.Relu)], net.Layers);
    }

    [Theory]
    [InlineData(10, true)]
    [InlineData(13, false)]
    public void Clip_from_zero_to_six_is_relu6_in_either_opset_form(int opset, bool attributes)
    {
        var b = new OnnxTestModel(2, 4, 4, opset: opset);
        var x = b.Conv(Input, 2, 3, 1, relu: false);
        var clip = attributes ? b.Node("Clip", "c6", [x], Float("min", 0), Float("max", 6)) : b.Node("Clip", "c6", [x, b.Scalar(0), b.Scalar(6)]);
        Assert.Equal(new ActivationLayer("relu6_1", ActivationKind.Relu6), Layers(b, clip).Layers[^1]);
    }

    [Fact]
    public void Other_clip_ranges_are_refused_with_the_range()
    {
        var b = new OnnxTestModel(2, 4, 4);
        var x = b.Conv(Input, 2, 3, 1, relu: false);
        Assert.Equal("m.onnx: node 'c4' (Clip): Clip to [0, 4] is not supported; only [0, 6] (ReLU6)",
            Refused(b, b.Node("Clip", "c4", [x, b.Scalar(0), b.Scalar(4)])));
        var c = new OnnxTestModel(2, 4, 4);
        var y = c.Conv(Input, 2, 3, 1, relu: false);
        Assert.Equal("m.onnx: node 'cmin' (Clip): Clip to [0, none] is not supported; only [0, 6] (ReLU6)",
            Refused(c, c.Node("Clip", "cmin", [y, c.Scalar(0)])));
        var d = new OnnxTestModel(2, 4, 4, opset: 10);
        var z = d.Conv(Input, 2, 3, 1, relu: false);
        Assert.Contains("node 'cneg' (Clip): Clip to [-6, 6]", Refused(d, d.Node("Clip", "cneg", [z], Float("min", -6), Float("max", 6))));
    }

    [Fact]
    public void Hard_sigmoid_and_hard_swish_become_activations()
    {
        var b = new OnnxTestModel(2, 4, 4, opset: 14);
        var x = b.Conv(Input, 2, 3, 1, relu: false);
        x = b.Node("HardSigmoid", "hs", [x], Float("alpha", 1f / 6), Float("beta", 0.5f));
        x = b.Node("HardSwish", "hw", [x]);
        var net = Layers(b, x);
        Assert.Equal([ActivationKind.HardSigmoid, ActivationKind.HardSwish], net.Layers.OfType<ActivationLayer>().Select(a => a.Function));
        Assert.Equal(["hardsigmoid_1", "hardswish_1"], net.Layers.Skip(1).Select(l => l.Name));
    }

    [Fact]
    public void Times_its_own_hard_sigmoid_is_hard_swish()
    {
        var b = new OnnxTestModel(2, 4, 4);
        var x = b.Conv(Input, 2, 3, 1, relu: false);
        var gate = b.Node("HardSigmoid", "hs", [x], Float("alpha", 1f / 6), Float("beta", 0.5f));
        var net = Layers(b, b.Node("Mul", "hswish", [gate, x]));
        Assert.Equal([(new ConvLayer("conv1", 3, 1, Relu: false), ""), (new ActivationLayer("hardswish_1", ActivationKind.HardSwish), "")], net.Layers.Select(Shown));
    }

    [Theory]
    [InlineData(null, "alpha = 0.2, beta = 0.5")]
    [InlineData(0.2f, "alpha = 0.2, beta = 0.5")]
    [InlineData(0.1666f, "alpha = 0.1666, beta = 0.5")]
    public void Hard_sigmoid_other_than_pytorchs_is_refused_with_the_values(float? alpha, string values)
    {
        var b = new OnnxTestModel(2, 4, 4);
        var x = b.Conv(Input, 2, 3, 1, relu: false);
        var hs = alpha is float a ? b.Node("HardSigmoid", "gate", [x], Float("alpha", a)) : b.Node("HardSigmoid", "gate", [x]);
        Assert.Equal($"m.onnx: node 'gate' (HardSigmoid): {values} is not supported; only PyTorch's hardsigmoid (alpha = 1/6, beta = 0.5)", Refused(b, hs));
    }

    [Fact]
    public void Average_pool_with_a_window_becomes_an_avgpool_layer()
    {
        var b = new OnnxTestModel(2, 7, 7);
        var x = b.Conv(Input, 2, 3, 1);
        // ceil_mode and count_include_pad that change nothing (no padding, whole windows) are accepted.
        var a = b.Node("AveragePool", "ap", [x], Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1));
        a = b.Node("AveragePool", "ap2", [a], Ints("kernel_shape", 2, 2), Ints("strides", 2, 2), Int("ceil_mode", 1), Int("count_include_pad", 1));
        var net = Layers(b, a);
        Assert.Equal([new ConvLayer("conv1", 3, 1), new AvgPoolLayer("pool1", 3, 2, 1), new AvgPoolLayer("pool1_2", 2, 2)], net.Layers);
        Assert.Equal(new Shape(3, 2, 2), net.OutputShape);
    }

    [Fact]
    public void Average_pool_in_ceil_mode_that_changes_the_output_is_refused()
    {
        var b = new OnnxTestModel(2, 6, 6);
        var x = b.Conv(Input, 2, 3, 1);
        Assert.Contains("node 'ap' (AveragePool): attribute 'ceil_mode' = 1 is not supported (average pooling places its windows in floor mode)",
            Refused(b, b.Node("AveragePool", "ap", [x], Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Int("ceil_mode", 1))));
    }

    [Theory]
    [InlineData(new long[] { 1, 4, 3, 5, 5 }, new long[] { 1, 12, 5, 5 })]
    [InlineData(new long[] { 0, 4, -1, 5, 5 }, new long[] { 0, -1, 5, 5 })]
    [InlineData(new long[] { 1, 4, -1, 5, 5 }, new long[] { -1, 12, 5, 5 })]
    public void Reshape_transpose_reshape_is_a_channel_shuffle(long[] split, long[] merge)
    {
        var b = new OnnxTestModel(3, 5, 5);
        var x = b.Conv(Input, 3, 12, 1);
        x = b.Node("Reshape", "view", [x, b.Int64s(split)]);
        x = b.Node("Transpose", "swap", [x], Ints("perm", 0, 2, 1, 3, 4));
        x = b.Node("Reshape", "flat", [x, b.Int64s(merge)]);
        var net = Layers(b, b.Conv(x, 12, 2, 1));
        Assert.Equal([new ConvLayer("conv1", 12, 1), new ChannelShuffleLayer("shuffle1", 4), new ConvLayer("conv2", 2, 1)], net.Layers);
    }

    [Fact]
    public void Transpose_outside_a_shuffle_is_refused_naming_the_node()
    {
        var b = new OnnxTestModel(3, 5, 5);
        var x = b.Conv(Input, 3, 12, 1);
        x = b.Node("Reshape", "view", [x, b.Int64s(1, 4, 3, 5, 5)]);
        x = b.Node("Transpose", "swap_hw", [x], Ints("perm", 0, 1, 2, 4, 3));
        Assert.Equal("m.onnx: node 'swap_hw' (Transpose): Transpose perm [0,1,2,4,3] of a 5-D tensor is not supported; Transpose is only supported inside a channel shuffle "
            + "(Reshape [1,g,C/g,H,W] -> Transpose perm [0,2,1,3,4] -> Reshape [1,C,H,W])", Refused(b, x));

        var c = new OnnxTestModel(3, 5, 5);
        var y = c.Node("Transpose", "nhwc", [c.Conv(Input, 3, 4, 1)], Ints("perm", 0, 2, 3, 1));
        Assert.StartsWith("m.onnx: node 'nhwc' (Transpose): Transpose perm [0,2,3,1] of a 4x5x5 map is not supported", Refused(c, y));
    }

    [Fact]
    public void Half_a_shuffle_is_refused_naming_the_node()
    {
        // The 5-D view read by something other than the transpose.
        var b = new OnnxTestModel(3, 5, 5);
        var view = b.Node("Reshape", "view", [b.Conv(Input, 3, 12, 1), b.Int64s(1, 4, 3, 5, 5)]);
        Assert.Contains($"node 'r' (Relu): input '{view}' is the 5-D output of node 'view', which is only supported inside a channel shuffle", Refused(b, b.Node("Relu", "r", [view])));

        // The transpose closed by a reshape to another shape.
        var c = new OnnxTestModel(3, 4, 4);
        var x = c.Node("Reshape", "view", [c.Conv(Input, 3, 12, 1), c.Int64s(1, 4, 3, 4, 4)]);
        x = c.Node("Transpose", "swap", [x], Ints("perm", 0, 2, 1, 3, 4));
        Assert.Contains("node 'flat' (Reshape): reshape of the transposed channel groups to [1,24,2,4] is not supported",
            Refused(c, c.Node("Reshape", "flat", [x, c.Int64s(1, 24, 2, 4)])));

        // An unfinished shuffle as the graph output; a reshape that moves spatial dimensions.
        var d = new OnnxTestModel(3, 4, 4);
        var y = d.Node("Reshape", "view", [d.Conv(Input, 3, 12, 1), d.Int64s(1, 4, 3, 4, 4)]);
        var swapped = d.Node("Transpose", "swap", [y], Ints("perm", 0, 2, 1, 3, 4));
        Assert.Contains($"graph output '{swapped}' is the 5-D output of node 'swap', an unfinished channel shuffle", Refused(d, swapped));
        var e = new OnnxTestModel(3, 4, 4);
        Assert.Contains("node 'rows' (Reshape): reshape of a 12x4x4 map to [1,12,2,8] is not supported",
            Refused(e, e.Node("Reshape", "rows", [e.Conv(Input, 3, 12, 1), e.Int64s(1, 12, 2, 8)])));
    }

    [Theory]
    [InlineData(13, "input")]
    [InlineData(11, "attribute")]
    [InlineData(18, "num_outputs")]
    [InlineData(13, "equal")]
    public void Channel_split_becomes_one_slice_per_output(int opset, string form)
    {
        var b = new OnnxTestModel(3, 4, 4, opset: opset);
        var x = b.Conv(Input, 3, 10, 1);
        var parts = form switch
        {
            "input" => b.Nodes("Split", "split", [x, b.Int64s(4, 6)], 2, Int("axis", 1)),
            "attribute" => b.Nodes("Split", "split", [x], 2, Int("axis", 1), Ints("split", 4, 6)),
            // Opset 18: parts of ceil(10 / 2) = 5 channels.
            "num_outputs" => b.Nodes("Split", "split", [x], 2, Int("axis", -3), Int("num_outputs", 2)),
            _ => b.Nodes("Split", "split", [x], 2, Int("axis", 1)),
        };
        int first = form is "input" or "attribute" ? 4 : 5;
        var net = Layers(b, b.Node("Concat", "cat", [parts[1], parts[0]], Int("axis", 1)));
        Assert.Equal(
            [(new ConvLayer("conv1", 10, 1), ""), (new ChannelSliceLayer("slice1", 0, first), ""), (new ChannelSliceLayer("slice1_2", first, 10 - first), "conv1"),
             (new ConcatLayer("concat1"), "slice1_2,slice1")],
            net.Layers.Select(Shown));
    }

    [Fact]
    public void Split_on_another_axis_or_with_wrong_sizes_is_refused()
    {
        var b = new OnnxTestModel(3, 4, 4);
        var parts = b.Nodes("Split", "rows", [b.Conv(Input, 3, 4, 1)], 2);
        Assert.Contains("node 'rows' (Split): attribute 'axis' = 0 is not supported (only channel splits (axis 1) are supported)", Refused(b, parts[0]));
        var c = new OnnxTestModel(3, 4, 4);
        var bad = c.Nodes("Split", "split", [c.Conv(Input, 3, 4, 1), c.Int64s(1, 2)], 2, Int("axis", 1));
        Assert.Contains("node 'split' (Split): split [1,2] does not divide the 4 channels", Refused(c, bad[1]));
    }

    [Fact]
    public void Channel_slice_becomes_a_slice_layer()
    {
        var b = new OnnxTestModel(3, 4, 4);
        var x = b.Conv(Input, 3, 10, 1);
        // Negative start, end past the channels, axes and steps given.
        var s = b.Node("Slice", "tail", [x, b.Int64s(-4), b.Int64s(long.MaxValue), b.Int64s(1), b.Int64s(1)]);
        // Full-range entries for other axes are allowed; opset-1 attributes work too.
        var t = b.Node("Slice", "head", [x, b.Int64s(0, 2, 0), b.Int64s(4, 5, 4), b.Int64s(2, 1, 3)]);
        var net = Layers(b, b.Node("Concat", "cat", [s, t], Int("axis", 1)));
        Assert.Equal([new ChannelSliceLayer("slice1", 6, 4), new ChannelSliceLayer("slice1_2", 2, 3)], net.Layers.OfType<ChannelSliceLayer>().Select(l => l with { Inputs = null }));

        var c = new OnnxTestModel(3, 4, 4, opset: 9);
        var old = c.Node("Slice", "old", [c.Conv(Input, 3, 10, 1)], Ints("starts", 1), Ints("ends", 3), Ints("axes", 1));
        Assert.Equal(new ChannelSliceLayer("slice1", 1, 2), Layers(c, old).Layers[^1]);
    }

    [Fact]
    public void Slices_of_other_axes_or_steps_are_refused()
    {
        var b = new OnnxTestModel(3, 4, 4);
        var x = b.Conv(Input, 3, 10, 1);
        Assert.Contains("node 'crop' (Slice): slicing axis 2 to [1, 3) is not supported; only channel slices (axis 1)",
            Refused(b, b.Node("Slice", "crop", [x, b.Int64s(1), b.Int64s(3), b.Int64s(2)])));
        var c = new OnnxTestModel(3, 4, 4);
        var y = c.Conv(Input, 3, 10, 1);
        Assert.Contains("node 'odd' (Slice): step 2 on axis 1 is not supported",
            Refused(c, c.Node("Slice", "odd", [y, c.Int64s(0), c.Int64s(10), c.Int64s(1), c.Int64s(2)])));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Mul_of_a_map_and_per_channel_gates_is_a_scale_with_the_map_first(bool gateFirst)
    {
        var b = new OnnxTestModel(3, 4, 4);
        var x = b.Conv(Input, 3, 6, 1);
        var gate = b.Node("HardSigmoid", "hs", [b.Conv(b.Node("GlobalAveragePool", "gap", [x]), 6, 6, 1, relu: false)], Float("alpha", 1f / 6), Float("beta", 0.5f));
        var net = Layers(b, b.Node("Mul", "se", gateFirst ? [gate, x] : [x, gate]));
        Assert.Equal((new ScaleLayer("scale2"), "conv1,hardsigmoid_2"), Shown(net.Layers[^1]));
        Assert.Equal(new Shape(6, 4, 4), net.OutputShape);
    }

    [Fact]
    public void Mul_of_two_maps_or_by_a_constant_is_refused()
    {
        var b = new OnnxTestModel(3, 4, 4);
        var x = b.Conv(Input, 3, 6, 1);
        Assert.Equal("m.onnx: node 'square' (Mul): Mul of a 6x4x4 and a 6x4x4 tensor is not supported; only a CxHxW map times Cx1x1 per-channel scales "
            + "(squeeze-and-excitation) or x * HardSigmoid(x) (hard-swish)", Refused(b, b.Node("Mul", "square", [x, b.Conv(Input, 3, 6, 1)])));
        var c = new OnnxTestModel(3, 4, 4);
        var y = c.Conv(Input, 3, 6, 1);
        var two = c.Scalar(2);
        Assert.Contains($"node 'times2' (Mul): input '{two}' is a constant", Refused(c, c.Node("Mul", "times2", [y, two])));
    }

    [Fact]
    public void Concat_reads_slices_and_shuffles()
    {
        var net = OnnxImporter.Import(CompactGraphs.Operator("concat_of_slice_and_shuffle").Bytes(), "m").Network;
        Assert.Equal([(new ChannelSliceLayer("slice1", 1, 3), ""), (new ChannelShuffleLayer("shuffle1", 2), "conv1"), (new ConcatLayer("concat1"), "slice1,shuffle1")],
            net.Layers.Skip(1).Select(Shown));
        Assert.Equal(new Shape(11, 9, 9), net.OutputShape);
    }

    public static TheoryData<string> Networks => new(CompactGraphs.NetworkNames);

    [Theory]
    [MemberData(nameof(Networks))]
    public void Imported_network_round_trips_through_json(string name)
    {
        var network = OnnxImporter.Import(CompactGraphs.ByName(name).Bytes(), name).Network;
        var back = NetworkJson.Parse(NetworkJson.Serialize(network));
        Assert.Equal(network.Name, back.Name);
        Assert.Equal(network.InputShape, back.InputShape);
        Assert.Equal(network.Layers.Select(Shown), back.Layers.Select(Shown));
        Assert.Equal(network.Nodes.Select(n => (n.Name, n.Output, n.Parameters, n.Macs)), back.Nodes.Select(n => (n.Name, n.Output, n.Parameters, n.Macs)));
    }

    [Fact]
    public void Compact_networks_import_to_the_expected_layer_kinds()
    {
        static string Kinds(Network n) => string.Join(" ", n.Layers.Select(l => l switch
        {
            ConvLayer { Groups: > 1 } c => $"dw{c.Groups}",
            ActivationLayer a => ActivationLayer.FunctionName(a.Function),
            _ => l.Kind,
        }));
        Assert.Equal("conv relu6 dw8 relu6 conv relu6 dw16 conv gavgpool conv",
            Kinds(OnnxImporter.Import(CompactGraphs.MobileNetV1Like().Bytes(), "v1").Network));
        Assert.Equal("conv relu6 conv relu6 dw24 relu6 conv add conv relu6 dw24 relu6 conv conv relu6 dw36 relu6 conv add conv relu6 gavgpool conv",
            Kinds(OnnxImporter.Import(CompactGraphs.MobileNetV2Like().Bytes(), "v2").Network));
        Assert.Equal("conv maxpool slice slice conv dw8 conv concat shuffle slice slice conv dw8 conv concat shuffle dw16 conv conv dw16 conv concat shuffle gavgpool conv",
            Kinds(OnnxImporter.Import(CompactGraphs.ShuffleNetV2Like().Bytes(), "sv2").Network));
        Assert.Equal("conv hardswish dw16 gavgpool conv conv hardsigmoid scale conv add avgpool gavgpool conv",
            Kinds(OnnxImporter.Import(CompactGraphs.SeBlock().Bytes(), "se").Network));
    }
}
