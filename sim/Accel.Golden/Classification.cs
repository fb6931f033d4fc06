using Accel.Model.Networks;
using Accel.Model.Quantized;

namespace Accel.Golden;

/// <summary>
/// Rule TOP_K of docs/arithmetic.md: classes rank by their int8 logit; equal logits rank by the
/// int32 sum the global average pool requantized (REQUANT is monotonic in it, so this only
/// orders what int8 rounding tied), then by lower class index.
/// </summary>
public static class Classification
{
    public static int[] TopK(QuantizedModel model, GoldenResult result, int k)
    {
        var logits = result.Output.Data;
        var sums = PoolSums(model.Network, result);
        return Enumerable.Range(0, logits.Length)
            .OrderByDescending(i => logits[i])
            .ThenByDescending(i => sums?[i] ?? 0)
            .ThenBy(i => i)
            .Take(k)
            .ToArray();
    }

    /// <summary>
    /// The int32 per-channel sums behind a global-average-pool output (GLOBAL_AVGPOOL), from the
    /// pool's int8 input; null when the network does not end in one.
    /// </summary>
    public static int[]? PoolSums(Network network, GoldenResult result)
    {
        var output = network[network.OutputNode];
        if (output.Op is not GlobalAvgPoolLayer) return null;
        var input = result.Activations[output.Inputs[0]];
        int plane = input.Shape.Height * input.Shape.Width;
        var sums = new int[input.Shape.Channels];
        for (int c = 0; c < sums.Length; c++)
        {
            int s = 0;
            for (int i = 0; i < plane; i++) s += input.ValueAt(c * plane + i);
            sums[c] = s;
        }
        return sums;
    }

    /// <summary>Top-k of float scores: larger first, ties by lower index.</summary>
    public static int[] TopK(float[] scores, int k) =>
        Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(k).ToArray();
}
