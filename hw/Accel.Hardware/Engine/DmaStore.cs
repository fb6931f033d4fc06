using Accel.Hardware.Config;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Engine;

/// <summary>
/// The store unit: copies chunks x chunk_words words of the output buffer to DRAM. A reader
/// keeps a two-word FIFO filled from the buffer; the sender splits the head word into beats
/// (lowest first) and offers one per cycle with its byte address. The store completes when
/// every beat has been acknowledged, so a later load of the same bytes sees them.
/// </summary>
public static class DmaStore
{
    public const string Name = "accel_dma_store";

    public static Module Build(EngineConfig c)
    {
        int ca = c.ChipAddressBits, oa = c.OutputAddressBits, da = EngineConfig.DramAddressBits, d = EngineConfig.DimBits;
        int beats = c.BeatsPerWord, wordBits = c.ActivationWordBits, dramBits = c.DramBits, beatBytes = dramBits / 8;
        int cw = ca + 1, beatBits = EngineConfig.Log2Ceil(beats), totalBits = d + cw + beatBits + 1;
        var m = new Module(Name).Describe("Store unit: output buffer -> DRAM, one beat per cycle, done when every beat is acknowledged.");
        var clk = m.Input("clk_i");
        var rstN = m.Input("rst_ni");
        var start = m.Input("start_i");
        var dram = m.Input("dram_i", da);
        var dramStride = m.Input("dram_stride_i", da);
        var chipBase = m.Input("chip_base_i", oa);
        var chipStride = m.Input("chip_stride_i", oa);
        var chunks = m.Input("chunks_i", d);
        var chunkWords = m.Input("chunk_words_i", cw);
        var rdEn = m.Output("rd_en_o");
        var rdAddr = m.Output("rd_addr_o", oa);
        var rdData = m.Input("rd_data_i", wordBits);
        var wrValid = m.Output("wr_valid_o");
        var wrReady = m.Input("wr_ready_i");
        var wrAddr = m.Output("wr_addr_o", da);
        var wrData = m.Output("wr_data_o", dramBits);
        var wrAck = m.Input("wr_ack_i");
        var busy = m.Output("busy_o");

        // ---- reader: buffer -> two-word FIFO ----
        var reading = m.Reg("reading", 1, 0);
        var wordsLeft = m.Reg("words_left", d + cw, 0);
        var inChunk = m.Reg("word_in_chunk", cw, 0);
        var rowBase = m.Reg("row_base", oa, 0);
        var ptr = m.Reg("ptr", oa, 0);
        var pending = m.Reg("pending", 1, 0);
        var count = m.Reg("count", 2, 0);
        var e0 = m.Reg("e0", wordBits);
        var e1 = m.Reg("e1", wordBits);

        // ---- sender ----
        var beat = beats > 1 ? m.Reg("beat", beatBits, 0) : null;
        var beatInChunk = m.Reg("beat_in_chunk", cw + beatBits, 0);
        var chunkAddr = m.Reg("chunk_addr", da, 0);
        var addr = m.Reg("addr", da, 0);
        var acksLeft = m.Reg("acks_left", totalBits, 0);

        var valid = m.Wire("head_valid", count.Q.Ne(0));
        var lastBeat = beat is null ? Expr.Lit(1, 1) : beat.Q.Eq(beats - 1);
        var send = m.Wire("send", valid.And(wrReady));
        var pop = m.Wire("pop", send.And(lastBeat));
        var chunkBeats = m.Wire("chunk_beats", beats == 1 ? chunkWords.Zext(cw + beatBits) : chunkWords.Zext(cw + beatBits) * Expr.Lit(cw + beatBits, beats));
        var lastOfChunk = m.Wire("last_of_chunk", beatInChunk.Q.Eq(chunkBeats - 1));
        var nextChunkAddr = m.Wire("next_chunk_addr", chunkAddr.Q + dramStride);
        // Room for one more word once this cycle's pop and the read in flight are counted.
        var occupancy = m.Wire("occupancy", count.Q.Zext(3) + pending.Q.Zext(3) - pop.Zext(3));
        var read = m.Wire("read", reading.Q.And(occupancy.Lt(2)));
        var lastInChunk = m.Wire("last_in_chunk", inChunk.Q.Eq(chunkWords - 1));
        var totalWords = m.Wire("total_words", chunks.Zext(d + cw) * chunkWords.Zext(d + cw));
        var totalBeats = m.Wire("total_beats", beats == 1 ? totalWords.Zext(totalBits) : totalWords.Zext(totalBits) * Expr.Lit(totalBits, beats));

        m.Comb(b =>
        {
            foreach (var r in new[] { reading, wordsLeft, inChunk, rowBase, ptr, count, e0, e1, beat, beatInChunk, chunkAddr, addr, acksLeft })
                if (r is not null) b.Hold(r);
            b.Set(pending.D, read);
            b.If(start, t =>
            {
                t.Set(reading.D, 1); t.Set(wordsLeft.D, totalWords); t.Set(inChunk.D, 0); t.Set(rowBase.D, chipBase); t.Set(ptr.D, chipBase);
                if (beat is not null) t.Set(beat.D, 0);
                t.Set(beatInChunk.D, 0); t.Set(chunkAddr.D, dram); t.Set(addr.D, dram); t.Set(acksLeft.D, totalBeats);
            });
            b.If(read, t =>
            {
                t.Set(wordsLeft.D, wordsLeft.Q - 1);
                t.If(wordsLeft.Q.Eq(1), e => e.Set(reading.D, 0));
                t.If(lastInChunk, e => { e.Set(inChunk.D, 0); e.Set(rowBase.D, rowBase.Q + chipStride); e.Set(ptr.D, rowBase.Q + chipStride); },
                    e => { e.Set(inChunk.D, inChunk.Q + 1); e.Set(ptr.D, ptr.Q + 1); });
            });
            // FIFO: the head is e0; a pushed word lands behind what stays.
            var push = pending.Q;
            b.If(push.And(!pop), t =>
            {
                t.Set(count.D, count.Q + 1);
                t.If(count.Q.Eq(0), e => e.Set(e0.D, rdData), e => e.Set(e1.D, rdData));
            });
            b.If(pop.And(!push), t => { t.Set(count.D, count.Q - 1); t.Set(e0.D, e1.Q); });
            b.If(pop.And(push), t => t.If(count.Q.Eq(1), e => e.Set(e0.D, rdData), e => { e.Set(e0.D, e1.Q); e.Set(e1.D, rdData); }));
            b.If(send, t =>
            {
                if (beat is not null) t.Set(beat.D, Expr.Mux(lastBeat, Expr.Lit(beatBits, 0), beat.Q + 1));
                t.If(lastOfChunk, e => { e.Set(beatInChunk.D, 0); e.Set(chunkAddr.D, nextChunkAddr); e.Set(addr.D, nextChunkAddr); },
                    e => { e.Set(beatInChunk.D, beatInChunk.Q + 1); e.Set(addr.D, addr.Q + Expr.Lit(da, beatBytes)); });
            });
            b.If(wrAck, t => t.Set(acksLeft.D, acksLeft.Q - 1));
        });

        // The head word's current beat (zero-extended when a word is narrower than the port).
        Expr headBeat;
        if (beats == 1) headBeat = e0.Q.Zext(dramBits);
        else
        {
            var padded = m.Wire("head_padded", e0.Q.Zext(beats * dramBits));
            Expr pick = padded.Slice(dramBits - 1, 0);
            for (int i = 1; i < beats; i++) pick = Expr.Mux(beat!.Q.Eq(i), padded.Slice((i + 1) * dramBits - 1, i * dramBits), pick);
            headBeat = m.Wire("head_beat", pick);
        }
        m.Assign(rdEn, read);
        m.Assign(rdAddr, ptr.Q);
        m.Assign(wrValid, valid);
        m.Assign(wrAddr, addr.Q);
        m.Assign(wrData, headBeat);
        m.Assign(busy, Expr.Cat(reading.Q, pending.Q, valid, acksLeft.Q.Ne(0)).ReduceOr());
        m.Clocked(clk, rstN);
        return m;
    }
}
