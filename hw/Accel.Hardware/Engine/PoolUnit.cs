using Accel.Hardware.Config;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Engine;

/// <summary>
/// Max pooling on whole activation words (Rows channels at once): one window tap read per
/// cycle, a running lane-wise max in 9-bit signed (so uint8 and int8 tensors compare right),
/// out-of-bounds taps never win (rule MAXPOOL, ceil mode included). Outputs are written in
/// order, so the output pointer just counts.
/// </summary>
public static class PoolUnit
{
    public const string Name = "accel_pool_unit";
    private const int Idle = 0, Run = 1;

    public static Module Build(EngineConfig c)
    {
        int rows = c.Rows, iab = c.InputAddressBits, oab = c.OutputAddressBits, d = EngineConfig.DimBits, ob = EngineConfig.OperandBits, db = EngineConfig.DataBits;
        var m = new Module(Name).Describe("Max-pool unit: KxK window, stride, padding and ceil mode, Rows channels per cycle.");
        var clk = m.Input("clk_i");
        var rstN = m.Input("rst_ni");
        var start = m.Input("start_i");
        var inBase = m.Input("in_base_i", iab);
        var inH = m.Input("in_h_i", d);
        var inW = m.Input("in_w_i", d);
        var inPlane = m.Input("in_plane_i", iab);
        var inGroups = m.Input("in_groups_i", d);
        var inUnsigned = m.Input("in_unsigned_i");
        var outBase = m.Input("out_base_i", oab);
        var outH = m.Input("out_h_i", d);
        var outW = m.Input("out_w_i", d);
        var kernel = m.Input("kernel_i", 4);
        var stride = m.Input("stride_i", 4);
        var pad = m.Input("pad_i", 4);
        var padTop = m.Input("pad_top_i", 4);
        var actRdEn = m.Output("act_rd_en_o");
        var actRdAddr = m.Output("act_rd_addr_o", iab);
        var actRdData = m.Input("act_rd_data_i", rows * db);
        var actWrEn = m.Output("act_wr_en_o");
        var actWrAddr = m.Output("act_wr_addr_o", oab);
        var actWrData = m.Output("act_wr_data_o", rows * db);
        var busy = m.Output("busy_o");

        var state = m.Reg("state", 1, Idle);
        var g = m.Reg("g", d, 0);
        var grpBase = m.Reg("grp_base", iab, 0);
        var oy = m.Reg("oy", d, 0);
        var ox = m.Reg("ox", d, 0);
        var ky = m.Reg("ky", 4, 0);
        var kx = m.Reg("kx", 4, 0);
        var outPtr = m.Reg("out_ptr", oab, 0);

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

        var (inside, addr) = WindowAddress.Build(m, oy.Q, ox.Q, ky.Q, kx.Q, stride, padTop, pad, inH, inW, grpBase.Q, iab);

        var v1 = m.Pipe("v1", running, 0);
        var inside1 = m.Pipe("in_map1", inside);
        var first1 = m.Pipe("first1", firstTap);
        var last1 = m.Pipe("last1", lastTap);
        var out1 = m.Pipe("out1", outPtr.Q);
        m.Assign(actRdEn, v1);
        m.Assign(actRdAddr, m.Pipe("addr1", addr));

        var v2 = m.Pipe("v2", v1, 0);
        var inside2 = m.Pipe("in_map2", inside1);
        var first2 = m.Pipe("first2", first1);
        var last2 = m.Pipe("last2", last1);
        var out2 = m.Pipe("out2", out1);

        var results = new Expr[rows];
        for (int r = 0; r < rows; r++)
        {
            var best = m.Reg($"best{r}", ob);
            var widened = WindowAddress.Widen(actRdData, r, inUnsigned);
            // Padding and ceil-mode overhang read as -256: below every int8 and uint8 value.
            var candidate = m.Wire($"cand{r}", Expr.Mux(inside2, widened, Expr.Lit(ob, -256)));
            var merged = m.Wire($"merged{r}", Expr.Mux(first2.Or(candidate.SGt(best.Q)), candidate, best.Q));
            m.Assign(best.D, Expr.Mux(v2, merged, best.Q));
            results[r] = merged.Slice(db - 1, 0);
        }
        var wrValid = m.Pipe("wr_valid", v2.And(last2), 0);
        m.Assign(actWrEn, wrValid);
        m.Assign(actWrAddr, m.Pipe("wr_addr", out2));
        m.Assign(actWrData, m.Pipe("wr_data", Expr.Cat(results.Reverse().ToArray())));
        m.Assign(busy, Expr.Cat(state.Q, v1, v2, wrValid).ReduceOr());
        m.Clocked(clk, rstN);
        return m;
    }
}
