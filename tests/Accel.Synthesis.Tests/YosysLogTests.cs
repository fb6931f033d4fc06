using Accel.Synthesis.Yosys;
using Xunit;

namespace Accel.Synthesis.Tests;

/// <summary>Parsing a captured yosys 0.23 log (Data/yosys-2x2-tiny.log: the tiny network on a 2x2 engine).</summary>
public class YosysLogTests
{
    private static readonly string Captured = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Data", "yosys-2x2-tiny.log"));

    [Fact]
    public void TotalsComeFromTheLastStatisticsOfTheWholeHierarchy()
    {
        var log = YosysLog.Parse(Captured);
        // The made-up earlier block (LUT1 999) must not win.
        Assert.Equal(31, log.TotalCells["LUT1"]);
        var u = ResourceUsage.FromCells(log.TotalCells);
        Assert.Equal(31 + 599 + 708 + 462 + 343 + 1353, u.LogicLuts);
        Assert.Equal(3496, u.LogicLuts);
        Assert.Equal(59 * 4 + 41, u.MemoryLuts);
        Assert.Equal(3773, u.Luts);
        Assert.Equal(59, u.LutRamCells);
        Assert.Equal(41, u.SrlCells);
        Assert.Equal(2022, u.FlipFlops);
        Assert.Equal(23, u.Dsps);
        Assert.Equal(7, u.Ramb36);
        Assert.Equal(1, u.Ramb18);
        Assert.Equal(7.5, u.Bram36);
        Assert.Equal(18, u.Cells.Count);
        Assert.Equal(341, u.Cells["CARRY4"]);
    }

    [Fact]
    public void ModulesCarryInstanceCountsThroughTheHierarchyAndTheirParameters()
    {
        var log = YosysLog.Parse(Captured);
        var byLabel = log.Modules.ToDictionary(m => m.Label);
        Assert.Equal(1, byLabel["accel_top"].Instances);
        // Two requantizer lanes in the drain plus two in the average-pool unit.
        Assert.Equal(4, byLabel["accel_requant"].Instances);
        Assert.Equal(2, byLabel["accel_pe"].Instances);
        Assert.Equal(2, byLabel["accel_pe_edge"].Instances);
        // The accumulator's two banks.
        var bank = byLabel["sdp_ram WIDTH=64 DEPTH=1024 ADDR_BITS=10"];
        Assert.Equal(2, bank.Instances);
        Assert.Equal(2, bank.Cells["RAMB36E1"]);
        // Per-instance cells exclude submodule instances.
        Assert.DoesNotContain("accel_pe", byLabel["accel_mesh"].Cells.Keys);
        Assert.Equal(3, byLabel["accel_requant"].PerInstance.Dsps);
        Assert.Equal(1, byLabel["accel_pe"].PerInstance.Dsps);
        // Module DSPs times instances add up to the total.
        Assert.Equal(23, log.Modules.Sum(m => m.PerInstance.Dsps * m.Instances));
        Assert.Equal(3773, log.Modules.Sum(m => m.PerInstance.Luts * m.Instances));
    }

    [Fact]
    public void MemoriesAndMultipliersAreClassified()
    {
        var log = YosysLog.Parse(Captured);
        Assert.Equal(6, log.Memories.Count);
        Assert.Equal(3, log.Memories.Count(m => m.Kind == MemoryKind.BlockRam));
        Assert.Equal(3, log.Memories.Count(m => m.Kind == MemoryKind.LutRam));
        Assert.Contains(log.Memories, m => m.Label == "sdp_ram WIDTH=16 DEPTH=5703 ADDR_BITS=13" && m.Kind == MemoryKind.BlockRam);
        Assert.Equal(10, log.Multipliers.Count);
        Assert.All(log.Multipliers, m => Assert.True(m.InDsp, m.Source));
        Assert.Contains(log.Multipliers, m => m.Module == "accel_requant" && m.Source == "accel_requant.v:38");
        Assert.Empty(YosysSynth.Check(log, ResourceUsage.FromCells(log.TotalCells)));
    }

    [Fact]
    public void AMultiplierLeftInLogicAndABufferInFlipFlopsAreReported()
    {
        var text = Captured
            .Replace("Analysing accel_pe.$mul$accel_pe.v:37$17 for Xilinx DSP packing.", "")
            .Replace("mapping memory $paramod$f983458724c36cf86f31c1a463b67f9d59871b04\\sdp_ram.mem via $__XILINX_BLOCKRAM_TDP_",
                "using FF mapping for memory $paramod$f983458724c36cf86f31c1a463b67f9d59871b04\\sdp_ram.mem");
        var log = YosysLog.Parse(text);
        var warnings = YosysSynth.Check(log, ResourceUsage.FromCells(log.TotalCells));
        Assert.Equal(2, warnings.Count);
        Assert.Contains(warnings, w => w.Contains("accel_pe.v:37") && w.Contains("not in a DSP48E1"));
        Assert.Contains(warnings, w => w.Contains("WIDTH=16 DEPTH=5703") && w.Contains("flip-flops"));
    }

    [Fact]
    public void AFlatStatWithoutHierarchyIsTheOneModule()
    {
        const string stat = """
            3. Printing statistics.

            === top ===

               Number of wires:                 12
               Number of cells:                 10
                 DSP48E1                         2
                 FDRE                            3
                 LUT2                            2
                 LUT6                            1
                 RAMB18E1                        1
                 SRLC32E                         1

            End of script.
            """;
        var log = YosysLog.Parse(stat);
        var u = ResourceUsage.FromCells(log.TotalCells);
        Assert.Equal((4L, 3L, 2L, 0.5), (u.Luts, u.FlipFlops, u.Dsps, u.Bram36));
        Assert.Equal(1, Assert.Single(log.Modules).Instances);
    }
}
