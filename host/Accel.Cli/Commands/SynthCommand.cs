using Spectre.Console;
using System.CommandLine;
using System.Text.Json.Nodes;
using Accel.Hardware.Schedule;
using Accel.Synthesis;
using Accel.Synthesis.Boards;
using Accel.Synthesis.Yosys;

namespace Accel.Cli.Commands;

// Accel.Board (the board driver) is a namespace too; here a board is a synthesis target.
using Board = Accel.Synthesis.Boards.Board;

/// <summary>
/// `accel synth NETWORK --board B [--rows R --cols C] [--json] [--timeout S]`: plans the network on
/// the engine, synthesizes the RTL with yosys for Xilinx 7-series and reports the resources
/// against the board (docs/synthesis.md). Exit 0 whether or not it fits; 1 on an error.
/// </summary>
public static class SynthCommand
{
    public const int DefaultSize = 16;

    public sealed record BoardFigures(string Name, string Part, int Luts, int FlipFlops, int Dsps, int Bram36);

    public sealed record ResourceFigures(string Resource, double Used, double Available, double Percent, bool Fits, bool FitsWithMargin);

    public sealed record UsageFigures(long Luts, long LogicLuts, long MemoryLuts, long LutRamCells, long SrlCells, long FlipFlops,
        long Dsps, long Ramb36, long Ramb18, double Bram36, IReadOnlyDictionary<string, long> Cells);

    public sealed record ModuleFigures(string Module, long Instances, long Luts, long FlipFlops, long Dsps, double Bram36,
        long DspsTotal, double Bram36Total);

    public sealed record SynthReport(string Network, BoardFigures Board, string Config, int Rows, int Cols, int AccumulatorDepth,
        double ClockMHz, long PredictedCycles, double FramesPerSecond, UsageFigures Usage, IReadOnlyList<ResourceFigures> Resources,
        bool Fits, bool FitsWithMargin, double Margin, IReadOnlyList<string> OverCapacity, string Verdict,
        IReadOnlyList<ModuleFigures> Modules, IReadOnlyList<MemoryMapping> Memories, IReadOnlyList<MultiplierMapping> Multipliers,
        IReadOnlyList<string> Warnings, string YosysVersion, double YosysSeconds, bool FromCache, string? CacheFile, string? LogFile,
        JsonObject ResolvedConfig);

    public static Command Create()
    {
        var network = new Argument<string>("network") { Description = "built-in name, a JSON description or an ONNX file" };
        var board = BoardOption();
        var engine = new EngineOptions(DefaultSize);
        var json = new Option<bool>("--json") { Description = "machine-readable output" };
        var timeout = TimeoutOption();
        var noCache = NoCacheOption();
        var command = new Command("synth", "Synthesize the engine for a network with yosys (Xilinx 7-series) and report its resources against a board")
            { network, board, json, timeout, noCache };
        engine.AddTo(command);
        command.SetAction(r => Cli.Run(() =>
        {
            var target = Board.Get(r.GetValue(board)!);
            var options = SynthesisOptionsFrom(r, timeout, noCache);
            var config = engine.Read(r);
            var net = ModelSource.Open(r.GetValue(network)!, structureOnly: true).Network;
            var schedule = ScheduleCompiler.Plan(net, config);
            if (options.UseCache && File.Exists(YosysSynth.CachePath(schedule.Config, options)))
                Output.Note($"{config} engine: cached synthesis result");
            else
                Output.Note($"synthesizing the {config} engine with yosys (synth_xilinx; about a minute, limit {options.Timeout.TotalSeconds:F0} s)");
            var result = YosysSynth.Run(schedule.Config, options);
            var report = Report(net.Name, target, schedule, result);
            if (r.GetValue(json)) Output.Json(report);
            else Print(report);
        }));
        return command;
    }

    internal static Option<string> BoardOption() => new("--board")
        { Description = $"target board: {string.Join(", ", Board.Names)}", Required = true };

    internal static Option<int> TimeoutOption() => new("--timeout")
        { Description = "yosys time limit per run, in seconds", DefaultValueFactory = _ => (int)SynthesisOptions.DefaultTimeout.TotalSeconds };

    internal static Option<bool> NoCacheOption() => new("--no-cache")
        { Description = "run yosys even when build/synth-cache holds a result for this RTL" };

    internal static SynthesisOptions SynthesisOptionsFrom(ParseResult r, Option<int> timeout, Option<bool> noCache)
    {
        int seconds = r.GetValue(timeout);
        if (seconds < 1) throw new UserError("--timeout must be at least 1 second");
        return new SynthesisOptions { Timeout = TimeSpan.FromSeconds(seconds), UseCache = !r.GetValue(noCache) };
    }

    internal static BoardFigures Figures(Board b) => new(b.Name, b.Part, b.Luts, b.FlipFlops, b.Dsps, b.Bram36);

    private static SynthReport Report(string network, Board board, EngineSchedule schedule, SynthesisResult s)
    {
        var c = schedule.Config;
        var u = s.Usage;
        var rr = ResourceReport.Create(board, u);
        var modules = s.Modules.Select(m =>
        {
            var p = m.PerInstance;
            return new ModuleFigures(m.Label, m.Instances, p.Luts, p.FlipFlops, p.Dsps, p.Bram36, p.Dsps * m.Instances, p.Bram36 * m.Instances);
        }).ToList();
        return new SynthReport(network, Figures(board), c.Hash(), c.Rows, c.Cols, c.AccumulatorDepth, c.ClockMHz,
            schedule.PredictedCycles, Math.Round(c.ClockMHz * 1e6 / schedule.PredictedCycles, 3),
            new UsageFigures(u.Luts, u.LogicLuts, u.MemoryLuts, u.LutRamCells, u.SrlCells, u.FlipFlops, u.Dsps, u.Ramb36, u.Ramb18, u.Bram36, u.Cells),
            rr.Lines.Select(l => new ResourceFigures(l.Name, l.Used, l.Available, Math.Round(l.Percent, 2), l.Fits, l.FitsWithMargin)).ToList(),
            rr.Fits, rr.FitsWithMargin, ResourceReport.Margin, rr.Over.Select(l => l.Name).ToList(), rr.Verdict,
            modules, s.Memories, s.Multipliers, s.Warnings, s.YosysVersion, s.YosysSeconds, s.FromCache, s.CacheFile, s.LogFile, s.Config);
    }

    /// <summary>An integer count as N0, a half block RAM as N1.</summary>
    internal static string Amount(double v) => v % 1 == 0 ? Output.N((long)v) : v.ToString("N1", System.Globalization.CultureInfo.InvariantCulture);

    private static void Print(SynthReport g)
    {
        var t = Output.Table("resource", "used", "available", "%", "");
        foreach (var l in g.Resources)
            Output.Row(t, l.Resource, Amount(l.Used), Output.N((long)l.Available), $"{l.Percent:F1}",
                l.Fits ? (l.FitsWithMargin ? "" : $"above {g.Margin:P0}") : "OVER");
        Output.Terminal.WriteLine($"{g.Network} on a {g.Rows}x{g.Cols} engine (configuration {g.Config}, accumulator {g.AccumulatorDepth} pixels) " +
            $"for {g.Board.Name} ({g.Board.Part}); yosys {g.YosysVersion}, synth_xilinx -family xc7, {g.YosysSeconds:F1} s{(g.FromCache ? " (cached)" : "")}");
        Output.Terminal.Write(t);
        Output.Terminal.WriteLine($"LUTs: {Output.N(g.Usage.LogicLuts)} logic + {Output.N(g.Usage.MemoryLuts)} as memory " +
            $"({g.Usage.LutRamCells} LUTRAM, {g.Usage.SrlCells} SRL cells); BRAM36: {g.Usage.Ramb36} RAMB36E1 + {g.Usage.Ramb18} RAMB18E1");
        var dsp = g.Modules.Where(m => m.DspsTotal > 0).OrderByDescending(m => m.DspsTotal)
            .Select(m => $"{m.Module} {m.Instances} x {m.Dsps} = {m.DspsTotal}");
        Output.Terminal.WriteLine($"DSP48E1 by module: {string.Join("; ", dsp)}");
        var mems = g.Memories.Select(m => $"{m.Label}: {m.Kind}");
        Output.Terminal.WriteLine($"buffers: {string.Join("; ", mems)}");
        Output.Terminal.WriteLine($"{g.PredictedCycles:N0} predicted cycles per frame = {g.FramesPerSecond:F2} frames/s at {g.ClockMHz} MHz");
        foreach (var w in g.Warnings) Output.Terminal.WriteLine($"warning: {w}");
        Output.Terminal.WriteLine(g.Verdict);
    }
}
