using System.Text.Json;
using Accel.Model.Networks;
using Accel.Model.Weights;

namespace Accel.Compression;

/// <summary>
/// Per-layer target densities (fraction of weights kept). Without a config file
/// (<see cref="Default"/>): for SqueezeNet 1.1, <see cref="SqueezeNet11"/>, a profile measured on
/// that network without retraining (docs/compression.md); for any other network the SqueezeNet
/// paper's Table 1 pattern, which the original Deep Compression file's non-zero counts confirm:
/// conv1, squeeze and expand1x1 layers dense, expand3x3 33% (30% in fire8 and fire9), the
/// expand1x1 of fire6 and fire8 and the squeeze of fire7 and fire9 50%, conv10 20%.
/// </summary>
public sealed class DensityConfig
{
    private static readonly Dictionary<string, double> PaperTable = new()
    {
        ["fire6/expand1x1"] = 0.5, ["fire7/squeeze1x1"] = 0.5,
        ["fire8/expand1x1"] = 0.5, ["fire9/squeeze1x1"] = 0.5,
        ["fire8/expand3x3"] = 0.3, ["fire9/expand3x3"] = 0.3,
        ["conv10"] = 0.2,
    };

    private readonly IReadOnlyDictionary<string, double>? _layers;
    private readonly double? _default;

    private DensityConfig(IReadOnlyDictionary<string, double>? layers, double? defaultDensity, string description)
    {
        _layers = layers;
        _default = defaultDensity;
        Description = description;
    }

    /// <summary>Where the densities come from, for messages ("SqueezeNet paper Table 1", a file name, ...).</summary>
    public string Description { get; }

    /// <summary>The paper's pattern: named layers from its Table 1, other 3x3 kernels 33%, the rest dense.</summary>
    public static DensityConfig Paper { get; } = new(null, null, "the SqueezeNet paper's Table 1 pattern");

    /// <summary>
    /// SqueezeNet 1.1 without retraining (Table 1 leaves it at 7/100 top-1): chosen by a
    /// layer-type sensitivity sweep on the 100 dev images, 6-bit + Huffman within 2 images top-1
    /// of the uncompressed int8 model (docs/compression.md, "SqueezeNet 1.1 profile").
    /// </summary>
    public static DensityConfig SqueezeNet11 { get; } = new(SqueezeNet11Layers(), 1.0, "the SqueezeNet 1.1 profile (docs/compression.md)");

    private static Dictionary<string, double> SqueezeNet11Layers()
    {
        var d = new Dictionary<string, double>();
        for (int f = 2; f <= 9; f++)
        {
            d[$"fire{f}/squeeze1x1"] = Sq11Squeeze;
            d[$"fire{f}/expand1x1"] = Sq11Expand1x1;
            d[$"fire{f}/expand3x3"] = Sq11Expand3x3;
        }
        d["conv10"] = Sq11Conv10;
        return d;
    }

    // The SqueezeNet 1.1 profile, per layer type (conv1 stays dense): the 1x1 layers lose accuracy
    // fastest for the bytes they save, so they stay dense; expand3x3 80% and conv10 40% is the
    // smallest combination measured within 2 images top-1 of the uncompressed int8 model.
    private const double Sq11Squeeze = 1.0, Sq11Expand1x1 = 1.0, Sq11Expand3x3 = 0.8, Sq11Conv10 = 0.4;

    /// <summary>The densities <c>accel compress</c> uses without a config: <see cref="SqueezeNet11"/> for SqueezeNet 1.1, else <see cref="Paper"/>.</summary>
    public static DensityConfig Default(Network network) => IsSqueezeNet11(network) ? SqueezeNet11 : Paper;

    /// <summary>
    /// SqueezeNet 1.1 by its convolutions: conv1, the squeeze/expand1x1/expand3x3 of fire2..fire9
    /// and conv10 (the names SqueezeNet 1.0 shares), with 1.1's 64-channel 3x3 conv1 (1.0 has 96
    /// channels at 7x7) and its squeeze widths 16, 16, 32, 32, 48, 48, 64, 64.
    /// </summary>
    public static bool IsSqueezeNet11(Network network)
    {
        var convs = network.Convolutions.ToDictionary(n => n.Name, n => (ConvLayer)n.Op);
        var names = new List<string> { "conv1" };
        for (int f = 2; f <= 9; f++) names.AddRange([$"fire{f}/squeeze1x1", $"fire{f}/expand1x1", $"fire{f}/expand3x3"]);
        names.Add("conv10");
        if (convs.Count != names.Count || !names.All(convs.ContainsKey)) return false;
        int[] squeeze = [16, 16, 32, 32, 48, 48, 64, 64];
        return convs["conv1"] is { OutChannels: 64, KernelSize: 3 }
            && Enumerable.Range(2, 8).All(f => convs[$"fire{f}/squeeze1x1"].OutChannels == squeeze[f - 2]
                && convs[$"fire{f}/expand1x1"].OutChannels == 4 * squeeze[f - 2] && convs[$"fire{f}/expand3x3"] is { KernelSize: 3 } e && e.OutChannels == 4 * squeeze[f - 2]);
    }

    public static DensityConfig Uniform(double density) => new(new Dictionary<string, double>(), Check(density, "default", "(argument)"), $"uniform {density}");

    public double For(Node node)
    {
        if (_layers is not null)
            return _layers.TryGetValue(node.Name, out var d) ? d : _default ?? 1.0;
        if (PaperTable.TryGetValue(node.Name, out var p)) return p;
        return node.Op is ConvLayer { KernelSize: 3 } && node.Name.Contains("expand") ? 0.33 : 1.0;
    }

    /// <summary>
    /// Reads {"default": 0.5, "layers": {"fire2/expand3x3": 0.33, ...}} (both optional; a layer
    /// not named takes the default, itself 1.0 when absent). Every density lies in (0, 1].
    /// </summary>
    public static DensityConfig Load(string path, Network network)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CompressionException($"{path}: {(e is FileNotFoundException or DirectoryNotFoundException ? "file not found" : e.Message)}");
        }
        JsonDocument doc;
        try { doc = JsonDocument.Parse(text); }
        catch (JsonException e) { throw new CompressionException($"{path}: not valid JSON (line {e.LineNumber + 1}): {e.Message}"); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new CompressionException($"{path}: expected a JSON object with 'default' and/or 'layers'");
            double? def = null;
            var layers = new Dictionary<string, double>();
            var convs = network.Convolutions.Select(n => n.Name).ToHashSet();
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                switch (prop.Name)
                {
                    case "default":
                        def = Check(Number(prop.Value, path, "default"), "default", path);
                        break;
                    case "layers" when prop.Value.ValueKind == JsonValueKind.Object:
                        foreach (var layer in prop.Value.EnumerateObject())
                        {
                            if (!convs.Contains(layer.Name))
                                throw new CompressionException($"{path}: layers.{layer.Name}: no convolution of that name in {network.Name} (known: {string.Join(", ", convs)})");
                            layers[layer.Name] = Check(Number(layer.Value, path, $"layers.{layer.Name}"), $"layers.{layer.Name}", path);
                        }
                        break;
                    default:
                        throw new CompressionException($"{path}: unknown field '{prop.Name}' (expected 'default' and 'layers': {{layer name: density}})");
                }
            }
            return new DensityConfig(layers, def, path);
        }
    }

    private static double Number(JsonElement e, string path, string field) =>
        e.ValueKind == JsonValueKind.Number ? e.GetDouble() : throw new CompressionException($"{path}: {field}: expected a number, got {e.ValueKind}");

    private static double Check(double d, string field, string path) =>
        d is > 0 and <= 1 ? d : throw new CompressionException($"{path}: {field}: density {d} is outside (0, 1]");
}

/// <summary>Magnitude pruning of float weights, per layer, on the [Cout x Cin*K*K] matrix.</summary>
public static class Pruning
{
    /// <summary>
    /// Keeps the round(density x size) largest-magnitude weights of the layer (ties: the earlier
    /// weight is kept) and zeroes the rest; a layer already at or below that count is returned as is.
    /// </summary>
    public static float[] Prune(float[] weights, double density)
    {
        int keep = (int)Math.Round(density * weights.Length, MidpointRounding.AwayFromZero);
        int nonZero = weights.Count(w => w != 0);
        if (nonZero <= keep) return weights;
        var order = Enumerable.Range(0, weights.Length).OrderByDescending(i => MathF.Abs(weights[i])).ThenBy(i => i).ToArray();
        var pruned = new float[weights.Length];
        for (int n = 0; n < keep; n++) pruned[order[n]] = weights[order[n]];
        return pruned;
    }

    /// <summary>
    /// Prunes every convolution to its density; with <paramref name="block"/>, the layers being
    /// pruned (density below 1) lose whole pass blocks (<see cref="BlockPruning"/>) instead of
    /// single weights.
    /// </summary>
    public static FloatModel Prune(FloatModel model, DensityConfig config, PassBlock? block = null)
    {
        var weights = new Dictionary<string, ConvWeights>();
        foreach (var node in model.Network.Convolutions)
        {
            var w = model.Weights[node.Name];
            double density = config.For(node);
            if (block is PassBlock b && density < 1)
            {
                var (cout, cin, k) = BlockPruning.Shape(node);
                weights[node.Name] = w with { Weights = BlockPruning.Prune(w.Weights, cout, cin, k, density, b) };
            }
            else weights[node.Name] = w with { Weights = Prune(w.Weights, density) };
        }
        return new FloatModel(model.Network, weights);
    }
}

/// <summary>A user mistake in compression input (config, options, imported file); the message names the file and place.</summary>
public sealed class CompressionException(string message) : Exception(message);
