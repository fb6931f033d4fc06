using System.Buffers.Binary;
using Accel.Cosim.Board;
using Accel.Link;
using Accel.Link.Transports;
using Accel.Tests;
using Xunit;
using Xunit.Abstractions;

namespace Accel.Cosim.Tests.Board;

/// <summary>
/// Requests that reach the board while it is still busy with the previous one: a resend that
/// crosses a slow answer, or (with a window above 1) the next requests in flight; script mode,
/// pacing each request until the board is idle, never produces them. Raw bytes are written over
/// the pty in one go; in the fast mode the board takes them at 40 clocks a byte, so where each
/// frame lands in the board's work is fixed by the byte counts below. With free frame slots
/// (BoardWindowTests fills them) the board must queue a frame that arrives while it executes or
/// transmits, answer a duplicate from its cache, drop a broken frame, and keep answering
/// afterwards with the right data.
/// </summary>
[Collection(BoardEmulatorCollection.Name)]
public sealed class BoardBusyLinkTests(BoardEmulatorFixture fixture, ITestOutputHelper output)
{
    [RequiresToolsFact("verilator")]
    public async Task RequestsArrivingWhileTheBoardExecutesOrAnswersAreDroppedOrAnsweredNeverWedgeIt()
    {
        _ = fixture.UartBuild;
        await using var emulator = await BoardEmulatorFixture.StartAsync();
        var random = new Random(21);
        byte[] block = new byte[Protocol.MaxWriteData];
        random.NextBytes(block);
        byte[] small = new byte[16];
        random.NextBytes(small);

        await using var stream = SerialTransport.Open(emulator.PortName, 3_000_000);
        var decoder = new FrameDecoder();
        var buffer = new byte[4096];

        async Task<List<Frame>> AwaitFramesAsync(int count)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var frames = new List<Frame>();
            while (frames.Count < count)
            {
                int n = await stream.ReadAsync(buffer, timeout.Token);
                Assert.True(n > 0, "the pty closed");
                decoder.Push(buffer.AsSpan(0, n), frames);
            }
            return frames;
        }

        // Phase 1, during execution: WRITE_MEM A (1020 bytes), its copy right behind it, then a small
        // WRITE_MEM B. A's copy starts arriving while A is written to DRAM and goes into the next
        // frame slot; by its closing flag A has been answered, so the copy is A's duplicate and is
        // answered from the cache, unexecuted; B, in the slot after, is executed.
        var writeA = Frame.Request(Command.WriteMemory, 100, [.. U32(0x1000), .. block]);
        var writeB = Frame.Request(Command.WriteMemory, 101, [.. U32(0x8000), .. small]);
        await stream.WriteAsync((byte[])[.. FrameEncoder.Encode(writeA), .. FrameEncoder.Encode(writeA), .. FrameEncoder.Encode(writeB)]);
        var phase1 = await AwaitFramesAsync(3);
        var answerA = Frame.Response(Command.WriteMemory, 100, ResponseStatus.Ok, []);
        Assert.Equal([answerA, answerA, Frame.Response(Command.WriteMemory, 101, ResponseStatus.Ok, [])], phase1);

        // Phase 2, during transmission: READ_MEM C (A's 1020 bytes back, ~42,000 clocks on the line),
        // 200 junk bytes (~8,000 clocks, past C's execution; dropped as a broken frame), then C again
        // and READ_REG D. C's copy arrives while C's answer is being sent: it is taken, waits for the
        // line and is answered from the cache. D arrives while the copy waits and takes the next
        // slot: it is answered after the copy (register 0, never written: 0).
        var readC = Frame.Request(Command.ReadMemory, 102, [.. U32(0x1000), .. U16(block.Length)]);
        var readD = Frame.Request(Command.ReadRegister, 103, [.. U16(0)]);
        byte[] junk = new byte[200];
        random.NextBytes(junk);
        for (int i = 0; i < junk.Length; i++) if (junk[i] == Protocol.Flag) junk[i] = 0;
        await stream.WriteAsync((byte[])[.. FrameEncoder.Encode(readC), .. junk, .. FrameEncoder.Encode(readC), .. FrameEncoder.Encode(readD)]);
        var phase2 = await AwaitFramesAsync(3);
        var answerC = Frame.Response(Command.ReadMemory, 102, ResponseStatus.Ok, block);
        Assert.Equal([answerC, answerC, Frame.Response(Command.ReadRegister, 103, ResponseStatus.Ok, U32(0))], phase2);
        Assert.Equal(0, decoder.TotalDropped);

        // Afterwards the board answers an ordinary window-1 session, with the data phase 1 wrote.
        // Waits far above the emulator's answer time on a loaded machine: a resend here would be a fault.
        await using var link = new LinkClient(stream, new RetryPolicy(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(8), 4),
            firstSequence: 104, ownsStream: false);
        var commands = new Commands(link);
        Assert.Equal(small, await commands.ReadMemoryAsync(0x8000, small.Length));
        Assert.Equal(block, await commands.ReadMemoryAsync(0x1000, block.Length));
        var counters = await commands.CountersAsync();
        output.WriteLine($"frames received {counters.FramesReceived}, dropped {counters.FramesDropped}, duplicates {counters.Duplicates}");
        // Only the junk was dropped; A's and C's copies were duplicates; A, B, C, D, the two copies and the session's requests were taken.
        Assert.Equal(1UL, counters.FramesDropped);
        Assert.Equal(2UL, counters.Duplicates);
        Assert.Equal(6UL + (ulong)link.Requests, counters.FramesReceived);
        Assert.Equal(0, link.Retries);
        Assert.Equal(0, link.StaleFrames);  // every answer above was read here
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
