using Accel.Model.Networks;

namespace Accel.Model.Weights;

/// <summary>Float parameters of one convolution: weights [Cout][Cin/Groups][K][K] and bias [Cout].</summary>
public sealed record ConvWeights(float[] Weights, float[] Bias);

/// <summary>
/// A network with float weights, keyed by primitive conv node name (e.g. "fire2/expand3x3").
/// Sizes are checked against the network at construction. Every operator of the description is
/// accepted: only convolutions carry parameters (the others are parameter-free in float).
/// </summary>
public sealed class FloatModel
{
    public FloatModel(Networks.Network network, IReadOnlyDictionary<string, ConvWeights> weights)
    {
        foreach (var node in network.Convolutions)
        {
            var conv = (ConvLayer)node.Op;
            if (!weights.TryGetValue(node.Name, out var w))
                throw new NetworkException(node.Name, "weights", "no weights for this convolution");
            long expected = (long)conv.OutChannels * FanIn(node);
            if (w.Weights.Length != expected)
                throw new NetworkException(node.Name, "weights", $"expected {expected} weights ({conv.OutChannels}x{node.Input.Channels / conv.Groups}x{conv.KernelSize}x{conv.KernelSize}), got {w.Weights.Length}");
            if (w.Bias.Length != conv.OutChannels)
                throw new NetworkException(node.Name, "bias", $"expected {conv.OutChannels} biases, got {w.Bias.Length}");
        }
        Network = network;
        Weights = weights;
    }

    public Networks.Network Network { get; }
    public IReadOnlyDictionary<string, ConvWeights> Weights { get; }

    /// <summary>Weights per output channel of a conv node: Cin/Groups x K x K (rule GROUPED_CONV).</summary>
    public static int FanIn(Node node)
    {
        var conv = (ConvLayer)node.Op;
        return node.Input.Channels / conv.Groups * conv.KernelSize * conv.KernelSize;
    }

    /// <summary>
    /// Deterministic He-initialised weights and small biases, for runs without real weights
    /// (a fresh clone without ../shared/data, random regression layers).
    /// </summary>
    public static FloatModel Seeded(Networks.Network network, int seed)
    {
        var rng = new Random(seed);
        var weights = new Dictionary<string, ConvWeights>();
        foreach (var node in network.Convolutions)
        {
            var conv = (ConvLayer)node.Op;
            int fanIn = FanIn(node);
            double std = Math.Sqrt(2.0 / fanIn);
            var w = new float[conv.OutChannels * fanIn];
            for (int i = 0; i < w.Length; i++) w[i] = (float)(Gaussian(rng) * std);
            var b = new float[conv.OutChannels];
            for (int i = 0; i < b.Length; i++) b[i] = (float)(Gaussian(rng) * 0.05);
            weights[node.Name] = new ConvWeights(w, b);
        }
        return new FloatModel(network, weights);
    }

    private static double Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
