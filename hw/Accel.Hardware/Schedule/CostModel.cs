using Accel.Hardware.Config;

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

    /// <summary>Cycles a pass whose band holds <paramref name="pixels"/> occupies the feeder.</summary>
    public static long PassCycles(EngineConfig c, long pixels)
    {
        // The feeder spends the band's pixels plus one cycle between passes. With two weight banks a
        // pass can only start once the pass two back has left the array (bank release delay) and the
        // loader has refilled that bank, which bounds short passes.
        long feed = pixels + 1;
        long release = c.Rows + c.Cols + 4;
        long loaderBound = (pixels + 1 + release + c.Rows + LoadHandshake + 1) / 2;
        return Math.Max(feed, loaderBound);
    }

    public static OpCost Conv(EngineConfig c, int outH, int outW, int outputTiles, int bandRows, int passesPerBand, long macs)
    {
        long cycles = Dispatch + c.Rows + LoadHandshake;
        int lastBandPixels = 0;
        for (int tile = 0; tile < outputTiles; tile++)
            for (int y0 = 0; y0 < outH; y0 += bandRows)
            {
                int pixels = Math.Min(bandRows, outH - y0) * outW;
                cycles += passesPerBand * PassCycles(c, pixels);
                lastBandPixels = pixels;
            }
        cycles += FeedStages + c.ArrayLatency + 1 + lastBandPixels + DrainStages;
        return new OpCost(cycles, Ideal(c, macs));
    }

    public static OpCost MaxPool(EngineConfig c, int groups, int outH, int outW, int kernel) =>
        new(Dispatch + (long)groups * outH * outW * kernel * kernel + FeedStages + 2, 0);

    public static long Ideal(EngineConfig c, long macs) => (macs + (long)c.Rows * c.Cols - 1) / ((long)c.Rows * c.Cols);
}
