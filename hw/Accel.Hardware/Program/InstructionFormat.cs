using System.Numerics;
using Accel.Hardware.Config;

namespace Accel.Hardware.Program;

/// <summary>Instruction opcodes; DwConv runs a depthwise convolution on the depthwise unit, Eltwise an element-wise or data-movement operation (docs/engine.md).</summary>
public enum Opcode { End = 0, Conv = 1, MaxPool = 2, AvgPool = 3, Load = 4, Store = 5, DwConv = 6, Eltwise = 7 }

/// <summary>The three units that run instructions concurrently; each runs one at a time, in program order.</summary>
public enum Unit { Load = 0, Compute = 1, Store = 2 }

public static class OpcodeUnits
{
    public static Unit UnitOf(this Opcode op) => op switch
    {
        Opcode.Load => Unit.Load,
        Opcode.Store => Unit.Store,
        Opcode.End => throw new ArgumentException("END waits for every unit"),
        _ => Unit.Compute,
    };
}

/// <summary>
/// One field of the controller's instruction word. A <see cref="Modular"/> field is used only in
/// address arithmetic that wraps at the buffer size, so it is stored modulo 2^Width.
/// </summary>
public sealed record InstructionField(string Name, int Offset, int Width, bool Signed = false, bool Modular = false);

/// <summary>
/// The layout of one layer descriptor, derived from the configuration: address fields are
/// exactly as wide as the buffers they address. The encoder (C#) and the decoder slices in the
/// generated Verilog both read this table, so they cannot disagree.
/// </summary>
public sealed class InstructionFormat
{
    private readonly Dictionary<string, InstructionField> _byName;

    public InstructionFormat(EngineConfig config)
    {
        config.RequireResolved();
        int ia = config.InputAddressBits, oa = config.OutputAddressBits, w = config.WeightAddressBits, p = config.ParamAddressBits;
        int d = EngineConfig.DimBits, ca = config.ChipAddressBits, da = EngineConfig.DramAddressBits;
        var spec = new (string Name, int Width, bool Signed)[]
        {
            ("opcode", 3, false),
            // Issue waits until each unit has completed at least this many instructions.
            ("wait_load", WaitBits, false), ("wait_compute", WaitBits, false), ("wait_store", WaitBits, false),
            // Compute: input slot (input buffer) -> output slot (output buffer).
            ("in_base", ia, false), ("in_h", d, false), ("in_w", d, false), ("in_plane", ia, false),
            ("in_groups", d, false), ("in_unsigned", 1, false),
            ("out_base", oa, false), ("out_h", d, false), ("out_w", d, false), ("out_plane", oa, false),
            ("kernel", 4, false), ("stride", 4, false), ("pad", 4, false), ("pad_top", 4, false),
            ("oc_tiles", d, false), ("bands", d, false), ("band_rows", d, false), ("band_out_step", oa, false),
            ("wgt_base", w, false), ("wgt_oct_stride", w, false), ("passes_per_band", 16, false),
            ("par_base", p, false),
            ("lo", EngineConfig.RangeBits, true), ("hi", EngineConfig.RangeBits, true),
            // Load / store: chunks x chunk_words words between DRAM (byte address, byte stride) and a buffer.
            ("dma_dram", da, false), ("dma_dram_stride", da, false), ("dma_mem", 1, false),
            ("dma_base", ca, false), ("dma_chip_stride", ca, false), ("dma_chunks", d, false), ("dma_chunk_words", ca + 1, false),
            // A sparse load reads dma_src_beats beats of a sparse weight stream from dma_dram and
            // decodes them into dma_chunks * dma_chunk_words words written from dma_base on.
            ("dma_sparse", 1, false), ("dma_src_beats", SourceBeatBits(config), false),
            // ELTWISE: which element-wise operation, and the second operand's signedness.
            ("elt_op", Engine.EltwiseUnit.OpBits, false), ("in2_unsigned", 1, false),
        };
        var fields = new List<InstructionField>();
        int offset = 0;
        foreach (var (name, width, signed) in spec)
        {
            // The tile stride of a one-tile layer can equal the whole weight buffer; it is only added
            // after the last tile, where the wrapped value is never used.
            fields.Add(new InstructionField(name, offset, width, signed, Modular: name == "wgt_oct_stride"));
            offset += width;
        }
        Fields = fields;
        Bits = offset;
        _byName = fields.ToDictionary(f => f.Name, StringComparer.Ordinal);
        DramBeats = (Bits + config.DramBits - 1) / config.DramBits;
        DramBytes = DramBeats * config.DramBits / 8;
        // The fetch unit requests whole bursts only when its queue has room for them.
        if ((long)config.FetchQueueDepth * DramBeats < config.DramBurstBeats)
            throw new ConfigException("fetchQueueDepth", $"{config.FetchQueueDepth} instructions of {DramBeats} DRAM beats hold fewer beats than one burst of {config.DramBurstBeats}");
    }

    /// <summary>Width of dma_src_beats: the beats of a sparse stream for a whole weight buffer.</summary>
    public static int SourceBeatBits(EngineConfig c) => EngineConfig.Log2Ceil(SparseWeightStream.MaxSourceBeats(c) + 1);

    /// <summary>Width of the completion counters the wait fields compare against.</summary>
    public const int WaitBits = 16;
    /// <summary>dma_mem of a load: which buffer it fills.</summary>
    public const int DmaInput = 0, DmaWeights = 1;

    public IReadOnlyList<InstructionField> Fields { get; }
    public int Bits { get; }
    /// <summary>DRAM beats one instruction occupies in the program image (low bits in the first beat).</summary>
    public int DramBeats { get; }
    /// <summary>Bytes one instruction occupies in DRAM.</summary>
    public int DramBytes { get; }
    public InstructionField this[string name] => _byName[name];

    /// <summary>Packs named values; a value that does not fit its field is an error naming it.</summary>
    public BigInteger Encode(IReadOnlyDictionary<string, long> values)
    {
        var word = BigInteger.Zero;
        foreach (var (name, given) in values)
        {
            long value = given;
            if (!_byName.TryGetValue(name, out var f)) throw new ArgumentException($"no instruction field '{name}'");
            long min = f.Signed ? -(1L << (f.Width - 1)) : 0;
            long max = f.Signed ? (1L << (f.Width - 1)) - 1 : (1L << f.Width) - 1;
            if (f.Modular && value >= 0) value &= (1L << f.Width) - 1;
            if (value < min || value > max)
                throw new ScheduleException($"instruction field '{name}' = {value} does not fit in {f.Width} bits ({min}..{max})");
            var bits = new BigInteger(value) & ((BigInteger.One << f.Width) - 1);
            word |= bits << f.Offset;
        }
        return word;
    }

    public long Decode(BigInteger word, string name)
    {
        var f = _byName[name];
        long raw = (long)((word >> f.Offset) & ((BigInteger.One << f.Width) - 1));
        return f.Signed && raw >= 1L << (f.Width - 1) ? raw - (1L << f.Width) : raw;
    }
}

/// <summary>A network that cannot be scheduled on the configuration; the message names the layer and the resource.</summary>
public class ScheduleException(string message) : Exception(message);

/// <summary>A layer that does not fit an on-chip buffer: which layer, which buffer, and the depth it needs.</summary>
public sealed class BufferCapacityException(string layer, string buffer, long neededDepth, long configuredDepth, string message)
    : ScheduleException(message)
{
    public string Layer { get; } = layer;
    public string Buffer { get; } = buffer;
    public long NeededDepth { get; } = neededDepth;
    public long ConfiguredDepth { get; } = configuredDepth;
}
