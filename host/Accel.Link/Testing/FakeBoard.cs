using System.Buffers.Binary;

namespace Accel.Link.Testing;

/// <summary>The board a <see cref="FakeBoard"/> models.</summary>
public sealed record FakeBoardOptions(int Rows = 16, int Cols = 16, uint DramBytes = 1 << 20, int ParameterDepth = 64)
{
    /// <summary>The engine configuration's 8-byte hash (EngineConfig.Hash(), 16 hex digits), reported by HELLO.</summary>
    public string ConfigHash { get; init; } = "0000000000000000";

    /// <summary>Requests the board buffers (its frame slots), reported by HELLO: how many WRITE_MEM requests a host may pipeline.</summary>
    public int Window { get; init; } = 1;

    /// <summary>Bytes of one channel-parameter word: cols 32-bit biases and cols (M 16-bit, S 6-bit) pairs, at least 128 bits (docs/engine.md "Ports").</summary>
    public int ParameterWordBytes => Math.Max(16, (Cols * (32 + 16 + 6) + 7) / 8);
}

/// <summary>What the engine attached to a <see cref="FakeBoard"/> reports for one START.</summary>
public sealed record EngineRun(ulong Cycles, ulong ActiveCycles = 0, ulong Loads = 0, ulong Computes = 0, ulong Stores = 0,
    ulong DramReadBeats = 0, ulong DramWriteBeats = 0, bool Failed = false)
{
    /// <summary>STATUS polls that still report Running before the run shows as done.</summary>
    public int PollsUntilDone { get; init; }
}

/// <summary>
/// The board side of the protocol in C#: the executable reference the board's frame parser and
/// command engine are tested against. <see cref="Receive"/> maps received bytes to the bytes the
/// board sends back; <see cref="RunAsync"/> serves a stream with it. It holds a DRAM array, the
/// engine registers, the channel-parameter words and the last request's seq, CRC and response: a
/// request with the same seq and CRC as the last one executed is answered again from that
/// response without being executed. The engine itself is a delegate (<see cref="Engine"/>): a board
/// without one answers START with "bad command".
/// </summary>
public sealed class FakeBoard
{
    private readonly Stream? stream;
    private readonly FrameDecoder decoder = new();
    private readonly uint[] registers = new uint[Registers.Count];
    private readonly byte[][] parameters;
    private bool haveLast;
    private ushort lastSequence;
    private uint lastCrc;
    private byte[] lastResponse = [];
    private EngineRun? run;
    private int pollsLeft;

    public FakeBoard(FakeBoardOptions options, Stream? stream = null)
    {
        if (options.ConfigHash.Length != 16) throw new ArgumentException($"config hash '{options.ConfigHash}' is not 16 hex digits");
        if (options.Window is < 1 or > 255) throw new ArgumentException($"window {options.Window} is outside 1..255");
        Options = options;
        this.stream = stream;
        Dram = new byte[options.DramBytes];
        parameters = new byte[options.ParameterDepth][];
        for (int i = 0; i < parameters.Length; i++) parameters[i] = new byte[options.ParameterWordBytes];
    }

    public FakeBoardOptions Options { get; }

    public byte[] Dram { get; }

    public Func<FakeBoard, EngineRun>? Engine { get; set; }

    /// <summary>Called with a line for every frame received and dropped (for debugging).</summary>
    public Action<string>? Trace { get; set; }

    public FrameDecoder Decoder => decoder;

    public EngineState State { get; private set; } = EngineState.Idle;

    /// <summary>Requests executed (duplicates answered from the cache are not).</summary>
    public long Executed { get; private set; }

    public long ExecutedOf(Command command) => executedBy.TryGetValue(command, out var n) ? n : 0;

    public long Duplicates { get; private set; }

    /// <summary>Frames with the response flag set (the board never acts on them).</summary>
    public long IgnoredResponses { get; private set; }

    public ulong[] Counters { get; } = new ulong[Protocol.CounterCount];

    public uint Register(ushort index) => registers[index];

    public ReadOnlySpan<byte> Parameter(int index) => parameters[index];

    private readonly Dictionary<Command, long> executedBy = [];

    /// <summary>Feeds received bytes; returns the bytes the board sends in answer (possibly none).</summary>
    public byte[] Receive(ReadOnlySpan<byte> bytes)
    {
        var output = new List<byte>();
        foreach (byte b in bytes)
        {
            long drops = decoder.TotalDropped;
            if (decoder.Push(b) is { } frame)
            {
                Trace?.Invoke($"got {frame}");
                output.AddRange(Answer(frame));
            }
            else if (decoder.TotalDropped != drops)
            {
                Trace?.Invoke($"dropped a frame ({decoder.LastDrop})");
            }
        }
        return output.ToArray();
    }

    /// <summary>Serves the stream until it ends or <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        if (stream is null) throw new InvalidOperationException("this board has no stream");
        var buffer = new byte[4096];
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                int n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (n == 0) return;
                var reply = Receive(buffer.AsSpan(0, n));
                if (reply.Length > 0)
                {
                    await stream.WriteAsync(reply, cancellationToken).ConfigureAwait(false);
                    await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
        catch (IOException) { }
    }

    private byte[] Answer(Frame request)
    {
        if (request.IsResponse)
        {
            IgnoredResponses++;
            return [];
        }
        uint crc = Crc32.Compute(FrameEncoder.Body(request).AsSpan(0, request.BodyBytes - Protocol.CrcBytes));
        if (haveLast && request.Sequence == lastSequence && crc == lastCrc)
        {
            Duplicates++;
            return lastResponse;
        }
        var (status, data) = Execute(request);
        Executed++;
        executedBy[request.Command] = ExecutedOf(request.Command) + 1;
        var response = FrameEncoder.Encode(Frame.Response(request.Command, request.Sequence, status, data));
        if (request.Command == Command.Reset && status == ResponseStatus.Ok)
        {
            haveLast = false; // a fresh board: no last request
            return response;
        }
        haveLast = true;
        lastSequence = request.Sequence;
        lastCrc = crc;
        lastResponse = response;
        return response;
    }

    private (ResponseStatus, byte[]) Execute(Frame request)
    {
        var p = request.Payload.AsSpan();
        bool busy = State == EngineState.Running;
        switch (request.Command)
        {
            case Command.Hello:
            {
                if (p.Length != 0) return (ResponseStatus.BadLength, []);
                var data = new byte[18];
                data[0] = Protocol.Version;
                data[1] = (byte)Options.Rows;
                data[2] = (byte)Options.Cols;
                BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(3), Protocol.MaxPayload);
                data[5] = (byte)Options.Window;
                BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(6), Options.DramBytes);
                Convert.FromHexString(Options.ConfigHash).CopyTo(data, 10);
                return (ResponseStatus.Ok, data);
            }
            case Command.Reset:
                if (p.Length != 0) return (ResponseStatus.BadLength, []);
                ClearState();
                return (ResponseStatus.Ok, []);
            case Command.WriteMemory:
            {
                if (p.Length < 5) return (ResponseStatus.BadLength, []);
                uint address = BinaryPrimitives.ReadUInt32LittleEndian(p);
                var data = p[4..];
                if ((ulong)address + (ulong)data.Length > Options.DramBytes) return (ResponseStatus.BadArgument, []);
                if (busy) return (ResponseStatus.Busy, []);
                data.CopyTo(Dram.AsSpan((int)address));
                return (ResponseStatus.Ok, []);
            }
            case Command.ReadMemory:
            {
                if (p.Length != 6) return (ResponseStatus.BadLength, []);
                uint address = BinaryPrimitives.ReadUInt32LittleEndian(p);
                int count = BinaryPrimitives.ReadUInt16LittleEndian(p[4..]);
                if (count == 0 || count > Protocol.MaxReadData) return (ResponseStatus.BadLength, []);
                if ((ulong)address + (ulong)count > Options.DramBytes) return (ResponseStatus.BadArgument, []);
                return (ResponseStatus.Ok, Dram.AsSpan((int)address, count).ToArray());
            }
            case Command.WriteRegister:
            {
                if (p.Length != 6) return (ResponseStatus.BadLength, []);
                ushort index = BinaryPrimitives.ReadUInt16LittleEndian(p);
                if (index >= Registers.Count) return (ResponseStatus.BadArgument, []);
                if (busy) return (ResponseStatus.Busy, []);
                registers[index] = BinaryPrimitives.ReadUInt32LittleEndian(p[2..]);
                return (ResponseStatus.Ok, []);
            }
            case Command.ReadRegister:
            {
                if (p.Length != 2) return (ResponseStatus.BadLength, []);
                ushort index = BinaryPrimitives.ReadUInt16LittleEndian(p);
                if (index >= Registers.Count) return (ResponseStatus.BadArgument, []);
                var data = new byte[4];
                BinaryPrimitives.WriteUInt32LittleEndian(data, registers[index]);
                return (ResponseStatus.Ok, data);
            }
            case Command.WriteParameter:
            {
                if (p.Length != 2 + Options.ParameterWordBytes) return (ResponseStatus.BadLength, []);
                ushort index = BinaryPrimitives.ReadUInt16LittleEndian(p);
                if (index >= parameters.Length) return (ResponseStatus.BadArgument, []);
                if (busy) return (ResponseStatus.Busy, []);
                p[2..].CopyTo(parameters[index]);
                return (ResponseStatus.Ok, []);
            }
            case Command.Start:
            {
                if (p.Length != 0) return (ResponseStatus.BadLength, []);
                if (Engine is null) return (ResponseStatus.BadCommand, []);
                if (busy) return (ResponseStatus.Busy, []);
                if (registers[Registers.ProgramBytes] == 0
                    || (ulong)registers[Registers.ProgramAddress] + registers[Registers.ProgramBytes] > Options.DramBytes)
                    return (ResponseStatus.BadArgument, []);
                run = Engine(this);
                pollsLeft = run.PollsUntilDone;
                State = pollsLeft > 0 ? EngineState.Running : Finish(run);
                return (ResponseStatus.Ok, []);
            }
            case Command.Status:
            {
                if (p.Length != 0) return (ResponseStatus.BadLength, []);
                if (State == EngineState.Running && run is not null && --pollsLeft <= 0) State = Finish(run);
                var data = new byte[9];
                data[0] = (byte)State;
                BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(1), Counters[(int)CounterId.Cycles]);
                return (ResponseStatus.Ok, data);
            }
            case Command.Counters:
            {
                if (p.Length != 0) return (ResponseStatus.BadLength, []);
                Counters[(int)CounterId.FramesReceived] = (ulong)decoder.FramesDecoded;
                Counters[(int)CounterId.FramesDropped] = (ulong)decoder.TotalDropped;
                Counters[(int)CounterId.Duplicates] = (ulong)Duplicates;
                var data = new byte[1 + 8 * Counters.Length];
                data[0] = (byte)Counters.Length;
                for (int i = 0; i < Counters.Length; i++) BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(1 + 8 * i), Counters[i]);
                return (ResponseStatus.Ok, data);
            }
            default:
                return (ResponseStatus.BadCommand, []);
        }
    }

    /// <summary>
    /// What the board's reset pin does (a power cycle, a watchdog): the same as RESET, without a
    /// request. Call it while the host is not waiting on the board (the board is not locked).
    /// </summary>
    public void PinReset()
    {
        ClearState();
        haveLast = false;
        Resets++;
    }

    /// <summary>Pin resets so far (<see cref="PinReset"/>).</summary>
    public long Resets { get; private set; }

    /// <summary>Engine idle, registers (the host tag included) and counters 0; DRAM and parameters kept.</summary>
    private void ClearState()
    {
        State = EngineState.Idle;
        run = null;
        Array.Clear(registers);
        Array.Clear(Counters);
        decoder.ClearCounters();
        Duplicates = 0;
    }

    private EngineState Finish(EngineRun done)
    {
        Counters[(int)CounterId.Cycles] += done.Cycles;
        Counters[(int)CounterId.ActiveCycles] += done.ActiveCycles;
        Counters[(int)CounterId.EngineCycles] += done.Cycles;
        Counters[(int)CounterId.LoadsCompleted] += done.Loads;
        Counters[(int)CounterId.ComputesCompleted] += done.Computes;
        Counters[(int)CounterId.StoresCompleted] += done.Stores;
        Counters[(int)CounterId.DramReadBeats] += done.DramReadBeats;
        Counters[(int)CounterId.DramWriteBeats] += done.DramWriteBeats;
        return done.Failed ? EngineState.Error : EngineState.Done;
    }
}
