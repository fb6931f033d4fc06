using Accel.Model.Networks;

namespace Accel.Model.Arithmetic;

/// <summary>Two 16-bit multipliers sharing one shift: rule ADD_MULTIPLIERS.</summary>
public readonly record struct AddRequant(int MultiplierA, int MultiplierB, int Shift);

/// <summary>
/// The integer rules of the operators beyond Fire (docs/arithmetic.md, "Operators beyond Fire"):
/// residual add, ReLU6, the activation lookup tables, average pooling, channel shuffle and slice,
/// and the channel-wise scale of squeeze-and-excitation. Every executor (scalar oracle, ILGPU golden
/// model, RTL) computes these and nothing else; the tables and multipliers are chosen on the host.
/// </summary>
public static class CompactOperators
{
    /// <summary>
    /// Rule ADD_MULTIPLIERS: the larger of r_a = scale_a / scale_y and r_b = scale_b / scale_y gets
    /// MULTIPLIER's (M, S); the smaller is rounded at the same S (half away from zero), so it keeps
    /// fewer bits, possibly none.
    /// </summary>
    public static AddRequant ChooseAddMultipliers(double scaleA, double scaleB, double scaleY)
    {
        if (!(scaleA > 0 && scaleB > 0 && scaleY > 0))
            throw new ArgumentOutOfRangeException(nameof(scaleY), "add scales must be positive");
        double ra = scaleA / scaleY, rb = scaleB / scaleY;
        var big = Int8Arithmetic.ChooseMultiplier(Math.Max(ra, rb));
        int small = (int)Math.Round(Math.Min(ra, rb) * Math.Pow(2, big.Shift), MidpointRounding.AwayFromZero);
        return ra >= rb ? new AddRequant(big.Multiplier, small, big.Shift) : new AddRequant(small, big.Multiplier, big.Shift);
    }

    /// <summary>Rule ADD: y = clamp((a * M_a + b * M_b + 2^(S-1)) >> S, lo, hi) in signed 64-bit, a and b as loaded.</summary>
    public static int Add(int a, int b, AddRequant r, int lo, int hi)
    {
        long sum = (long)a * r.MultiplierA + (long)b * r.MultiplierB + (1L << (r.Shift - 1));
        long y = sum >> r.Shift;
        return (int)(y < lo ? lo : y > hi ? hi : y);
    }

    /// <summary>Rule RELU6: the int8 value of 6 at <paramref name="scale"/>, round half up, at most <paramref name="hi"/>.</summary>
    public static int Relu6Max(double scale, int hi = Int8Arithmetic.ActivationMax)
    {
        if (!(scale > 0)) throw new ArgumentOutOfRangeException(nameof(scale), "scale must be positive");
        double q = Math.Floor(6 / scale + 0.5);
        return q >= hi ? hi : (int)q;
    }

    /// <summary>The real function of an activation kind (PyTorch's definitions).</summary>
    public static double Apply(ActivationKind kind, double x) => kind switch
    {
        ActivationKind.Relu => Math.Max(0, x),
        ActivationKind.Relu6 => Math.Clamp(x, 0, 6),
        ActivationKind.HardSigmoid => Math.Clamp(x + 3, 0, 6) / 6,
        _ => x * Math.Clamp(x + 3, 0, 6) / 6,
    };

    /// <summary>
    /// Rule ACTIVATION_LOOKUP: a 256-entry table indexed by the stored input byte. Entry v holds
    /// clamp(round_half_away_from_zero(f(x * scale_x) / scale_y), lo, hi), x the byte as loaded
    /// (LOAD_ACTIVATION). Built on the host in double precision; executors only index it.
    /// </summary>
    public static int[] ActivationTable(ActivationKind kind, double scaleX, bool unsignedInput, double scaleY, int lo, int hi)
    {
        if (!(scaleX > 0 && scaleY > 0)) throw new ArgumentOutOfRangeException(nameof(scaleY), "activation scales must be positive");
        var table = new int[256];
        for (int v = 0; v < 256; v++)
        {
            int x = Int8Arithmetic.Load((sbyte)v, unsignedInput);
            double q = Math.Round(Apply(kind, x * scaleX) / scaleY, MidpointRounding.AwayFromZero);
            table[v] = (int)Math.Clamp(q, lo, hi);
        }
        return table;
    }

    /// <summary>Rule CHANNEL_SHUFFLE: output channel o reads input channel (o mod g) * (C / g) + o div g.</summary>
    public static int ShuffleSource(int outChannel, int channels, int groups)
    {
        if (groups < 1 || channels % groups != 0) throw new ArgumentException($"{channels} channels do not split into {groups} groups");
        if ((uint)outChannel >= (uint)channels) throw new ArgumentOutOfRangeException(nameof(outChannel));
        return outChannel % groups * (channels / groups) + outChannel / groups;
    }

    /// <summary>
    /// Rule AVGPOOL: per window, the int32 sum of its in-bounds taps and their count n, then REQUANT
    /// with the MULTIPLIER of scale_x / (n * scale_y); entry n of the result is that (M, S), n from 1 to K*K.
    /// </summary>
    public static Requant[] AvgPoolMultipliers(int kernel, double scaleX, double scaleY)
    {
        if (kernel < 1) throw new ArgumentOutOfRangeException(nameof(kernel));
        var table = new Requant[kernel * kernel + 1];
        for (int n = 1; n <= kernel * kernel; n++) table[n] = Int8Arithmetic.ChooseMultiplier(scaleX / (n * scaleY));
        return table;
    }

    /// <summary>Rule SCALE: y = clamp((x * s * M + 2^(S-1)) >> S, lo, hi) in signed 64-bit, (M, S) the MULTIPLIER of scale_x * scale_s / scale_y.</summary>
    public static int Scale(int x, int s, Requant r, int lo, int hi)
    {
        long y = ((long)x * s * r.Multiplier + (1L << (r.Shift - 1))) >> r.Shift;
        return (int)(y < lo ? lo : y > hi ? hi : y);
    }
}
