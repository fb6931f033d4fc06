using Accel.Hardware.Schedule;
using Accel.Synthesis.Exploration;
using Accel.Synthesis.Yosys;
using Accel.Tests;
using Xunit;

namespace Accel.Synthesis.Tests;

/// <summary>Real yosys runs (about 25 s for the 2x2 engine of the tiny network on this 2-core machine).</summary>
public class YosysRunTests
{
    [RequiresToolsFact("yosys")]
    public void A2x2EngineMapsMultipliersToDspsAndBuffersToBlockRamAndIsCached()
    {
        var config = ScheduleCompiler.Plan(TestNetworks.Tiny(), new DesignPoint(2).ToConfig()).Config;
        var options = new SynthesisOptions { CacheDirectory = TestNetworks.TempDir(), Timeout = TimeSpan.FromMinutes(5) };
        var result = YosysSynth.Run(config, options);
        Assert.False(result.FromCache);
        var u = result.Usage;
        Assert.True(u.Dsps >= 4, u.Summary);  // at least one per PE
        Assert.True(u.Ramb36 + u.Ramb18 > 0, u.Summary);
        Assert.True(u.Luts > 0 && u.FlipFlops > 0, u.Summary);
        Assert.Empty(result.Warnings);
        Assert.NotEmpty(result.Multipliers);
        Assert.All(result.Multipliers, m => Assert.True(m.InDsp, m.Source));
        Assert.Contains(result.Memories, m => m.Kind == MemoryKind.BlockRam);
        // Every PE holds its multiplier in a DSP48E1.
        var pes = result.Modules.Where(m => m.Name.StartsWith("accel_pe", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, pes.Sum(m => m.Instances));
        Assert.All(pes, m => Assert.True(m.PerInstance.Dsps >= 1, m.Name));
        // The analytic block-RAM estimate of the exploration agrees with what yosys built here.
        Assert.Equal(u.Bram36, BramModel.Engine(config).Bram36);
        Assert.StartsWith("0.", result.YosysVersion);
        Assert.True(File.Exists(result.CacheFile) && File.Exists(result.LogFile));
        Assert.StartsWith(config.Hash() + "-", Path.GetFileName(result.CacheFile));

        var again = YosysSynth.Run(config, options);
        Assert.True(again.FromCache);
        Assert.Equal(u.Cells, again.Usage.Cells);
        Assert.Equal(u.Luts, again.Usage.Luts);
        Assert.Equal(result.YosysSeconds, again.YosysSeconds);
    }

    [Fact]
    public void AMissingYosysIsAClearError()
    {
        var config = ScheduleCompiler.Plan(TestNetworks.Tiny(), new DesignPoint(2).ToConfig()).Config;
        var options = new SynthesisOptions { CacheDirectory = TestNetworks.TempDir(), Yosys = "yosys-that-is-not-installed" };
        var e = Assert.Throws<SynthesisException>(() => YosysSynth.Run(config, options));
        Assert.Contains("scripts/setup.sh", e.Message);
    }

    [Fact]
    public void AnUnresolvedConfigurationIsRefused() =>
        Assert.Throws<SynthesisException>(() => YosysSynth.Run(new DesignPoint(2).ToConfig(), new SynthesisOptions { CacheDirectory = TestNetworks.TempDir() }));
}
