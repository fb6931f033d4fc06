using Spectre.Console;
using System.CommandLine;
using Accel.Golden;
using Accel.Golden.Float;
using Accel.Images;
using Accel.Model.Data;
using Accel.Model.Networks;
using Accel.Model.Quantized;
using Accel.Onnx.Runtime;

namespace Accel.Cli.Commands;

/// <summary>
/// `accel golden MODEL --image FILE|DIR`: classify with the int8 golden model on ILGPU, and,
/// when float weights are at hand, compare with the float model (ONNX Runtime for ONNX files).
/// </summary>
public static class GoldenCommand
{
    public sealed record LayerFigures(string Name, int[] Shape, long Macs, float Scale, double SaturatedPercent, double? SqnrDb);

    public sealed record ImageResult(string Image, int[] Top5, float[] Top5Logits, int? Label, int[]? FloatTop5, IReadOnlyList<LayerFigures>? Layers);

    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "an ONNX file (quantized now), a .q8 file, or a built-in name / JSON description (seeded weights)" };
        var image = new Option<string?>("--image") { Description = "an image file or a folder of images (default: a generated picture)" };
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda", DefaultValueFactory = _ => "auto" };
        var dump = new Option<string?>("--dump") { Description = "write every layer's int8 output to this folder" };
        var calibration = new CalibrationOptions();
        var noFloat = new Option<bool>("--no-float") { Description = "skip the float reference" };
        var seed = new Option<int>("--seed") { Description = "seed for generated weights", DefaultValueFactory = _ => 1 };
        var reference = new Option<string?>("--reference") { Description = "float ONNX model to compare with (default: MODEL itself when it is an ONNX file)" };
        var json = new Option<bool>("--json") { Description = "machine-readable output: an array with one object per image" };
        var command = new Command("golden", "Run the int8 golden model on images and print top-5")
            { model, image, device, dump, noFloat, seed, reference, json };
        calibration.AddTo(command);
        command.SetAction(r => Cli.Run(() =>
        {
            var source = ModelSource.Open(r.GetValue(model)!, r.GetValue(seed));
            if (source.SeededWeights) Output.Note($"{source.Network.Name}: using seeded weights (seed {r.GetValue(seed)}); give an ONNX or .q8 file for real ones");
            var images = r.GetValue(image) is string path ? ImageSet.Enumerate(path) : null;
            var device_ = Cli.ParseDevice(r.GetValue(device)!);
            var q = source.GetQuantized(calibration.Read(r), Output.Note);
            var floatSource = source;
            if (r.GetValue(reference) is string refPath)
            {
                floatSource = ModelSource.Open(refPath);
                if (floatSource.OnnxPath is null) throw new UserError($"--reference {refPath}: expected an ONNX file");
                RequireSameNetwork(q.Network, floatSource.Network, refPath);
            }
            var results = Classify(source, floatSource, q, images, device_, r.GetValue(noFloat), r.GetValue(dump), Output.Note);
            if (r.GetValue(json)) Output.Json(results);
            else Print(q.Network, results);
        }));
        return command;
    }

    private static void RequireSameNetwork(Network quantized, Network reference, string referencePath)
    {
        var a = quantized.Nodes.Select(n => (n.Name, n.Output)).ToList();
        var b = reference.Nodes.Select(n => (n.Name, n.Output)).ToList();
        if (!a.SequenceEqual(b))
        {
            int i = Enumerable.Range(0, Math.Min(a.Count, b.Count)).FirstOrDefault(k => a[k] != b[k], Math.Min(a.Count, b.Count));
            string at = i < Math.Min(a.Count, b.Count) ? $"layer {a[i].Name} {a[i].Output} vs {b[i].Name} {b[i].Output}" : $"{a.Count} vs {b.Count} layers";
            throw new UserError($"--reference {referencePath}: not the same network as the quantized model ({at})");
        }
    }

    /// <summary>
    /// Classifies every image with the int8 golden model; <paramref name="floatSource"/> supplies
    /// the float comparison (ONNX Runtime for its logits when it is an ONNX file, our float
    /// reference for per-layer activations).
    /// </summary>
    public static List<ImageResult> Classify(ModelSource source, ModelSource floatSource, QuantizedModel q, IReadOnlyList<LabelledImage>? images,
        GoldenDevice device, bool noFloat, string? dumpDir, Action<string> say)
    {
        var pre = Preprocessing.Get(q.Preprocessing);
        if (images is null) say("no --image given: classifying a generated picture");
        var inputs = images is null
            ? [("generated", (int?)null, source.SyntheticInput(pre, 1234))]
            : images.Select(i => (i.Path, i.Label, (float[])null!)).ToList();
        if (images is not null) ModelSource.RequireImageInput(q.Network, pre);

        using var golden = Cli.CreateGolden(device);
        say($"golden model on {golden.DeviceName}");
        using var ort = !noFloat && floatSource.OnnxPath is not null ? new OnnxRuntimeSession(floatSource.OnnxPath) : null;
        var floatModel = floatSource.Float;
        bool single = inputs.Count == 1;
        var results = new List<ImageResult>();
        foreach (var (path, label, given) in inputs)
        {
            var input = given ?? pre.Apply(path);
            var result = golden.Run(q, q.QuantizeInput(input));
            var top5 = Classification.TopK(q, result, 5);

            int[]? floatTop5 = null;
            IReadOnlyDictionary<string, float[]>? floatActs = null;
            if (!noFloat && (ort is not null || floatModel is not null))
            {
                float[] floatLogits;
                if (single && floatModel is not null)
                {
                    var fr = FloatReference.Run(floatModel, input, keepActivations: true);
                    floatActs = fr.Activations;
                    floatLogits = ort?.Run(input) ?? fr.Output;
                }
                else floatLogits = ort?.Run(input) ?? FloatReference.Run(floatModel!, input).Output;
                floatTop5 = Classification.TopK(floatLogits, 5);
            }
            var layers = single ? LayerTable(q, result, floatActs) : null;
            if (dumpDir is not null)
                GoldenDump.Write(result, single ? dumpDir : Path.Combine(dumpDir, Path.GetFileNameWithoutExtension(path)));
            results.Add(new ImageResult(path, top5, top5.Select(i => result.Output.Dequantize(i)).ToArray(), label, floatTop5, layers));
            if (!single && results.Count % 10 == 0) say($"  {results.Count}/{inputs.Count} images");
        }
        return results;
    }

    private static List<LayerFigures> LayerTable(QuantizedModel q, GoldenResult result, IReadOnlyDictionary<string, float[]>? floatActs)
    {
        var list = new List<LayerFigures>();
        foreach (var node in q.Network.Nodes)
        {
            var t = result.Activations[node.Name];
            var (lo, hi) = q.OutputRange(node);
            int saturated = 0;
            for (int i = 0; i < t.Data.Length; i++)
                if (t.ValueAt(i) is var v && (v == hi || (v == lo && lo < 0))) saturated++;
            double? sqnr = null;
            if (floatActs is not null && floatActs.TryGetValue(node.Name, out var f))
            {
                double signal = 0, noise = 0;
                for (int i = 0; i < f.Length; i++)
                {
                    double d = f[i] - t.Dequantize(i);
                    signal += (double)f[i] * f[i];
                    noise += d * d;
                }
                sqnr = noise == 0 ? 999 : Math.Round(10 * Math.Log10(signal / noise), 2);
            }
            list.Add(new LayerFigures(node.Name, [node.Output.Channels, node.Output.Height, node.Output.Width], node.Macs, t.Scale,
                Math.Round(100.0 * saturated / t.Data.Length, 3), sqnr));
        }
        return list;
    }

    private static void Print(Network network, List<ImageResult> results)
    {
        var names = ClassNames.Load(SharedData.SynsetWords);
        if (results.Count == 1)
        {
            var r = results[0];
            if (r.Layers is not null)
            {
                var t = Output.Table("layer", "output", "MACs", "scale", "saturated %", "SQNR dB vs float");
                foreach (var l in r.Layers)
                    Output.Row(t, l.Name, string.Join("x", l.Shape), Output.N(l.Macs), l.Scale.ToString("G4"), l.SaturatedPercent.ToString("F2"), l.SqnrDb?.ToString("F1") ?? "-");
                Output.Terminal.Write(t);
            }
            Output.Terminal.WriteLine($"{r.Image}: top-5 (int8 golden)");
            for (int i = 0; i < r.Top5.Length; i++)
                Output.Terminal.WriteLine($"  {i + 1}. {r.Top5[i],4}  {names[r.Top5[i]],-30} logit {r.Top5Logits[i]:F3}");
            if (r.FloatTop5 is not null)
                Output.Terminal.WriteLine($"float reference top-5: {string.Join(", ", r.FloatTop5)}{(r.FloatTop5[0] == r.Top5[0] ? " (top-1 agrees)" : " (top-1 differs)")}");
            return;
        }

        foreach (var r in results)
            Output.Terminal.WriteLine($"{Path.GetFileName(r.Image)}: {r.Top5[0]} {names[r.Top5[0]]}{(r.Label is int l ? (r.Top5[0] == l ? "  [correct]" : $"  [true {l}]") : "")}");
        var summary = Summarize(results);
        Output.Terminal.WriteLine($"{network.Name}: {results.Count} images");
        if (summary.Labelled > 0)
        {
            Output.Terminal.WriteLine($"  int8 golden: top-1 {summary.Top1}/{summary.Labelled}, top-5 {summary.Top5}/{summary.Labelled}");
            if (summary.FloatCompared > 0)
                Output.Terminal.WriteLine($"  float      : top-1 {summary.FloatTop1}/{summary.Labelled}, top-5 {summary.FloatTop5}/{summary.Labelled}");
        }
        if (summary.FloatCompared > 0)
            Output.Terminal.WriteLine($"  int8 top-1 agrees with float top-1 on {summary.Agree}/{summary.FloatCompared} images");
    }

    public sealed record Summary(int Labelled, int Top1, int Top5, int FloatTop1, int FloatTop5, int FloatCompared, int Agree);

    public static Summary Summarize(IReadOnlyList<ImageResult> results)
    {
        var labelled = results.Where(r => r.Label is not null).ToList();
        var compared = results.Where(r => r.FloatTop5 is not null).ToList();
        return new Summary(
            labelled.Count,
            labelled.Count(r => r.Top5[0] == r.Label),
            labelled.Count(r => r.Top5.Contains(r.Label!.Value)),
            labelled.Count(r => r.FloatTop5 is not null && r.FloatTop5[0] == r.Label),
            labelled.Count(r => r.FloatTop5 is not null && r.FloatTop5.Contains(r.Label!.Value)),
            compared.Count,
            compared.Count(r => r.FloatTop5![0] == r.Top5[0]));
    }
}
