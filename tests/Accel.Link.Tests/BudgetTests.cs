using Accel.Link;
using Xunit;
using Xunit.Abstractions;

namespace Accel.Link.Tests;

public class BudgetTests(ITestOutputHelper output)
{
    [Fact]
    public void ThreeMegabaudWritesAreAbove90PercentEfficient()
    {
        var budget = new LinkBudget(3_000_000);
        Assert.Equal(300_000, budget.BytesPerSecond);
        Assert.Equal(1020, budget.DataBytesPerFrame);
        // 1034-byte body * (1 + 2/256) + 2 flags; 11-byte response likewise.
        Assert.Equal(2 + 1034 * 258.0 / 256, budget.RequestWireBytes, 9);
        Assert.Equal(2 + 11 * 258.0 / 256, budget.ResponseWireBytes, 9);
        Assert.Equal(1020 / (2 + 1034 * 258.0 / 256 + 2 + 11 * 258.0 / 256), budget.Efficiency, 12);
        Assert.InRange(budget.Efficiency, 0.964, 0.966);

        // The turnaround that still leaves 90 %: about 76 byte times, 253 us.
        double slack = budget.MaxTurnaroundSeconds(0.90);
        Assert.InRange(slack * 1e6, 252, 255);
        Assert.Equal(0.90, (budget with { TurnaroundSeconds = slack }).Efficiency, 9);
        var withLatency = budget with { TurnaroundSeconds = 100e-6 };
        Assert.True(withLatency.Efficiency > 0.90);
        output.WriteLine($"3 Mbaud, 1024-byte WRITE_MEM: {budget.Efficiency:P2} ({budget.Throughput / 1000:0.0} kB/s of data); " +
            $"with 100 us turnaround {withLatency.Efficiency:P2}; 90 % needs turnaround <= {slack * 1e6:0} us");
    }

    [Fact]
    public void AWindowHidesTheTurnaroundUpToTheFramesQueuedAhead()
    {
        var one = new LinkBudget(3_000_000, TurnaroundSeconds: 2e-3);
        var four = one with { Window = 4 };
        // Window 1 pays the 2 ms turnaround on every frame: 1020 / (1057.2 + 600) = 61.5 %.
        Assert.Equal(1020 / (one.RequestWireBytes + one.ResponseWireBytes + 600), one.Efficiency, 9);
        // Window 4 hides it: only the request is on the line per frame, 1020 / 1044.1 = 97.7 %.
        Assert.Equal(1020 / four.RequestWireBytes, four.Efficiency, 9);
        Assert.InRange(four.Efficiency, 0.976, 0.978);
        // Until the turnaround passes three frames' time (10.4 ms): then the round trip shows again.
        double hidden = (3 * four.RequestWireBytes - four.ResponseWireBytes) / four.BytesPerSecond;
        Assert.InRange(hidden * 1e3, 10.3, 10.5);
        Assert.Equal(four.Efficiency, (four with { TurnaroundSeconds = hidden }).Efficiency, 9);
        Assert.True((four with { TurnaroundSeconds = 2 * hidden }).Efficiency < 0.6);
        // The turnaround 90 % allows: 254 us at window 1, 11.6 ms at window 4; none above the line's own 97.7 %.
        Assert.InRange(four.MaxTurnaroundSeconds(0.90) * 1e3, 11.5, 11.7);
        Assert.Equal(0.90, (four with { TurnaroundSeconds = four.MaxTurnaroundSeconds(0.90) }).Efficiency, 9);
        Assert.True(four.MaxTurnaroundSeconds(0.99) < 0);
        output.WriteLine($"3 Mbaud, 2 ms turnaround: window 1 {one.Efficiency:P2}, window 4 {four.Efficiency:P2}; window 4 hides up to {hidden * 1e3:F2} ms, " +
            $"90 % up to {four.MaxTurnaroundSeconds(0.90) * 1e3:F2} ms");
    }

    [Fact]
    public void TransferTimesAndSmallFrames()
    {
        var budget = new LinkBudget(115_200);
        Assert.Equal(11_520, budget.BytesPerSecond);
        Assert.Equal(0, budget.WriteSeconds(0));
        // Whole frames scale linearly; a partial last frame costs its own round trip.
        Assert.Equal(10 * budget.RoundTripBytes / budget.BytesPerSecond, budget.WriteSeconds(10 * 1020), 9);
        var last = budget with { Payload = 4 + 20 };
        Assert.Equal((10 * budget.RoundTripBytes + last.RoundTripBytes) / budget.BytesPerSecond, budget.WriteSeconds(10 * 1020 + 20), 9);
        // Smaller frames pay the fixed overhead more often.
        Assert.True(new LinkBudget(3_000_000, Payload: 256).Efficiency < new LinkBudget(3_000_000).Efficiency);
        Assert.Equal(budget.Efficiency, new LinkBudget(3_000_000).Efficiency, 12); // efficiency is baud-free without turnaround
    }

    [Fact]
    public void RetryPolicyBacksOffToItsCap()
    {
        var policy = new RetryPolicy(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(50), 6);
        Assert.Equal([10, 20, 40, 50, 50, 50], Enumerable.Range(1, 6).Select(k => policy.TimeoutFor(k).TotalMilliseconds));
        Assert.Equal(TimeSpan.FromMilliseconds(220), policy.TotalTimeout);
        Assert.Throws<ArgumentException>(() => (policy with { MaxAttempts = 0 }).Validate());
        Assert.Throws<ArgumentException>(() => (policy with { MaxTimeout = TimeSpan.FromMilliseconds(5) }).Validate());
        Assert.Throws<ArgumentException>(() => new LinkClient(new MemoryStream(), policy with { Factor = 0.5 }));

        // At 115,200 baud the first wait covers a worst-case request and response twice: 4 * 2070 * 10 / 115200 s.
        var uart = RetryPolicy.ForBaud(115_200, TimeSpan.FromMilliseconds(20));
        Assert.Equal(4.0 * Protocol.MaxEncodedBytes * 10 / 115_200 + 0.020, uart.InitialTimeout.TotalSeconds, 6);
    }
}
