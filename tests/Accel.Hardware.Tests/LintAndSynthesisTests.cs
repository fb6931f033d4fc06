using Accel.Hardware.Config;
using Accel.Tests;
using Xunit;

namespace Accel.Hardware.Tests;

/// <summary>Everything the generator emits passes Verilator's strict lint and yosys synthesis.</summary>
public class LintAndSynthesisTests
{
    [RequiresToolsTheory("verilator")]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(16)]
    [InlineData(32)]
    public void EmittedRtlPassesVerilatorLintWithAllWarnings(int n)
    {
        var config = new EngineConfig { Rows = n, Cols = n, InputDepth = 40_000, OutputDepth = 3000, WeightDepth = 5000, ParamDepth = 100, AccumulatorDepth = 1000 };
        var (dir, files) = RtlTestSupport.Emit(config);
        try
        {
            var (code, output) = RtlTestSupport.Run("verilator", ["--lint-only", "-Wall", "--top-module", "accel_top", .. files], dir);
            Assert.True(code == 0 && !output.Contains("%Warning"), $"verilator -Wall at {n}x{n}:\n{output}");
        }
        finally { Directory.Delete(dir, true); }
    }

    [RequiresToolsFact("yosys")]
    public void YosysSynthesizesTheEmittedTop()
    {
        var (dir, files) = RtlTestSupport.Emit(RtlTestSupport.Small(2));
        try
        {
            var script = $"read_verilog {string.Join(' ', files.Select(Path.GetFileName))}; synth -top accel_top; stat";
            var (code, output) = RtlTestSupport.Run("yosys", ["-p", script], dir);
            Assert.True(code == 0, $"yosys failed:\n{output[^Math.Min(output.Length, 4000)..]}");
            Assert.Contains("Number of cells", output);
            Assert.DoesNotContain("ERROR", output);
        }
        finally { Directory.Delete(dir, true); }
    }
}
