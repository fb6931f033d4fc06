using System.Globalization;
using Accel.Cosim.Board;
using Accel.Hardware.Board;
using Accel.Hardware.Config;
using Accel.Link;
using Accel.Link.Transports;
using Accel.Tests;
using Xunit;
using Xunit.Abstractions;

namespace Accel.Cosim.Tests.Board;

/// <summary>One timed WRITE_MEM session: the data written and what the emulator measured in board time.</summary>
public sealed record LinkMeasurement(long DataBytes, EmulatorStats Stats, long Retries, int Window = 1)
{
    /// <summary>Data bytes over what the line carries in the session's board-time span (the real divider's rate).</summary>
    public double Efficiency => Stats.Efficiency(DataBytes);

    /// <summary>The same over the span's board clocks only: the link with a host that answers at once.</summary>
    public double BoardEfficiency => Stats.BoardEfficiency(DataBytes);

    /// <summary>The same against the nominal baud the board was generated for (the divider rounds: 33 clocks a bit is 3.03 Mbaud).</summary>
    public double NominalEfficiency(long baud) => Stats.VirtualSpanSeconds > 0 ? DataBytes / (Stats.VirtualSpanSeconds * baud / 10.0) : 0;

    /// <summary>Board time to write <paramref name="dataBytes"/> at this efficiency: bulk WRITE_MEM is full frames, so the rate per frame carries over.</summary>
    public double WriteSeconds(long dataBytes) => dataBytes / (Stats.LineBaud / 10 * Efficiency);

    /// <summary>The same with a host that answers at once (<see cref="BoardEfficiency"/>).</summary>
    public double BoardWriteSeconds(long dataBytes) => dataBytes / (Stats.LineBaud / 10 * BoardEfficiency);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"window {Window}: {DataBytes} data bytes, {Stats.WireBytes} wire bytes ({Stats.HostToBoardBytesOnLine} to the board, {Stats.BoardToHostBytes} back) in " +
        $"{Stats.VirtualSpanSeconds * 1e3:F2} ms board time at {Stats.LineBaud:F0} baud ({Stats.ClocksPerBit} clocks a bit): efficiency {Efficiency:P2}, " +
        $"{BoardEfficiency:P2} with an instant host ({Stats.BoardSpanSeconds * 1e3:F2} ms of board clocks); " +
        $"{Stats.Cycles} cycles, {Stats.WallSeconds:F1} s wall, {Stats.CyclesPerBusySecond / 1e6:F2} M cycles/s busy; " +
        $"idle {Stats.IdleSeconds * 1e3:F2} ms, host turnaround {Stats.MeanHostTurnaroundSeconds * 1e6:F0} us mean over {Stats.HostTurnarounds}, " +
        $"{Stats.MaxHostTurnaroundSeconds * 1e6:F0} us max");
}

/// <summary>
/// The link's speed in board time (the emulator's virtual clock): the board RTL generated with the
/// real UART divider, the host's frames over the pseudo-terminal through SerialTransport.
/// </summary>
public static class LinkTiming
{
    /// <summary>A board config for timed mode: the fixture's board with the real divider for <paramref name="baud"/> at 100 MHz.</summary>
    public static BoardConfig Timed(long baud) => BoardEmulatorFixture.Board with { Baud = baud };

    /// <summary>
    /// Host timeouts for a timed emulator: one 1 KiB frame is ~1,060 wire bytes each of 10 bits at
    /// <see cref="BoardConfig.ClocksPerBit"/> clocks, simulated at some 10^5..10^6 cycles per wall second
    /// on a loaded machine. A resend would spoil the measurement, so the first wait is generous.
    /// </summary>
    public static RetryPolicy Policy(BoardConfig board)
    {
        double frameCycles = 1100.0 * 10 * board.ClocksPerBit;
        var first = TimeSpan.FromSeconds(Math.Max(5, frameCycles / 100_000));
        return new RetryPolicy(first, first * 4, 4);
    }

    /// <summary>
    /// Starts an emulator for <paramref name="engine"/> and <paramref name="board"/>, writes
    /// <paramref name="bytes"/> random bytes with WRITE_MEM as the only traffic of the session (no
    /// HELLO, no read-back), <paramref name="window"/> requests in flight (default: the board's
    /// frame slots, as HELLO would report), stops it and returns the board-time figures: the span
    /// runs from the first request byte onto the board's line to the last response byte off it.
    /// </summary>
    public static async Task<LinkMeasurement> MeasureWriteAsync(EngineConfig engine, BoardConfig board, int bytes, int seed = 15, int? window = null)
    {
        int used = window ?? board.FrameSlots;
        // Host time: the host's reaction counts in board time even while the board works through the window's frames.
        await using var emulator = await BoardEmulator.StartAsync(engine, board, new EmulatorOptions { MaxLifetime = TimeSpan.FromMinutes(30), HostTime = true });
        var data = new byte[bytes];
        new Random(seed).NextBytes(data);
        long retries;
        await using (var link = new LinkClient(SerialTransport.Open(emulator.PortName, board.Baud), Policy(board)))
        {
            await new Commands(link) { WriteWindow = used }.WriteMemoryAsync(0, data);
            retries = link.Retries;
        }
        var stats = await emulator.StopAsync();
        return new LinkMeasurement(bytes, stats, retries, used);
    }
}

[Collection(BoardTimingCollection.Name)]
public sealed class BoardTimingTests(BoardEmulatorFixture fixture, ITestOutputHelper output)
{
    /// <summary>
    /// The figure: at 3 Mbaud, bulk WRITE_MEM delivers at least 90 % of the line rate in board
    /// time, the host's turnaround counted 1:1 (host time), with the board's window (four frames in
    /// flight), which hides a turnaround up to three frames' time (10.4 ms).
    /// </summary>
    [RequiresToolsFact("verilator")]
    public async Task ThreeMegabaudWriteDeliversNinetyPercentOfTheLine()
    {
        _ = fixture.UartBuild;
        var budget = new LinkBudget(3_000_000, Window: BoardEmulatorFixture.Board.FrameSlots);
        double hidden = budget.MaxTurnaroundSeconds(budget.Efficiency);
        // The host's stalls (a garbage collection in a test process that has run the whole suite, a
        // busy machine) count in board time as they would on a real line. Up to three attempts; the
        // host-inclusive 90 % is required of every attempt in which this host never stalled past
        // what the window hides, and the board's own figure of every attempt.
        var clean = new List<LinkMeasurement>();
        for (int attempt = 1; attempt <= 3 && clean.Count == 0; attempt++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var m = await MeasureAsync(3_000_000, 32 * 1024);
            Assert.Equal(4, m.Window);
            Assert.True(m.BoardEfficiency >= 0.90, $"efficiency with an instant host {m.BoardEfficiency:P2} below 90 %");
            if (m.Stats.MaxHostTurnaroundSeconds <= hidden) clean.Add(m);
            else output.WriteLine($"attempt {attempt}: the host's turnaround reached {m.Stats.MaxHostTurnaroundSeconds * 1e3:F1} ms, " +
                $"above the {hidden * 1e3:F1} ms the window hides (efficiency {m.Efficiency:P2})");
        }
        foreach (var m in clean)
            Assert.True(m.Efficiency >= 0.90, $"efficiency {m.Efficiency:P2} below 90 % (host turnaround {m.Stats.MeanHostTurnaroundSeconds * 1e3:F2} ms mean)");
        if (clean.Count == 0) output.WriteLine("this host stalled in every attempt: only the board's own efficiency was checked");
    }

    /// <summary>
    /// The same at window 1, for comparison: the board alone is as fast, but every frame waits for
    /// the host's turnaround, which a busy PC cannot keep under the 254 us that 90 % allows.
    /// </summary>
    [RequiresToolsFact("verilator")]
    [Trait("Category", "Long")]
    public async Task ThreeMegabaudWriteAtWindowOne()
    {
        _ = fixture.UartBuild;
        var m = await MeasureAsync(3_000_000, 32 * 1024, window: 1);
        Assert.True(m.BoardEfficiency >= 0.90, $"efficiency with an instant host {m.BoardEfficiency:P2} below 90 %");
    }

    /// <summary>256 KiB at 3 Mbaud: the efficiency over a long transfer (the figure the load-time estimate uses).</summary>
    [RequiresToolsFact("verilator")]
    [Trait("Category", "Long")]
    public async Task ThreeMegabaudLongWrite()
    {
        _ = fixture.UartBuild;
        var m = await MeasureAsync(3_000_000, 256 * 1024);
        Assert.True(m.Efficiency >= 0.90, $"efficiency {m.Efficiency:P2} below 90 %");
    }

    /// <summary>16 KiB at 115,200 baud (868 clocks a bit: ~9 M cycles a frame, minutes of simulation).</summary>
    [RequiresToolsFact("verilator")]
    [Trait("Category", "Long")]
    public async Task Baud115200Write()
    {
        _ = fixture.UartBuild;
        var m = await MeasureAsync(115_200, 16 * 1024);
        Assert.True(m.Efficiency >= 0.90, $"efficiency {m.Efficiency:P2} below 90 %");
    }

    /// <summary>
    /// Load-time estimate for a model: ACCEL_LOAD_BYTES="name=bytes,name=bytes" (the data the host
    /// writes with WRITE_MEM: weights and program); measures the efficiency at 115,200 and 3,000,000
    /// baud (ACCEL_LOAD_BAUDS to change) over ACCEL_LOAD_SAMPLE bytes (default 64 KiB; 8 KiB at 115,200)
    /// and prints, for each model and baud, data / (line rate × efficiency) in board time.
    /// </summary>
    [RequiresToolsFact("verilator")]
    [Trait("Category", "Long")]
    public async Task LoadTimeEstimate()
    {
        _ = fixture.UartBuild;
        string? spec = Environment.GetEnvironmentVariable("ACCEL_LOAD_BYTES");
        if (string.IsNullOrWhiteSpace(spec))
        {
            output.WriteLine("ACCEL_LOAD_BYTES not set (e.g. \"compressed=1300000,dense=1250000\"): nothing to estimate");
            return;
        }
        var models = spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(item => item.Split('=', 2))
            .Select(kv => (Name: kv[0], Bytes: long.Parse(kv[^1], CultureInfo.InvariantCulture)))
            .ToList();
        var bauds = (Environment.GetEnvironmentVariable("ACCEL_LOAD_BAUDS") ?? "115200,3000000")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(b => long.Parse(b, CultureInfo.InvariantCulture));
        int? sample = int.TryParse(Environment.GetEnvironmentVariable("ACCEL_LOAD_SAMPLE"), CultureInfo.InvariantCulture, out int s) ? s : null;
        foreach (long baud in bauds)
        {
            var m = await MeasureAsync(baud, sample ?? (baud < 1_000_000 ? 8 * 1024 : 64 * 1024));
            foreach (var (name, bytes) in models)
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"load {name}: {bytes} bytes at {baud} baud: {m.WriteSeconds(bytes):F2} s board time with this host's turnaround " +
                    $"(efficiency {m.Efficiency:P2}), {m.BoardWriteSeconds(bytes):F2} s with an instant host ({m.BoardEfficiency:P2})"));
        }
    }

    /// <summary>
    /// How fast the emulator simulates in fast mode (4 clocks a bit), for planning long runs: 32 KiB
    /// of WRITE_MEM at the fixture's 4x4 engine and at the default 16x16 engine. The engine is idle
    /// meanwhile (the link owns the DRAM port), but Verilator evaluates all of it every cycle.
    /// </summary>
    [RequiresToolsFact("verilator")]
    [Trait("Category", "Long")]
    public async Task FastModeSimulationSpeed()
    {
        _ = fixture.UartBuild;
        foreach (var engine in new[] { BoardEmulatorFixture.Engine, new EngineConfig { ParamDepth = 256 } })
        {
            var m = await LinkTiming.MeasureWriteAsync(engine, BoardConfig.Emulated with { DramBytes = 1 << 20 }, 32 * 1024);
            output.WriteLine($"fast mode {engine.Rows}x{engine.Cols}: {m}");
            Assert.Equal(0, m.Retries);
            Assert.True(m.Stats.CyclesPerBusySecond > 0);
        }
    }

    private async Task<LinkMeasurement> MeasureAsync(long baud, int bytes, int? window = null)
    {
        var board = LinkTiming.Timed(baud);
        var m = await LinkTiming.MeasureWriteAsync(BoardEmulatorFixture.Engine, board, bytes, window: window);
        var budget = new LinkBudget((int)baud, Window: m.Window);
        output.WriteLine($"{baud} baud: {m}; against the nominal {baud} baud {m.NominalEfficiency(baud):P2}; " +
            $"90 % needs a host turnaround below {budget.MaxTurnaroundSeconds(0.90) * 1e6:F0} us");
        var stats = m.Stats;
        Assert.Equal("stdin-eof", stats.Exit);
        Assert.Equal(board.ClocksPerBit, stats.ClocksPerBit);
        Assert.Equal(0, m.Retries);  // a resend would cost a timeout and spoil the figure
        Assert.Equal(0, stats.FramingErrors);
        Assert.True(stats.HostToBoardBytesOnLine > bytes, "the data did not cross the line");
        // The line cannot beat itself: window 1 sends request and response one after the other; a
        // window overlaps them (full duplex), but the requests still pass one at a time.
        long lineBytes = m.Window == 1 ? stats.WireBytes : stats.HostToBoardBytesOnLine;
        double lineSeconds = lineBytes * 10 / stats.LineBaud;
        Assert.True(stats.BoardSpanSeconds >= lineSeconds,
            $"board clocks in the span {stats.BoardSpanSeconds * 1e3:F3} ms below the {lineSeconds * 1e3:F3} ms the {lineBytes} wire bytes take");
        Assert.True(stats.VirtualSpanSeconds >= stats.BoardSpanSeconds);
        // Nor can the link beat the protocol's own budget (frames, headers, CRC, stuffing, no turnaround).
        Assert.True(m.BoardEfficiency <= budget.Efficiency + 0.01, $"efficiency {m.BoardEfficiency:P2} above the link budget {budget.Efficiency:P2}");
        // At window 1 the board time beyond its clocks is the host's turnaround, frame by frame (one
        // per response but the last; the emulator's wall-clock stamps are its pump's, so within a
        // tenth). With a window the board works through queued frames meanwhile, and a host slow to
        // read its answers idles the line in ways the turnaround figure does not see.
        double idleInSpan = stats.VirtualSpanSeconds - stats.BoardSpanSeconds;
        if (m.Window == 1)
            Assert.InRange(idleInSpan, 0.8 * stats.HostTurnaroundSeconds - 1e-3, 1.1 * stats.HostTurnaroundSeconds + 1e-3);
        // A window hides turnarounds up to W - 1 frames' time at this baud; a longer one idles a real board's line.
        if (m.Window > 1)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"window {m.Window} hides a turnaround up to {budget.MaxTurnaroundSeconds(budget.Efficiency) * 1e3:F2} ms at {baud} baud; " +
                $"this host's: {stats.MeanHostTurnaroundSeconds * 1e3:F2} ms mean, {stats.MaxHostTurnaroundSeconds * 1e3:F2} ms max"));
        Assert.InRange(stats.VirtualSeconds, stats.LastBoardByteSeconds!.Value, double.MaxValue);
        return m;
    }
}
