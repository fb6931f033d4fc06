using System.Diagnostics;
using Accel.Link;

namespace Accel.Board;

/// <summary>How a <see cref="Board"/> waits.</summary>
public sealed record BoardOptions
{
    /// <summary>Per-request timeouts and resends (RetryPolicy.ForBaud for a UART).</summary>
    public RetryPolicy Policy { get; init; } = RetryPolicy.Default;

    /// <summary>Engine cycles per second of wall time; null: the model's clock (a real board). The emulator runs far slower.</summary>
    public double? CyclesPerSecond { get; init; }

    /// <summary>A run may take this many times its predicted cycles...</summary>
    public double RunWaitFactor { get; init; } = 4;

    /// <summary>...and at least this long, before RunAsync gives up.</summary>
    public TimeSpan MinRunWait { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A fixed limit for a run instead of the prediction-based one.</summary>
    public TimeSpan? RunTimeout { get; init; }

    /// <summary>STATUS polls start this far apart and double up to <see cref="MaxPollInterval"/>.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(1);

    public TimeSpan MaxPollInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>WRITE_MEM requests in flight at most; null: as many as the board's window (HELLO), 1: wait for each answer.</summary>
    public int? MaxWindow { get; init; }

    /// <summary>Reloads RunWithRecoveryAsync tries after a detected reset.</summary>
    public int MaxRecoveries { get; init; } = 3;
}

/// <summary>What one run gave back.</summary>
/// <param name="Output">The output node's tensor (logical CHW, int8 as stored).</param>
/// <param name="Tensors">Every tensor read back, the output included.</param>
/// <param name="Cycles">Engine cycles of the run (the board's EngineCycles counter: START to done).</param>
/// <param name="Counters">The board's counters' advance over the run.</param>
public sealed record BoardRunResult(sbyte[] Output, IReadOnlyDictionary<string, sbyte[]> Tensors, ulong Cycles, BoardCounters Counters,
    TimeSpan InputTime, TimeSpan ComputeTime, TimeSpan ReadbackTime, int StatusPolls)
{
    /// <summary>Model reloads after detected resets before this run went through.</summary>
    public int Recoveries { get; init; }
}

/// <summary>
/// A board running compiled models over the board link (any duplex stream: a serial port, the
/// XDMA device files, the emulator's pseudo-terminal, an in-memory pipe). <see cref="ConnectAsync"/>
/// says hello, <see cref="LoadModelAsync"/> checks the model was compiled for this board and puts
/// it there, ending with a random host tag (register 2) that every board reset clears;
/// <see cref="RunAsync"/> checks the tag, writes the input, starts the engine, polls it (bounded by
/// the model's predicted cycles), reads the output back and checks the tag again. Every wait is
/// bounded: each request by the retry policy, a run by <see cref="BoardOptions"/>.
/// </summary>
public sealed class Board : IAsyncDisposable, IDisposable
{
    private readonly BoardOptions options;
    private BoardModel? loaded;
    private uint tag;

    public Board(Stream stream, string address, BoardOptions? options = null, bool ownsStream = true)
    {
        this.options = options ?? new BoardOptions();
        Address = address;
        Link = new LinkClient(stream, this.options.Policy, firstSequence: (ushort)Random.Shared.Next(65536), ownsStream: ownsStream);
        Commands = new Commands(Link);
    }

    /// <summary>How the user named the board (for messages).</summary>
    public string Address { get; }

    public LinkClient Link { get; }

    public Commands Commands { get; }

    /// <summary>What HELLO reported; null before <see cref="ConnectAsync"/>.</summary>
    public BoardInfo? Info { get; private set; }

    public LinkStatistics Statistics { get; } = new();

    /// <summary>The model on the board (null before a load).</summary>
    public BoardModel? Model => loaded;

    /// <summary>The host tag written by the last load.</summary>
    public uint HostTag => tag;

    /// <summary>Called when RunWithRecoveryAsync saw a reset and reloads (for a note to the user).</summary>
    public Action<BoardResetException>? Recovering { get; set; }

    public async Task<BoardInfo> ConnectAsync(CancellationToken ct = default)
    {
        var mark = Mark();
        BoardInfo info;
        try
        {
            info = await Commands.HelloAsync(ct).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"no answer from the board at {Address} after {Link.Policy.MaxAttempts} attempts in " +
                $"{mark.Clock.Elapsed.TotalSeconds:0.#} s (is it powered, is the baud right?)", e);
        }
        if (info.ProtocolVersion != Protocol.Version)
            throw new BoardMismatchException($"the board at {Address} speaks board-link protocol version {info.ProtocolVersion}; this host speaks version {Protocol.Version}");
        Done(BoardStage.Connect, mark, 0);
        // The board buffers `Window` frames: the weights stream that many requests ahead.
        Commands.WriteWindow = Math.Max(1, Math.Min(info.Window, options.MaxWindow ?? int.MaxValue));
        Info = info;
        return info;
    }

    /// <summary>Throws <see cref="BoardMismatchException"/> when <paramref name="model"/> was not compiled for this board or does not fit it.</summary>
    public void CheckModel(BoardModel model)
    {
        var info = Info ?? throw new InvalidOperationException("connect to the board first");
        if (info.Rows != model.Rows || info.Cols != model.Cols)
            throw new BoardMismatchException($"the model was compiled for a {model.Rows}x{model.Cols} engine (config {model.ConfigHash}), " +
                $"the board at {Address} is {info.Rows}x{info.Cols} (config {info.ConfigHash}); rerun with --rows {info.Rows} --cols {info.Cols}");
        if (!string.Equals(info.ConfigHash, model.ConfigHash, StringComparison.OrdinalIgnoreCase))
            throw new BoardMismatchException($"the model was compiled for engine configuration {model.ConfigHash}, the board at {Address} carries " +
                $"{info.ConfigHash} (both {info.Rows}x{info.Cols}: another buffer depth, parameter depth, clock or DRAM port); " +
                "rerun with the engine options the board was built with");
        if (model.DramBytes > info.DramBytes)
            throw new BoardMismatchException($"the model needs {model.DramBytes:N0} bytes of board DRAM, the board at {Address} has {info.DramBytes:N0}");
        if (model.ParameterWords.Count > 1 << 16)
            throw new BoardMismatchException($"the model has {model.ParameterWords.Count} parameter words; WRITE_PARAM addresses at most 65536");
    }

    /// <summary>
    /// Resets the board (engine idle, registers 0), writes the model's DRAM regions, parameter
    /// words and registers, then a fresh random host tag, and reads the tag back.
    /// </summary>
    public async Task LoadModelAsync(BoardModel model, IProgress<TransferProgress>? progress = null, CancellationToken ct = default)
    {
        if (Info is null) await ConnectAsync(ct).ConfigureAwait(false);
        CheckModel(model);
        loaded = null;
        var mark = Mark();
        long total = model.LoadBytes;
        progress?.Report(new TransferProgress(BoardStage.Weights, 0, total));
        await Commands.ResetAsync(ct).ConfigureAwait(false);
        // One stream for all regions and one for the parameter words: the window stays full across them.
        await Commands.WriteMemoryAsync(model.Regions.Select(r => new MemoryBlock(checked((uint)r.Address), r.Bytes)).ToList(),
            (d, _) => progress?.Report(new TransferProgress(BoardStage.Weights, d, total)), ct).ConfigureAwait(false);
        long regionBytes = model.Regions.Sum(r => (long)r.Bytes.Length);
        var words = model.ParameterWords;
        var wordEnds = new long[words.Count + 1];
        for (int i = 0; i < words.Count; i++) wordEnds[i + 1] = wordEnds[i] + words[i].Length;
        await Commands.WriteParametersAsync(words, n => progress?.Report(new TransferProgress(BoardStage.Weights, regionBytes + wordEnds[n], total)), ct)
            .ConfigureAwait(false);
        foreach (var (register, value) in model.Registers)
            await Commands.WriteRegisterAsync(register, value, ct).ConfigureAwait(false);

        uint fresh;
        do fresh = (uint)Random.Shared.NextInt64(1, 1L << 32);
        while (fresh == tag);
        await Commands.WriteRegisterAsync(Registers.HostTag, fresh, ct).ConfigureAwait(false);
        uint back = await Commands.ReadRegisterAsync(Registers.HostTag, ct).ConfigureAwait(false);
        if (back != fresh)
            throw new BoardRunException($"the board at {Address} did not keep the host tag: wrote 0x{fresh:x8}, read 0x{back:x8}");
        tag = fresh;
        loaded = model;
        Done(BoardStage.Weights, mark, total);
    }

    /// <summary>
    /// One inference: the quantized input (CHW, as QuantizedModel.QuantizeInput gives it) in, the
    /// output tensor back. Throws <see cref="BoardResetException"/> when the host tag changed
    /// before or during the run (the caller reloads: <see cref="RunWithRecoveryAsync"/>).
    /// </summary>
    public async Task<BoardRunResult> RunAsync(sbyte[] quantizedInput, IProgress<TransferProgress>? progress = null, CancellationToken ct = default)
    {
        var model = loaded ?? throw new InvalidOperationException("load a model before running it");
        ArgumentNullException.ThrowIfNull(quantizedInput);
        if (quantizedInput.Length != model.InputShape.Elements)
            throw new ArgumentException($"the input has {quantizedInput.Length} values, the model takes {model.InputShape.Elements} ({model.InputShape})", nameof(quantizedInput));
        await CheckTagAsync("before the run", ct).ConfigureAwait(false);
        var before = await Commands.CountersAsync(ct).ConfigureAwait(false);

        var mark = Mark();
        var input = model.InputRegion(quantizedInput);
        progress?.Report(new TransferProgress(BoardStage.Input, 0, input.Bytes.Length));
        await Commands.WriteMemoryAsync(checked((uint)input.Address), input.Bytes,
            (d, t) => progress?.Report(new TransferProgress(BoardStage.Input, d, t)), ct: ct).ConfigureAwait(false);
        var inputTime = Done(BoardStage.Input, mark, input.Bytes.Length);

        mark = Mark();
        int polls = await ComputeAsync(model, ct).ConfigureAwait(false);
        var computeTime = Done(BoardStage.Compute, mark, 0);

        mark = Mark();
        long readTotal = model.ReadBackBytes, readDone = 0;
        var tensors = new Dictionary<string, sbyte[]>(StringComparer.Ordinal);
        progress?.Report(new TransferProgress(BoardStage.Readback, 0, readTotal));
        foreach (var t in model.ReadBack)
        {
            long at = readDone;
            var bytes = await Commands.ReadMemoryAsync(checked((uint)(t.Base * model.DramWordBytes)), t.Words * model.DramWordBytes,
                (d, _) => progress?.Report(new TransferProgress(BoardStage.Readback, at + d, readTotal)), ct).ConfigureAwait(false);
            readDone += bytes.Length;
            tensors[t.Name] = model.Unpack(t, bytes);
        }
        var readbackTime = Done(BoardStage.Readback, mark, readTotal);

        var after = await Commands.CountersAsync(ct).ConfigureAwait(false);
        // A reset during the run or the read-back leaves an output nobody should trust.
        await CheckTagAsync("after the run", ct).ConfigureAwait(false);
        var delta = new ulong[Math.Min(before.Values.Length, after.Values.Length)];
        for (int i = 0; i < delta.Length; i++) delta[i] = after.Values[i] - before.Values[i];
        var counters = new BoardCounters(delta);
        // The engine's own run time; a v1 board without the run counter leaves only the cycle counter's advance (link included).
        ulong runCycles = counters.Values.Length > (int)CounterId.EngineCycles ? counters.EngineCycles : counters.Cycles;
        return new BoardRunResult(tensors[model.OutputNode], tensors, runCycles, counters, inputTime, computeTime, readbackTime, polls);
    }

    /// <summary><see cref="RunAsync"/>, reloading the model and trying again after a detected reset (up to MaxRecoveries times).</summary>
    public async Task<BoardRunResult> RunWithRecoveryAsync(sbyte[] quantizedInput, IProgress<TransferProgress>? progress = null, CancellationToken ct = default)
    {
        var model = loaded ?? throw new InvalidOperationException("load a model before running it");
        for (int recoveries = 0; ; recoveries++)
        {
            try
            {
                return await RunAsync(quantizedInput, progress, ct).ConfigureAwait(false) with { Recoveries = recoveries };
            }
            catch (BoardResetException e) when (recoveries < options.MaxRecoveries)
            {
                Recovering?.Invoke(e);
                await LoadModelAsync(model, progress, ct).ConfigureAwait(false);
            }
            catch (BoardResetException e)
            {
                throw new BoardResetException($"{e.Message}; gave up after reloading the model {recoveries} times");
            }
        }
    }

    /// <summary>The longest a run may take: the prediction times the factor at the board's speed, at least the minimum.</summary>
    public TimeSpan RunLimit(BoardModel model)
    {
        if (options.RunTimeout is { } fixedLimit) return fixedLimit;
        double perSecond = options.CyclesPerSecond ?? model.Config.ClockMHz * 1e6;
        var predicted = TimeSpan.FromSeconds(model.PredictedCycles * options.RunWaitFactor / perSecond);
        return predicted > options.MinRunWait ? predicted : options.MinRunWait;
    }

    private async Task<int> ComputeAsync(BoardModel model, CancellationToken ct)
    {
        try
        {
            await Commands.StartAsync(ct).ConfigureAwait(false);
        }
        catch (LinkStatusException e) when (e.Status == ResponseStatus.BadArgument)
        {
            // "No program set": the registers were cleared, most likely by a reset.
            await CheckTagAsync("at START", ct).ConfigureAwait(false);
            throw;
        }
        var limit = RunLimit(model);
        var clock = Stopwatch.StartNew();
        var interval = options.PollInterval;
        int polls = 0;
        while (true)
        {
            var status = await Commands.StatusAsync(ct).ConfigureAwait(false);
            polls++;
            switch (status.State)
            {
                case EngineState.Done:
                    return polls;
                case EngineState.Error:
                    throw new BoardRunException($"the engine on the board at {Address} reported an error (cycle {status.Cycles})");
                case EngineState.Idle:
                    // Neither running nor done after START: the board forgot the run.
                    await CheckTagAsync("while running", ct).ConfigureAwait(false);
                    throw new BoardRunException($"the engine on the board at {Address} went idle without finishing the run (cycle {status.Cycles})");
            }
            if (clock.Elapsed > limit)
                throw new TimeoutException($"the board at {Address} did not finish the run within {limit.TotalSeconds:0.#} s: " +
                    $"the model's predicted {model.PredictedCycles:N0} cycles take {model.PredictedCycles / (model.Config.ClockMHz * 1e3):0.###} ms " +
                    $"at {model.Config.ClockMHz} MHz; the engine is still running at cycle {status.Cycles:N0} after {polls} polls");
            await Task.Delay(interval, ct).ConfigureAwait(false);
            interval = TimeSpan.FromTicks(Math.Min(interval.Ticks * 2, options.MaxPollInterval.Ticks));
        }
    }

    private async Task CheckTagAsync(string when, CancellationToken ct)
    {
        uint now = await Commands.ReadRegisterAsync(Registers.HostTag, ct).ConfigureAwait(false);
        if (now != tag)
            throw new BoardResetException($"the board at {Address} was reset since the model was loaded (host tag 0x{tag:x8}, {when} 0x{now:x8})");
    }

    private readonly record struct StageMark(Stopwatch Clock, long Sent, long Received);

    private StageMark Mark() => new(Stopwatch.StartNew(), Link.BytesSent, Link.BytesReceived);

    private TimeSpan Done(BoardStage stage, StageMark mark, long payload)
    {
        var elapsed = mark.Clock.Elapsed;
        Statistics.Add(stage, payload, Link.BytesSent - mark.Sent, Link.BytesReceived - mark.Received, elapsed);
        return elapsed;
    }

    public void Dispose() => Link.Dispose();

    public ValueTask DisposeAsync() => Link.DisposeAsync();
}
