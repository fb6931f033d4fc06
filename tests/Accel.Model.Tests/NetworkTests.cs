using Accel.Model.Networks;
using Xunit;

namespace Accel.Model.Tests;

public class NetworkTests
{
    [Theory] // MAXPOOL ceil mode: SqueezeNet's 3x3/2 pools, and the rule that drops a window starting in the padding.
    [InlineData(111, 3, 2, 0, true, 55)]
    [InlineData(113, 3, 2, 0, true, 56)]
    [InlineData(112, 3, 2, 0, true, 56)]   // floor mode would give 55
    [InlineData(112, 3, 2, 0, false, 55)]
    [InlineData(5, 2, 2, 1, true, 3)]      // the 4th window would start in the padding
    [InlineData(224, 3, 2, 0, false, 111)] // conv1 of SqueezeNet 1.1
    [InlineData(227, 7, 2, 0, false, 111)] // conv1 of SqueezeNet 1.0
    public void OutputSizes(int size, int k, int s, int p, bool ceil, int expected) =>
        Assert.Equal(expected, Network.OutputSize(size, k, s, p, ceil));

    [Fact]
    public void FireExpandsToThreeConvsAndAConcat()
    {
        var net = new Network("t", new Shape(8, 9, 7), [new FireLayer("fire2", 3, 5, 6)]);
        Assert.Equal(["fire2/squeeze1x1", "fire2/expand1x1", "fire2/expand3x3", "fire2/concat"], net.Nodes.Select(n => n.Name));
        Assert.Equal(new Shape(11, 9, 7), net.OutputShape);
        Assert.Equal(["fire2/expand1x1", "fire2/expand3x3"], net["fire2/concat"].Inputs);
        Assert.Equal(8 * 3 + 3 + 3 * 5 + 5 + 3 * 9 * 6 + 6, net.Parameters);
    }

    [Fact]
    public void DropoutIsRemovedFromTheGraph()
    {
        var net = new Network("t", new Shape(4, 5, 5), [new ConvLayer("a", 4, 1), new DropoutLayer("d"), new ConvLayer("b", 2, 1)]);
        Assert.Equal(["a", "b"], net.Nodes.Select(n => n.Name));
        Assert.Equal(["a"], net["b"].Inputs);
        Assert.Equal(4, net.Summaries.Count + 1);
    }

    [Fact]
    public void ExplicitInputsMakeAGraph()
    {
        var net = new Network("t", new Shape(4, 6, 6),
        [
            new ConvLayer("a", 3, 1),
            new ConvLayer("b", 5, 3, Padding: 1) { Inputs = ["input"] },
            new ConcatLayer("cat") { Inputs = ["a", "b"] },
        ]);
        Assert.Equal(new Shape(8, 6, 6), net.OutputShape);
    }

    [Fact]
    public void ErrorsNameLayerAndField()
    {
        var e = Assert.Throws<NetworkException>(() => new Network("t", new Shape(3, 8, 8), [new ConvLayer("c", 0, 1)]));
        Assert.Equal(("c", "outChannels"), (e.Layer, e.Field));
        e = Assert.Throws<NetworkException>(() => new Network("t", new Shape(3, 4, 4), [new ConvLayer("c", 8, 7)]));
        Assert.Equal(("c", "kernel"), (e.Layer, e.Field));
        e = Assert.Throws<NetworkException>(() => new Network("t", new Shape(3, 8, 8), [new ConvLayer("c", 8, 1), new ConvLayer("c", 8, 1)]));
        Assert.Equal(("c", "name"), (e.Layer, e.Field));
        e = Assert.Throws<NetworkException>(() => new Network("t", new Shape(3, 8, 8), [new ConvLayer("c", 8, 1) { Inputs = ["nope"] }]));
        Assert.Equal(("c", "inputs"), (e.Layer, e.Field));
        e = Assert.Throws<NetworkException>(() => new Network("t", new Shape(3, 8, 8),
            [new ConvLayer("a", 2, 1), new ConvLayer("b", 2, 3, Stride: 2) { Inputs = ["input"] }, new ConcatLayer("cat") { Inputs = ["a", "b"] }]));
        Assert.Equal(("cat", "inputs"), (e.Layer, e.Field));
    }
}

public class TensorGroupTests
{
    [Fact]
    public void ReluOutputsArePoolsAndConcatsOfThemAreUnsigned()
    {
        var net = new Network("t", new Shape(3, 16, 16),
        [
            new ConvLayer("conv1", 8, 3),
            new MaxPoolLayer("pool1", 3, 2),
            new FireLayer("fire2", 4, 6, 6),
            new ConvLayer("linear", 5, 1, Relu: false),
            new GlobalAvgPoolLayer("gap"),
        ]);
        var unsigned = Quantized.TensorGroups.UnsignedTensors(net);
        Assert.Equal(
            ["conv1", "fire2/concat", "fire2/expand1x1", "fire2/expand3x3", "fire2/squeeze1x1", "pool1"],
            unsigned.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void AConcatWithASignedInputMakesTheWholeGroupSigned()
    {
        var net = new Network("t", new Shape(2, 6, 6),
        [
            new ConvLayer("relu", 3, 1),
            new ConvLayer("linear", 3, 1, Relu: false) { Inputs = ["input"] },
            new ConcatLayer("cat") { Inputs = ["relu", "linear"] },
            new MaxPoolLayer("pool", 2, 2) { Inputs = ["input"] },
        ]);
        var groups = Quantized.TensorGroups.ScaleGroups(net);
        Assert.Equal(groups["relu"], groups["cat"]);
        Assert.Equal(groups["linear"], groups["cat"]);
        Assert.Equal(groups["input"], groups["pool"]);
        Assert.Empty(Quantized.TensorGroups.UnsignedTensors(net));
    }
}
