using Accel.Hardware.Config;
using Accel.Hardware.Program;
using Accel.Hardware.Schedule;
using Accel.Synthesis.Boards;
using Accel.Synthesis.Exploration;
using Accel.Synthesis.Yosys;
using SkiaSharp;
using Xunit;

namespace Accel.Synthesis.Tests;

// Accel.Board (the host driver) is also a namespace under Accel: name the synthesis board type explicitly.
using Board = Accel.Synthesis.Boards.Board;

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
        var options = DefaultBuffers(new ExplorationOptions { Sizes = [2, 4, 6, 8, 10, 12, 14, 16], AccumulatorDepths = [8, 512, 1024] });
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
        // The points at the base buffer depths are evaluated even so; the other buffer depths are skipped.
        Assert.Equal(2, r.Points.Count);
        Assert.All(r.Points, p => Assert.True(p.Point.HasBufferDepthsOf(new EngineConfig())));
        Assert.Equal(2 * (3 * 2 * 2 - 1), r.Skipped.Count);
    }

    [Fact]
    public void ThePlotIsAPngOfTheExpectedSize()
    {
        var r = DesignSpaceExplorer.Sweep(TestNetworks.Tiny(), Board.PynqZ2, Model(), new ExplorationOptions { Sizes = [2, 4, 8, 12], AccumulatorDepths = [512, 1024], InputDepths = [4096, 8192] });
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
        var defaults = new EngineConfig();
        Assert.Equal((defaults.InputDepth, defaults.OutputDepth, defaults.WeightDepth), (c.InputDepth, c.OutputDepth, c.WeightDepth));
        Assert.False(c.IsResolved);

        var d = new DesignPoint(6, 512, 16384, 2048, 8192).ToConfig(new EngineConfig { ClockMHz = 150 });
        Assert.Equal((6, 6, 512, 16384, 2048, 8192), (d.Rows, d.Cols, d.AccumulatorDepth, d.InputDepth, d.OutputDepth, d.WeightDepth));
        Assert.Equal(150, d.ClockMHz);
        Assert.Null(d.ParamDepth);
        Assert.Equal(new DesignPoint(6, 512, 16384, 2048, 8192), DesignPoint.At(6, d));
    }

    [Fact]
    public void TheSweepCoversTheBufferDepthsAndRecordsThemInEachPoint()
    {
        var options = new ExplorationOptions { Sizes = [2, 4], AccumulatorDepths = [1024], InputDepths = [4096, 8192], OutputDepths = [2048, 4096], WeightDepths = [2048, 4096] };
        var r = DesignSpaceExplorer.Sweep(TestNetworks.Tiny(), Board.PynqZ2, Model(), options);
        Assert.Empty(r.Skipped);
        Assert.Empty(r.Rejected);
        Assert.Equal(2 * 2 * 2 * 2, r.Points.Count);
        foreach (var p in r.Points)
        {
            // The resolved configuration is the point's, with the schedule's parameter and program depths.
            Assert.Equal((p.Point.Size, p.Point.AccumulatorDepth, p.Point.InputDepth, p.Point.OutputDepth, p.Point.WeightDepth),
                (p.Config.Rows, p.Config.AccumulatorDepth, p.Config.InputDepth, p.Config.OutputDepth, p.Config.WeightDepth));
            Assert.True(p.Config.IsResolved);
            Assert.Equal(p.Config.Hash(), p.ConfigHash);
            // Block RAM follows the depths: it is the analytic packing of this configuration's buffers.
            Assert.Equal(BramModel.Engine(p.Config).Bram36, p.Estimate.Bram36);
        }
        // A deeper input buffer costs block RAM.
        var shallow = r.Points.Single(p => p.Point == new DesignPoint(4, 1024, 4096, 2048, 2048));
        var deep = r.Points.Single(p => p.Point == new DesignPoint(4, 1024, 8192, 2048, 2048));
        Assert.True(deep.Estimate.Bram36 > shallow.Estimate.Bram36, $"{deep.Estimate.Bram36} vs {shallow.Estimate.Bram36}");
    }

    [Fact]
    public void BufferDepthsTheScheduleCannotUseAreRejectedWithTheReason()
    {
        // A 64-word input buffer (two 32-word slots) is shorter than a row of conv1's im2col input.
        var options = new ExplorationOptions { Sizes = [2], AccumulatorDepths = [1024], InputDepths = [64, 8192], OutputDepths = [4096], WeightDepths = [4096] };
        var r = DesignSpaceExplorer.Sweep(TestNetworks.Tiny(), Board.PynqZ2, Model(), options);
        var rejected = Assert.Single(r.Rejected);
        Assert.Equal(64, rejected.Point.InputDepth);
        Assert.Contains("input buffer", rejected.Reason);
        Assert.Equal(8192, Assert.Single(r.Points).Point.InputDepth);
        // The schedule's own error is what the sweep catches.
        Assert.Throws<BufferCapacityException>(() => ScheduleCompiler.Plan(TestNetworks.Tiny(), rejected.Point.ToConfig()));
    }

    [Fact]
    public void SkippedPointsCouldNotHaveFit()
    {
        // The 35T: 90 DSPs stop the model at R = 6, and 50 BRAM36 leave little for deep buffers.
        var options = new ExplorationOptions { Sizes = [2, 4, 6, 8, 10], AccumulatorDepths = [1024], InputDepths = [4096, 8192, 131072], OutputDepths = [4096, 32768], WeightDepths = [4096] };
        var network = TestNetworks.Tiny();
        var model = Model();
        var r = DesignSpaceExplorer.Sweep(network, Board.ArtyA7_35T, model, options);
        Assert.NotEmpty(r.Skipped);
        // Sizes over the DSPs keep only their point at the base depths; the deep buffers are skipped at every size.
        Assert.Contains(r.Skipped, s => s.Point.Size == 8 && s.Reason.Contains("DSP48"));
        Assert.Contains(r.Skipped, s => s.Point.Size == 2 && s.Point.InputDepth == 131072 && s.Reason.Contains("BRAM36"));
        Assert.All(r.Points.Where(p => p.Point.Size >= 8), p => Assert.True(p.Point.HasBufferDepthsOf(new EngineConfig())));
        // Every point skipped as over capacity, scheduled anyway, is over the board.
        Assert.All(r.Skipped, s => Assert.Equal(SkipReason.OverCapacity, s.Kind));
        foreach (var s in r.Skipped)
        {
            var resolved = ScheduleCompiler.Plan(network, s.Point.ToConfig()).Config;
            var report = ResourceReport.Create(Board.ArtyA7_35T, model.Predict(s.Point.Size, BramModel.Engine(resolved).Bram36).Get);
            Assert.False(report.Fits, s.ToString());
        }
        Assert.Equal(5 * 3 * 2, r.Points.Count + r.Skipped.Count + r.Rejected.Count);
    }

    [Fact]
    public void OnlyAccumulatorDepthsNotDominatedAtTheBaseBuffersAreCrossedWithTheOtherBuffers()
    {
        var options = new ExplorationOptions { Sizes = [2, 4, 6], AccumulatorDepths = [256, 512, 1024, 2048], InputDepths = [4096, 8192], OutputDepths = [4096], WeightDepths = [4096, 8192] };
        var r = DesignSpaceExplorer.Sweep(TestNetworks.Tiny(), Board.PynqZ2, Model(), options);
        var baseBuffers = new EngineConfig();
        // Every size at every accumulator depth is evaluated at the base buffer depths.
        Assert.Equal(3 * 4, r.Points.Count(p => p.Point.HasBufferDepthsOf(baseBuffers)));
        foreach (int size in options.Sizes)
        {
            var atBase = r.Points.Where(p => p.Point.Size == size && p.Point.HasBufferDepthsOf(baseBuffers)).ToList();
            bool Dominated(ExploredPoint p) => atBase.Any(q => Pareto.Dominates(q.FramesPerSecond, q.Estimate.Bram36, p.FramesPerSecond, p.Estimate.Bram36));
            foreach (var p in atBase)
            {
                var others = r.Points.Where(o => o.Point.Size == size && o.Point.AccumulatorDepth == p.Point.AccumulatorDepth && !o.Point.HasBufferDepthsOf(baseBuffers)).ToList();
                var skipped = r.Skipped.Where(s => s.Point.Size == size && s.Point.AccumulatorDepth == p.Point.AccumulatorDepth).ToList();
                if (Dominated(p))
                {
                    Assert.Empty(others);
                    Assert.Equal(3, skipped.Count(s => s.Kind == SkipReason.DominatedAccumulator));
                }
                else
                    Assert.Equal(3, others.Count);
            }
            // The fastest depth with the fewest blocks is never dominated.
            Assert.Contains(atBase, p => !Dominated(p));
        }
        // On the tiny network deeper accumulator banks only cost blocks: some depths are dominated.
        Assert.Contains(r.Skipped, s => s.Kind == SkipReason.DominatedAccumulator);
    }

    /// <summary>The sweep at EngineConfig's input, output and weight depths only.</summary>
    private static ExplorationOptions DefaultBuffers(ExplorationOptions o)
    {
        var d = new EngineConfig();
        return o with { InputDepths = [d.InputDepth], OutputDepths = [d.OutputDepth], WeightDepths = [d.WeightDepth] };
    }
}
