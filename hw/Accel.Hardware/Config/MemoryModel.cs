namespace Accel.Hardware.Config;

/// <summary>
/// Timing of the DRAM behind the engine's port, used by the simulation harness and the cost
/// model (the port's width is <see cref="EngineConfig.DramBits"/>). The defaults model a PYNQ-Z2
/// design at 100 MHz on one Zynq-7000 AXI HP port: 64 bits per cycle in each direction
/// (800 MB/s read and 800 MB/s write, independent AXI channels; the board's 16-bit DDR3-1050
/// peaks at 4.2 GB/s, so the port, not the DRAM, is the bound), about 32 cycles from a read
/// request to its first beat, 16 cycles from a write beat to its response, and up to 8 read
/// bursts in flight.
/// </summary>
public sealed record MemoryModel
{
    /// <summary>Cycles from an accepted read request to its first data beat.</summary>
    public int ReadLatency { get; init; } = 32;
    /// <summary>Cycles from an accepted write beat to its acknowledgement.</summary>
    public int WriteLatency { get; init; } = 16;
    /// <summary>Beats per cycle each channel sustains (1 = the port's full width every cycle).</summary>
    public double BeatsPerCycle { get; init; } = 1.0;
    /// <summary>Read bursts the memory accepts before the previous ones have returned their data.</summary>
    public int MaxOutstandingReads { get; init; } = 8;

    public static MemoryModel PynqZ2HpPort { get; } = new();

    public MemoryModel Validate()
    {
        if (ReadLatency < 1 || ReadLatency > 100_000) throw new ConfigException("dramReadLatency", $"must be in 1..100000 cycles, got {ReadLatency}");
        if (WriteLatency < 1 || WriteLatency > 100_000) throw new ConfigException("dramWriteLatency", $"must be in 1..100000 cycles, got {WriteLatency}");
        if (!(BeatsPerCycle > 0 && BeatsPerCycle <= 1)) throw new ConfigException("dramBeatsPerCycle", $"must be in (0, 1], got {BeatsPerCycle}");
        if (MaxOutstandingReads < 1 || MaxOutstandingReads > 64) throw new ConfigException("dramOutstandingReads", $"must be in 1..64, got {MaxOutstandingReads}");
        return this;
    }

    /// <summary>Bytes per second per direction at <paramref name="config"/>'s clock and port width.</summary>
    public double BytesPerSecond(EngineConfig config) => config.DramBits / 8.0 * BeatsPerCycle * config.ClockMHz * 1e6;
}
