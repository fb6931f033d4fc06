using Accel.Hardware.Schedule;
using Accel.Synthesis.Exploration;
using Xunit;

namespace Accel.Synthesis.Tests;

public class BramModelTests
{
    [Theory]
    // Width, depth -> 36 Kb blocks; the shapes yosys chose for the same buffers are in the comments.
    [InlineData(64, 1024, 2.0)]     // 2 x RAMB36 1Kx36 (yosys: 2 RAMB36E1)
    [InlineData(16, 560, 0.5)]      // 1 x RAMB18 1Kx18 (yosys: 1 RAMB18E1)
    [InlineData(16, 5703, 3.0)]     // 3 x RAMB36 2Kx18 (yosys: 3 RAMB36E1)
    [InlineData(88, 987, 2.5)]      // 5 x RAMB18 1Kx18
    [InlineData(32, 816_379, 797.5)] // 1595 x RAMB18 512x36 (yosys: 800 RAMB36E1, 25 deep x 32 wide of 32Kx1)
    [InlineData(1, 32_768, 1)]
    [InlineData(72, 512, 1)]
    public void BlockRamPacking(int width, int depth, double bram36)
    {
        var e = BramModel.Estimate(new BufferShape("b", width, depth, 1));
        Assert.Equal(BufferMapping.BlockRam, e.Mapping);
        Assert.Equal(bram36, e.Bram36);
    }

    [Theory]
    [InlineData(295, 31, 200)]  // 50 RAM32M, as yosys built a 31-word, 295-bit buffer
    [InlineData(64, 24, 44)]    // 11 RAM32M
    [InlineData(30, 64, 40)]    // 10 RAM64M
    public void ShallowBuffersGoToDistributedRam(int width, int depth, int luts)
    {
        var e = BramModel.Estimate(new BufferShape("b", width, depth, 2));
        Assert.Equal(BufferMapping.LutRam, e.Mapping);
        Assert.Equal(0, e.Bram36);
        Assert.Equal(2 * luts, e.Luts);
    }

    [Fact]
    public void TheEngineBuffersAreFoundInTheModuleTree()
    {
        var config = ScheduleCompiler.Plan(TestNetworks.Tiny(), new DesignPoint(2).ToConfig()).Config;
        var buffers = BramModel.Buffers(config);
        Assert.True(buffers.Count >= 3, string.Join(", ", buffers));
        Assert.All(buffers, b => Assert.True(b.Width > 0 && b.Depth > 0 && b.Instances > 0, b.ToString()));
        // The accumulator banks are as deep as the configuration says.
        Assert.Contains(buffers, b => b.Depth == config.AccumulatorDepth);
        var (bram, _, estimates) = BramModel.Engine(config);
        Assert.Equal(estimates.Sum(e => e.Bram36), bram);
        Assert.True(bram > 0);
        // The input, output and weight buffers are as deep as the configuration says.
        Assert.Contains(buffers, b => b.Name == "u_input" && b.Depth == config.InputDepth);
        Assert.Contains(buffers, b => b.Name == "u_output" && b.Depth == config.OutputDepth);
        Assert.Contains(buffers, b => b.Name == "u_weights" && b.Depth == config.WeightDepth);
    }

    [Theory]
    [InlineData(8, 8192, 4096, 4096)]
    [InlineData(8, 16384, 2048, 2048)]
    [InlineData(12, 4096, 4096, 8192)]
    public void TheFixedBuffersBoundTheEngineBelowAndFollowTheDepths(int size, int input, int output, int weight)
    {
        var point = new DesignPoint(size, 1024, input, output, weight);
        var config = point.ToConfig();
        var resolved = ScheduleCompiler.Plan(TestNetworks.Tiny(), config).Config;
        double bound = BramModel.FixedBuffersBram36(config);
        Assert.True(bound > 0);
        Assert.True(bound <= BramModel.Engine(resolved).Bram36);
        // Input, output, weights, two accumulator banks: the shapes Engine packs, summed.
        var fixedBuffers = BramModel.Buffers(resolved).Where(b => b.Name is "u_input" or "u_output" or "u_weights" || b.Name.StartsWith("u_accumulator.", StringComparison.Ordinal));
        Assert.Equal(fixedBuffers.Sum(b => BramModel.Estimate(b).Bram36), bound);
        // Doubling the input buffer doubles its blocks (these depths are whole multiples of every block shape).
        var deeper = BramModel.FixedBuffersBram36(config with { InputDepth = 2 * input });
        var inputBlocks = BramModel.Estimate(BramModel.Buffers(resolved).Single(b => b.Name == "u_input")).Bram36;
        Assert.Equal(bound + inputBlocks, deeper);
    }
}
