using System.Diagnostics;
using Accel.Hardware.Program;
using Accel.Link;
using Accel.Link.Testing;
using Xunit;

namespace Accel.Board.Tests;

/// <summary>A FakeBoard over an in-memory pipe whose engine checks what the board received and writes the golden output.</summary>
internal sealed class FakeSession : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Task served;

    public FakeSession(TestModel t, BoardModel model, FakeBoardOptions? options = null, BoardOptions? boardOptions = null)
    {
        Test = t;
        Model = model;
        var (host, boardEnd) = DuplexPipe.Create();
        Fake = new FakeBoard(options ?? new FakeBoardOptions(model.Rows, model.Cols, 1 << 20, model.Config.ParamDepth!.Value) { ConfigHash = model.ConfigHash }, boardEnd)
        {
            Engine = Run,
        };
        served = Task.Run(() => Fake.RunAsync(stop.Token));
        Board = new Board(host, "fake:test", boardOptions ?? new BoardOptions { Policy = Patient });
    }

    /// <summary>
    /// The fake answers in microseconds, so a resend here is a fault; waits far above any scheduling
    /// stall keep a loaded CI machine (a cold JIT, the other test assemblies) from causing one.
    /// </summary>
    public static RetryPolicy Patient { get; } = new(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), 3);

    public TestModel Test { get; }
    public BoardModel Model { get; }
    public FakeBoard Fake { get; }
    public Board Board { get; }
    public int Runs { get; private set; }
    public Func<FakeBoard, EngineRun?>? Override { get; set; }
    public List<string> Problems { get; } = [];

    /// <summary>The engine: everything the model needs must be on the board, exactly; then it "computes" by writing the golden tensors.</summary>
    private EngineRun Run(FakeBoard b)
    {
        Runs++;
        if (Override?.Invoke(b) is { } special) return special;
        foreach (var r in Model.Regions.Append(Model.InputRegion(Test.Input)))
            if (!b.Dram.AsSpan((int)r.Address, r.Bytes.Length).SequenceEqual(r.Bytes)) Problems.Add($"DRAM region {r.Name} differs");
        for (int i = 0; i < Model.ParameterWords.Count; i++)
            if (!b.Parameter(i).SequenceEqual(Model.ParameterWords[i])) Problems.Add($"parameter word {i} differs");
        foreach (var (reg, value) in Model.Registers)
            if (b.Register(reg) != value) Problems.Add($"register {reg} is {b.Register(reg)}, expected {value}");
        if (b.Register(Registers.HostTag) == 0) Problems.Add("no host tag");
        foreach (var t in Model.ReadBack)
        {
            var bytes = EngineImage.ToDram(t.Pack(Test.Expected[t.Name], Model.Lanes), Model.Lanes, Model.DramWordBytes);
            bytes.CopyTo(b.Dram, t.Base * Model.DramWordBytes);
        }
        return new EngineRun(Cycles: 12_345, ActiveCycles: 10_000, Loads: 7, Computes: 5, Stores: 3, DramReadBeats: 900, DramWriteBeats: 80) { PollsUntilDone = 3 };
    }

    public async ValueTask DisposeAsync()
    {
        stop.Cancel();
        await Board.DisposeAsync();
        await served.WaitAsync(TimeSpan.FromSeconds(5));
        stop.Dispose();
    }
}

public class BoardTests
{
    private static (TestModel, BoardModel) Pooled()
    {
        var t = TestModel.Pooled();
        return (t, BoardModel.Build(t.Schedule, t.Model, sparseWeights: false, [BoardModel.PooledInput(t.Network)!]));
    }

    [Theory]
    [InlineData(4, null, 4)]
    [InlineData(4, 1, 1)]
    [InlineData(2, 8, 2)]
    public async Task TheWeightsStreamAsManyFramesAheadAsTheBoardBuffers(int boardWindow, int? maxWindow, int used)
    {
        var (t, model) = Pooled();
        var options = new FakeBoardOptions(model.Rows, model.Cols, 1 << 20, model.Config.ParamDepth!.Value) { ConfigHash = model.ConfigHash, Window = boardWindow };
        await using var s = new FakeSession(t, model, options, new BoardOptions { Policy = FakeSession.Patient, MaxWindow = maxWindow });
        Assert.Equal(boardWindow, (await s.Board.ConnectAsync()).Window);
        Assert.Equal(used, s.Board.Commands.WriteWindow);
        await s.Board.LoadModelAsync(model);
        Assert.Equal(used, s.Board.Link.PeakInFlight);
        var result = await s.Board.RunAsync(t.Input);
        Assert.Empty(s.Problems);
        Assert.Equal(t.Expected[t.Network.OutputNode], result.Output);
        Assert.Equal(0, s.Board.Link.Retries);
    }

    [Fact]
    public async Task LoadsTheModelRunsAndReadsTheOutputBack()
    {
        var (t, model) = Pooled();
        await using var s = new FakeSession(t, model);
        var info = await s.Board.ConnectAsync();
        Assert.Equal((4, 4, model.ConfigHash, 1u << 20), ((int)info.Rows, (int)info.Cols, info.ConfigHash, info.DramBytes));

        var progress = new List<TransferProgress>();
        await s.Board.LoadModelAsync(model, new SyncProgress(progress.Add));
        Assert.NotEqual(0u, s.Board.HostTag);
        Assert.Equal(s.Board.HostTag, s.Fake.Register(Registers.HostTag));
        Assert.Equal(model.LoadBytes, progress.Last(p => p.Stage == BoardStage.Weights).Done);
        Assert.Equal(model.LoadBytes, progress.Last().Total);

        var result = await s.Board.RunAsync(t.Input);
        Assert.Empty(s.Problems);
        Assert.Equal(1, s.Runs);
        Assert.Equal(t.Expected[t.Network.OutputNode], result.Output);
        Assert.Equal(t.Expected["b"], result.Tensors["b"]);
        Assert.Equal(12_345ul, result.Cycles);
        Assert.Equal((10_000ul, 7ul, 5ul, 3ul, 900ul, 80ul), (result.Counters.ActiveCycles, result.Counters.LoadsCompleted,
            result.Counters.ComputesCompleted, result.Counters.StoresCompleted, result.Counters.DramReadBeats, result.Counters.DramWriteBeats));
        Assert.True(result.StatusPolls >= 3);

        // A second run counts only itself.
        var again = await s.Board.RunAsync(t.Input);
        Assert.Equal(12_345ul, again.Cycles);
        Assert.Equal(result.Output, again.Output);

        var stats = s.Board.Statistics;
        Assert.Equal(model.LoadBytes, stats[BoardStage.Weights].PayloadBytes);
        Assert.Equal(2L * model.InputRegion(t.Input).Bytes.Length, stats[BoardStage.Input].PayloadBytes);
        Assert.Equal(2 * model.ReadBackBytes, stats[BoardStage.Readback].PayloadBytes);
        Assert.True(stats[BoardStage.Weights].BytesSent > model.LoadBytes, "framing adds bytes on the wire");
        Assert.Equal(2, stats[BoardStage.Compute].Count);
        Assert.True(stats[BoardStage.Weights].Throughput > 0);
    }

    [Fact]
    public async Task AnotherArraySizeIsRefusedWithTheOptionsToRerunWith()
    {
        var (t, model) = Pooled();
        await using var s = new FakeSession(t, model, new FakeBoardOptions(8, 8, 1 << 20) { ConfigHash = "0123456789abcdef" });
        var e = await Assert.ThrowsAsync<BoardMismatchException>(() => s.Board.LoadModelAsync(model));
        Assert.Equal($"the model was compiled for a 4x4 engine (config {model.ConfigHash}), the board at fake:test is 8x8 " +
            "(config 0123456789abcdef); rerun with --rows 8 --cols 8", e.Message);
        Assert.Equal(0, s.Fake.ExecutedOf(Command.WriteMemory));
    }

    [Fact]
    public async Task AnotherConfigurationOfTheSameSizeIsRefused()
    {
        var (t, model) = Pooled();
        await using var s = new FakeSession(t, model, new FakeBoardOptions(4, 4, 1 << 20) { ConfigHash = "0123456789abcdef" });
        var e = await Assert.ThrowsAsync<BoardMismatchException>(() => s.Board.LoadModelAsync(model));
        Assert.Contains($"compiled for engine configuration {model.ConfigHash}, the board at fake:test carries 0123456789abcdef", e.Message);
        Assert.Equal(0, s.Fake.ExecutedOf(Command.WriteMemory));
    }

    [Fact]
    public async Task AModelLargerThanTheBoardsDramIsRefused()
    {
        var (t, model) = Pooled();
        uint small = (uint)model.DramBytes - 1;
        await using var s = new FakeSession(t, model, new FakeBoardOptions(4, 4, small) { ConfigHash = model.ConfigHash });
        var e = await Assert.ThrowsAsync<BoardMismatchException>(() => s.Board.LoadModelAsync(model));
        Assert.Contains($"needs {model.DramBytes:N0} bytes of board DRAM, the board at fake:test has {small:N0}", e.Message);
    }

    [Fact]
    public async Task ASilentBoardTimesOutWithinThePolicy()
    {
        var (host, _) = DuplexPipe.Create(); // nobody serves the other end
        var policy = new RetryPolicy(TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(80), 4);
        await using var board = new Board(host, "uart:/dev/ttyUSB1@3000000", new BoardOptions { Policy = policy });
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<TimeoutException>(() => board.ConnectAsync());
        Assert.StartsWith("no answer from the board at uart:/dev/ttyUSB1@3000000 after 4 attempts", e.Message);
        Assert.EndsWith("(is it powered, is the baud right?)", e.Message);
        Assert.InRange(clock.Elapsed, policy.TotalTimeout * 0.9, policy.TotalTimeout + TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task AResetBetweenLoadAndRunIsDetectedAndRecovered()
    {
        var (t, model) = Pooled();
        await using var s = new FakeSession(t, model);
        await s.Board.LoadModelAsync(model);
        s.Fake.PinReset();
        var e = await Assert.ThrowsAsync<BoardResetException>(() => s.Board.RunAsync(t.Input));
        Assert.Contains("was reset since the model was loaded", e.Message);
        Assert.Equal(0, s.Runs);

        long loadsBefore = s.Fake.ExecutedOf(Command.WriteParameter);
        s.Fake.PinReset();
        var seen = new List<BoardResetException>();
        s.Board.Recovering = seen.Add;
        var result = await s.Board.RunWithRecoveryAsync(t.Input);
        Assert.Equal(1, result.Recoveries);
        Assert.Single(seen);
        Assert.Equal(2 * loadsBefore, s.Fake.ExecutedOf(Command.WriteParameter)); // loaded again
        Assert.Empty(s.Problems);
        Assert.Equal(t.Expected[t.Network.OutputNode], result.Output);
    }

    [Fact]
    public async Task AResetDuringEveryRunGivesUpAfterThreeReloads()
    {
        var (t, model) = Pooled();
        await using var s = new FakeSession(t, model);
        // The board resets while computing: the run "finishes", but the tag read after it is 0.
        s.Override = b => { b.PinReset(); return new EngineRun(100); };
        await s.Board.LoadModelAsync(model);
        var e = await Assert.ThrowsAsync<BoardResetException>(() => s.Board.RunWithRecoveryAsync(t.Input));
        Assert.Contains("after the run 0x00000000", e.Message);
        Assert.Contains("gave up after reloading the model 3 times", e.Message);
        Assert.Equal(4, s.Runs);
    }

    [Fact]
    public async Task ARunThatNeverFinishesTimesOutNamingThePrediction()
    {
        var (t, model) = Pooled();
        await using var s = new FakeSession(t, model, boardOptions: new BoardOptions { RunTimeout = TimeSpan.FromMilliseconds(300) });
        s.Override = _ => new EngineRun(1) { PollsUntilDone = int.MaxValue };
        await s.Board.LoadModelAsync(model);
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<TimeoutException>(() => s.Board.RunAsync(t.Input));
        Assert.Contains($"predicted {model.PredictedCycles:N0} cycles", e.Message);
        Assert.Contains("still running", e.Message);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task AnEngineErrorIsReported()
    {
        var (t, model) = Pooled();
        await using var s = new FakeSession(t, model);
        s.Override = _ => new EngineRun(5, Failed: true);
        await s.Board.LoadModelAsync(model);
        var e = await Assert.ThrowsAsync<BoardRunException>(() => s.Board.RunAsync(t.Input));
        Assert.Contains("reported an error", e.Message);
    }

    [Fact]
    public void TheRunLimitFollowsThePredictionAtTheBoardsSpeed()
    {
        var (_, model) = Pooled();
        using var board = new Board(new MemoryStreamDuplex(), "x", new BoardOptions { CyclesPerSecond = 1000, RunWaitFactor = 4, MinRunWait = TimeSpan.FromSeconds(1) });
        Assert.Equal(TimeSpan.FromSeconds(Math.Max(1, model.PredictedCycles * 4 / 1000.0)).TotalMilliseconds, board.RunLimit(model).TotalMilliseconds, 1);
    }

    private sealed class SyncProgress(Action<TransferProgress> report) : IProgress<TransferProgress>
    {
        public void Report(TransferProgress value) => report(value);
    }

    private sealed class MemoryStreamDuplex : MemoryStream
    {
    }
}
