using System.Diagnostics;
using Accel.Link;
using Accel.Link.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Accel.Link.Tests;

/// <summary>
/// Write and read back a block of board memory through a link that damages bytes in both
/// directions: the outcome is identical data or a clear exception, never wrong data, never a hang.
/// </summary>
public class FaultTests(ITestOutputHelper output)
{
    private static FaultOptions Faults(string kind, double rate, int seed) => kind switch
    {
        "corrupt" => new FaultOptions(Corrupt: rate, Seed: seed),
        "drop" => new FaultOptions(Drop: rate, Seed: seed),
        "duplicate" => new FaultOptions(Duplicate: rate, Seed: seed),
        "mixed" => new FaultOptions(Drop: rate / 3, Duplicate: rate / 3, Corrupt: rate / 3, Seed: seed),
        // Delays longer than the first timeout: resends, late and stale responses.
        "delay" => new FaultOptions(Delay: rate / 5, Corrupt: rate, Seed: seed) { DelayTime = TimeSpan.FromMilliseconds(10) },
        _ => throw new ArgumentException(kind),
    };

    [Theory(Timeout = 120000)]
    [InlineData("corrupt", 0.001, 256)]
    [InlineData("drop", 0.001, 256)]
    [InlineData("duplicate", 0.001, 256)]
    [InlineData("mixed", 0.001, 256)]
    [InlineData("delay", 0.001, 256)]
    [InlineData("corrupt", 0.01, 8)]
    [InlineData("drop", 0.01, 8)]
    [InlineData("duplicate", 0.01, 8)]
    [InlineData("mixed", 0.01, 8)]
    public Task WriteAndReadBackThroughAFaultyLink(string kind, double rate, int kib) => Run(kind, rate, kib);

    [Theory(Timeout = 600000)]
    [Trait("Category", "Long")]
    [InlineData("corrupt", 0.01, 256)]
    [InlineData("drop", 0.01, 256)]
    [InlineData("duplicate", 0.01, 256)]
    [InlineData("mixed", 0.01, 256)]
    public Task WriteAndReadBack256KiBAtOnePercent(string kind, double rate, int kib) => Run(kind, rate, kib);

    /// <summary>The same with four WRITE_MEM requests in flight (a board with four frame slots).</summary>
    [Theory(Timeout = 120000)]
    [InlineData("mixed", 0.001, 256)]
    [InlineData("delay", 0.001, 256)]
    [InlineData("mixed", 0.01, 8)]
    [InlineData("duplicate", 0.01, 8)]
    public Task WindowedWritesThroughAFaultyLink(string kind, double rate, int kib) => Run(kind, rate, kib, window: 4);

    private async Task Run(string kind, double rate, int kib, int window = 1)
    {
        int seed = HashCode.Combine(kind, rate, kib) & 0xFFFF;
        var data = new byte[kib * 1024];
        new Random(seed).NextBytes(data);
        await using var h = new BoardHarness(new FakeBoardOptions(DramBytes: 1 << 20), BoardHarness.Fast, firstSequence: (ushort)seed,
            hostFaults: Faults(kind, rate, seed), boardFaults: Faults(kind, rate, seed + 1), window: window);
        const uint address = 0x10000;
        var trace = new List<string>();
        h.Client.Trace = line => { lock (trace) trace.Add($"{DateTime.Now:ss.fff} {line}"); };
        h.Board.Trace = line => { lock (trace) trace.Add($"{DateTime.Now:ss.fff} board {line}"); };
        var watch = Stopwatch.StartNew();
        string outcome;
        Exception? failure = null;
        try
        {
            // Every wait inside has a timeout; this one only bounds the test if that were broken.
            await Task.Run(async () =>
            {
                await h.Commands.WriteMemoryAsync(address, data);
                var back = await h.Commands.ReadMemoryAsync(address, data.Length);
                Assert.Equal(data.Length, back.Length);
                int same = data.AsSpan().CommonPrefixLength(back);
                Assert.True(same == data.Length, $"wrong data read back at byte {same}");
                Assert.True(data.AsSpan().SequenceEqual(h.Board.Dram.AsSpan((int)address, data.Length)), "the board's memory differs");
            }).WaitAsync(TimeSpan.FromSeconds(300));
            outcome = "identical data";
        }
        catch (Exception e) when (e is TimeoutException or IOException)
        {
            failure = e;
            outcome = $"{e.GetType().Name}: {e.Message}";
            lock (trace) foreach (var line in trace.TakeLast(40)) output.WriteLine(line);
        }
        var c = h.Client;
        output.WriteLine($"{kind} at {rate:P1} per byte, {kib} KiB written (window {window}) and read back: {outcome}");
        output.WriteLine($"  {watch.Elapsed.TotalSeconds:0.00} s; requests {c.Requests}, attempts {c.Attempts}, retries {c.Retries}, " +
            $"re-split chunks {h.Commands.Resplits}, stale frames {c.StaleFrames}, most in flight {c.PeakInFlight}");
        output.WriteLine($"  host receiver dropped {c.Decoder.TotalDropped} (CRC {c.Decoder.Dropped(DropReason.Crc)}, length {c.Decoder.Dropped(DropReason.Length)}, " +
            $"escape {c.Decoder.Dropped(DropReason.BadEscape)}, overflow {c.Decoder.Dropped(DropReason.Overflow)}); board dropped {h.Board.Decoder.TotalDropped}, " +
            $"answered {h.Board.Duplicates} duplicates from its cache");
        output.WriteLine($"  faults injected: host->board {h.HostFaults!.Faults} of {h.HostFaults.BytesWritten} bytes, " +
            $"board->host {h.BoardFaults!.Faults} of {h.BoardFaults.BytesWritten} bytes");
        // A clear exception is an allowed outcome, but at these rates the adaptive chunks get through.
        Assert.Null(failure);
    }
}
