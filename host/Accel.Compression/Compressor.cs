using Accel.Model.Arithmetic;
using Accel.Model.Weights;
using Accel.Quantization;

namespace Accel.Compression;

/// <summary>Weight quantizers for <see cref="PostTrainingQuantizer.Quantize"/> that share weights before biases are computed.</summary>
public static class Compressor
{
    /// <summary>
    /// Rule QUANTIZE_WEIGHT (one scale per output channel), then k-means sharing of the layer's
    /// int8 weights into a 2^bits codebook. The quantizer then computes biases (BIAS_CORRECTION)
    /// from the shared weights.
    /// </summary>
    public static WeightQuantizer PerChannelShared(int bits) => (node, w) =>
    {
        var (q, scales) = PostTrainingQuantizer.QuantizeWeights(w, w.Bias.Length);
        return (WeightSharing.Share(q, bits), scales);
    };

    /// <summary>
    /// One scale for the whole layer (max |w| / 127, every channel the same), then sharing. For
    /// weights that already come with a per-layer float codebook (Deep Compression): each float
    /// centroid becomes one int8 value for the whole layer, so the layer keeps one int8 codebook.
    /// </summary>
    public static WeightQuantizer LayerScaleShared(int bits) => (node, w) =>
    {
        var (q, scales) = QuantizeWithLayerScale(w);
        return (WeightSharing.Share(q, bits), scales);
    };

    public static (sbyte[] Weights, float[] Scales) QuantizeWithLayerScale(ConvWeights w)
    {
        float maxAbs = 0;
        foreach (var v in w.Weights) maxAbs = MathF.Max(maxAbs, MathF.Abs(v));
        float s = maxAbs > 0 ? maxAbs / Int8Arithmetic.WeightMax : 1f / Int8Arithmetic.WeightMax;
        var q = new sbyte[w.Weights.Length];
        for (int i = 0; i < q.Length; i++) q[i] = Int8Arithmetic.QuantizeWeight(w.Weights[i], s);
        var scales = new float[w.Bias.Length];
        Array.Fill(scales, s);
        return (q, scales);
    }
}
