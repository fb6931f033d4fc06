using System.Buffers.Binary;
using Accel.Cosim.Board;
using Accel.Link;
using Accel.Link.Transports;
using Accel.Tests;
using Xunit;
using Xunit.Abstractions;

namespace Accel.Cosim.Tests.Board;

/// <summary>
/// The board's frame slots (HELLO's window) over the pty with raw frames: a window's worth of
/// requests sent without waiting is answered in order, and a frame that finds every slot waiting is
/// dropped and answered when resent. In the fast mode a byte takes 40 clocks on the line, so where
/// each frame lands relative to the board's work follows from the byte counts in the comments.
/// </summary>
[Collection(BoardEmulatorCollection.Name)]
public sealed class BoardWindowTests(BoardEmulatorFixture fixture, ITestOutputHelper output)
{
    private static readonly int Slots = BoardEmulatorFixture.Board.FrameSlots;

    [RequiresToolsFact("verilator")]
    public async Task AWindowOfFullWritesSentBackToBackIsAnsweredInOrder()
    {
        _ = fixture.UartBuild;
        await using var emulator = await BoardEmulatorFixture.StartAsync();
        await using var link = new RawLink(SerialTransport.Open(emulator.PortName, 3_000_000));
        Assert.Equal(Slots, await link.HelloWindowAsync());

        const uint at = 0x4_0003;  // unaligned: partial strobes at both ends of every write
        var data = new byte[Slots * Protocol.MaxWriteData];
        new Random(31).NextBytes(data);
        var writes = Enumerable.Range(0, Slots).Select(i => Frame.Request(Command.WriteMemory, (ushort)(10 + i),
            [.. U32(at + (uint)(i * Protocol.MaxWriteData)), .. data.AsSpan(i * Protocol.MaxWriteData, Protocol.MaxWriteData)])).ToList();
        // About 1,040 bytes each on the wire; the first is executed while the others arrive, each lands in a free slot.
        await link.SendAsync(writes);
        var answers = await link.ReceiveAsync(Slots);
        Assert.Equal(writes.Select(w => Frame.Response(Command.WriteMemory, w.Sequence, ResponseStatus.Ok, [])), answers);

        var back = new List<byte>();
        for (int i = 0; i < Slots; i++)
        {
            var read = Frame.Request(Command.ReadMemory, (ushort)(20 + i), [.. U32(at + (uint)(i * Protocol.MaxWriteData)), .. U16(Protocol.MaxWriteData)]);
            await link.SendAsync([read]);
            var answer = Assert.Single(await link.ReceiveAsync(1));
            Assert.Equal((Command.ReadMemory, read.Sequence, ResponseStatus.Ok), (answer.Command, answer.Sequence, answer.Status));
            back.AddRange(answer.Payload.AsSpan(1).ToArray());
        }
        Assert.Equal(data, back.ToArray());

        var counters = await link.CountersAsync(30);
        Assert.Equal((0UL, 0UL, (ulong)(1 + Slots + Slots + 1)),
            (counters[CounterId.FramesDropped], counters[CounterId.Duplicates], counters[CounterId.FramesReceived]));
        Assert.Equal(0, link.Decoder.TotalDropped);
    }

    [RequiresToolsFact("verilator")]
    public async Task AFrameFindingEverySlotWaitingIsDroppedAndItsResendAnswered()
    {
        _ = fixture.UartBuild;
        await using var emulator = await BoardEmulatorFixture.StartAsync();
        await using var link = new RawLink(SerialTransport.Open(emulator.PortName, 3_000_000));
        Assert.Equal(Slots, await link.HelloWindowAsync());

        // Data to read: one write, answered before the burst below.
        var block = new byte[1000];
        new Random(32).NextBytes(block);
        await link.SendAsync([Frame.Request(Command.WriteMemory, 2, [.. U32(0x1_0000), .. block])]);
        Assert.Equal(ResponseStatus.Ok, Assert.Single(await link.ReceiveAsync(1)).Status);

        // READ_MEM R (18 bytes on the wire), 64 idle flags (2,560 clocks, no frame), then Slots + 1
        // small WRITE_MEMs (about 24 bytes each). R is executed in ~1,100 clocks, so its answer has
        // started and its slot is free before the first write arrives; that answer (~1,010 bytes)
        // keeps the transmitter busy for ~40,000 clocks, and the writes cannot be answered before
        // it ends, so they stay in their slots: the first Slots writes fill every slot, and the
        // bytes of the next one find the write slot full: it is dropped, unanswered.
        var read = Frame.Request(Command.ReadMemory, 3, [.. U32(0x1_0000), .. U16(block.Length)]);
        var small = new byte[(Slots + 1) * 8];
        new Random(33).NextBytes(small);
        var writes = Enumerable.Range(0, Slots + 1).Select(i => Frame.Request(Command.WriteMemory, (ushort)(4 + i),
            [.. U32(0x2_0000 + (uint)(8 * i)), .. small.AsSpan(8 * i, 8)])).ToList();
        await link.SendBytesAsync([.. RawLink.Encode([read]), .. Enumerable.Repeat(Protocol.Flag, 64), .. RawLink.Encode(writes)]);
        var answers = await link.ReceiveAsync(1 + Slots);
        Assert.Equal(Frame.Response(Command.ReadMemory, 3, ResponseStatus.Ok, block), answers[0]);
        Assert.Equal(writes.Take(Slots).Select(w => Frame.Response(Command.WriteMemory, w.Sequence, ResponseStatus.Ok, [])), answers.Skip(1));

        // The next answer is COUNTERS', not the last write's: that one was dropped, once.
        var counters = await link.CountersAsync(40);
        Assert.Equal(1UL, counters[CounterId.FramesDropped]);
        Assert.Equal(0UL, counters[CounterId.Duplicates]);
        Assert.Equal((ulong)(1 + 1 + 1 + Slots + 1), counters[CounterId.FramesReceived]);  // HELLO, the write, R, the slotted writes, COUNTERS

        // Resent, it is a new request (the board never executed it) and is answered.
        await link.SendAsync([writes[^1]]);
        Assert.Equal(Frame.Response(Command.WriteMemory, writes[^1].Sequence, ResponseStatus.Ok, []), Assert.Single(await link.ReceiveAsync(1)));
        var readBack = Frame.Request(Command.ReadMemory, 41, [.. U32(0x2_0000), .. U16(small.Length)]);
        await link.SendAsync([readBack]);
        Assert.Equal(Frame.Response(Command.ReadMemory, 41, ResponseStatus.Ok, small), Assert.Single(await link.ReceiveAsync(1)));
        Assert.Equal(0, link.Decoder.TotalDropped);
        var stats = await emulator.StopAsync();
        output.WriteLine($"{stats.Cycles} cycles, {stats.HostToBoardBytes} + {stats.BoardToHostBytes} bytes, {stats.FramingErrors} framing errors");
        Assert.Equal(0, stats.FramingErrors);
    }

    /// <summary>Frames straight onto the pty and back, no LinkClient: nothing waits for an answer before sending.</summary>
    private sealed class RawLink(Stream stream) : IAsyncDisposable
    {
        private readonly byte[] buffer = new byte[4096];
        private readonly List<Frame> pending = [];
        public FrameDecoder Decoder { get; } = new();

        public static byte[] Encode(IEnumerable<Frame> frames) => [.. frames.SelectMany(f => FrameEncoder.Encode(f))];

        /// <summary>All frames in one write, so the emulator feeds their bytes to the line back to back.</summary>
        public Task SendAsync(IEnumerable<Frame> frames) => SendBytesAsync(Encode(frames));

        public async Task SendBytesAsync(byte[] bytes) => await stream.WriteAsync(bytes);

        public async Task<List<Frame>> ReceiveAsync(int count)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (pending.Count < count)
            {
                int n = await stream.ReadAsync(buffer, timeout.Token);
                Assert.True(n > 0, "the pty closed");
                Decoder.Push(buffer.AsSpan(0, n), pending);
            }
            var frames = pending[..count];
            pending.RemoveRange(0, count);
            return frames;
        }

        public async Task<int> HelloWindowAsync()
        {
            await SendAsync([Frame.Request(Command.Hello, 1, [])]);
            var hello = Assert.Single(await ReceiveAsync(1));
            Assert.Equal((Command.Hello, ResponseStatus.Ok), (hello.Command, hello.Status));
            return hello.Payload[1 + 5];  // after the status: version, rows, cols, max payload u16, window
        }

        public async Task<Dictionary<CounterId, ulong>> CountersAsync(ushort sequence)
        {
            await SendAsync([Frame.Request(Command.Counters, sequence, [])]);
            var answer = Assert.Single(await ReceiveAsync(1));
            Assert.Equal((Command.Counters, sequence, ResponseStatus.Ok), (answer.Command, answer.Sequence, answer.Status));
            return Enum.GetValues<CounterId>().ToDictionary(id => id, id => BinaryPrimitives.ReadUInt64LittleEndian(answer.Payload.AsSpan(2 + 8 * (int)id)));
        }

        public ValueTask DisposeAsync() => stream.DisposeAsync();
    }

    private static byte[] U32(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        return b;
    }

    private static byte[] U16(int v)
    {
        var b = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)v);
        return b;
    }
}
