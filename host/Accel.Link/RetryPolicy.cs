namespace Accel.Link;

/// <summary>
/// How long the host waits for a response and how often it resends the same frame (same seq):
/// attempt k (from 1) waits min(InitialTimeout * Factor^(k-1), MaxTimeout); after MaxAttempts the
/// request fails with a TimeoutException.
/// </summary>
public sealed record RetryPolicy(TimeSpan InitialTimeout, TimeSpan MaxTimeout, int MaxAttempts, double Factor = 2)
{
    /// <summary>For in-memory and emulated links: 50 ms, doubling to 1 s, 8 attempts.</summary>
    public static RetryPolicy Default { get; } = new(TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1), 8);

    /// <summary>
    /// For a UART at <paramref name="baud"/>: the first timeout covers the largest request and the
    /// largest response on the wire twice over (worst-case stuffing, 10 bits a byte) plus
    /// <paramref name="latency"/> for the host's and the board's turnaround. With a window it still
    /// fits: only the oldest outstanding request is timed, and it is first in line; its resend may
    /// queue behind the window's later requests, and the doubled second wait (eight worst-case
    /// frames, some sixteen real ones) covers that.
    /// </summary>
    public static RetryPolicy ForBaud(int baud, TimeSpan latency, int maxAttempts = 8)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(baud, 1);
        double seconds = 2.0 * 2 * Protocol.MaxEncodedBytes * 10 / baud;
        var initial = TimeSpan.FromSeconds(seconds) + latency;
        return new RetryPolicy(initial, initial * 16, maxAttempts);
    }

    public void Validate()
    {
        if (InitialTimeout <= TimeSpan.Zero) throw new ArgumentException($"initial timeout {InitialTimeout} must be positive");
        if (MaxTimeout < InitialTimeout) throw new ArgumentException($"maximum timeout {MaxTimeout} is below the initial {InitialTimeout}");
        if (MaxAttempts < 1) throw new ArgumentException($"max attempts {MaxAttempts} must be at least 1");
        if (Factor < 1) throw new ArgumentException($"backoff factor {Factor} must be at least 1");
    }

    /// <summary>The wait of attempt <paramref name="attempt"/> (1 = the first send).</summary>
    public TimeSpan TimeoutFor(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        double ticks = InitialTimeout.Ticks * Math.Pow(Factor, attempt - 1);
        return ticks >= MaxTimeout.Ticks ? MaxTimeout : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>The total wait before a request that is never answered fails.</summary>
    public TimeSpan TotalTimeout
    {
        get
        {
            var total = TimeSpan.Zero;
            for (int k = 1; k <= MaxAttempts; k++) total += TimeoutFor(k);
            return total;
        }
    }
}
