using System.Buffers.Binary;

namespace Accel.Link;

/// <summary>Bytes for board DRAM at a byte address.</summary>
public sealed record MemoryBlock(uint Address, ReadOnlyMemory<byte> Data);

/// <summary>What HELLO reports.</summary>
public sealed record BoardInfo(byte ProtocolVersion, byte Rows, byte Cols, ushort MaxPayload, byte Window, uint DramBytes, string ConfigHash);

/// <summary>What STATUS reports.</summary>
public sealed record BoardStatus(EngineState State, ulong Cycles);

/// <summary>What COUNTERS reports (wire order: <see cref="CounterId"/>).</summary>
public sealed record BoardCounters(ulong[] Values)
{
    public ulong this[CounterId id] => (int)id < Values.Length ? Values[(int)id] : 0;

    public ulong Cycles => this[CounterId.Cycles];
    public ulong ActiveCycles => this[CounterId.ActiveCycles];
    public ulong LoadsCompleted => this[CounterId.LoadsCompleted];
    public ulong ComputesCompleted => this[CounterId.ComputesCompleted];
    public ulong StoresCompleted => this[CounterId.StoresCompleted];
    public ulong DramReadBeats => this[CounterId.DramReadBeats];
    public ulong DramWriteBeats => this[CounterId.DramWriteBeats];
    public ulong FramesReceived => this[CounterId.FramesReceived];
    public ulong FramesDropped => this[CounterId.FramesDropped];
    public ulong Duplicates => this[CounterId.Duplicates];
    public ulong EngineCycles => this[CounterId.EngineCycles];
}

/// <summary>A response whose status is not OK.</summary>
public sealed class LinkStatusException(Command command, ushort sequence, ResponseStatus status, string detail)
    : IOException($"board link: {command} (seq {sequence}) refused by the board: {Describe(status)}{(detail.Length > 0 ? $" ({detail})" : "")}")
{
    public Command Command { get; } = command;
    public ushort Sequence { get; } = sequence;
    public ResponseStatus Status { get; } = status;

    public static string Describe(ResponseStatus status) => status switch
    {
        ResponseStatus.BadCommand => "bad command",
        ResponseStatus.BadArgument => "bad argument or address",
        ResponseStatus.Busy => "busy (the engine is running)",
        ResponseStatus.BadLength => "bad length",
        _ => $"status {(byte)status}",
    };
}

/// <summary>
/// Typed requests over a <see cref="LinkClient"/>. Memory transfers are split into frames; as they
/// are idempotent, a chunk larger than <see cref="MinChunkBytes"/> gets <see cref="SplitAfterAttempts"/>
/// attempts, after which it is sent again as two halves under new seqs (a chunk of the minimum size
/// gets the policy's full attempts, then fails with the TimeoutException), and the chunk size adapts to the link: it halves after a
/// chunk needed a resend and doubles after <see cref="GrowAfter"/> chunks in a row went through at
/// the first attempt. Writes keep up to <see cref="WriteWindow"/> frames in flight; reads one.
/// </summary>
public sealed class Commands(LinkClient link)
{
    public LinkClient Link { get; } = link;

    public int MinChunkBytes { get; init; } = 32;

    public int GrowAfter { get; init; } = 8;

    public int SplitAfterAttempts { get; init; } = 3;

    /// <summary>
    /// WRITE_MEM requests kept in flight: HELLO's window (the board's frame slots); 1 waits for each
    /// answer. Writes are idempotent, so a resend the board executes again is harmless.
    /// </summary>
    public int WriteWindow
    {
        get => writeWindow;
        set => writeWindow = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), $"window {value} must be at least 1");
    }

    private int writeWindow = 1;

    /// <summary>Chunks re-split after every attempt of one timed out.</summary>
    public long Resplits { get; private set; }

    public async Task<BoardInfo> HelloAsync(CancellationToken ct = default)
    {
        var data = await RequestAsync(Command.Hello, [], 18, ct).ConfigureAwait(false);
        return new BoardInfo(data[0], data[1], data[2], BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(3)), data[5],
            BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(6)), Convert.ToHexStringLower(data, 10, 8));
    }

    public Task ResetAsync(CancellationToken ct = default) => RequestAsync(Command.Reset, [], 0, ct);

    public async Task WriteRegisterAsync(ushort register, uint value, CancellationToken ct = default)
    {
        var payload = new byte[6];
        BinaryPrimitives.WriteUInt16LittleEndian(payload, register);
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(2), value);
        await RequestAsync(Command.WriteRegister, payload, 0, ct).ConfigureAwait(false);
    }

    public async Task<uint> ReadRegisterAsync(ushort register, CancellationToken ct = default)
    {
        var payload = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(payload, register);
        var data = await RequestAsync(Command.ReadRegister, payload, 4, ct).ConfigureAwait(false);
        return BinaryPrimitives.ReadUInt32LittleEndian(data);
    }

    /// <summary>Writes one channel-parameter word (index u16, then the word's bytes).</summary>
    public async Task WriteParameterAsync(ushort index, ReadOnlyMemory<byte> word, CancellationToken ct = default)
    {
        if (word.Length > Protocol.MaxParameterWordBytes)
            throw new ArgumentException($"parameter word of {word.Length} bytes exceeds {Protocol.MaxParameterWordBytes}", nameof(word));
        var payload = new byte[2 + word.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(payload, index);
        word.Span.CopyTo(payload.AsSpan(2));
        await RequestAsync(Command.WriteParameter, payload, 0, ct).ConfigureAwait(false);
    }

    public Task StartAsync(CancellationToken ct = default) => RequestAsync(Command.Start, [], 0, ct);

    public async Task<BoardStatus> StatusAsync(CancellationToken ct = default)
    {
        var data = await RequestAsync(Command.Status, [], 9, ct).ConfigureAwait(false);
        return new BoardStatus((EngineState)data[0], BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(1)));
    }

    public async Task<BoardCounters> CountersAsync(CancellationToken ct = default)
    {
        var data = await RequestAsync(Command.Counters, [], 1, ct).ConfigureAwait(false);
        int count = data[0];
        if (data.Length != 1 + 8 * count)
            throw new InvalidDataException($"board link: COUNTERS response names {count} counters in {data.Length - 1} bytes");
        var values = new ulong[count];
        for (int i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(1 + 8 * i));
        return new BoardCounters(values);
    }

    /// <summary>
    /// Writes <paramref name="data"/> to board DRAM at <paramref name="address"/> in frames of at
    /// most MaxWriteData bytes, <see cref="WriteWindow"/> of them in flight; <paramref name="progress"/>
    /// gets the bytes acknowledged so far and the total after each frame; with <paramref name="verify"/>,
    /// reads it all back and compares.
    /// </summary>
    public async Task WriteMemoryAsync(uint address, ReadOnlyMemory<byte> data, Action<long, long>? progress = null,
        bool verify = false, CancellationToken ct = default)
    {
        await WriteMemoryAsync([new MemoryBlock(address, data)], progress, ct).ConfigureAwait(false);
        if (!verify) return;
        var back = await ReadMemoryAsync(address, data.Length, null, ct).ConfigureAwait(false);
        int mismatch = data.Span.CommonPrefixLength(back);
        if (mismatch != data.Length)
            throw new IOException($"board link: read-back of {data.Length} bytes at 0x{address:x8} differs first at 0x{address + (uint)mismatch:x8} " +
                $"(wrote 0x{data.Span[mismatch]:x2}, read 0x{back[mismatch]:x2})");
    }

    /// <summary>
    /// Writes several blocks of board DRAM as one stream of WRITE_MEM requests: the window stays full
    /// across the blocks' boundaries. <paramref name="progress"/> counts the bytes of all blocks.
    /// </summary>
    public async Task WriteMemoryAsync(IReadOnlyList<MemoryBlock> blocks, Action<long, long>? progress = null, CancellationToken ct = default)
    {
        foreach (var b in blocks) CheckRange(b.Address, b.Data.Length);
        await TransferAsync(Command.WriteMemory, WriteWindow, Protocol.MaxWriteData, blocks.Select(b => b.Data.Length).ToArray(), (block, offset, count) =>
        {
            var payload = new byte[4 + count];
            BinaryPrimitives.WriteUInt32LittleEndian(payload, blocks[block].Address + (uint)offset);
            blocks[block].Data.Span.Slice(offset, count).CopyTo(payload.AsSpan(4));
            return payload;
        }, (_, _, _, _) => { }, progress, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes channel-parameter words 0, 1, ... with <see cref="WriteWindow"/> requests in flight
    /// (WRITE_PARAM is idempotent like WRITE_MEM); <paramref name="progress"/> gets the words written.
    /// </summary>
    public async Task WriteParametersAsync(IReadOnlyList<byte[]> words, Action<int>? progress = null, CancellationToken ct = default)
    {
        if (words.Count > 1 << 16) throw new ArgumentException($"{words.Count} parameter words: WRITE_PARAM addresses at most 65536", nameof(words));
        int next = 0, done = 0;
        WindowedRequest? Next()
        {
            if (next == words.Count) return null;
            var word = words[next];
            if (word.Length > Protocol.MaxParameterWordBytes)
                throw new ArgumentException($"parameter word {next} of {word.Length} bytes exceeds {Protocol.MaxParameterWordBytes}", nameof(words));
            var payload = new byte[2 + word.Length];
            BinaryPrimitives.WriteUInt16LittleEndian(payload, (ushort)next);
            word.CopyTo(payload, 2);
            return new WindowedRequest(payload, Link.Policy.MaxAttempts, next++);
        }
        await Link.TransactWindowAsync(Command.WriteParameter, WriteWindow, Next, (_, response) =>
        {
            DataOf(Command.WriteParameter, response, 0);
            progress?.Invoke(++done);
        }, _ => false, ct).ConfigureAwait(false);
    }

    /// <summary>Reads <paramref name="count"/> bytes of board DRAM in frames of at most MaxReadData bytes, one at a time.</summary>
    public async Task<byte[]> ReadMemoryAsync(uint address, int count, Action<long, long>? progress = null, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        CheckRange(address, count);
        var result = new byte[count];
        await TransferAsync(Command.ReadMemory, 1, Protocol.MaxReadData, [count], (_, offset, n) =>
        {
            var payload = new byte[6];
            BinaryPrimitives.WriteUInt32LittleEndian(payload, address + (uint)offset);
            BinaryPrimitives.WriteUInt16LittleEndian(payload.AsSpan(4), (ushort)n);
            return payload;
        }, (_, offset, n, data) =>
        {
            if (data.Length != n)
                throw new InvalidDataException($"board link: READ_MEM of {n} bytes at 0x{address + (uint)offset:x8} returned {data.Length}");
            data.CopyTo(result, offset);
        }, progress, ct).ConfigureAwait(false);
        return result;
    }

    private static void CheckRange(uint address, long count)
    {
        if (address + count > 1L << 32)
            throw new ArgumentOutOfRangeException(nameof(count), $"{count} bytes at 0x{address:x8} run past the 32-bit address space");
    }

    /// <summary>A chunk of a transfer: block, offset in it, bytes.</summary>
    private readonly record struct Piece(int Block, int Offset, int Count);

    /// <summary>
    /// Moves blocks of <paramref name="lengths"/> bytes in chunks with up to <paramref name="window"/>
    /// requests in flight. A chunk that used its attempts comes back as two halves (sent before any
    /// new chunk); the size of new chunks halves after a chunk needed a resend and doubles after
    /// <see cref="GrowAfter"/> clean ones.
    /// </summary>
    private async Task TransferAsync(Command command, int window, int maxChunk, IReadOnlyList<int> lengths, Func<int, int, int, byte[]> payloadFor,
        Action<int, int, int, byte[]> received, Action<long, long>? progress, CancellationToken ct)
    {
        int chunk = maxChunk, clean = 0, block = 0, cursor = 0;
        long done = 0, total = lengths.Sum(n => (long)n);
        var halves = new Stack<Piece>();
        progress?.Invoke(0, total);

        WindowedRequest? Next()
        {
            Piece piece;
            if (halves.Count > 0) piece = halves.Pop();
            else
            {
                while (block < lengths.Count && cursor >= lengths[block]) (block, cursor) = (block + 1, 0);
                if (block == lengths.Count) return null;
                piece = new Piece(block, cursor, Math.Min(chunk, lengths[block] - cursor));
                cursor += piece.Count;
            }
            int attempts = piece.Count > MinChunkBytes ? SplitAfterAttempts : Link.Policy.MaxAttempts;
            return new WindowedRequest(payloadFor(piece.Block, piece.Offset, piece.Count), attempts, piece);
        }

        void Answered(WindowedRequest request, Frame response)
        {
            var piece = (Piece)request.State!;
            received(piece.Block, piece.Offset, piece.Count, DataOf(command, response, 0));
            done += piece.Count;
            progress?.Invoke(done, total);
            if (request.Attempts > 1)
            {
                chunk = Math.Max(MinChunkBytes, chunk / 2);
                clean = 0;
            }
            else if (++clean >= GrowAfter && chunk < maxChunk)
            {
                chunk = Math.Min(maxChunk, chunk * 2);
                clean = 0;
            }
        }

        bool Exhausted(WindowedRequest request)
        {
            var piece = (Piece)request.State!;
            if (piece.Count <= MinChunkBytes) return false;
            Resplits++;
            int half = piece.Count / 2;
            halves.Push(piece with { Offset = piece.Offset + half, Count = piece.Count - half });
            halves.Push(piece with { Count = half });
            chunk = Math.Max(MinChunkBytes, Math.Min(chunk, half));
            clean = 0;
            return true;
        }

        await Link.TransactWindowAsync(command, window, Next, Answered, Exhausted, ct).ConfigureAwait(false);
    }

    /// <summary>One request; returns the response's data (after the status byte), at least <paramref name="minData"/> bytes.</summary>
    private async Task<byte[]> RequestAsync(Command command, byte[] payload, int minData, CancellationToken ct)
    {
        var response = await Link.TransactAsync(command, payload, ct).ConfigureAwait(false);
        return DataOf(command, response, minData);
    }

    /// <summary>The data of a response (after the status byte); a status other than OK is a <see cref="LinkStatusException"/>.</summary>
    private static byte[] DataOf(Command command, Frame response, int minData)
    {
        if (response.Payload.Length == 0)
            throw new InvalidDataException($"board link: {command} response (seq {response.Sequence}) has no status byte");
        var status = (ResponseStatus)response.Payload[0];
        if (status != ResponseStatus.Ok)
            throw new LinkStatusException(command, response.Sequence, status, "");
        if (response.Payload.Length - 1 < minData)
            throw new InvalidDataException(
                $"board link: {command} response (seq {response.Sequence}) carries {response.Payload.Length - 1} data bytes, expected {minData}");
        return response.Payload[1..];
    }
}
