using Accel.Tests;
using Xunit;

namespace Accel.Synthesis.Tests;

/// <summary>
/// `accel synth` and `accel dse` as a user runs them. They use the default result cache
/// (build/synth-cache), so after the first run the 2x2 tiny engine costs no yosys time.
/// </summary>
public class CliTests
{
    [RequiresToolsFact("yosys")]
    public void SynthJsonReportsCountsCapacitiesAndTheVerdict()
    {
        var r = CliRunner.Run("synth", TestNetworks.TinyFile(), "--board", "arty-a7-35t", "--rows", "2", "--cols", "2", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var j = r.Json;
        Assert.Equal("arty-a7-35t", j.GetProperty("board").GetProperty("name").GetString());
        Assert.Equal(90, j.GetProperty("board").GetProperty("dsps").GetInt32());
        Assert.Equal(2, j.GetProperty("rows").GetInt32());
        Assert.Equal(16, j.GetProperty("config").GetString()!.Length);
        var usage = j.GetProperty("usage");
        Assert.True(usage.GetProperty("dsps").GetInt64() >= 4);
        Assert.True(usage.GetProperty("bram36").GetDouble() > 0);
        Assert.True(usage.GetProperty("cells").GetProperty("DSP48E1").GetInt64() >= 4);
        var resources = j.GetProperty("resources").EnumerateArray().ToList();
        Assert.Equal(["LUT", "FF", "DSP48", "BRAM36"], resources.Select(x => x.GetProperty("resource").GetString()));
        Assert.All(resources, x => Assert.True(x.GetProperty("available").GetDouble() > 0));
        // A 2x2 engine for a tiny network fits the smallest board.
        Assert.True(j.GetProperty("fits").GetBoolean());
        Assert.True(j.GetProperty("fitsWithMargin").GetBoolean());
        Assert.Equal(0.9, j.GetProperty("margin").GetDouble());
        Assert.True(j.GetProperty("yosysSeconds").GetDouble() > 0);
        Assert.Empty(j.GetProperty("warnings").EnumerateArray());
    }

    [RequiresToolsFact("yosys")]
    public void SynthPrintsATableAndTheVerdict()
    {
        var r = CliRunner.Run("synth", TestNetworks.TinyFile(), "--board", "pynq-z2", "--rows", "2", "--cols", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        foreach (var s in new[] { "resource", "available", "LUT", "FF", "DSP48", "BRAM36", "fits pynq-z2" }) Assert.Contains(s, r.Stdout);
    }

    [Fact]
    public void ABadBoardNameIsOneErrorLineListingTheBoards()
    {
        var r = CliRunner.Run("synth", "squeezenet1_1", "--board", "zedboard");
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: unknown board 'zedboard'", line);
        Assert.Contains("pynq-z2", line);
        Assert.Contains("arty-a7-100t", line);
        Assert.Equal(1, CliRunner.Run("dse", "--network", "squeezenet1_1", "--board", "nexys").ExitCode);
    }

    [Fact]
    public void BadSizeListsAreOneErrorLine()
    {
        var r = CliRunner.Run("dse", "--network", "squeezenet1_1", "--board", "pynq-z2", "--sizes", "4,40");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("outside 2..32", r.Stderr);
        var d = CliRunner.Run("dse", "--network", "squeezenet1_1", "--board", "pynq-z2", "--input-depths", "4096,x");
        Assert.Equal(1, d.ExitCode);
        Assert.Contains("--input-depths", d.Stderr);
    }

    [RequiresToolsFact("yosys")]
    public void DseWritesTheParetoFrontAndAPlot()
    {
        var png = Path.Combine(TestNetworks.TempDir(), "dse.png");
        // One calibration point, the 2x2 engine the synth tests use (cached after them).
        var r = CliRunner.Run("dse", "--network", TestNetworks.TinyFile(), "--board", "arty-a7-35t", "--sizes", "2..6",
            "--accumulator-depths", "256,1024", "--input-depths", "4096,8192", "--output-depths", "4096", "--weight-depths", "2048,4096",
            "--calibrate-sizes", "2", "--png", png, "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var j = r.Json;
        // 5 sizes x 2 accumulator x 2 input x 1 output x 2 weight depths, each evaluated, refused or skipped.
        var points = j.GetProperty("points").EnumerateArray().ToList();
        Assert.Equal(40, points.Count + j.GetProperty("rejected").GetArrayLength() + j.GetProperty("skipped").GetInt32());
        // Each point names its buffer depths, the swept ones and the ones the schedule sized.
        Assert.All(points, p =>
        {
            Assert.Contains(p.GetProperty("inputDepth").GetInt32(), new[] { 4096, 8192 });
            Assert.Equal(4096, p.GetProperty("outputDepth").GetInt32());
            Assert.Contains(p.GetProperty("weightDepth").GetInt32(), new[] { 2048, 4096 });
            Assert.Contains(p.GetProperty("accumulatorDepth").GetInt32(), new[] { 256, 1024 });
            Assert.True(p.GetProperty("paramDepth").GetInt32() > 0);
        });
        Assert.Contains(points, p => p.GetProperty("inputDepth").GetInt32() == 4096 && p.GetProperty("weightDepth").GetInt32() == 2048);
        var front = j.GetProperty("front").EnumerateArray().ToList();
        Assert.NotEmpty(front);
        Assert.True(j.GetProperty("frontFits").GetBoolean());
        Assert.All(front, p => Assert.True(p.GetProperty("fits").GetBoolean() && p.GetProperty("pareto").GetBoolean()));
        Assert.True(j.GetProperty("largestFit").GetProperty("size").GetInt32() >= 2);
        Assert.Single(j.GetProperty("calibration").EnumerateArray());
        var bytes = File.ReadAllBytes(png);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes.Take(4));
    }
}
