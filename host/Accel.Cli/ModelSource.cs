using Accel.Compression;
using Accel.Images;
using Accel.Model.Data;
using Accel.Model.Networks;
using Accel.Model.Quantized;
using Accel.Model.Weights;
using Accel.Onnx;
using Accel.Quantization;

namespace Accel.Cli;

/// <summary>
/// What a NETWORK/MODEL argument names: a built-in network, a JSON description, an ONNX file
/// (real float weights), a quantized .q8 file or a compressed .eie file. Built-ins and JSON get seeded weights.
/// </summary>
public sealed class ModelSource
{
    private ModelSource(string argument, Network network, FloatModel? floatModel, QuantizedModel? quantized, string? onnxPath, bool seeded)
    {
        Argument = argument;
        Network = network;
        Float = floatModel;
        Quantized = quantized;
        OnnxPath = onnxPath;
        SeededWeights = seeded;
    }

    public string Argument { get; }
    public Network Network { get; }
    public FloatModel? Float { get; }
    public QuantizedModel? Quantized { get; }
    public string? OnnxPath { get; }
    public bool SeededWeights { get; }

    public Preprocessing Preprocessing => Quantized is not null
        ? Preprocessing.Get(Quantized.Preprocessing)
        : Preprocessing.ForInputSize(Network.InputShape.Height);

    public static ModelSource Open(string argument, int seed = 1, bool structureOnly = false)
    {
        if (BuiltinNetworks.TryGet(argument, out var builtin))
            return new ModelSource(argument, builtin, structureOnly ? null : FloatModel.Seeded(builtin, seed), null, null, seeded: true);
        string ext = Path.GetExtension(argument).ToLowerInvariant();
        if (!File.Exists(argument))
            throw new UserError(ext is ".json" or ".onnx" or ".q8" or ".eie"
                ? $"{argument}: file not found"
                : $"'{argument}' is neither a built-in network ({string.Join(", ", BuiltinNetworks.Names)}) nor an existing .json, .onnx, .q8 or .eie file");
        switch (ext)
        {
            case ".json":
                var net = NetworkJson.Load(argument);
                return new ModelSource(argument, net, structureOnly ? null : FloatModel.Seeded(net, seed), null, null, seeded: true);
            case ".onnx":
                var model = OnnxImporter.Load(argument);
                return new ModelSource(argument, model.Network, model, null, argument, seeded: false);
            case ".q8":
                var q = QuantizedModelFile.Load(argument);
                return new ModelSource(argument, q.Network, null, q, null, seeded: false);
            case ".eie":
                var eie = EieFile.Load(argument);
                return new ModelSource(argument, eie.Model.Network, null, eie.Model, null, seeded: false);
            default:
                throw new UserError($"{argument}: unknown model type '{ext}' (expected .json, .onnx, .q8 or .eie)");
        }
    }

    /// <summary>A source for float weights read elsewhere (an imported Deep Compression file).</summary>
    public static ModelSource FromFloat(string argument, FloatModel model) => new(argument, model.Network, model, null, null, seeded: false);

    /// <summary>
    /// The int8 model: loaded as is from a .q8, otherwise quantized now from the float weights,
    /// calibrated on <paramref name="calibrationDir"/> (default: the shared ImageNet dev images,
    /// else synthetic pictures).
    /// </summary>
    public QuantizedModel GetQuantized(CalibrationSettings calibration, Action<string> say, WeightQuantizer? weightQuantizer = null)
    {
        if (Quantized is not null) return Quantized;
        var floatModel = Float ?? throw new InvalidOperationException("no weights to quantize");
        var pre = Preprocessing;
        var inputs = CalibrationInputs(pre, calibration.Directory, calibration.Count, say);
        var ranges = PostTrainingQuantizer.Calibrate(floatModel, inputs, calibration.Method);
        return PostTrainingQuantizer.Quantize(floatModel, ranges, pre.Name, weightQuantizer);
    }

    public IReadOnlyList<float[]> CalibrationInputs(Preprocessing pre, string? dir, int count, Action<string> say)
    {
        dir ??= SharedData.DevImages;
        if (dir is not null) RequireImageInput(Network, pre);
        if (dir is null)
        {
            say($"calibrating on {count} synthetic images (no image folder given and ../shared/data is absent)");
            return Enumerable.Range(0, count).Select(i => SyntheticInput(pre, i)).ToList();
        }
        var images = ImageSet.Spread(ImageSet.Enumerate(dir), count);
        say($"calibrating on {images.Count} images from {dir}");
        return images.Select(img => pre.Apply(img.Path)).ToList();
    }

    /// <summary>Images can only feed a network whose input is what the preprocessing produces.</summary>
    public static void RequireImageInput(Network network, Preprocessing pre)
    {
        if (!network.InputShape.Equals(new Shape(3, pre.Crop, pre.Crop)))
            throw new UserError($"network '{network.Name}' takes a {network.InputShape} input; images preprocess to 3x{pre.Crop}x{pre.Crop}");
    }

    /// <summary>A generated picture, preprocessed, or a seeded tensor when the network's input is not an RGB image.</summary>
    public float[] SyntheticInput(Preprocessing pre, int seed)
    {
        var shape = Network.InputShape;
        if (shape.Channels == 3 && shape.Height == shape.Width)
            return (pre with { Crop = shape.Height, ResizeShortSide = shape.Height }).Apply(RgbImage.Synthetic(seed));
        var rng = new Random(seed);
        return Enumerable.Range(0, (int)shape.Elements).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
    }
}
