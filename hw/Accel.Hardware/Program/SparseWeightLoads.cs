using System.Numerics;
using Accel.Hardware.Schedule;

namespace Accel.Hardware.Program;

/// <summary>A program whose weight loads decode sparse streams on chip, and the DRAM weight bytes holding the streams.</summary>
/// <param name="Schedule">The schedule with the patched loads (dma_sparse, dma_src_beats, SparseDecodeCycles); not yet retimed.</param>
/// <param name="Program">The patched program, END included, as <see cref="EngineImage.EncodeProgram"/> gives it.</param>
/// <param name="WeightBytes">The weight region: each converted load's stream at its DRAM address, other weights dense.</param>
/// <param name="SparseLoads">How many LOAD instructions were converted.</param>
public sealed record SparseLoadPlan(EngineSchedule Schedule, IReadOnlyList<BigInteger> Program, byte[] WeightBytes, int SparseLoads);

/// <summary>
/// Decode on load, host side: after the dense weight bytes are built, every weight LOAD's words
/// are encoded as a <see cref="SparseWeightStream"/>; where the stream takes fewer DRAM beats
/// than the dense words, it is written over the start of the load's dense range (so the DRAM
/// layout does not change) and the load becomes sparse. Every load of one range gets the same
/// stream; a range that partly overlaps another load's stays dense, as do loads whose on-chip
/// writes are not contiguous (the decoder writes its words one after another).
/// </summary>
public static class SparseWeightLoads
{
    /// <param name="layer">Per-layer choice (index into <see cref="EngineSchedule.Ops"/>); null: every layer.</param>
    public static SparseLoadPlan Apply(EngineSchedule schedule, byte[] weightBytes, Func<int, bool>? layer = null)
    {
        var c = schedule.Config;
        var bytes = weightBytes.ToArray();
        if (!SparseWeightStream.Supported(c)) return new SparseLoadPlan(schedule, EngineImage.EncodeProgram(schedule), bytes, 0);
        int wordBytes = c.DramWordBytes, cols = c.Cols;
        long weightBase = schedule.WeightDramBase * wordBytes;

        // Candidate ranges: (first DRAM byte, words) of weight loads that write the buffer contiguously.
        var ranges = new Dictionary<(long Byte, long Words), SparseWeightStream?>();
        bool Candidate(EngineInstruction i) => i.Opcode == Opcode.Load && i.Fields["dma_mem"] == InstructionFormat.DmaWeights
            && (layer is null || layer(i.Layer))
            && (i.Fields["dma_chunks"] == 1 || (i.Fields["dma_chip_stride"] == i.Fields["dma_chunk_words"]
                && i.Fields["dma_dram_stride"] == i.Fields["dma_chunk_words"] * wordBytes));
        static (long, long) Key(EngineInstruction i) => (i.Fields["dma_dram"], i.Fields["dma_chunks"] * i.Fields["dma_chunk_words"]);
        var allWeightLoads = schedule.Instructions.Where(i => i.Opcode == Opcode.Load && i.Fields["dma_mem"] == InstructionFormat.DmaWeights)
            .Select(Key).Distinct().ToList();
        foreach (var key in schedule.Instructions.Where(Candidate).Select(Key).Distinct())
        {
            // Writing a stream over a range another load reads differently would corrupt that load.
            bool overlaps = allWeightLoads.Any(o => o != key && o.Item1 < key.Item1 + key.Item2 * wordBytes && key.Item1 < o.Item1 + o.Item2 * wordBytes);
            // Excluded layers' loads of the same range must stay dense too.
            bool excluded = schedule.Instructions.Any(i => i.Opcode == Opcode.Load && i.Fields["dma_mem"] == InstructionFormat.DmaWeights
                && Key(i) == key && !Candidate(i));
            if (overlaps || excluded) continue;
            long offset = key.Item1 - weightBase, words = key.Item2;
            var dense = new sbyte[words * cols];
            for (long w = 0; w < words; w++)
                for (int l = 0; l < cols; l++) dense[w * cols + l] = (sbyte)bytes[offset + w * wordBytes + l];
            var stream = SparseWeightStream.Encode(dense, cols, c.DramBits);
            if (stream.Beats >= words * c.BeatsPerWord || stream.Beats > SparseWeightStream.MaxSourceBeats(c)) continue;
            ranges[key] = stream;
        }
        foreach (var ((at, _), stream) in ranges) stream!.Bytes.CopyTo(bytes, at - weightBase);

        int converted = 0;
        var instructions = schedule.Instructions.Select(i =>
        {
            if (i.Opcode != Opcode.Load || i.Fields["dma_mem"] != InstructionFormat.DmaWeights || !ranges.TryGetValue(Key(i), out var s)) return i;
            converted++;
            var fields = new Dictionary<string, long>(i.Fields) { ["dma_sparse"] = 1, ["dma_src_beats"] = s!.Beats };
            return i with { Fields = fields, SparseDecodeCycles = s.DecodeCycles };
        }).ToList();
        var patched = schedule with { Instructions = instructions };
        return new SparseLoadPlan(patched, EngineImage.EncodeProgram(patched), bytes, converted);
    }
}
