namespace Accel.Quantization;

/// <summary>
/// What calibration learned about each tensor (node output, and the network input): its
/// largest magnitude and, after a second pass, a histogram of magnitudes over [0, max].
/// </summary>
public sealed class ActivationRanges
{
    public const int Bins = 2048;

    private readonly Dictionary<string, float> _maxAbs = new();
    private readonly Dictionary<string, long[]> _histograms = new();
    private readonly Dictionary<string, double[]> _channelSums = new();

    public int Images { get; private set; }
    public bool HasHistograms => _histograms.Count > 0;

    /// <summary>First pass: the largest magnitude of every tensor.</summary>
    /// <param name="channelsOf">a tensor's channel count, to also record per-channel means (for bias correction); null skips them</param>
    public void Observe(IReadOnlyDictionary<string, float[]> activations, Func<string, int>? channelsOf = null)
    {
        foreach (var (name, values) in activations)
        {
            float m = 0;
            foreach (var v in values) m = MathF.Max(m, MathF.Abs(v));
            _maxAbs[name] = _maxAbs.TryGetValue(name, out var old) ? MathF.Max(old, m) : m;
            if (channelsOf is null) continue;
            int channels = channelsOf(name), plane = values.Length / channels;
            if (!_channelSums.TryGetValue(name, out var sums)) _channelSums[name] = sums = new double[channels];
            for (int c = 0; c < channels; c++)
            {
                double s = 0;
                for (int i = c * plane; i < (c + 1) * plane; i++) s += values[i];
                sums[c] += s / plane;
            }
        }
        Images++;
    }

    /// <summary>Mean of each channel of a tensor over all positions and calibration images, or null if not recorded.</summary>
    public double[]? ChannelMeans(string name) =>
        _channelSums.TryGetValue(name, out var sums) ? sums.Select(s => s / Images).ToArray() : null;

    /// <summary>
    /// Second pass: histograms of |x| over [0, <paramref name="rangeOf"/>(tensor)], the range
    /// being the max of the tensor's scale group so that grouped histograms line up.
    /// </summary>
    public void ObserveHistogram(IReadOnlyDictionary<string, float[]> activations, Func<string, float> rangeOf)
    {
        foreach (var (name, values) in activations)
        {
            float range = rangeOf(name);
            if (range <= 0) continue;
            if (!_histograms.TryGetValue(name, out var h)) _histograms[name] = h = new long[Bins];
            float toBin = Bins / range;
            foreach (var v in values)
            {
                int b = (int)(MathF.Abs(v) * toBin);
                h[b < Bins ? b : Bins - 1]++;
            }
        }
    }

    public float this[string name] => _maxAbs.TryGetValue(name, out var v) ? v
        : throw new KeyNotFoundException($"no calibration range for tensor '{name}'");

    public long[]? Histogram(string name) => _histograms.GetValueOrDefault(name);

    /// <summary>
    /// Rule CALIBRATE_MSE: the clipping range c in (0, range] that minimises the expected squared
    /// error of quantization with step c/steps (127 signed, 255 unsigned) — rounding noise step^2/12 inside, (|x| - c)^2
    /// beyond — summed over the histogram.
    /// </summary>
    public static float MseClip(long[] histogram, float range, int steps)
    {
        double binWidth = range / Bins;
        double best = double.MaxValue;
        int bestBin = Bins;
        // Clipping below 1/16 of the range is never useful for post-ReLU/conv tensors.
        for (int clipBin = Bins / 16; clipBin <= Bins; clipBin += 4)
        {
            double c = clipBin * binWidth;
            double step = c / steps;
            double err = 0;
            long inside = 0;
            for (int b = 0; b < clipBin && b < Bins; b++) inside += histogram[b];
            err += inside * step * step / 12;
            for (int b = clipBin; b < Bins; b++)
            {
                if (histogram[b] == 0) continue;
                double over = (b + 0.5) * binWidth - c;
                err += histogram[b] * (over * over + step * step / 12);
            }
            if (err < best) { best = err; bestBin = clipBin; }
        }
        return (float)(Math.Min(bestBin, Bins) * binWidth);
    }
}
