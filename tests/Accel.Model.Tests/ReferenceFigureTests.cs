using Accel.Model.Networks;
using Xunit;

namespace Accel.Model.Tests;

/// <summary>The parameter and MAC counts DESIGN.md lists as facts.</summary>
public class ReferenceFigureTests
{
    [Theory]
    [InlineData(BuiltinNetworks.SqueezeNet10, 1_248_424L, 818_924_576L)]
    [InlineData(BuiltinNetworks.SqueezeNet10Caffe, 1_248_424L, 861_339_936L)]
    [InlineData(BuiltinNetworks.SqueezeNet11, 1_235_496L, 349_151_936L)]
    public void BuiltinNetworksMatchPublishedCounts(string name, long parameters, long macs)
    {
        var network = BuiltinNetworks.Get(name);
        Assert.Equal(parameters, network.Parameters);
        Assert.Equal(macs, network.Macs);
        Assert.Equal(new Shape(1000, 1, 1), network.OutputShape);
    }

    [Fact]
    public void SqueezeNet10At227WithoutCaffePadding()
    {
        var network = BuiltinNetworks.SqueezeNet1_0(caffe: false).WithInput(new Shape(3, 227, 227));
        Assert.Equal(832_667_936L, network.Macs);
    }

    [Fact]
    public void CaffeConv10IsFifteenByFifteen()
    {
        var network = BuiltinNetworks.Get(BuiltinNetworks.SqueezeNet10Caffe);
        Assert.Equal(new Shape(1000, 15, 15), network["conv10"].Output);
        Assert.Equal(new Shape(1000, 13, 13), BuiltinNetworks.Get(BuiltinNetworks.SqueezeNet10)["conv10"].Output);
    }

    [Fact]
    public void ExpandThreeByThreeIsAboutEightyPercentOfEachFire()
    {
        var network = BuiltinNetworks.Get(BuiltinNetworks.SqueezeNet11);
        foreach (var fire in network.Layers.OfType<FireLayer>())
        {
            double share = (double)network[fire.Expand3x3Name].Macs / network.Summaries.Single(s => s.Name == fire.Name).Macs;
            Assert.InRange(share, 0.75, 0.85);
        }
    }
}
