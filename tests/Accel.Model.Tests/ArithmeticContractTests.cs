using System.Numerics;
using Accel.Model.Arithmetic;
using CsCheck;
using Xunit;

namespace Accel.Model.Tests;

/// <summary>One test (or property) per named rule of docs/arithmetic.md.</summary>
public class ArithmeticContractTests
{
    [Theory] // ROUND_HALF_UP: ties go toward +infinity, on both signs.
    [InlineData(5, 1, 1, 3)]     // 5/2 = 2.5 -> 3
    [InlineData(-5, 1, 1, -2)]   // -2.5 -> -2
    [InlineData(7, 1, 1, 4)]     // 3.5 -> 4
    [InlineData(-7, 1, 1, -3)]   // -3.5 -> -3
    [InlineData(6, 1, 2, 2)]     // 1.5 -> 2
    [InlineData(5, 1, 2, 1)]     // 1.25 -> 1
    [InlineData(-6, 1, 2, -1)]   // -1.5 -> -1
    public void RoundHalfUp(int acc, int m, int s, int expected) =>
        Assert.Equal(expected, Int8Arithmetic.Requantize(acc, m, s, -128, 127));

    [Theory] // SATURATE_INT8 inside REQUANT
    [InlineData(1_000_000, -128, 127)]
    [InlineData(-1_000_000, -128, -128)]
    [InlineData(int.MaxValue, 127, 127)]
    [InlineData(int.MinValue, -128, -128)]
    public void RequantSaturates(int acc, int _, int expected) =>
        Assert.Equal(expected, Int8Arithmetic.Requantize(acc, 65535, 1, -128, 127));

    [Theory] // RELU_FUSED and ACTIVATION_RANGE: [0, 255] unsigned, [0, 127] ReLU into a signed tensor, else [-128, 127]
    [InlineData(-100, 0, 0, -50)]
    [InlineData(-1, 0, 0, 0)]       // -0.5 rounds half up to 0
    [InlineData(-3, 0, 0, -1)]      // -1.5 -> -1
    [InlineData(300, 150, 127, 127)]
    [InlineData(600, 255, 127, 127)]
    public void ActivationRangeClamps(int acc, int unsignedOut, int reluSigned, int plain)
    {
        var u = Int8Arithmetic.OutputRange(relu: true, unsignedOutput: true);
        var r = Int8Arithmetic.OutputRange(relu: true, unsignedOutput: false);
        var n = Int8Arithmetic.OutputRange(relu: false, unsignedOutput: false);
        Assert.Equal((0, 255), u);
        Assert.Equal((0, 127), r);
        Assert.Equal((-128, 127), n);
        Assert.Equal(unsignedOut, Int8Arithmetic.Requantize(acc, 1, 1, u.Lo, u.Hi));
        Assert.Equal(reluSigned, Int8Arithmetic.Requantize(acc, 1, 1, r.Lo, r.Hi));
        Assert.Equal(plain, Int8Arithmetic.Requantize(acc, 1, 1, n.Lo, n.Hi));
    }

    [Theory] // LOAD_ACTIVATION: the same byte is -56 in a signed tensor and 200 in an unsigned one.
    [InlineData(-56, false, -56)]
    [InlineData(-56, true, 200)]
    [InlineData(-1, true, 255)]
    [InlineData(127, true, 127)]
    public void LoadActivation(int stored, bool unsignedTensor, int expected)
    {
        Assert.Equal(expected, Int8Arithmetic.Load((sbyte)stored, unsignedTensor));
        Assert.Equal(expected, stored & Int8Arithmetic.LoadMask(unsignedTensor));
    }

    [Fact] // REQUANT equals the exact rational definition for every M, S and accumulator.
    public void RequantMatchesExactArithmetic() =>
        Gen.Select(Gen.Int, Gen.Int[0, 65535], Gen.Int[1, 62], Gen.Bool).Sample((acc, m, s, relu) =>
        {
            var exact = BigInteger.Divide((BigInteger)acc * m + (BigInteger.One << (s - 1)) - Floor(acc, m, s), BigInteger.One << s);
            var (lo, hi) = Int8Arithmetic.OutputRange(relu, unsignedOutput: relu && (acc & 1) == 0);
            long expected = (long)BigInteger.Max(lo, BigInteger.Min(hi, exact));
            return Int8Arithmetic.Requantize(acc, m, s, lo, hi) == expected;
        }, iter: 20_000);

    // Remainder that makes BigInteger division (truncating) a floor division.
    private static BigInteger Floor(int acc, int m, int s)
    {
        var n = (BigInteger)acc * m + (BigInteger.One << (s - 1));
        var r = BigInteger.Remainder(n, BigInteger.One << s);
        return r < 0 ? r + (BigInteger.One << s) : r;
    }

    [Fact] // MULTIPLIER: M in [2^15, 2^16), relative error below 2^-16, for scales across the useful range.
    public void MultiplierKeepsSixteenBits() =>
        Gen.Double[1e-12, 30000].Sample(r =>
        {
            var q = Int8Arithmetic.ChooseMultiplier(r);
            return q.Multiplier >= 1 << 15 && Math.Abs(q.RealScale - r) / r <= Math.Pow(2, -16)
                && q.Shift >= Int8Arithmetic.MinShift && q.Shift <= Int8Arithmetic.MaxShift;
        }, iter: 20_000);

    [Fact]
    public void MultiplierEdges()
    {
        Assert.Equal(new Requant(0, 1), Int8Arithmetic.ChooseMultiplier(0));
        Assert.Equal(new Requant(32768, 15), Int8Arithmetic.ChooseMultiplier(1.0));
        Assert.Equal(new Requant(32768, 16), Int8Arithmetic.ChooseMultiplier(0.5));
        // Rounding carries into bit 16: 1 - 2^-18 rounds to 2^16 at S=16, so it becomes 2^15 at S=15.
        Assert.Equal(new Requant(32768, 15), Int8Arithmetic.ChooseMultiplier(1 - Math.Pow(2, -18)));
        Assert.Equal(Int8Arithmetic.MaxShift, Int8Arithmetic.ChooseMultiplier(1e-30).Shift);
        Assert.Throws<ArgumentOutOfRangeException>(() => Int8Arithmetic.ChooseMultiplier(40000));
        Assert.Throws<ArgumentOutOfRangeException>(() => Int8Arithmetic.ChooseMultiplier(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => Int8Arithmetic.ChooseMultiplier(-1));
    }

    [Theory] // QUANTIZE_ACTIVATION: round half away from zero, saturate to [-128, 127].
    [InlineData(0.5f, 1f, 1)]
    [InlineData(-0.5f, 1f, -1)]
    [InlineData(1.49f, 1f, 1)]
    [InlineData(200f, 1f, 127)]
    [InlineData(-200f, 1f, -128)]
    [InlineData(0.3f, 0.1f, 3)]
    public void QuantizeActivation(float x, float scale, int expected) =>
        Assert.Equal(expected, Int8Arithmetic.QuantizeActivation(x, scale));

    [Theory] // QUANTIZE_WEIGHT: symmetric, never -128.
    [InlineData(-1f, 1f / 127, -127)]
    [InlineData(-2f, 1f / 127, -127)]
    [InlineData(1f, 1f / 127, 127)]
    [InlineData(0.0039370f, 1f / 127, 0)]  // 0.49999.. -> 0
    [InlineData(-0.0039371f, 1f / 127, -1)] // just past -0.5 rounds away from zero
    [InlineData(5f, 0f, 0)]
    public void QuantizeWeight(float w, float scale, int expected) =>
        Assert.Equal(expected, Int8Arithmetic.QuantizeWeight(w, scale));

    [Theory] // QUANTIZE_BIAS: round half away from zero, clamp to +-2^30.
    [InlineData(2.5, 1.0, 3)]
    [InlineData(-2.5, 1.0, -3)]
    [InlineData(1e12, 1.0, 1 << 30)]
    [InlineData(-1e12, 1.0, -(1 << 30))]
    [InlineData(1.0, 0.0, 0)]
    public void QuantizeBias(double b, double scale, int expected) =>
        Assert.Equal(expected, Int8Arithmetic.QuantizeBias(b, scale));

    [Fact] // The accumulator-overflow argument: the bound and SqueezeNet's largest fan-in.
    public void AccumulatorCannotOverflow()
    {
        Assert.Equal(33_155, Int8Arithmetic.MaxFanIn);
        long worst = (long)Int8Arithmetic.BiasLimit + (long)Int8Arithmetic.MaxFanIn * 127 * 255;
        Assert.True(worst <= int.MaxValue);
        long largestSqueezeNet = new[] { "squeezenet1_0", "squeezenet1_0_caffe", "squeezenet1_1" }
            .SelectMany(n => Networks.BuiltinNetworks.Get(n).Convolutions)
            .Max(node => (long)node.Input.Channels * ((Networks.ConvLayer)node.Op).KernelSize * ((Networks.ConvLayer)node.Op).KernelSize);
        Assert.Equal(576, largestSqueezeNet);
        Assert.True(largestSqueezeNet * 127 * 255 < 1 << 25);
    }
}
