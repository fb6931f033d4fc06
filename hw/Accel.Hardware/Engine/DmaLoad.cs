using Accel.Hardware.Config;
using Accel.Hardware.Program;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Engine;

/// <summary>
/// The load unit: copies chunks x chunk_words buffer words from DRAM into the input or weight
/// buffer. The requester walks the DRAM side in bursts of up to DramBurstBeats beats and keeps
/// issuing while the memory accepts (several bursts in flight hide the read latency); the
/// receiver, independent of it, assembles BeatsPerWord beats (lowest first) into a word and
/// writes it at the next on-chip address. Read data is never back-pressured.
/// A sparse load (sparse_i) instead reads src_beats beats of a sparse weight stream in one run
/// into a beat FIFO (LUT RAM), requesting a burst only while the FIFO has room for every beat in
/// flight (<see cref="BeatCredit"/>), since the decoder may consume slower than the port delivers;
/// <see cref="SparseDecoder"/> writes chunks x chunk_words words from chip_base on, contiguously.
/// </summary>
public static class DmaLoad
{
    public const string Name = "accel_dma_load";

    /// <summary>Width of a load's word count (chunks x chunk words).</summary>
    public static int TotalWordBits(EngineConfig c) => c.ChipAddressBits + 1 + EngineConfig.DimBits;

    /// <summary>Beats the sparse beat FIFO holds: four bursts (64 at 16-beat bursts), a power of two.</summary>
    public static int SparseFifoDepth(EngineConfig c)
    {
        int depth = 1;
        while (depth < 4 * c.DramBurstBeats) depth *= 2;
        return depth;
    }

    public static Module Build(EngineConfig c)
    {
        int ca = c.ChipAddressBits, da = EngineConfig.DramAddressBits, d = EngineConfig.DimBits, bb = c.BurstCountBits;
        int beats = c.BeatsPerWord, wordBits = c.ActivationWordBits, dramBits = c.DramBits, beatBytes = dramBits / 8;
        int cw = ca + 1, totalBits = TotalWordBits(c);
        bool sparseLoads = SparseWeightStream.Supported(c);
        int srcBits = InstructionFormat.SourceBeatBits(c);
        // Beats left in the current run: a dense chunk, or a whole sparse stream.
        int chunkBeatBits = Math.Max(cw + EngineConfig.Log2Ceil(beats) + 1, sparseLoads ? srcBits : 0);
        var m = new Module(Name).Describe("Load unit: DRAM -> input or weight buffer, bursts requested ahead of the data.");
        var clk = m.Input("clk_i");
        var rstN = m.Input("rst_ni");
        var start = m.Input("start_i");
        var dram = m.Input("dram_i", da);
        var dramStride = m.Input("dram_stride_i", da);
        var mem = m.Input("mem_i");
        var chipBase = m.Input("chip_base_i", ca);
        var chipStride = m.Input("chip_stride_i", ca);
        var chunks = m.Input("chunks_i", d);
        var chunkWords = m.Input("chunk_words_i", cw);
        var sparse = sparseLoads ? m.Input("sparse_i") : null;
        var srcBeats = sparseLoads ? m.Input("src_beats_i", srcBits) : null;
        var reqValid = m.Output("rd_req_valid_o");
        var reqReady = m.Input("rd_req_ready_i");
        var reqAddr = m.Output("rd_req_addr_o", da);
        var reqBeats = m.Output("rd_req_beats_o", bb);
        var dataValid = m.Input("rd_data_valid_i");
        var data = m.Input("rd_data_i", dramBits);
        var wrEn = m.Output("wr_en_o");
        var wrMem = m.Output("wr_mem_o");
        var wrAddr = m.Output("wr_addr_o", ca);
        var wrData = m.Output("wr_data_o", wordBits);
        var busy = m.Output("busy_o");

        // ---- requester: chunk by chunk, bursts of at most DramBurstBeats ----
        var requesting = m.Reg("requesting", 1, 0);
        var reqChunk = m.Reg("req_chunk", d, 0);
        var chunkAddr = m.Reg("chunk_addr", da, 0);
        var addr = m.Reg("addr", da, 0);
        var left = m.Reg("beats_left", chunkBeatBits, 0);
        var chunkBeats = m.Wire("chunk_beats", beats == 1 ? chunkWords.Zext(chunkBeatBits) : (chunkWords.Zext(chunkBeatBits) * Expr.Lit(chunkBeatBits, beats)));
        var burstMax = Expr.Lit(chunkBeatBits, c.DramBurstBeats);
        var lastBurst = m.Wire("last_burst", left.Q.Le(burstMax));
        var burst = m.Wire("burst", Expr.Mux(lastBurst, left.Q, burstMax));
        // A sparse load requests only what its beat FIFO has room for.
        var burstBeats = m.Wire("burst_beats", burst.Fit(bb));
        var fifoCredit = sparseLoads ? BeatCredit.Declare(m, SparseFifoDepth(c)) : null;
        var reqOk = m.Wire("req_ok", sparse is null ? requesting.Q : requesting.Q.And((!sparse).Or(fifoCredit!.Covers(burstBeats))));
        var fire = m.Wire("req_fire", reqOk.And(reqReady));
        // A sparse stream is one contiguous run.
        var lastChunk = m.Wire("last_chunk", sparse is null ? reqChunk.Q.Eq(chunks - 1) : sparse.Or(reqChunk.Q.Eq(chunks - 1)));
        var nextChunkAddr = m.Wire("next_chunk_addr", chunkAddr.Q + dramStride);
        var burstBytes = m.Wire("burst_bytes", burst.Zext(da) * Expr.Lit(da, beatBytes));

        // ---- receiver ----
        var receiving = m.Reg("receiving", 1, 0);
        var total = m.Reg("words_left", totalBits, 0);
        // Beats of the word being assembled (none when one beat carries a whole word).
        var beat = beats > 1 ? m.Reg("beat", EngineConfig.Log2Ceil(beats), 0) : null;
        var word = beats > 1 ? m.Reg("word", (beats - 1) * dramBits) : null;
        var inChunk = m.Reg("word_in_chunk", cw, 0);
        var rowBase = m.Reg("row_base", ca, 0);
        var ptr = m.Reg("ptr", ca, 0);
        var memQ = m.Reg("mem", 1, 0);
        var wrEnQ = m.Reg("wr_en", 1, 0);
        var wrAddrQ = m.Reg("wr_addr", ca);
        var wrDataQ = m.Reg("wr_data", wordBits);
        // Beats shift in from the top, so after the last one the first beat is the lowest.
        Sig shifted = beats == 1 ? data : m.Wire("shifted", Expr.Cat(data, word!.Q));
        Expr assembled = shifted.Width == wordBits ? shifted
            : m.PartlyUsedWire("beats_in", shifted, "A word narrower than its beats uses their low bits.").Slice(wordBits - 1, 0);
        var lastBeat = beats == 1 ? Expr.Lit(1, 1) : beat!.Q.Eq(beats - 1);
        var wordDone = m.Wire("word_done", receiving.Q.And(dataValid).And(lastBeat));
        var lastInChunk = m.Wire("last_in_chunk", inChunk.Q.Eq(chunkWords - 1));
        var totalWords = m.Wire("total_words", chunks.Zext(totalBits) * chunkWords.Zext(totalBits));

        m.Comb(b =>
        {
            foreach (var r in new[] { requesting, reqChunk, chunkAddr, addr, left, receiving, total, beat, word, inChunk, rowBase, ptr, memQ })
                if (r is not null) b.Hold(r);
            b.Set(wrEnQ.D, 0);
            b.Set(wrAddrQ.D, ptr.Q);
            b.Set(wrDataQ.D, assembled);
            b.If(start, t =>
            {
                t.Set(requesting.D, 1); t.Set(reqChunk.D, 0); t.Set(chunkAddr.D, dram); t.Set(addr.D, dram);
                t.Set(left.D, sparse is null ? chunkBeats : Expr.Mux(sparse, srcBeats!.Zext(chunkBeatBits), chunkBeats));
                t.Set(receiving.D, sparse is null ? Expr.Lit(1, 1) : !sparse); t.Set(total.D, totalWords);
                if (beat is not null) t.Set(beat.D, 0);
                t.Set(inChunk.D, 0); t.Set(rowBase.D, chipBase); t.Set(ptr.D, chipBase); t.Set(memQ.D, mem);
            });
            b.If(fire, t => t.If(lastBurst, chunkEnd =>
            {
                chunkEnd.Set(reqChunk.D, reqChunk.Q + 1);
                chunkEnd.Set(chunkAddr.D, nextChunkAddr);
                chunkEnd.Set(addr.D, nextChunkAddr);
                chunkEnd.Set(left.D, chunkBeats);
                chunkEnd.If(lastChunk, e => e.Set(requesting.D, 0));
            }, more =>
            {
                more.Set(addr.D, addr.Q + burstBytes);
                more.Set(left.D, left.Q - burst);
            }));
            b.If(receiving.Q.And(dataValid), t =>
            {
                if (word is not null && beat is not null)
                {
                    t.Set(word.D, shifted.Slice(beats * dramBits - 1, dramBits));
                    t.Set(beat.D, Expr.Mux(lastBeat, Expr.Lit(beat.Q.Width, 0), beat.Q + 1));
                }
            });
            b.If(wordDone, t =>
            {
                t.Set(wrEnQ.D, 1);
                t.Set(total.D, total.Q - 1);
                t.If(total.Q.Eq(1), e => e.Set(receiving.D, 0));
                t.If(lastInChunk, e =>
                {
                    e.Set(inChunk.D, 0);
                    e.Set(rowBase.D, rowBase.Q + chipStride);
                    e.Set(ptr.D, rowBase.Q + chipStride);
                }, e =>
                {
                    e.Set(inChunk.D, inChunk.Q + 1);
                    e.Set(ptr.D, ptr.Q + 1);
                });
            });
        });

        Expr unitBusy = requesting.Q.Or(receiving.Q).Or(wrEnQ.Q);
        if (sparse is not null)
        {
            // ---- sparse: beats -> FIFO (its head is the RAM's held read word) -> decoder ----
            int depth = SparseFifoDepth(c), fa = EngineConfig.AddressBits(depth);
            var arriving = m.Reg("src_left", srcBits, 0);
            var fifoWrPtr = m.Reg("fifo_wr_ptr", fa, 0);
            var fifoRdPtr = m.Reg("fifo_rd_ptr", fa, 0);
            var fifoCount = m.Reg("fifo_count", fa + 1, 0);
            var headValid = m.Reg("head_valid", 1, 0);
            var push = m.Wire("fifo_push", dataValid.And(arriving.Q.Ne(0)));
            var take = m.Wire("beat_take");
            var read = m.Wire("fifo_read", fifoCount.Q.Ne(0).And((!headValid.Q).Or(take)));
            var head = m.Wire("fifo_head", dramBits);
            m.Instantiate("sdp_ram", "u_beat_fifo", new Dictionary<string, long> { ["WIDTH"] = dramBits, ["DEPTH"] = depth, ["ADDR_BITS"] = fa, ["DISTRIBUTED"] = 1 },
                ("clk_i", clk), ("wr_en_i", push), ("wr_addr_i", fifoWrPtr.Q), ("wr_data_i", data),
                ("rd_en_i", read), ("rd_addr_i", fifoRdPtr.Q), ("rd_data_o", head));
            m.Comb(b =>
            {
                b.Hold(arriving); b.Hold(fifoWrPtr); b.Hold(fifoRdPtr);
                // A beat leaving the RAM returns its credit (the head register is outside it).
                fifoCredit!.Update(b, fire, burstBeats, read);
                b.Set(fifoCount.D, fifoCount.Q + push.Zext(fa + 1) - read.Zext(fa + 1));
                b.Set(headValid.D, read.Or(headValid.Q.And(!take)));
                b.If(push, t => { t.Set(arriving.D, arriving.Q - 1); t.Set(fifoWrPtr.D, fifoWrPtr.Q + 1); });
                b.If(read, t => t.Set(fifoRdPtr.D, fifoRdPtr.Q + 1));
                // The previous load ended with every beat arrived and taken: the FIFO starts empty.
                b.If(start, t =>
                {
                    t.Set(arriving.D, Expr.Mux(sparse, srcBeats!, Expr.Lit(srcBits, 0)));
                    fifoCredit.Restart(t);
                    t.Set(fifoWrPtr.D, 0); t.Set(fifoRdPtr.D, 0); t.Set(fifoCount.D, 0); t.Set(headValid.D, 0);
                });
            });
            var decWrEn = m.Wire("dec_wr_en");
            var decWrAddr = m.Wire("dec_wr_addr", ca);
            var decWrData = m.Wire("dec_wr_data", wordBits);
            var decBusy = m.Wire("dec_busy");
            m.Instantiate(SparseDecoder.Name, "u_sparse_decoder", null,
                ("clk_i", clk), ("rst_ni", rstN), ("start_i", m.Wire("dec_start", start.And(sparse))),
                ("base_i", chipBase), ("words_i", totalWords), ("beat_valid_i", headValid.Q), ("beat_i", head), ("beat_take_o", take),
                ("wr_en_o", decWrEn), ("wr_addr_o", decWrAddr), ("wr_data_o", decWrData), ("busy_o", decBusy));
            unitBusy = unitBusy.Or(arriving.Q.Ne(0)).Or(decBusy);
            // Only one of the two paths writes during a load.
            m.Assign(wrEn, wrEnQ.Q.Or(decWrEn));
            m.Assign(wrAddr, Expr.Mux(decWrEn, decWrAddr, wrAddrQ.Q));
            m.Assign(wrData, Expr.Mux(decWrEn, decWrData, wrDataQ.Q));
        }
        else
        {
            m.Assign(wrEn, wrEnQ.Q);
            m.Assign(wrAddr, wrAddrQ.Q);
            m.Assign(wrData, wrDataQ.Q);
        }

        m.Assign(reqValid, reqOk);
        m.Assign(reqAddr, addr.Q);
        m.Assign(reqBeats, burstBeats);
        m.Assign(wrMem, memQ.Q);
        m.Assign(busy, unitBusy);
        m.Clocked(clk, rstN);
        return m;
    }
}
