using Accel.Hardware.Config;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Engine;

/// <summary>
/// Global average pooling (rule GLOBAL_AVGPOOL): per channel group, the int32 lane-wise sum of
/// every pixel, then the REQUANT lanes with the pool's (M, S) (stored as a channel-parameter
/// word) and [lo, hi]. One input word per cycle; the output is one word per group.
/// </summary>
public static class AvgPoolUnit
{
    public const string Name = "accel_avgpool_unit";
    private const int Idle = 0, Param = 1, Run = 2;
    private const int SumBits = 32;

    public static Module Build(EngineConfig c)
    {
        int rows = c.Rows, iab = c.InputAddressBits, oab = c.OutputAddressBits, pb = c.ParamAddressBits, d = EngineConfig.DimBits;
        int db = EngineConfig.DataBits, rq = EngineConfig.RequantLaneBits, a = c.AccumulatorBits;
        var m = new Module(Name).Describe("Global average pool: lane-wise int32 sums over a group's pixels, requantized per lane.");
        var clk = m.Input("clk_i");
        var rstN = m.Input("rst_ni");
        var start = m.Input("start_i");
        var inBase = m.Input("in_base_i", iab);
        var inPlane = m.Input("in_plane_i", iab);
        var inGroups = m.Input("in_groups_i", d);
        var inUnsigned = m.Input("in_unsigned_i");
        var outBase = m.Input("out_base_i", oab);
        var parBase = m.Input("par_base_i", pb);
        var lo = m.Input("lo_i", EngineConfig.RangeBits);
        var hi = m.Input("hi_i", EngineConfig.RangeBits);
        var rqRdEn = m.Output("rq_rd_en_o");
        var rqRdAddr = m.Output("rq_rd_addr_o", pb);
        var rqRdData = m.Input("rq_rd_data_i", c.Cols * rq);
        var actRdEn = m.Output("act_rd_en_o");
        var actRdAddr = m.Output("act_rd_addr_o", iab);
        var actRdData = m.Input("act_rd_data_i", rows * db);
        var actWrEn = m.Output("act_wr_en_o");
        var actWrAddr = m.Output("act_wr_addr_o", oab);
        var actWrData = m.Output("act_wr_data_o", rows * db);
        var busy = m.Output("busy_o");

        var state = m.Reg("state", 2, Idle);
        var g = m.Reg("g", d, 0);
        var pix = m.Reg("pix", iab, 0);
        var inPtr = m.Reg("in_ptr", iab, 0);
        var outPtr = m.Reg("out_ptr", oab, 0);

        var running = m.Wire("running", state.Q.Eq(Run));
        var lastPix = m.Wire("last_pix", pix.Q.Eq(inPlane - 1));
        var lastGroup = m.Wire("last_group", g.Q.Eq(inGroups - 1));
        m.Comb(b =>
        {
            foreach (var r in new[] { state, g, pix, inPtr, outPtr }) b.Hold(r);
            b.If(state.Q.Eq(Idle).And(start), t =>
            {
                t.Set(state.D, Param);
                t.Set(g.D, 0); t.Set(pix.D, 0); t.Set(inPtr.D, inBase); t.Set(outPtr.D, outBase);
            });
            // The (M, S) word is read once and held by the buffer's output register.
            b.If(state.Q.Eq(Param), t => t.Set(state.D, Run));
            b.If(running, t =>
            {
                t.Set(inPtr.D, inPtr.Q + 1);
                t.If(lastPix, e =>
                {
                    e.Set(pix.D, 0);
                    e.Set(g.D, g.Q + 1);
                    e.Set(outPtr.D, outPtr.Q + 1);
                    e.If(lastGroup, done => done.Set(state.D, Idle));
                }, e => e.Set(pix.D, pix.Q + 1));
            });
        });
        m.Assign(rqRdEn, state.Q.Eq(Param));
        m.Assign(rqRdAddr, parBase);
        m.Assign(actRdEn, running);
        m.Assign(actRdAddr, inPtr.Q);

        // Buffer read data arrives a cycle after the address.
        var v1 = m.Pipe("v1", running, 0);
        var first1 = m.Pipe("first1", pix.Q.Eq(0));
        var last1 = m.Pipe("last1", lastPix);
        var out1 = m.Pipe("out1", outPtr.Q);

        var lanes = new Expr[rows];
        for (int r = 0; r < rows; r++)
        {
            var sum = m.Reg($"sum{r}", SumBits);
            var operand = m.Wire($"operand{r}", WindowAddress.Widen(actRdData, r, inUnsigned));
            var x = m.Wire($"x{r}", operand.Sext(SumBits));
            var merged = m.Wire($"merged{r}", Expr.Mux(first1, x, sum.Q + x));
            m.Assign(sum.D, Expr.Mux(v1, merged, sum.Q));
            lanes[r] = Requantizer.Lane(m, r, clk, merged.Sext(a), rqRdData, lo, hi);
        }
        // A group's last pixel carries its sum into the requantizer; the result is written Latency cycles later.
        Expr wv = v1.And(last1), wa = out1;
        var valids = new List<Expr> { v1 };
        for (int k = 0; k < Requantizer.Latency; k++)
        {
            wv = m.Pipe($"wr_valid_{k}", wv, 0);
            wa = m.Pipe($"wr_addr_{k}", wa);
            valids.Add(wv);
        }
        m.Assign(actWrEn, wv);
        m.Assign(actWrAddr, wa);
        m.Assign(actWrData, Expr.Cat(lanes.Reverse().ToArray()));
        m.Assign(busy, Expr.Cat([state.Q.ReduceOr(), .. valids]).ReduceOr());
        m.Clocked(clk, rstN);
        return m;
    }
}
