using Accel.Hardware.Config;
using Accel.Hardware.Engine;

namespace Accel.Hardware.Schedule;

/// <summary>
/// Cycle predictions from the engine's structure (see docs/engine.md, "Cost model"); checked
/// against measured cosim cycles by tests. Every constant names the hardware step it counts.
/// </summary>
public static class CostModel
{
    /// <summary>Controller: fetch, decode, issue and settle before a unit starts.</summary>
    public const int Dispatch = 4;
    /// <summary>Start pulse to the first fetch, and the END instruction's fetch/decode/issue plus done.</summary>
    public const int ProgramOverhead = 5;
    /// <summary>Feeder stages before the array (address, buffer read).</summary>
    public const int FeedStages = 2;
    /// <summary>Drain: read, three requantization stages, write.</summary>
    public const int DrainStages = 5;
    /// <summary>The weight loader's idle cycle before a load, and the cycle the bank turns ready.</summary>
    public const int LoadHandshake = 3;

    /// <summary>Cycles the feeder spends on a band of <paramref name="pixels"/> pixels and <paramref name="passes"/> passes.</summary>
    public static long BandCycles(EngineConfig c, long pixels, long passes)
    {
        // Each pass takes its pixels plus one cycle between passes. With two weight banks, pass n+2
        // can start only after pass n has left the array (release delay Rows+Cols+4, then one
        // cycle to see it), the loader has refilled the bank (Rows reads, one write cycle, one to
        // see it ready) and the feeder has seen that: 2 passes per (pixels + 2*Rows + Cols + 7).
        long feed = passes * (pixels + 1);
        long loaderBound = (passes * (pixels + 2L * c.Rows + c.Cols + 7) + 1) / 2;
        return Math.Max(feed, loaderBound);
    }

    /// <summary>
    /// A convolution, band by band in execution order: a band's first pass waits for its
    /// accumulator bank (drained two bands earlier); the drain of a band starts once its last
    /// pixel is accumulated and the previous drain is done, and takes one cycle per pixel.
    /// </summary>
    public static OpCost Conv(EngineConfig c, int outH, int outW, int outputTiles, int bandRows, int passesPerBand, long macs)
    {
        long feederFree = Dispatch + c.Rows + LoadHandshake;
        var bankFree = new long[2];
        long drainEnd = 0, lastWrite = 0;
        int band = 0;
        for (int tile = 0; tile < outputTiles; tile++)
            for (int y0 = 0; y0 < outH; y0 += bandRows, band++)
            {
                int pixels = Math.Min(bandRows, outH - y0) * outW;
                long start = Math.Max(feederFree, bankFree[band % 2]);
                long end = start + BandCycles(c, pixels, passesPerBand);
                feederFree = end;
                long accumulated = end + FeedStages + c.ArrayLatency;
                long drainStart = Math.Max(accumulated, drainEnd) + 1;
                drainEnd = drainStart + pixels;
                bankFree[band % 2] = drainEnd;
                lastWrite = drainEnd + DrainStages - 1;
            }
        return new OpCost(lastWrite, Ideal(c, macs));
    }

    public static OpCost MaxPool(EngineConfig c, int groups, int outH, int outW, int kernel) =>
        new(Dispatch + (long)groups * outH * outW * kernel * kernel + FeedStages + 2, 0);

    /// <summary>Dispatch, the (M, S) read, one cycle per input word, then the read and requantization latency.</summary>
    public static OpCost AvgPool(int groups, int plane) => new(Dispatch + 1 + (long)groups * plane + 1 + Requantizer.Latency, 0);

    public static long Ideal(EngineConfig c, long macs) => (macs + (long)c.Rows * c.Cols - 1) / ((long)c.Rows * c.Cols);
}
