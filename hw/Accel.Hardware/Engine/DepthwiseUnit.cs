using Accel.Hardware.Config;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Engine;

/// <summary>
/// Depthwise convolution (rule GROUPED_CONV with one input channel per output channel), lane-wise
/// over a word of Rows channels: the output keeps its input's layout, like a max pool.
/// Per channel group it reads the group's K x K weight words (tap ky*K + kx, lane l = channel l)
/// into registers and its channel-parameter word (bias, then (M, S), as a conv tile's). Then, per
/// output pixel, it reads the window columns that are new (K on a row's first pixel, else
/// min(K, stride)), one word a cycle (out-of-map taps are zero words without a read), into a
/// K x K window of words; a full window is multiplied one column per cycle (K 9 x 8-bit products
/// per lane, exact), summed with the bias over K cycles while the next window's words arrive,
/// and requantized with [lo, hi] (rule ACTIVATION_RANGE) by the drain's REQUANT lanes, which are idle meanwhile. So a pixel costs
/// K x min(K, stride) cycles per group, where the array spends K x K passes over it.
/// Between groups the unit waits for its pipeline to empty (the weights, bias and (M, S) change).
/// </summary>
public static class DepthwiseUnit
{
    public const string Name = "accel_dw_unit";
    private const int Idle = 0, Drain = 1, Weights = 2, Run = 3;

    /// <summary>Cycles from a pixel's last tap read to its output write (read, K multiply steps, sum, requantization).</summary>
    public static int WriteLatency(int kernel) => 1 + kernel + 1 + Requantizer.Latency;

    public static Module Build(EngineConfig c)
    {
        int rows = c.Rows, iab = c.InputAddressBits, oab = c.OutputAddressBits, wab = c.WeightAddressBits, pb = c.ParamAddressBits;
        int d = EngineConfig.DimBits, db = EngineConfig.DataBits, a = c.AccumulatorBits, kmax = c.DepthwiseMaxKernel;
        int wordBits = rows * db;
        int productBits = EngineConfig.ProductBits, sumBits = productBits + EngineConfig.Log2Ceil(kmax) + 1;
        var m = new Module(Name).Describe(
            $"Depthwise convolution unit: K x K window (K <= {kmax}) of {rows}-channel words, K multipliers per lane,",
            "one window column per cycle; bias per lane, then the drain's REQUANT lanes with the group's (M, S).");
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
        var wgtBase = m.Input("wgt_base_i", wab);
        var parBase = m.Input("par_base_i", pb);
        var wgtRdEn = m.Output("wgt_rd_en_o");
        var wgtRdAddr = m.Output("wgt_rd_addr_o", wab);
        var wgtRdData = m.Input("wgt_rd_data_i", c.WeightWordBits);
        var parRdEn = m.Output("par_rd_en_o");
        var parRdAddr = m.Output("par_rd_addr_o", pb);
        var biasRdData = m.Input("bias_rd_data_i", c.Cols * EngineConfig.BiasBits);
        var actRdEn = m.Output("act_rd_en_o");
        var actRdAddr = m.Output("act_rd_addr_o", iab);
        var actRdData = m.Input("act_rd_data_i", wordBits);
        // The REQUANT lanes are the drain's (idle while this unit runs): sums out, bytes back Latency cycles later.
        var rqAcc = m.Output("rq_acc_o", rows * a);
        var rqQ = m.Input("rq_q_i", wordBits);
        var actWrEn = m.Output("act_wr_en_o");
        var actWrAddr = m.Output("act_wr_addr_o", oab);
        var actWrData = m.Output("act_wr_data_o", wordBits);
        var busy = m.Output("busy_o");

        // ---- sequencer: group -> (weights) -> output row -> output pixel -> new window column -> row of the column ----
        var state = m.Reg("state", 2, Idle);
        var g = m.Reg("g", d, 0);
        var grpBase = m.Reg("grp_base", iab, 0);
        var wgtPtr = m.Reg("wgt_ptr", wab, 0);
        var parPtr = m.Reg("par_ptr", pb, 0);
        var wky = m.Reg("wky", 4, 0);
        var wkx = m.Reg("wkx", 4, 0);
        var oy = m.Reg("oy", d, 0);
        var ox = m.Reg("ox", d, 0);
        var ky = m.Reg("ky", 4, 0);
        var kx = m.Reg("kx", 4, 0);
        var outPtr = m.Reg("out_ptr", oab, 0);

        var running = m.Wire("running", state.Q.Eq(Run));
        var loadingWeights = m.Wire("loading_weights", state.Q.Eq(Weights));
        var lastK = m.Wire("last_k", kernel - 1);
        var lastRow = m.Wire("last_row", ky.Q.Eq(lastK));
        var lastCol = m.Wire("last_col", kx.Q.Eq(lastK));
        var lastX = m.Wire("last_x", ox.Q.Eq(outW - 1));
        var lastY = m.Wire("last_y", oy.Q.Eq(outH - 1));
        var lastGroup = m.Wire("last_group", g.Q.Eq(inGroups - 1));
        var lastWeight = m.Wire("last_weight", wky.Q.Eq(lastK).And(wkx.Q.Eq(lastK)));
        // Moving one pixel along x shifts the window by the stride: min(K, stride) columns are new.
        var newCols = m.Wire("new_cols", Expr.Mux(stride.Lt(kernel), stride, kernel));
        var firstNewCol = m.Wire("first_new_col", kernel - newCols);
        var pipeEmpty = m.Wire("pipe_empty");

        m.Comb(b =>
        {
            foreach (var r in new[] { state, g, grpBase, wgtPtr, parPtr, wky, wkx, oy, ox, ky, kx, outPtr }) b.Hold(r);
            b.If(state.Q.Eq(Idle).And(start), t =>
            {
                t.Set(state.D, Drain);
                t.Set(g.D, 0); t.Set(grpBase.D, inBase); t.Set(wgtPtr.D, wgtBase); t.Set(parPtr.D, parBase); t.Set(outPtr.D, outBase);
            });
            // A new group changes the weights, bias and (M, S): the previous group's pixels must be out first.
            b.If(state.Q.Eq(Drain).And(pipeEmpty), t => { t.Set(state.D, Weights); t.Set(wky.D, 0); t.Set(wkx.D, 0); });
            b.If(loadingWeights, t =>
            {
                t.Set(wgtPtr.D, wgtPtr.Q + 1);
                t.If(wkx.Q.Eq(lastK), col =>
                {
                    col.Set(wkx.D, 0);
                    col.If(lastWeight, done =>
                    {
                        done.Set(state.D, Run);
                        done.Set(oy.D, 0); done.Set(ox.D, 0); done.Set(ky.D, 0); done.Set(kx.D, 0);
                    }, next => next.Set(wky.D, wky.Q + 1));
                }, col => col.Set(wkx.D, wkx.Q + 1));
            });
            b.If(running, t =>
            {
                t.If(lastRow, column =>
                {
                    column.Set(ky.D, 0);
                    column.If(lastCol, pixel =>
                    {
                        pixel.Set(outPtr.D, outPtr.Q + 1);
                        pixel.Set(kx.D, firstNewCol);
                        pixel.If(lastX, row =>
                        {
                            row.Set(ox.D, 0);
                            row.Set(kx.D, 0);
                            row.If(lastY, grp =>
                            {
                                grp.Set(oy.D, 0);
                                grp.Set(g.D, g.Q + 1);
                                grp.Set(grpBase.D, grpBase.Q + inPlane);
                                grp.Set(parPtr.D, parPtr.Q + 1);
                                grp.Set(state.D, Expr.Mux(lastGroup, Expr.Lit(2, Idle), Expr.Lit(2, Drain)));
                            }, nextRow => nextRow.Set(oy.D, oy.Q + 1));
                        }, nextPixel => nextPixel.Set(ox.D, ox.Q + 1));
                    }, nextColumn => nextColumn.Set(kx.D, kx.Q + 1));
                }, nextRow => nextRow.Set(ky.D, ky.Q + 1));
            });
        });

        var (inside, addr) = WindowAddress.Build(m, oy.Q, ox.Q, ky.Q, kx.Q, stride, padTop, pad, inH, inW, grpBase.Q, iab);
        m.Assign(actRdEn, running.And(inside));
        m.Assign(actRdAddr, addr);
        m.Assign(wgtRdEn, loadingWeights);
        m.Assign(wgtRdAddr, wgtPtr.Q);
        // The parameter word is read while the weights load; the buffers hold it on their outputs.
        m.Assign(parRdEn, loadingWeights);
        m.Assign(parRdAddr, parPtr.Q);

        // ---- buffer data, a cycle after the address ----
        var v1 = m.Pipe("v1", running, 0);
        var inside1 = m.Pipe("in_map1", inside);
        var ky1 = m.Pipe("ky1", ky.Q);
        var colDone1 = m.Pipe("col_done1", lastRow);
        var pixDone1 = m.Pipe("pix_done1", lastRow.And(lastCol));
        var out1 = m.Pipe("out1", outPtr.Q);
        var wv1 = m.Pipe("wv1", loadingWeights, 0);
        var wky1 = m.Pipe("wky1", wky.Q);
        var wkx1 = m.Pipe("wkx1", wkx.Q);
        var word = m.Wire("word", Expr.Mux(inside1, actRdData, Expr.Lit(wordBits, 0)));

        // Rows 0..K-2 of a column wait in the staging words; the last row completes the column,
        // which enters the window at column K-1 while columns 1..K-1 move down by one.
        var stage = new Register[Math.Max(kmax - 1, 0)];
        for (int r = 0; r < kmax - 1; r++) stage[r] = m.Reg($"stage{r}", wordBits);
        var newCol = new Expr[kmax];
        for (int r = 0; r < kmax; r++)
            newCol[r] = m.Wire($"new_col{r}", Expr.Mux(kernel.Eq(r + 1), word,
                r < kmax - 1 ? Expr.Mux(kernel.Gt(Expr.Lit(4, r + 1)), stage[r].Q, Expr.Lit(wordBits, 0)) : Expr.Lit(wordBits, 0)));
        var win = new Register[kmax, kmax];
        var wgt = new Register[kmax, kmax];
        for (int col = 0; col < kmax; col++)
            for (int r = 0; r < kmax; r++)
            {
                win[col, r] = m.Reg($"win{col}_{r}", wordBits);
                wgt[r, col] = m.Reg($"wgt{r}_{col}", c.WeightWordBits);
            }
        var shift = m.Wire("shift", v1.And(colDone1));
        m.Comb(b =>
        {
            foreach (var s in stage) b.Hold(s);
            foreach (var w in win) b.Hold(w);
            foreach (var w in wgt) b.Hold(w);
            b.If(v1.And(!colDone1), t =>
            {
                for (int r = 0; r < kmax - 1; r++) t.If(ky1.Eq(r), e => e.Set(stage[r].D, word));
            });
            b.If(shift, t =>
            {
                for (int col = 0; col < kmax; col++)
                {
                    int cc = col;
                    t.If(kernel.Eq(cc + 1), e => { for (int r = 0; r < kmax; r++) e.Set(win[cc, r].D, newCol[r]); });
                    if (cc < kmax - 1)
                        t.If(kernel.Gt(Expr.Lit(4, cc + 1)), e => { for (int r = 0; r < kmax; r++) e.Set(win[cc, r].D, win[cc + 1, r].Q); });
                }
            });
            b.If(wv1, t =>
            {
                for (int r = 0; r < kmax; r++)
                    for (int col = 0; col < kmax; col++)
                    {
                        int rr = r, cc = col;
                        t.If(wky1.Eq(rr).And(wkx1.Eq(cc)), e => e.Set(wgt[rr, cc].D, wgtRdData));
                    }
            });
        });

        // ---- multiply a full window one column per cycle (step j = column j) ----
        var macActive = m.Reg("mac_active", 1, 0);
        var macStep = m.Reg("mac_step", 4, 0);
        var macOut = m.Reg("mac_out", oab, 0);
        var macLast = m.Wire("mac_last", macStep.Q.Eq(lastK));
        m.Comb(b =>
        {
            b.Hold(macActive); b.Hold(macStep); b.Hold(macOut);
            b.If(macActive.Q, t => t.If(macLast, e => e.Set(macActive.D, 0), e => e.Set(macStep.D, macStep.Q + 1)));
            // A pixel's window is complete: its K steps start the next cycle (the previous pixel's are done by then).
            b.If(v1.And(pixDone1), t => { t.Set(macActive.D, 1); t.Set(macStep.D, 0); t.Set(macOut.D, out1); });
        });
        Expr Pick(Func<int, Expr> column)
        {
            Expr e = column(kmax - 1);
            for (int col = kmax - 2; col >= 0; col--) e = Expr.Mux(macStep.Q.Eq(col), column(col), e);
            return e;
        }
        var colWords = new Sig[kmax];
        var colWeights = new Sig[kmax];
        for (int r = 0; r < kmax; r++)
        {
            int rr = r;
            colWords[r] = m.Wire($"col_word{r}", Pick(col => win[col, rr].Q));
            colWeights[r] = m.Wire($"col_wgt{r}", Pick(col => wgt[rr, col].Q));
        }
        var sumValid = m.Pipe("sum_valid", macActive.Q, 0);
        var sumFirst = m.Pipe("sum_first", macStep.Q.Eq(0));
        var sumLast = m.Pipe("sum_last", macLast);
        var sumOut = m.Pipe("sum_out", macOut.Q);

        var sums = new Expr[rows];
        for (int l = 0; l < rows; l++)
        {
            Expr colSum = Expr.Lit(sumBits, 0);
            for (int r = 0; r < kmax; r++)
            {
                var x = m.Wire($"x{l}_{r}", WindowAddress.Widen(colWords[r], l, inUnsigned)).Sext(productBits);
                var w = m.Wire($"w{l}_{r}", colWeights[r].Slice(l * db + db - 1, l * db)).Sext(productBits);
                colSum = colSum + m.Wire($"prod{l}_{r}", x.SignedTimes(w)).Sext(sumBits);
            }
            var columnSum = m.Pipe($"col_sum{l}", colSum);
            var acc = m.Reg($"acc{l}", a);
            var bias = m.Wire($"bias{l}", biasRdData.Slice(l * EngineConfig.BiasBits + EngineConfig.BiasBits - 1, l * EngineConfig.BiasBits)).Sext(a);
            var merged = m.Wire($"merged{l}", Expr.Mux(sumFirst, bias, acc.Q) + columnSum.Sext(a));
            m.Assign(acc.D, Expr.Mux(sumValid, merged, acc.Q));
            sums[l] = merged;
        }
        m.Assign(rqAcc, Expr.Cat(sums.Reverse().ToArray()));
        // A pixel's last column carries its sum into the requantizer; the result is written Latency cycles later.
        Expr wrValid = sumValid.And(sumLast), wrAddr = sumOut;
        var valids = new List<Expr> { v1, wv1, macActive.Q, sumValid };
        for (int k = 0; k < Requantizer.Latency; k++)
        {
            wrValid = m.Pipe($"wr_valid_{k}", wrValid, 0);
            wrAddr = m.Pipe($"wr_addr_{k}", wrAddr);
            valids.Add(wrValid);
        }
        m.Assign(pipeEmpty, !Expr.Cat(valids.ToArray()).ReduceOr());
        m.Assign(actWrEn, wrValid);
        m.Assign(actWrAddr, wrAddr);
        m.Assign(actWrData, rqQ);
        m.Assign(busy, state.Q.Ne(Idle).Or(!pipeEmpty));
        m.Clocked(clk, rstN);
        return m;
    }
}
