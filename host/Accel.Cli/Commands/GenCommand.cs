using Spectre.Console;
using System.CommandLine;
using Accel.Hardware;
using Accel.Hardware.Config;
using Accel.Hardware.Program;
using Accel.Hardware.Schedule;
using Accel.Model.Networks;

namespace Accel.Cli.Commands;

/// <summary>
/// `accel gen NETWORK --rows R --cols C -o DIR`: plans the network on the engine and writes the
/// RTL, the config header and constants, the program image and the schedule report.
/// </summary>
public static class GenCommand
{
    public sealed record OpFigures(int Index, string Node, string Layer, string Op, int[] Output, long Macs,
        int OutputTiles, int Bands, int PassesPerBand, long PredictedCycles, long IdealCycles, double Utilization);

    public sealed record GenReport(string Network, string Config, int Rows, int Cols, int AccumulatorDepth, double ClockMHz,
        int ActivationDepth, int WeightDepth, int ParamDepth, int ProgramDepth, string Directory, IReadOnlyList<string> Files,
        IReadOnlyList<OpFigures> Layers, long Macs, long PredictedCycles, long IdealCycles,
        double Utilization, double PredictedMilliseconds);

    public static Command Create()
    {
        var network = new Argument<string>("network") { Description = "built-in name, a JSON description or an ONNX file" };
        var output = new Option<string>("--output", "-o") { Description = "folder to write the RTL, headers, program and report into", Required = true };
        var engine = new EngineOptions();
        var json = new Option<bool>("--json") { Description = "machine-readable output" };
        var command = new Command("gen", "Plan a network on the engine and generate its RTL, program image and schedule report") { network, output, json };
        engine.AddTo(command);
        command.SetAction(r => Cli.Run(() =>
        {
            var config = engine.Read(r);
            var net = ModelSource.Open(r.GetValue(network)!, structureOnly: true).Network;
            var schedule = ScheduleCompiler.Plan(net, config);
            string dir = Path.GetFullPath(r.GetValue(output)!);
            var files = EngineGenerator.Write(schedule, dir);
            var report = Report(schedule, dir, files);
            if (r.GetValue(json)) Output.Json(report);
            else Print(report);
        }));
        return command;
    }

    private static GenReport Report(EngineSchedule s, string dir, IReadOnlyList<string> files)
    {
        var c = s.Config;
        var ops = s.Ops.Select((op, i) => new OpFigures(i, op.Node, op.Layer, op.Opcode.ToString(),
            [op.Output.Shape.Channels, op.Output.Shape.Height, op.Output.Shape.Width], op.Macs,
            op.OutputTiles, op.Bands, op.PassesPerBand, op.Cost.Cycles, op.Cost.IdealCycles, Math.Round(op.Cost.Utilization, 4))).ToList();
        double utilization = s.PredictedCycles == 0 ? 0 : (double)s.IdealCycles / s.PredictedCycles;
        return new GenReport(s.NetworkName, c.Hash(), c.Rows, c.Cols, c.AccumulatorDepth, c.ClockMHz,
            c.ActivationDepth!.Value, c.WeightDepth!.Value, c.ParamDepth!.Value, c.ProgramDepth!.Value, dir,
            files.Select(f => Path.GetRelativePath(dir, f)).ToList(), ops, s.Macs, s.PredictedCycles, s.IdealCycles,
            Math.Round(utilization, 4), Math.Round(s.PredictedCycles / (c.ClockMHz * 1e3), 3));
    }

    private static void Print(GenReport g)
    {
        var t = Output.Table("#", "layer", "op", "output", "MACs", "tiles x bands x passes", "predicted cycles", "ideal cycles", "utilization");
        foreach (var op in g.Layers)
            Output.Row(t, op.Index, op.Node, op.Op, string.Join("x", op.Output), Output.N(op.Macs),
                op.Op == nameof(Opcode.Conv) ? $"{op.OutputTiles} x {op.Bands} x {op.PassesPerBand}" : "",
                Output.N(op.PredictedCycles), Output.N(op.IdealCycles), op.Utilization.ToString("P1"));
        Output.Row(t, "", "total", "", "", Output.N(g.Macs), "", Output.N(g.PredictedCycles), Output.N(g.IdealCycles), g.Utilization.ToString("P1"));
        Output.Terminal.WriteLine($"{g.Network} on a {g.Rows}x{g.Cols} engine (configuration {g.Config}, accumulator {g.AccumulatorDepth} pixels, {g.ClockMHz} MHz)");
        Output.Terminal.Write(t);
        Output.Terminal.WriteLine($"{Output.N(g.PredictedCycles)} predicted cycles = {g.PredictedMilliseconds:F3} ms at {g.ClockMHz} MHz; " +
            $"buffers: activations {Output.N(g.ActivationDepth)}, weights {Output.N(g.WeightDepth)}, parameters {g.ParamDepth}, program {g.ProgramDepth} words");
        Output.Terminal.WriteLine($"wrote {g.Files.Count} files to {g.Directory}");
    }
}
