using Spectre.Console;
using System.CommandLine;
using System.Diagnostics;
using Accel.Golden;
using Accel.Golden.Float;
using Accel.Images;
using Accel.Model.Data;
using Accel.Onnx.Runtime;

namespace Accel.Cli.Commands;

/// <summary>
/// `accel bench golden MODEL`: images/s of the ILGPU golden model against the scalar int8
/// reference, our float reference and ONNX Runtime, in one run on one machine.
/// Preprocessing is done before timing; each engine is warmed up on one image first.
/// </summary>
public static class BenchCommand
{
    public sealed record BenchRow(string Engine, string Device, int Images, double Seconds, double ImagesPerSecond, double MsPerImage, double GMacPerSecond);

    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "an ONNX file, a .q8 file or a built-in name" };
        var images = new Option<int>("--images") { Description = "images per engine (the scalar reference runs at most 3)", DefaultValueFactory = _ => 10 };
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda for the ILGPU golden model", DefaultValueFactory = _ => "auto" };
        var json = new Option<bool>("--json") { Description = "machine-readable output" };
        var golden = new Command("golden", "Benchmark the golden model against the references") { model, images, device, json };
        golden.SetAction(r => Cli.Run(() =>
        {
            int n = r.GetValue(images);
            if (n < 1) throw new UserError("--images must be at least 1");
            var source = ModelSource.Open(r.GetValue(model)!);
            var q = source.GetQuantized(new CalibrationSettings(), Output.Note);
            var pre = Preprocessing.Get(q.Preprocessing);
            var inputs = BenchInputs(source, pre, n);
            var qInputs = inputs.Select(i => q.QuantizeInput(i)).ToList();
            long macs = q.Network.Macs;
            var rows = new List<BenchRow>();

            var devices = new List<GoldenDevice> { Cli.ParseDevice(r.GetValue(device)!) };
            foreach (var d in devices)
            {
                using var g = Cli.CreateGolden(d);
                rows.Add(Time("ILGPU golden (int8)", g.DeviceName, qInputs, x => g.Run(q, x), macs));
            }
            var scalar = new ScalarReference();
            rows.Add(Time("scalar reference (int8)", "CPU, 1 thread", qInputs.Take(Math.Min(3, n)).ToList(), x => scalar.Run(q, x), macs));
            if (source.Float is not null)
                rows.Add(Time("float reference (C#)", $"CPU, {Environment.ProcessorCount} threads", inputs, x => FloatReference.Run(source.Float, x), macs));
            if (source.OnnxPath is not null)
            {
                using var ort = new OnnxRuntimeSession(source.OnnxPath);
                rows.Add(Time("ONNX Runtime (float)", "CPU", inputs, x => ort.Run(x), macs));
            }

            if (r.GetValue(json)) { Output.Json(new { network = q.Network.Name, macs, rows }); return; }
            var t = Output.Table("engine", "device", "images", "images/s", "ms/image", "GMAC/s");
            foreach (var row in rows)
                Output.Row(t, row.Engine, row.Device, row.Images, row.ImagesPerSecond.ToString("F2"), row.MsPerImage.ToString("F1"), row.GMacPerSecond.ToString("F2"));
            Output.Terminal.WriteLine($"{q.Network.Name}: {Output.N(macs)} MACs per image, {Environment.ProcessorCount} cores");
            Output.Terminal.Write(t);
        }));
        var command = new Command("bench", "Benchmarks") { golden };
        return command;
    }

    private static List<float[]> BenchInputs(ModelSource source, Preprocessing pre, int n)
    {
        if (SharedData.DevImages is string dir && source.Network.InputShape.Height == pre.Crop)
            return ImageSet.Spread(ImageSet.Enumerate(dir), n).Select(i => pre.Apply(i.Path)).ToList();
        return Enumerable.Range(0, n).Select(i => source.SyntheticInput(pre, i)).ToList();
    }

    private static BenchRow Time<T>(string engine, string device, IReadOnlyList<T> inputs, Action<T> run, long macs)
    {
        run(inputs[0]); // warm-up: JIT, kernel compilation, weight upload
        var sw = Stopwatch.StartNew();
        foreach (var x in inputs) run(x);
        double s = sw.Elapsed.TotalSeconds;
        return new BenchRow(engine, device, inputs.Count, Math.Round(s, 3), inputs.Count / s, 1000 * s / inputs.Count, macs * inputs.Count / s / 1e9);
    }
}
