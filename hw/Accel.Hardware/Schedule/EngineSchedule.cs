using Accel.Hardware.Config;
using Accel.Hardware.Program;
using Accel.Model.Networks;

namespace Accel.Hardware.Schedule;

/// <summary>Predicted cost of one operation: cycles from the cost model and the ideal (MACs / array size).</summary>
public sealed record OpCost(long Cycles, long IdealCycles)
{
    public double Utilization => Cycles == 0 ? 0 : (double)IdealCycles / Cycles;
}

/// <summary>
/// One engine instruction: the node it computes, its descriptor fields, its tiling and its cost.
/// Convolutions carry their tiling (output-channel tiles, row bands, passes per band).
/// </summary>
public sealed record ScheduledOp(
    string Node,
    string Layer,
    Opcode Opcode,
    TensorPlacement Input,
    TensorPlacement Output,
    IReadOnlyDictionary<string, long> Fields,
    long Macs,
    OpCost Cost)
{
    public int OutputTiles => (int)Fields.GetValueOrDefault("oc_tiles", 0);
    public int Bands => (int)Fields.GetValueOrDefault("bands", 0);
    public int BandRows => (int)Fields.GetValueOrDefault("band_rows", 0);
    public int PassesPerBand => (int)Fields.GetValueOrDefault("passes_per_band", 0);
    public int WeightBase => (int)Fields.GetValueOrDefault("wgt_base", 0);
    public int ParamBase => (int)Fields.GetValueOrDefault("par_base", 0);
}

/// <summary>
/// The compiled schedule (the IR between the network and the RTL): the resolved configuration,
/// every tensor's placement, the instruction list and the buffer sizes it needs.
/// </summary>
public sealed record EngineSchedule(
    EngineConfig Config,
    string NetworkName,
    string InputTensor,
    IReadOnlyList<Node> Nodes,
    IReadOnlyDictionary<string, TensorPlacement> Tensors,
    IReadOnlyList<ScheduledOp> Ops,
    int ActivationWords,
    int WeightWords,
    int ParamWords)
{
    public long PredictedCycles => Ops.Sum(o => o.Cost.Cycles) + CostModel.ProgramOverhead;
    public long IdealCycles => Ops.Sum(o => o.Cost.IdealCycles);
    public long Macs => Ops.Sum(o => o.Macs);
    public InstructionFormat Format => new(Config);
}
