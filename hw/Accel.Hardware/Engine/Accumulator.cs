using Accel.Hardware.Config;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Engine;

/// <summary>
/// Two accumulator banks of Cols lanes: while one bank accumulates a band of output pixels
/// (bias + sum over passes), the drain empties the other. Tags enter with the pixel at the
/// array input and are delayed to meet its column sums; the bank word is read one cycle ahead
/// and written back (read-modify-write; passes of at least two cycles keep it hazard free).
/// </summary>
public static class Accumulator
{
    public const string Name = "accel_accumulator";

    public static Module Build(EngineConfig c)
    {
        int cols = c.Cols, p = c.PsumBits, a = c.AccumulatorBits, ab = c.AccumulatorAddressBits, pb = c.ParamAddressBits;
        int bias = EngineConfig.BiasBits;
        var m = new Module(Name).Describe("Accumulator banks: acc[pixel] = (first pass ? bias : acc[pixel]) + column sums.");
        var clk = m.Input("clk_i");
        var rstN = m.Input("rst_ni");
        var tagValid = m.Input("tag_valid_i");
        var tagFirst = m.Input("tag_first_i");
        var tagLast = m.Input("tag_band_last_i");
        var tagBank = m.Input("tag_bank_i");
        var tagAddr = m.Input("tag_addr_i", ab);
        var tagPar = m.Input("tag_par_i", pb);
        var psum = m.Input("psum_i", cols * p);
        var biasRdEn = m.Output("bias_rd_en_o");
        var biasRdAddr = m.Output("bias_rd_addr_o", pb);
        var biasRdData = m.Input("bias_rd_data_i", cols * bias);
        var drainRdEn = m.Input("drain_rd_en_i");
        var drainRdBank = m.Input("drain_rd_bank_i");
        var drainRdAddr = m.Input("drain_rd_addr_i", ab);
        var drainRdData = m.Output("drain_rd_data_o", cols * a);
        var bandDone = m.Output("band_done_o");
        var bandDoneBank = m.Output("band_done_bank_o");
        var busy = m.Output("busy_o");

        // Tags wait ArrayLatency - 1 cycles (read issue), then one more (the psum arrives).
        Expr v = tagValid, first = tagFirst, last = tagLast, bank = tagBank, addr = tagAddr, par = tagPar;
        var valids = new List<Expr>();
        for (int k = 0; k < c.ArrayLatency - 1; k++)
        {
            v = m.Pipe($"tag_valid_{k}", v, 0);
            first = m.Pipe($"tag_first_{k}", first);
            last = m.Pipe($"tag_last_{k}", last);
            bank = m.Pipe($"tag_bank_{k}", bank);
            addr = m.Pipe($"tag_addr_{k}", addr);
            par = m.Pipe($"tag_par_{k}", par);
            valids.Add(v);
        }
        var readValid = m.Wire("read_valid", v);
        var readBank = m.Wire("read_bank", bank);
        var readAddr = m.Wire("read_addr", addr);
        m.Assign(biasRdEn, readValid);
        m.Assign(biasRdAddr, par);

        var wbValid = m.Pipe("wb_valid", readValid, 0);
        var wbFirst = m.Pipe("wb_first", first);
        var wbLast = m.Pipe("wb_last", last);
        var wbBank = m.Pipe("wb_bank", readBank);
        var wbAddr = m.Pipe("wb_addr", readAddr);
        valids.Add(wbValid);

        var rdData = new Sig[2];
        var newWord = m.Wire("new_word", cols * a);
        for (int b = 0; b < 2; b++)
        {
            Expr isBank(Expr bk) => b == 0 ? !bk : bk;
            var drainHere = m.Wire($"drain_bank{b}", drainRdEn.And(isBank(drainRdBank)));
            var rdEn = m.Wire($"rd_en{b}", drainHere.Or(readValid.And(isBank(readBank))));
            var rdAddr = m.Wire($"rd_addr{b}", Expr.Mux(drainHere, drainRdAddr, readAddr));
            rdData[b] = m.Wire($"rd_data{b}", cols * a);
            var wrEn = m.Wire($"wr_en{b}", wbValid.And(isBank(wbBank)));
            m.Instantiate("sdp_ram", $"u_bank{b}",
                new Dictionary<string, long> { ["WIDTH"] = cols * a, ["DEPTH"] = c.AccumulatorDepth, ["ADDR_BITS"] = ab },
                ("clk_i", clk), ("wr_en_i", wrEn), ("wr_addr_i", wbAddr), ("wr_data_i", newWord),
                ("rd_en_i", rdEn), ("rd_addr_i", rdAddr), ("rd_data_o", rdData[b]));
        }
        var oldWord = m.Wire("old_word", Expr.Mux(wbBank, rdData[1], rdData[0]));
        var lanes = new Expr[cols];
        for (int col = 0; col < cols; col++)
        {
            var biasLane = biasRdData.Slice(col * bias + bias - 1, col * bias).Sext(a);
            var oldLane = oldWord.Slice(col * a + a - 1, col * a);
            var sumLane = psum.Slice(col * p + p - 1, col * p).Sext(a);
            lanes[col] = m.Wire($"lane{col}", Expr.Mux(wbFirst, biasLane, oldLane) + sumLane);
        }
        m.Assign(newWord, Expr.Cat(lanes.Reverse().ToArray()));

        // The drain reads one bank; its data comes back a cycle later.
        var drainBankQ = m.Pipe("drain_bank_q", drainRdBank);
        m.Assign(drainRdData, Expr.Mux(drainBankQ, rdData[1], rdData[0]));
        m.Assign(bandDone, wbValid.And(wbLast));
        m.Assign(bandDoneBank, wbBank);
        m.Assign(busy, Expr.Cat(valids.ToArray()).ReduceOr());
        m.Clocked(clk, rstN);
        return m;
    }
}
