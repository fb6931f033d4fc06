using Accel.Hardware.Config;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Engine;

/// <summary>
/// Channel data movement (CHANNEL_SHUFFLE, CHANNEL_SLICE; ELTWISE sub-operation GATHER): each output
/// word is assembled from <c>reads</c> source words of the same pixel. For output group g, read k is
/// described by channel-parameter word <c>par_base + g*reads + k</c> (low bits of its (M, S) half):
/// the source group within the slot, a take mask (one bit per output lane) and each lane's source
/// lane. Lanes no read takes (holes) are zero. One source word per cycle.
/// </summary>
public static class GatherUnit
{
    public const string Name = "accel_gather_unit";
    /// <summary>Cycles from the last read's parameter read to the write: parameter, input read, merge, write.</summary>
    public const int Latency = 3;

    public static int LaneBits(EngineConfig c) => Math.Max(1, EngineConfig.Log2Ceil(c.Rows));
    /// <summary>Parameter bits of one read: source group, take mask, source lanes.</summary>
    public static int ParamBits(EngineConfig c) => EngineConfig.DimBits + c.Rows + c.Rows * LaneBits(c);

    public static Module Build(EngineConfig c)
    {
        int rows = c.Rows, iab = c.InputAddressBits, oab = c.OutputAddressBits, pb = c.ParamAddressBits, d = EngineConfig.DimBits;
        int db = EngineConfig.DataBits, lb = LaneBits(c);
        var m = new Module(Name).Describe(
            "Gather unit: each output word assembled lane by lane from source words of the same pixel (channel shuffle and slice).",
            "Per output group and read: the source group, a take mask and each lane's source lane, from a channel-parameter word.");
        var clk = m.Input("clk_i");
        var rstN = m.Input("rst_ni");
        var start = m.Input("start_i");
        var inBase = m.Input("in_base_i", iab);
        var inPlane = m.Input("in_plane_i", iab);
        var outGroups = m.Input("out_groups_i", d);
        var reads = m.Input("reads_i", 16);
        var outBase = m.Input("out_base_i", oab);
        var parBase = m.Input("par_base_i", pb);
        var rqRdEn = m.Output("rq_rd_en_o");
        var rqRdAddr = m.Output("rq_rd_addr_o", pb);
        var rqRdData = m.Input("rq_rd_data_i", ParamBits(c));
        var actRdEn = m.Output("act_rd_en_o");
        var actRdAddr = m.Output("act_rd_addr_o", iab);
        var actRdData = m.Input("act_rd_data_i", rows * db);
        var actWrEn = m.Output("act_wr_en_o");
        var actWrAddr = m.Output("act_wr_addr_o", oab);
        var actWrData = m.Output("act_wr_data_o", rows * db);
        var busy = m.Output("busy_o");

        var running = m.Reg("running", 1, 0);
        var group = m.Reg("group", d, 0);
        var pix = m.Reg("pix", iab, 0);
        var k = m.Reg("k", 16, 0);
        var groupPar = m.Reg("group_par", pb, 0);
        var outPtr = m.Reg("out_ptr", oab, 0);

        var lastK = m.Wire("last_k", k.Q.Eq(reads - 1));
        var lastPix = m.Wire("last_pix", pix.Q.Eq(inPlane - 1));
        var lastGroup = m.Wire("last_group", group.Q.Eq(outGroups - 1));
        m.Comb(b =>
        {
            foreach (var r in new[] { running, group, pix, k, groupPar, outPtr }) b.Hold(r);
            b.If((!running.Q).And(start), t =>
            {
                t.Set(running.D, 1);
                t.Set(group.D, 0); t.Set(pix.D, 0); t.Set(k.D, 0); t.Set(groupPar.D, parBase); t.Set(outPtr.D, outBase);
            });
            b.If(running.Q, t => t.If(lastK, e =>
            {
                e.Set(k.D, 0);
                e.Set(outPtr.D, outPtr.Q + 1);
                e.If(lastPix, g =>
                {
                    g.Set(pix.D, 0);
                    g.Set(group.D, group.Q + 1);
                    g.Set(groupPar.D, groupPar.Q + reads.Fit(pb));
                    g.If(lastGroup, done => done.Set(running.D, 0));
                }, g => g.Set(pix.D, pix.Q + 1));
            }, e => e.Set(k.D, k.Q + 1)));
        });
        // Stage 0: the read's parameter word.
        m.Assign(rqRdEn, running.Q);
        m.Assign(rqRdAddr, groupPar.Q + k.Q.Fit(pb));
        // Stage 1: the source word of the same pixel in the parameter's group.
        var v1 = m.Pipe("v1", running.Q, 0);
        var first1 = m.Pipe("first1", k.Q.Eq(0));
        var last1 = m.Pipe("last1", lastK);
        var pix1 = m.Pipe("pix1", pix.Q);
        var out1 = m.Pipe("out1", outPtr.Q);
        var srcGroup = m.Wire("src_group", rqRdData.Slice(d - 1, 0));
        var offset = m.Wire("src_offset", srcGroup.Zext(d + iab) * inPlane.Zext(d + iab));
        var offsetLow = m.PartlyUsedWire("src_offset_low", offset, "The source word lies inside the input slot; only the low bits address it.");
        m.Assign(actRdEn, v1);
        m.Assign(actRdAddr, inBase + offsetLow.Slice(iab - 1, 0) + pix1);
        var lanes1 = m.Wire("lane_map1", rqRdData.Slice(ParamBits(c) - 1, d));
        // Stage 2: merge the taken lanes into the word being assembled.
        var v2 = m.Pipe("v2", v1, 0);
        var first2 = m.Pipe("first2", first1);
        var last2 = m.Pipe("last2", last1);
        var out2 = m.Pipe("out2", out1);
        var laneMap = m.Pipe("lane_map2", lanes1);
        var assembled = new Expr[rows];
        for (int r = 0; r < rows; r++)
        {
            var take = laneMap.Bit(r);
            var source = m.Wire($"src_lane{r}", laneMap.Slice(rows + (r + 1) * lb - 1, rows + r * lb));
            // Byte select by the source lane: the word padded to 2^lb bytes, halved once per bit of the lane number.
            Sig current = m.Wire($"pick{r}_{lb}", actRdData.Zext((1 << lb) * db));
            for (int bit = lb - 1; bit >= 0; bit--)
            {
                int half = (1 << bit) * db;
                current = m.Wire($"pick{r}_{bit}", Expr.Mux(source.Bit(bit), current.Slice(2 * half - 1, half), current.Slice(half - 1, 0)));
            }
            var asm = m.Reg($"asm{r}", db);
            var merged = m.Wire($"merged{r}", Expr.Mux(take, current, Expr.Mux(first2, Expr.Lit(db, 0), asm.Q)));
            m.Assign(asm.D, Expr.Mux(v2, merged, asm.Q));
            assembled[r] = merged;
        }
        var wv = m.Pipe("wr_valid", v2.And(last2), 0);
        var wa = m.Pipe("wr_addr", out2);
        var wd = m.Pipe("wr_data", Expr.Cat(assembled.Reverse().ToArray()));
        m.Assign(actWrEn, wv);
        m.Assign(actWrAddr, wa);
        m.Assign(actWrData, wd);
        m.Assign(busy, Expr.Cat(running.Q, v1, v2, wv).ReduceOr());
        m.Clocked(clk, rstN);
        return m;
    }
}
