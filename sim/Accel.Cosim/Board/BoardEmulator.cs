using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Accel.Cosim.Verilator;
using Accel.Hardware;
using Accel.Hardware.Board;
using Accel.Hardware.Config;

namespace Accel.Cosim.Board;

/// <summary>Per-byte fault rates of the emulated link, each in 0..1, applied in both directions.</summary>
/// <param name="Delay">Share of bytes held back by <see cref="DelayTime"/> (with every byte behind them).</param>
public sealed record FaultRates(double Drop = 0, double Duplicate = 0, double Corrupt = 0, double Delay = 0)
{
    public static FaultRates None { get; } = new();

    public TimeSpan DelayTime { get; init; } = TimeSpan.FromMilliseconds(1);

    public bool Any => Drop > 0 || Duplicate > 0 || Corrupt > 0 || Delay > 0;

    public FaultRates Validate()
    {
        foreach (var (name, p) in new[] { ("drop", Drop), ("duplicate", Duplicate), ("corrupt", Corrupt), ("delay", Delay) })
            if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(name, p, "a fault rate is in 0..1");
        if (DelayTime < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(DelayTime), DelayTime, "negative delay");
        return this;
    }
}

/// <summary>
/// How the emulated board is run. The link's timing is not an option: it is the
/// <see cref="BoardConfig"/> given to <see cref="BoardEmulator.StartAsync"/>, whose UART divider is
/// generated into the RTL. Timed mode is a BoardConfig with the real baud (e.g.
/// <c>new BoardConfig { Baud = 3_000_000 }</c>: 33 clocks per bit at 100 MHz); fast mode is
/// <see cref="BoardConfig.Emulated"/> (4 clocks per bit). Either way the emulator keeps board time
/// (<see cref="EmulatorStats.VirtualSeconds"/>): simulated clocks at the board's clock plus the wall
/// time it sleeps while the board is idle, so the line runs at the RTL's rate in board time however
/// slowly the simulation goes. Wall-clock timeouts on the host must allow for the simulation: a
/// 1 KiB frame at 33 clocks per bit is ~350k cycles.
/// </summary>
public sealed record EmulatorOptions
{
    public FaultRates Faults { get; init; } = FaultRates.None;

    public int Seed { get; init; } = 1;

    /// <summary>Pulse the board's reset after this many host-to-board bytes crossed the line (each entry once).</summary>
    public IReadOnlyList<long> ResetAfterBytes { get; init; } = [];

    /// <summary>The XDMA top and its device files instead of the UART top and a pseudo-terminal.</summary>
    public bool Xdma { get; init; }

    /// <summary>The emulator exits after this long whatever happens (a safety net for a forgotten process).</summary>
    public TimeSpan MaxLifetime { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>The DRAM model's size; null for the board's <see cref="BoardConfig.DramBytes"/>.</summary>
    public long? DramBytes { get; init; }

    /// <summary>Longest wait for the emulator to report its link (after the build).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Where builds are cached; null for <see cref="VerilatorBuild.DefaultCacheRoot"/>.</summary>
    public string? CacheRoot { get; init; }

    /// <summary>A VCD of the whole session (a traced build, much slower).</summary>
    public string? TracePath { get; init; }

    /// <summary>
    /// Host bytes enter the board's line no earlier in board time than the host's reaction allows
    /// (the board time of the last bytes handed to the host plus the wall time since): the host's
    /// turnaround counts 1:1 even while the board works through queued frames, which the simulation
    /// does far slower than a board. For timed-mode measurements with a window above 1.
    /// </summary>
    public bool HostTime { get; init; }
}

/// <summary>Bytes that met a fault on their way.</summary>
public sealed record FaultCounts(long Dropped, long Duplicated, long Corrupted, long Delayed)
{
    public long Total => Dropped + Duplicated + Corrupted + Delayed;
}

/// <summary>What the emulator reports when it exits (its --stats file).</summary>
/// <param name="HostToBoardBytes">Bytes the host sent.</param>
/// <param name="HostToBoardBytesOnLine">Bytes that reached the board's line, after the faults.</param>
/// <param name="BoardToHostBytes">Bytes the board sent.</param>
/// <param name="BoardToHostBytesDelivered">Bytes handed to the host, after the faults.</param>
/// <param name="BusySeconds">Wall time spent clocking the model (not asleep waiting for the host).</param>
/// <param name="Exit">Why it stopped: done (script), stdin-eof, signal, max-seconds, link-error.</param>
/// <param name="ClockHz">The board clock the RTL was generated for.</param>
/// <param name="ClocksPerBit">The UART divider generated into the RTL.</param>
/// <param name="VirtualSeconds">Board time at exit: <see cref="Cycles"/> / <see cref="ClockHz"/> plus the wall time slept while the board was idle.</param>
/// <param name="FirstHostByteSeconds">Board time when the first host byte started onto the board's line (null: none did).</param>
/// <param name="LastBoardByteSeconds">Board time when the board's last byte was complete on its line (null: it sent none).</param>
/// <param name="FirstHostByteCycle">The cycle count at <see cref="FirstHostByteSeconds"/>.</param>
/// <param name="LastBoardByteCycle">The cycle count at <see cref="LastBoardByteSeconds"/>.</param>
/// <param name="IdleSeconds">The part of <see cref="VirtualSeconds"/> slept with the board idle (wall time counted as it is).</param>
/// <param name="HostTurnarounds">Times the host sent again after the board's bytes were handed to it.</param>
/// <param name="HostTurnaroundSeconds">Their wall time in all: the host's reaction, the pty both ways, the polling on both sides.</param>
/// <param name="MaxHostTurnaroundSeconds">The longest of them.</param>
public sealed record EmulatorStats(
    long HostToBoardBytes, long HostToBoardBytesOnLine, long BoardToHostBytes, long BoardToHostBytesDelivered,
    FaultCounts FaultsToBoard, FaultCounts FaultsToHost, long Resets, long FramingErrors, long Cycles,
    double WallSeconds, double BusySeconds, double CyclesPerBusySecond, string Exit,
    long ClockHz, int ClocksPerBit, double VirtualSeconds, double? FirstHostByteSeconds, double? LastBoardByteSeconds,
    long FirstHostByteCycle, long LastBoardByteCycle, double IdleSeconds, long HostTurnarounds, double HostTurnaroundSeconds, double MaxHostTurnaroundSeconds)
{
    /// <summary>The mean host turnaround (0 when none).</summary>
    public double MeanHostTurnaroundSeconds => HostTurnarounds > 0 ? HostTurnaroundSeconds / HostTurnarounds : 0;

    /// <summary>The line rate the divider gives (bits per second of board time).</summary>
    public double LineBaud => ClocksPerBit > 0 ? (double)ClockHz / ClocksPerBit : 0;

    /// <summary>Bytes on the line both ways (host to board after the faults, board to host as sent).</summary>
    public long WireBytes => HostToBoardBytesOnLine + BoardToHostBytes;

    /// <summary>Board time from the first host byte to the last board byte; 0 when either is missing.</summary>
    public double VirtualSpanSeconds => FirstHostByteSeconds is { } first && LastBoardByteSeconds is { } last ? Math.Max(0, last - first) : 0;

    /// <summary>
    /// <paramref name="dataBytes"/> over what the line could carry in <see cref="VirtualSpanSeconds"/>
    /// (<see cref="LineBaud"/> / 10 bytes a second, 8N1): the payload efficiency of a session that did
    /// nothing but move those bytes.
    /// </summary>
    public double Efficiency(long dataBytes) => VirtualSpanSeconds > 0 ? dataBytes / (VirtualSpanSeconds * LineBaud / 10) : 0;

    /// <summary>
    /// The span's board clocks alone: <see cref="VirtualSpanSeconds"/> less the idle wall time in it,
    /// i.e. the span with a host that answers at once (the line and the board's own latency only).
    /// </summary>
    public double BoardSpanSeconds => FirstHostByteSeconds is not null && LastBoardByteSeconds is not null && ClockHz > 0
        ? Math.Max(0, LastBoardByteCycle - FirstHostByteCycle) / (double)ClockHz : 0;

    /// <summary><see cref="Efficiency"/> over <see cref="BoardSpanSeconds"/>: what the link gives with an instant host.</summary>
    public double BoardEfficiency(long dataBytes) => BoardSpanSeconds > 0 ? dataBytes / (BoardSpanSeconds * LineBaud / 10) : 0;

    public static EmulatorStats Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        long L(string name) => root.GetProperty(name).GetInt64();
        double? D(string name) => root.GetProperty(name) is { ValueKind: JsonValueKind.Number } e ? e.GetDouble() : null;
        FaultCounts F(string name)
        {
            var e = root.GetProperty(name);
            return new FaultCounts(e.GetProperty("dropped").GetInt64(), e.GetProperty("duplicated").GetInt64(),
                e.GetProperty("corrupted").GetInt64(), e.GetProperty("delayed").GetInt64());
        }
        return new EmulatorStats(L("hostToBoardBytes"), L("hostToBoardBytesOnLine"), L("boardToHostBytes"), L("boardToHostBytesDelivered"),
            F("faultsToBoard"), F("faultsToHost"), L("resets"), L("framingErrors"), L("cycles"),
            root.GetProperty("wallSeconds").GetDouble(), root.GetProperty("busySeconds").GetDouble(),
            root.GetProperty("cyclesPerBusySecond").GetDouble(), root.GetProperty("exit").GetString() ?? "",
            L("clockHz"), root.GetProperty("clocksPerBit").GetInt32(), root.GetProperty("virtualSeconds").GetDouble(),
            D("firstHostByteSeconds"), D("lastBoardByteSeconds"), L("firstHostByteCycle"), L("lastBoardByteCycle"), root.GetProperty("idleSeconds").GetDouble(),
            L("hostTurnarounds"), root.GetProperty("hostTurnaroundSeconds").GetDouble(), root.GetProperty("maxHostTurnaroundSeconds").GetDouble());
    }
}

/// <summary>
/// The emulated board: the board RTL (<c>accel_board_uart</c>, or <c>accel_board_xdma</c>) and its
/// engine under Verilator with sim/harness/board_emu.cpp, started as a process that offers the
/// link as a pseudo-terminal (<see cref="PortName"/>, for the UART transport) or as XDMA-like device
/// files (<see cref="XdmaPrefix"/>). The build is cached like the cosim testbench's. The process
/// reads nothing from its stdin but exits when it closes, so it never outlives this object's
/// process; <see cref="StopAsync"/> closes it and returns the emulator's statistics.
/// </summary>
public sealed class BoardEmulator : IAsyncDisposable
{
    public const string ExecutableName = "accel_board_emu";
    public const string HarnessMain = "board_emu.cpp";
    public const string UartTop = "accel_board_uart";
    public const string XdmaTop = "accel_board_xdma";

    private static readonly ConcurrentDictionary<string, Lazy<Task<BuildResult>>> Builds = new();

    private readonly Process process;
    private readonly string workDirectory;
    private readonly string statsPath;
    private readonly StringBuilder standardError = new();
    private EmulatorStats? stats;

    private BoardEmulator(Process process, string workDirectory, string statsPath, string portName, string? xdmaPrefix, BuildResult build)
    {
        this.process = process;
        this.workDirectory = workDirectory;
        this.statsPath = statsPath;
        PortName = portName;
        XdmaPrefix = xdmaPrefix;
        Build = build;
    }

    /// <summary>The pseudo-terminal (/dev/pts/N) of a UART emulator; empty for XDMA.</summary>
    public string PortName { get; }

    /// <summary>DIR/xdma0: the prefix of the _h2c_0, _c2h_0 and _user files of an XDMA emulator; null for UART.</summary>
    public string? XdmaPrefix { get; }

    public BuildResult Build { get; }

    public int ProcessId => process.Id;

    public bool HasExited => process.HasExited;

    /// <summary>What the emulator wrote on stderr so far.</summary>
    public string StandardError
    {
        get
        {
            lock (standardError) return standardError.ToString();
        }
    }

    /// <summary>Generates the board RTL for <paramref name="engine"/> and <paramref name="board"/> and builds the emulator (cached).</summary>
    public static Task<BuildResult> BuildAsync(EngineConfig engine, BoardConfig board, bool xdma = false, bool trace = false,
        string? cacheRoot = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(board);
        board.Validate();
        string root = cacheRoot ?? VerilatorBuild.DefaultCacheRoot();
        string key = string.Join('|', engine.Hash(), engine.ToString(), board.ClockHz, board.Baud, board.DramBytes, board.FrameSlots, xdma, trace, root);
        var lazy = Builds.GetOrAdd(key, _ => new Lazy<Task<BuildResult>>(() => Task.Run(() => BuildNowAsync(engine, board, xdma, trace, root, ct))));
        var task = lazy.Value;
        // A failed or cancelled build is not remembered: the next call tries again.
        task.ContinueWith(t => Builds.TryRemove(new KeyValuePair<string, Lazy<Task<BuildResult>>>(key, lazy)),
            CancellationToken.None, TaskContinuationOptions.NotOnRanToCompletion, TaskScheduler.Default);
        return task;
    }

    private static async Task<BuildResult> BuildNowAsync(EngineConfig engine, BoardConfig board, bool xdma, bool trace, string cacheRoot, CancellationToken ct)
    {
        // The RTL goes to a private directory: the cache key is over file names and contents, not paths.
        string rtl = Path.Combine(Path.GetTempPath(), "accel-board-rtl", Guid.NewGuid().ToString("N"));
        try
        {
            var sources = EngineGenerator.WriteBoardRtl(engine, board, rtl);
            var build = new VerilatorBuild(sources, rtl, trace)
            {
                Top = xdma ? XdmaTop : UartTop,
                HarnessMain = HarnessMain,
                Executable = ExecutableName,
                ExtraConfigHeaders = [BoardRtl.ConfigHeader],
                CacheRoot = cacheRoot,
            };
            return await build.BuildAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            TryDelete(rtl);
        }
    }

    /// <summary>Builds (or reuses) the emulator, starts it and waits until it reports its link.</summary>
    /// <exception cref="CosimException">The build failed, or the process exited or stayed silent before reporting its link (the message carries its stderr).</exception>
    public static async Task<BoardEmulator> StartAsync(EngineConfig engine, BoardConfig board, EmulatorOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Faults.Validate();
        var build = await BuildAsync(engine, board, options.Xdma, options.TracePath is not null, options.CacheRoot, ct).ConfigureAwait(false);

        string work = Path.Combine(Path.GetTempPath(), "accel-board-emu", $"{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        string statsPath = Path.Combine(work, "stats.json");
        var arguments = Arguments(options, board, statsPath);
        arguments.InsertRange(0, options.Xdma ? ["--xdma", Path.Combine(work, "xdma")] : ["--pty"]);

        var startInfo = new ProcessStartInfo(build.Executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = work,
        };
        foreach (var a in arguments) startInfo.ArgumentList.Add(a);
        var process = new Process { StartInfo = startInfo };
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var errors = new StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) ready.TrySetException(new EndOfStreamException("stdout closed"));
            else if (e.Data.StartsWith("PTY ", StringComparison.Ordinal) || e.Data.StartsWith("XDMA ", StringComparison.Ordinal)) ready.TrySetResult(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (errors) errors.AppendLine(e.Data);
        };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            TryDelete(work);
            throw new CosimException($"cannot start the board emulator {build.Executable}: {e.Message}", e);
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        string line;
        try
        {
            var exited = process.WaitForExitAsync(ct);
            var winner = await Task.WhenAny(ready.Task, exited, Task.Delay(options.StartTimeout, ct)).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            if (winner != ready.Task || !ready.Task.IsCompletedSuccessfully)
            {
                string why = process.HasExited ? $"exited with code {process.ExitCode} before reporting its link"
                    : $"did not report its link within {options.StartTimeout.TotalSeconds:0.#} s";
                Kill(process);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                process.WaitForExit();
                string tail;
                lock (errors) tail = Tail(errors.ToString());
                TryDelete(work);
                throw new CosimException($"board emulator {build.Executable} {why}; stderr:\n{tail}");
            }
            line = ready.Task.Result;
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            TryDelete(work);
            throw;
        }

        string path = line[(line.IndexOf(' ') + 1)..].Trim();
        var emulator = new BoardEmulator(process, work, statsPath, options.Xdma ? "" : path, options.Xdma ? path : null, build);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (emulator.standardError) emulator.standardError.AppendLine(e.Data);
        };
        lock (errors) emulator.standardError.Append(errors);
        return emulator;
    }

    /// <summary>Closes the emulator's stdin (it exits), waits for it (killing it past <paramref name="timeout"/>) and returns its statistics.</summary>
    /// <exception cref="CosimException">It had to be killed, or wrote no statistics.</exception>
    public async Task<EmulatorStats> StopAsync(TimeSpan? timeout = null)
    {
        if (stats is not null) return stats;
        try
        {
            try
            {
                process.StandardInput.Close();
            }
            catch (IOException) { /* it exited already */ }
            using var limit = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
            bool killed = false;
            try
            {
                await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Kill(process);
                killed = true;
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
            process.WaitForExit();
            if (killed) throw new CosimException($"board emulator {process.Id} did not exit after its stdin closed and was killed; stderr:\n{Tail(StandardError)}");
            if (!File.Exists(statsPath))
                throw new CosimException($"board emulator exited with code {process.ExitCode} without writing its statistics; stderr:\n{Tail(StandardError)}");
            stats = EmulatorStats.Parse(await File.ReadAllTextAsync(statsPath).ConfigureAwait(false));
            return stats;
        }
        finally
        {
            process.Dispose();
            TryDelete(workDirectory);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (stats is not null) return;
        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        catch (CosimException) { /* disposal must not throw; StopAsync reports the problem to those who ask */ }
        catch (InvalidOperationException) { }
    }

    /// <summary>
    /// Script mode: feeds <paramref name="hostBytes"/> to the board (the next request's bytes wait
    /// until the board has answered the previous one, as a window-1 host would) and returns every
    /// byte the board sent, once it has been idle and silent for 100,000 cycles.
    /// </summary>
    public static async Task<byte[]> RunScriptAsync(EngineConfig engine, BoardConfig board, byte[] hostBytes, EmulatorOptions? options = null,
        CancellationToken ct = default) =>
        (await RunScriptWithStatsAsync(engine, board, hostBytes, options, ct).ConfigureAwait(false)).BoardBytes;

    /// <inheritdoc cref="RunScriptAsync"/>
    public static async Task<(byte[] BoardBytes, EmulatorStats Stats)> RunScriptWithStatsAsync(EngineConfig engine, BoardConfig board,
        byte[] hostBytes, EmulatorOptions? options = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(hostBytes);
        options ??= new EmulatorOptions();
        if (options.Xdma) throw new ArgumentException("script mode drives the UART top", nameof(options));
        options.Faults.Validate();
        var build = await BuildAsync(engine, board, xdma: false, options.TracePath is not null, options.CacheRoot, ct).ConfigureAwait(false);
        string work = Path.Combine(Path.GetTempPath(), "accel-board-emu", $"{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            string input = Path.Combine(work, "host.bin"), output = Path.Combine(work, "board.bin"), statsPath = Path.Combine(work, "stats.json");
            await File.WriteAllBytesAsync(input, hostBytes, ct).ConfigureAwait(false);
            var arguments = Arguments(options, board, statsPath);
            arguments.InsertRange(0, ["--script", input, "--script-out", output]);
            ProcessRunner.Outcome outcome;
            try
            {
                outcome = await ProcessRunner.RunAsync(build.Executable, arguments, work, options.MaxLifetime + TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            }
            catch (Win32Exception e)
            {
                throw new CosimException($"cannot start the board emulator {build.Executable}: {e.Message}", e);
            }
            if (outcome.TimedOut || outcome.ExitCode != 0)
                throw new CosimException($"board emulator script run failed (exit code {outcome.ExitCode}{(outcome.TimedOut ? ", timed out" : "")}): {Tail(outcome.StandardError)}");
            var stats = EmulatorStats.Parse(await File.ReadAllTextAsync(statsPath, ct).ConfigureAwait(false));
            if (stats.Exit != "done")
                throw new CosimException($"board emulator script run stopped early ({stats.Exit}): {Tail(outcome.StandardError)}");
            return (await File.ReadAllBytesAsync(output, ct).ConfigureAwait(false), stats);
        }
        finally
        {
            TryDelete(work);
        }
    }

    private static List<string> Arguments(EmulatorOptions o, BoardConfig board, string statsPath)
    {
        var inv = CultureInfo.InvariantCulture;
        var a = new List<string>
        {
            "--stats", statsPath,
            "--max-seconds", Math.Max(1, Math.Ceiling(o.MaxLifetime.TotalSeconds)).ToString(inv),
            "--dram-bytes", (o.DramBytes ?? board.DramBytes).ToString(inv),
            "--seed", ((uint)o.Seed).ToString(inv),
        };
        var f = o.Faults;
        if (f.Drop > 0) a.AddRange(["--drop", f.Drop.ToString("R", inv)]);
        if (f.Duplicate > 0) a.AddRange(["--duplicate", f.Duplicate.ToString("R", inv)]);
        if (f.Corrupt > 0) a.AddRange(["--corrupt", f.Corrupt.ToString("R", inv)]);
        if (f.Delay > 0) a.AddRange(["--delay", f.Delay.ToString("R", inv), "--delay-us", ((long)f.DelayTime.TotalMicroseconds).ToString(inv)]);
        if (o.ResetAfterBytes.Count > 0)
        {
            if (o.ResetAfterBytes.Any(n => n < 0)) throw new ArgumentOutOfRangeException(nameof(o), "ResetAfterBytes entries are byte counts");
            a.AddRange(["--reset-after-bytes", string.Join(',', o.ResetAfterBytes.Select(n => n.ToString(inv)))]);
        }
        if (o.TracePath is { } trace) a.AddRange(["--trace", Path.GetFullPath(trace)]);
        if (o.HostTime) a.Add("--host-time");
        return a;
    }

    private static string Tail(string text)
    {
        var lines = text.TrimEnd().Split('\n');
        return string.Join('\n', lines.TakeLast(30));
    }

    private static void Kill(Process p)
    {
        try
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { /* exited meanwhile */ }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
