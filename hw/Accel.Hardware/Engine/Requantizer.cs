using Accel.Hardware.Config;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Engine;

/// <summary>
/// One lane of rule REQUANT, pipelined in three stages: (1) the 48-bit product acc * M,
/// (2) + 2^(S-1) and arithmetic shift right by S in 64 bits, (3) clamp to [lo, hi]. The output
/// byte is the low 8 bits of the clamped value (an unsigned tensor stores 0..255).
/// </summary>
public static class Requantizer
{
    public const string Name = "accel_requant";
    public const int Latency = 3;
    private const int ProductBits = 48, WideBits = 64;

    public static Module Build(EngineConfig c)
    {
        int a = c.AccumulatorBits, rb = EngineConfig.RangeBits;
        var m = new Module(Name).Describe(
            "Requantization lane (docs/arithmetic.md, REQUANT): q = clamp((acc * M + 2^(S-1)) >>> S, lo, hi).",
            $"Latency {Latency} cycles; M unsigned 16-bit, S in 1..62, lo/hi signed 10-bit.");
        var clk = m.Input("clk_i");
        var acc = m.Input("acc_i", a);
        var mult = m.Input("mult_i", EngineConfig.MultiplierBits);
        var shift = m.Input("shift_i", EngineConfig.ShiftBits);
        var lo = m.Input("lo_i", rb);
        var hi = m.Input("hi_i", rb);
        var q = m.Output("q_o", EngineConfig.DataBits);

        // |acc| < 2^47 / 2^16: the signed 48-bit product is exact for accumulators up to 32 bits and M < 2^16.
        // Written signed (M zero-extended, so non-negative) it maps to two DSP48s per lane instead of three.
        var product = m.Pipe("product", acc.Sext(ProductBits).SignedTimes(mult.Zext(ProductBits)));
        var shift1 = m.Pipe("shift1", shift);
        var lo1 = m.Pipe("lo1", lo);
        var hi1 = m.Pipe("hi1", hi);

        var round = m.Wire("round", Expr.Lit(WideBits, 1).ShlBy(shift1 - 1));
        var rounded = m.Wire("rounded", product.Sext(WideBits) + round);
        var shifted = m.Wire("shifted", rounded.Sra(shift1));
        var shifted2 = m.Pipe("shifted2", shifted);
        var lo2 = m.Pipe("lo2", lo1);
        var hi2 = m.Pipe("hi2", hi1);

        var below = m.Wire("below", shifted2.SLt(lo2.Sext(WideBits)));
        var above = m.Wire("above", shifted2.SGt(hi2.Sext(WideBits)));
        var clamped = Expr.Mux(below, lo2.Slice(7, 0), Expr.Mux(above, hi2.Slice(7, 0), shifted2.Slice(7, 0)));
        m.Assign(q, m.Pipe("q", clamped));
        m.Clocked(clk, null);
        return m;
    }

    /// <summary>
    /// Instantiates lane <paramref name="lane"/> in <paramref name="m"/>: its (M, S) is that lane of a
    /// requantization-parameter word; returns the output byte.
    /// </summary>
    public static Sig Lane(Module m, int lane, Sig clk, Expr acc, Sig requantWord, Sig lo, Sig hi)
    {
        int rq = EngineConfig.RequantLaneBits, mb = EngineConfig.MultiplierBits;
        var q = m.Wire($"q{lane}", EngineConfig.DataBits);
        m.Instantiate(Name, $"u_requant{lane}", null,
            ("clk_i", clk), ("acc_i", acc),
            ("mult_i", requantWord.Slice(lane * rq + mb - 1, lane * rq)),
            ("shift_i", requantWord.Slice(lane * rq + rq - 1, lane * rq + mb)),
            ("lo_i", lo), ("hi_i", hi), ("q_o", q));
        return q;
    }
}
