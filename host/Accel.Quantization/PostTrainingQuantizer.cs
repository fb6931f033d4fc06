using Accel.Golden.Float;
using Accel.Model.Arithmetic;
using Accel.Model.Networks;
using Accel.Model.Quantized;
using Accel.Model.Weights;

namespace Accel.Quantization;

/// <summary>
/// Post-training quantization to the int8 contract: activation scales from calibration ranges
/// (one per tensor, symmetric), weight scales per output channel, int32 biases at
/// input scale x weight scale, and per-channel (M, S) requantization.
/// </summary>
public static class PostTrainingQuantizer
{
    /// <summary>Runs the float model on every input and records each tensor's range.</summary>
    public static ActivationRanges Calibrate(FloatModel model, IEnumerable<float[]> inputs, Action<int>? onImage = null)
    {
        var ranges = new ActivationRanges();
        foreach (var input in inputs)
        {
            var result = FloatReference.Run(model, input, keepActivations: true);
            ranges.Observe(result.Activations!);
            onImage?.Invoke(ranges.Images);
        }
        if (ranges.Images == 0) throw new ArgumentException("calibration needs at least one image");
        return ranges;
    }

    public static QuantizedModel Quantize(FloatModel model, ActivationRanges ranges, string preprocessing)
    {
        var network = model.Network;
        var scales = SharedScales(network, ranges);
        var convs = new Dictionary<string, QuantizedConv>();
        var pools = new Dictionary<string, Requant>();
        foreach (var node in network.Nodes)
        {
            double inScale = scales[node.Inputs[0]], outScale = scales[node.Name];
            switch (node.Op)
            {
                case ConvLayer conv:
                    convs[node.Name] = QuantizeConv(node, conv, model.Weights[node.Name], inScale, outScale);
                    break;
                case GlobalAvgPoolLayer:
                    int area = node.Input.Height * node.Input.Width;
                    pools[node.Name] = Int8Arithmetic.ChooseMultiplier(inScale / (area * outScale));
                    break;
            }
        }
        return new QuantizedModel(network, preprocessing, scales, convs, pools);
    }

    /// <summary>
    /// One scale per tensor, max-abs / 127, except that tensors which must share a scale do:
    /// a concat with its inputs (channel placement), a max pool with its input. Such groups
    /// take the largest range among their members.
    /// </summary>
    public static Dictionary<string, float> SharedScales(Network network, ActivationRanges ranges)
    {
        var parent = new Dictionary<string, string>();
        string Find(string x)
        {
            while (parent.TryGetValue(x, out var p) && p != x) x = parent[x] = parent.GetValueOrDefault(p, p);
            return x;
        }
        void Union(string a, string b) { a = Find(a); b = Find(b); if (a != b) parent[a] = b; }

        var names = new[] { Network.InputName }.Concat(network.Nodes.Select(n => n.Name)).ToList();
        foreach (var n in names) parent[n] = n;
        foreach (var node in network.Nodes)
            if (node.Op is ConcatLayer or MaxPoolLayer)
                foreach (var input in node.Inputs) Union(node.Name, input);

        var groupMax = new Dictionary<string, float>();
        foreach (var n in names)
        {
            var root = Find(n);
            groupMax[root] = MathF.Max(groupMax.GetValueOrDefault(root), ranges[n]);
        }
        // A tensor that was zero on every calibration image still needs a usable scale.
        return names.ToDictionary(n => n, n => groupMax[Find(n)] is var m and > 0 ? m / Int8Arithmetic.ActivationMax : 1f / Int8Arithmetic.ActivationMax);
    }

    private static QuantizedConv QuantizeConv(Node node, ConvLayer conv, ConvWeights w, double inScale, double outScale)
    {
        int cout = conv.OutChannels;
        int fanIn = w.Weights.Length / cout;
        var q = new sbyte[w.Weights.Length];
        var bias = new int[cout];
        var requant = new Requant[cout];
        var wscale = new float[cout];
        for (int oc = 0; oc < cout; oc++)
        {
            var row = w.Weights.AsSpan(oc * fanIn, fanIn);
            float maxAbs = 0;
            foreach (var v in row) maxAbs = MathF.Max(maxAbs, MathF.Abs(v));
            // An all-zero channel keeps zero weights; its scale only matters for the bias.
            float s = maxAbs > 0 ? maxAbs / Int8Arithmetic.WeightMax : 1f / Int8Arithmetic.WeightMax;
            wscale[oc] = s;
            for (int i = 0; i < fanIn; i++) q[oc * fanIn + i] = Int8Arithmetic.QuantizeWeight(row[i], s);
            double accScale = inScale * s;
            bias[oc] = Int8Arithmetic.QuantizeBias(w.Bias[oc], accScale);
            requant[oc] = Int8Arithmetic.ChooseMultiplier(accScale / outScale);
        }
        return new QuantizedConv(node.Name, q, bias, requant, wscale);
    }
}
