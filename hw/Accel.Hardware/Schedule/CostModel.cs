using Accel.Hardware.Config;
using Accel.Hardware.Engine;
using Accel.Hardware.Program;

namespace Accel.Hardware.Schedule;

/// <summary>
/// Cycle predictions from the engine's structure (see docs/engine.md, "Cost model"); checked
/// against measured cosim cycles by tests. Every constant names the hardware step it counts.
/// Each unit's busy time per instruction comes from its own model; <see cref="Simulate"/> then
/// replays the controller's in-order issue with the waits, as the RTL does.
/// </summary>
public static class CostModel
{
    /// <summary>Controller: the queue pop, then decode, before an instruction can issue.</summary>
    public const int PopToIssue = 2;
    /// <summary>Issue -> the unit's registered start -> its busy; and busy falling -> the completion count.</summary>
    public const int StartLatency = 2, CompletionLatency = 1;
    /// <summary>Per-step cycles outside the units' busy time (issue, start, completion).</summary>
    public const int StepOverhead = StartLatency + CompletionLatency;
    /// <summary>Start pulse to the first fetch; END's issue to done.</summary>
    public const int ProgramStart = 0, ProgramEnd = 1;
    /// <summary>Feeder stages before the array (address, buffer read).</summary>
    public const int FeedStages = 2;
    /// <summary>Drain: read, three requantization stages, write.</summary>
    public const int DrainStages = 5;
    /// <summary>The weight loader's idle cycle before a load, and the cycle the bank turns ready.</summary>
    public const int LoadHandshake = 3;
    /// <summary>Load unit: start to first request; last beat to the buffer write and idle.</summary>
    public const int LoadSetup = 1, LoadTail = 2;
    /// <summary>Store unit: start to the first beat (buffer read, FIFO); last acknowledgement to idle.</summary>
    public const int StoreSetup = 3, StoreTail = 1;

    /// <summary>Cycles the feeder spends on a band of <paramref name="pixels"/> pixels and <paramref name="passes"/> passes.</summary>
    public static long BandCycles(EngineConfig c, long pixels, long passes)
    {
        // Each pass takes its pixels plus one cycle between passes. With two weight banks, pass n+2
        // can start only after pass n has left the array (release delay Rows+Cols+4, then one
        // cycle to see it), the loader has refilled the bank (Rows reads, one write cycle, one to
        // see it ready) and the feeder has seen that: 2 passes per (pixels + 2*Rows + Cols + 7).
        long feed = passes * (pixels + 1);
        long loaderBound = (passes * (pixels + 2L * c.Rows + c.Cols + 7) + 1) / 2;
        return Math.Max(feed, loaderBound);
    }

    /// <summary>
    /// A band some of whose passes are skipped (<paramref name="zero"/>: the feeder skips a zero pass
    /// that is neither first nor last). A skipped pass is a pass of no pixels: one cycle, then its
    /// bank goes through the same release delay, so pass n+2 waits for pass n as in
    /// <see cref="BandCycles(EngineConfig, long, long)"/>, pass by pass instead of on average.
    /// </summary>
    public static long BandCycles(EngineConfig c, long pixels, bool[] zero)
    {
        int passes = zero.Length;
        long refill = 2L * c.Rows + c.Cols + 7;
        long Pixels(int n) => n > 0 && n < passes - 1 && zero[n] ? 0 : pixels;
        var start = new long[passes];
        for (int n = 1; n < passes; n++)
        {
            start[n] = start[n - 1] + Pixels(n - 1) + 1;
            if (n >= 2) start[n] = Math.Max(start[n], start[n - 2] + Pixels(n - 2) + refill);
        }
        long end = start[^1] + Pixels(passes - 1) + 1;
        // The next band's first pass needs this band's second-to-last bank refilled.
        return passes >= 2 ? Math.Max(end, start[^2] + Pixels(passes - 2) + refill) : end;
    }

    /// <summary>
    /// Busy cycles of one convolution instruction, band by band in execution order: a band's
    /// first pass waits for its accumulator bank (drained two bands earlier); the drain of a band
    /// starts once its last pixel is accumulated and the previous drain is done, one cycle per pixel.
    /// <paramref name="zeroPasses"/> gives, per tile of the instruction, its zero passes (null: none).
    /// </summary>
    public static long ConvBusy(EngineConfig c, int outH, int outW, int outputTiles, int bandRows, int passesPerBand,
        Func<int, bool[]?>? zeroPasses = null)
    {
        long feederFree = c.Rows + LoadHandshake;
        var bankFree = new long[2];
        long drainEnd = 0, lastWrite = 0;
        int band = 0;
        for (int tile = 0; tile < outputTiles; tile++)
            for (int y0 = 0; y0 < outH; y0 += bandRows, band++)
            {
                int pixels = Math.Min(bandRows, outH - y0) * outW;
                long start = Math.Max(feederFree, bankFree[band % 2]);
                var zero = zeroPasses?.Invoke(tile);
                long end = start + (ZeroPasses.Skipped(zero) > 0 ? BandCycles(c, pixels, zero!) : BandCycles(c, pixels, passesPerBand));
                feederFree = end;
                long accumulated = end + FeedStages + c.ArrayLatency;
                long drainStart = Math.Max(accumulated, drainEnd) + 1;
                drainEnd = drainStart + pixels;
                bankFree[band % 2] = drainEnd;
                lastWrite = drainEnd + DrainStages - 1;
            }
        return lastWrite;
    }

    /// <summary>One window tap per cycle, then the read and compare stages.</summary>
    public static long MaxPoolBusy(int groups, int outH, int outW, int kernel) => (long)groups * outH * outW * kernel * kernel + FeedStages + 1;

    /// <summary>
    /// The depthwise unit: per group, its weight words (K x K reads, with the parameter word), then
    /// per output row K x K reads for the first pixel and K x min(K, stride) for each further one;
    /// between groups it waits for the previous group's last pixel to be written, and after the
    /// last group the unit stays busy until that write.
    /// </summary>
    public static long DwConvBusy(int groups, int outH, int outW, int kernel, int stride)
    {
        long taps = (long)kernel * kernel;
        long row = taps + (long)(outW - 1) * kernel * Math.Min(kernel, stride);
        long perGroup = taps + outH * row;
        int writeLatency = DepthwiseUnit.WriteLatency(kernel);
        return 1 + groups * perGroup + (groups - 1L) * (writeLatency + 1) + writeLatency;
    }

    /// <summary>The (M, S) read, one cycle per input word, then the read and requantization latency.</summary>
    public static long AvgPoolBusy(int groups, int plane) => 1 + (long)groups * plane + 1 + Requantizer.Latency - 1;

    /// <summary>Read latency then one beat per cycle at the channel's rate; bursts keep the port busy when enough are in flight.</summary>
    public static long LoadBusy(EngineConfig c, MemoryModel m, long words, int chunks)
    {
        long beats = words * c.BeatsPerWord;
        double inFlight = (double)m.MaxOutstandingReads * c.DramBurstBeats / (m.ReadLatency + c.DramBurstBeats);
        double rate = Math.Min(m.BeatsPerCycle, inFlight);
        return LoadSetup + m.ReadLatency + (long)Math.Ceiling(beats / rate) + LoadTail;
    }

    /// <summary>Sparse load: a beat's FIFO write and read before the decoder sees it; the codebook read and byte select before the write.</summary>
    public const int SparseFifoStages = 2, SparseDecodeStages = 2;

    /// <summary>
    /// A sparse load of <paramref name="sourceBeats"/> beats: they stream in at the port's rate; the
    /// decoder takes the codebook a beat per cycle, then needs <paramref name="decodeCycles"/>
    /// (a word per cycle, a beat per cycle; <see cref="EngineInstruction.SparseDecodeCycles"/>), so
    /// it finishes with the last beat or its own work, whichever is later, plus its pipeline.
    /// </summary>
    public static long SparseLoadBusy(EngineConfig c, MemoryModel m, long sourceBeats, long decodeCycles)
    {
        double inFlight = (double)m.MaxOutstandingReads * c.DramBurstBeats / (m.ReadLatency + c.DramBurstBeats);
        double rate = Math.Min(m.BeatsPerCycle, inFlight);
        long codebook = Program.SparseWeightStream.CodebookBeats(c.DramBits);
        long stream = Math.Max((long)Math.Ceiling(sourceBeats / rate), (long)Math.Ceiling(codebook / rate) + decodeCycles);
        return LoadSetup + m.ReadLatency + SparseFifoStages + stream + SparseDecodeStages + LoadTail;
    }

    public static long StoreBusy(EngineConfig c, MemoryModel m, long words) =>
        StoreSetup + (long)Math.Ceiling(words * c.BeatsPerWord / m.BeatsPerCycle) + m.WriteLatency + StoreTail;

    public static long Ideal(EngineConfig c, long macs) => (macs + (long)c.Rows * c.Cols - 1) / ((long)c.Rows * c.Cols);

    /// <summary>
    /// Replays the program: one instruction fetched at a time, issued once its unit is free and
    /// every unit it waits for has completed enough instructions; units run concurrently. Returns
    /// the timed instructions, the layers with their costs and traffic, and the total cycles.
    /// Cycles are attributed to compute instructions (each gets the cycles since the previous one
    /// completed; the final stores go to the last layer) and summed per layer, as cosim measures.
    /// </summary>
    public static (List<EngineInstruction> Program, List<ScheduledOp> Layers, long Total) Simulate(
        EngineConfig c, MemoryModel m, IReadOnlyList<EngineInstruction> program, IReadOnlyList<ScheduledOp> layers,
        ZeroPasses? zeroPasses = null)
    {
        // A convolution instruction's tiles start at its parameter word's offset in the layer's.
        Func<EngineInstruction, int, bool[]?>? zero = zeroPasses is null ? null
            : (insn, tile) => zeroPasses.Tile(insn.Layer, (int)(insn.Fields["par_base"] - layers[insn.Layer].ParamBase) + tile);
        var timeline = new Timeline(c, m, zero);
        var timed = new List<EngineInstruction>(program.Count);
        var attributed = new long[layers.Count];
        long lastCompute = 0;
        var compute = new long[layers.Count];
        var loadBusy = new long[layers.Count];
        var storeBusy = new long[layers.Count];
        var read = new long[layers.Count];
        var written = new long[layers.Count];
        var count = new int[layers.Count];
        foreach (var insn in program)
        {
            var t = timeline.Issue(insn);
            timed.Add(t);
            long busy = t.PredictedDuration, done = t.PredictedCompletion;
            long words = insn.Fields.GetValueOrDefault("dma_chunks") * insn.Fields.GetValueOrDefault("dma_chunk_words");
            int l = insn.Layer;
            count[l]++;
            switch (insn.Unit)
            {
                case Unit.Compute:
                    compute[l] += busy;
                    // The harness sees a completion one cycle before its count is visible to waits.
                    attributed[l] += done - CompletionLatency - lastCompute;
                    lastCompute = done - CompletionLatency;
                    break;
                case Unit.Load:
                    loadBusy[l] += busy;
                    read[l] += insn.Fields.GetValueOrDefault("dma_sparse") == 1 ? insn.Fields["dma_src_beats"] * (c.DramBits / 8) : words * c.DramWordBytes;
                    break;
                case Unit.Store: storeBusy[l] += busy; written[l] += words * c.DramWordBytes; break;
            }
        }
        long end = timeline.End;
        var costed = new List<ScheduledOp>(layers.Count);
        if (layers.Count > 0) attributed[^1] += end - lastCompute;
        for (int i = 0; i < layers.Count; i++)
        {
            costed.Add(layers[i] with
            {
                Cost = new OpCost(attributed[i], Ideal(c, layers[i].Macs)),
                ComputeCycles = compute[i],
                MemoryCycles = Math.Max(loadBusy[i], storeBusy[i]),
                DramReadBytes = read[i],
                DramWriteBytes = written[i],
                Instructions = count[i],
            });
        }
        return (timed, costed, end);
    }

    /// <summary>
    /// The controller's in-order issue, one instruction at a time: an instruction issues once it is
    /// fetched, its unit is free and every unit it waits for has completed enough instructions.
    /// The program builder uses it to try candidate orders; <see cref="Simulate"/> to time a program.
    /// </summary>
    internal sealed class Timeline(EngineConfig c, MemoryModel m, Func<EngineInstruction, int, bool[]?>? zeroPasses = null)
    {
        private readonly List<long>[] _completions = [[], [], []];
        private readonly long[] _unitFree = new long[3];
        private readonly InstructionQueue _queue = new(c, m);
        private long _lastIssue = ProgramStart;

        /// <summary>Completion cycle of the last instruction of <paramref name="unit"/> (0 before any).</summary>
        public long LastCompletion(Unit unit) => _completions[(int)unit] is { Count: > 0 } l ? l[^1] : 0;

        /// <summary>END issues once it is fetched and every unit is idle; done follows.</summary>
        public long End => Math.Max(_unitFree.Max(), _queue.Pop(_lastIssue, commit: false) + PopToIssue) + ProgramEnd;

        public EngineInstruction Issue(EngineInstruction insn)
        {
            var unit = insn.Unit;
            long issue = Math.Max(_queue.Pop(_lastIssue, commit: true) + PopToIssue, _unitFree[(int)unit]);
            foreach (var (u, field) in Waits)
            {
                long need = insn.Fields[field];
                if (need > 0) issue = Math.Max(issue, _completions[(int)u][(int)need - 1]);
            }
            long words = insn.Fields.GetValueOrDefault("dma_chunks") * insn.Fields.GetValueOrDefault("dma_chunk_words");
            long busy = insn.Opcode switch
            {
                Opcode.Load when insn.Fields.GetValueOrDefault("dma_sparse") == 1 => SparseLoadBusy(c, m, insn.Fields["dma_src_beats"], insn.SparseDecodeCycles),
                Opcode.Load => LoadBusy(c, m, words, (int)insn.Fields["dma_chunks"]),
                Opcode.Store => StoreBusy(c, m, words),
                _ => Busy(c, insn, zeroPasses),
            };
            long done = issue + StartLatency + busy + CompletionLatency;
            _completions[(int)unit].Add(done);
            _unitFree[(int)unit] = done;
            _lastIssue = issue;
            return insn with { PredictedIssue = issue, PredictedDuration = busy, PredictedCompletion = done };
        }

        public Timeline Clone()
        {
            var copy = new Timeline(c, m, zeroPasses) { _lastIssue = _lastIssue };
            _queue.CopyTo(copy._queue);
            for (int u = 0; u < 3; u++)
            {
                copy._completions[u].AddRange(_completions[u]);
                copy._unitFree[u] = _unitFree[u];
            }
            return copy;
        }

        private static readonly (Unit Unit, string Field)[] Waits =
            [(Unit.Load, "wait_load"), (Unit.Compute, "wait_compute"), (Unit.Store, "wait_store")];
    }

    /// <summary>
    /// The fetch unit's queue: when each instruction is in it and when the controller pops it. An
    /// instruction's beats stream in behind the previous one's at the instruction port's rate,
    /// and are requested only once the instruction FetchQueueDepth earlier has been popped
    /// (its room in the queue), a read latency before they arrive. The controller pops the next
    /// instruction the cycle after it issued the previous one, or when it arrives.
    /// </summary>
    internal sealed class InstructionQueue(EngineConfig c, MemoryModel m)
    {
        // Before the parameter buffer is sized (while the program is being built) its address width
        // is not known; a 4096-deep one stands in, which moves the word by a beat at most.
        private readonly long _transfer = (long)Math.Ceiling(
            new InstructionFormat(c.IsResolved ? c : c with { ParamDepth = 4096 }).DramBeats / m.BeatsPerCycle);
        private readonly long[] _pops = new long[c.FetchQueueDepth];
        private long _count;
        private long _lastArrival = long.MinValue;

        /// <summary>The pop of the next instruction after an issue at <paramref name="lastIssue"/>; recorded when <paramref name="commit"/>.</summary>
        public long Pop(long lastIssue, bool commit)
        {
            int depth = _pops.Length;
            // Request one cycle after the pop that made room (the start pulse, for the first fill); data a latency later.
            long room = _count >= depth ? _pops[_count % depth] : ProgramStart;
            long requested = room + FetchRequest + m.ReadLatency + _transfer;
            long arrival = _lastArrival == long.MinValue ? requested : Math.Max(_lastArrival + _transfer, requested);
            long pop = Math.Max(lastIssue + 1, arrival);
            if (commit)
            {
                _pops[_count % depth] = pop;
                _count++;
                _lastArrival = arrival;
            }
            return pop;
        }

        public void CopyTo(InstructionQueue other)
        {
            Array.Copy(_pops, other._pops, _pops.Length);
            other._count = _count;
            other._lastArrival = _lastArrival;
        }
    }

    /// <summary>Fetch unit: a pop (or the start pulse) returns credit, the next cycle's request spends it.</summary>
    public const int FetchRequest = 1;

    private static long Busy(EngineConfig c, EngineInstruction insn, Func<EngineInstruction, int, bool[]?>? zeroPasses)
    {
        var f = insn.Fields;
        return insn.Opcode switch
        {
            Opcode.Conv => ConvBusy(c, (int)f["out_h"], (int)f["out_w"], (int)f["oc_tiles"], (int)f["band_rows"], (int)f["passes_per_band"],
                zeroPasses is null ? null : tile => zeroPasses(insn, tile)),
            Opcode.MaxPool => MaxPoolBusy((int)f["in_groups"], (int)f["out_h"], (int)f["out_w"], (int)f["kernel"]),
            Opcode.AvgPool => AvgPoolBusy((int)f["in_groups"], (int)f["in_plane"]),
            Opcode.DwConv => DwConvBusy((int)f["in_groups"], (int)f["out_h"], (int)f["out_w"], (int)f["kernel"], (int)f["stride"]),
            Opcode.Eltwise => EltwiseTiling.Busy(c, f),
            _ => throw new ArgumentException($"no unit runs {insn.Opcode}"),
        };
    }
}
