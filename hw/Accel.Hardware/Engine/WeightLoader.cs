using Accel.Hardware.Config;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Engine;

/// <summary>
/// Fills the PEs' weight banks one pass ahead of the feeder: Rows words (one per array row) per
/// pass, read from the weight buffer in the same (tile, band, pass) order the feeder runs.
/// A bank is refilled only once the pass that used it has left the array (the feeder's
/// pass-end pulse, delayed by the array's depth). Each bank is flagged when all its weights are
/// zero, so the feeder can skip that pass.
/// </summary>
public static class WeightLoader
{
    public const string Name = "accel_weight_loader";
    private const int Idle = 0, Wait = 1, Load = 2;

    public static Module Build(EngineConfig c)
    {
        int rows = c.Rows, wab = c.WeightAddressBits, rb = c.RowIndexBits, d = EngineConfig.DimBits;
        int wordBits = c.WeightWordBits;
        // Pass end (feeder stage 0) -> last PE done: 2 feeder stages + skew + array + margin.
        int drainDelay = c.Rows + c.Cols + 4;
        var m = new Module(Name).Describe("Weight loader: one pass ahead of the feeder, Rows weight words per pass into the free bank.");
        var clk = m.Input("clk_i");
        var rstN = m.Input("rst_ni");
        var start = m.Input("start_i");
        var wgtBase = m.Input("wgt_base_i", wab);
        var octStride = m.Input("wgt_oct_stride_i", wab);
        var passesPerBand = m.Input("passes_per_band_i", 16);
        var ocTiles = m.Input("oc_tiles_i", d);
        var bands = m.Input("bands_i", d);
        var take = m.Input("take_i");
        var passEnd = m.Input("pass_end_i");
        var rdEn = m.Output("wgt_rd_en_o");
        var rdAddr = m.Output("wgt_rd_addr_o", wab);
        var rdData = m.Input("wgt_rd_data_i", wordBits);
        var wtWe = m.Output("wt_we_o");
        var wtRow = m.Output("wt_row_o", rb);
        var wtBank = m.Output("wt_bank_o");
        var wtData = m.Output("wt_data_o", wordBits);
        var ready = m.Output("ready_o", 2);
        var zero = m.Output("zero_o", 2);
        var busy = m.Output("busy_o");

        var state = m.Reg("state", 2, Idle);
        var row = m.Reg("row", rb, 0);
        var loadBank = m.Reg("load_bank", 1, 0);
        var takeBank = m.Reg("take_bank", 1, 0);
        var freeBank = m.Reg("free_bank", 1, 0);
        var ready0 = m.Reg("ready0", 1, 0);
        var ready1 = m.Reg("ready1", 1, 0);
        var free0 = m.Reg("free0", 1, 1);
        var free1 = m.Reg("free1", 1, 1);
        var zero0 = m.Reg("zero0", 1, 0);
        var zero1 = m.Reg("zero1", 1, 0);
        var nonzero = m.Reg("bank_nonzero", 1, 0);
        var pib = m.Reg("pib", 16, 0);
        var band = m.Reg("band", d, 0);
        var oct = m.Reg("oct", d, 0);
        var wptr = m.Reg("wptr", wab, 0);
        var octBase = m.Reg("oct_base", wab, 0);

        var loading = m.Wire("loading", state.Q.Eq(Load));
        var lastRow = m.Wire("last_row", row.Q.Eq(rows - 1));
        var bankFree = m.Wire("bank_free", Expr.Mux(loadBank.Q, free1.Q, free0.Q));
        var bankReady = m.Wire("bank_ready", Expr.Mux(loadBank.Q, ready1.Q, ready0.Q));
        var begin = m.Wire("start_load", state.Q.Eq(Wait).And(bankFree).And(!bankReady));
        var lastPass = m.Wire("last_pass", pib.Q.Eq(passesPerBand - 1));
        var lastBand = m.Wire("last_band", band.Q.Eq(bands - 1));
        var lastTile = m.Wire("last_tile", oct.Q.Eq(ocTiles - 1));

        // The write to the PEs happens a cycle after the read; its last row marks the bank ready.
        var we1 = m.Pipe("we1", loading, 0);
        var row1 = m.Pipe("row1", row.Q);
        var bank1 = m.Pipe("bank1", loadBank.Q);
        var last1 = m.Pipe("last1", loading.And(lastRow), 0);

        // Any non-zero weight in the bank so far, this row's included (row 0 starts afresh).
        var nonzeroSoFar = m.Wire("nonzero_so_far", rdData.ReduceOr().Or(row1.Ne(0).And(nonzero.Q)));

        Expr freed = passEnd;
        for (int k = 0; k < drainDelay; k++) freed = m.Pipe($"pass_end_{k}", freed, 0);
        var released = m.Wire("released", freed);

        m.Comb(b =>
        {
            foreach (var r in new[] { state, row, loadBank, takeBank, freeBank, ready0, ready1, free0, free1, zero0, zero1, nonzero, pib, band, oct, wptr, octBase })
                b.Hold(r);
            b.If(state.Q.Eq(Idle).And(start), t =>
            {
                t.Set(state.D, Wait);
                t.Set(row.D, 0); t.Set(loadBank.D, 0); t.Set(takeBank.D, 0); t.Set(freeBank.D, 0);
                t.Set(ready0.D, 0); t.Set(ready1.D, 0); t.Set(free0.D, 1); t.Set(free1.D, 1);
                t.Set(pib.D, 0); t.Set(band.D, 0); t.Set(oct.D, 0); t.Set(wptr.D, wgtBase); t.Set(octBase.D, wgtBase);
            });
            b.If(begin, t =>
            {
                t.Set(state.D, Load);
                t.Set(row.D, 0);
                t.If(loadBank.Q, x => x.Set(free1.D, 0), x => x.Set(free0.D, 0));
            });
            b.If(loading, t =>
            {
                t.Set(row.D, row.Q + 1);
                t.If(lastRow, e =>
                {
                    e.Set(state.D, Wait);
                    e.Set(loadBank.D, !loadBank.Q);
                    e.If(lastPass, bandEnd =>
                    {
                        bandEnd.Set(pib.D, 0);
                        bandEnd.If(lastBand, tileEnd =>
                        {
                            tileEnd.Set(band.D, 0);
                            tileEnd.Set(oct.D, oct.Q + 1);
                            tileEnd.Set(octBase.D, octBase.Q + octStride);
                            tileEnd.Set(wptr.D, octBase.Q + octStride);
                            tileEnd.If(lastTile, done => done.Set(state.D, Idle));
                        }, nextBand =>
                        {
                            nextBand.Set(band.D, band.Q + 1);
                            nextBand.Set(wptr.D, octBase.Q);
                        });
                    }, nextPass =>
                    {
                        nextPass.Set(pib.D, pib.Q + 1);
                        nextPass.Set(wptr.D, wptr.Q + rows);
                    });
                });
            });
            b.If(we1, t => t.Set(nonzero.D, nonzeroSoFar));
            b.If(last1.And(!bank1), t => { t.Set(ready0.D, 1); t.Set(zero0.D, !nonzeroSoFar); });
            b.If(last1.And(bank1), t => { t.Set(ready1.D, 1); t.Set(zero1.D, !nonzeroSoFar); });
            b.If(take, t =>
            {
                t.Set(takeBank.D, !takeBank.Q);
                t.If(takeBank.Q, x => x.Set(ready1.D, 0), x => x.Set(ready0.D, 0));
            });
            b.If(released, t =>
            {
                t.Set(freeBank.D, !freeBank.Q);
                t.If(freeBank.Q, x => x.Set(free1.D, 1), x => x.Set(free0.D, 1));
            });
        });

        m.Assign(rdEn, loading);
        m.Assign(rdAddr, wptr.Q + row.Q.Fit(wab));
        m.Assign(wtWe, we1);
        m.Assign(wtRow, row1);
        m.Assign(wtBank, bank1);
        m.Assign(wtData, rdData);
        m.Assign(ready, Expr.Cat(ready1.Q, ready0.Q));
        m.Assign(zero, Expr.Cat(zero1.Q, zero0.Q));
        m.Assign(busy, state.Q.Ne(Idle).Or(we1));
        m.Clocked(clk, rstN);
        return m;
    }
}
