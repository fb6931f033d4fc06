using Accel.Hardware.Config;
using Accel.Hardware.Program;

namespace Accel.Hardware.Schedule;

/// <summary>
/// Orders layer steps and turns them into the instruction stream. Input and output slots
/// alternate (double buffering): the input of step i+1 loads while step i computes, and step i's
/// output is stored while step i+1 computes; weights live in a chunk cache. A step whose input or
/// weights are already on chip skips the load. Every instruction carries the completion counts it
/// waits for: a reader waits for the writer of its slot or cache placement, a writer for the last
/// readers of what it overwrites, and a load for the stores that wrote the DRAM it reads. Waits
/// only ever name instructions already in the stream, so the in-order issue cannot deadlock.
/// </summary>
internal static class ProgramBuilder
{
    private sealed class Slots(int slotWords)
    {
        public readonly string?[] Keys = new string?[2];
        public int Last = 1;
        public int Base(int slot) => slot * slotWords;

        public Slots Clone()
        {
            var copy = new Slots(slotWords) { Last = Last };
            Keys.CopyTo(copy.Keys, 0);
            return copy;
        }
    }

    /// <summary>
    /// The weight buffer as a cache of weight chunks (a chunk is at most half the buffer): a
    /// chunk still resident is not loaded again, so the small squeeze and expand weights of a
    /// Fire module stay on chip while its steps interleave with the next module's. A new chunk
    /// goes where it evicts only chunks used longest ago, never the one the last step reads
    /// when another place exists. Each placement has its own hazard name.
    /// </summary>
    private sealed class WeightCache(int depth)
    {
        private sealed record Entry(string Key, int Base, int Words, string Name, int LastUse);
        private List<Entry> _entries = [];
        private int _use;

        public WeightCache Clone() => new(depth) { _entries = [.. _entries], _use = _use };

        /// <summary>Where <paramref name="key"/> lives, whether to load it, and the placements a load evicts.</summary>
        public (int Base, string Name, bool Load, string[] Evicted) Take(string key, int words)
        {
            _use++;
            int hit = _entries.FindIndex(e => e.Key == key);
            if (hit >= 0)
            {
                var e = _entries[hit];
                _entries[hit] = e with { LastUse = _use };
                return (e.Base, e.Name, false, []);
            }
            int pinned = _entries.Count == 0 ? -1 : _entries.Max(e => e.LastUse);
            int bestBase = 0;
            (bool Pinned, int Newest)? best = null;
            foreach (int b in _entries.Select(e => e.Base + e.Words).Prepend(0).Distinct())
            {
                if (b + words > depth) continue;
                var evicted = _entries.Where(e => e.Base < b + words && b < e.Base + e.Words).ToList();
                var score = (evicted.Any(e => e.LastUse == pinned), evicted.Count == 0 ? 0 : evicted.Max(e => e.LastUse));
                if (best is null || score.CompareTo(best.Value) < 0) (bestBase, best) = (b, score);
            }
            var gone = _entries.Where(e => e.Base < bestBase + words && bestBase < e.Base + e.Words).ToList();
            _entries.RemoveAll(gone.Contains);
            var entry = new Entry(key, bestBase, words, $"w@{bestBase}:{key}", _use);
            _entries.Add(entry);
            return (bestBase, entry.Name, true, [.. gone.Select(e => e.Name)]);
        }
    }

    private readonly record struct Access(Unit Unit, int Seq);

    private sealed class Tracker
    {
        private readonly Dictionary<string, Access> _writer = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Dictionary<Unit, int>> _readers = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<(Transfer Store, int Seq)>> _stores = new(StringComparer.Ordinal);
        public readonly int[] Issued = new int[3];
        public int WordBytes { get; init; }

        public Tracker Clone()
        {
            var copy = new Tracker { WordBytes = WordBytes };
            foreach (var (k, v) in _writer) copy._writer[k] = v;
            foreach (var (k, v) in _readers) copy._readers[k] = new Dictionary<Unit, int>(v);
            foreach (var (k, v) in _stores) copy._stores[k] = [.. v];
            Issued.CopyTo(copy.Issued, 0);
            return copy;
        }

        public Dictionary<Unit, int> Waits(Unit unit, IEnumerable<string> reads, IEnumerable<string> writes, Transfer? dramRead)
        {
            var waits = new Dictionary<Unit, int>();
            void Need(Access a)
            {
                if (a.Unit != unit) waits[a.Unit] = Math.Max(waits.GetValueOrDefault(a.Unit), a.Seq + 1);
            }
            foreach (var r in reads)
                if (_writer.TryGetValue(r, out var w)) Need(w);
            foreach (var wr in writes)
            {
                if (_writer.TryGetValue(wr, out var w)) Need(w);
                if (_readers.TryGetValue(wr, out var rs))
                    foreach (var (u, seq) in rs) Need(new Access(u, seq));
            }
            if (dramRead is not null && _stores.TryGetValue(dramRead.Root, out var stores))
                for (int i = stores.Count - 1; i >= 0; i--)
                    if (stores[i].Store.Overlaps(dramRead, WordBytes))
                    {
                        Need(new Access(Unit.Store, stores[i].Seq));
                        break;
                    }
            return waits;
        }

        public int Record(Unit unit, IEnumerable<string> reads, IEnumerable<string> writes, Transfer? dramWrite)
        {
            int seq = Issued[(int)unit]++;
            foreach (var r in reads)
            {
                if (!_readers.TryGetValue(r, out var rs)) _readers[r] = rs = new Dictionary<Unit, int>();
                rs[unit] = seq;
            }
            foreach (var w in writes)
            {
                _writer[w] = new Access(unit, seq);
                _readers.Remove(w);
            }
            if (dramWrite is not null)
            {
                if (!_stores.TryGetValue(dramWrite.Root, out var list)) _stores[dramWrite.Root] = list = [];
                list.Add((dramWrite, seq));
            }
            return seq;
        }
    }

    private sealed record Planned(LayerStep Step, int InSlot, int WeightBase, string WeightName, string[] Evicted, int OutSlot, bool LoadInput, bool LoadWeights);

    /// <summary>Layers whose steps may interleave: the oldest unfinished one and the next ones.</summary>
    public const int Window = 4;

    /// <summary>
    /// Orders the steps and emits the program. Steps of one layer keep their order; a step of a
    /// later layer (within <see cref="Window"/>) may go before an earlier layer's remaining steps
    /// when it neither reads what they store nor stores what they read or store. Among the steps
    /// that may go next, a list scheduler takes the one that leaves the array idle least (timed
    /// by the controller replay), then the one whose layer is furthest behind as a fraction of its
    /// steps: a Fire module's expand1x1 and expand3x3 interleave, and the next module's squeeze
    /// (memory-bound on a 64-bit port) loads while an expand3x3 computes.
    /// </summary>
    public static List<EngineInstruction> Emit(EngineConfig c, MemoryModel m, IReadOnlyList<LayerStep> steps)
    {
        var layers = steps.Select(s => s.Layer).Distinct().Order().ToList();
        var queues = layers.Select(l => steps.Where(s => s.Layer == l).ToList()).ToList();
        var taken = new int[queues.Count];
        var builder = new Builder(c, m);
        int first = 0;
        while (true)
        {
            while (first < queues.Count && taken[first] == queues[first].Count) first++;
            if (first == queues.Count) break;
            int best = first;
            long bestIdle = long.MaxValue;
            double bestProgress = double.MaxValue;
            for (int q = first; q < Math.Min(queues.Count, first + Window); q++)
            {
                if (taken[q] == queues[q].Count || !MayGoNext(c, queues, taken, first, q)) continue;
                var trial = builder.Clone();
                long idle = trial.Append(queues[q][taken[q]]);
                double progress = (double)taken[q] / queues[q].Count;
                if (idle < bestIdle || (idle == bestIdle && progress < bestProgress))
                    (best, bestIdle, bestProgress) = (q, idle, progress);
            }
            builder.Append(queues[best][taken[best]++]);
        }
        return builder.Finish();
    }

    /// <summary>The head of queue <paramref name="q"/> commutes with every step left in the earlier queues.</summary>
    private static bool MayGoNext(EngineConfig c, List<List<LayerStep>> queues, int[] taken, int first, int q)
    {
        var x = queues[q][taken[q]];
        for (int e = first; e < q; e++)
            for (int i = taken[e]; i < queues[e].Count; i++)
            {
                var y = queues[e][i];
                if (x.InputReads.Any(r => Conflict(y.Store, r)) || y.InputReads.Any(r => Conflict(x.Store, r)) || Conflict(x.Store, y.Store)) return false;
            }
        return true;

        bool Conflict(Transfer a, Transfer b) => a.Root == b.Root && a.Overlaps(b, c.DramWordBytes);
    }

    /// <summary>
    /// Emits steps in the order given: C(i), the loads of step i+1 (after S(i) when they read
    /// what it stores), S(i). Times every instruction as it goes, so a trial on a clone says how
    /// long the array would wait for a candidate step.
    /// </summary>
    private sealed class Builder
    {
        private readonly EngineConfig _c;
        private Slots _input;
        private WeightCache _weights;
        private int _outNext;
        private Tracker _tracker;
        private CostModel.Timeline _timeline;
        private List<EngineInstruction> _program;
        private Planned? _previous;

        public Builder(EngineConfig c, MemoryModel m)
        {
            _c = c;
            _input = new Slots(c.InputSlotWords);
            _weights = new WeightCache(c.WeightDepth);
            _tracker = new Tracker { WordBytes = c.DramWordBytes };
            _timeline = new CostModel.Timeline(c, m);
            _program = [];
        }

        public Builder Clone()
        {
            var copy = (Builder)MemberwiseClone();
            copy._input = _input.Clone();
            copy._weights = _weights.Clone();
            copy._tracker = _tracker.Clone();
            copy._timeline = _timeline.Clone();
            copy._program = [.. _program];
            return copy;
        }

        /// <summary>Appends a step; returns the cycles the compute unit waits before it starts.</summary>
        public long Append(LayerStep step)
        {
            var (inSlot, loadIn) = Take(_input, step.InputKey);
            var (wBase, wName, loadW, evicted) = step.Weights is null ? (0, "", false, []) : _weights.Take(step.Weights.Key, (int)step.Weights.Words);
            var p = new Planned(step, inSlot, wBase, wName, evicted, _outNext, loadIn, loadW);
            _outNext ^= 1;
            long computeFree = _timeline.LastCompletion(Unit.Compute);
            if (p.LoadWeights) EmitLoad(p, weightsLoad: true);
            if (_previous is { } prev)
            {
                bool dependsOnStore = p.LoadInput && step.InputReads.Any(r => r.Root == prev.Step.Store.Root && r.Overlaps(prev.Step.Store, _c.DramWordBytes));
                if (p.LoadInput && !dependsOnStore) EmitInputLoads(p);
                EmitStore(prev);
                if (dependsOnStore) EmitInputLoads(p);
            }
            else if (p.LoadInput)
            {
                EmitInputLoads(p);
            }
            var compute = EmitCompute(p);
            _previous = p;
            return Math.Max(0, compute.PredictedIssue - computeFree);
        }

        public List<EngineInstruction> Finish()
        {
            if (_previous is { } prev) EmitStore(prev);
            _previous = null;
            return _program;
        }

        private EngineInstruction Emit(Opcode op, int layer, Dictionary<string, long> fields, string[] reads, string[] writes, Transfer? dramRead, Transfer? dramWrite)
        {
            var unit = op.UnitOf();
            var waits = _tracker.Waits(unit, reads, writes, dramRead);
            fields["wait_load"] = waits.GetValueOrDefault(Unit.Load);
            fields["wait_compute"] = waits.GetValueOrDefault(Unit.Compute);
            fields["wait_store"] = waits.GetValueOrDefault(Unit.Store);
            _tracker.Record(unit, reads, writes, dramWrite);
            var insn = _timeline.Issue(new EngineInstruction(op, layer, fields) { DramWordBytes = _c.DramWordBytes });
            _program.Add(insn);
            return insn;
        }

        /// <summary>The input slot's loads: the input, then a second operand right after its words.</summary>
        private void EmitInputLoads(Planned p)
        {
            EmitLoad(p, weightsLoad: false);
            if (p.Step.SecondInput is { } second) EmitLoad(p, weightsLoad: false, second, (int)p.Step.Input.Words);
        }

        private void EmitLoad(Planned p, bool weightsLoad, Transfer? other = null, int slotOffset = 0)
        {
            var t = other ?? (weightsLoad ? p.Step.Weights! : p.Step.Input);

            var fields = new Dictionary<string, long>
            {
                ["opcode"] = (long)Opcode.Load,
                ["dma_dram"] = t.DramByte, ["dma_dram_stride"] = t.DramStrideBytes,
                ["dma_mem"] = weightsLoad ? InstructionFormat.DmaWeights : InstructionFormat.DmaInput,
                ["dma_base"] = weightsLoad ? p.WeightBase : _input.Base(p.InSlot) + slotOffset, ["dma_chip_stride"] = t.ChipStride,
                ["dma_chunks"] = t.Chunks, ["dma_chunk_words"] = t.ChunkWords,
            };
            string[] writes = weightsLoad ? [p.WeightName, .. p.Evicted] : ["in" + p.InSlot];
            Emit(Opcode.Load, p.Step.Layer, fields, [], writes, t, null);
        }

        private EngineInstruction EmitCompute(Planned p)
        {
            var fields = new Dictionary<string, long>(p.Step.Compute);
            fields["in_base"] = _input.Base(p.InSlot);
            fields["out_base"] = p.OutSlot * _c.OutputSlotWords;
            if (p.Step.Weights is not null) fields["wgt_base"] = p.WeightBase;
            var reads = p.Step.Weights is null ? new[] { "in" + p.InSlot } : ["in" + p.InSlot, p.WeightName];
            return Emit(p.Step.ComputeOp, p.Step.Layer, fields, reads, ["out" + p.OutSlot], null, null);
        }

        private void EmitStore(Planned p)
        {
            var t = p.Step.Store;
            var fields = new Dictionary<string, long>
            {
                ["opcode"] = (long)Opcode.Store,
                ["dma_dram"] = t.DramByte, ["dma_dram_stride"] = t.DramStrideBytes, ["dma_mem"] = 0,
                ["dma_base"] = p.OutSlot * _c.OutputSlotWords, ["dma_chip_stride"] = t.ChipStride,
                ["dma_chunks"] = t.Chunks, ["dma_chunk_words"] = t.ChunkWords,
            };
            Emit(Opcode.Store, p.Step.Layer, fields, ["out" + p.OutSlot], [], null, t);
        }
    }

    /// <summary>The slot holding <paramref name="key"/>, or the other slot (to be loaded).</summary>
    private static (int Slot, bool Load) Take(Slots slots, string key)
    {
        if (slots.Keys[slots.Last] == key) return (slots.Last, false);
        int slot = slots.Last ^ 1;
        slots.Keys[slot] = key;
        slots.Last = slot;
        return (slot, true);
    }
}
