using Accel.Model.Arithmetic;
using Accel.Model.Networks;
using CsCheck;
using Xunit;

namespace Accel.Model.Tests;

/// <summary>The integer rules of the operators beyond Fire against exact (BigInteger or double) arithmetic.</summary>
public class CompactOperatorTests
{
    private static readonly Gen<double> Scales = Gen.Double[1e-3, 1.0];

    [Fact]
    public void AddIsWithinOneStepOfTheRealSumAndExactForItsOwnMultipliers()
    {
        Gen.Select(Gen.Int[-128, 127], Gen.Int[-128, 255], Scales, Scales, Scales).Sample((a, b, sa, sb, sy) =>
        {
            var r = CompactOperators.ChooseAddMultipliers(sa, sb, sy);
            int y = CompactOperators.Add(a, b, r, -128, 127);
            // Exact for the multipliers chosen: floor((a Ma + b Mb) / 2^S + 1/2), clamped.
            var exact = System.Numerics.BigInteger.Divide(
                (System.Numerics.BigInteger)a * r.MultiplierA + (System.Numerics.BigInteger)b * r.MultiplierB + (System.Numerics.BigInteger.One << (r.Shift - 1)) -
                (a * (long)r.MultiplierA + b * (long)r.MultiplierB + (1L << (r.Shift - 1)) < 0 ? (System.Numerics.BigInteger.One << r.Shift) - 1 : 0),
                System.Numerics.BigInteger.One << r.Shift);
            Assert.Equal((int)System.Numerics.BigInteger.Max(-128, System.Numerics.BigInteger.Min(127, exact)), y);
            // And within one step of the real sum (the smaller multiplier keeps fewer bits).
            double real = (a * sa + b * sb) / sy;
            if (real is > -127 and < 126) Assert.InRange(y, Math.Floor(real) - 1, Math.Ceiling(real) + 1);
        });
    }

    [Fact]
    public void AddIsSymmetricInItsInputs()
    {
        Gen.Select(Gen.Int[-128, 127], Gen.Int[-128, 127], Scales, Scales, Scales).Sample((a, b, sa, sb, sy) =>
        {
            var ab = CompactOperators.ChooseAddMultipliers(sa, sb, sy);
            var ba = CompactOperators.ChooseAddMultipliers(sb, sa, sy);
            Assert.Equal((ab.MultiplierA, ab.MultiplierB, ab.Shift), (ba.MultiplierB, ba.MultiplierA, ba.Shift));
            Assert.Equal(CompactOperators.Add(a, b, ab, -128, 127), CompactOperators.Add(b, a, ba, -128, 127));
        });
    }

    [Fact]
    public void Relu6IsAClampAtSixInTheTensorsScale()
    {
        Assert.Equal(60, CompactOperators.Relu6Max(0.1));
        Assert.Equal(127, CompactOperators.Relu6Max(0.01));    // 600 steps: the int8 range ends first
        Assert.Equal(3, CompactOperators.Relu6Max(2.4));        // 2.5 rounds half up
        var table = CompactOperators.ActivationTable(ActivationKind.Relu6, 0.1, false, 0.1, -128, 127);
        for (int v = 0; v < 256; v++)
            Assert.Equal(Math.Clamp((int)(sbyte)v, 0, CompactOperators.Relu6Max(0.1)), table[v]);
    }

    [Theory]
    [InlineData(ActivationKind.HardSigmoid)]
    [InlineData(ActivationKind.HardSwish)]
    [InlineData(ActivationKind.Relu6)]
    public void LookupTablesAreTheRoundedRealFunction(ActivationKind kind)
    {
        Gen.Select(Gen.Double[0.005, 0.2], Gen.Double[0.005, 0.2], Gen.Bool).Sample((sx, sy, unsignedIn) =>
        {
            var table = CompactOperators.ActivationTable(kind, sx, unsignedIn, sy, -128, 127);
            for (int v = 0; v < 256; v++)
            {
                int x = Int8Arithmetic.Load((sbyte)v, unsignedIn);
                double real = CompactOperators.Apply(kind, x * sx) / sy;
                Assert.InRange(table[v], Math.Clamp(Math.Floor(real), -128, 127), Math.Clamp(Math.Ceiling(real), -128, 127));
            }
            // Hard-sigmoid and ReLU6 never decrease; hard-swish dips only below zero.
            if (kind != ActivationKind.HardSwish)
                for (int x = -127; x < (unsignedIn ? 255 : 127); x++)
                {
                    int Entry(int value) => table[unsignedIn ? value : (byte)(sbyte)value];
                    if (!unsignedIn || x >= 0) Assert.True(Entry(x + 1) >= Entry(x));
                }
        });
    }

    [Fact]
    public void ShuffleIsAPermutationUndoneByTheTransposedShuffle()
    {
        foreach (var (channels, groups) in new[] { (12, 3), (240, 3), (116, 2), (24, 8), (7, 1) })
        {
            var source = Enumerable.Range(0, channels).Select(o => CompactOperators.ShuffleSource(o, channels, groups)).ToArray();
            Assert.Equal(Enumerable.Range(0, channels), source.Order());
            // Shuffling by g, then by C/g, gives back the original order.
            var back = Enumerable.Range(0, channels).Select(o => source[CompactOperators.ShuffleSource(o, channels, channels / groups)]);
            Assert.Equal(Enumerable.Range(0, channels), back);
        }
        // ShuffleNet's picture: groups (0 1 2 | 3 4 5) interleave as 0 3 1 4 2 5.
        Assert.Equal(new[] { 0, 3, 1, 4, 2, 5 }, Enumerable.Range(0, 6).Select(o => CompactOperators.ShuffleSource(o, 6, 2)));
        Assert.Throws<ArgumentException>(() => CompactOperators.ShuffleSource(0, 10, 3));
    }

    [Fact]
    public void AveragePoolDividesByTheInBoundsTapsThroughItsMultiplier()
    {
        Gen.Select(Gen.Int[1, 9], Gen.Double[0.01, 0.5], Gen.Double[0.01, 0.5], Gen.Int[-128, 127]).Sample((n, sx, sy, v) =>
        {
            var table = CompactOperators.AvgPoolMultipliers(3, sx, sy);
            int sum = n * v;
            int y = Int8Arithmetic.Requantize(sum, table[n].Multiplier, table[n].Shift, -128, 127);
            double real = v * sx / sy;
            if (real is > -127 and < 126) Assert.InRange(y, Math.Floor(real) - 1, Math.Ceiling(real) + 1);
        });
    }

    [Fact]
    public void ScaleMultipliesEachChannelByItsGate()
    {
        Gen.Select(Gen.Int[-128, 127], Gen.Int[0, 255], Scales, Gen.Double[1.0 / 255, 1.0 / 128], Scales).Sample((x, s, sx, ss, sy) =>
        {
            if (sx * ss / sy >= 32768) return;
            var r = Int8Arithmetic.ChooseMultiplier(sx * ss / sy);
            int y = CompactOperators.Scale(x, s, r, -128, 127);
            double real = x * sx * (s * ss) / sy;
            if (real is > -127 and < 126) Assert.InRange(y, Math.Floor(real) - 1, Math.Ceiling(real) + 1);
        });
    }
}
