using Accel.Hardware.Config;

namespace Accel.Hardware.Board;

/// <summary>
/// What the board around the engine is: its clock, the UART's baud rate, the DRAM size HELLO
/// reports and the frame slots of its receiver (HELLO's window). The UART divider is a generation-time constant, so a board file is generated per
/// clock and baud. Checked by <see cref="Validate"/>, which names the field at fault.
/// </summary>
public sealed record BoardConfig
{
    /// <summary>Most a UART bit may be off the nominal baud rate: 8N1 samples mid-bit, so 2 % over ten bits stays well inside.</summary>
    public const double MaxBaudError = 0.02;

    /// <summary>Fewest clocks per bit the receiver's mid-bit sampling works with.</summary>
    public const int MinClocksPerBit = 4;

    public long ClockHz { get; init; } = 100_000_000;
    public long Baud { get; init; } = 3_000_000;
    /// <summary>DRAM bytes HELLO reports; the host refuses a model that does not fit. At most 2^32 - 1 (a u32 on the wire).</summary>
    public long DramBytes { get; init; } = 64L << 20;
    /// <summary>
    /// Received frames the board can hold before executing them (1 KiB of payload each), reported
    /// as HELLO's window: a host keeps up to this many requests in flight, so the line does not
    /// idle through the host's turnaround. 1, 2, 4 or 8 (a power of two: the slot is the top of the
    /// body RAM's address).
    /// </summary>
    public int FrameSlots { get; init; } = 4;

    /// <summary>Clocks per UART bit: ClockHz / Baud rounded to the nearest integer.</summary>
    public int ClocksPerBit => Baud <= 0 ? 0 : (int)Math.Min(int.MaxValue, (ClockHz + Baud / 2) / Baud);

    /// <summary>The rate the divider really gives, relative to <see cref="Baud"/> (0 = exact).</summary>
    public double BaudError => ClocksPerBit == 0 ? double.PositiveInfinity : Math.Abs((double)ClockHz / ClocksPerBit - Baud) / Baud;

    /// <summary>The emulator's fast UART: 4 clocks per bit at the default 100 MHz.</summary>
    public static BoardConfig Emulated => new() { Baud = 25_000_000 };

    /// <summary>Checks every field; throws <see cref="ConfigException"/> naming the one at fault.</summary>
    public BoardConfig Validate()
    {
        if (ClockHz < 1_000_000 || ClockHz > 1_000_000_000) throw new ConfigException("clockHz", $"must be in 1 MHz..1 GHz, got {ClockHz}");
        if (Baud <= 0) throw new ConfigException("baud", $"must be positive, got {Baud}");
        if (ClocksPerBit < MinClocksPerBit)
            throw new ConfigException("baud", $"{Baud} baud at {ClockHz} Hz gives {ClocksPerBit} clocks per bit; the receiver needs at least {MinClocksPerBit} (baud <= {ClockHz / MinClocksPerBit})");
        if (ClocksPerBit > 1 << 20) throw new ConfigException("baud", $"{Baud} baud at {ClockHz} Hz gives {ClocksPerBit} clocks per bit; at most {1 << 20}");
        if (BaudError > MaxBaudError)
            throw new ConfigException("baud", $"{ClockHz} Hz / {ClocksPerBit} clocks per bit = {(double)ClockHz / ClocksPerBit:F0} baud, {BaudError:P1} off {Baud}; at most {MaxBaudError:P0}");
        if (DramBytes < 1024 || DramBytes > uint.MaxValue) throw new ConfigException("dramBytes", $"must be in 1 KiB..2^32 - 1 (HELLO reports a u32), got {DramBytes}");
        if (FrameSlots is not (1 or 2 or 4 or 8)) throw new ConfigException("frameSlots", $"must be 1, 2, 4 or 8, got {FrameSlots}");
        return this;
    }
}
