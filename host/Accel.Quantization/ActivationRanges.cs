namespace Accel.Quantization;

/// <summary>
/// The largest magnitude each tensor (node output, and the network input) took over the
/// calibration images: the max-abs calibration rule of docs/arithmetic.md.
/// </summary>
public sealed class ActivationRanges
{
    private readonly Dictionary<string, float> _maxAbs = new();

    public int Images { get; private set; }
    public IReadOnlyDictionary<string, float> MaxAbs => _maxAbs;

    public void Observe(IReadOnlyDictionary<string, float[]> activations)
    {
        foreach (var (name, values) in activations)
        {
            float m = 0;
            foreach (var v in values) m = MathF.Max(m, MathF.Abs(v));
            _maxAbs[name] = _maxAbs.TryGetValue(name, out var old) ? MathF.Max(old, m) : m;
        }
        Images++;
    }

    public float this[string name] => _maxAbs.TryGetValue(name, out var v) ? v
        : throw new KeyNotFoundException($"no calibration range for tensor '{name}'");
}
