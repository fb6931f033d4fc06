using Accel.Hardware.Config;

namespace Accel.Synthesis.Exploration;

/// <summary>
/// One point of the design space: a square array of <see cref="Size"/> x <see cref="Size"/> PEs
/// and the on-chip buffer depths the exploration varies: the accumulator bank depth (output
/// pixels) and the input, output and weight buffer depths (words, two slots each). The
/// channel-parameter buffer is not free: the schedule sizes it (one word per output-channel
/// tile). The program lives in DRAM and costs no buffer.
/// </summary>
public sealed record DesignPoint(int Size, int AccumulatorDepth, int InputDepth, int OutputDepth, int WeightDepth)
{
    public const int MinSize = EngineConfig.MinDimension, MaxSize = EngineConfig.MaxDimension;
    private static readonly EngineConfig Defaults = new();
    public static int DefaultAccumulatorDepth { get; } = Defaults.AccumulatorDepth;
    public static int DefaultInputDepth { get; } = Defaults.InputDepth;
    public static int DefaultOutputDepth { get; } = Defaults.OutputDepth;
    public static int DefaultWeightDepth { get; } = Defaults.WeightDepth;

    /// <summary>An R x R array with every buffer at its default depth (EngineConfig's).</summary>
    public DesignPoint(int size) : this(size, DefaultAccumulatorDepth) { }

    /// <summary>An R x R array with the given accumulator depth and the default input, output and weight buffers.</summary>
    public DesignPoint(int size, int accumulatorDepth) : this(size, accumulatorDepth, DefaultInputDepth, DefaultOutputDepth, DefaultWeightDepth) { }

    /// <summary>An R x R array with the buffer depths of <paramref name="config"/>.</summary>
    public static DesignPoint At(int size, EngineConfig config) =>
        new(size, config.AccumulatorDepth, config.InputDepth, config.OutputDepth, config.WeightDepth);

    /// <summary>True when the input, output and weight buffers have the depths of <paramref name="config"/>.</summary>
    public bool HasBufferDepthsOf(EngineConfig config) =>
        InputDepth == config.InputDepth && OutputDepth == config.OutputDepth && WeightDepth == config.WeightDepth;

    public override string ToString() =>
        $"{Size}x{Size}, accumulator {AccumulatorDepth}, input {InputDepth}, output {OutputDepth}, weights {WeightDepth}";

    /// <summary>
    /// The one mapping from a design point to an engine configuration: the array size and the
    /// four buffer depths over <paramref name="baseConfig"/> (default: the record's defaults; the
    /// fields not explored, such as the clock and the DRAM port, come from it). The parameter and
    /// program depths stay null, so the schedule sizes them. When EngineConfig's buffer fields
    /// change, this is the function to update.
    /// </summary>
    public EngineConfig ToConfig(EngineConfig? baseConfig = null) => (baseConfig ?? new EngineConfig()) with
    {
        Rows = Size,
        Cols = Size,
        AccumulatorDepth = AccumulatorDepth,
        InputDepth = InputDepth,
        OutputDepth = OutputDepth,
        WeightDepth = WeightDepth,
        ParamDepth = null,
    };
}
