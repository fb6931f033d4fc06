using System.Diagnostics;
using Accel.Cosim.Board;
using Accel.Link;
using Accel.Link.Transports;
using Accel.Tests;
using Xunit;
using Xunit.Abstractions;

namespace Accel.Cosim.Tests.Board;

/// <summary>The host's link code (LinkClient, Commands, the transports) against the running emulator.</summary>
[Collection(BoardEmulatorCollection.Name)]
public sealed class BoardLinkTests(BoardEmulatorFixture fixture, ITestOutputHelper output)
{
    // The emulated UART moves a byte per 40 simulated cycles, about 20 kB/s at a 4x4 engine's
    // simulation speed: a full frame takes ~50 ms each way, more on a loaded machine.
    // Far above the emulator's answer time even on a loaded 2-core machine: a resend here is a fault.
    private static readonly RetryPolicy Emulated = new(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(8), 8);

    [RequiresToolsFact("verilator")]
    public async Task PseudoTerminalCarriesHelloMemoryAndCounters()
    {
        _ = fixture.UartBuild;
        await using var emulator = await BoardEmulatorFixture.StartAsync();
        Assert.StartsWith("/dev/pts/", emulator.PortName);
        byte[] data = RandomBytes(64 * 1024, seed: 11);
        var clock = Stopwatch.StartNew();
        await using (var link = new LinkClient(SerialTransport.Open(emulator.PortName, 3_000_000), Emulated))
        {
            var commands = new Commands(link);
            var info = await commands.HelloAsync();
            Assert.Equal((1, 4, 4, 1 << 20, BoardEmulatorFixture.Engine.Hash()), (info.ProtocolVersion, info.Rows, info.Cols, (int)info.DramBytes, info.ConfigHash));
            commands.WriteWindow = info.Window;

            await commands.WriteMemoryAsync(0x1_0003, data, verify: true);

            var counters = await commands.CountersAsync();
            Assert.Equal(Protocol.CounterCount, counters.Values.Length);
            Assert.Equal((ulong)link.Requests, counters.FramesReceived);  // every request, this COUNTERS included, none lost
            Assert.Equal(0UL, counters.FramesDropped);
            Assert.Equal(0UL, counters.Duplicates);
            Assert.True(counters.Cycles > 0);
            Assert.Equal(0, link.Retries);
        }
        var stats = await emulator.StopAsync();
        output.WriteLine($"pty: 64 KiB written and read back in {clock.Elapsed.TotalSeconds:F1} s; {stats.Cycles} cycles, " +
            $"{stats.CyclesPerBusySecond / 1e6:F2} M cycles/s busy, {stats.HostToBoardBytes} + {stats.BoardToHostBytes} bytes");
        Assert.Equal("stdin-eof", stats.Exit);
        Assert.Equal(0, stats.FramingErrors);
        Assert.True(stats.HostToBoardBytes > data.Length && stats.BoardToHostBytes > data.Length);
    }

    // At 1 % per byte a minimum-size exchange (a 32-byte WRITE_MEM: ~48 bytes out, 13 back) is damaged
    // with probability ~1 - 0.99^59 = 0.45, independently per attempt, and a 16 KiB write and read-back
    // (the long cases; the default one writes 8 KiB) takes ~1000 such exchanges. With 10 attempts one
    // request in 0.45^10 = 1/3000 exhausts them: about one run in three ended in a TimeoutException
    // (the board answering all along). 24 attempts, as the
    // host's FakeBoard fault runs use, leave 1 in 10^8; short first timeouts keep the many resends
    // cheap (a spurious one is dropped or answered from the board's cache).
    [RequiresToolsTheory("verilator")]
    [InlineData(5, 8, 4)]
    public Task FaultyLinkStillCarriesIdenticalData(int seed, int kib, int window) => RunFaulty(seed, kib, window);

    /// <summary>More seeds, sizes and window 1 (minutes each).</summary>
    [RequiresToolsTheory("verilator")]
    [Trait("Category", "Long")]
    [InlineData(5, 16, 1)]
    [InlineData(5, 16, 4)]
    [InlineData(6, 16, 4)]
    [InlineData(8, 64, 4)]
    public Task FaultyLinkStillCarriesIdenticalDataMoreSeeds(int seed, int kib, int window) => RunFaulty(seed, kib, window);

    private async Task RunFaulty(int seed, int kib, int window)
    {
        _ = fixture.UartBuild;
        var options = new EmulatorOptions
        {
            Faults = new FaultRates(Drop: 0.0033, Duplicate: 0.0033, Corrupt: 0.0034),
            Seed = seed,
            MaxLifetime = TimeSpan.FromMinutes(20),
        };
        await using var emulator = await BoardEmulatorFixture.StartAsync(options);
        byte[] data = RandomBytes(kib * 1024, seed: 12);
        var policy = new RetryPolicy(TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1), 24);
        var clock = Stopwatch.StartNew();
        await using (var link = new LinkClient(SerialTransport.Open(emulator.PortName, 3_000_000), policy))
        {
            var trace = new Queue<string>();
            link.Trace = line =>
            {
                trace.Enqueue($"{clock.Elapsed.TotalSeconds:F3} s, request {link.Requests}: {line}");
                if (trace.Count > 40) trace.Dequeue();
            };
            var commands = new Commands(link) { WriteWindow = window };
            bool done = false;
            try
            {
                await commands.WriteMemoryAsync(0x2000, data);
                byte[] back = await commands.ReadMemoryAsync(0x2000, data.Length);
                Assert.Equal(data, back);
                done = true;
            }
            finally
            {
                output.WriteLine($"seed {seed}, {kib} KiB at 1 %, window {window} ({link.PeakInFlight} in flight at most): {link.Requests} requests, {link.Retries} retries, " +
                    $"{commands.Resplits} re-splits, {link.StaleFrames} stale, {link.Decoder.TotalDropped} frames dropped by the host, " +
                    $"{clock.Elapsed.TotalSeconds:F1} s");
                if (!done) foreach (var line in trace) output.WriteLine(line);
            }
            Assert.True(link.Retries > 0, "a 1 % fault rate caused no retry: were the faults injected?");
        }
        var stats = await emulator.StopAsync();
        output.WriteLine($"emulator: faults to board {stats.FaultsToBoard}, to host {stats.FaultsToHost}");
        Assert.True(stats.FaultsToBoard.Total > 0 && stats.FaultsToHost.Total > 0);
        Assert.True(stats.FaultsToBoard.Dropped > 0 && stats.FaultsToBoard.Duplicated > 0 && stats.FaultsToBoard.Corrupted > 0);
    }

    [RequiresToolsFact("verilator")]
    public async Task BoardResetMidTransferIsRecoveredAndClearsTheHostTag()
    {
        _ = fixture.UartBuild;
        const int size = 64 * 1024;
        // About half way through the write (each 1020-byte chunk is ~1045 bytes on the wire).
        await using var emulator = await BoardEmulatorFixture.StartAsync(new EmulatorOptions { ResetAfterBytes = [size / 2 + 517], MaxLifetime = TimeSpan.FromMinutes(10) });
        byte[] data = RandomBytes(size, seed: 13);
        await using (var link = new LinkClient(SerialTransport.Open(emulator.PortName, 3_000_000), Emulated))
        {
            var commands = new Commands(link);
            await commands.WriteRegisterAsync(2, 0xC0FFEE);
            Assert.Equal(0xC0FFEEu, await commands.ReadRegisterAsync(2));

            await commands.WriteMemoryAsync(0, data);
            Assert.Equal(data, await commands.ReadMemoryAsync(0, size));
            Assert.Equal(0u, await commands.ReadRegisterAsync(2));  // the tag is gone: the board was reset
            output.WriteLine($"reset: {link.Requests} requests, {link.Retries} retries");
            Assert.True(link.Retries >= 1, "the reset cut a request, which must have been resent");
        }
        var stats = await emulator.StopAsync();
        Assert.Equal(1, stats.Resets);
    }

    [RequiresToolsFact("verilator")]
    public async Task XdmaFilesCarryHelloAndMemoryAndShowTheId()
    {
        _ = fixture.XdmaBuild;
        await using var emulator = await BoardEmulatorFixture.StartAsync(new EmulatorOptions { Xdma = true, MaxLifetime = TimeSpan.FromMinutes(10) });
        string prefix = emulator.XdmaPrefix!;
        Assert.Equal(XdmaTransport.Id, XdmaTransport.ReadId(prefix + "_user"));
        Assert.Equal(0x4C434341u, XdmaTransport.ReadId(prefix + "_user"));
        byte[] data = RandomBytes(16 * 1024, seed: 14);
        // Waits far above the emulator's answer time even on a loaded machine: a resend here would be a fault.
        await using (var link = new LinkClient(XdmaTransport.Open(prefix), new RetryPolicy(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(8), 4)))
        {
            var commands = new Commands(link);
            var info = await commands.HelloAsync();
            Assert.Equal(BoardEmulatorFixture.Engine.Hash(), info.ConfigHash);
            commands.WriteWindow = info.Window;
            await commands.WriteMemoryAsync(0xF_C000, data, verify: true);  // up to the last byte of the DRAM
            Assert.Equal(0, link.Retries);
            Assert.Equal(BoardEmulatorFixture.Board.FrameSlots, link.PeakInFlight);
        }
        var stats = await emulator.StopAsync();
        Assert.True(stats.HostToBoardBytes > data.Length);
    }

    private static byte[] RandomBytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }
}
