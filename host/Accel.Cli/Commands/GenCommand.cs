using Spectre.Console;
using System.CommandLine;
using Accel.Hardware;
using Accel.Hardware.Board;
using Accel.Hardware.Config;
using Accel.Hardware.Program;
using Accel.Hardware.Schedule;
using Accel.Model.Networks;

namespace Accel.Cli.Commands;

/// <summary>
/// `accel gen NETWORK [--rows R --cols C] [-o DIR] [--report FILE.md]`: plans the network on the
/// engine (tiling, DRAM layout, instruction stream, predicted cycles and DRAM traffic per layer),
/// writes the RTL, the config header and constants, the program image and the schedule report.
/// </summary>
public static class GenCommand
{
    public sealed record OpFigures(int Index, string Node, string Layer, string Op, int[] Output, long Macs,
        int OutputTiles, int PassesPerBand, int Stripes, int WeightChunks, int Instructions, long PredictedCycles, long IdealCycles,
        double Utilization, long DramReadBytes, long DramWriteBytes, long ComputeCycles, long MemoryCycles, string Bound);

    public sealed record GenReport(string Network, string Config, int Rows, int Cols, int AccumulatorDepth, double ClockMHz,
        int InputDepth, int OutputDepth, int WeightDepth, int ParamDepth, int FetchQueueDepth, long ProgramBytes, int DramBits, string? Directory,
        IReadOnlyList<string> Files, string? Report, IReadOnlyList<OpFigures> Layers, long Macs, long PredictedCycles, long IdealCycles,
        double Utilization, double PredictedMilliseconds, double FramesPerSecond, long DramReadBytes, long DramWriteBytes, int Instructions);

    public static Command Create()
    {
        var network = new Argument<string>("network") { Description = "built-in name, a JSON description or an ONNX file" };
        var output = new Option<string?>("--output", "-o") { Description = "folder to write the RTL, headers, program and schedule.md into" };
        var reportFile = new Option<string?>("--report") { Description = "write the schedule report (per layer: MACs, predicted cycles, DRAM bytes, bound) to this Markdown file" };
        var engine = new EngineOptions(defaultSize: 16);
        var boardTop = new Option<bool>("--board-top") { Description = "also write the board tops (accel_board_uart, accel_board_xdma: the link, docs/board.md) and accel_board_config.h" };
        var baud = new Option<long>("--baud") { Description = "UART baud rate of the board top (with --board-top)", DefaultValueFactory = _ => new BoardConfig().Baud };
        var dramBytes = new Option<long>("--dram-bytes") { Description = "DRAM bytes the board reports (with --board-top)", DefaultValueFactory = _ => new BoardConfig().DramBytes };
        var frameSlots = new Option<int>("--frame-slots") { Description = "frames the board buffers before executing them, HELLO's window: 1, 2, 4 or 8 (with --board-top)", DefaultValueFactory = _ => new BoardConfig().FrameSlots };
        var json = new Option<bool>("--json") { Description = "machine-readable output" };
        var command = new Command("gen", "Plan a network on the engine and generate its RTL, program image and schedule report") { network, output, reportFile, boardTop, baud, dramBytes, frameSlots, json };
        engine.AddTo(command);
        command.SetAction(r => Cli.Run(() =>
        {
            var config = engine.Read(r);
            var net = ModelSource.Open(r.GetValue(network)!, structureOnly: true).Network;
            var schedule = ScheduleCompiler.Plan(net, config);
            string? dir = r.GetValue(output) is string o ? Path.GetFullPath(o) : null;
            string? reportPath = r.GetValue(reportFile) is string rp ? Path.GetFullPath(rp) : null;
            if (dir is null && reportPath is null) throw new UserError("give --output DIR (RTL and program) and/or --report FILE.md");
            var files = dir is null ? [] : EngineGenerator.Write(schedule, dir);
            if (r.GetValue(boardTop))
            {
                if (dir is null) throw new UserError("--board-top needs --output DIR");
                // The board's UART divider comes from the engine's clock: one clock for the engine and the link.
                var board = new BoardConfig { ClockHz = (long)Math.Round(config.ClockMHz * 1e6), Baud = r.GetValue(baud), DramBytes = r.GetValue(dramBytes),
                    FrameSlots = r.GetValue(frameSlots) };
                files = [.. files, .. EngineGenerator.WriteBoardRtl(schedule.Config, board, dir).Except(files), Path.Combine(dir, BoardRtl.ConfigHeader)];
            }
            if (reportPath is not null)
            {
                if (Path.GetDirectoryName(reportPath) is { Length: > 0 } parent) Directory.CreateDirectory(parent);
                File.WriteAllText(reportPath, ScheduleReport.Markdown(schedule));
            }
            var report = Report(schedule, dir, files, reportPath);
            if (r.GetValue(json)) Output.Json(report);
            else Print(report);
        }));
        return command;
    }

    private static GenReport Report(EngineSchedule s, string? dir, IReadOnlyList<string> files, string? reportPath)
    {
        var c = s.Config;
        var ops = s.Ops.Select((op, i) => new OpFigures(i, op.Node, op.Layer, op.Opcode.ToString(),
            [op.Output.Shape.Channels, op.Output.Shape.Height, op.Output.Shape.Width], op.Macs,
            op.OutputTiles, op.PassesPerBand, op.Stripes, op.WeightChunks, op.Instructions, op.Cost.Cycles, op.Cost.IdealCycles,
            Math.Round(op.Cost.Utilization, 4), op.DramReadBytes, op.DramWriteBytes, op.ComputeCycles, op.MemoryCycles,
            op.Bound.ToString().ToLowerInvariant())).ToList();
        double utilization = s.PredictedCycles == 0 ? 0 : (double)s.IdealCycles / s.PredictedCycles;
        return new GenReport(s.NetworkName, c.Hash(), c.Rows, c.Cols, c.AccumulatorDepth, c.ClockMHz,
            c.InputDepth, c.OutputDepth, c.WeightDepth, c.ParamDepth!.Value, c.FetchQueueDepth, s.ProgramBytes, c.DramBits, dir,
            dir is null ? [] : files.Select(f => Path.GetRelativePath(dir, f)).ToList(), reportPath, ops, s.Macs, s.PredictedCycles, s.IdealCycles,
            Math.Round(utilization, 4), Math.Round(s.PredictedCycles / (c.ClockMHz * 1e3), 3), Math.Round(c.ClockMHz * 1e6 / Math.Max(1, s.PredictedCycles), 2),
            s.DramReadBytes, s.DramWriteBytes, s.Instructions.Count + 1);
    }

    private static void Print(GenReport g)
    {
        var t = Output.Table("#", "layer", "op", "output", "MACs", "stripes", "predicted cycles", "ideal cycles", "utilization", "DRAM bytes", "bound");
        foreach (var op in g.Layers)
            Output.Row(t, op.Index, op.Node, op.Op, string.Join("x", op.Output), Output.N(op.Macs),
                op.Op == nameof(Opcode.Conv) ? $"{op.Stripes} x {op.WeightChunks}" : op.Stripes.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Output.N(op.PredictedCycles), Output.N(op.IdealCycles), op.Utilization.ToString("P1"), Output.N(op.DramReadBytes + op.DramWriteBytes), op.Bound);
        Output.Row(t, "", "total", "", "", Output.N(g.Macs), "", Output.N(g.PredictedCycles), Output.N(g.IdealCycles), g.Utilization.ToString("P1"),
            Output.N(g.DramReadBytes + g.DramWriteBytes), "");
        Output.Terminal.WriteLine($"{g.Network} on a {g.Rows}x{g.Cols} engine (configuration {g.Config}, accumulator {g.AccumulatorDepth} pixels, {g.ClockMHz} MHz, {g.DramBits}-bit DRAM port)");
        Output.Terminal.Write(t);
        Output.Terminal.WriteLine($"{Output.N(g.PredictedCycles)} predicted cycles = {g.PredictedMilliseconds:F3} ms = {g.FramesPerSecond:F1} frames/s at {g.ClockMHz} MHz; " +
            $"{g.Instructions} instructions; buffers: input {Output.N(g.InputDepth)}, output {Output.N(g.OutputDepth)}, weights {Output.N(g.WeightDepth)}, " +
            $"parameters {g.ParamDepth} words; the program ({Output.N(g.ProgramBytes)} bytes) streams from DRAM through a {g.FetchQueueDepth}-instruction queue");
        if (g.Directory is not null) Output.Terminal.WriteLine($"wrote {g.Files.Count} files to {g.Directory}");
        if (g.Report is not null) Output.Terminal.WriteLine($"wrote the schedule report to {g.Report}");
    }
}
