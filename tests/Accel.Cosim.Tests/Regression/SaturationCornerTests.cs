using Accel.Cosim.Regression;
using Accel.Golden;
using Accel.Model.Arithmetic;
using Accel.Model.Networks;
using Xunit;

namespace Accel.Cosim.Tests.Regression;

/// <summary>The corners really reach the contract's edges in the golden model, and keep the int32 contract.</summary>
public class SaturationCornerTests
{
    private static readonly Network SignedConv = new("corner", new Shape(5, 6, 7), [new ConvLayer("c", 9, 3, 1, 1, Relu: false)]);

    private static (int[] Values, int Lo, int Hi) Outputs(string corner, Network network)
    {
        var c = new RegressionCase("test", "unit", 0, 2, CaseKinds.Conv, corner, 1234, network);
        var model = c.CreateModel();
        var output = new ScalarReference().Run(model, c.CreateInput()).Output;
        var (lo, hi) = model.OutputRange(network[network.OutputNode]);
        return (Enumerable.Range(0, output.Data.Length).Select(output.ValueAt).ToArray(), lo, hi);
    }

    [Theory]
    [InlineData(SaturationCorners.RequantClamp)]
    [InlineData(SaturationCorners.BiasLimit)]
    public void OutputsClampAtBothEnds(string corner)
    {
        var (values, lo, hi) = Outputs(corner, SignedConv);
        Assert.Equal((-128, 127), (lo, hi));
        Assert.Contains(lo, values);
        Assert.Contains(hi, values);
        Assert.True(values.Count(v => v == lo || v == hi) >= values.Length * 9 / 10, string.Join(",", values));
    }

    [Fact]
    public void WeightCornersWithExtremeInputsSaturate()
    {
        var (max, _, hi) = Outputs(SaturationCorners.WeightsMax, SignedConv);
        var (min, lo, _) = Outputs(SaturationCorners.WeightsMin, SignedConv);
        Assert.Contains(hi, max);
        Assert.Contains(lo, min);
    }

    [Theory]
    [InlineData(SaturationCorners.RequantZero)]
    [InlineData(SaturationCorners.Shift62)]
    public void VanishingScalesGiveZero(string corner) => Assert.All(Outputs(corner, SignedConv).Values, v => Assert.Equal(0, v));

    [Fact]
    public void ReluConvClampsAtZeroAndItsUnsignedTop()
    {
        // A lone conv with fused ReLU is stored unsigned: [0, 255].
        var net = new Network("relu", new Shape(4, 5, 5), [new ConvLayer("c", 6, 1, 1, 0, Relu: true)]);
        var (values, lo, hi) = Outputs(SaturationCorners.RequantClamp, net);
        Assert.Equal((0, 255), (lo, hi));
        Assert.Contains(0, values);
        Assert.Contains(255, values);
    }

    [Fact]
    public void CornersKeepTheInt32Contract()
    {
        foreach (var c in RegressionSuite.Generate(RegressionSuite.Full, 3).Where(c => c.Corner != SaturationCorners.None).Take(60))
        {
            var model = c.CreateModel();
            foreach (var (name, conv) in model.Convs)
            {
                Assert.All(conv.Bias, b => Assert.InRange(b, -Int8Arithmetic.BiasLimit, Int8Arithmetic.BiasLimit));
                Assert.InRange(conv.Weights.Length / conv.Bias.Length, 1, Int8Arithmetic.MaxFanIn);
                Assert.All(conv.Weights, w => Assert.InRange(w, -Int8Arithmetic.WeightMax, Int8Arithmetic.WeightMax));
                Assert.All(conv.Requant, rq => Assert.InRange(rq.Shift, Int8Arithmetic.MinShift, Int8Arithmetic.MaxShift));
            }
        }
    }

    [Fact]
    public void MixedCornerVariesPerChannel()
    {
        var c = new RegressionCase("test", "unit", 0, 2, CaseKinds.Conv, SaturationCorners.Mixed, 99,
            new Network("mixed", new Shape(3, 4, 4), [new ConvLayer("c", 40, 1, 1, 0, Relu: false)]));
        var conv = c.CreateModel().Convs["c"];
        Assert.Contains(conv.Requant, rq => rq.Multiplier == ushort.MaxValue);
        Assert.Contains(conv.Requant, rq => rq.Multiplier == 0);
        Assert.Contains(conv.Bias, b => Math.Abs(b) > Int8Arithmetic.BiasLimit / 2);
        Assert.Contains(conv.Requant, rq => rq.Multiplier is > 0 and < ushort.MaxValue && rq.Shift is > 1 and < 62);
    }
}
