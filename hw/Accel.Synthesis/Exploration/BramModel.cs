using Accel.Hardware;
using Accel.Hardware.Config;
using Accel.Hardware.Rtl;

namespace Accel.Synthesis.Exploration;

/// <summary>One memory of an engine (an <c>sdp_ram</c> instance): word width, depth, copies.</summary>
public sealed record BufferShape(string Name, int Width, int Depth, int Instances)
{
    public long Bits => (long)Width * Depth;
}

[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<BufferMapping>))]
public enum BufferMapping { BlockRam, LutRam }

/// <summary>How one buffer is expected to map: block RAM (with the aspect ratio chosen) or distributed RAM.</summary>
public sealed record BufferEstimate(BufferShape Buffer, BufferMapping Mapping, string Layout, double Bram36PerInstance, int LutsPerInstance)
{
    public double Bram36 => Bram36PerInstance * Buffer.Instances;
    public int Luts => LutsPerInstance * Buffer.Instances;
}

/// <summary>
/// Analytic block-RAM estimate for an engine's buffers. A memory of depth at most
/// <see cref="LutRamMaxDepth"/> goes to distributed RAM (yosys's choice for small, wide memories):
/// RAM32M (32 words x 6 bits, 4 LUTs) or RAM64M (64 x 3, 4 LUTs). Deeper ones go to block RAM:
/// the fewest blocks over the 7-series simple-dual-port aspect ratios, RAMB36E1 (32Kx1, 16Kx2,
/// 8Kx4, 4Kx9, 2Kx18, 1Kx36, 512x72) at 1 and RAMB18E1 (16Kx1, 8Kx2, 4Kx4, 2Kx9, 1Kx18,
/// 512x36) at 1/2, with ceil(width / w) x ceil(depth / d) blocks of one shape (no mixed shapes).
/// </summary>
public static class BramModel
{
    public const int LutRamMaxDepth = 64;

    public static IReadOnlyList<(int Depth, int Width)> Bram36Shapes { get; } =
        [(32768, 1), (16384, 2), (8192, 4), (4096, 9), (2048, 18), (1024, 36), (512, 72)];
    public static IReadOnlyList<(int Depth, int Width)> Bram18Shapes { get; } =
        [(16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36)];

    public static BufferEstimate Estimate(BufferShape buffer)
    {
        if (buffer.Depth <= LutRamMaxDepth)
        {
            int perCell = buffer.Depth <= 32 ? 6 : 3;
            int cells = (buffer.Width + perCell - 1) / perCell;
            return new BufferEstimate(buffer, BufferMapping.LutRam, $"{cells} x {(perCell == 6 ? "RAM32M" : "RAM64M")}", 0, 4 * cells);
        }
        var best = (Cost: double.PositiveInfinity, Layout: "");
        foreach (var (shapes, cost, kind) in new[] { (Bram36Shapes, 1.0, "RAMB36"), (Bram18Shapes, 0.5, "RAMB18") })
            foreach (var (d, w) in shapes)
            {
                long blocks = (long)Ceil(buffer.Width, w) * Ceil(buffer.Depth, d);
                double c = blocks * cost;
                if (c < best.Cost) best = (c, $"{blocks} x {kind} {Shape(d, w)}");
            }
        return new BufferEstimate(buffer, BufferMapping.BlockRam, best.Layout, best.Cost, 0);
    }

    /// <summary>Every <c>sdp_ram</c> instance of the engine's module tree, with its copies counted through the hierarchy.</summary>
    public static IReadOnlyList<BufferShape> Buffers(EngineConfig resolvedConfig, string top = "accel_top", string memory = "sdp_ram")
    {
        var modules = EngineRtl.Build(resolvedConfig).ToDictionary(m => m.Name, StringComparer.Ordinal);
        var result = new List<BufferShape>();
        void Walk(string module, long copies, string path)
        {
            if (!modules.TryGetValue(module, out var m)) return;
            foreach (var inst in m.Items.OfType<Instance>())
            {
                if (inst.ModuleName == memory)
                    result.Add(new BufferShape(path + inst.InstanceName, (int)inst.Parameters["WIDTH"], (int)inst.Parameters["DEPTH"], (int)copies));
                else
                    Walk(inst.ModuleName, copies, path + inst.InstanceName + ".");
            }
        }
        Walk(top, 1, "");
        // The same buffer reached through several instances of one module is one shape with more copies.
        return result.GroupBy(b => (b.Name, b.Width, b.Depth))
            .Select(g => g.First() with { Instances = g.Sum(b => b.Instances) }).ToList();
    }

    /// <summary>Block-RAM (36 Kb equivalents) and LUTRAM LUTs of all of an engine's buffers.</summary>
    public static (double Bram36, int LutRamLuts, IReadOnlyList<BufferEstimate> Buffers) Engine(EngineConfig resolvedConfig)
    {
        var estimates = Buffers(resolvedConfig).Select(Estimate).ToList();
        return (estimates.Sum(e => e.Bram36), estimates.Sum(e => e.Luts), estimates);
    }

    /// <summary>
    /// A lower bound on the block RAM of an engine before it is scheduled: the buffers whose depths
    /// the configuration fixes (input, output, weights, accumulator banks) packed as
    /// <see cref="Engine"/> packs them, with the schedule-sized parameter buffer counted as empty
    /// (depth 1, distributed RAM). A deeper parameter buffer only adds blocks, so a configuration over a board's block RAM here is over it once scheduled too.
    /// </summary>
    public static double FixedBuffersBram36(EngineConfig config) =>
        Engine(config with { ParamDepth = 1 }).Bram36;

    private static long Ceil(long a, long b) => (a + b - 1) / b;

    private static string Shape(int depth, int width) => depth >= 1024 ? $"{depth / 1024}Kx{width}" : $"{depth}x{width}";
}
