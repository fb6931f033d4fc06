using Accel.Hardware.Config;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Engine;

/// <summary>
/// Empties a finished accumulator bank: reads one pixel (Cols lanes) per cycle, requantizes
/// every lane with its channel's (M, S) and the layer's [lo, hi], and writes the word to the
/// activation buffer. Banks are drained in the order they complete; the bank is released as
/// soon as its last word has been read.
/// </summary>
public static class Drain
{
    public const string Name = "accel_drain";
    private const int Idle = 0, Stream = 1;

    public static Module Build(EngineConfig c)
    {
        int cols = c.Cols, a = c.AccumulatorBits, ab = c.AccumulatorAddressBits, pb = c.ParamAddressBits;
        int aab = c.OutputAddressBits, nb = c.PixelCountBits, rq = EngineConfig.RequantLaneBits, rb = EngineConfig.RangeBits;
        var m = new Module(Name).Describe("Drain: accumulator bank -> requantization lanes -> activation buffer, one pixel per cycle.");
        var clk = m.Input("clk_i");
        var rstN = m.Input("rst_ni");
        var opStart = m.Input("op_start_i");
        var lo = m.Input("lo_i", rb);
        var hi = m.Input("hi_i", rb);
        var jobWe = m.Input("job_we_i");
        var jobBank = m.Input("job_bank_i");
        var jobOut = m.Input("job_out_addr_i", aab);
        var jobNpix = m.Input("job_npix_i", nb);
        var jobPar = m.Input("job_par_i", pb);
        var bandDone = m.Input("band_done_i");
        var bandDoneBank = m.Input("band_done_bank_i");
        var rqRdEn = m.Output("rq_rd_en_o");
        var rqRdAddr = m.Output("rq_rd_addr_o", pb);
        var rqRdData = m.Input("rq_rd_data_i", cols * rq);
        var accRdEn = m.Output("acc_rd_en_o");
        var accRdBank = m.Output("acc_rd_bank_o");
        var accRdAddr = m.Output("acc_rd_addr_o", ab);
        var accRdData = m.Input("acc_rd_data_i", cols * a);
        var actWrEn = m.Output("act_wr_en_o");
        var actWrAddr = m.Output("act_wr_addr_o", aab);
        var actWrData = m.Output("act_wr_data_o", cols * EngineConfig.DataBits);
        var bankFree = m.Output("bank_free_o");
        var bankFreeBank = m.Output("bank_free_bank_o");
        var busy = m.Output("busy_o");

        var jobOutQ = new Register[2];
        var jobNpixQ = new Register[2];
        var jobParQ = new Register[2];
        var pending = new Register[2];
        for (int b = 0; b < 2; b++)
        {
            jobOutQ[b] = m.Reg($"job{b}_out", aab);
            jobNpixQ[b] = m.Reg($"job{b}_npix", nb);
            jobParQ[b] = m.Reg($"job{b}_par", pb);
            pending[b] = m.Reg($"pending{b}", 1, 0);
        }
        var state = m.Reg("state", 1, Idle);
        var nextBank = m.Reg("next_bank", 1, 0);
        var bank = m.Reg("bank", 1, 0);
        var pix = m.Reg("pix", ab, 0);
        var npix = m.Reg("npix", nb, 0);
        var outAddr = m.Reg("out_addr", aab, 0);

        var streaming = m.Wire("streaming", state.Q.Eq(Stream));
        var lastPix = m.Wire("last_pix", pix.Q.Zext(Math.Max(ab, nb)).Eq((npix.Q - 1).Zext(Math.Max(ab, nb))));
        var nextPending = m.Wire("next_pending", Expr.Mux(nextBank.Q, pending[1].Q, pending[0].Q));
        var begin = m.Wire("start_drain", state.Q.Eq(Idle).And(nextPending));
        var finish = m.Wire("finish", streaming.And(lastPix));

        m.Comb(b =>
        {
            b.Hold(state); b.Hold(nextBank); b.Hold(bank); b.Hold(pix); b.Hold(npix); b.Hold(outAddr);
            for (int k = 0; k < 2; k++)
            {
                b.Hold(jobOutQ[k]); b.Hold(jobNpixQ[k]); b.Hold(jobParQ[k]); b.Hold(pending[k]);
                int bk = k;
                b.If(jobWe.And(bk == 0 ? !jobBank : jobBank), t =>
                {
                    t.Set(jobOutQ[bk].D, jobOut);
                    t.Set(jobNpixQ[bk].D, jobNpix);
                    t.Set(jobParQ[bk].D, jobPar);
                });
                b.If(bandDone.And(bk == 0 ? !bandDoneBank : bandDoneBank), t => t.Set(pending[bk].D, 1));
                b.If(finish.And(bk == 0 ? !bank.Q : bank.Q), t => t.Set(pending[bk].D, 0));
            }
            b.If(begin, t =>
            {
                t.Set(state.D, Stream);
                t.Set(bank.D, nextBank.Q);
                t.Set(pix.D, 0);
                t.Set(npix.D, Expr.Mux(nextBank.Q, jobNpixQ[1].Q, jobNpixQ[0].Q));
                t.Set(outAddr.D, Expr.Mux(nextBank.Q, jobOutQ[1].Q, jobOutQ[0].Q));
            });
            b.If(streaming, t =>
            {
                t.Set(pix.D, pix.Q + 1);
                t.If(lastPix, f =>
                {
                    f.Set(state.D, Idle);
                    f.Set(nextBank.D, !nextBank.Q);
                });
            });
            b.If(opStart, t => t.Set(nextBank.D, 0));
        });

        m.Assign(rqRdEn, begin);
        m.Assign(rqRdAddr, Expr.Mux(nextBank.Q, jobParQ[1].Q, jobParQ[0].Q));
        m.Assign(accRdEn, streaming);
        m.Assign(accRdBank, bank.Q);
        m.Assign(accRdAddr, pix.Q);
        m.Assign(bankFree, finish);
        m.Assign(bankFreeBank, bank.Q);

        // Read data arrives next cycle; the requantizer adds its latency.
        var wrAddr = m.Wire("issue_addr", outAddr.Q + pix.Q.Fit(aab));
        Expr v = streaming, addrPipe = wrAddr;
        var valids = new List<Expr>();
        for (int k = 0; k <= Requantizer.Latency; k++)
        {
            v = m.Pipe($"wr_valid_{k}", v, 0);
            addrPipe = m.Pipe($"wr_addr_{k}", addrPipe);
            valids.Add(v);
        }
        // With a depthwise unit, its sums borrow these lanes while it runs (the drain is idle then):
        // one set of REQUANT lanes instead of two.
        var extSel = c.HasDepthwiseUnit ? m.Input("ext_sel_i") : null;
        var extAcc = c.HasDepthwiseUnit ? m.Input("ext_acc_i", cols * a) : null;
        var lanes = new Expr[cols];
        for (int col = 0; col < cols; col++)
        {
            Expr acc = accRdData.Slice(col * a + a - 1, col * a);
            if (extSel is not null) acc = m.Wire($"lane_acc{col}", Expr.Mux(extSel, extAcc!.Slice(col * a + a - 1, col * a), acc));
            lanes[col] = Requantizer.Lane(m, col, clk, acc, rqRdData, lo, hi);
        }
        if (c.HasDepthwiseUnit) m.Assign(m.Output("q_o", cols * EngineConfig.DataBits), Expr.Cat(lanes.Reverse().ToArray()));
        m.Assign(actWrEn, v);
        m.Assign(actWrAddr, addrPipe);
        m.Assign(actWrData, Expr.Cat(lanes.Reverse().ToArray()));
        m.Assign(busy, Expr.Cat([state.Q, pending[0].Q, pending[1].Q, .. valids]).ReduceOr());
        m.Clocked(clk, rstN);
        return m;
    }
}
