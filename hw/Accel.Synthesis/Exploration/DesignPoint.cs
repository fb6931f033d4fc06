using Accel.Hardware.Config;

namespace Accel.Synthesis.Exploration;

/// <summary>
/// One point of the design space: a square array of <see cref="Size"/> x <see cref="Size"/> PEs
/// and the buffer sizes the exploration varies. Today the only free buffer size is the
/// accumulator bank depth; the activation, weight, parameter and program buffers are sized by
/// the schedule (on-chip copies of every tensor and weight).
/// </summary>
public sealed record DesignPoint(int Size, int AccumulatorDepth)
{
    public const int MinSize = EngineConfig.MinDimension, MaxSize = EngineConfig.MaxDimension;
    public static int DefaultAccumulatorDepth { get; } = new EngineConfig().AccumulatorDepth;

    public DesignPoint(int size) : this(size, DefaultAccumulatorDepth) { }

    public override string ToString() => $"{Size}x{Size}, accumulator {AccumulatorDepth}";

    /// <summary>
    /// The one mapping from a design point to an engine configuration: the array size and the
    /// accumulator depth over <paramref name="baseConfig"/> (default: the record's defaults, whose
    /// buffer depths are null, so the schedule sizes them). When EngineConfig's buffer fields
    /// change, this is the function to update.
    /// </summary>
    public EngineConfig ToConfig(EngineConfig? baseConfig = null) => (baseConfig ?? new EngineConfig()) with
    {
        Rows = Size,
        Cols = Size,
        AccumulatorDepth = AccumulatorDepth,
    };
}
