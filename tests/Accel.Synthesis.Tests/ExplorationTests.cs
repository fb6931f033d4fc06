using Accel.Synthesis.Boards;
using Accel.Synthesis.Exploration;
using Accel.Synthesis.Yosys;
using SkiaSharp;
using Xunit;

namespace Accel.Synthesis.Tests;

/// <summary>The sweep, the model and the plot with synthetic calibration data (no yosys).</summary>
public class ExplorationTests
{
    private static ResourceUsage Usage(long luts, long ffs, long dsps, long ramb36) => ResourceUsage.FromCells(new Dictionary<string, long>
    {
        ["LUT6"] = luts, ["FDRE"] = ffs, ["DSP48E1"] = dsps, ["RAMB36E1"] = ramb36,
    });

    /// <summary>A model whose LUT, FF and DSP counts follow known quadratics exactly.</summary>
    private static ResourceModel Model() => ResourceModel.Calibrate(new[] { 4, 8, 12, 16 }.Select(r =>
        new CalibrationSample(r, Usage(2000 + 150 * r + 40 * r * r, 1500 + 60 * r + 55 * r * r, 7 + 6 * r + r * r, 10), 10, 1, false, "x")).ToList());

    [Fact]
    public void TheModelReproducesItsCalibrationAndReportsItsError()
    {
        var m = Model();
        Assert.Equal(7 + 6 * 20 + 400, m.Predict(20, 0).Dsps, 6);
        Assert.Equal(2000 + 150 * 10 + 4000, m.Predict(10, 0).Luts, 6);
        Assert.True(m.MaxError(Resource.Lut) < 1e-9);
        Assert.True(m.MaxLeaveOneOutError(Resource.Dsp) < 1e-9);
        Assert.Equal(0, m.MaxError(Resource.Bram36));
        Assert.Contains("R^2", m.Formula(Resource.Lut));
    }

    [Fact]
    public void TheSweepKeepsFittingPointsAndTheirParetoFront()
    {
        var options = new ExplorationOptions { Sizes = [2, 4, 6, 8, 10, 12, 14, 16], AccumulatorDepths = [8, 512, 1024] };
        var r = DesignSpaceExplorer.Sweep(TestNetworks.Tiny(), Board.ArtyA7_35T, Model(), options);
        // An 8-pixel accumulator bank is shorter than conv1's 16-pixel output rows: refused.
        Assert.Equal(8, r.Rejected.Count);
        Assert.All(r.Rejected, x => Assert.Equal(8, x.Point.AccumulatorDepth));
        Assert.Equal(16, r.Points.Count);
        Assert.True(r.FrontFits);
        Assert.All(r.Front, p => Assert.True(p.Fits));
        // On the 35T, 90 DSPs: R^2 + 6R + 7 <= 90 up to R = 6.
        Assert.Equal(6, r.LargestFit!.Point.Size);
        Assert.Equal("DSP48", r.Points.First(p => p.Point.Size == 8).Scarcest);
        Assert.False(r.Points.First(p => p.Point.Size == 8).Fits);
        // frames/s is the clock over the cost model's cycles.
        Assert.All(r.Points, p => Assert.Equal(100e6 / p.Cycles, p.FramesPerSecond, 6));
        // No fitting point beats a front point in both directions.
        foreach (var f in r.Front)
            Assert.DoesNotContain(r.Points.Where(p => p.Fits), p => Pareto.Dominates(p.FramesPerSecond, p.Utilization, f.FramesPerSecond, f.Utilization));
        // Bigger arrays are faster here, so the largest fitting array is on the front.
        Assert.Contains(r.LargestFit, r.Front);
    }

    [Fact]
    public void WhenNothingFitsTheFrontOfAllPointsIsGivenForReference()
    {
        var tiny = new Board("tiny", "x", "a board with almost nothing", 100, 100, 4, 1);
        var r = DesignSpaceExplorer.Sweep(TestNetworks.Tiny(), tiny, Model(), new ExplorationOptions { Sizes = [2, 4], AccumulatorDepths = [1024] });
        Assert.False(r.FrontFits);
        Assert.Null(r.LargestFit);
        Assert.NotEmpty(r.Front);
    }

    [Fact]
    public void ThePlotIsAPngOfTheExpectedSize()
    {
        var r = DesignSpaceExplorer.Sweep(TestNetworks.Tiny(), Board.PynqZ2, Model(), new ExplorationOptions { Sizes = [2, 4, 8, 12], AccumulatorDepths = [512, 1024] });
        var path = Path.Combine(TestNetworks.TempDir(), "plot.png");
        ScatterPlot.Write(r, path);
        using var bitmap = SKBitmap.Decode(path);
        Assert.Equal((ScatterPlot.Width, ScatterPlot.Height), (bitmap.Width, bitmap.Height));
        // Something red (the front) was drawn.
        bool red = false;
        for (int y = 0; y < bitmap.Height && !red; y += 2)
            for (int x = 0; x < bitmap.Width && !red; x += 2)
            {
                var c = bitmap.GetPixel(x, y);
                red = c.Red > 180 && c.Green < 80 && c.Blue < 80;
            }
        Assert.True(red);
    }

    [Fact]
    public void TheDesignPointMapsToOneConfiguration()
    {
        var c = new DesignPoint(12, 2048).ToConfig();
        Assert.Equal((12, 12, 2048), (c.Rows, c.Cols, c.AccumulatorDepth));
        Assert.False(c.IsResolved);
    }
}
