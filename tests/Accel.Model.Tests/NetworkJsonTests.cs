using Accel.Model.Networks;
using Xunit;

namespace Accel.Model.Tests;

public class NetworkJsonTests
{
    private const string TinyFire = """
        {
          "name": "tiny",
          "input": [3, 33, 33],
          "layers": [
            { "type": "conv", "name": "conv1", "out": 16, "kernel": 3, "stride": 2 },
            { "type": "maxpool", "name": "pool1", "kernel": 3, "stride": 2 },
            { "type": "fire", "name": "fire2", "inChannels": 16, "squeeze": 4, "expand1x1": 8, "expand3x3": 8 },
            { "type": "dropout", "name": "drop2" },
            { "type": "conv", "name": "conv3", "out": 10, "kernel": 1 },
            { "type": "gavgpool", "name": "pool3" }
          ]
        }
        """;

    [Fact]
    public void ParsesAFireStack()
    {
        var net = NetworkJson.Parse(TinyFire);
        Assert.Equal("tiny", net.Name);
        Assert.Equal(new Shape(16, 8, 8), net["pool1"].Output);
        Assert.Equal(new Shape(10, 1, 1), net.OutputShape);
    }

    [Theory]
    [InlineData(BuiltinNetworks.SqueezeNet10)]
    [InlineData(BuiltinNetworks.SqueezeNet10Caffe)]
    [InlineData(BuiltinNetworks.SqueezeNet11)]
    public void RoundTripsBuiltins(string name)
    {
        var net = BuiltinNetworks.Get(name);
        var again = NetworkJson.Parse(NetworkJson.Serialize(net));
        Assert.Equal(net.Summaries, again.Summaries);
        Assert.Equal(net.Nodes.Select(n => (n.Name, n.Op, n.Output)), again.Nodes.Select(n => (n.Name, n.Op, n.Output)));
    }

    [Theory]
    [InlineData("\"inChannels\": 16", "\"inChannels\": 32", "fire2", "inChannels")]
    [InlineData("\"squeeze\": 4", "\"squeeze\": 0", "fire2", "squeeze")]
    [InlineData("\"squeeze\": 4", "\"squeeze\": \"four\"", "fire2", "squeeze")]
    [InlineData("\"out\": 16", "\"outs\": 16", "conv1", "outs")]
    [InlineData("\"type\": \"maxpool\"", "\"type\": \"lstm\"", "pool1", "type")]
    [InlineData("\"stride\": 2 },", "\"stride\": 2, \"relu\": 1 },", "conv1", "relu")]
    [InlineData("[3, 33, 33]", "[3, 33]", "tiny", "input")]
    public void InconsistentDescriptionsNameLayerAndField(string from, string to, string layer, string field)
    {
        var e = Assert.Throws<NetworkException>(() => NetworkJson.Parse(TinyFire.Replace(from, to)));
        Assert.Equal(layer, e.Layer);
        Assert.Equal(field, e.Field);
        Assert.Contains(layer, e.Message);
    }

    [Fact]
    public void NotJsonIsAClearError()
    {
        var e = Assert.Throws<NetworkException>(() => NetworkJson.Parse("{ nope", "mine"));
        Assert.Equal("json", e.Field);
    }
}
