using Spectre.Console;
using System.CommandLine;
using System.Diagnostics;
using Accel.Cosim;
using Accel.Golden.Testing;
using Accel.Hardware.Schedule;
using Accel.Images;
using Accel.Golden;
using Accel.Model.Data;
using Accel.Model.Networks;
using Accel.Model.Quantized;

namespace Accel.Cli.Commands;

/// <summary>
/// `accel cosim NETWORK [--layer NAME] [--rows R --cols C]`: the whole network (or one layer or
/// Fire module) on the generated RTL in Verilator with its data in simulated DRAM, every layer's
/// output compared bit for bit with the golden model's activations; the whole network also
/// reports the top-5 classes from the RTL's logits and the projected frames/s.
/// </summary>
public static class CosimCommand
{
    /// <param name="WeightLoadBeats">DRAM beats the layer's weight loads read (sparse streams where decoded on load).</param>
    /// <param name="DecodeCycles">Cycles the load unit spent on the layer's sparse weight loads.</param>
    public sealed record LayerFigures(string Node, string Layer, string Op, long Cycles, long ActiveCycles, long IdealCycles,
        long PredictedCycles, double Utilization, bool BitExact, Mismatch? FirstMismatch, long WeightLoadBeats, long DecodeCycles, int SparseLoads);

    public sealed record Totals(long Cycles, long IdealCycles, long PredictedCycles, double Utilization);

    /// <param name="ProgramBytes">Bytes the instruction port read (the program, once).</param>
    public sealed record DramFigures(long ReadBytes, long WrittenBytes, long ProgramBytes, int ReadLatency, int WriteLatency, double BeatsPerCycle, int PortBits);

    public sealed record CosimReport(string Network, string? Layer, string Weights, bool SparseWeights, string Config, int Rows, int Cols, double ClockMHz,
        IReadOnlyList<LayerFigures> Layers, Totals Totals, long TotalCycles, bool BitExact, Mismatch? FirstMismatch, string? DumpDirectory,
        int[]? Top5, int[]? GoldenTop5, double FramesPerSecond, DramFigures Dram,
        bool BuildCacheHit, double BuildSeconds, double SimulationSeconds, double WallSeconds, string? Trace);

    public static Command Create()
    {
        var network = new Argument<string>("network") { Description = "an ONNX or .q8 file (real weights), or a built-in name / JSON description (seeded weights)" };
        var layer = new Option<string?>("--layer") { Description = "only this layer or Fire module (e.g. conv1, fire2); default: the whole network" };
        var engine = new EngineOptions(defaultSize: 16);
        var image = new Option<string?>("--image") { Description = "image file whose activations feed the layer (default: a generated input)" };
        var seed = new Option<int>("--seed") { Description = "seed for generated weights and input", DefaultValueFactory = _ => 1 };
        var trace = new Option<string?>("--trace") { Description = "write a VCD waveform of the run to this file" };
        var threads = new Option<int?>("--threads") { Description = "Verilator model threads (default: single-threaded)" };
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda for the golden model", DefaultValueFactory = _ => "auto" };
        var calibration = new CalibrationOptions();
        var json = new Option<bool>("--json") { Description = "machine-readable output" };
        var sparseWeights = new Option<bool?>("--sparse-weights")
        {
            Description = "decode on load: weight loads whose sparse stream (codebook + EIE entries) is smaller than their dense words read the stream "
                + "(default: on for an .eie model, off otherwise; --sparse-weights false turns it off)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var command = new Command("cosim", "Co-simulate a network (or one layer) on the generated RTL against the golden model")
            { network, layer, image, seed, trace, threads, device, json, sparseWeights };
        engine.AddTo(command);
        calibration.AddTo(command);
        command.SetAction(r => Cli.Run(() =>
        {
            var wall = Stopwatch.StartNew();
            var config = engine.Read(r);
            if (r.GetValue(threads) is < 1) throw new UserError("--threads must be at least 1");
            string? layerName = r.GetValue(layer);
            int seedValue = r.GetValue(seed);
            var source = ModelSource.Open(r.GetValue(network)!, seedValue, structureOnly: true);
            if (layerName is not null) LayerCosim.Select(source.Network, layerName); // an unknown layer fails before any quantization
            else ScheduleCompiler.Plan(source.Network, config); // a network that does not fit fails before quantization too
            var deviceValue = Cli.ParseDevice(r.GetValue(device)!);
            string? imagePath = r.GetValue(image);

            var (model, input, weights) = ModelAndInput(source, imagePath, seedValue, calibration.Read(r));
            using var golden = Cli.CreateGolden(deviceValue);
            Output.Note($"cosim of {(layerName is null ? "the whole network" : $"'{layerName}'")} on a {config} engine: golden model on {golden.DeviceName}; building or reusing the Verilator model");
            var options = new CosimOptions
            {
                TracePath = r.GetValue(trace) is string t ? Path.GetFullPath(t) : null,
                Threads = r.GetValue(threads),
                SparseWeights = r.GetValue(sparseWeights) ?? source.Argument.EndsWith(".eie", StringComparison.OrdinalIgnoreCase),
            };
            CosimReport report;
            if (layerName is not null)
            {
                report = Report(model.Network.Name, layerName, weights, options.SparseWeights, LayerCosim.Run(model, input, layerName, config, golden, options), null, wall.Elapsed);
            }
            else
            {
                var whole = r.GetValue(json) || Console.IsErrorRedirected
                    ? NetworkCosim.Run(model, input, config, golden, options)
                    : WithProgress(model, config, progress => NetworkCosim.Run(model, input, config, golden, options with { ComputeProgress = progress }));
                report = Report(model.Network.Name, null, weights, options.SparseWeights, whole.Cosim, whole, wall.Elapsed);
            }
            if (r.GetValue(json)) Output.Json(report);
            else Print(report);
            return report.BitExact ? 0 : 1;
        }));
        return command;
    }

    /// <summary>
    /// Real weights from an ONNX (calibrated now) or .q8 file; seeded random int8 weights for
    /// built-in and JSON networks. The input is the image, else a generated one.
    /// </summary>
    internal static (QuantizedModel Model, sbyte[] Input, string Weights) ModelAndInput(ModelSource source, string? imagePath,
        int seed, CalibrationSettings calibration)
    {
        if (source.SeededWeights)
        {
            Output.Note($"{source.Network.Name}: using seeded int8 weights (seed {seed}); give an ONNX or .q8 file for real ones");
            var seeded = RandomQuantizedModel.Create(source.Network, seed);
            if (imagePath is null) return (seeded, RandomQuantizedModel.Input(source.Network, seed + 1), "seeded");
            var picture = LoadImage(source.Network, source.Preprocessing, imagePath);
            // The seeded model's input scale is 1; rescale so the image spans the int8 range instead of a few steps.
            float maxAbs = picture.Max(Math.Abs);
            var model = WithInputScale(seeded, maxAbs > 0 ? maxAbs / 127f : 1f);
            return (model, model.QuantizeInput(picture), "seeded");
        }
        var q = source.GetQuantized(calibration, Output.Note);
        var pre = Preprocessing.Get(q.Preprocessing);
        if (imagePath is null) Output.Note("no --image given: using a generated picture");
        var x = imagePath is null ? source.SyntheticInput(pre, 1234) : LoadImage(q.Network, pre, imagePath);
        string weights = source.OnnxPath is not null ? "onnx (calibrated)"
            : source.Argument.EndsWith(".eie", StringComparison.OrdinalIgnoreCase) ? "eie (decoded on the host)" : "q8";
        return (q, q.QuantizeInput(x), weights);
    }

    private static float[] LoadImage(Network network, Preprocessing pre, string path)
    {
        if (Directory.Exists(path)) throw new UserError($"--image {path}: expected one image file, got a folder");
        ModelSource.RequireImageInput(network, pre);
        return pre.Apply(path);
    }

    /// <summary>The model with the network input (and the tensors that must share its scale) at <paramref name="scale"/>.</summary>
    private static QuantizedModel WithInputScale(QuantizedModel m, float scale)
    {
        var groups = TensorGroups.ScaleGroups(m.Network);
        string inputGroup = groups[Network.InputName];
        var scales = m.TensorScales.ToDictionary(kv => kv.Key, kv => groups[kv.Key] == inputGroup ? scale : kv.Value);
        return m.WithConvs(m.Convs, scales);
    }

    /// <summary>Runs <paramref name="run"/> with one progress bar per layer, advanced as its compute instructions complete.</summary>
    private static NetworkCosimResult WithProgress(QuantizedModel model, Accel.Hardware.Config.EngineConfig config,
        Func<Action<long, long>, NetworkCosimResult> run)
    {
        var schedule = CosimBuildProfile.Plan(model.Network, config);
        var layerOf = schedule.Instructions.Where(i => i.Unit == Accel.Hardware.Program.Unit.Compute).Select(i => i.Layer).ToArray();
        NetworkCosimResult? result = null;
        Output.ProgressTerminal.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var tasks = schedule.Ops.Select((op, i) => ctx.AddTask(Markup.Escape(op.Node), autoStart: false,
                    maxValue: Math.Max(1, layerOf.Count(l => l == i)))).ToArray();
                result = run((done, _) =>
                {
                    if (done < 1 || done > layerOf.Length) return;
                    var task = tasks[layerOf[done - 1]];
                    if (!task.IsStarted) task.StartTask();
                    task.Increment(1);
                });
                foreach (var t in tasks) t.StopTask();
            });
        return result!;
    }

    private static CosimReport Report(string network, string? layer, string weights, bool sparseWeights, CosimResult r, NetworkCosimResult? whole, TimeSpan wall)
    {
        var c = r.Schedule.Config;
        var layers = r.Layers.Select(l => new LayerFigures(l.Node, l.Layer, l.Op, l.Cycles, l.ActiveCycles, l.IdealCycles, l.PredictedCycles,
            Math.Round(l.Utilization, 4), l.BitExact, l.FirstMismatch, l.WeightLoadBeats, l.DecodeCycles, l.SparseLoads)).ToList();
        var totals = new Totals(r.TotalCycles, r.IdealCycles, r.Schedule.PredictedCycles, Math.Round(r.Utilization, 4));
        var mem = r.Schedule.Memory;
        var dram = new DramFigures((long)(r.Dram?.ReadBeats ?? 0) * c.DramBits / 8, (long)(r.Dram?.WriteBeats ?? 0) * c.DramBits / 8,
            (long)(r.Dram?.InstructionReadBeats ?? 0) * c.DramBits / 8, mem.ReadLatency, mem.WriteLatency, mem.BeatsPerCycle, c.DramBits);
        return new CosimReport(network, layer, weights, sparseWeights, c.Hash(), c.Rows, c.Cols, c.ClockMHz, layers, totals, r.TotalCycles, r.BitExact, r.FirstMismatch,
            r.DumpDirectory, whole?.Top5, whole?.GoldenTop5, Math.Round(c.ClockMHz * 1e6 / Math.Max(1, r.TotalCycles), 2), dram,
            r.Build.FromCache, Math.Round(r.Build.BuildTime.TotalSeconds, 3), Math.Round(r.SimulationTime.TotalSeconds, 3),
            Math.Round(wall.TotalSeconds, 3), r.TracePath);
    }

    private static void Print(CosimReport g)
    {
        var t = Output.Table("node", "op", "cycles", "ideal cycles", "predicted", "utilization", "weight beats", "decode cycles", "bit-exact");
        foreach (var l in g.Layers)
            Output.Row(t, l.Node, l.Op, Output.N(l.Cycles), Output.N(l.IdealCycles), Output.N(l.PredictedCycles), l.Utilization.ToString("P1"),
                Output.N(l.WeightLoadBeats), Output.N(l.DecodeCycles), l.BitExact ? "yes" : "NO");
        Output.Row(t, "total", "", Output.N(g.Totals.Cycles), Output.N(g.Totals.IdealCycles), Output.N(g.Totals.PredictedCycles),
            g.Totals.Utilization.ToString("P1"), Output.N(g.Layers.Sum(l => l.WeightLoadBeats)), Output.N(g.Layers.Sum(l => l.DecodeCycles)), g.BitExact ? "yes" : "NO");
        Output.Terminal.WriteLine($"{g.Network} {(g.Layer is null ? "(whole network)" : $"layer {g.Layer}")} on a {g.Rows}x{g.Cols} engine ({g.Weights} weights" +
            $"{(g.SparseWeights ? ", decoded on load" : "")}, configuration {g.Config})");
        Output.Terminal.Write(t);
        double ratio = g.Totals.IdealCycles == 0 ? 0 : (double)g.TotalCycles / g.Totals.IdealCycles;
        Output.Terminal.WriteLine($"total {Output.N(g.TotalCycles)} cycles = {ratio:F3} x ideal ({g.Totals.Utilization:P1} utilization); " +
            $"predicted {Output.N(g.Totals.PredictedCycles)} ({(g.Totals.PredictedCycles - g.TotalCycles) * 100.0 / Math.Max(1, g.TotalCycles):+0.0;-0.0}%); " +
            $"{g.FramesPerSecond:F1} frames/s at {g.ClockMHz} MHz");
        Output.Terminal.WriteLine($"DRAM: {Output.N(g.Dram.ReadBytes)} B read, {Output.N(g.Dram.WrittenBytes)} B written over a {g.Dram.PortBits}-bit port " +
            $"({g.Dram.BeatsPerCycle:0.##} beat/cycle each way, read latency {g.Dram.ReadLatency}, write latency {g.Dram.WriteLatency}); " +
            $"program {Output.N(g.Dram.ProgramBytes)} B over the instruction port");
        if (g.Top5 is { } top5)
        {
            var names = ClassNames.Load(SharedData.SynsetWords);
            Output.Terminal.WriteLine("top-5 from the RTL's logits" + (g.GoldenTop5 is { } gt && gt.SequenceEqual(top5) ? " (same as the golden model):" : " (golden model differs):"));
            for (int i = 0; i < top5.Length; i++)
                Output.Terminal.WriteLine($"  {i + 1}. {top5[i],4}  {names[top5[i]]}");
        }
        string build = g.BuildCacheHit ? "build reused from cache" : $"built in {g.BuildSeconds:F1} s";
        Output.Terminal.WriteLine($"{build}; simulation {g.SimulationSeconds:F2} s; wall {g.WallSeconds:F1} s" + (g.Trace is null ? "" : $"; trace {g.Trace}"));
        if (g.FirstMismatch is { } m)
        {
            Output.Terminal.WriteLine($"MISMATCH at {m}");
            Output.Terminal.WriteLine($"tensors dumped to {g.DumpDirectory}");
        }
        else Output.Terminal.WriteLine("bit-exact: every output matches the golden model");
    }
}
