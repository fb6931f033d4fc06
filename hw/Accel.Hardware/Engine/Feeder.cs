using Accel.Hardware.Config;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Engine;

/// <summary>
/// The convolution sequencer and activation feeder. Loop order, outermost first: output-channel
/// tile, row band, input-channel group, ky, kx (one "pass" = one weight bank), then the band's
/// pixels. For each pixel it reads the input word at (oy*s+ky-p, ox*s+kx-p), zero outside the
/// map, widens each lane to 9 bits (sign- or zero-extended per the tensor) and sends it into
/// the array with the tags the accumulator needs. A pass starts when its weights are loaded
/// and, for a band's first pass, when its accumulator bank has been drained. A pass whose weight
/// bank is all zero adds nothing, so it is skipped (one cycle instead of its pixels) unless it is
/// a band's first pass (which adds the bias) or last (which completes the band).
/// </summary>
public static class Feeder
{
    public const string Name = "accel_feeder";
    private const int Idle = 0, Wait = 1, Run = 2;

    public static Module Build(EngineConfig c)
    {
        int rows = c.Rows, iab = c.InputAddressBits, aab = c.OutputAddressBits, pb = c.ParamAddressBits, ab = c.AccumulatorAddressBits;
        int nb = c.PixelCountBits, d = EngineConfig.DimBits, ob = EngineConfig.OperandBits, db = EngineConfig.DataBits;
        var m = new Module(Name).Describe("Convolution sequencer: passes over (tile, band, group, ky, kx), pixels into the array.");
        var clk = m.Input("clk_i");
        var rstN = m.Input("rst_ni");
        var start = m.Input("start_i");
        var inBase = m.Input("in_base_i", iab);
        var inH = m.Input("in_h_i", d);
        var inW = m.Input("in_w_i", d);
        var inPlane = m.Input("in_plane_i", iab);
        var inUnsigned = m.Input("in_unsigned_i");
        var outBase = m.Input("out_base_i", aab);
        var outH = m.Input("out_h_i", d);
        var outW = m.Input("out_w_i", d);
        var outPlane = m.Input("out_plane_i", aab);
        var kernel = m.Input("kernel_i", 4);
        var stride = m.Input("stride_i", 4);
        var pad = m.Input("pad_i", 4);
        var padTop = m.Input("pad_top_i", 4);
        var ocTiles = m.Input("oc_tiles_i", d);
        var bandRows = m.Input("band_rows_i", d);
        var bandOutStep = m.Input("band_out_step_i", aab);
        var passesPerBand = m.Input("passes_per_band_i", 16);
        var parBase = m.Input("par_base_i", pb);
        var wbankReady = m.Input("wbank_ready_i", 2);
        var wbankZero = m.Input("wbank_zero_i", 2);
        var wbankTake = m.Output("wbank_take_o");
        var passEnd = m.Output("pass_end_o");
        var bankFree = m.Input("bank_free_i");
        var bankFreeBank = m.Input("bank_free_bank_i");
        var jobWe = m.Output("job_we_o");
        var jobBank = m.Output("job_bank_o");
        var jobOut = m.Output("job_out_addr_o", aab);
        var jobNpix = m.Output("job_npix_o", nb);
        var jobPar = m.Output("job_par_o", pb);
        var actRdEn = m.Output("act_rd_en_o");
        var actRdAddr = m.Output("act_rd_addr_o", iab);
        var actRdData = m.Input("act_rd_data_i", rows * db);
        var arrAct = m.Output("arr_act_o", rows * ob);
        var arrSel = m.Output("arr_sel_o");
        var tagValid = m.Output("tag_valid_o");
        var tagFirst = m.Output("tag_first_o");
        var tagLast = m.Output("tag_band_last_o");
        var tagBank = m.Output("tag_bank_o");
        var tagAddr = m.Output("tag_addr_o", ab);
        var tagPar = m.Output("tag_par_o", pb);
        var busy = m.Output("busy_o");

        var state = m.Reg("state", 2, Idle);
        var oct = m.Reg("oct", d, 0);
        var octOut = m.Reg("oct_out", aab, 0);
        var par = m.Reg("par", pb, 0);
        var y0 = m.Reg("y0", d, 0);
        var bandEnd = m.Reg("band_end", d, 0);
        var bandOut = m.Reg("band_out", aab, 0);
        var pib = m.Reg("pib", 16, 0);
        var grpBase = m.Reg("grp_base", iab, 0);
        var ky = m.Reg("ky", 4, 0);
        var kx = m.Reg("kx", 4, 0);
        var oy = m.Reg("oy", d, 0);
        var ox = m.Reg("ox", d, 0);
        var pix = m.Reg("pix", ab, 0);
        var wb = m.Reg("wb", 1, 0);
        var accBank = m.Reg("acc_bank", 1, 0);
        var accBusy0 = m.Reg("acc_busy0", 1, 0);
        var accBusy1 = m.Reg("acc_busy1", 1, 0);

        var running = m.Wire("running", state.Q.Eq(Run));
        var firstPass = m.Wire("first_pass", pib.Q.Eq(0));
        var lastPass = m.Wire("last_pass", pib.Q.Eq(passesPerBand - 1));
        var lastX = m.Wire("last_x", ox.Q.Eq(outW - 1));
        var lastY = m.Wire("last_y", oy.Q.Eq(bandEnd.Q - 1));
        var lastPixel = m.Wire("last_pixel", lastX.And(lastY));
        var passDone = m.Wire("pass_done", running.And(lastPixel));
        var lastKx = m.Wire("last_kx", kx.Q.Eq(kernel - 1));
        var lastKy = m.Wire("last_ky", ky.Q.Eq(kernel - 1));
        var lastTile = m.Wire("last_tile", oct.Q.Eq(ocTiles - 1));
        var weightsReady = m.Wire("weights_ready", Expr.Mux(wb.Q, wbankReady.Bit(1), wbankReady.Bit(0)));
        var bankBusy = m.Wire("bank_busy", Expr.Mux(accBank.Q, accBusy1.Q, accBusy0.Q));
        var weightsZero = m.Wire("weights_zero", Expr.Mux(wb.Q, wbankZero.Bit(1), wbankZero.Bit(0)));
        var skip = m.Wire("skip", state.Q.Eq(Wait).And(weightsReady).And(weightsZero).And(!firstPass).And(!lastPass));
        var go = m.Wire("go", state.Q.Eq(Wait).And(weightsReady).And(!firstPass.And(bankBusy)).And(!skip));

        // Next band end: min(end + band_rows, out_h), in 13 bits so the sum cannot wrap.
        var endSum = m.Wire("end_sum", bandEnd.Q.Zext(d + 1) + bandRows.Zext(d + 1));
        var nextEnd = m.Wire("next_end", Expr.Mux(endSum.Gt(outH.Zext(d + 1)), outH, endSum.Slice(d - 1, 0)));
        var firstEnd = m.Wire("first_end", Expr.Mux(bandRows.Gt(outH), outH, bandRows));
        var lastBand = m.Wire("last_band", bandEnd.Q.Eq(outH));

        void NextPass(BlockBuilder pass)
        {
            pass.Set(pib.D, pib.Q + 1);
            pass.If(lastKx, kxWrap =>
            {
                kxWrap.Set(kx.D, 0);
                kxWrap.If(lastKy, kyWrap => { kyWrap.Set(ky.D, 0); kyWrap.Set(grpBase.D, grpBase.Q + inPlane); },
                    kyStep => kyStep.Set(ky.D, ky.Q + 1));
            }, kxStep => kxStep.Set(kx.D, kx.Q + 1));
        }

        m.Comb(b =>
        {
            foreach (var r in new[] { state, oct, octOut, par, y0, bandEnd, bandOut, pib, grpBase, ky, kx, oy, ox, pix, wb, accBank, accBusy0, accBusy1 })
                b.Hold(r);
            b.If(state.Q.Eq(Idle).And(start), t =>
            {
                t.Set(state.D, Wait);
                t.Set(oct.D, 0); t.Set(octOut.D, outBase); t.Set(par.D, parBase);
                t.Set(y0.D, 0); t.Set(bandEnd.D, firstEnd); t.Set(bandOut.D, outBase);
                t.Set(pib.D, 0); t.Set(grpBase.D, inBase); t.Set(ky.D, 0); t.Set(kx.D, 0);
                t.Set(wb.D, 0); t.Set(accBank.D, 0); t.Set(accBusy0.D, 0); t.Set(accBusy1.D, 0);
            });
            b.If(go, t =>
            {
                t.Set(state.D, Run);
                t.Set(oy.D, y0.Q); t.Set(ox.D, 0); t.Set(pix.D, 0);
            });
            b.If(running, t =>
            {
                t.Set(pix.D, pix.Q + 1);
                t.If(lastX, x => { x.Set(ox.D, 0); x.Set(oy.D, oy.Q + 1); }, x => x.Set(ox.D, ox.Q + 1));
                t.If(lastPixel, e =>
                {
                    e.Set(state.D, Wait);
                    e.Set(wb.D, !wb.Q);
                    e.If(lastPass, band =>
                    {
                        band.Set(pib.D, 0); band.Set(kx.D, 0); band.Set(ky.D, 0); band.Set(grpBase.D, inBase);
                        band.Set(accBank.D, !accBank.Q);
                        band.Set(y0.D, bandEnd.Q); band.Set(bandEnd.D, nextEnd); band.Set(bandOut.D, bandOut.Q + bandOutStep);
                        band.If(lastBand, tile =>
                        {
                            tile.Set(y0.D, 0); tile.Set(bandEnd.D, firstEnd);
                            tile.Set(oct.D, oct.Q + 1); tile.Set(octOut.D, octOut.Q + outPlane); tile.Set(par.D, par.Q + 1);
                            tile.Set(bandOut.D, octOut.Q + outPlane);
                            tile.If(lastTile, done => done.Set(state.D, Idle));
                        });
                    }, NextPass);
                });
            });
            // A skipped pass is never a band's last, so it only steps to the next pass and bank.
            b.If(skip, t =>
            {
                t.Set(wb.D, !wb.Q);
                NextPass(t);
            });
            // A band's first pass claims its accumulator bank; the drain releases it.
            b.If(go.And(firstPass).And(!accBank.Q), t => t.Set(accBusy0.D, 1));
            b.If(go.And(firstPass).And(accBank.Q), t => t.Set(accBusy1.D, 1));
            b.If(bankFree.And(!bankFreeBank), t => t.Set(accBusy0.D, 0));
            b.If(bankFree.And(bankFreeBank), t => t.Set(accBusy1.D, 0));
        });

        m.Assign(wbankTake, go.Or(skip));
        // A skipped pass releases its bank through the same delay, so releases stay in pass order.
        m.Assign(passEnd, passDone.Or(skip));
        m.Assign(jobWe, go.And(firstPass));
        m.Assign(jobBank, accBank.Q);
        m.Assign(jobOut, bandOut.Q);
        var bandHeight = m.Wire("band_height", bandEnd.Q - y0.Q);
        var npixFull = m.PartlyUsedWire("npix_full", bandHeight.Zext(2 * d) * outW.Zext(2 * d),
            "A band holds at most accumulatorDepth pixels (the compiler checks), so the product's high bits are zero.");
        m.Assign(jobNpix, npixFull.Fit(nb));
        m.Assign(jobPar, par.Q);

        // Input coordinates of this pixel and tap, signed.
        var (inside, addr) = WindowAddress.Build(m, oy.Q, ox.Q, ky.Q, kx.Q, stride, padTop, pad, inH, inW, grpBase.Q, iab);

        var v1 = m.Pipe("v1", running, 0);
        var inside1 = m.Pipe("in_map1", inside);
        var addr1 = m.Pipe("addr1", addr);
        var sel1 = m.Pipe("sel1", wb.Q);
        var first1 = m.Pipe("first1", firstPass);
        var last1 = m.Pipe("last1", lastPass.And(lastPixel));
        var bank1 = m.Pipe("bank1", accBank.Q);
        var pix1 = m.Pipe("pix1", pix.Q);
        var par1 = m.Pipe("par1", par.Q);
        m.Assign(actRdEn, v1);
        m.Assign(actRdAddr, addr1);

        var v2 = m.Pipe("v2", v1, 0);
        var inside2 = m.Pipe("in_map2", inside1);
        m.Assign(arrSel, m.Pipe("sel2", sel1));
        m.Assign(tagValid, v2);
        m.Assign(tagFirst, m.Pipe("first2", first1));
        m.Assign(tagLast, m.Pipe("last2", last1));
        m.Assign(tagBank, m.Pipe("bank2", bank1));
        m.Assign(tagAddr, m.Pipe("pix2", pix1));
        m.Assign(tagPar, m.Pipe("par2", par1));

        var feed = m.Wire("feed", v2.And(inside2));
        var lanes = new Expr[rows];
        for (int r = 0; r < rows; r++)
        {
            lanes[r] = Expr.Mux(feed, WindowAddress.Widen(actRdData, r, inUnsigned), Expr.Lit(ob, 0));
        }
        m.Assign(arrAct, Expr.Cat(lanes.Reverse().ToArray()));
        m.Assign(busy, state.Q.Ne(Idle).Or(v1).Or(v2));
        m.Clocked(clk, rstN);
        return m;
    }
}
