using Accel.Hardware.Program;
using Accel.Cosim.Regression;
using Accel.Model.Networks;
using Xunit;

namespace Accel.Cosim.Tests.Regression;

public class RegressionSuiteTests
{
    [Theory]
    [InlineData(RegressionSuite.Smoke)]
    [InlineData(RegressionSuite.Full)]
    public void TheSameSeedGivesTheSameCases(string suite)
    {
        var a = RegressionSuite.Generate(suite, 42);
        var b = RegressionSuite.Generate(suite, 42);
        Assert.Equal(a.Select(c => (c.Id, c.Seed, c.Description)), b.Select(c => (c.Id, c.Seed, c.Description)));
        Assert.Equal(a.Count, a.Select(c => c.Id).Distinct().Count());
        var other = RegressionSuite.Generate(suite, 43);
        Assert.NotEqual(a.Select(c => c.Description), other.Select(c => c.Description));
    }

    [Fact]
    public void SmokeCoversEveryKindCornerAndArraySizeWithinTheSizeLimits()
    {
        var smoke = RegressionSuite.Generate(RegressionSuite.Smoke, 1);
        Assert.InRange(smoke.Count, 24, 60);
        Assert.InRange(RegressionSuite.Generate(RegressionSuite.Full, 1).Count, 200, 999);
        Assert.Equal(RegressionSuite.ArraySizes, smoke.Select(c => c.ArraySize).Distinct().Order());
        Assert.Equal(CaseKinds.All.Order(), smoke.Select(c => c.Kind).Distinct().Order());
        Assert.Equal(SaturationCorners.All.Append(SaturationCorners.None).Order(), smoke.Select(c => c.Corner).Distinct().Order());
        foreach (var c in smoke)
        {
            Assert.StartsWith($"s1-c{c.Index:D3}-{c.ArraySize}x{c.ArraySize}-{c.Kind}", c.Id);
            Assert.InRange(c.Network.InputShape.Height, 1, RegressionSuite.MaxSpatial);
            Assert.InRange(c.Network.InputShape.Width, 1, RegressionSuite.MaxSpatial);
            Assert.All(c.Network.Nodes, n => Assert.InRange(n.Output.Channels, 1, 3 * RegressionSuite.MaxChannels));
        }
    }

    [Fact]
    public void TheFullSuiteHasTheAwkwardShapes()
    {
        var convs = RegressionSuite.Generate(RegressionSuite.Full, 7)
            .SelectMany(c => c.Network.Nodes.Where(n => n.Op is ConvLayer).Select(n => (Case: c, Node: n, Conv: (ConvLayer)n.Op))).ToList();
        Assert.Equal([1, 3, 7], convs.Select(x => x.Conv.KernelSize).Distinct().Order());
        Assert.Equal([1, 2], convs.Select(x => x.Conv.Stride).Distinct().Order());
        Assert.Contains(convs, x => x.Node.Output.Channels % x.Case.ArraySize != 0);
        Assert.Contains(convs, x => x.Node.Output.Channels % x.Case.ArraySize == 0 && x.Case.ArraySize > 2);
        Assert.Contains(convs, x => x.Node.Output is { Height: 1, Width: 1 });
        Assert.Contains(convs, x => x.Node.Input.Height % 2 == 1 && x.Node.Input.Width % 2 == 1);
        // The reduced accumulator splits the larger outputs into row bands and the small slots into
        // stripes and weight chunks; every case fits its array size's shared build.
        var schedules = RegressionSuite.Generate(RegressionSuite.Smoke, 7).Select(c => CosimBuildProfile.Plan(c.Network, c.Config)).ToList();
        var convInsns = schedules.SelectMany(s => s.Instructions.Where(i => i.Opcode == Opcode.Conv)).ToList();
        Assert.Contains(convInsns, i => i.Fields["bands"] > 1);
        Assert.Contains(convInsns, i => i.Fields["bands"] == 1 && i.Fields["oc_tiles"] > 1);
        Assert.Contains(schedules, s => s.Ops.Any(op => op.Stripes > 1 && op.Opcode == Opcode.Conv));
        Assert.Contains(schedules, s => s.Ops.Any(op => op.Stripes > 1 && op.Opcode == Opcode.MaxPool));
        Assert.Contains(schedules, s => s.Ops.Any(op => op.WeightChunks > 1));
        Assert.Single(schedules.Select(s => (s.Config with { Rows = 2, Cols = 2 }).Hash()).Distinct());
        // conv(ReLU) -> conv: the second conv reads an unsigned tensor.
        Assert.Contains(convs, x => x.Case.Kind == CaseKinds.ConvConv && x.Node.Name == "conv2");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(48)]
    [InlineData(100)]
    public void ShardsPartitionTheSuiteExactly(int count)
    {
        var suite = RegressionSuite.Generate(RegressionSuite.Smoke, 5);
        var shards = Enumerable.Range(1, count).Select(k => new Shard(k, count).Select(suite)).ToList();
        var ids = shards.SelectMany(s => s.Select(c => c.Id)).ToList();
        Assert.Equal(suite.Count, ids.Count);
        Assert.Equal(suite.Select(c => c.Id).Order(), ids.Order());
        for (int k = 0; k < count; k++)
            Assert.All(shards[k], c => Assert.Equal(k, c.Index % count));
    }

    [Theory]
    [InlineData("3/2")]
    [InlineData("0/4")]
    [InlineData("1/0")]
    [InlineData("2")]
    [InlineData("a/b")]
    [InlineData("1/2/3")]
    public void BadShardsAreRefused(string text) => Assert.Throws<FormatException>(() => Shard.Parse(text));

    [Fact]
    public void ShardParsesOneBased() => Assert.Equal((2, 4), (Shard.Parse("2/4").Index, Shard.Parse("2/4").Count));
}
