using Accel.Hardware.Config;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Engine;

/// <summary>Sub-operations of the ELTWISE opcode (instruction field <c>elt_op</c>).</summary>
public enum EltwiseOp { Add = 0, Lookup = 1, Gather = 2, Scale = 3, AvgPool = 4 }

/// <summary>
/// The element-wise unit (opcode ELTWISE). ADD (rule ADD): operand a is the <c>in_plane</c> words
/// from <c>in_base</c>, operand b the same number of words right after them in the input slot; each
/// output word is y = clamp((a*M_a + b*M_b + 2^(S-1)) >>> S, lo, hi) lane by lane, a and b widened
/// by their own signedness (<c>in_unsigned</c>, <c>in2_unsigned</c>). (M_a, S) and (M_b, S) are
/// lanes 0 and 1 of the (M, S) half of a channel-parameter word, read once per instruction. The
/// input buffer has one read port, so an output word takes two cycles (a, then b).
/// SCALE (rule SCALE): the same two reads, b being the group's gate word (the gate's words follow the
/// map's, one per group), y = clamp((a*b*M + 2^(S-1)) >>> S, lo, hi) with (M, S) in lane 0.
/// LOOKUP (rule ACTIVATION_LOOKUP): each lane replaces its stored byte v by entry v of a 256-entry
/// table. The table is <see cref="TableWords"/> parameter words of <see cref="TableEntries"/> bytes
/// (low bits of the (M, S) half, entry v in word v / E, byte v mod E); the unit copies it into one
/// LUT RAM per lane at the start of the instruction, then maps one word per cycle.
/// </summary>
public static class EltwiseUnit
{
    public const string Name = "accel_eltwise_unit";
    private const int Idle = 0, Param = 1, Run = 2, Table = 3;
    /// <summary>|a*M_a + b*M_b| &lt; 2 * 255 * 65535 &lt; 2^25: exact in 27 signed bits.</summary>
    public const int SumBits = 27;
    /// <summary>SCALE: |x * s| &lt;= 255 * 255 &lt; 2^16 in 18 signed bits; times M &lt; 2^16 below 2^32, 35 signed bits.</summary>
    public const int GateBits = 18, ScaledBits = 35;
    /// <summary>Rounding and shift width: |value| + 2^(S-1) stays below 2^39 for S up to <see cref="MaxEffectiveShift"/>.</summary>
    private const int ShiftedBits = 40;
    /// <summary>
    /// For S &gt;= 34 rules ADD and SCALE give 0 for every |value| &lt; 2^32 (value + 2^(S-1) lies in [0, 2^S)),
    /// so the unit shifts by min(S, 38) and keeps a 40-bit datapath instead of the rules' 64 bits.
    /// </summary>
    public const int MaxEffectiveShift = 38;
    /// <summary>Cycles from the last read to the last write: buffer read, product, shift, clamp.</summary>
    public const int Latency = 4;
    /// <summary>Width of the instruction's <c>elt_op</c> field.</summary>
    public const int OpBits = 3;
    /// <summary>The low bits of the (M, S) half of a parameter word the unit reads: (M_a, S), then M_b.</summary>
    public const int AddParamBits = EngineConfig.RequantLaneBits + EngineConfig.MultiplierBits;

    /// <summary>Table entries per parameter word: the largest power of two whose bytes fit 2*Cols bytes of the (M, S) half.</summary>
    public static int TableEntries(EngineConfig c) => 1 << (31 - System.Numerics.BitOperations.LeadingZeroCount((uint)(2 * c.Cols)));
    /// <summary>Parameter words of one activation table.</summary>
    public static int TableWords(EngineConfig c) => TableSize / TableEntries(c);
    public const int TableSize = 256;
    /// <summary>Low bits of the (M, S) half the unit reads.</summary>
    public static int ParamBits(EngineConfig c) => Math.Max(Math.Max(AddParamBits, 8 * TableEntries(c)), GatherUnit.ParamBits(c));
    /// <summary>LOOKUP after the table: buffer read, table read, byte select to the write.</summary>
    public const int LookupLatency = 3;

    public static Module Build(EngineConfig c)
    {
        int rows = c.Rows, iab = c.InputAddressBits, oab = c.OutputAddressBits, pb = c.ParamAddressBits;
        int db = EngineConfig.DataBits, rq = EngineConfig.RequantLaneBits, mb = EngineConfig.MultiplierBits, sb = EngineConfig.ShiftBits;
        int rb = EngineConfig.RangeBits, entries = TableEntries(c), tableWords = TableWords(c);
        int entryBits = EngineConfig.Log2Ceil(entries), tableAddrBits = EngineConfig.Log2Ceil(tableWords);
        var m = new Module(Name).Describe(
            "Element-wise unit: ADD of two words of the input slot, lane by lane, with two multipliers and one shift (rule ADD);",
            "LOOKUP of each lane's stored byte in a 256-entry table copied from the channel parameters (rule ACTIVATION_LOOKUP).",
            "ADD parameters: lanes 0 and 1 of a channel-parameter word's (M, S) half hold (M_a, S) and (M_b, S).");
        var clk = m.Input("clk_i");
        var rstN = m.Input("rst_ni");
        var start = m.Input("start_i");
        var op = m.Input("op_i", OpBits);
        var inBase = m.Input("in_base_i", iab);
        var inPlane = m.Input("in_plane_i", iab);
        var inUnsigned = m.Input("in_unsigned_i");
        var in2Unsigned = m.Input("in2_unsigned_i");
        var outBase = m.Input("out_base_i", oab);
        var outGroups = m.Input("out_groups_i", EngineConfig.DimBits);
        // SCALE: words of one group of the map in the slot (the gate word changes after them).
        var groupWords = m.Input("group_words_i", oab);
        var reads = m.Input("reads_i", 16);
        var parBase = m.Input("par_base_i", pb);
        var lo = m.Input("lo_i", rb);
        var hi = m.Input("hi_i", rb);
        var rqRdEn = m.Output("rq_rd_en_o");
        var rqRdAddr = m.Output("rq_rd_addr_o", pb);
        // The (M, S) half: ADD's (M_a, S) and M_b, a word of table entries, a gather read, or AVGPOOL's (M, S) in every lane.
        var rqRdData = m.Input("rq_rd_data_i", c.Cols * rq);
        var inH = m.Input("in_h_i", EngineConfig.DimBits);
        var inW = m.Input("in_w_i", EngineConfig.DimBits);
        var inGroups = m.Input("in_groups_i", EngineConfig.DimBits);
        var outH = m.Input("out_h_i", EngineConfig.DimBits);
        var outW = m.Input("out_w_i", EngineConfig.DimBits);
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

        var state = m.Reg("state", 2, Idle);
        var lookup = m.Reg("lookup", 1, 0);
        var scale = m.Reg("scale", 1, 0);
        var groupPix = m.Reg("group_pix", oab, 0);
        var second = m.Reg("second", 1, 0);
        var word = m.Reg("word", iab, 0);
        var aPtr = m.Reg("a_ptr", iab, 0);
        var bPtr = m.Reg("b_ptr", iab, 0);
        var outPtr = m.Reg("out_ptr", oab, 0);
        var parPtr = m.Reg("par_ptr", pb, 0);
        var tablePtr = m.Reg("table_ptr", tableAddrBits, 0);

        var running = m.Wire("running", state.Q.Eq(Run));
        var lastWord = m.Wire("last_word", word.Q.Eq(inPlane - 1));
        // ADD reads a then b for each output word; LOOKUP reads one word per cycle.
        var wordDone = m.Wire("word_done", running.And(lookup.Q.Or(second.Q)));
        var known = m.Wire("known_op", op.Eq((long)EltwiseOp.Add).Or(op.Eq((long)EltwiseOp.Lookup)).Or(op.Eq((long)EltwiseOp.Scale)));
        var gatherStart = m.Wire("gather_start", state.Q.Eq(Idle).And(start).And(op.Eq((long)EltwiseOp.Gather)));
        var poolStart = m.Wire("pool_start", state.Q.Eq(Idle).And(start).And(op.Eq((long)EltwiseOp.AvgPool)));
        m.Comb(b =>
        {
            foreach (var r in new[] { state, lookup, scale, groupPix, second, word, aPtr, bPtr, outPtr, parPtr, tablePtr }) b.Hold(r);
            b.If(state.Q.Eq(Idle).And(start).And(known), t =>
            {
                t.If(op.Eq((long)EltwiseOp.Lookup), e => e.Set(state.D, Table), e => e.Set(state.D, Param));
                t.Set(lookup.D, op.Eq((long)EltwiseOp.Lookup));
                t.Set(scale.D, op.Eq((long)EltwiseOp.Scale));
                t.Set(groupPix.D, 0);
                t.Set(second.D, 0); t.Set(word.D, 0); t.Set(tablePtr.D, 0);
                t.Set(aPtr.D, inBase); t.Set(bPtr.D, inBase + inPlane); t.Set(outPtr.D, outBase); t.Set(parPtr.D, parBase);
            });
            // ADD: the parameter word is read once and held by the buffer's output register.
            b.If(state.Q.Eq(Param), t => t.Set(state.D, Run));
            // LOOKUP: one table word read per cycle; each is written to the lanes' copies a cycle later.
            b.If(state.Q.Eq(Table), t =>
            {
                t.Set(parPtr.D, parPtr.Q + 1);
                t.Set(tablePtr.D, tablePtr.Q + 1);
                t.If(tablePtr.Q.Eq(tableWords - 1), e => e.Set(state.D, Run));
            });
            b.If(running, t =>
            {
                t.Set(second.D, !second.Q.Or(lookup.Q));
                t.If(wordDone, e =>
                {
                    e.Set(aPtr.D, aPtr.Q + 1);
                    // SCALE's b is the group's gate word: it advances once per group of map words.
                    e.If(scale.Q, sc => sc.If(groupPix.Q.Eq(groupWords - 1), last =>
                    {
                        last.Set(groupPix.D, 0);
                        last.Set(bPtr.D, bPtr.Q + 1);
                    }, more => more.Set(groupPix.D, groupPix.Q + 1)), ad => ad.Set(bPtr.D, bPtr.Q + 1));
                    e.Set(outPtr.D, outPtr.Q + 1);
                    e.Set(word.D, word.Q + 1);
                    e.If(lastWord, done => done.Set(state.D, Idle));
                });
            });
        });
        var tableRead = m.Wire("table_read", state.Q.Eq(Table));
        // GATHER runs in its own unit; the two never run at once, so the ports are ORed / selected by its enables.
        var gRqEn = m.Wire("g_rq_rd_en");
        var gRqAddr = m.Wire("g_rq_rd_addr", pb);
        var gRdEn = m.Wire("g_act_rd_en");
        var gRdAddr = m.Wire("g_act_rd_addr", iab);
        var gWrEn = m.Wire("g_act_wr_en");
        var gWrAddr = m.Wire("g_act_wr_addr", oab);
        var gWrData = m.Wire("g_act_wr_data", rows * db);
        var gBusy = m.Wire("g_busy");
        m.Instantiate(GatherUnit.Name, "u_gather", null,
            ("clk_i", clk), ("rst_ni", rstN), ("start_i", gatherStart),
            ("in_base_i", inBase), ("in_plane_i", inPlane), ("out_groups_i", outGroups), ("reads_i", reads),
            ("out_base_i", outBase), ("par_base_i", parBase),
            ("rq_rd_en_o", gRqEn), ("rq_rd_addr_o", gRqAddr), ("rq_rd_data_i", rqRdData.Slice(GatherUnit.ParamBits(c) - 1, 0)),
            ("act_rd_en_o", gRdEn), ("act_rd_addr_o", gRdAddr), ("act_rd_data_i", actRdData),
            ("act_wr_en_o", gWrEn), ("act_wr_addr_o", gWrAddr), ("act_wr_data_o", gWrData), ("busy_o", gBusy));
        var pRqEn = m.Wire("p_rq_rd_en");
        var pRqAddr = m.Wire("p_rq_rd_addr", pb);
        var pRdEn = m.Wire("p_act_rd_en");
        var pRdAddr = m.Wire("p_act_rd_addr", iab);
        var pWrEn = m.Wire("p_act_wr_en");
        var pWrAddr = m.Wire("p_act_wr_addr", oab);
        var pWrData = m.Wire("p_act_wr_data", rows * db);
        var pBusy = m.Wire("p_busy");
        m.Instantiate(AvgPoolWindowUnit.Name, "u_avgpool_window", null,
            ("clk_i", clk), ("rst_ni", rstN), ("start_i", poolStart),
            ("in_base_i", inBase), ("in_h_i", inH), ("in_w_i", inW), ("in_plane_i", inPlane), ("in_groups_i", inGroups), ("in_unsigned_i", inUnsigned),
            ("out_base_i", outBase), ("out_h_i", outH), ("out_w_i", outW), ("kernel_i", kernel), ("stride_i", stride), ("pad_i", pad), ("pad_top_i", padTop),
            ("par_base_i", parBase), ("lo_i", lo), ("hi_i", hi),
            ("rq_rd_en_o", pRqEn), ("rq_rd_addr_o", pRqAddr), ("rq_rd_data_i", rqRdData),
            ("act_rd_en_o", pRdEn), ("act_rd_addr_o", pRdAddr), ("act_rd_data_i", actRdData),
            ("act_wr_en_o", pWrEn), ("act_wr_addr_o", pWrAddr), ("act_wr_data_o", pWrData), ("busy_o", pBusy));
        m.Assign(rqRdEn, state.Q.Eq(Param).Or(tableRead).Or(gRqEn).Or(pRqEn));
        m.Assign(rqRdAddr, Expr.Mux(pRqEn, pRqAddr, Expr.Mux(gRqEn, gRqAddr, Expr.Mux(tableRead, parPtr.Q, parBase))));
        m.Assign(actRdEn, running.Or(gRdEn).Or(pRdEn));
        m.Assign(actRdAddr, Expr.Mux(pRdEn, pRdAddr, Expr.Mux(gRdEn, gRdAddr, Expr.Mux(second.Q, bPtr.Q, aPtr.Q))));

        // Read data arrives a cycle after the address: operand a is held while b is read.
        var v1 = m.Pipe("v1", wordDone, 0);
        var a1 = m.Pipe("a1", running.And(!second.Q).And(!lookup.Q));
        var out1 = m.Pipe("out1", outPtr.Q);
        var aWord = m.Reg("a_word", rows * db);
        m.Assign(aWord.D, Expr.Mux(a1, actRdData, aWord.Q));

        // ---- ADD lanes ----
        var multA = m.Wire("mult_a", rqRdData.Slice(mb - 1, 0));
        var multB = m.Wire("mult_b", rqRdData.Slice(rq + mb - 1, rq));
        var shift = m.Wire("shift", rqRdData.Slice(rq - 1, mb));
        var shiftEff = m.Wire("shift_eff", Expr.Mux(shift.Gt(Expr.Lit(sb, MaxEffectiveShift)), Expr.Lit(sb, MaxEffectiveShift), shift));
        var round = m.Wire("round", Expr.Lit(ShiftedBits, 1).ShlBy(shiftEff - 1));
        var sums = new Expr[rows];
        for (int r = 0; r < rows; r++)
        {
            var a = m.Wire($"a{r}", WindowAddress.Widen(aWord.Q, r, inUnsigned));
            var bOp = m.Wire($"b{r}", WindowAddress.Widen(actRdData, r, in2Unsigned));
            var sum = m.Pipe($"sum{r}", a.Sext(SumBits).SignedTimes(multA.Zext(SumBits)) + bOp.Sext(SumBits).SignedTimes(multB.Zext(SumBits)));
            // SCALE: x * s exact in 18 bits, times M_a in 35.
            var gated = m.Wire($"gated{r}", a.Sext(GateBits).SignedTimes(bOp.Sext(GateBits)));
            var scaled = m.Pipe($"scaled{r}", gated.Sext(ScaledBits).SignedTimes(multA.Zext(ScaledBits)));
            var chosen = m.Wire($"chosen{r}", Expr.Mux(scale.Q, scaled.Sext(ShiftedBits), sum.Sext(ShiftedBits)));
            var shifted = m.Pipe($"shifted{r}", (chosen + round).Sra(shiftEff));
            var below = shifted.SLt(lo.Sext(ShiftedBits));
            var above = shifted.SGt(hi.Sext(ShiftedBits));
            sums[r] = m.Pipe($"y{r}", Expr.Mux(below, lo.Slice(db - 1, 0), Expr.Mux(above, hi.Slice(db - 1, 0), shifted.Slice(db - 1, 0))));
        }

        // ---- LOOKUP lanes: a copy of the table per lane, the stored byte's high bits pick the word, its low bits the entry ----
        var tableWe = m.Pipe("table_we", tableRead, 0);
        var tableWrAddr = m.Pipe("table_wr_addr", tablePtr.Q);
        var tableWrData = m.Wire("table_wr_data", rqRdData.Slice(8 * entries - 1, 0));
        var mapped = new Expr[rows];
        for (int r = 0; r < rows; r++)
        {
            var index = m.Wire($"index{r}", actRdData.Slice(r * db + db - 1, r * db));
            var entry = m.Pipe($"entry{r}", index.Slice(entryBits - 1, 0));
            var tableData = m.Wire($"table_data{r}", 8 * entries);
            m.Instantiate("sdp_ram", $"u_table{r}", new Dictionary<string, long> { ["WIDTH"] = 8 * entries, ["DEPTH"] = tableWords, ["ADDR_BITS"] = tableAddrBits, ["DISTRIBUTED"] = 1 },
                ("clk_i", clk), ("wr_en_i", tableWe), ("wr_addr_i", tableWrAddr), ("wr_data_i", tableWrData),
                ("rd_en_i", v1), ("rd_addr_i", index.Slice(db - 1, entryBits)), ("rd_data_o", tableData));
            // Byte select as a tree of 2:1 multiplexers, one level per bit of the entry number.
            Sig level = tableData;
            for (int bit = entryBits - 1; bit >= 0; bit--)
            {
                int half = level.Width / 2;
                level = m.Wire($"select{r}_{bit}", Expr.Mux(entry.Bit(bit), level.Slice(2 * half - 1, half), level.Slice(half - 1, 0)));
            }
            mapped[r] = m.Pipe($"mapped{r}", level);
        }

        // ADD writes Latency cycles after its b read; LOOKUP LookupLatency after its read.
        Expr wv = v1.And(!lookup.Q), wa = out1;
        var valids = new List<Expr> { v1, a1, tableWe };
        for (int k = 0; k < Latency - 1; k++)
        {
            wv = m.Pipe($"wr_valid_{k}", wv, 0);
            wa = m.Pipe($"wr_addr_{k}", wa);
            valids.Add(wv);
        }
        Expr lv = v1.And(lookup.Q), la = out1;
        for (int k = 0; k < LookupLatency - 1; k++)
        {
            lv = m.Pipe($"lookup_valid_{k}", lv, 0);
            la = m.Pipe($"lookup_addr_{k}", la);
            valids.Add(lv);
        }
        m.Assign(actWrEn, wv.Or(lv).Or(gWrEn).Or(pWrEn));
        m.Assign(actWrAddr, Expr.Mux(pWrEn, pWrAddr, Expr.Mux(gWrEn, gWrAddr, Expr.Mux(lv, la, wa))));
        m.Assign(actWrData, Expr.Mux(pWrEn, pWrData, Expr.Mux(gWrEn, gWrData, Expr.Mux(lv, Expr.Cat(mapped.Reverse().ToArray()), Expr.Cat(sums.Reverse().ToArray())))));
        valids.Add(gBusy);
        valids.Add(pBusy);
        m.Assign(busy, Expr.Cat([state.Q.ReduceOr(), .. valids]).ReduceOr());
        m.Clocked(clk, rstN);
        return m;
    }
}
