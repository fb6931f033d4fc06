namespace Accel.Model.Arithmetic;

/// <summary>A per-channel requantization multiplier: real scale = Multiplier * 2^-Shift.</summary>
public readonly record struct Requant(ushort Multiplier, byte Shift)
{
    public double RealScale => Multiplier * Math.Pow(2, -Shift);
}

/// <summary>
/// The int8 arithmetic contract (docs/arithmetic.md) as code. Every rule has a name here and a
/// test. The golden model's kernels, the scalar reference and the quantizer call these; the
/// methods used inside ILGPU kernels take and return primitives only.
/// </summary>
public static class Int8Arithmetic
{
    /// <summary>Width of the unsigned requantization multiplier M.</summary>
    public const int MultiplierBits = 16;
    public const int MinShift = 1;
    /// <summary>Largest shift: keeps acc * M + 2^(S-1) inside a signed 64-bit product.</summary>
    public const int MaxShift = 62;
    public const int ActivationMin = -128;
    public const int ActivationMax = 127;
    /// <summary>Largest value of an unsigned (uint8) activation: a tensor non-negative by construction.</summary>
    public const int UnsignedMax = 255;
    /// <summary>Weights are symmetric: -128 is never produced, so |w| &lt;= 127.</summary>
    public const int WeightMax = 127;
    /// <summary>Bias bound that, with the largest SqueezeNet dot product, keeps the accumulator in int32.</summary>
    public const int BiasLimit = 1 << 30;
    /// <summary>Largest Cin*K*K for which BiasLimit + fanIn*127*255 stays inside int32.</summary>
    public const int MaxFanIn = (int.MaxValue - BiasLimit) / (WeightMax * UnsignedMax);

    /// <summary>
    /// Rule REQUANT: y = clamp((acc * M + 2^(S-1)) >> S, lo, hi), arithmetic shift on a 64-bit
    /// product (round half up); [lo, hi] from <see cref="OutputRange"/> (rule ACTIVATION_RANGE).
    /// </summary>
    public static int Requantize(int acc, int multiplier, int shift, int lo, int hi)
    {
        long product = (long)acc * multiplier + (1L << (shift - 1));
        long shifted = product >> shift;
        return (int)(shifted < lo ? lo : shifted > hi ? hi : shifted);
    }

    /// <summary>
    /// Rule ACTIVATION_RANGE: an unsigned tensor holds [0, 255]; a signed one [-128, 127], or
    /// [0, 127] when the producing conv fuses ReLU (rule RELU_FUSED).
    /// </summary>
    public static (int Lo, int Hi) OutputRange(bool relu, bool unsignedOutput) =>
        unsignedOutput ? (0, UnsignedMax) : relu ? (0, ActivationMax) : (ActivationMin, ActivationMax);

    /// <summary>
    /// Activations are stored as bytes; an unsigned tensor's byte is read as 0..255 (rule
    /// LOAD_ACTIVATION). Kernels apply this as a mask: value = stored &amp; mask.
    /// </summary>
    public static int LoadMask(bool unsignedTensor) => unsignedTensor ? 0xFF : -1;

    public static int Load(sbyte stored, bool unsignedTensor) => unsignedTensor ? (byte)stored : stored;

    /// <summary>Rule SATURATE_INT8: clamp to [-128, 127].</summary>
    public static int SaturateInt8(long value) =>
        (int)(value < ActivationMin ? ActivationMin : value > ActivationMax ? ActivationMax : value);

    /// <summary>
    /// Rule MULTIPLIER: the (M, S) nearest to a real scale, M normalised into [2^15, 2^16) so it
    /// keeps 16 significant bits. Scales too small for the largest shift become M = 0 (output 0);
    /// scales of 2^15 or more cannot be represented and are refused.
    /// </summary>
    public static Requant ChooseMultiplier(double realScale)
    {
        if (!(realScale >= 0) || double.IsInfinity(realScale))
            throw new ArgumentOutOfRangeException(nameof(realScale), realScale, "requantization scale must be finite and non-negative");
        if (realScale == 0) return new Requant(0, MinShift);
        int exponent = (int)Math.Floor(Math.Log2(realScale));
        int shift = MultiplierBits - 1 - exponent;
        if (shift > MaxShift)
        {
            long tiny = (long)Math.Round(realScale * Math.Pow(2, MaxShift), MidpointRounding.AwayFromZero);
            return new Requant((ushort)tiny, MaxShift);
        }
        if (shift < MinShift)
            throw new ArgumentOutOfRangeException(nameof(realScale), realScale, "requantization scale must be below 2^15");
        long m = (long)Math.Round(realScale * Math.Pow(2, shift), MidpointRounding.AwayFromZero);
        if (m >= 1L << MultiplierBits)
        {
            // Rounding carried into bit 16: halve and use one shift less.
            m >>= 1;
            shift--;
            if (shift < MinShift)
                throw new ArgumentOutOfRangeException(nameof(realScale), realScale, "requantization scale must be below 2^15");
        }
        return new Requant((ushort)m, (byte)shift);
    }

    /// <summary>Rule QUANTIZE_ACTIVATION: round half away from zero of x / scale, saturate to int8.</summary>
    public static sbyte QuantizeActivation(float x, float scale) =>
        (sbyte)SaturateInt8((long)Math.Round((double)x / scale, MidpointRounding.AwayFromZero));

    /// <summary>Rule QUANTIZE_WEIGHT: round half away from zero of w / scale, clamp to [-127, 127].</summary>
    public static sbyte QuantizeWeight(float w, float scale)
    {
        if (scale == 0) return 0;
        long q = (long)Math.Round((double)w / scale, MidpointRounding.AwayFromZero);
        return (sbyte)Math.Clamp(q, -WeightMax, WeightMax);
    }

    /// <summary>Rule QUANTIZE_BIAS: round half away from zero of b / (input scale * weight scale), clamp to +-2^30.</summary>
    public static int QuantizeBias(double bias, double accumulatorScale)
    {
        if (accumulatorScale == 0) return 0;
        double q = Math.Round(bias / accumulatorScale, MidpointRounding.AwayFromZero);
        return (int)Math.Clamp(q, -BiasLimit, BiasLimit);
    }

    /// <summary>Rule MAXPOOL: the max of the window's in-bounds int8 values (padding never wins).</summary>
    public const int PoolPadValue = ActivationMin;
}
