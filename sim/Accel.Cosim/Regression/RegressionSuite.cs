using Accel.Hardware.Config;
using Accel.Hardware.Program;
using Accel.Model.Networks;

namespace Accel.Cosim.Regression;

/// <summary>
/// Deterministic randomized regression suites: small networks (one conv, conv-conv, conv-Fire,
/// conv-pool, Fire-pool) on 2x2 to 16x16 arrays, some with saturation corners. A suite is a
/// function of its name and seed only; case i uses array size i mod 4, so a shard count that is a
/// multiple of 4 gives each shard a single Verilator build.
/// </summary>
public static class RegressionSuite
{
    public const string Smoke = "smoke";
    public const string Full = "full";

    public static IReadOnlyList<string> Names { get; } = [Smoke, Full];
    public static IReadOnlyList<int> ArraySizes { get; } = [2, 4, 8, 16];

    /// <summary>
    /// Accumulator bank depth of every case's engine: small enough that outputs of up to 20x20
    /// pixels span one to several row bands (the default 1024 would never band them).
    /// </summary>
    public const int AccumulatorDepth = 128;

    /// <summary>Slots this small make most cases stream in several stripes and weight chunks.</summary>
    public const int SlotBufferDepth = 1024, WeightBufferDepth = 1024;

    public static EngineConfig ConfigFor(int arraySize) => new()
    {
        Rows = arraySize, Cols = arraySize, AccumulatorDepth = AccumulatorDepth,
        InputDepth = SlotBufferDepth, OutputDepth = SlotBufferDepth, WeightDepth = WeightBufferDepth,
    };

    public const int MaxSpatial = 20;
    public const int MaxChannels = 40;

    private sealed record Profile(int Cases, long MaxPredictedCycles);

    private static Profile For(string suite) => suite switch
    {
        Smoke => new Profile(48, 150_000),
        Full => new Profile(400, 1_500_000),
        _ => throw new ArgumentException($"unknown suite '{suite}' (expected {string.Join(" or ", Names)})", nameof(suite)),
    };

    public static IReadOnlyList<RegressionCase> Generate(string suite, int seed)
    {
        var profile = For(suite);
        var cases = new List<RegressionCase>(profile.Cases);
        for (int i = 0; i < profile.Cases; i++)
        {
            int size = ArraySizes[i % ArraySizes.Count];
            // Kinds rotate once per round of array sizes, so every (kind, size) pair occurs every 24 cases.
            string kind = CaseKinds.All[i / ArraySizes.Count % CaseKinds.All.Count];
            // Every third case has a corner; 3 and 4 are coprime, so corners meet every array size.
            string corner = i % 3 == 2 ? SaturationCorners.All[i / 3 % SaturationCorners.All.Count] : SaturationCorners.None;
            int caseSeed = CaseSeed(seed, i);
            var network = DrawNetwork(new Random(caseSeed), kind, size, profile.MaxPredictedCycles);
            string id = $"s{seed}-c{i:D3}-{size}x{size}-{kind}" + (corner == SaturationCorners.None ? "" : "-" + corner);
            cases.Add(new RegressionCase(id, suite, i, size, kind, corner, caseSeed, network));
        }
        return cases;
    }

    /// <summary>A stable per-case seed (splitmix64 of the suite seed and the index; no per-process hashing).</summary>
    public static int CaseSeed(int seed, int index)
    {
        ulong z = unchecked((ulong)(uint)seed * 0x9E3779B97F4A7C15UL + (ulong)index + 1);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return (int)((z ^ (z >> 31)) & int.MaxValue);
    }

    /// <summary>
    /// Draws networks until one is valid, fits the shared cosim build of its array size (the
    /// minimum buffer depths) and its predicted cycles stay within the suite's budget.
    /// </summary>
    private static Network DrawNetwork(Random rng, string kind, int size, long maxCycles)
    {
        var config = ConfigFor(size);
        for (int attempt = 0; ; attempt++)
        {
            if (attempt == 10_000) throw new InvalidOperationException($"no {kind} case fits a {size}x{size} engine within {maxCycles} cycles");
            Network network;
            try { network = Draw(rng, kind, size); }
            catch (NetworkException) { continue; }
            try
            {
                var schedule = CosimBuildProfile.Plan(network, config);
                if (schedule.PredictedCycles > maxCycles || !UsesSharedBuild(schedule.Config)) continue;
            }
            catch (BufferCapacityException)
            {
                // Too large for the suite's small slots: draw another.
                continue;
            }
            catch (ScheduleException)
            {
                // A valid network the scheduler refuses is a finding: keep it so the run reports it.
            }
            return network;
        }
    }

    private static bool UsesSharedBuild(EngineConfig c) =>
        c.ParamDepth == CosimBuildProfile.MinParamDepth;

    private static Network Draw(Random rng, string kind, int size)
    {
        int inChannels = Channels(rng, size);
        var layers = new List<Layer>();
        switch (kind)
        {
            case CaseKinds.Conv:
                layers.Add(RandomConv(rng, "conv1", size, [1, 3, 7], rng.Next(2) == 0));
                break;
            case CaseKinds.ConvConv:
                layers.Add(RandomConv(rng, "conv1", size, [1, 3], relu: true));
                layers.Add(RandomConv(rng, "conv2", size, [1, 3], rng.Next(2) == 0));
                break;
            case CaseKinds.ConvFire:
                layers.Add(RandomConv(rng, "conv1", size, [1, 3], relu: true));
                layers.Add(RandomFire(rng, "fire2", size));
                break;
            case CaseKinds.ConvPool:
                layers.Add(RandomConv(rng, "conv1", size, [1, 3, 7], rng.Next(2) == 0));
                layers.Add(rng.Next(3) == 0
                    ? new MaxPoolLayer("pool1", 2, 2, 0, CeilMode: rng.Next(2) == 0)
                    : new MaxPoolLayer("pool1", 3, 2, 0, CeilMode: true));
                break;
            case CaseKinds.FirePool:
                layers.Add(RandomFire(rng, "fire1", size));
                layers.Add(new MaxPoolLayer("pool1", 3, 2, 0, CeilMode: true));
                break;
            case CaseKinds.FireConvAvgPool:
                layers.Add(RandomFire(rng, "fire1", size));
                layers.Add(RandomConv(rng, "conv2", size, [1], rng.Next(2) == 0));
                layers.Add(new GlobalAvgPoolLayer("pool2"));
                break;
            default:
                throw new ArgumentException($"unknown case kind '{kind}'", nameof(kind));
        }

        int height, width;
        if (rng.Next(5) == 0 && layers[0] is ConvLayer first)
        {
            // The smallest input the first conv accepts: a 1x1 output for a single conv.
            height = width = Math.Max(1, first.KernelSize - 2 * first.Padding);
        }
        else
        {
            height = rng.Next(1, MaxSpatial + 1);
            width = rng.Next(1, MaxSpatial + 1);
        }
        return new Network($"regress-{kind}", new Shape(inChannels, height, width), layers);
    }

    private static ConvLayer RandomConv(Random rng, string name, int size, int[] kernels, bool relu)
    {
        int k = kernels[rng.Next(kernels.Length)];
        int[] pads = [0, 1, k / 2];
        return new ConvLayer(name, Channels(rng, size), k, rng.Next(1, 3), pads[rng.Next(pads.Length)], relu);
    }

    private static FireLayer RandomFire(Random rng, string name, int size) =>
        new(name, Math.Min(Channels(rng, size), 16), Math.Min(Channels(rng, size), 24), Math.Min(Channels(rng, size), 24));

    /// <summary>Mostly channel counts that are not multiples of the array size (partial tiles and lane groups), a quarter that are.</summary>
    private static int Channels(Random rng, int size)
    {
        if (rng.Next(4) == 0) return size * rng.Next(1, MaxChannels / size + 1);
        int c;
        do c = rng.Next(1, MaxChannels + 1);
        while (c % size == 0);
        return c;
    }
}
