using Accel.Hardware.Config;
using Accel.Hardware.Program;
using Accel.Hardware.Schedule;
using Accel.Model.Networks;
using Accel.Synthesis.Boards;
using Accel.Synthesis.Yosys;

namespace Accel.Synthesis.Exploration;

/// <summary>What to sweep and how to calibrate.</summary>
public sealed record ExplorationOptions
{
    /// <summary>Array sizes R (R x R) to sweep.</summary>
    public IReadOnlyList<int> Sizes { get; init; } = Enumerable.Range(DesignPoint.MinSize, DesignPoint.MaxSize - DesignPoint.MinSize + 1).ToList();
    /// <summary>Accumulator bank depths (output pixels) to sweep at each size.</summary>
    public IReadOnlyList<int> AccumulatorDepths { get; init; } = [512, 1024, 2048];
    /// <summary>Array sizes synthesized with yosys to calibrate the LUT/FF/DSP model.</summary>
    public IReadOnlyList<int> CalibrationSizes { get; init; } = [4, 8, 12, 16];
    /// <summary>Fields not explored (clock, accumulator width) come from here.</summary>
    public EngineConfig BaseConfig { get; init; } = new();
    public SynthesisOptions Synthesis { get; init; } = new();
}

/// <summary>One evaluated design point: cost-model cycles and frames/s, modelled resources against the board.</summary>
public sealed record ExploredPoint(DesignPoint Point, string ConfigHash, long Cycles, double FramesPerSecond, ResourceEstimate Estimate, ResourceReport Report)
{
    /// <summary>The x axis of the exploration: the fraction used of the scarcest resource.</summary>
    public double Utilization => Report.Scarcest.Fraction;
    public string Scarcest => Report.Scarcest.Name;
    public bool Fits => Report.Fits;
    public bool FitsWithMargin => Report.FitsWithMargin;
}

/// <summary>A design point the schedule refused (e.g. an accumulator bank shorter than an output row).</summary>
public sealed record RejectedPoint(DesignPoint Point, string Reason);

public sealed record ExplorationResult(
    string Network,
    Board Board,
    ResourceModel Model,
    IReadOnlyList<ExploredPoint> Points,
    IReadOnlyList<RejectedPoint> Rejected,
    IReadOnlyList<ExploredPoint> Front,
    bool FrontFits)
{
    /// <summary>The largest array that fits the board (the fastest such point when several buffer choices fit).</summary>
    public ExploredPoint? LargestFit => Points.Where(p => p.Fits)
        .OrderByDescending(p => p.Point.Size).ThenByDescending(p => p.FramesPerSecond).ThenBy(p => p.Utilization).FirstOrDefault();
    public ExploredPoint? LargestFitWithMargin => Points.Where(p => p.FitsWithMargin)
        .OrderByDescending(p => p.Point.Size).ThenByDescending(p => p.FramesPerSecond).ThenBy(p => p.Utilization).FirstOrDefault();
    /// <summary>The point closest to fitting (smallest scarcest-resource fraction).</summary>
    public ExploredPoint? Smallest => Points.MinBy(p => p.Utilization);
}

/// <summary>
/// Design-space exploration (docs/synthesis.md): calibrates the resource model on yosys runs,
/// sweeps array sizes and buffer sizes, predicts cycles with the schedule's cost model and
/// resources with the model, keeps the points that fit the board and returns their Pareto
/// front of frames/s against the fraction of the scarcest resource.
/// </summary>
public static class DesignSpaceExplorer
{
    public static ResourceModel Calibrate(Network network, ExplorationOptions options, Action<string>? progress = null)
    {
        var samples = new List<CalibrationSample>();
        foreach (int size in options.CalibrationSizes.Distinct().Order())
        {
            var point = new DesignPoint(size);
            EngineSchedule schedule;
            try { schedule = ScheduleCompiler.Plan(network, point.ToConfig(options.BaseConfig)); }
            catch (Exception e) when (e is ScheduleException or ConfigException)
            {
                throw new SynthesisException($"calibration point {size}x{size}: {e.Message}");
            }
            var resolved = schedule.Config;
            bool cached = options.Synthesis.UseCache && File.Exists(YosysSynth.CachePath(resolved, options.Synthesis));
            progress?.Invoke(cached
                ? $"calibration {size}x{size}: cached yosys result"
                : $"calibration {size}x{size}: running yosys (about a minute)");
            var result = YosysSynth.Run(resolved, options.Synthesis);
            foreach (var w in result.Warnings) progress?.Invoke($"  warning ({size}x{size}): {w}");
            samples.Add(new CalibrationSample(size, result.Usage, BramModel.Engine(resolved).Bram36, result.YosysSeconds, result.FromCache, result.ConfigHash));
        }
        return ResourceModel.Calibrate(samples);
    }

    public static ExplorationResult Explore(Network network, Board board, ExplorationOptions options, Action<string>? progress = null)
    {
        var model = Calibrate(network, options, progress);
        return Sweep(network, board, model, options);
    }

    /// <summary>The sweep with a given model (no yosys).</summary>
    public static ExplorationResult Sweep(Network network, Board board, ResourceModel model, ExplorationOptions options)
    {
        var points = new List<ExploredPoint>();
        var rejected = new List<RejectedPoint>();
        foreach (int size in options.Sizes.Distinct().Order())
            foreach (int depth in options.AccumulatorDepths.Distinct().Order())
            {
                var point = new DesignPoint(size, depth);
                try
                {
                    var schedule = ScheduleCompiler.Plan(network, point.ToConfig(options.BaseConfig));
                    var resolved = schedule.Config;
                    long cycles = schedule.PredictedCycles;
                    double fps = resolved.ClockMHz * 1e6 / cycles;
                    var estimate = model.Predict(size, BramModel.Engine(resolved).Bram36);
                    points.Add(new ExploredPoint(point, resolved.Hash(), cycles, fps, estimate, ResourceReport.Create(board, estimate.Get)));
                }
                catch (Exception e) when (e is ScheduleException or ConfigException)
                {
                    rejected.Add(new RejectedPoint(point, e.Message));
                }
            }
        var fitting = points.Where(p => p.Fits).ToList();
        bool frontFits = fitting.Count > 0;
        var front = Pareto.Front(frontFits ? fitting : points, p => p.FramesPerSecond, p => p.Utilization);
        return new ExplorationResult(network.Name, board, model, points, rejected, front, frontFits);
    }
}
