using System.Buffers.Binary;
using System.Text;

namespace Accel.Cosim.Verilator;

/// <summary>The memory a host write goes to (host_wr_mem_i).</summary>
public enum HostMemory : byte
{
    /// <summary>The engine's registers: 0 the program's DRAM byte address, 1 its length in bytes.</summary>
    Registers = 0,
    ChannelParams = 1,
}

/// <summary>Command opcodes of the stimulus file.</summary>
public enum StimulusOpcode : byte
{
    End = 0x00,
    Write = 0x01,
    Run = 0x02,
    DramWrite = 0x04,
    DramRead = 0x05,
    DramSize = 0x06,
}

/// <summary>
/// Writes the testbench's stimulus file: magic "ACCSTIM2", u32 hostWordBytes, then commands, all
/// little-endian. Nothing is buffered beyond the stream's own buffering, so large weight loads
/// stream straight to disk. Call <see cref="End"/> last; a file without it is rejected by the
/// testbench as truncated.
/// </summary>
public sealed class StimulusWriter : IDisposable
{
    public static ReadOnlySpan<byte> Magic => "ACCSTIM2"u8;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly List<uint> _readByteCounts = [];
    private ulong _dramSize;
    private bool _ended;
    private bool _disposed;

    public StimulusWriter(Stream stream, int hostWordBytes, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hostWordBytes);
        _stream = stream;
        _leaveOpen = leaveOpen;
        HostWordBytes = hostWordBytes;
        _stream.Write(Magic);
        WriteUInt32((uint)hostWordBytes);
    }

    /// <summary>Creates (or overwrites) a stimulus file.</summary>
    public static StimulusWriter Create(string path, int hostWordBytes) =>
        new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16), hostWordBytes);

    /// <summary>Bytes per host word: ACCEL_HOST_BITS / 8 of the build the file is for.</summary>
    public int HostWordBytes { get; }

    /// <summary>Word counts of the READ commands so far, in order: how the output file splits.</summary>
    /// <summary>Byte counts of the DRAM_READ commands so far, in order (the output file's sections).</summary>
    public IReadOnlyList<uint> ReadByteCounts => _readByteCounts;

    /// <summary>WRITE: consecutive host words starting at word address <paramref name="address"/>.</summary>
    public void Write(HostMemory memory, uint address, ReadOnlySpan<byte> words)
    {
        EnsureOpen();
        if (!Enum.IsDefined(memory)) throw new ArgumentOutOfRangeException(nameof(memory), memory, "not a host memory");
        if (words.Length % HostWordBytes != 0)
            throw new ArgumentException($"{words.Length} bytes is not a whole number of {HostWordBytes}-byte host words", nameof(words));
        uint count = (uint)(words.Length / HostWordBytes);
        CheckAddressRange(address, count);
        _stream.WriteByte((byte)StimulusOpcode.Write);
        _stream.WriteByte((byte)memory);
        WriteUInt32(address);
        WriteUInt32(count);
        _stream.Write(words);
    }

    /// <summary>RUN: pulse start_i and clock until done_o, failing the simulation after <paramref name="maxCycles"/>.</summary>
    public void Run(ulong maxCycles)
    {
        EnsureOpen();
        ArgumentOutOfRangeException.ThrowIfZero(maxCycles);
        _stream.WriteByte((byte)StimulusOpcode.Run);
        Span<byte> buffer = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(buffer, maxCycles);
        _stream.Write(buffer);
    }

    /// <summary>READ: activation words address..address+count-1, appended to the output file.</summary>
    /// <summary>Sizes (and zero-fills) the DRAM; must precede DRAM_WRITE and DRAM_READ.</summary>
    public void DramSize(ulong bytes)
    {
        EnsureOpen();
        _stream.WriteByte((byte)StimulusOpcode.DramSize);
        WriteUInt64(bytes);
        _dramSize = bytes;
    }

    /// <summary>Puts <paramref name="bytes"/> into DRAM at <paramref name="address"/> (before a run: no engine cycles).</summary>
    public void DramWrite(ulong address, ReadOnlySpan<byte> bytes)
    {
        EnsureOpen();
        CheckDram(address, (ulong)bytes.Length);
        _stream.WriteByte((byte)StimulusOpcode.DramWrite);
        WriteUInt64(address);
        WriteUInt32((uint)bytes.Length);
        _stream.Write(bytes);
    }

    /// <summary>Copies <paramref name="count"/> DRAM bytes from <paramref name="address"/> to the output file.</summary>
    public void DramRead(ulong address, uint count)
    {
        EnsureOpen();
        CheckDram(address, count);
        _stream.WriteByte((byte)StimulusOpcode.DramRead);
        WriteUInt64(address);
        WriteUInt32(count);
        _readByteCounts.Add(count);
    }

    private void CheckDram(ulong address, ulong count)
    {
        if (count > _dramSize || address > _dramSize - count)
            throw new ArgumentOutOfRangeException(nameof(address), $"DRAM bytes {address}+{count} pass the end of the {_dramSize}-byte DRAM (DramSize first)");
    }

    private void WriteUInt64(ulong value)
    {
        Span<byte> buffer = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(buffer, value);
        _stream.Write(buffer);
    }

    public void End()
    {
        EnsureOpen();
        _stream.WriteByte((byte)StimulusOpcode.End);
        _stream.Flush();
        _ended = true;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_leaveOpen) _stream.Dispose();
    }

    private void EnsureOpen()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_ended) throw new InvalidOperationException("the stimulus already ended");
    }

    private static void CheckAddressRange(uint address, uint count)
    {
        if (count > 0 && address + (ulong)count - 1 > uint.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(address), $"words {address}+{count} pass the end of the 32-bit address space");
    }

    private void WriteUInt32(uint value)
    {
        Span<byte> buffer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, value);
        _stream.Write(buffer);
    }
}

/// <summary>One command of a stimulus file, as <see cref="StimulusReader"/> finds it.</summary>
/// <param name="Offset">Byte offset of the opcode in the file.</param>
/// <param name="PayloadOffset">For WRITE, the byte offset of the first data word.</param>
public sealed record StimulusCommand(
    StimulusOpcode Opcode, long Offset, HostMemory Memory = 0, ulong Address = 0, uint Count = 0, ulong MaxCycles = 0, long PayloadOffset = 0);

/// <summary>
/// Lists the commands of a stimulus file without loading WRITE payloads (they are skipped by
/// seeking). Used to split the output file by READ and to inspect stimulus in tests.
/// </summary>
public static class StimulusReader
{
    /// <summary>Reads the header and the commands up to and including END.</summary>
    /// <exception cref="CosimException">The file is malformed; the message names the byte offset.</exception>
    public static (int HostWordBytes, IReadOnlyList<StimulusCommand> Commands) ReadCommands(Stream stream)
    {
        var reader = new FieldReader(stream);
        Span<byte> magic = stackalloc byte[8];
        reader.Bytes(magic, "magic");
        if (!magic.SequenceEqual(StimulusWriter.Magic))
            throw new CosimException($"stimulus: bad magic at byte offset 0: {Encoding.ASCII.GetString(magic)}");
        int hostWordBytes = (int)reader.UInt32("hostWordBytes");
        var commands = new List<StimulusCommand>();
        while (true)
        {
            long offset = reader.Offset;
            var opcode = (StimulusOpcode)reader.Byte("opcode");
            switch (opcode)
            {
                case StimulusOpcode.End:
                    commands.Add(new StimulusCommand(opcode, offset));
                    return (hostWordBytes, commands);
                case StimulusOpcode.Write:
                {
                    var memory = (HostMemory)reader.Byte("WRITE mem");
                    uint address = reader.UInt32("WRITE addr");
                    uint count = reader.UInt32("WRITE count");
                    long payload = reader.Offset;
                    reader.Skip((long)count * hostWordBytes, "WRITE payload");
                    commands.Add(new StimulusCommand(opcode, offset, memory, address, count, PayloadOffset: payload));
                    break;
                }
                case StimulusOpcode.Run:
                    commands.Add(new StimulusCommand(opcode, offset, MaxCycles: reader.UInt64("RUN maxCycles")));
                    break;
                case StimulusOpcode.DramSize:
                    commands.Add(new StimulusCommand(opcode, offset, Address: reader.UInt64("DRAM_SIZE bytes")));
                    break;
                case StimulusOpcode.DramWrite:
                {
                    ulong address = reader.UInt64("DRAM_WRITE addr");
                    uint count = reader.UInt32("DRAM_WRITE count");
                    long payload = reader.Offset;
                    reader.Skip(count, "DRAM_WRITE payload");
                    commands.Add(new StimulusCommand(opcode, offset, Address: address, Count: count, PayloadOffset: payload));
                    break;
                }
                case StimulusOpcode.DramRead:
                {
                    ulong address = reader.UInt64("DRAM_READ addr");
                    commands.Add(new StimulusCommand(opcode, offset, Address: address, Count: reader.UInt32("DRAM_READ count")));
                    break;
                }
                default:
                    throw new CosimException($"stimulus: unknown opcode 0x{(byte)opcode:x2} at byte offset {offset}");
            }
        }
    }

    public static (int HostWordBytes, IReadOnlyList<StimulusCommand> Commands) ReadCommands(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return ReadCommands(stream);
    }

    /// <summary>The word counts of the READ commands, in order.</summary>
    public static IReadOnlyList<uint> ReadByteCounts(string path) =>
        [.. ReadCommands(path).Commands.Where(c => c.Opcode == StimulusOpcode.DramRead).Select(c => c.Count)];

    private sealed class FieldReader(Stream stream)
    {
        public long Offset { get; private set; }

        public void Bytes(Span<byte> destination, string what)
        {
            int read = stream.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
            if (read < destination.Length) throw Truncated(what, destination.Length, read);
            Offset += read;
        }

        public byte Byte(string what)
        {
            Span<byte> b = stackalloc byte[1];
            Bytes(b, what);
            return b[0];
        }

        public uint UInt32(string what)
        {
            Span<byte> b = stackalloc byte[4];
            Bytes(b, what);
            return BinaryPrimitives.ReadUInt32LittleEndian(b);
        }

        public ulong UInt64(string what)
        {
            Span<byte> b = stackalloc byte[8];
            Bytes(b, what);
            return BinaryPrimitives.ReadUInt64LittleEndian(b);
        }

        public void Skip(long count, string what)
        {
            long left = stream.Length - stream.Position;
            if (count > left) throw Truncated(what, count, left);
            stream.Seek(count, SeekOrigin.Current);
            Offset += count;
        }

        private CosimException Truncated(string what, long needed, long left) =>
            new($"stimulus truncated at byte offset {Offset}: {what} needs {needed} bytes, {left} left");
    }
}
