using Accel.Model.Arithmetic;

namespace Accel.Compression;

/// <summary>
/// Deep Compression weight sharing in the int8 domain: 1-D k-means over a layer's non-zero int8
/// weights into 2^b - 1 non-zero centroids (codebook entry 0 is the zero weight), linear
/// initialisation over [min, max], centroids rounded to int8 in [-127, 127] and never 0.
/// </summary>
public static class WeightSharing
{
    private const int MaxIterations = 100;

    /// <summary>The non-zero centroids (sorted, distinct, at most 2^bits - 1) for these weights.</summary>
    public static sbyte[] Centroids(ReadOnlySpan<sbyte> weights, int bits)
    {
        if (bits is < EieLayer.MinBits or > EieLayer.MaxBits) throw new ArgumentOutOfRangeException(nameof(bits), $"{bits} bits, expected {EieLayer.MinBits}..{EieLayer.MaxBits}");
        // k-means over the 255-bin histogram of values: the same fixed point as over the weights, far cheaper.
        var count = new long[256];
        foreach (var w in weights) if (w != 0) count[w + 128]++;
        var values = Enumerable.Range(-127, 255).Where(v => v != 0 && count[v + 128] > 0).ToArray();
        int k = (1 << bits) - 1;
        if (values.Length <= k) return values.Select(v => (sbyte)v).ToArray();

        double min = values[0], max = values[^1];
        var centroids = Enumerable.Range(0, k).Select(j => min + (max - min) * j / (k - 1)).ToArray();
        var assignment = new int[values.Length];
        for (int iteration = 0; iteration < MaxIterations; iteration++)
        {
            bool changed = iteration == 0;
            for (int i = 0; i < values.Length; i++)
            {
                int nearest = Nearest(centroids, values[i]);
                if (nearest != assignment[i]) { assignment[i] = nearest; changed = true; }
            }
            if (!changed) break;
            var sum = new double[k];
            var n = new long[k];
            for (int i = 0; i < values.Length; i++) { sum[assignment[i]] += (double)values[i] * count[values[i] + 128]; n[assignment[i]] += count[values[i] + 128]; }
            // An empty cluster keeps its centroid (it may attract values later or be dropped at the end).
            for (int j = 0; j < k; j++) if (n[j] > 0) centroids[j] = sum[j] / n[j];
        }
        // Round to the int8 grid; zero is excluded (it is entry 0), so a centroid rounding to 0 goes to the side of its members' mean.
        return centroids.Select(c =>
        {
            int r = (int)Math.Round(c, MidpointRounding.AwayFromZero);
            if (r == 0) r = c < 0 ? -1 : 1;
            return (sbyte)Math.Clamp(r, -Int8Arithmetic.WeightMax, Int8Arithmetic.WeightMax);
        }).Distinct().Order().ToArray();
    }

    /// <summary>Replaces every non-zero weight by its nearest centroid (ties to the smaller magnitude); zeros stay zero.</summary>
    public static sbyte[] Share(ReadOnlySpan<sbyte> weights, sbyte[] centroids)
    {
        if (centroids.Length == 0)
        {
            foreach (var w in weights) if (w != 0) throw new ArgumentException("non-zero weights need at least one centroid");
            return new sbyte[weights.Length];
        }
        var map = new sbyte[256];
        var asDouble = centroids.Select(c => (double)c).ToArray();
        for (int v = -127; v <= 127; v++)
            if (v != 0) map[v + 128] = centroids[Nearest(asDouble, v)];
        var shared = new sbyte[weights.Length];
        for (int i = 0; i < weights.Length; i++) shared[i] = weights[i] == 0 ? (sbyte)0 : map[weights[i] + 128];
        return shared;
    }

    /// <summary>Centroids of a layer's weights, then every weight mapped to its nearest one.</summary>
    public static sbyte[] Share(ReadOnlySpan<sbyte> weights, int bits) => Share(weights, Centroids(weights, bits));

    private static int Nearest(double[] centroids, double value)
    {
        int best = 0;
        double bestDistance = double.MaxValue;
        for (int j = 0; j < centroids.Length; j++)
        {
            double d = Math.Abs(centroids[j] - value);
            if (d < bestDistance || (d == bestDistance && Math.Abs(centroids[j]) < Math.Abs(centroids[best]))) { best = j; bestDistance = d; }
        }
        return best;
    }
}
