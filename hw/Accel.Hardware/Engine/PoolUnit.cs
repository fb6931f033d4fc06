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

        var scan = WindowScan.Build(m, start, inBase, inH, inW, inPlane, inGroups, outBase, outH, outW, kernel, stride, pad, padTop, iab, oab);
        var (state, v1, inside1, first1, last1, out1) = (scan.State, scan.Valid, scan.InMap, scan.FirstTap, scan.LastTap, scan.OutPtr);
        m.Assign(actRdEn, v1);
        m.Assign(actRdAddr, scan.Address);

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
