using Accel.Golden.Float;
using Accel.Model.Arithmetic;
using Accel.Model.Networks;
using Accel.Model.Quantized;
using Accel.Model.Weights;

namespace Accel.Quantization;

/// <summary>
/// Post-training quantization to the int8 contract: activation scales from calibration ranges
/// (one per tensor, symmetric), weight scales per output channel (over its Cin/Groups x K x K weights), int32 biases at
/// input scale x weight scale, and per-channel (M, S) requantization.
/// </summary>
public static class PostTrainingQuantizer
{
    /// <summary>
    /// Runs the float model over the inputs twice: once for every tensor's largest magnitude,
    /// then (with <see cref="CalibrationMethod.Mse"/>) for histograms over each scale group's range.
    /// </summary>
    public static ActivationRanges Calibrate(FloatModel model, IReadOnlyList<float[]> inputs, CalibrationMethod method = CalibrationMethod.Mse)
    {
        if (inputs.Count == 0) throw new ArgumentException("calibration needs at least one image");
        var ranges = new ActivationRanges();
        var network = model.Network;
        int Channels(string name) => name == Network.InputName ? network.InputShape.Channels : network[name].Output.Channels;
        foreach (var input in inputs)
            ranges.Observe(FloatReference.Run(model, input, keepActivations: true).Activations!, Channels);
        if (method == CalibrationMethod.Mse)
        {
            var groups = TensorGroups.ScaleGroups(model.Network);
            var groupMax = GroupMax(groups, ranges);
            foreach (var input in inputs)
                ranges.ObserveHistogram(FloatReference.Run(model, input, keepActivations: true).Activations!, n => groupMax[groups[n]]);
        }
        return ranges;
    }

    /// <summary>
    /// Quantizes the model. <paramref name="weightQuantizer"/>, when given, replaces rule
    /// QUANTIZE_WEIGHT for the layers it returns weights for (weight sharing, imported codebooks);
    /// biases (with BIAS_CORRECTION) and requantization are then computed from those weights and scales.
    /// </summary>
    public static QuantizedModel Quantize(FloatModel model, ActivationRanges ranges, string preprocessing, WeightQuantizer? weightQuantizer = null)
    {
        var network = model.Network;
        var scales = SharedScales(network, ranges);
        var convs = new Dictionary<string, QuantizedConv>();
        var pools = new Dictionary<string, Requant>();
        var adds = new Dictionary<string, AddRequant>();
        var tables = new Dictionary<string, int[]>();
        var avgPools = new Dictionary<string, Requant[]>();
        var scaleRequant = new Dictionary<string, Requant>();
        var unsignedTensors = TensorGroups.UnsignedTensors(network);
        foreach (var node in network.Nodes)
        {
            double inScale = scales[node.Inputs[0]], outScale = scales[node.Name];
            switch (node.Op)
            {
                case ConvLayer conv:
                    var w = model.Weights[node.Name];
                    var (q, wscale) = weightQuantizer?.Invoke(node, w) ?? QuantizeWeights(w, conv.OutChannels);
                    convs[node.Name] = QuantizeConv(node, conv, w, q, wscale, inScale, outScale, ranges.ChannelMeans(node.Inputs[0]));
                    break;
                case GlobalAvgPoolLayer:
                    int area = node.Input.Height * node.Input.Width;
                    pools[node.Name] = Int8Arithmetic.ChooseMultiplier(inScale / (area * outScale));
                    break;
                case AddLayer:
                    adds[node.Name] = CompactOperators.ChooseAddMultipliers(inScale, scales[node.Inputs[1]], outScale);
                    break;
                case ActivationLayer act:
                {
                    bool relu = act.Function != ActivationKind.HardSwish;
                    var (lo, hi) = Int8Arithmetic.OutputRange(relu, unsignedTensors.Contains(node.Name));
                    tables[node.Name] = CompactOperators.ActivationTable(act.Function, inScale, unsignedTensors.Contains(node.Inputs[0]), outScale, lo, hi);
                    break;
                }
                case AvgPoolLayer avg:
                    // Entry n - 1 serves windows of n in-bounds taps (rule AVGPOOL).
                    avgPools[node.Name] = CompactOperators.AvgPoolMultipliers(avg.KernelSize, inScale, outScale)[1..];
                    break;
                case ScaleLayer:
                    scaleRequant[node.Name] = Int8Arithmetic.ChooseMultiplier(inScale * scales[node.Inputs[1]] / outScale);
                    break;
            }
        }
        return new QuantizedModel(network, preprocessing, scales, convs, pools,
            new OperatorParameters { Adds = adds, ActivationTables = tables, AvgPools = avgPools, Scales = scaleRequant });
    }

    /// <summary>
    /// One scale per tensor, range / 127 (range / 255 for unsigned tensors), except that tensors which must share a scale do:
    /// a concat with its inputs (channel placement), a max pool, shuffle or slice with its input. Adds,
    /// activations, average pools and scales requantize, so their outputs get their own scale. A group's range
    /// is its members' largest magnitude (CALIBRATE_MAX), or, when histograms were collected, the
    /// MSE-optimal clip of their summed histograms (CALIBRATE_MSE). The network output always
    /// keeps its full range: clipped logits would tie at 127 and lose the ranking.
    /// </summary>
    public static Dictionary<string, float> SharedScales(Network network, ActivationRanges ranges)
    {
        var groups = TensorGroups.ScaleGroups(network);
        var unsignedTensors = TensorGroups.UnsignedTensors(network);
        var groupMax = GroupMax(groups, ranges);
        var outputGroup = groups[network.OutputNode];
        var groupRange = new Dictionary<string, float>();
        foreach (var (root, max) in groupMax)
        {
            float range = max;
            if (ranges.HasHistograms && root != outputGroup && max > 0)
            {
                var sum = new long[ActivationRanges.Bins];
                foreach (var member in groups.Where(g => g.Value == root).Select(g => g.Key))
                    if (ranges.Histogram(member) is { } h)
                        for (int b = 0; b < sum.Length; b++) sum[b] += h[b];
                range = ActivationRanges.MseClip(sum, max, unsignedTensors.Contains(root) ? Int8Arithmetic.UnsignedMax : Int8Arithmetic.ActivationMax);
            }
            groupRange[root] = Math.Min(range, ActivationInputBound(network, groups, root));
        }
        // Unsigned tensors spend all 256 codes on [0, range]; signed ones 127 on each side.
        // A tensor that was zero on every calibration image still needs a usable scale.
        return groups.ToDictionary(g => g.Key, g =>
        {
            float steps = unsignedTensors.Contains(g.Key) ? Int8Arithmetic.UnsignedMax : Int8Arithmetic.ActivationMax;
            return groupRange[g.Value] is var r and > 0 ? r / steps : 1f / steps;
        });
    }

    /// <summary>
    /// Rule ACTIVATION_INPUT_RANGE: a tensor read only by ReLU6 or hard-sigmoid activations needs no
    /// range beyond where they are flat (6 and 3): values past it give the same output either way, so
    /// the tensor's steps are spent where the activation still changes. Any other reader, a group of
    /// several tensors, or the network output keeps the calibrated range.
    /// </summary>
    private static float ActivationInputBound(Network network, Dictionary<string, string> groups, string root)
    {
        if (root == network.OutputNode || groups.Count(g => g.Value == root) != 1) return float.PositiveInfinity;
        var readers = network.Nodes.Where(n => n.Inputs.Contains(root)).ToList();
        if (readers.Count == 0) return float.PositiveInfinity;
        float bound = 0;
        foreach (var reader in readers)
            bound = MathF.Max(bound, reader.Op switch
            {
                ActivationLayer { Function: ActivationKind.Relu6 } => 6f,
                ActivationLayer { Function: ActivationKind.HardSigmoid } => 3f,
                _ => float.PositiveInfinity,
            });
        return bound;
    }

    private static Dictionary<string, float> GroupMax(Dictionary<string, string> groups, ActivationRanges ranges)
    {
        var max = new Dictionary<string, float>();
        foreach (var (name, root) in groups) max[root] = MathF.Max(max.GetValueOrDefault(root), ranges[name]);
        return max;
    }

    /// <summary>Rule QUANTIZE_WEIGHT: per output channel, scale = max|w| / 127 (an all-zero channel uses 1/127), int8 weights.</summary>
    public static (sbyte[] Weights, float[] Scales) QuantizeWeights(ConvWeights w, int outChannels)
    {
        int fanIn = w.Weights.Length / outChannels;
        var q = new sbyte[w.Weights.Length];
        var wscale = new float[outChannels];
        for (int oc = 0; oc < outChannels; oc++)
        {
            var row = w.Weights.AsSpan(oc * fanIn, fanIn);
            float maxAbs = 0;
            foreach (var v in row) maxAbs = MathF.Max(maxAbs, MathF.Abs(v));
            // An all-zero channel keeps zero weights; its scale only matters for the bias.
            float s = maxAbs > 0 ? maxAbs / Int8Arithmetic.WeightMax : 1f / Int8Arithmetic.WeightMax;
            wscale[oc] = s;
            for (int i = 0; i < fanIn; i++) q[oc * fanIn + i] = Int8Arithmetic.QuantizeWeight(row[i], s);
        }
        return (q, wscale);
    }

    /// <summary>
    /// Per output channel: bias and requantization for the given int8 weights. With the
    /// input's per-channel means from calibration, the bias also absorbs the expected output
    /// shift that rounding (or sharing) the weights causes, sum over taps of (w_q * s_w - w) * E[x]
    /// (BIAS_CORRECTION; padding taps see zeros and are ignored, a border-only approximation).
    /// </summary>
    private static QuantizedConv QuantizeConv(Node node, ConvLayer conv, ConvWeights w, sbyte[] q, float[] wscale, double inScale, double outScale, double[]? inputMeans)
    {
        int cout = conv.OutChannels;
        int fanIn = w.Weights.Length / cout;
        if (q.Length != w.Weights.Length || wscale.Length != cout)
            throw new ArgumentException($"{node.Name}: the weight quantizer returned {q.Length} weights and {wscale.Length} scales, expected {w.Weights.Length} and {cout}");
        var bias = new int[cout];
        var requant = new Requant[cout];
        for (int oc = 0; oc < cout; oc++)
        {
            var row = w.Weights.AsSpan(oc * fanIn, fanIn);
            float s = wscale[oc];
            double accScale = inScale * s;
            double correction = 0;
            if (inputMeans is not null)
            {
                // Rule GROUPED_CONV: the channel's weights cover its group's Cin/G inputs only.
                int taps = conv.KernelSize * conv.KernelSize;
                int icBase = oc / (cout / conv.Groups) * (fanIn / taps);
                for (int i = 0; i < fanIn; i++)
                    correction += (q[oc * fanIn + i] * (double)s - row[i]) * inputMeans[icBase + i / taps];
            }
            bias[oc] = Int8Arithmetic.QuantizeBias(w.Bias[oc] - correction, accScale);
            requant[oc] = Int8Arithmetic.ChooseMultiplier(accScale / outScale);
        }
        return new QuantizedConv(node.Name, q, bias, requant, wscale);
    }
}

/// <summary>Int8 weights and per-output-channel scales for one convolution, or null for rule QUANTIZE_WEIGHT.</summary>
public delegate (sbyte[] Weights, float[] Scales)? WeightQuantizer(Node node, ConvWeights weights);
