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
    /// <summary>Input buffer depths (activation words, two slots) to sweep at each size.</summary>
    public IReadOnlyList<int> InputDepths { get; init; } = [4096, 8192, 16384];
    /// <summary>
    /// Output buffer depths (activation words, two slots) to sweep at each size. Not below the
    /// default 4096: shallower output and weight slots lengthen the program (more stripes and
    /// chunks), whose buffer then costs more block RAM than the slot saves on small arrays, and
    /// take the schedule compiler seconds per point (docs/synthesis.md).
    /// </summary>
    public IReadOnlyList<int> OutputDepths { get; init; } = [4096, 8192];
    /// <summary>Weight buffer depths (array rows, two slots) to sweep at each size; see <see cref="OutputDepths"/>.</summary>
    public IReadOnlyList<int> WeightDepths { get; init; } = [4096, 8192];
    /// <summary>Array sizes synthesized with yosys to calibrate the LUT/FF/DSP model.</summary>
    public IReadOnlyList<int> CalibrationSizes { get; init; } = [4, 8, 12, 16];
    /// <summary>
    /// Fields not explored (clock, accumulator width, DRAM port) come from here; so do the base
    /// input, output and weight buffer depths, evaluated at every size and accumulator depth (the
    /// other depths as <see cref="DesignSpaceExplorer.Sweep"/> says).
    /// </summary>
    public EngineConfig BaseConfig { get; init; } = new();
    public SynthesisOptions Synthesis { get; init; } = new();
}

/// <summary>
/// One evaluated design point: the configuration the schedule resolved (parameter and program
/// depths included), cost-model cycles and frames/s, modelled resources against the board.
/// </summary>
public sealed record ExploredPoint(DesignPoint Point, EngineConfig Config, long Cycles, double FramesPerSecond, ResourceEstimate Estimate, ResourceReport Report)
{
    public string ConfigHash => Config.Hash();
    /// <summary>The x axis of the exploration: the fraction used of the scarcest resource.</summary>
    public double Utilization => Report.Scarcest.Fraction;
    public string Scarcest => Report.Scarcest.Name;
    public bool Fits => Report.Fits;
    public bool FitsWithMargin => Report.FitsWithMargin;
}

/// <summary>A design point the schedule refused (e.g. an accumulator bank shorter than an output row, an input slot shorter than a layer's rows).</summary>
public sealed record RejectedPoint(DesignPoint Point, string Reason);

/// <summary>Why the sweep left a design point out without scheduling it (<see cref="DesignSpaceExplorer.Sweep"/>).</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<SkipReason>))]
public enum SkipReason
{
    /// <summary>A lower bound on its resources is already over the board: it could not fit.</summary>
    OverCapacity,
    /// <summary>Its accumulator depth is dominated at the base buffer depths by another one of the same array size.</summary>
    DominatedAccumulator,
}

/// <summary>A design point the sweep did not schedule, and why.</summary>
public sealed record SkippedPoint(DesignPoint Point, SkipReason Kind, string Reason);

public sealed record ExplorationResult(
    string Network,
    Board Board,
    ResourceModel Model,
    IReadOnlyList<ExploredPoint> Points,
    IReadOnlyList<RejectedPoint> Rejected,
    IReadOnlyList<SkippedPoint> Skipped,
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
            var point = DesignPoint.At(size, options.BaseConfig);
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

    /// <summary>
    /// The sweep with a given model (no yosys), in two passes.
    /// <list type="number">
    /// <item>Every array size at every accumulator depth, with the base configuration's input,
    /// output and weight depths: all evaluated, as they show what does not fit and the closest
    /// point when nothing does.</item>
    /// <item>The other input, output and weight depths, crossed with the accumulator depths that
    /// are not dominated at the base buffer depths (another depth of the same size with at least
    /// the frames/s and at most the block RAM, better in one: the accumulator banks change the
    /// band height, so cycles a little, and their own blocks). A point of this pass is skipped,
    /// not scheduled, when a lower bound on its resources is already over the board: the LUT, FF
    /// and DSP48 model (the size alone) with the block RAM of the buffers the point fixes
    /// (<see cref="BramModel.FixedBuffersBram36"/>). Such a point could not fit.</item>
    /// </list>
    /// A point the schedule refuses (<see cref="ScheduleException"/>, including
    /// <see cref="BufferCapacityException"/>, or a <see cref="ConfigException"/>) is listed as
    /// rejected. Points are planned in parallel; the schedule compiler keeps no shared state.
    /// </summary>
    public static ExplorationResult Sweep(Network network, Board board, ResourceModel model, ExplorationOptions options)
    {
        var baseConfig = options.BaseConfig;
        var sizes = options.Sizes.Distinct().Order().ToList();
        var accumulators = options.AccumulatorDepths.Distinct().Order().ToList();
        var buffers = (from input in options.InputDepths.Distinct().Order()
                       from output in options.OutputDepths.Distinct().Order()
                       from weight in options.WeightDepths.Distinct().Order()
                       select (Input: input, Output: output, Weight: weight)).ToList();
        var baseBuffers = (baseConfig.InputDepth, baseConfig.OutputDepth, baseConfig.WeightDepth);

        // Pass 1: the base buffer depths, every size and accumulator depth.
        var first = Evaluate(network, board, model, baseConfig,
            (from size in sizes from acc in accumulators
             select new DesignPoint(size, acc, baseConfig.InputDepth, baseConfig.OutputDepth, baseConfig.WeightDepth)).ToList());

        // Pass 2: the other buffer depths at the accumulator depths pass 1 did not dominate.
        var skipped = new List<SkippedPoint>();
        var second = new List<DesignPoint>();
        foreach (int size in sizes)
        {
            // An accumulator depth the schedule refused at the base buffers is not dominated: other buffers may suit it.
            var atBase = first.OfType<ExploredPoint>().Where(p => p.Point.Size == size).ToList();
            var dominatedBy = atBase.ToDictionary(p => p.Point.AccumulatorDepth, p => atBase.FirstOrDefault(q =>
                Pareto.Dominates(q.FramesPerSecond, q.Estimate.Bram36, p.FramesPerSecond, p.Estimate.Bram36)));
            // LUT, FF and DSP48 do not depend on the buffer depths in the model.
            var arrayOnly = ResourceReport.Create(board, model.Predict(size, 0).Get);
            foreach (int acc in accumulators)
                foreach (var (input, output, weight) in buffers)
                {
                    if ((input, output, weight) == baseBuffers) continue;
                    var point = new DesignPoint(size, acc, input, output, weight);
                    if (!arrayOnly.Fits)
                    {
                        skipped.Add(OverCapacity(point, arrayOnly));
                        continue;
                    }
                    if (dominatedBy.GetValueOrDefault(acc) is { } by)
                    {
                        skipped.Add(new SkippedPoint(point, SkipReason.DominatedAccumulator,
                            $"accumulator depth {acc} is dominated at the base buffer depths by {by.Point.AccumulatorDepth}"));
                        continue;
                    }
                    double bram;
                    try { bram = BramModel.FixedBuffersBram36(point.ToConfig(baseConfig).Validate()); }
                    catch (ConfigException) { bram = 0; } // planning reports it
                    var bound = ResourceReport.Create(board, model.Predict(size, bram).Get);
                    if (!bound.Fits)
                    {
                        skipped.Add(OverCapacity(point, bound));
                        continue;
                    }
                    second.Add(point);
                }
        }
        var outcomes = first.Concat(Evaluate(network, board, model, baseConfig, second)).ToList();

        var points = outcomes.OfType<ExploredPoint>().OrderBy(p => p.Point.Size).ThenBy(p => p.Point.AccumulatorDepth)
            .ThenBy(p => p.Point.InputDepth).ThenBy(p => p.Point.OutputDepth).ThenBy(p => p.Point.WeightDepth).ToList();
        var rejected = outcomes.OfType<RejectedPoint>().ToList();
        var fitting = points.Where(p => p.Fits).ToList();
        bool frontFits = fitting.Count > 0;
        var front = Pareto.Front(frontFits ? fitting : points, p => p.FramesPerSecond, p => p.Utilization);
        return new ExplorationResult(network.Name, board, model, points, rejected, skipped, front, frontFits);
    }

    private static SkippedPoint OverCapacity(DesignPoint point, ResourceReport bound) => new(point, SkipReason.OverCapacity,
        "over capacity before scheduling: " + string.Join(", ", bound.Over.Select(l => $"{l.Name} at least {l.Used:N0} of {l.Available:N0}")));

    /// <summary>Plans the points in parallel; each outcome is an <see cref="ExploredPoint"/> or a <see cref="RejectedPoint"/>, in the order given.</summary>
    private static IReadOnlyList<object> Evaluate(Network network, Board board, ResourceModel model, EngineConfig baseConfig, IReadOnlyList<DesignPoint> points)
    {
        var outcomes = new object[points.Count];
        Parallel.For(0, points.Count, i => outcomes[i] = Evaluate(network, board, model, points[i], baseConfig));
        return outcomes;
    }

    /// <summary>Plans one point: an <see cref="ExploredPoint"/>, or a <see cref="RejectedPoint"/> when the schedule refuses it.</summary>
    private static object Evaluate(Network network, Board board, ResourceModel model, DesignPoint point, EngineConfig baseConfig)
    {
        try
        {
            var schedule = ScheduleCompiler.Plan(network, point.ToConfig(baseConfig));
            var resolved = schedule.Config;
            long cycles = schedule.PredictedCycles;
            double fps = resolved.ClockMHz * 1e6 / cycles;
            var estimate = model.Predict(point.Size, BramModel.Engine(resolved).Bram36);
            return new ExploredPoint(point, resolved, cycles, fps, estimate, ResourceReport.Create(board, estimate.Get));
        }
        catch (Exception e) when (e is ScheduleException or ConfigException)
        {
            return new RejectedPoint(point, e.Message);
        }
    }
}
