using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Accel.Hardware.Config;

/// <summary>
/// The one hardware configuration of the engine: named defaults, every derived size computed
/// and checked here at construction, variants made with <c>with</c>. The same record writes
/// the Verilog, the C header of the harness and the C# constants, so they cannot drift.
/// Buffer depths of null are sized to the schedule by the generator.
/// </summary>
public sealed record EngineConfig
{
    public const int DataBits = 8;
    /// <summary>A 9-bit signed operand carries both int8 and zero-extended uint8 activations (rule LOAD_ACTIVATION).</summary>
    public const int OperandBits = DataBits + 1;
    /// <summary>|x * w| &lt;= 255 * 128 &lt; 2^15: a signed 17-bit product is exact.</summary>
    public const int ProductBits = OperandBits + DataBits;
    public const int MultiplierBits = 16;
    public const int ShiftBits = 6;
    /// <summary>ACTIVATION_RANGE bounds span -128..255: 10-bit signed.</summary>
    public const int RangeBits = 10;
    public const int BiasBits = 32;
    /// <summary>Per output channel requantization word: M (16) | S (6).</summary>
    public const int RequantLaneBits = MultiplierBits + ShiftBits;
    /// <summary>Dimension fields (heights, widths, group and tile counts) are 12 bits: up to 4095.</summary>
    public const int DimBits = 12;
    public const int MinDimension = 2, MaxDimension = 32;

    public int Rows { get; init; } = 16;
    public int Cols { get; init; } = 16;
    public int AccumulatorBits { get; init; } = 32;
    public double ClockMHz { get; init; } = 100;
    /// <summary>
    /// Input buffer depth in activation words (<see cref="Rows"/> channels each): two slots, one
    /// filled from DRAM while the units read the other.
    /// </summary>
    public int InputDepth { get; init; } = 8192;
    /// <summary>Output buffer depth in activation words: two slots, one written by the units while the other is stored to DRAM.</summary>
    public int OutputDepth { get; init; } = 4096;
    /// <summary>Weight buffer depth in words of <see cref="Cols"/> weights (one array row): two slots, as above.</summary>
    public int WeightDepth { get; init; } = 4096;
    /// <summary>Width of the DRAM port (an AXI3 HP port of a Zynq-7000 is 64 bits).</summary>
    public int DramBits { get; init; } = 64;
    /// <summary>Longest read burst the load unit requests (AXI3: 16 beats).</summary>
    public int DramBurstBeats { get; init; } = 16;
    /// <summary>Accumulator bank depth in output pixels (two banks: one fills while one drains).</summary>
    public int AccumulatorDepth { get; init; } = 1024;
    /// <summary>Channel-parameter buffer depth in output-channel tiles.</summary>
    public int? ParamDepth { get; init; }
    /// <summary>
    /// Instructions the fetch unit buffers ahead of the controller. The program itself lives in
    /// DRAM and streams in over the instruction port, so its length costs no block RAM.
    /// </summary>
    public int FetchQueueDepth { get; init; } = 16;
    /// <summary>
    /// The depthwise unit (opcode DWCONV) beside the pool units: true builds it, false leaves it
    /// out (depthwise layers then run on the array as grouped convolutions, one useful PE column
    /// in Cols per pass), null (the default) builds it when the schedule has a depthwise layer for
    /// it, so a network without one (SqueezeNet) pays none of its multipliers. The compiler
    /// resolves null like the parameter depth; RTL built from an unresolved configuration has it.
    /// </summary>
    public bool? DepthwiseUnit { get; init; }

    /// <summary>Whether the RTL has the depthwise unit (an unresolved configuration builds it).</summary>
    public bool HasDepthwiseUnit => DepthwiseUnit ?? true;
    /// <summary>Largest kernel the depthwise unit takes (its window and weight registers are K x K words); larger ones run on the array.</summary>
    public int DepthwiseMaxKernel { get; init; } = 3;

    /// <summary>Checks every field and the relations between them; throws <see cref="ConfigException"/> naming the field.</summary>
    public EngineConfig Validate()
    {
        if (Rows < MinDimension || Rows > MaxDimension) throw new ConfigException("rows", $"must be in {MinDimension}..{MaxDimension}, got {Rows}");
        if (Cols < MinDimension || Cols > MaxDimension) throw new ConfigException("cols", $"must be in {MinDimension}..{MaxDimension}, got {Cols}");
        if (Rows != Cols)
            throw new ConfigException("cols", $"the engine stores {Rows}-channel activation words and drains {Cols} channels per pixel; only square arrays are supported (rows = cols), got {Rows}x{Cols}");
        if (AccumulatorBits < BiasBits || AccumulatorBits > 48)
            throw new ConfigException("accumulatorBits", $"must be in {BiasBits}..48 (the contract's int32 accumulator and bias), got {AccumulatorBits}");
        if (ClockMHz <= 0 || ClockMHz > 1000) throw new ConfigException("clockMHz", $"must be in (0, 1000], got {ClockMHz}");
        if (AccumulatorDepth < 1 || AccumulatorDepth > 1 << 20) throw new ConfigException("accumulatorDepth", $"must be in 1..2^20, got {AccumulatorDepth}");
        Buffer(InputDepth, "inputDepth");
        Buffer(OutputDepth, "outputDepth");
        Buffer(WeightDepth, "weightDepth");
        if (DramBits < 8 || DramBits > 1024 || (DramBits & (DramBits - 1)) != 0)
            throw new ConfigException("dramBits", $"must be a power of two in 8..1024, got {DramBits}");
        if (DramBurstBeats < 1 || DramBurstBeats > 256) throw new ConfigException("dramBurstBeats", $"must be in 1..256, got {DramBurstBeats}");
        Positive(ParamDepth, "paramDepth");
        if (FetchQueueDepth < 2 || FetchQueueDepth > 64 || (FetchQueueDepth & (FetchQueueDepth - 1)) != 0)
            throw new ConfigException("fetchQueueDepth", $"must be a power of two in 2..64, got {FetchQueueDepth}");
        if (DepthwiseMaxKernel < 1 || DepthwiseMaxKernel > 7)
            throw new ConfigException("depthwiseMaxKernel", $"must be in 1..7, got {DepthwiseMaxKernel}");
        return this;
    }

    private static void Buffer(int value, string field)
    {
        if (value < 2 || value > 1 << 22 || value % 2 != 0) throw new ConfigException(field, $"must be even (two slots) and in 2..2^22, got {value}");
    }

    private static void Positive(int? value, string field)
    {
        if (value is { } v && (v < 1 || v > 1 << 24)) throw new ConfigException(field, $"must be in 1..2^24, got {v}");
    }

    // ---- derived sizes ----
    /// <summary>Channels per activation word (the array's input lanes).</summary>
    public int Lanes => Rows;
    public int PsumBits => ProductBits + Log2Ceil(Rows);
    public int ActivationWordBits => Rows * DataBits;
    /// <summary>DRAM beats per buffer word (activation and weight words are equally wide: rows = cols).</summary>
    public int BeatsPerWord => Math.Max(1, (ActivationWordBits + DramBits - 1) / DramBits);
    /// <summary>Bytes one buffer word occupies in DRAM (a word narrower than the port takes a whole beat).</summary>
    public int DramWordBytes => BeatsPerWord * DramBits / 8;
    public int InputSlotWords => InputDepth / 2;
    public int OutputSlotWords => OutputDepth / 2;
    public int WeightSlotWords => WeightDepth / 2;
    public int WeightWordBits => Cols * DataBits;
    /// <summary>A channel-parameter word: Cols biases, then Cols (M, S) pairs.</summary>
    public int ParamWordBits => Cols * (BiasBits + RequantLaneBits);
    /// <summary>Cycles from a pixel entering row 0 of the array to its deskewed column sums.</summary>
    public int ArrayLatency => Rows + Cols - 1;

    public static int Log2Ceil(int n)
    {
        int b = 0;
        while ((1L << b) < n) b++;
        return b;
    }

    /// <summary>True when every buffer depth is set (the generator resolves nulls from the schedule).</summary>
    public bool IsResolved => ParamDepth is not null;

    public EngineConfig RequireResolved() =>
        IsResolved ? this : throw new InvalidOperationException("buffer depths must be resolved before building RTL");

    public int InputAddressBits => AddressBits(InputDepth);
    public int OutputAddressBits => AddressBits(OutputDepth);
    public int WeightAddressBits => AddressBits(WeightDepth);
    /// <summary>Bits of an on-chip address in a DMA descriptor (the widest of the three buffers).</summary>
    public int ChipAddressBits => Math.Max(InputAddressBits, Math.Max(OutputAddressBits, WeightAddressBits));
    /// <summary>Bits of a beat count within one burst (1..DramBurstBeats).</summary>
    public int BurstCountBits => Log2Ceil(DramBurstBeats + 1);
    public const int DramAddressBits = 32;
    public int ParamAddressBits => AddressBits(ParamDepth!.Value);
    public int FetchQueueAddressBits => AddressBits(FetchQueueDepth);
    public int AccumulatorAddressBits => AddressBits(AccumulatorDepth);
    /// <summary>Bits of a pixel count in 1..AccumulatorDepth.</summary>
    public int PixelCountBits => Log2Ceil(AccumulatorDepth + 1);
    public int RowIndexBits => AddressBits(Rows);

    /// <summary>Address bits for a memory of <paramref name="depth"/> words (at least 1).</summary>
    public static int AddressBits(int depth) => Math.Max(1, Log2Ceil(depth));

    /// <summary>A short stable hash of every field (named in emitted file headers and cache keys).</summary>
    public string Hash()
    {
        // The settable fields only: derived sizes follow from them.
        var json = JsonSerializer.Serialize(new
        {
            Rows, Cols, AccumulatorBits, ClockMHz, InputDepth, OutputDepth, WeightDepth, DramBits, DramBurstBeats, AccumulatorDepth, ParamDepth, FetchQueueDepth,
            DepthwiseUnit, DepthwiseMaxKernel,
        });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)))[..16];
    }

    public override string ToString() => $"{Rows}x{Cols}";
}

/// <summary>A configuration field out of range; <see cref="Field"/> names it.</summary>
public sealed class ConfigException(string field, string message) : Exception($"configuration field '{field}': {message}")
{
    public string Field { get; } = field;
}
