using System.Text.Json;
using Accel.Model.Networks;
using Accel.Model.Weights;

namespace Accel.Compression;

/// <summary>
/// Per-layer target densities (fraction of weights kept). Without a config file, the SqueezeNet
/// paper's Table 1 pattern, which the original Deep Compression file's non-zero counts confirm
/// (docs/compression.md): conv1, squeeze and expand1x1 layers dense, expand3x3 33% (30% in fire8
/// and fire9), the expand1x1 of fire6 and fire8 and the squeeze of fire7 and fire9 50%, conv10 20%.
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

    private DensityConfig(IReadOnlyDictionary<string, double>? layers, double? defaultDensity)
    {
        _layers = layers;
        _default = defaultDensity;
    }

    /// <summary>The paper's pattern: named layers from its Table 1, other 3x3 kernels 33%, the rest dense.</summary>
    public static DensityConfig Paper { get; } = new(null, null);

    public static DensityConfig Uniform(double density) => new(new Dictionary<string, double>(), Check(density, "default", "(argument)"));

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
            return new DensityConfig(layers, def);
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

    public static FloatModel Prune(FloatModel model, DensityConfig config)
    {
        var weights = new Dictionary<string, ConvWeights>();
        foreach (var node in model.Network.Convolutions)
        {
            var w = model.Weights[node.Name];
            weights[node.Name] = w with { Weights = Prune(w.Weights, config.For(node)) };
        }
        return new FloatModel(model.Network, weights);
    }
}

/// <summary>A user mistake in compression input (config, options, imported file); the message names the file and place.</summary>
public sealed class CompressionException(string message) : Exception(message);
