using Accel.Hardware.Config;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Engine;

/// <summary>Sub-operations of the ELTWISE opcode (instruction field <c>elt_op</c>).</summary>
public enum EltwiseOp { Add = 0 }

/// <summary>
/// The element-wise unit (opcode ELTWISE). ADD (rule ADD): operand a is the <c>in_plane</c> words
/// from <c>in_base</c>, operand b the same number of words right after them in the input slot; each
/// output word is y = clamp((a*M_a + b*M_b + 2^(S-1)) >>> S, lo, hi) lane by lane, a and b widened
/// by their own signedness (<c>in_unsigned</c>, <c>in2_unsigned</c>). (M_a, S) and (M_b, S) are
/// lanes 0 and 1 of the (M, S) half of a channel-parameter word, read once per instruction. The
/// input buffer has one read port, so an output word takes two cycles (a, then b).
/// </summary>
public static class EltwiseUnit
{
    public const string Name = "accel_eltwise_unit";
    private const int Idle = 0, Param = 1, Run = 2;
    /// <summary>|a*M_a + b*M_b| &lt; 2 * 255 * 65535 &lt; 2^25: exact in 27 signed bits.</summary>
    public const int SumBits = 27;
    /// <summary>Rounding and shift width: sum + 2^(S-1) stays below 2^31 for S up to <see cref="MaxEffectiveShift"/>.</summary>
    private const int ShiftedBits = 32;
    /// <summary>
    /// For S &gt;= 26 rule ADD gives 0 for every |sum| &lt; 2^25 (sum + 2^(S-1) lies in [0, 2^S)), so the
    /// unit shifts by min(S, 30) and keeps a 32-bit datapath instead of the rule's 64 bits.
    /// </summary>
    public const int MaxEffectiveShift = 30;
    /// <summary>Cycles from the last read to the last write: buffer read, product, shift, clamp.</summary>
    public const int Latency = 4;
    /// <summary>Width of the instruction's <c>elt_op</c> field.</summary>
    public const int OpBits = 3;
    /// <summary>The low bits of the (M, S) half of a parameter word the unit reads: (M_a, S), then M_b.</summary>
    public const int ParamBits = EngineConfig.RequantLaneBits + EngineConfig.MultiplierBits;

    public static Module Build(EngineConfig c)
    {
        int rows = c.Rows, iab = c.InputAddressBits, oab = c.OutputAddressBits, pb = c.ParamAddressBits;
        int db = EngineConfig.DataBits, rq = EngineConfig.RequantLaneBits, mb = EngineConfig.MultiplierBits, sb = EngineConfig.ShiftBits;
        int rb = EngineConfig.RangeBits;
        var m = new Module(Name).Describe(
            "Element-wise unit: ADD of two words of the input slot, lane by lane, with two multipliers and one shift (rule ADD).",
            "Parameters: lanes 0 and 1 of a channel-parameter word's (M, S) half hold (M_a, S) and (M_b, S).");
        var clk = m.Input("clk_i");
        var rstN = m.Input("rst_ni");
        var start = m.Input("start_i");
        var op = m.Input("op_i", OpBits);
        var inBase = m.Input("in_base_i", iab);
        var inPlane = m.Input("in_plane_i", iab);
        var inUnsigned = m.Input("in_unsigned_i");
        var in2Unsigned = m.Input("in2_unsigned_i");
        var outBase = m.Input("out_base_i", oab);
        var parBase = m.Input("par_base_i", pb);
        var lo = m.Input("lo_i", rb);
        var hi = m.Input("hi_i", rb);
        var rqRdEn = m.Output("rq_rd_en_o");
        var rqRdAddr = m.Output("rq_rd_addr_o", pb);
        // Lane 0 of the (M, S) half and lane 1's M: the rest of the parameter word is unused.
        var rqRdData = m.Input("rq_rd_data_i", ParamBits);
        var actRdEn = m.Output("act_rd_en_o");
        var actRdAddr = m.Output("act_rd_addr_o", iab);
        var actRdData = m.Input("act_rd_data_i", rows * db);
        var actWrEn = m.Output("act_wr_en_o");
        var actWrAddr = m.Output("act_wr_addr_o", oab);
        var actWrData = m.Output("act_wr_data_o", rows * db);
        var busy = m.Output("busy_o");

        var state = m.Reg("state", 2, Idle);
        var second = m.Reg("second", 1, 0);
        var word = m.Reg("word", iab, 0);
        var aPtr = m.Reg("a_ptr", iab, 0);
        var bPtr = m.Reg("b_ptr", iab, 0);
        var outPtr = m.Reg("out_ptr", oab, 0);

        var running = m.Wire("running", state.Q.Eq(Run));
        var lastWord = m.Wire("last_word", word.Q.Eq(inPlane - 1));
        m.Comb(b =>
        {
            foreach (var r in new[] { state, second, word, aPtr, bPtr, outPtr }) b.Hold(r);
            b.If(state.Q.Eq(Idle).And(start).And(op.Eq((long)EltwiseOp.Add)), t =>
            {
                t.Set(state.D, Param);
                t.Set(second.D, 0); t.Set(word.D, 0);
                t.Set(aPtr.D, inBase); t.Set(bPtr.D, inBase + inPlane); t.Set(outPtr.D, outBase);
            });
            // The parameter word is read once and held by the buffer's output register.
            b.If(state.Q.Eq(Param), t => t.Set(state.D, Run));
            b.If(running, t =>
            {
                t.Set(second.D, !second.Q);
                t.If(second.Q, e =>
                {
                    e.Set(aPtr.D, aPtr.Q + 1);
                    e.Set(bPtr.D, bPtr.Q + 1);
                    e.Set(outPtr.D, outPtr.Q + 1);
                    e.Set(word.D, word.Q + 1);
                    e.If(lastWord, done => done.Set(state.D, Idle));
                });
            });
        });
        m.Assign(rqRdEn, state.Q.Eq(Param));
        m.Assign(rqRdAddr, parBase);
        m.Assign(actRdEn, running);
        m.Assign(actRdAddr, Expr.Mux(second.Q, bPtr.Q, aPtr.Q));

        // Read data arrives a cycle after the address: operand a is held while b is read.
        var v1 = m.Pipe("v1", running.And(second.Q), 0);
        var a1 = m.Pipe("a1", running.And(!second.Q));
        var out1 = m.Pipe("out1", outPtr.Q);
        var aWord = m.Reg("a_word", rows * db);
        m.Assign(aWord.D, Expr.Mux(a1, actRdData, aWord.Q));

        var multA = m.Wire("mult_a", rqRdData.Slice(mb - 1, 0));
        var multB = m.Wire("mult_b", rqRdData.Slice(rq + mb - 1, rq));
        var shift = m.Wire("shift", rqRdData.Slice(rq - 1, mb));
        var shiftEff = m.Wire("shift_eff", Expr.Mux(shift.Gt(Expr.Lit(sb, MaxEffectiveShift)), Expr.Lit(sb, MaxEffectiveShift), shift));
        var round = m.Wire("round", Expr.Lit(ShiftedBits, 1).ShlBy(shiftEff - 1));
        var lanes = new Expr[rows];
        for (int r = 0; r < rows; r++)
        {
            var a = m.Wire($"a{r}", WindowAddress.Widen(aWord.Q, r, inUnsigned));
            var bOp = m.Wire($"b{r}", WindowAddress.Widen(actRdData, r, in2Unsigned));
            var sum = m.Pipe($"sum{r}", a.Sext(SumBits).SignedTimes(multA.Zext(SumBits)) + bOp.Sext(SumBits).SignedTimes(multB.Zext(SumBits)));
            var shifted = m.Pipe($"shifted{r}", (sum.Sext(ShiftedBits) + round).Sra(shiftEff));
            var below = shifted.SLt(lo.Sext(ShiftedBits));
            var above = shifted.SGt(hi.Sext(ShiftedBits));
            lanes[r] = m.Pipe($"y{r}", Expr.Mux(below, lo.Slice(db - 1, 0), Expr.Mux(above, hi.Slice(db - 1, 0), shifted.Slice(db - 1, 0))));
        }
        Expr wv = v1, wa = out1;
        var valids = new List<Expr> { v1, a1 };
        for (int k = 0; k < Latency - 1; k++)
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
