using Accel.Synthesis.Boards;
using Xunit;

namespace Accel.Synthesis.Tests;

// Accel.Board (the host driver) is also a namespace under Accel: name the synthesis board type explicitly.
using Board = Accel.Synthesis.Boards.Board;

public class BoardTests
{
    [Theory]
    [InlineData("pynq-z2", 53_200, 106_400, 220, 140)]
    [InlineData("arty-a7-35t", 20_800, 41_600, 90, 50)]
    [InlineData("arty-a7-100t", 63_400, 126_800, 240, 135)]
    [InlineData("PYNQ-Z2", 53_200, 106_400, 220, 140)]
    public void CapacitiesAreTheDataSheetFigures(string name, int luts, int ffs, int dsps, int bram)
    {
        var b = Board.Get(name);
        Assert.Equal((luts, ffs, dsps, bram), (b.Luts, b.FlipFlops, b.Dsps, b.Bram36));
        Assert.Equal(bram, b.Capacity(Resource.Bram36));
    }

    [Fact]
    public void AnUnknownBoardNamesTheKnownOnes()
    {
        var e = Assert.Throws<SynthesisException>(() => Board.Get("zedboard"));
        Assert.Contains("zedboard", e.Message);
        foreach (var name in new[] { "pynq-z2", "arty-a7-35t", "arty-a7-100t" }) Assert.Contains(name, e.Message);
    }
}
