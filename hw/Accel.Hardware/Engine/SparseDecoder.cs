using Accel.Hardware.Config;
using Accel.Hardware.Program;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Engine;

/// <summary>
/// The sparse weight decoder (decode on load): turns a sparse weight stream
/// (<see cref="SparseWeightStream"/>; docs/formats.md, "Sparse weight stream") into dense
/// weight-buffer words, bit-exact with the host's <see cref="SparseWeightStream.Decode"/>.
/// The first <see cref="SparseWeightStream.CodebookBeats"/> beats fill a codebook copy per lane;
/// then each lane holds one EIE entry (index, zeros left). Lanes without an entry take the next
/// beat's slots in lane order (slot j to the j-th pending lane, a prefix count); once every lane
/// holds one, the word fires: a lane with no zeros left emits codebook[index] and drops its entry,
/// the others emit 0 and count down. At most one beat and one word per cycle; the codebook read
/// (LUT RAM, registered) and the byte select add two stages before the write.
/// </summary>
public static class SparseDecoder
{
    public const string Name = "accel_sparse_decoder";

    public static Module Build(EngineConfig c)
    {
        int cols = c.Cols, ca = c.ChipAddressBits, dramBits = c.DramBits, wordBits = c.WeightWordBits;
        int e = SparseWeightStream.EntriesPerBeat(dramBits), cbBeats = SparseWeightStream.CodebookBeats(dramBits);
        int cbAddrBits = EngineConfig.AddressBits(cbBeats), bytesPerBeat = dramBits / 8, selBits = EngineConfig.Log2Ceil(bytesPerBeat);
        int rankBits = EngineConfig.Log2Ceil(cols + 1), ib = SparseWeightStream.IndexBits, gb = SparseWeightStream.GapBits;
        int totalBits = DmaLoad.TotalWordBits(c);
        if (e < 1) throw new ArgumentException($"a {dramBits}-bit port cannot carry sparse weight entries");
        var m = new Module(Name).Describe(
            "Sparse weight decoder: codebook beats, then EIE entries (8-bit index, 4-bit gap) per lane -> dense weight words.",
            "One beat and one word per cycle at most; a word fires once every lane holds an entry.");
        var clk = m.Input("clk_i");
        var rstN = m.Input("rst_ni");
        var start = m.Input("start_i");
        var baseIn = m.Input("base_i", ca);
        var wordsIn = m.Input("words_i", totalBits);
        var beatValid = m.Input("beat_valid_i");
        var beat = m.Input("beat_i", dramBits);
        var beatTake = m.Output("beat_take_o");
        var wrEn = m.Output("wr_en_o");
        var wrAddr = m.Output("wr_addr_o", ca);
        var wrData = m.Output("wr_data_o", wordBits);
        var busy = m.Output("busy_o");

        var loading = m.Reg("loading", 1, 0);
        var cbAddr = m.Reg("cb_addr", cbAddrBits, 0);
        var wordsLeft = m.Reg("words_left", totalBits, 0);
        var addr = m.Reg("addr", ca, 0);
        var holds = m.Reg("holds", cols, 0);
        var index = Enumerable.Range(0, cols).Select(l => m.Reg($"index{l}", ib, 0)).ToArray();
        var zeros = Enumerable.Range(0, cols).Select(l => m.Reg($"zeros{l}", gb, 0)).ToArray();

        var decoding = m.Wire("decoding", (!loading.Q).And(wordsLeft.Q.Ne(0)));
        var cbWrite = m.Wire("cb_write", loading.Q.And(beatValid));
        // Slot j of an entry beat: index in the low bits, gap above. A word never needs more slots than lanes.
        int usable = Math.Min(e, cols);
        var slots = Enumerable.Range(0, usable).Select(j => m.Wire($"slot{j}", beat.Slice(j * 12 + 11, j * 12))).ToArray();

        // Lane l takes slot rank(l) = number of pending lanes below it, if that slot exists.
        var pending = m.Wire("pending", ~holds.Q);
        var fill = m.Wire("fill", decoding.And(beatValid));
        Expr rank = Expr.Lit(rankBits, 0);
        var mergedHolds = new Expr[cols];
        var mergedIndex = new Sig[cols];
        var mergedZeros = new Sig[cols];
        for (int l = 0; l < cols; l++)
        {
            var r = m.Wire($"rank{l}", rank);
            Expr entry = slots[usable - 1];
            for (int j = usable - 2; j >= 0; j--) entry = Expr.Mux(r.Eq(j), slots[j], entry);
            var laneEntry = m.Wire($"entry{l}", entry);
            // Lanes ranked past the beat's slots wait for the next beat of the same word.
            var inBeat = e >= cols ? Expr.Lit(1, 1) : r.Lt(e);
            var takes = m.Wire($"takes{l}", fill.And(pending.Bit(l)).And(inBeat));
            mergedHolds[l] = holds.Q.Bit(l).Or(takes);
            mergedIndex[l] = m.Wire($"lane_index{l}", Expr.Mux(takes, laneEntry.Slice(ib - 1, 0), index[l].Q));
            mergedZeros[l] = m.Wire($"lane_zeros{l}", Expr.Mux(takes, laneEntry.Slice(ib + gb - 1, ib), zeros[l].Q));
            rank = r + pending.Bit(l).Zext(rankBits);
        }
        var anyPending = m.Wire("any_pending", pending.ReduceOr());
        var allHold = m.Wire("all_hold", Expr.Cat(mergedHolds.Reverse().ToArray()).ReduceAnd());
        var fire = m.Wire("fire", decoding.And(allHold));
        m.Assign(beatTake, cbWrite.Or(fill.And(anyPending)));

        // Stage 1: the codebook read; stage 2: the byte of each lane, or 0 while zeros are left.
        var s1Valid = m.Pipe("s1_valid", fire, 0);
        var s1Addr = m.Pipe("s1_addr", addr.Q);
        var outWord = new Expr[cols];
        for (int l = 0; l < cols; l++)
        {
            var cb = m.Wire($"cb_data{l}", dramBits);
            m.Instantiate("sdp_ram", $"u_codebook{l}",
                new Dictionary<string, long> { ["WIDTH"] = dramBits, ["DEPTH"] = cbBeats, ["ADDR_BITS"] = cbAddrBits, ["DISTRIBUTED"] = 1 },
                ("clk_i", clk), ("wr_en_i", cbWrite), ("wr_addr_i", cbAddr.Q), ("wr_data_i", beat),
                ("rd_en_i", fire), ("rd_addr_i", mergedIndex[l].Slice(ib - 1, selBits).Fit(cbAddrBits)), ("rd_data_o", cb));
            var sel = m.Pipe($"s1_sel{l}", mergedIndex[l].Slice(selBits - 1, 0));
            var value = m.Pipe($"s1_value{l}", mergedZeros[l].Eq(0));
            Expr b = cb.Slice(7, 0);
            for (int k = 1; k < bytesPerBeat; k++) b = Expr.Mux(sel.Eq(k), cb.Slice(8 * k + 7, 8 * k), b);
            outWord[l] = Expr.Mux(value, b, Expr.Lit(8, 0));
        }
        var wrEnQ = m.Pipe("wr_en", s1Valid, 0);
        var wrAddrQ = m.Pipe("wr_addr", s1Addr);
        var wrDataQ = m.Pipe("wr_data", Expr.Cat(outWord.Reverse().ToArray()));

        m.Comb(b =>
        {
            b.Hold(loading); b.Hold(cbAddr); b.Hold(wordsLeft); b.Hold(addr);
            for (int l = 0; l < cols; l++)
            {
                b.Set(index[l].D, mergedIndex[l]);
                b.Set(zeros[l].D, mergedZeros[l]);
            }
            b.Set(holds.D, Expr.Cat(mergedHolds.Reverse().ToArray()));
            b.If(cbWrite, t =>
            {
                t.Set(cbAddr.D, cbAddr.Q + 1);
                t.If(cbAddr.Q.Eq(cbBeats - 1), d => d.Set(loading.D, 0));
            });
            b.If(fire, t =>
            {
                // A lane with zeros left counts one down; the others have emitted their value.
                for (int l = 0; l < cols; l++)
                    t.If(mergedZeros[l].Ne(0), z => z.Set(zeros[l].D, mergedZeros[l] - 1));
                t.Set(holds.D, Expr.Cat(Enumerable.Range(0, cols).Reverse().Select(l => mergedZeros[l].Ne(0)).ToArray()));
                t.Set(wordsLeft.D, wordsLeft.Q - 1);
                t.Set(addr.D, addr.Q + 1);
            });
            b.If(start, t =>
            {
                t.Set(loading.D, 1); t.Set(cbAddr.D, 0); t.Set(wordsLeft.D, wordsIn); t.Set(addr.D, baseIn); t.Set(holds.D, 0);
            });
        });

        m.Assign(wrEn, wrEnQ);
        m.Assign(wrAddr, wrAddrQ);
        m.Assign(wrData, wrDataQ);
        m.Assign(busy, loading.Q.Or(wordsLeft.Q.Ne(0)).Or(s1Valid).Or(wrEnQ));
        m.Clocked(clk, rstN);
        return m;
    }
}
