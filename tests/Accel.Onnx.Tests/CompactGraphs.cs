using static Accel.Onnx.Tests.OnnxTestModel;

namespace Accel.Onnx.Tests;

/// <summary>
/// Small ONNX graphs shaped like PyTorch exports of the compact networks (unfused BatchNormalization,
/// Clip as ReLU6, channel split and shuffle, squeeze-and-excitation), and one graph per operator.
/// </summary>
internal static class CompactGraphs
{
    /// <summary>A graph and its output tensor, saved under the name on demand.</summary>
    public sealed record Graph(OnnxTestModel Builder, string Output, string Name)
    {
        public string Save() => Builder.Save(Output, Name);
        public byte[] Bytes() => Builder.Bytes(Output);
    }

    private static string ConvBn(OnnxTestModel b, string x, int cin, int cout, int k, int stride = 1, int groups = 1) =>
        b.BatchNorm(b.Conv(x, cin, cout, k, stride, pad: k / 2, relu: false, bias: false, groups: groups), cout);

    private static string Relu6(OnnxTestModel b, string x) => b.Node("Clip", $"clip_{x}", [x, b.Scalar(0), b.Scalar(6)]);

    private static string Relu(OnnxTestModel b, string x) => b.Node("Relu", $"relu_{x}", [x]);

    /// <summary>Channel shuffle as PyTorch exports it; the closing reshape uses -1 for the channels.</summary>
    public static string Shuffle(OnnxTestModel b, string x, int channels, int groups, int h, int w)
    {
        var grouped = b.Node("Reshape", $"shuffle_view_{x}", [x, b.Int64s(1, groups, channels / groups, h, w)]);
        var swapped = b.Node("Transpose", $"shuffle_transpose_{x}", [grouped], Ints("perm", 0, 2, 1, 3, 4));
        return b.Node("Reshape", $"shuffle_flat_{x}", [swapped, b.Int64s(1, -1, h, w)]);
    }

    /// <summary>Standard and depthwise-separable convs with BN and ReLU6/ReLU, global pool, 1x1 classifier.</summary>
    public static Graph MobileNetV1Like()
    {
        var b = new OnnxTestModel(3, 16, 16, seed: 11);
        var x = Relu6(b, ConvBn(b, Input, 3, 8, 3, stride: 2));
        x = Relu6(b, ConvBn(b, x, 8, 8, 3, groups: 8));
        x = Relu6(b, ConvBn(b, x, 8, 16, 1));
        x = Relu(b, ConvBn(b, x, 16, 16, 3, stride: 2, groups: 16));
        x = Relu(b, ConvBn(b, x, 16, 24, 1));
        x = b.Node("GlobalAveragePool", "gap", [x]);
        x = b.Conv(x, 24, 10, 1, relu: false, name: "classifier");
        return new Graph(b, b.Node("Flatten", "flatten", [x], Int("axis", 1)), "mobilenet_v1_like");
    }

    /// <summary>Inverted residuals: expand 1x1, depthwise 3x3, linear projection, Add when the shapes allow.</summary>
    public static Graph MobileNetV2Like()
    {
        var b = new OnnxTestModel(3, 16, 16, seed: 12);
        var x = Relu6(b, ConvBn(b, Input, 3, 8, 3, stride: 2));
        string InvertedResidual(string input, int cin, int cout, int stride)
        {
            var y = Relu6(b, ConvBn(b, input, cin, cin * 3, 1));
            y = Relu6(b, ConvBn(b, y, cin * 3, cin * 3, 3, stride, groups: cin * 3));
            y = ConvBn(b, y, cin * 3, cout, 1);
            return stride == 1 && cin == cout ? b.Node("Add", $"add_{y}", [input, y]) : y;
        }
        x = InvertedResidual(x, 8, 8, 1);
        x = InvertedResidual(x, 8, 12, 2);
        x = InvertedResidual(x, 12, 12, 1);
        x = Relu6(b, ConvBn(b, x, 12, 32, 1));
        x = b.Node("GlobalAveragePool", "gap", [x]);
        return new Graph(b, b.Conv(x, 32, 10, 1, relu: false, name: "classifier"), "mobilenet_v2_like");
    }

    /// <summary>ShuffleNet v2 units: channel split (Split, then Slice), a depthwise branch, concat, shuffle; a downsampling unit.</summary>
    public static Graph ShuffleNetV2Like()
    {
        var b = new OnnxTestModel(3, 16, 16, seed: 13);
        var x = Relu(b, ConvBn(b, Input, 3, 16, 3, stride: 2));
        x = b.Node("MaxPool", "maxpool", [x], Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1));
        string Branch(string input, int cin, int cout, int stride)
        {
            var y = Relu(b, ConvBn(b, input, cin, cout, 1));
            y = ConvBn(b, y, cout, cout, 3, stride, groups: cout);
            return Relu(b, ConvBn(b, y, cout, cout, 1));
        }
        // Basic unit with Split (opset 13 sizes input).
        var halves = b.Nodes("Split", "split", [x, b.Int64s(8, 8)], 2, Int("axis", 1));
        x = b.Node("Concat", "cat1", [halves[0], Branch(halves[1], 8, 8, 1)], Int("axis", 1));
        x = Shuffle(b, x, 16, 2, 4, 4);
        // Basic unit with Slice, as newer exports write chunk().
        var first = b.Node("Slice", "slice_a", [x, b.Int64s(0), b.Int64s(8), b.Int64s(1)]);
        var second = b.Node("Slice", "slice_b", [x, b.Int64s(8), b.Int64s(long.MaxValue), b.Int64s(1)]);
        x = b.Node("Concat", "cat2", [first, Branch(second, 8, 8, 1)], Int("axis", 1));
        x = Shuffle(b, x, 16, 2, 4, 4);
        // Downsampling unit: both branches read the whole input.
        var left = Relu(b, ConvBn(b, ConvBn(b, x, 16, 16, 3, stride: 2, groups: 16), 16, 16, 1));
        x = b.Node("Concat", "cat3", [left, Branch(x, 16, 16, 2)], Int("axis", 1));
        x = Shuffle(b, x, 32, 2, 2, 2);
        x = b.Node("GlobalAveragePool", "gap", [x]);
        return new Graph(b, b.Conv(x, 32, 10, 1, relu: false, name: "classifier"), "shufflenet_v2_like");
    }

    /// <summary>MobileNet v3 style: hard-swish, depthwise conv, squeeze-and-excitation with the gate first in Mul, residual Add, 3x3 average pool.</summary>
    public static Graph SeBlock()
    {
        var b = new OnnxTestModel(3, 12, 12, seed: 14, opset: 14);
        var x = b.Node("HardSwish", "hswish", [ConvBn(b, Input, 3, 16, 3)]);
        var y = Relu(b, ConvBn(b, x, 16, 16, 3, groups: 16));
        var squeeze = b.Node("GlobalAveragePool", "se_pool", [y]);
        var gate = b.Conv(b.Conv(squeeze, 16, 4, 1, name: "se_reduce"), 4, 16, 1, relu: false, name: "se_expand");
        gate = b.Node("HardSigmoid", "se_gate", [gate], Float("alpha", 1f / 6), Float("beta", 0.5f));
        y = b.Node("Mul", "se_scale", [gate, y]);
        y = ConvBn(b, y, 16, 16, 1);
        x = b.Node("Add", "residual", [x, y]);
        x = b.Node("AveragePool", "avgpool", [x], Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1));
        x = b.Node("GlobalAveragePool", "gap", [x]);
        return new Graph(b, b.Conv(x, 16, 10, 1, relu: false, name: "classifier"), "se_block");
    }

    public static IEnumerable<string> NetworkNames => ["mobilenet_v1_like", "mobilenet_v2_like", "shufflenet_v2_like", "se_block"];

    public static IEnumerable<string> AllNames => OperatorNames.Concat(NetworkNames);

    /// <summary>A network or operator graph by name.</summary>
    public static Graph ByName(string name) => name switch
    {
        "mobilenet_v1_like" => MobileNetV1Like(),
        "mobilenet_v2_like" => MobileNetV2Like(),
        "shufflenet_v2_like" => ShuffleNetV2Like(),
        "se_block" => SeBlock(),
        _ => Operator(name),
    };

    public static IEnumerable<string> OperatorNames =>
    [
        "grouped_conv", "depthwise_conv_bn", "add", "add_relu", "relu_standalone", "clip_inputs", "clip_attributes",
        "hardsigmoid", "hardswish", "hardswish_mul", "avgpool", "shuffle", "split_input", "split_attribute",
        "split_num_outputs", "slice", "scale", "concat_of_slice_and_shuffle",
    ];

    /// <summary>A graph with one instance of the operator after a conv, so its input takes both signs.</summary>
    public static Graph Operator(string name)
    {
        int opset = name switch { "clip_attributes" => 10, "split_attribute" => 11, "hardswish" => 14, "split_num_outputs" => 18, _ => 13 };
        var b = new OnnxTestModel(4, 9, 9, seed: 21, opset: opset);
        var x = b.Conv(Input, 4, 8, 3, pad: 1, relu: false, name: "stem");
        string y = name switch
        {
            "grouped_conv" => b.Conv(x, 8, 6, 3, pad: 1, relu: false, groups: 2),
            "depthwise_conv_bn" => b.BatchNorm(b.Conv(x, 8, 8, 3, stride: 2, pad: 1, relu: false, groups: 8), 8),
            "add" => b.Node("Add", "add", [x, b.Conv(x, 8, 8, 1, relu: false)]),
            "add_relu" => b.Node("Relu", "relu", [b.Node("Add", "add", [b.Conv(x, 8, 8, 1, relu: false), x])]),
            "relu_standalone" => b.Node("Relu", "relu", [b.Node("MaxPool", "mp", [x], Ints("kernel_shape", 2, 2), Ints("strides", 2, 2))]),
            "clip_inputs" => b.Node("Clip", "clip", [x, b.Scalar(0), b.Scalar(6)]),
            "clip_attributes" => b.Node("Clip", "clip", [x], Float("min", 0), Float("max", 6)),
            "hardsigmoid" => b.Node("HardSigmoid", "hsig", [x], Float("alpha", 1f / 6), Float("beta", 0.5f)),
            "hardswish" => b.Node("HardSwish", "hswish", [x]),
            "hardswish_mul" => b.Node("Mul", "hswish", [x, b.Node("HardSigmoid", "hsig", [x], Float("alpha", 1f / 6), Float("beta", 0.5f))]),
            "avgpool" => b.Node("AveragePool", "avg", [x], Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1)),
            "shuffle" => Shuffle(b, x, 8, 4, 9, 9),
            "split_input" => SplitAndJoin(b, b.Nodes("Split", "split", [x, b.Int64s(3, 5)], 2, Int("axis", 1))),
            "split_attribute" => SplitAndJoin(b, b.Nodes("Split", "split", [x], 2, Int("axis", 1), Ints("split", 5, 3))),
            "split_num_outputs" => SplitAndJoin(b, b.Nodes("Split", "split", [x], 3, Int("axis", 1), Int("num_outputs", 3))),
            "slice" => b.Node("Slice", "slice", [x, b.Int64s(-6), b.Int64s(7), b.Int64s(-3)]),
            "scale" => b.Node("Mul", "scale", [x, b.Conv(b.Node("GlobalAveragePool", "gap", [x]), 8, 8, 1, relu: false)]),
            "concat_of_slice_and_shuffle" => b.Node("Concat", "cat", [b.Node("Slice", "slice", [x, b.Int64s(1), b.Int64s(4), b.Int64s(1)]), Shuffle(b, x, 8, 2, 9, 9)], Int("axis", 1)),
            _ => throw new ArgumentException($"no operator graph '{name}'"),
        };
        return new Graph(b, y, name);
    }

    /// <summary>Split parts swapped around a conv on the first, so every part reaches the output.</summary>
    private static string SplitAndJoin(OnnxTestModel b, string[] parts) =>
        b.Node("Concat", "join", [.. parts.Skip(1), b.Node("Relu", "part_relu", [parts[0]])], Int("axis", 1));
}
