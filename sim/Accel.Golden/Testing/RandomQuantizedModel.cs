using Accel.Model.Arithmetic;
using Accel.Model.Networks;
using Accel.Model.Quantized;

namespace Accel.Golden.Testing;

/// <summary>
/// Builds a valid <see cref="QuantizedModel"/> with random int8 weights for any network, for tests
/// and benchmarks: every tensor scale is 1 (so concat inputs share a scale), weights in [-127, 127],
/// modest biases, and per-channel (M, S) chosen so activations neither vanish nor all saturate; adds,
/// activation tables, average pools and scales with parameters of the same intent.
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
        var adds = new Dictionary<string, AddRequant>();
        var tables = new Dictionary<string, int[]>();
        var avgPools = new Dictionary<string, Requant[]>();
        var scaleRequant = new Dictionary<string, Requant>();
        var unsignedTensors = TensorGroups.UnsignedTensors(network);
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
                case AddLayer:
                    // Roughly the mean of the two inputs, each weight drawn in [0.4, 0.7].
                    adds[node.Name] = CompactOperators.ChooseAddMultipliers(0.4 + 0.3 * rng.NextDouble(), 0.4 + 0.3 * rng.NextDouble(), 1);
                    break;
                case ActivationLayer act:
                {
                    // Tables built as if an input of 40 meant 4.0: the activations' interesting
                    // regions (0 to 6, -3 to 3) then cover typical values. Outputs are spread back to tens.
                    double sx = 0.1;
                    double sy = act.Function switch
                    {
                        ActivationKind.Relu6 => 6.0 / 100,
                        ActivationKind.HardSigmoid => 1.0 / 120,
                        _ => sx,
                    };
                    bool relu = act.Function != ActivationKind.HardSwish;
                    var (lo, hi) = Int8Arithmetic.OutputRange(relu, unsignedTensors.Contains(node.Name));
                    tables[node.Name] = CompactOperators.ActivationTable(act.Function, sx, unsignedTensors.Contains(node.Inputs[0]), sy, lo, hi);
                    break;
                }
                case AvgPoolLayer avg:
                    avgPools[node.Name] = CompactOperators.AvgPoolMultipliers(avg.KernelSize, 1, 1)[1..];
                    break;
                case ScaleLayer:
                    // Gates of about a hundred (a hard-sigmoid near 1) keep the map's magnitude.
                    scaleRequant[node.Name] = Int8Arithmetic.ChooseMultiplier((0.7 + 0.6 * rng.NextDouble()) / 100);
                    break;
            }
        }
        return new QuantizedModel(network, "random", scales, convs, pools,
            new OperatorParameters { Adds = adds, ActivationTables = tables, AvgPools = avgPools, Scales = scaleRequant });
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
