using Accel.Model.Networks;
using Accel.Model.Weights;
using Xunit;
using Xunit.Abstractions;

namespace Accel.Model.Tests;

/// <summary>The compact networks' descriptions against their papers' published sizes, and the new operators' shape rules.</summary>
public class CompactNetworkTests(ITestOutputHelper output)
{
    // Published: MobileNet v1 (Howard et al. 2017, Tables 1, 6, 7), MobileNet v2 (Sandler et al. 2018,
    // Table 4), ShuffleNet v1 (Zhang et al. 2018, Table 2: 140 MFLOPs at 1x for every g), ShuffleNet
    // v2 (Ma et al. 2018, Table 5). The papers count multiply-adds ("FLOPs") of convolutions and the
    // classifier; parameters here include each conv's bias (batch norm folded), so they sit a little above.
    // The published MACs are rounded: 14 M for 0.25-128 has two digits, so it gets 4 %.
    [Fact]
    public void LayerTablesNameGroupedAndDepthwiseConvolutions()
    {
        var mobile = BuiltinNetworks.Get("mobilenet_v1_0.25_128").Summaries;
        Assert.Equal("dwconv", mobile.Single(s => s.Name == "block1/dw").Kind);
        Assert.Equal("conv", mobile.Single(s => s.Name == "block1/pw").Kind);
        var shuffle = BuiltinNetworks.Get("shufflenet_v1_g3").Summaries;
        Assert.Contains(shuffle, s => s.Kind == "conv g=3");
    }

    [Theory]
    [InlineData("mobilenet_v1", 569e6, 4.2e6, 0.03)]
    [InlineData("mobilenet_v1_0.5_160", 77e6, 1.32e6, 0.03)]
    [InlineData("mobilenet_v1_0.25_128", 14e6, 0.47e6, 0.04)]
    [InlineData("mobilenet_v2", 300e6, 3.4e6, 0.03)]
    [InlineData("shufflenet_v2", 146e6, 2.3e6, 0.03)]
    [InlineData("shufflenet_v2_x0.5", 41e6, 1.4e6, 0.03)]
    public void MacsAndParametersMatchThePapers(string name, double macs, double parameters, double tolerance)
    {
        var network = BuiltinNetworks.Get(name);
        output.WriteLine($"{name}: {network.Macs:N0} MACs (published {macs:N0}), {network.Parameters:N0} parameters (published {parameters:N0})");
        Assert.InRange(network.Macs, macs * (1 - tolerance), macs * (1 + tolerance));
        Assert.InRange(network.Parameters, parameters * 0.97, parameters * 1.04);
        Assert.Equal(new Shape(1000, 1, 1), network.OutputShape);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(8)]
    public void ShuffleNetV1IsAbout140MMacsForEveryGroupCount(int groups)
    {
        var network = CompactNetworks.ShuffleNetV1(groups);
        output.WriteLine($"g = {groups}: {network.Macs:N0} MACs, {network.Parameters:N0} parameters");
        Assert.InRange(network.Macs, 130e6, 150e6);
        // Every 1x1 conv but stage 2's first is grouped g ways.
        Assert.All(network.Nodes.Where(n => n.Name.EndsWith("/gconv2", StringComparison.Ordinal)), n => Assert.Equal(groups, ((ConvLayer)n.Op).Groups));
        Assert.Equal(1, ((ConvLayer)network["stage2/unit1/gconv1"].Op).Groups);
    }

    [Fact]
    public void SimpleBypassAddsNoParametersAndComplexBypassAddsTheProjections()
    {
        var plain = BuiltinNetworks.Get(BuiltinNetworks.SqueezeNet10);
        var simple = BuiltinNetworks.Get(BuiltinNetworks.SqueezeNet10Bypass);
        var complex = BuiltinNetworks.Get(BuiltinNetworks.SqueezeNet10ComplexBypass);
        Assert.Equal(plain.Parameters, simple.Parameters);
        Assert.Equal(plain.Macs, simple.Macs);
        Assert.Equal(new[] { "fire3/bypass", "fire5/bypass", "fire7/bypass", "fire9/bypass" }, simple.Nodes.Where(n => n.Op is AddLayer).Select(n => n.Name));
        // fire3's bypass adds fire2's output; fire5's adds pool4 (fire4's output pooled).
        Assert.Equal(new[] { "fire3/concat", "fire2/concat" }, simple["fire3/bypass"].Inputs);
        Assert.Equal(new[] { "fire5/concat", "pool4" }, simple["fire5/bypass"].Inputs);
        // Complex: 1x1 projections 96->128, 128->256, 256->384, 384->512, with biases.
        long projections = (96 * 128 + 128) + (128 * 256 + 256) + (256 * 384 + 384) + (384 * 512 + 512);
        Assert.Equal(plain.Parameters + projections, complex.Parameters);
        Assert.Equal(8, complex.Nodes.Count(n => n.Op is AddLayer));
        Assert.Equal(complex["fire2/concat"].Output, complex["fire2/bypass1x1"].Output);
        Assert.Equal(128, complex["fire2/bypass1x1"].Output.Channels);
    }

    [Fact]
    public void DepthwiseConvolutionsCountOneInputChannelPerOutput()
    {
        var network = BuiltinNetworks.Get(BuiltinNetworks.MobileNetV1);
        var dw = network["block1/dw"];
        Assert.Equal(new Shape(32, 112, 112), dw.Output);
        Assert.Equal(32L * 9 + 32, dw.Parameters);
        Assert.Equal(32L * 9 * 112 * 112, dw.Macs);
        Assert.Equal(new Shape(1024, 7, 7), network["block13/pw"].Output);
    }

    [Fact]
    public void MobileNetV2ResidualsJoinBlocksOfEqualShape()
    {
        var network = BuiltinNetworks.Get(BuiltinNetworks.MobileNetV2);
        var adds = network.Nodes.Where(n => n.Op is AddLayer).ToList();
        Assert.Equal(10, adds.Count);  // 1 + 2 + 3 + 2 + 2 repeats at stride 1 with equal channels
        Assert.All(adds, a => Assert.Equal(a.InputShapes[0], a.InputShapes[1]));
        Assert.Equal(new Shape(1280, 7, 7), network["conv_last"].Output);
    }

    [Fact]
    public void ShuffleNetV2SplitsConcatenatesAndShuffles()
    {
        var network = BuiltinNetworks.Get(BuiltinNetworks.ShuffleNetV2);
        Assert.Equal(new Shape(58, 28, 28), network["stage2/unit2/split/left"].Output);
        Assert.Equal(new Shape(116, 28, 28), network["stage2/unit2/shuffle"].Output);
        Assert.Equal(new Shape(464, 7, 7), network["stage4/unit4/shuffle"].Output);
        Assert.Equal(16, network.Nodes.Count(n => n.Op is ChannelShuffleLayer));
    }

    [Theory]
    [InlineData("mobilenet_v1_0.25_128")]
    [InlineData("mobilenet_v2")]
    [InlineData("shufflenet_v1")]
    [InlineData("shufflenet_v2_x0.5")]
    [InlineData("squeezenet1_0_complex_bypass")]
    public void DescriptionsRoundTripThroughJson(string name)
    {
        var network = BuiltinNetworks.Get(name);
        var back = NetworkJson.Parse(NetworkJson.Serialize(network));
        Assert.Equal((network.Parameters, network.Macs, network.Nodes.Count), (back.Parameters, back.Macs, back.Nodes.Count));
        Assert.Equal(network.Nodes.Select(n => (n.Name, n.Output)), back.Nodes.Select(n => (n.Name, n.Output)));
    }

    [Theory]
    [InlineData("squeezenet1_0_bypass")]
    [InlineData("squeezenet1_0_complex_bypass")]
    [InlineData("mobilenet_v1_0.25_128")]
    [InlineData("mobilenet_v2")]
    [InlineData("shufflenet_v1")]
    [InlineData("shufflenet_v2_x0.5")]
    public void EveryCompactNetworkPassesTheEngineGuard(string name)
    {
        var network = BuiltinNetworks.Get(name);
        Assert.Equal(network.Convolutions.Count(), FloatModel.Seeded(network, 1).Weights.Count);
        network.RequireEngineOperators("the engine schedule");
        Assert.All(network.Nodes, n => Assert.True(Network.RunsOnEngine(n), n.Name));
    }

    [Theory]
    [InlineData("""{ "type": "conv", "name": "g", "out": 6, "kernel": 1, "groups": 4 }""", "g", "groups")]
    [InlineData("""{ "type": "shuffle", "name": "s", "groups": 5 }""", "s", "groups")]
    [InlineData("""{ "type": "slice", "name": "s", "start": 6, "count": 4 }""", "s", "start")]
    [InlineData("""{ "type": "activation", "name": "a", "function": "gelu" }""", "a", "function")]
    [InlineData("""{ "type": "avgpool", "name": "p", "kernel": 3, "stride": 2, "pad": 2 }""", "p", "pad")]
    public void BadOperatorsNameTheLayerAndField(string layer, string name, string field)
    {
        string json = $$"""{ "name": "bad", "input": [8, 8, 8], "layers": [ {{layer}} ] }""";
        var e = Assert.Throws<NetworkException>(() => NetworkJson.Parse(json));
        Assert.Equal((name, field), (e.Layer, e.Field));
    }

    [Fact]
    public void AddAndScaleCheckTheirInputs()
    {
        string json = """
            { "name": "se", "input": [8, 6, 6], "layers": [
              { "type": "conv", "name": "a", "out": 8, "kernel": 3, "pad": 1 },
              { "type": "conv", "name": "b", "out": 4, "kernel": 3, "pad": 1, "inputs": ["input"] },
              { "type": "add", "name": "sum", "inputs": ["a", "b"] } ] }
            """;
        Assert.Equal(("sum", "inputs"), Fields(Assert.Throws<NetworkException>(() => NetworkJson.Parse(json))));
        string se = """
            { "name": "se", "input": [8, 6, 6], "layers": [
              { "type": "conv", "name": "a", "out": 8, "kernel": 3, "pad": 1 },
              { "type": "gavgpool", "name": "squeeze" },
              { "type": "conv", "name": "reduce", "out": 2, "kernel": 1 },
              { "type": "conv", "name": "expand", "out": 8, "kernel": 1, "relu": false },
              { "type": "activation", "name": "gate", "function": "hardsigmoid" },
              { "type": "scale", "name": "excite", "inputs": ["a", "gate"] } ] }
            """;
        var network = NetworkJson.Parse(se);
        Assert.Equal(new Shape(8, 6, 6), network.OutputShape);
        Assert.Equal(8L * 6 * 6, network["excite"].Macs);
    }

    private static (string, string) Fields(NetworkException e) => (e.Layer, e.Field);
}
