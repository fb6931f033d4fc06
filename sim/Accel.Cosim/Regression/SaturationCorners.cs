using Accel.Model.Arithmetic;
using Accel.Model.Quantized;

namespace Accel.Cosim.Regression;

/// <summary>
/// Saturation corners of the arithmetic contract, applied to a random model's convolutions by
/// replacing their weight, bias and requantization arrays. Every corner keeps the int32
/// accumulator contract (|bias| &lt;= BiasLimit, fan-in &lt;= MaxFanIn).
/// </summary>
public static class SaturationCorners
{
    public const string None = "none";
    /// <summary>Every weight +127, inputs at the int8 extremes.</summary>
    public const string WeightsMax = "weights-max";
    /// <summary>Every weight -127, inputs at the int8 extremes.</summary>
    public const string WeightsMin = "weights-min";
    /// <summary>M = 65535 with a small S: nearly every output clamps at lo or hi.</summary>
    public const string RequantClamp = "requant-clamp";
    /// <summary>M = 0: every output is 0 whatever the accumulator.</summary>
    public const string RequantZero = "requant-zero";
    /// <summary>S = 62, the largest shift: the rounding constant is 2^61 of the 64-bit product.</summary>
    public const string Shift62 = "shift-62";
    /// <summary>S = 1, the smallest shift.</summary>
    public const string Shift1 = "shift-1";
    /// <summary>Biases within a few units of +-2^30.</summary>
    public const string BiasLimit = "bias-limit";
    /// <summary>Each output channel gets its own corner (or none).</summary>
    public const string Mixed = "mixed";

    public static IReadOnlyList<string> All { get; } = [WeightsMax, WeightsMin, RequantClamp, RequantZero, Shift62, Shift1, BiasLimit, Mixed];

    public static bool WantsExtremeInput(string corner) => corner is WeightsMax or WeightsMin or Mixed;

    public static QuantizedModel Apply(QuantizedModel model, string corner, Random rng)
    {
        if (corner == None) return model;
        if (corner != Mixed && !All.Contains(corner)) throw new ArgumentException($"unknown saturation corner '{corner}'", nameof(corner));
        var convs = model.Convs.ToDictionary(kv => kv.Key, kv => ApplyTo(kv.Value, corner, rng), StringComparer.Ordinal);
        return new QuantizedModel(model.Network, model.Preprocessing, model.TensorScales, convs, model.PoolRequant);
    }

    private static QuantizedConv ApplyTo(QuantizedConv conv, string corner, Random rng)
    {
        var weights = (sbyte[])conv.Weights.Clone();
        var bias = (int[])conv.Bias.Clone();
        var requant = (Requant[])conv.Requant.Clone();
        int outChannels = bias.Length, fanIn = weights.Length / outChannels;
        if (fanIn > Int8Arithmetic.MaxFanIn)
            throw new ArgumentException($"conv '{conv.Name}': fan-in {fanIn} exceeds {Int8Arithmetic.MaxFanIn}; its corners would break the int32 contract");
        for (int oc = 0; oc < outChannels; oc++)
        {
            string channelCorner = corner == Mixed ? PickChannelCorner(rng) : corner;
            var row = weights.AsSpan(oc * fanIn, fanIn);
            switch (channelCorner)
            {
                case WeightsMax: row.Fill(Int8Arithmetic.WeightMax); break;
                case WeightsMin: row.Fill(-Int8Arithmetic.WeightMax); break;
                case RequantClamp: requant[oc] = new Requant(ushort.MaxValue, (byte)rng.Next(Int8Arithmetic.MinShift, 5)); break;
                case RequantZero: requant[oc] = requant[oc] with { Multiplier = 0 }; break;
                case Shift62: requant[oc] = requant[oc] with { Shift = Int8Arithmetic.MaxShift }; break;
                case Shift1: requant[oc] = requant[oc] with { Shift = Int8Arithmetic.MinShift }; break;
                case BiasLimit:
                    int magnitude = Int8Arithmetic.BiasLimit - rng.Next(0, 256);
                    bias[oc] = rng.Next(2) == 0 ? magnitude : -magnitude;
                    break;
                case None: break;
            }
        }
        return conv with { Weights = weights, Bias = bias, Requant = requant };
    }

    private static string PickChannelCorner(Random rng)
    {
        // "none" among the choices keeps some ordinary channels next to the saturated ones.
        int pick = rng.Next(All.Count);
        return All[pick] == Mixed ? None : All[pick];
    }
}
