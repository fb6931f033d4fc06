using System.Buffers.Binary;
using System.Diagnostics;
using Accel.Link;
using Accel.Link.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Accel.Link.Tests;

/// <summary>WRITE_MEM with several requests in flight (a board with frame slots): the bound, resends and refusals.</summary>
public class WindowTests(ITestOutputHelper output)
{
    /// <summary>The board end of a pipe, driven by the test: it reads request frames and answers what it chooses.</summary>
    private sealed class ScriptedBoard(Stream stream)
    {
        private readonly FrameDecoder decoder = new();
        private readonly Queue<Frame> frames = new();
        private readonly byte[] buffer = new byte[1 << 16];

        /// <summary>The next request, or null when none arrives within <paramref name="waitMs"/>.</summary>
        public Frame? Next(int waitMs = 5000)
        {
            var watch = Stopwatch.StartNew();
            while (frames.Count == 0)
            {
                int left = waitMs - (int)watch.ElapsedMilliseconds;
                if (left <= 0) return null;
                stream.ReadTimeout = left;
                int n;
                try { n = stream.Read(buffer); }
                catch (TimeoutException) { return null; }
                var batch = new List<Frame>();
                decoder.Push(buffer.AsSpan(0, n), batch);
                foreach (var f in batch) frames.Enqueue(f);
            }
            return frames.Dequeue();
        }

        public void Answer(Frame request, ResponseStatus status = ResponseStatus.Ok) =>
            stream.Write(FrameEncoder.Encode(Frame.Response(request.Command, request.Sequence, status, [])));
    }

    private static uint AddressOf(Frame request) => BinaryPrimitives.ReadUInt32LittleEndian(request.Payload);

    [Fact(Timeout = 30000)]
    public async Task TheHostSendsNoMoreThanTheWindowAheadAndSlidesOnEachAnswer()
    {
        var (host, boardEnd) = DuplexPipe.Create();
        // Waits far longer than the test's pauses: any frame seen is a new request, not a resend.
        using var client = new LinkClient(host, new RetryPolicy(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(6), 3), firstSequence: 65534);
        var commands = new Commands(client) { WriteWindow = 3 };
        var data = new byte[6 * Protocol.MaxWriteData];
        new Random(3).NextBytes(data);
        var write = Task.Run(() => commands.WriteMemoryAsync(0x100, data));
        var board = new ScriptedBoard(boardEnd);

        var first = Enumerable.Range(0, 3).Select(_ => board.Next()!).ToArray();
        Assert.Equal(new ushort[] { 65534, 65535, 0 }, first.Select(f => f.Sequence));   // across the wrap
        Assert.Equal(new uint[] { 0x100, 0x100 + 1020, 0x100 + 2040 }, first.Select(AddressOf));
        var extra = board.Next(waitMs: 150);
        Assert.True(extra is null, $"a fourth frame while three were unanswered: {extra}");   // three unanswered: nothing more
        board.Answer(first[1]);                        // any answer frees one place
        var fourth = board.Next()!;
        Assert.Equal((ushort)1, fourth.Sequence);
        Assert.Null(board.Next(waitMs: 150));
        foreach (var f in new[] { first[0], first[2], fourth }) board.Answer(f);
        var rest = Enumerable.Range(0, 2).Select(_ => board.Next()!).ToArray();
        foreach (var f in rest) board.Answer(f);
        await write.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(3, client.PeakInFlight);
        Assert.Equal(6, client.Requests);
        Assert.Equal(0, client.Retries);
    }

    [Fact(Timeout = 30000)]
    public async Task AnUnansweredRequestIsResentAloneWhileTheOthersStand()
    {
        var (host, boardEnd) = DuplexPipe.Create();
        using var client = new LinkClient(host, BoardHarness.Prompt, firstSequence: 10);
        var commands = new Commands(client) { WriteWindow = 4 };
        var data = new byte[4 * Protocol.MaxWriteData];
        var write = Task.Run(() => commands.WriteMemoryAsync(0, data));
        var board = new ScriptedBoard(boardEnd);

        var sent = Enumerable.Range(0, 4).Select(_ => board.Next()!).ToArray();
        // The first is "lost": the later three are answered at once.
        foreach (var f in sent.Skip(1)) board.Answer(f);
        var watch = Stopwatch.StartNew();
        var resend = board.Next()!;
        watch.Stop();
        Assert.Equal(sent[0], resend);                 // the same frame, the same seq
        Assert.InRange(watch.ElapsedMilliseconds, 150, 3000);  // after the first wait (200 ms)
        board.Answer(resend);
        board.Answer(resend);                          // a second answer is stale, not an error
        await write.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(5, client.Attempts);
        Assert.Equal(1, client.Retries);
        Assert.Null(board.Next(waitMs: 100));
        output.WriteLine($"resent after {watch.ElapsedMilliseconds} ms");
    }

    [Fact(Timeout = 30000)]
    public async Task ARefusalInTheWindowFailsTheWriteWithItsStatus()
    {
        await using var h = new BoardHarness(new FakeBoardOptions(DramBytes: 8192), window: 4);
        var e = await Assert.ThrowsAsync<LinkStatusException>(() => h.Commands.WriteMemoryAsync(4096, new byte[8192]));
        Assert.Equal(ResponseStatus.BadArgument, e.Status);
        Assert.Equal(Command.WriteMemory, e.Command);
        // The link is still usable: the window's other answers are stale for the next request.
        await h.Commands.WriteMemoryAsync(0, new byte[100], verify: true);
    }

    [Fact(Timeout = 30000)]
    public async Task ASilentBoardEndsTheWindowedWriteWithATimeout()
    {
        var (host, _) = DuplexPipe.Create();
        var policy = new RetryPolicy(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(40), 3);
        using var client = new LinkClient(host, policy);
        var commands = new Commands(client) { WriteWindow = 4 };
        var watch = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<TimeoutException>(() => commands.WriteMemoryAsync(0, new byte[3000]));
        output.WriteLine($"{watch.ElapsedMilliseconds} ms, {client.Attempts} attempts, {commands.Resplits} re-splits: {e.Message}");
        Assert.Contains("WriteMemory", e.Message);
        Assert.Contains("4 requests in flight", e.Message);
        Assert.True(commands.Resplits > 0);
        Assert.Equal(1, client.Failures);
    }

    [Fact(Timeout = 60000)]
    public async Task AWindowedWriteLandsIdenticallyOnTheFakeBoard()
    {
        await using var h = new BoardHarness(new FakeBoardOptions(DramBytes: 1 << 20), window: 4);
        var data = new byte[200_000];
        new Random(8).NextBytes(data);
        long last = 0;
        await h.Commands.WriteMemoryAsync(0x2000, data, (done, total) => { Assert.True(done > last || done == 0); last = done; }, verify: true);
        Assert.Equal(data.Length, last);
        Assert.True(data.AsSpan().SequenceEqual(h.Board.Dram.AsSpan(0x2000, data.Length)));
        Assert.Equal(4, h.Client.PeakInFlight);
        Assert.Equal(4, (await h.Commands.HelloAsync()).Window);
    }

    [Fact(Timeout = 30000)]
    public async Task BlocksAndParameterWordsShareOneWindow()
    {
        var options = new FakeBoardOptions(Rows: 4, Cols: 4, DramBytes: 1 << 16, ParameterDepth: 12);
        await using var h = new BoardHarness(options, window: 4);
        var rng = new Random(21);
        // Ten small blocks with gaps: each alone is one frame, the window spans them.
        var blocks = Enumerable.Range(0, 10).Select(i =>
        {
            var bytes = new byte[100 + 37 * i];
            rng.NextBytes(bytes);
            return new MemoryBlock((uint)(i * 2048 + 3), bytes);
        }).ToList();
        long last = 0;
        await h.Commands.WriteMemoryAsync(blocks, (done, total) => last = done);
        Assert.Equal(blocks.Sum(b => (long)b.Data.Length), last);
        foreach (var b in blocks) Assert.True(b.Data.Span.SequenceEqual(h.Board.Dram.AsSpan((int)b.Address, b.Data.Length)), $"block at {b.Address}");
        Assert.Equal(4, h.Client.PeakInFlight);
        Assert.Equal(10, h.Client.Requests);

        var words = Enumerable.Range(0, 12).Select(i => Enumerable.Range(0, options.ParameterWordBytes).Select(j => (byte)(i * 31 + j)).ToArray()).ToList();
        int written = 0;
        await h.Commands.WriteParametersAsync(words, n => written = n);
        Assert.Equal(12, written);
        for (int i = 0; i < words.Count; i++) Assert.Equal(words[i], h.Board.Parameter(i).ToArray());
        Assert.Equal(0, h.Client.Retries);
    }
}
