using System.Diagnostics;
using Accel.Link;
using Accel.Link.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Accel.Link.Tests;

public class LinkClientTests(ITestOutputHelper output)
{
    private static EngineRun CountingEngine(ref int starts)
    {
        starts++;
        return new EngineRun(Cycles: 1234, ActiveCycles: 1000, Loads: 3, Computes: 2, Stores: 1, DramReadBeats: 40, DramWriteBeats: 8);
    }

    [Fact(Timeout = 20000)]
    public async Task EveryCommandWorksAgainstTheFakeBoard()
    {
        var options = new FakeBoardOptions(Rows: 8, Cols: 4, DramBytes: 1 << 16, ParameterDepth: 4) { ConfigHash = "0123456789abcdef" };
        await using var h = new BoardHarness(options);
        int starts = 0;
        h.Board.Engine = _ => CountingEngine(ref starts) with { PollsUntilDone = 2 };

        var info = await h.Commands.HelloAsync();
        Assert.Equal(new BoardInfo(1, 8, 4, 1024, 1, 1 << 16, "0123456789abcdef"), info);

        await h.Commands.WriteRegisterAsync(Registers.ProgramAddress, 0x1000);
        await h.Commands.WriteRegisterAsync(Registers.ProgramBytes, 64);
        Assert.Equal(0x1000u, await h.Commands.ReadRegisterAsync(Registers.ProgramAddress));
        Assert.Equal(64u, await h.Commands.ReadRegisterAsync(Registers.ProgramBytes));

        var word = Enumerable.Range(0, options.ParameterWordBytes).Select(i => (byte)(i + 1)).ToArray();
        await h.Commands.WriteParameterAsync(3, word);
        Assert.Equal(word, h.Board.Parameter(3).ToArray());

        var data = new byte[5000];
        new Random(1).NextBytes(data);
        long lastProgress = -1;
        await h.Commands.WriteMemoryAsync(100, data, (done, total) => { Assert.True(done > lastProgress); lastProgress = done; }, verify: true);
        Assert.Equal(5000, lastProgress);
        Assert.Equal(data, h.Board.Dram.AsSpan(100, data.Length).ToArray());
        Assert.Equal(data, await h.Commands.ReadMemoryAsync(100, data.Length));

        Assert.Equal(EngineState.Idle, (await h.Commands.StatusAsync()).State);
        await h.Commands.StartAsync();
        var busy = await Assert.ThrowsAsync<LinkStatusException>(() => h.Commands.WriteMemoryAsync(0, new byte[4]));
        Assert.Equal(ResponseStatus.Busy, busy.Status);
        Assert.Equal(EngineState.Running, (await h.Commands.StatusAsync()).State);
        var status = await h.Commands.StatusAsync();
        Assert.Equal(new BoardStatus(EngineState.Done, 1234), status);

        var counters = await h.Commands.CountersAsync();
        Assert.Equal(Protocol.CounterCount, counters.Values.Length);
        Assert.Equal((1234ul, 1000ul, 3ul, 2ul, 1ul, 40ul, 8ul), (counters.Cycles, counters.ActiveCycles, counters.LoadsCompleted,
            counters.ComputesCompleted, counters.StoresCompleted, counters.DramReadBeats, counters.DramWriteBeats));
        Assert.Equal((ulong)h.Client.Requests, counters.FramesReceived);
        Assert.Equal(0ul, counters.FramesDropped);
        Assert.Equal(1, starts);

        await h.Commands.ResetAsync();
        Assert.Equal(0u, await h.Commands.ReadRegisterAsync(Registers.ProgramBytes));
        var afterReset = await h.Commands.CountersAsync();
        Assert.Equal(0ul, afterReset.Cycles);
        Assert.Equal(1ul, afterReset.FramesReceived - 1); // READ_REG and COUNTERS since the reset
        Assert.Equal(0, h.Client.Retries);
    }

    [Fact(Timeout = 20000)]
    public async Task RefusalsCarryTheirStatus()
    {
        await using var h = new BoardHarness(new FakeBoardOptions(DramBytes: 4096, ParameterDepth: 2));
        async Task<ResponseStatus> Refused(Func<Task> request) => (await Assert.ThrowsAsync<LinkStatusException>(request)).Status;

        Assert.Equal(ResponseStatus.BadArgument, await Refused(() => h.Commands.ReadMemoryAsync(4000, 200)));
        Assert.Equal(ResponseStatus.BadArgument, await Refused(() => h.Commands.WriteMemoryAsync(4095, new byte[2])));
        Assert.Equal(ResponseStatus.BadArgument, await Refused(() => h.Commands.WriteRegisterAsync(7, 1)));
        Assert.Equal(ResponseStatus.BadArgument, await Refused(() => h.Commands.WriteParameterAsync(2, new byte[h.Board.Options.ParameterWordBytes])));
        Assert.Equal(ResponseStatus.BadLength, await Refused(() => h.Commands.WriteParameterAsync(0, new byte[3])));
        Assert.Equal(ResponseStatus.BadCommand, await Refused(() => h.Commands.StartAsync())); // no engine attached
        var unknown = await h.Client.TransactAsync((Command)0x55, [1, 2]);
        Assert.Equal(ResponseStatus.BadCommand, unknown.Status);
        Assert.True(unknown.IsError);
        h.Board.Engine = _ => new EngineRun(1);
        Assert.Equal(ResponseStatus.BadArgument, await Refused(() => h.Commands.StartAsync())); // no program set
        var e = await Assert.ThrowsAsync<LinkStatusException>(() => h.Commands.ReadMemoryAsync(5000, 1));
        Assert.Contains("ReadMemory", e.Message);
        Assert.Contains("bad argument", e.Message);
    }

    [Fact(Timeout = 60000)]
    public async Task SequenceNumbersWrapAcross70000Requests()
    {
        // A generous timeout: a spurious one (a GC pause on two busy cores) would only add a retry,
        // answered from the board's cache, which the checks below allow for.
        var policy = new RetryPolicy(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), 4);
        await using var h = new BoardHarness(new FakeBoardOptions(DramBytes: 4096), policy, firstSequence: 60000);
        var watch = Stopwatch.StartNew();
        int wraps = 0;
        for (int i = 0; i < 70000; i++)
        {
            if (h.Client.NextSequence == 0) wraps++;
            uint value = (uint)i * 2654435761u;
            await h.Commands.WriteRegisterAsync(Registers.ProgramAddress, value);
            if (i % 1000 == 0 || (h.Client.NextSequence is > 65530 or < 5))
                Assert.Equal(value, await h.Commands.ReadRegisterAsync(Registers.ProgramAddress));
        }
        Assert.True(h.Client.Requests > 70000);
        Assert.Equal(1, wraps);
        Assert.Equal(h.Client.Retries, h.Board.Duplicates);
        Assert.Equal(h.Client.Requests, h.Board.Executed);
        output.WriteLine($"{h.Client.Requests} requests in {watch.Elapsed.TotalSeconds:0.00} s, seq 60000 -> {h.Client.NextSequence} " +
            $"(one wrap), {h.Client.Retries} retries");
    }

    [Fact]
    public void ADuplicateOfTheLastRequestIsAnsweredFromTheCacheAndNotExecuted()
    {
        var board = new FakeBoard(new FakeBoardOptions(DramBytes: 4096));
        int starts = 0;
        board.Engine = _ => CountingEngine(ref starts);
        board.Receive(FrameEncoder.Encode(Frame.Request(Command.WriteRegister, 65534, [1, 0, 64, 0, 0, 0])));
        var start = FrameEncoder.Encode(Frame.Request(Command.Start, 65535, []));
        var first = board.Receive(start);
        var again = board.Receive(start);
        Assert.Equal(first, again);
        Assert.Equal(1, starts);
        Assert.Equal(1, board.Duplicates);
        Assert.Equal(1, board.ExecutedOf(Command.Start));

        // Same seq with another body (a host that restarted its numbering) is a new request.
        var status = board.Receive(FrameEncoder.Encode(Frame.Request(Command.Status, 65535, [])));
        Assert.NotEqual(first, status);
        // Across the wrap: seq 0 after 65535 executes.
        board.Receive(FrameEncoder.Encode(Frame.Request(Command.Start, 0, [])));
        Assert.Equal(2, starts);
        // A duplicate that is not the last request is executed again (only the last is remembered).
        board.Receive(start);
        Assert.Equal(3, starts);
    }

    [Fact(Timeout = 20000)]
    public async Task ALostResponseIsRecoveredByOneRetryWithoutExecutingTwice()
    {
        // The board's writes: 0 = WRITE_REG's response, 1 = HELLO's, 2 = START's (lost), 3 = START's cached response.
        // Waits far above an in-memory answer even with the fault tests running alongside: a spurious
        // resend of an earlier request would shift which write is lost.
        var patient = new RetryPolicy(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), 5);
        await using var h = new BoardHarness(new FakeBoardOptions(DramBytes: 4096), patient, boardWrap: s => new LoseWrites(s, 2));
        int starts = 0;
        h.Board.Engine = _ => CountingEngine(ref starts);
        await h.Commands.WriteRegisterAsync(Registers.ProgramBytes, 16);
        await h.Commands.HelloAsync();
        await h.Commands.StartAsync();
        Assert.Equal(1, starts);
        Assert.Equal(2, h.Client.LastAttempts);
        Assert.Equal(1, h.Client.Retries);
        Assert.Equal(1, h.Board.Duplicates);
        Assert.Equal(1ul, (await h.Commands.CountersAsync()).Duplicates);
    }

    [Fact(Timeout = 20000)]
    public async Task ABoardThatNeverAnswersGivesATimeoutAfterTheConfiguredAttempts()
    {
        var (host, board) = DuplexPipe.Create();
        var policy = new RetryPolicy(TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(80), 5);
        using var client = new LinkClient(host, policy, firstSequence: 42);
        var watch = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<TimeoutException>(() => client.TransactAsync(Command.Hello, []));
        watch.Stop();
        // 20 + 40 + 80 + 80 + 80 ms
        Assert.Equal(TimeSpan.FromMilliseconds(300), policy.TotalTimeout);
        Assert.InRange(watch.Elapsed.TotalMilliseconds, 295, 2000);
        Assert.Contains("Hello", e.Message);
        Assert.Contains("seq 42", e.Message);
        Assert.Contains("5 attempts", e.Message);
        Assert.Equal(5, client.Attempts);
        Assert.Equal(1, client.Failures);

        // The five identical frames reached the silent board.
        var frames = new List<Frame>();
        var buffer = new byte[1 << 16];
        board.ReadTimeout = 1000;
        var decoder = new FrameDecoder();
        while (frames.Count < 5) decoder.Push(buffer.AsSpan(0, board.Read(buffer)), frames);
        Assert.All(frames, f => Assert.Equal(Frame.Request(Command.Hello, 42, []), f));
        output.WriteLine($"timed out after {watch.Elapsed.TotalMilliseconds:0} ms (policy total {policy.TotalTimeout.TotalMilliseconds} ms): {e.Message}");
    }

    [Fact(Timeout = 20000)]
    public async Task StaleAndForeignFramesAreIgnored()
    {
        var (host, board) = DuplexPipe.Create();
        using var client = new LinkClient(host, BoardHarness.Patient, firstSequence: 10);
        var pending = client.TransactAsync(Command.ReadRegister, [0, 0]);
        var frames = new List<Frame>();
        var decoder = new FrameDecoder();
        var buffer = new byte[4096];
        board.ReadTimeout = 2000;
        while (frames.Count == 0) decoder.Push(buffer.AsSpan(0, board.Read(buffer)), frames);
        var request = frames[0];
        // An old seq, another command, an echoed request, an error of another seq, then the answer.
        board.Write(FrameEncoder.Encode(Frame.Response(Command.ReadRegister, 9, ResponseStatus.Ok, [9, 9, 9, 9])));
        board.Write(FrameEncoder.Encode(Frame.Response(Command.Status, 10, ResponseStatus.Ok, new byte[9])));
        board.Write(FrameEncoder.Encode(request));
        board.Write([0x7E, 0x55, 0x7E]);
        board.Write(FrameEncoder.Encode(Frame.Response(Command.ReadRegister, 10, ResponseStatus.Ok, [1, 2, 3, 4])));
        var response = await pending;
        Assert.Equal([0, 1, 2, 3, 4], response.Payload);
        Assert.Equal(3, client.StaleFrames);
        Assert.Equal(1, client.Decoder.TotalDropped);
        Assert.Equal(0, client.Retries);
    }

    [Fact(Timeout = 20000)]
    public async Task AClosedTransportGivesAnIOException()
    {
        var (host, board) = DuplexPipe.Create();
        using var client = new LinkClient(host, BoardHarness.Patient);
        var pending = client.TransactAsync(Command.Hello, []);
        board.Dispose();
        var e = await Assert.ThrowsAsync<IOException>(() => pending);
        Assert.Contains("closed", e.Message);
        Assert.Contains("Hello", e.Message);
        await Assert.ThrowsAsync<IOException>(() => client.TransactAsync(Command.Hello, []));
    }

    [Fact(Timeout = 20000)]
    public async Task VerifyDetectsABoardThatStoresWrongData()
    {
        await using var h = new BoardHarness(new FakeBoardOptions(DramBytes: 8192));
        var data = Enumerable.Range(0, 3000).Select(i => (byte)i).ToArray();
        await h.Commands.WriteMemoryAsync(0, data, verify: true);
        // Corrupt the board's memory behind the link's back, then read back.
        h.Board.Dram[1500] ^= 0xFF;
        var back = await h.Commands.ReadMemoryAsync(0, data.Length);
        Assert.Equal(1500, data.AsSpan().CommonPrefixLength(back));
    }
}
