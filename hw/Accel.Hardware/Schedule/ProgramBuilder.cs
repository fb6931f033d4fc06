using Accel.Hardware.Config;
using Accel.Hardware.Program;

namespace Accel.Hardware.Schedule;

/// <summary>
/// Turns layer steps into the instruction stream. Slots alternate (double buffering): the input
/// and weights of step i+1 load while step i computes, and step i's output is stored while step
/// i+1 computes. A step whose input or weights a slot already holds skips the load. Every
/// instruction carries the completion counts it waits for: a reader waits for the writer of its
/// slot, a writer for the last reader, and a load for the stores that wrote the DRAM it reads.
/// Waits only ever name instructions already in the stream, so the in-order issue cannot deadlock.
/// </summary>
internal static class ProgramBuilder
{
    private sealed class Slots(string name, int slotWords)
    {
        public readonly string?[] Keys = new string?[2];
        public int Last = 1;
        public string Name { get; } = name;
        public int Base(int slot) => slot * slotWords;
    }

    private readonly record struct Access(Unit Unit, int Seq);

    private sealed class Tracker
    {
        private readonly Dictionary<string, Access> _writer = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Dictionary<Unit, int>> _readers = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<(Transfer Store, int Seq)>> _stores = new(StringComparer.Ordinal);
        public readonly int[] Issued = new int[3];
        public int WordBytes { get; init; }

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

    private sealed record Planned(LayerStep Step, int InSlot, int WeightSlot, int OutSlot, bool LoadInput, bool LoadWeights);

    public static List<EngineInstruction> Emit(EngineConfig c, IReadOnlyList<LayerStep> steps)
    {
        var input = new Slots("in", c.InputSlotWords);
        var weights = new Slots("w", c.WeightSlotWords);
        int outNext = 0;
        var planned = new List<Planned>();
        foreach (var step in steps)
        {
            var (inSlot, loadIn) = Take(input, step.Input.Key);
            var (wSlot, loadW) = step.Weights is null ? (0, false) : Take(weights, step.Weights.Key);
            planned.Add(new Planned(step, inSlot, wSlot, outNext, loadIn, loadW));
            outNext ^= 1;
        }

        var tracker = new Tracker { WordBytes = c.DramWordBytes };
        var program = new List<EngineInstruction>();

        void Emit(Opcode op, int layer, Dictionary<string, long> fields, string[] reads, string[] writes, Transfer? dramRead, Transfer? dramWrite)
        {
            var unit = op.UnitOf();
            var waits = tracker.Waits(unit, reads, writes, dramRead);
            fields["wait_load"] = waits.GetValueOrDefault(Unit.Load);
            fields["wait_compute"] = waits.GetValueOrDefault(Unit.Compute);
            fields["wait_store"] = waits.GetValueOrDefault(Unit.Store);
            tracker.Record(unit, reads, writes, dramWrite);
            program.Add(new EngineInstruction(op, layer, fields) { DramWordBytes = c.DramWordBytes });
        }

        void EmitLoad(Planned p, bool weightsLoad)
        {
            var t = weightsLoad ? p.Step.Weights! : p.Step.Input;
            int slot = weightsLoad ? p.WeightSlot : p.InSlot;
            var fields = new Dictionary<string, long>
            {
                ["opcode"] = (long)Opcode.Load,
                ["dma_dram"] = t.DramByte, ["dma_dram_stride"] = t.DramStrideBytes,
                ["dma_mem"] = weightsLoad ? InstructionFormat.DmaWeights : InstructionFormat.DmaInput,
                ["dma_base"] = (weightsLoad ? weights : input).Base(slot), ["dma_chip_stride"] = t.ChipStride,
                ["dma_chunks"] = t.Chunks, ["dma_chunk_words"] = t.ChunkWords,
            };
            Emit(Opcode.Load, p.Step.Layer, fields, [], [(weightsLoad ? "w" : "in") + slot], t, null);
        }

        void EmitCompute(Planned p)
        {
            var fields = new Dictionary<string, long>(p.Step.Compute);
            fields["in_base"] = input.Base(p.InSlot);
            fields["out_base"] = p.OutSlot * c.OutputSlotWords;
            if (p.Step.Weights is not null) fields["wgt_base"] = weights.Base(p.WeightSlot);
            var reads = p.Step.Weights is null ? new[] { "in" + p.InSlot } : ["in" + p.InSlot, "w" + p.WeightSlot];
            Emit(p.Step.ComputeOp, p.Step.Layer, fields, reads, ["out" + p.OutSlot], null, null);
        }

        void EmitStore(Planned p)
        {
            var t = p.Step.Store;
            var fields = new Dictionary<string, long>
            {
                ["opcode"] = (long)Opcode.Store,
                ["dma_dram"] = t.DramByte, ["dma_dram_stride"] = t.DramStrideBytes, ["dma_mem"] = 0,
                ["dma_base"] = p.OutSlot * c.OutputSlotWords, ["dma_chip_stride"] = t.ChipStride,
                ["dma_chunks"] = t.Chunks, ["dma_chunk_words"] = t.ChunkWords,
            };
            Emit(Opcode.Store, p.Step.Layer, fields, ["out" + p.OutSlot], [], null, t);
        }

        if (planned.Count == 0) return program;
        if (planned[0].LoadWeights) EmitLoad(planned[0], weightsLoad: true);
        if (planned[0].LoadInput) EmitLoad(planned[0], weightsLoad: false);
        for (int i = 0; i < planned.Count; i++)
        {
            var p = planned[i];
            EmitCompute(p);
            if (i + 1 < planned.Count)
            {
                var n = planned[i + 1];
                if (n.LoadWeights) EmitLoad(n, weightsLoad: true);
                bool dependsOnStore = n.LoadInput && n.Step.Input.Root == p.Step.Store.Root && n.Step.Input.Overlaps(p.Step.Store, c.DramWordBytes);
                if (n.LoadInput && !dependsOnStore) EmitLoad(n, weightsLoad: false);
                EmitStore(p);
                if (dependsOnStore) EmitLoad(n, weightsLoad: false);
            }
            else
            {
                EmitStore(p);
            }
        }
        return program;
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
