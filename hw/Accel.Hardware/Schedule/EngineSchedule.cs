using Accel.Hardware.Config;
using Accel.Hardware.Program;
using Accel.Model.Networks;

namespace Accel.Hardware.Schedule;

/// <summary>Predicted cost of one layer: cycles from the cost model and the ideal (MACs / array size).</summary>
public sealed record OpCost(long Cycles, long IdealCycles)
{
    public double Utilization => Cycles == 0 ? 0 : (double)IdealCycles / Cycles;
}

/// <summary>Whether a layer's time is set by the array (and pool units) or by its DRAM transfers.</summary>
public enum Bound { Compute, Memory }

/// <summary>
/// One layer on the engine: the node it computes, its tiling (output-channel tiles of Cols,
/// input groups of Rows, K*K taps; row stripes that fit the on-chip slots; weight chunks that fit
/// the weight slot), where its weights and parameters live, its DRAM traffic and its cost.
/// <see cref="Cost"/> counts the cycles from the previous layer's last compute instruction
/// finishing to this layer's last one finishing (the last layer also counts the final stores).
/// </summary>
public sealed record ScheduledOp(
    string Node,
    string Layer,
    Opcode Opcode,
    TensorPlacement Input,
    TensorPlacement Output,
    int Kernel,
    int Stride,
    int Pad,
    int OutputTiles,
    int PassesPerBand,
    int Stripes,
    int WeightChunks,
    long WeightBase,
    int ParamBase,
    long Macs)
{
    /// <summary>Predicted cycles (set by the cost model once the program is known).</summary>
    public OpCost Cost { get; init; } = new(0, 0);
    /// <summary>Cycles the compute unit is busy with this layer (sum of its compute instructions).</summary>
    public long ComputeCycles { get; init; }
    /// <summary>Cycles the busier DRAM channel is busy with this layer's transfers.</summary>
    public long MemoryCycles { get; init; }
    public long DramReadBytes { get; init; }
    public long DramWriteBytes { get; init; }
    public Bound Bound => MemoryCycles > ComputeCycles ? Bound.Memory : Bound.Compute;
    public int Instructions { get; init; }
    /// <summary>Weight words of one output tile (its passes x Rows array rows).</summary>
    public int TileWeightWords(EngineConfig c) => PassesPerBand * c.Rows;

    /// <summary>
    /// A grouped convolution on the array: per output tile, the input groups (first physical
    /// group, count) its output channels' conv groups read; null when every tile reads all.
    /// </summary>
    public IReadOnlyList<(int First, int Count)>? TileInputGroups { get; init; }

    /// <summary>The convolution's groups (1: ordinary; input channels for a depthwise layer).</summary>
    public int ConvGroups { get; init; } = 1;

    /// <summary>The input groups output tile <paramref name="tile"/> reads.</summary>
    public (int First, int Count) InputGroupsOf(int tile) => TileInputGroups?[tile] ?? (0, Input.Groups);

    /// <summary>Passes of one band of tile <paramref name="tile"/>: its input groups x K x K.</summary>
    public int PassesOf(int tile) => TileInputGroups is null ? PassesPerBand : TileInputGroups[tile].Count * Kernel * Kernel;

    /// <summary>
    /// Weight words of the layer in DRAM: per tile its passes x Rows array rows; a depthwise layer
    /// on the depthwise unit, K x K words (one per tap) per channel group.
    /// </summary>
    public long WeightWords(EngineConfig c) => Opcode == Opcode.DwConv
        ? (long)Input.Groups * Kernel * Kernel
        : Enumerable.Range(0, OutputTiles).Sum(t => (long)PassesOf(t) * c.Rows);

    /// <summary>Channel-parameter words of the layer: one per output tile, or per channel group on the depthwise unit.</summary>
    public int ParamWords => Opcode == Opcode.DwConv ? Input.Groups : OutputTiles;
}

/// <summary>
/// One instruction of the program: which layer it belongs to, its descriptor fields (waits
/// included) and its predicted duration and completion cycle.
/// </summary>
public sealed record EngineInstruction(Opcode Opcode, int Layer, IReadOnlyDictionary<string, long> Fields)
{
    public long PredictedDuration { get; init; }
    public long PredictedIssue { get; init; }
    public long PredictedCompletion { get; init; }
    /// <summary>
    /// A sparse load (dma_sparse = 1): the cycles its decoder needs after the codebook, one per
    /// word or the word's entry beats if more (<see cref="Program.SparseWeightStream.DecodeCycles"/>).
    /// The stream depends on the weights, so the host sets it with the patch; the cost model reads it.
    /// </summary>
    public long SparseDecodeCycles { get; init; }
    public Unit Unit => Opcode.UnitOf();
    /// <summary>DRAM bytes moved (loads and stores).</summary>
    public long DramBytes => Opcode is Opcode.Load or Opcode.Store
        ? Fields["dma_chunks"] * Fields["dma_chunk_words"] * DramWordBytes : 0;
    internal int DramWordBytes { get; init; }
}

/// <summary>
/// The compiled schedule (the IR between the network and the RTL): the resolved configuration,
/// every tensor's place in DRAM, the layers with their tiling, the instruction stream and its
/// predicted timing under <see cref="Memory"/>.
/// </summary>
public sealed record EngineSchedule(
    EngineConfig Config,
    MemoryModel Memory,
    string NetworkName,
    string InputTensor,
    IReadOnlyList<Node> Nodes,
    IReadOnlyDictionary<string, TensorPlacement> Tensors,
    IReadOnlyList<ScheduledOp> Ops,
    IReadOnlyList<EngineInstruction> Instructions,
    long TensorWords,
    long WeightWords,
    int ParamWords,
    long PredictedCycles)
{
    public long IdealCycles => Ops.Sum(o => o.Cost.IdealCycles);
    public long Macs => Ops.Sum(o => o.Macs);
    public InstructionFormat Format => new(Config);
    /// <summary>Bytes of DRAM the schedule uses: tensors, then weights, then the program.</summary>
    public long DramBytes => ProgramDramBase + ProgramBytes;
    public long WeightDramBase => TensorWords;
    /// <summary>
    /// Byte address of the program (its instructions, then END) in DRAM: after the weights, on a
    /// 4 KiB boundary, so the fetch unit's bursts (at most 4 KiB, a power of two) never cross one,
    /// as AXI requires.
    /// </summary>
    public long ProgramDramBase => ProgramPlacement(Config, TensorWords + WeightWords);
    public long ProgramBytes => (Instructions.Count + 1L) * Format.DramBytes;

    public const int ProgramAlignment = 4096;

    public static long ProgramPlacement(EngineConfig c, long dataWords) =>
        (dataWords * c.DramWordBytes + ProgramAlignment - 1) / ProgramAlignment * ProgramAlignment;
    /// <summary>
    /// The same program timed again knowing which passes the engine skips (their weights are all
    /// zero): predictions per instruction, per layer and in total.
    /// </summary>
    public EngineSchedule Retimed(ZeroPasses zeroPasses)
    {
        var (timed, costed, total) = CostModel.Simulate(Config, Memory, Instructions, Ops, zeroPasses);
        return this with { Instructions = timed, Ops = costed, PredictedCycles = total };
    }

    public long DramReadBytes => Ops.Sum(o => o.DramReadBytes);
    public long DramWriteBytes => Ops.Sum(o => o.DramWriteBytes);
}
