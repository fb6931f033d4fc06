using Accel.Model.Arithmetic;
using Accel.Model.Networks;
using Accel.Model.Quantized;

namespace Accel.Golden.Testing;

/// <summary>
/// Builds a valid <see cref="QuantizedModel"/> with random int8 weights for any network, for tests
/// and benchmarks: every tensor scale is 1 (so concat inputs share a scale), weights in [-127, 127],
/// modest biases, and per-channel (M, S) chosen so activations neither vanish nor all saturate.
/// </summary>
public static class RandomQuantizedModel
{
    public static QuantizedModel Create(Network network, int seed)
    {
        ArgumentNullException.ThrowIfNull(network);
        var rng = new Random(seed);
        var scales = new Dictionary<string, float> { [Network.InputName] = 1f };
        var convs = new Dictionary<string, QuantizedConv>();
        var pools = new Dictionary<string, Requant>();
        foreach (var node in network.Nodes)
        {
            scales[node.Name] = 1f;
            switch (node.Op)
            {
                case ConvLayer c:
                {
                    int fanIn = Model.Weights.FloatModel.FanIn(node);
                    var w = new sbyte[(long)c.OutChannels * fanIn];
                    for (int i = 0; i < w.Length; i++) w[i] = (sbyte)rng.Next(-Int8Arithmetic.WeightMax, Int8Arithmetic.WeightMax + 1);
                    var bias = new int[c.OutChannels];
                    var rq = new Requant[c.OutChannels];
                    var ws = new float[c.OutChannels];
                    // acc ~ sqrt(fanIn) * 73 (weights) * ~50 (activations); aim for outputs of a few tens.
                    double baseScale = 40.0 / (Math.Sqrt(fanIn) * 73 * 50);
                    for (int oc = 0; oc < c.OutChannels; oc++)
                    {
                        bias[oc] = rng.Next(-2000, 2001) * (int)Math.Max(1, Math.Sqrt(fanIn));
                        rq[oc] = Int8Arithmetic.ChooseMultiplier(baseScale * (0.5 + rng.NextDouble()));
                        ws[oc] = 1f;
                    }
                    convs[node.Name] = new QuantizedConv(node.Name, w, bias, rq, ws);
                    break;
                }
                case GlobalAvgPoolLayer:
                    pools[node.Name] = Int8Arithmetic.ChooseMultiplier(1.0 / (node.Input.Height * node.Input.Width));
                    break;
            }
        }
        return new QuantizedModel(network, "random", scales, convs, pools);
    }

    /// <summary>A random int8 input image for the network (full int8 range).</summary>
    public static sbyte[] Input(Network network, int seed)
    {
        var rng = new Random(seed);
        var x = new sbyte[network.InputShape.Elements];
        for (int i = 0; i < x.Length; i++) x[i] = (sbyte)rng.Next(-128, 128);
        return x;
    }
}
