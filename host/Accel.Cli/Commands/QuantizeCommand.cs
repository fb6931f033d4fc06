using Spectre.Console;
using System.CommandLine;
using Accel.Model.Quantized;

namespace Accel.Cli.Commands;

/// <summary>`accel quantize MODEL -o model.q8`: post-training quantization to the int8 contract.</summary>
public static class QuantizeCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "an ONNX file (real weights), or a built-in name / JSON description (seeded weights)" };
        var output = new Option<string>("--output", "-o") { Description = "the .q8 file to write", Required = true };
        var calibration = new CalibrationOptions();
        var seed = new Option<int>("--seed") { Description = "seed for generated weights of built-in/JSON networks", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "machine-readable output" };
        var command = new Command("quantize", "Calibrate and quantize a model to int8, saved as a .q8 file") { model, output, seed, json };
        calibration.AddTo(command);
        command.SetAction(r => Cli.Run(() =>
        {
            var source = ModelSource.Open(r.GetValue(model)!, r.GetValue(seed));
            if (source.Quantized is not null) throw new UserError($"{source.Argument} is already quantized");
            if (source.SeededWeights) Output.Note($"{source.Network.Name}: no weights in a built-in or JSON network; using seeded weights (seed {r.GetValue(seed)})");
            var q = source.GetQuantized(calibration.Read(r), Output.Note);
            string path = r.GetValue(output)!;
            QuantizedModelFile.Save(q, path);
            long bytes = new FileInfo(path).Length;
            if (r.GetValue(json))
                Output.Json(new
                {
                    output = path,
                    bytes,
                    network = q.Network.Name,
                    preprocessing = q.Preprocessing,
                    inputScale = q.InputScale,
                    outputScale = q.OutputScale,
                    convolutions = q.Convs.Count,
                });
            else
                Output.Terminal.WriteLine($"wrote {path}: {q.Network.Name}, {q.Convs.Count} convolutions, {Output.N(bytes)} bytes, preprocessing '{q.Preprocessing}', input scale {q.InputScale:G4}, output scale {q.OutputScale:G4}");
        }));
        return command;
    }
}
