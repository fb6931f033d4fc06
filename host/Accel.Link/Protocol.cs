namespace Accel.Link;

/// <summary>Constants of the board-link protocol, version 1 (docs/protocol.md).</summary>
public static class Protocol
{
    public const byte Version = 1;

    /// <summary>Frame delimiter: every frame starts and ends with it; a receiver resynchronises on it.</summary>
    public const byte Flag = 0x7E;

    /// <summary>Escape: a body byte 0x7E or 0x7D is sent as Escape, byte ^ EscapeXor.</summary>
    public const byte Escape = 0x7D;

    public const byte EscapeXor = 0x20;

    /// <summary>Largest payload of one frame in v1.</summary>
    public const int MaxPayload = 1024;

    /// <summary>cmd u8, flags u8, seq u16, len u16.</summary>
    public const int HeaderBytes = 6;

    /// <summary>CRC-32 after the payload.</summary>
    public const int CrcBytes = 4;

    /// <summary>Smallest body: header and CRC, no payload.</summary>
    public const int MinBodyBytes = HeaderBytes + CrcBytes;

    /// <summary>Largest body the receiver accepts (header, MaxPayload bytes, CRC): 1034.</summary>
    public const int MaxBodyBytes = HeaderBytes + MaxPayload + CrcBytes;

    /// <summary>Largest frame on the wire: two flags and a body whose every byte is escaped.</summary>
    public const int MaxEncodedBytes = 2 + 2 * MaxBodyBytes;

    /// <summary>WRITE_MEM payload: address u32, then data.</summary>
    public const int MaxWriteData = MaxPayload - 4;

    /// <summary>READ_MEM count: the response carries the status byte and the data.</summary>
    public const int MaxReadData = MaxPayload - 1;

    /// <summary>WRITE_PARAM payload: index u16, then the parameter word.</summary>
    public const int MaxParameterWordBytes = MaxPayload - 2;

    /// <summary>Counters COUNTERS returns in v1 (CounterId).</summary>
    public const int CounterCount = 11;
}

/// <summary>Request commands (a response carries the same value).</summary>
public enum Command : byte
{
    Hello = 0x01,
    Reset = 0x02,
    WriteMemory = 0x03,
    ReadMemory = 0x04,
    WriteRegister = 0x05,
    ReadRegister = 0x06,
    WriteParameter = 0x07,
    Start = 0x08,
    Status = 0x09,
    Counters = 0x0A,
}

[Flags]
public enum FrameFlags : byte
{
    None = 0,
    Response = 1,
    Error = 2,
}

/// <summary>First payload byte of every response.</summary>
public enum ResponseStatus : byte
{
    Ok = 0,
    BadCommand = 1,
    BadArgument = 2,
    Busy = 3,
    BadLength = 4,
}

/// <summary>Engine state reported by STATUS.</summary>
public enum EngineState : byte
{
    Idle = 0,
    Running = 1,
    Done = 2,
    Error = 3,
}

/// <summary>Engine registers (WRITE_REG / READ_REG): 0 and 1 as docs/engine.md "Ports" numbers them, 2 the host tag.</summary>
public static class Registers
{
    /// <summary>The program's DRAM byte address.</summary>
    public const ushort ProgramAddress = 0;

    /// <summary>The program's length in bytes.</summary>
    public const ushort ProgramBytes = 1;

    /// <summary>
    /// A scratch value the host writes after loading a model; the engine ignores it and every
    /// reset (pin or RESET) clears it, so a host that reads back something else knows the board
    /// was reset and must load the model again.
    /// </summary>
    public const ushort HostTag = 2;

    public const int Count = 3;
}

/// <summary>The u64 counters COUNTERS returns, in wire order (a count byte first, so v2 can append).</summary>
public enum CounterId
{
    Cycles = 0,
    ActiveCycles = 1,
    LoadsCompleted = 2,
    ComputesCompleted = 3,
    StoresCompleted = 4,
    DramReadBeats = 5,
    DramWriteBeats = 6,
    FramesReceived = 7,
    FramesDropped = 8,
    Duplicates = 9,
    /// <summary>Cycles the engine ran, START to done: a run's own time, apart from the link's.</summary>
    EngineCycles = 10,
}
