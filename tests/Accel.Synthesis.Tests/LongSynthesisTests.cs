using Accel.Hardware.Schedule;
using Accel.Model.Networks;
using Accel.Synthesis.Exploration;
using Accel.Synthesis.Yosys;
using Accel.Tests;
using Xunit;

namespace Accel.Synthesis.Tests;

/// <summary>The default engine of the CLI, synthesized for real (about a minute of yosys; cached afterwards). scripts/test.sh --long.</summary>
public class LongSynthesisTests
{
    [RequiresToolsFact("yosys")]
    [Trait("Category", "Long")]
    public void TheSqueezeNet16x16EngineMapsEveryPeToADspAndItsBuffersToBlockRam()
    {
        var config = ScheduleCompiler.Plan(BuiltinNetworks.Get("squeezenet1_1"), new DesignPoint(16).ToConfig()).Config;
        var result = YosysSynth.Run(config, new SynthesisOptions { Timeout = TimeSpan.FromMinutes(20) });
        var pes = result.Modules.Where(m => m.Name.StartsWith("accel_pe", StringComparison.Ordinal)).ToList();
        Assert.Equal(256, pes.Sum(m => m.Instances));
        Assert.All(pes, m => Assert.Equal(1, m.PerInstance.Dsps));
        Assert.All(result.Multipliers.Where(m => m.Module.StartsWith("accel_pe", StringComparison.Ordinal)), m => Assert.True(m.InDsp, m.Source));
        Assert.True(result.Usage.Dsps >= 256);
        Assert.DoesNotContain(result.Memories, m => m.Kind == MemoryKind.FlipFlops);
        Assert.DoesNotContain(result.Warnings, w => w.Contains("distributed RAM", StringComparison.Ordinal));
        // The exploration's analytic block-RAM estimate stays within 5% of what yosys built.
        double analytic = BramModel.Engine(config).Bram36;
        Assert.InRange(analytic, 0.95 * result.Usage.Bram36, 1.05 * result.Usage.Bram36);
    }
}
