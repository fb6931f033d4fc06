using Accel.Hardware.Config;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Engine;

/// <summary>
/// KxK average pooling (rule AVGPOOL; ELTWISE sub-operation AVGPOOL): one window tap read per cycle
/// as in the max-pool unit, a lane-wise sum of the in-bounds taps and their count n, then REQUANT
/// with the (M, S) of n: parameter word <c>par_base + n - 1</c>, the same pair in every lane.
/// </summary>
public static class AvgPoolWindowUnit
{
    public const string Name = "accel_avgpool_window_unit";
    /// <summary>At most 15 x 15 taps of |x| &lt;= 255: below 2^16, exact in 18 signed bits.</summary>
    private const int SumBits = 18, CountBits = 8;
    /// <summary>Cycles from the last tap's address to the write: read, merge, parameter read, requantization.</summary>
    public const int Latency = 3 + Requantizer.Latency;

    public static Module Build(EngineConfig c)
    {
        int rows = c.Rows, iab = c.InputAddressBits, oab = c.OutputAddressBits, pb = c.ParamAddressBits, d = EngineConfig.DimBits, db = EngineConfig.DataBits;
        var m = new Module(Name).Describe("Average-pool unit: KxK window, stride and padding; in-bounds taps summed and counted, requantized with the count's (M, S).");
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
        var parBase = m.Input("par_base_i", pb);
        var lo = m.Input("lo_i", EngineConfig.RangeBits);
        var hi = m.Input("hi_i", EngineConfig.RangeBits);
        var rqRdEn = m.Output("rq_rd_en_o");
        var rqRdAddr = m.Output("rq_rd_addr_o", pb);
        var rqRdData = m.Input("rq_rd_data_i", c.Cols * EngineConfig.RequantLaneBits);
        var actRdEn = m.Output("act_rd_en_o");
        var actRdAddr = m.Output("act_rd_addr_o", iab);
        var actRdData = m.Input("act_rd_data_i", rows * db);
        var actWrEn = m.Output("act_wr_en_o");
        var actWrAddr = m.Output("act_wr_addr_o", oab);
        var actWrData = m.Output("act_wr_data_o", rows * db);
        var busy = m.Output("busy_o");

        var scan = WindowScan.Build(m, start, inBase, inH, inW, inPlane, inGroups, outBase, outH, outW, kernel, stride, pad, padTop, iab, oab);
        var (state, v1, inside1, first1, last1, out1) = (scan.State, scan.Valid, scan.InMap, scan.FirstTap, scan.LastTap, scan.OutPtr);
        // Padded taps are not read (rule AVGPOOL counts in-bounds taps only).
        m.Assign(actRdEn, v1.And(inside1));
        m.Assign(actRdAddr, scan.Address);

        var v2 = m.Pipe("v2", v1, 0);
        var inside2 = m.Pipe("in_map2", inside1);
        var first2 = m.Pipe("first2", first1);
        var last2 = m.Pipe("last2", last1);
        var out2 = m.Pipe("out2", out1);
        var count = m.Reg("count", CountBits);
        var tap = m.Wire("tap_count", Expr.Cat(Expr.Lit(CountBits - 1, 0), inside2));
        var countMerged = m.Wire("count_merged", Expr.Mux(first2, tap, count.Q + tap));
        m.Assign(count.D, Expr.Mux(v2, countMerged, count.Q));
        var done2 = m.Wire("done2", v2.And(last2));
        // The window's (M, S): entry n - 1 (a window always has an in-bounds tap, so n >= 1).
        m.Assign(rqRdEn, done2);
        m.Assign(rqRdAddr, parBase + countMerged.Fit(pb) - 1);

        var sums = new Sig[rows];
        for (int r = 0; r < rows; r++)
        {
            var sum = m.Reg($"sum{r}", SumBits);
            var operand = m.Wire($"operand{r}", WindowAddress.Widen(actRdData, r, inUnsigned));
            var x = m.Wire($"x{r}", Expr.Mux(inside2, operand.Sext(SumBits), Expr.Lit(SumBits, 0)));
            var merged = m.Wire($"merged{r}", Expr.Mux(first2, x, sum.Q + x));
            m.Assign(sum.D, Expr.Mux(v2, merged, sum.Q));
            sums[r] = m.Pipe($"sum3_{r}", merged);
        }
        var results = new Expr[rows];
        for (int r = 0; r < rows; r++) results[r] = Requantizer.Lane(m, r, clk, sums[r].Sext(c.AccumulatorBits), rqRdData, lo, hi);
        Expr wv = m.Pipe("v3", done2, 0), wa = m.Pipe("out3", out2);
        var valids = new List<Expr> { state.Q, v1, v2, wv };
        for (int k = 0; k < Requantizer.Latency; k++)
        {
            wv = m.Pipe($"wr_valid_{k}", wv, 0);
            wa = m.Pipe($"wr_addr_{k}", wa);
            valids.Add(wv);
        }
        m.Assign(actWrEn, wv);
        m.Assign(actWrAddr, wa);
        m.Assign(actWrData, Expr.Cat(results.Reverse().ToArray()));
        m.Assign(busy, Expr.Cat([.. valids]).ReduceOr());
        m.Clocked(clk, rstN);
        return m;
    }
}
