using Spectre.Console;
using System.CommandLine;
using System.Globalization;
using Accel.Hardware.Config;
using Accel.Synthesis;
using Accel.Synthesis.Boards;
using Accel.Synthesis.Exploration;

namespace Accel.Cli.Commands;

// Accel.Board (the board driver) is a namespace too; here a board is a synthesis target.
using Board = Accel.Synthesis.Boards.Board;

/// <summary>
/// `accel dse --board B --network N [--sizes ...] [--png FILE] [--json] [--calibrate-sizes ...]`:
/// design-space exploration (docs/synthesis.md). Calibrates the resource model on yosys runs,
/// sweeps array and buffer sizes, prints the Pareto front of frames/s against the scarcest
/// resource, the largest array that fits, and writes a scatter plot.
/// </summary>
public static class DseCommand
{
    public sealed record CalibrationFigures(int Size, double Luts, double FlipFlops, double Dsps, double Bram36,
        double ModelLuts, double ModelFlipFlops, double ModelDsps, double AnalyticBram36, double YosysSeconds, bool FromCache);

    public sealed record ModelFigures(string Resource, string Formula, double[]? Coefficients, double MaxCalibrationError, double? MaxLeaveOneOutError);

    public sealed record PointFigures(int Size, int AccumulatorDepth, int InputDepth, int OutputDepth, int WeightDepth,
        int ParamDepth, string Config, long Cycles, double FramesPerSecond,
        double Luts, double FlipFlops, double Dsps, double Bram36, string Scarcest, double Utilization, bool Fits, bool FitsWithMargin, bool Pareto);

    public sealed record DseReport(string Network, SynthCommand.BoardFigures Board, double ClockMHz, double Margin,
        IReadOnlyList<CalibrationFigures> Calibration, IReadOnlyList<ModelFigures> Model,
        IReadOnlyList<PointFigures> Points, IReadOnlyList<PointFigures> Front, bool FrontFits,
        PointFigures? LargestFit, PointFigures? LargestFitWithMargin, IReadOnlyList<string> Rejected,
        int Skipped, int SkippedOverCapacity, int SkippedDominatedAccumulator, string? Png);

    public static Command Create()
    {
        var board = SynthCommand.BoardOption();
        var network = new Option<string>("--network") { Description = "built-in name, a JSON description or an ONNX file", Required = true };
        var sizes = new Option<string>("--sizes") { Description = "array sizes R (R x R) to sweep: a list, ranges allowed (e.g. 4,6,8 or 2..32)", DefaultValueFactory = _ => "2..32" };
        var defaults = new ExplorationOptions();
        var depths = new Option<string>("--accumulator-depths") { Description = "accumulator bank depths (output pixels) to sweep", DefaultValueFactory = _ => List(defaults.AccumulatorDepths) };
        var inputDepths = new Option<string>("--input-depths") { Description = "input buffer depths (activation words, two slots) to sweep", DefaultValueFactory = _ => List(defaults.InputDepths) };
        var outputDepths = new Option<string>("--output-depths") { Description = "output buffer depths (activation words, two slots) to sweep", DefaultValueFactory = _ => List(defaults.OutputDepths) };
        var weightDepths = new Option<string>("--weight-depths") { Description = "weight buffer depths (array rows, two slots) to sweep", DefaultValueFactory = _ => List(defaults.WeightDepths) };
        var calibrate = new Option<string>("--calibrate-sizes") { Description = "array sizes synthesized with yosys to calibrate the resource model", DefaultValueFactory = _ => "4,8,12,16" };
        var png = new Option<string?>("--png") { Description = "write a scatter plot (frames/s against the scarcest resource) to this PNG file" };
        var clock = new Option<double>("--clock-mhz") { Description = "target clock in MHz (frames/s = clock / predicted cycles)", DefaultValueFactory = _ => new EngineConfig().ClockMHz };
        var json = new Option<bool>("--json") { Description = "machine-readable output" };
        var timeout = SynthCommand.TimeoutOption();
        var noCache = SynthCommand.NoCacheOption();
        var command = new Command("dse", "Design-space exploration: array and buffer sizes against a board, Pareto front of frames/s and resources")
            { board, network, sizes, depths, inputDepths, outputDepths, weightDepths, calibrate, png, clock, json, timeout, noCache };
        command.SetAction(r => Cli.Run(() =>
        {
            var target = Board.Get(r.GetValue(board)!);
            var options = new ExplorationOptions
            {
                Sizes = ParseSizes(r.GetValue(sizes)!, "--sizes", DesignPoint.MinSize, DesignPoint.MaxSize),
                AccumulatorDepths = ParseSizes(r.GetValue(depths)!, "--accumulator-depths", 1, 1 << 20),
                InputDepths = ParseSizes(r.GetValue(inputDepths)!, "--input-depths", 2, 1 << 22),
                OutputDepths = ParseSizes(r.GetValue(outputDepths)!, "--output-depths", 2, 1 << 22),
                WeightDepths = ParseSizes(r.GetValue(weightDepths)!, "--weight-depths", 2, 1 << 22),
                CalibrationSizes = ParseSizes(r.GetValue(calibrate)!, "--calibrate-sizes", DesignPoint.MinSize, DesignPoint.MaxSize),
                BaseConfig = new EngineConfig { ClockMHz = r.GetValue(clock) }.Validate(),
                Synthesis = SynthCommand.SynthesisOptionsFrom(r, timeout, noCache),
            };
            var net = ModelSource.Open(r.GetValue(network)!, structureOnly: true).Network;
            var result = DesignSpaceExplorer.Explore(net, target, options, Output.Note);
            string? pngPath = r.GetValue(png) is string p ? Path.GetFullPath(p) : null;
            if (pngPath is not null) ScatterPlot.Write(result, pngPath);
            var report = Report(result, options, pngPath);
            if (r.GetValue(json)) Output.Json(report);
            else Print(report);
        }));
        return command;
    }

    private static string List(IEnumerable<int> values) => string.Join(",", values.Select(v => v.ToString(CultureInfo.InvariantCulture)));

    /// <summary>"4,6,8" or "2..32" or a mix; each value within [min, max].</summary>
    public static IReadOnlyList<int> ParseSizes(string text, string option, int min, int max)
    {
        var values = new SortedSet<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var range = part.Split("..");
            if (range.Length > 2 || !range.All(x => int.TryParse(x, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
                throw new UserError($"{option} '{text}': expected comma-separated integers or ranges such as 4,6,8 or 2..32");
            int lo = int.Parse(range[0], CultureInfo.InvariantCulture), hi = int.Parse(range[^1], CultureInfo.InvariantCulture);
            if (lo > hi) throw new UserError($"{option}: range {part} is empty");
            if (lo < min || hi > max) throw new UserError($"{option}: {part} is outside {min}..{max}");
            for (int v = lo; v <= hi; v++) values.Add(v);
        }
        if (values.Count == 0) throw new UserError($"{option}: no values given");
        return values.ToList();
    }

    private static PointFigures Figures(ExploredPoint p, bool pareto) => new(p.Point.Size, p.Point.AccumulatorDepth,
        p.Point.InputDepth, p.Point.OutputDepth, p.Point.WeightDepth, p.Config.ParamDepth!.Value, p.ConfigHash, p.Cycles,
        Math.Round(p.FramesPerSecond, 3), Math.Round(p.Estimate.Luts), Math.Round(p.Estimate.FlipFlops), Math.Round(p.Estimate.Dsps),
        p.Estimate.Bram36, p.Scarcest, Math.Round(p.Utilization, 4), p.Fits, p.FitsWithMargin, pareto);

    private static DseReport Report(ExplorationResult r, ExplorationOptions options, string? png)
    {
        var m = r.Model;
        var front = r.Front.ToHashSet();
        var calibration = m.Samples.Select(s =>
        {
            var est = m.Predict(s.Size, s.AnalyticBram36);
            return new CalibrationFigures(s.Size, s.Measured.Luts, s.Measured.FlipFlops, s.Measured.Dsps, s.Measured.Bram36,
                Math.Round(est.Luts), Math.Round(est.FlipFlops), Math.Round(est.Dsps), s.AnalyticBram36, s.YosysSeconds, s.FromCache);
        }).ToList();
        var model = ResourceNames.All.Select(res => new ModelFigures(res.Label(), m.Formula(res),
            m.Coefficients.TryGetValue(res, out var c) ? c : null, Math.Round(m.MaxError(res), 4),
            m.MaxLeaveOneOutError(res) is { } l ? Math.Round(l, 4) : null)).ToList();
        return new DseReport(r.Network, SynthCommand.Figures(r.Board), options.BaseConfig.ClockMHz, ResourceReport.Margin, calibration, model,
            r.Points.Select(p => Figures(p, front.Contains(p))).ToList(), r.Front.Select(p => Figures(p, true)).ToList(), r.FrontFits,
            r.LargestFit is { } f ? Figures(f, front.Contains(f)) : null,
            r.LargestFitWithMargin is { } g ? Figures(g, front.Contains(g)) : null,
            r.Rejected.Select(x => $"{x.Point}: {x.Reason}").ToList(),
            r.Skipped.Count, r.Skipped.Count(x => x.Kind == SkipReason.OverCapacity), r.Skipped.Count(x => x.Kind == SkipReason.DominatedAccumulator), png);
    }

    private static void Print(DseReport d)
    {
        var o = Output.Terminal;
        o.WriteLine($"{d.Network} on {d.Board.Name} ({d.Board.Part}: {Output.N(d.Board.Luts)} LUT, {Output.N(d.Board.FlipFlops)} FF, " +
            $"{d.Board.Dsps} DSP48, {d.Board.Bram36} BRAM36), {d.ClockMHz} MHz");

        var cal = Output.Table("calibration", "LUT", "model", "FF", "model", "DSP48", "model", "BRAM36", "analytic", "yosys s");
        foreach (var c in d.Calibration)
            Output.Row(cal, $"{c.Size}x{c.Size}", Output.N((long)c.Luts), Output.N((long)c.ModelLuts), Output.N((long)c.FlipFlops),
                Output.N((long)c.ModelFlipFlops), c.Dsps, c.ModelDsps, SynthCommand.Amount(c.Bram36), SynthCommand.Amount(c.AnalyticBram36),
                $"{c.YosysSeconds:F1}{(c.FromCache ? " (cached)" : "")}");
        o.Write(cal);
        foreach (var m in d.Model)
            o.WriteLine($"  {m.Resource,-6} = {m.Formula}; largest error on the calibration points {m.MaxCalibrationError:P1}" +
                (m.MaxLeaveOneOutError is { } l ? $", leaving each point out {l:P1}" : ""));

        var t = Output.Table("array", "accumulator", "input", "output", "weights", "parameters", "cycles", "frames/s", "LUT", "FF", "DSP48", "BRAM36", "scarcest", "fits");
        foreach (var p in d.Front)
            Output.Row(t, $"{p.Size}x{p.Size}", p.AccumulatorDepth, p.InputDepth, p.OutputDepth, p.WeightDepth, p.ParamDepth, Output.N(p.Cycles), p.FramesPerSecond.ToString("F2", CultureInfo.InvariantCulture),
                Output.N((long)p.Luts), Output.N((long)p.FlipFlops), p.Dsps, SynthCommand.Amount(p.Bram36), $"{p.Scarcest} {p.Utilization:P1}",
                p.Fits ? (p.FitsWithMargin ? "yes" : $"yes, above {d.Margin:P0}") : "no");
        o.WriteLine(d.FrontFits
            ? $"Pareto front ({d.Front.Count} of the {d.Points.Count(p => p.Fits)} points that fit; {d.Points.Count} points evaluated{SkippedNote(d)}):"
            : $"No design point fits {d.Board.Name}; Pareto front of all {d.Points.Count} points evaluated{SkippedNote(d)}, for reference:");
        o.Write(t);

        if (d.LargestFit is { } f)
            o.WriteLine($"largest array that fits {d.Board.Name}: {f.Size}x{f.Size} ({Buffers(f)}), {f.FramesPerSecond:F2} frames/s, {f.Scarcest} {f.Utilization:P1}");
        else
        {
            var best = d.Points.MinBy(p => p.Utilization);
            o.WriteLine($"no array fits {d.Board.Name}" + (best is null ? "" : $"; the closest, {best.Size}x{best.Size} ({Buffers(best)}), needs {best.Scarcest} at {best.Utilization:P0}"));
        }
        if (d.LargestFitWithMargin is { } g)
            o.WriteLine($"largest within the {d.Margin:P0} margin: {g.Size}x{g.Size} ({Buffers(g)}), {g.FramesPerSecond:F2} frames/s, {g.Scarcest} {g.Utilization:P1}");
        if (d.Rejected.Count > 0)
            o.WriteLine($"{d.Rejected.Count} design points refused by the schedule, e.g. {d.Rejected[0]}");
        if (d.Png is not null) o.WriteLine($"wrote {d.Png}");
    }

    private static string Buffers(PointFigures p) =>
        $"accumulator {p.AccumulatorDepth}, input {p.InputDepth}, output {p.OutputDepth}, weights {p.WeightDepth}";

    private static string SkippedNote(DseReport d) => d.Skipped == 0 ? "" :
        $"; not scheduled: {d.SkippedOverCapacity} over capacity before scheduling, {d.SkippedDominatedAccumulator} at accumulator depths dominated at the base buffer depths";
}
