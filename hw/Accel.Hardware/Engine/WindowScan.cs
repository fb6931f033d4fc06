using Accel.Hardware.Config;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Engine;

/// <summary>
/// The window walk the KxK pool units share: channel group -> output row -> output pixel -> tap
/// (ky, kx), one tap per cycle while <see cref="Stage.State"/> is running, and its first pipeline
/// stage (the tap's input address, whether it lies in the map, the first/last-tap flags and the
/// output word it belongs to). The units differ only in what they merge per tap.
/// </summary>
public static class WindowScan
{
    public const int Idle = 0, Run = 1;

    /// <summary>Stage-1 signals: valid, in-map, first and last tap of a window, output pointer, input address.</summary>
    public sealed record Stage(Register State, Sig Valid, Sig InMap, Sig FirstTap, Sig LastTap, Sig OutPtr, Sig Address);

    public static Stage Build(Module m, Sig start, Sig inBase, Sig inH, Sig inW, Sig inPlane, Sig inGroups,
        Sig outBase, Sig outH, Sig outW, Sig kernel, Sig stride, Sig pad, Sig padTop, int inAddressBits, int outAddressBits)
    {
        int d = EngineConfig.DimBits;
        var state = m.Reg("state", 1, Idle);
        var g = m.Reg("g", d, 0);
        var grpBase = m.Reg("grp_base", inAddressBits, 0);
        var oy = m.Reg("oy", d, 0);
        var ox = m.Reg("ox", d, 0);
        var ky = m.Reg("ky", 4, 0);
        var kx = m.Reg("kx", 4, 0);
        var outPtr = m.Reg("out_ptr", outAddressBits, 0);

        var running = m.Wire("running", state.Q.Eq(Run));
        var firstTap = m.Wire("first_tap", ky.Q.Eq(0).And(kx.Q.Eq(0)));
        var lastKx = m.Wire("last_kx", kx.Q.Eq(kernel - 1));
        var lastTap = m.Wire("last_tap", lastKx.And(ky.Q.Eq(kernel - 1)));
        var lastX = m.Wire("last_x", ox.Q.Eq(outW - 1));
        var lastY = m.Wire("last_y", oy.Q.Eq(outH - 1));
        var lastGroup = m.Wire("last_group", g.Q.Eq(inGroups - 1));

        m.Comb(b =>
        {
            foreach (var r in new[] { state, g, grpBase, oy, ox, ky, kx, outPtr }) b.Hold(r);
            b.If(state.Q.Eq(Idle).And(start), t =>
            {
                t.Set(state.D, Run);
                t.Set(g.D, 0); t.Set(grpBase.D, inBase); t.Set(oy.D, 0); t.Set(ox.D, 0);
                t.Set(ky.D, 0); t.Set(kx.D, 0); t.Set(outPtr.D, outBase);
            });
            b.If(running, t =>
            {
                t.If(lastTap, tap =>
                {
                    tap.Set(kx.D, 0); tap.Set(ky.D, 0); tap.Set(outPtr.D, outPtr.Q + 1);
                    tap.If(lastX, row =>
                    {
                        row.Set(ox.D, 0);
                        row.If(lastY, grp =>
                        {
                            grp.Set(oy.D, 0); grp.Set(g.D, g.Q + 1); grp.Set(grpBase.D, grpBase.Q + inPlane);
                            grp.If(lastGroup, done => done.Set(state.D, Idle));
                        }, nextRow => nextRow.Set(oy.D, oy.Q + 1));
                    }, nextPixel => nextPixel.Set(ox.D, ox.Q + 1));
                }, nextTap => nextTap.If(lastKx, w => { w.Set(kx.D, 0); w.Set(ky.D, ky.Q + 1); }, w => w.Set(kx.D, kx.Q + 1)));
            });
        });

        var (inside, addr) = WindowAddress.Build(m, oy.Q, ox.Q, ky.Q, kx.Q, stride, padTop, pad, inH, inW, grpBase.Q, inAddressBits);
        return new Stage(state,
            m.Pipe("v1", running, 0), m.Pipe("in_map1", inside), m.Pipe("first1", firstTap), m.Pipe("last1", lastTap),
            m.Pipe("out1", outPtr.Q), m.Pipe("addr1", addr));
    }
}
