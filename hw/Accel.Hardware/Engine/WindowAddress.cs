using Accel.Hardware.Config;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Engine;

/// <summary>
/// Logic the feeder and the pool unit share: the input word address of output pixel (oy, ox) at
/// window tap (ky, kx), whether that tap lies inside the map, and the 9-bit widening of a lane.
/// </summary>
internal static class WindowAddress
{
    private const int CoordBits = 16;

    /// <summary>
    /// iy = oy*stride + ky - padTop, ix = ox*stride + kx - pad, the in-map flag, and address =
    /// group base + iy*W + ix. A stripe's top padding differs from the left padding: only the
    /// first stripe of a map has rows above it.
    /// </summary>
    public static (Sig InMap, Sig Address) Build(Module m, Sig oy, Sig ox, Sig ky, Sig kx, Sig stride, Sig padTop, Sig pad,
        Sig inH, Sig inW, Sig groupBase, int addressBits)
    {
        var iy = m.Wire("iy", oy.Zext(CoordBits) * stride.Zext(CoordBits) + ky.Zext(CoordBits) - padTop.Zext(CoordBits));
        var ix = m.Wire("ix", ox.Zext(CoordBits) * stride.Zext(CoordBits) + kx.Zext(CoordBits) - pad.Zext(CoordBits));
        var inMap = m.Wire("in_map", (!iy.Bit(CoordBits - 1)).And(iy.Lt(inH.Zext(CoordBits)))
            .And(!ix.Bit(CoordBits - 1)).And(ix.Lt(inW.Zext(CoordBits))));
        var address = m.Wire("addr", groupBase + Mul(m, "row_offset", iy, inW, addressBits) + Fit(m, "ix_addr", ix, addressBits));
        return (inMap, address);
    }

    /// <summary>Lane <paramref name="lane"/> of an activation word as a 9-bit signed operand (rule LOAD_ACTIVATION).</summary>
    public static Expr Widen(Sig word, int lane, Sig unsignedTensor)
    {
        int db = EngineConfig.DataBits;
        var top = word.Bit(lane * db + db - 1);
        return Expr.Cat(Expr.Mux(unsignedTensor, Expr.Lit(1, 0), top), word.Slice(lane * db + db - 1, lane * db));
    }

    /// <summary>a * b in <paramref name="width"/> bits (the operands' low bits; meaningful for in-map, non-negative a).</summary>
    public static Expr Mul(Module m, string name, Sig a, Sig b, int width) =>
        m.Wire(name, Fit(m, name + "_a", a, width) * Fit(m, name + "_b", b, width));

    public static Expr Fit(Module m, string name, Sig s, int width) =>
        width >= s.Width ? s.Zext(width)
            : m.PartlyUsedWire(name, s, "Only the low bits address the buffer; the compiler keeps every tensor inside it.").Slice(width - 1, 0);
}
