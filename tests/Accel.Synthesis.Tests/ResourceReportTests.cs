using Accel.Synthesis.Boards;
using Accel.Synthesis.Yosys;
using Xunit;

namespace Accel.Synthesis.Tests;

// Accel.Board (the host driver) is also a namespace under Accel: name the synthesis board type explicitly.
using Board = Accel.Synthesis.Boards.Board;

public class ResourceReportTests
{
    private static ResourceReport Report(double luts, double ffs, double dsps, double bram) =>
        ResourceReport.Create(Board.ArtyA7_35T, r => r switch
        {
            Resource.Lut => luts,
            Resource.FlipFlop => ffs,
            Resource.Dsp => dsps,
            _ => bram,
        });

    [Fact]
    public void EveryResourceAtCapacityFitsButNotWithMargin()
    {
        var r = Report(20_800, 41_600, 90, 50);
        Assert.True(r.Fits);
        Assert.False(r.FitsWithMargin);
        Assert.Empty(r.Over);
        Assert.Contains("above the 90", r.Verdict);
    }

    [Fact]
    public void OneResourceOverCapacityDoesNotFitAndIsNamed()
    {
        var r = Report(100, 100, 91, 55);
        Assert.False(r.Fits);
        Assert.Equal(["BRAM36", "DSP48"], r.Over.Select(l => l.Name));  // most oversubscribed first
        Assert.Equal("BRAM36", r.Scarcest.Name);
        Assert.StartsWith("does not fit arty-a7-35t: BRAM36", r.Verdict);
    }

    [Fact]
    public void TheMarginIsNinetyPercentInclusive()
    {
        Assert.Equal(0.90, ResourceReport.Margin);
        Assert.True(Report(0.9 * 20_800, 0, 81, 45).FitsWithMargin);
        Assert.False(Report(0, 0, 82, 0).FitsWithMargin);
        Assert.True(Report(0, 0, 82, 0).Fits);
        Assert.True(Report(1, 1, 1, 0.5).FitsWithMargin);
    }

    [Fact]
    public void HalfBlockRamsAndMemoryLutsCount()
    {
        var usage = ResourceUsage.FromCells(new Dictionary<string, long>
        {
            ["LUT6"] = 10, ["RAM64M"] = 2, ["SRLC32E"] = 3, ["FDCE"] = 4, ["FDRE"] = 1, ["RAMB18E1"] = 3, ["RAMB36E1"] = 1, ["DSP48E1"] = 5, ["CARRY4"] = 7,
        });
        Assert.Equal(10 + 8 + 3, usage.Luts);
        Assert.Equal(5, usage.FlipFlops);
        Assert.Equal(2.5, usage.Bram36);
        var r = ResourceReport.Create(Board.PynqZ2, usage);
        Assert.Equal(2.5 / 140, r.Lines.Single(l => l.Resource == Resource.Bram36).Fraction, 12);
    }
}
