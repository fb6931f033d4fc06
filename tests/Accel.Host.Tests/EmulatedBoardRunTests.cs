using System.Text;
using Accel.Tests;
using Xunit;

namespace Accel.Host.Tests;

/// <summary>
/// `accel run --board emu` end to end: the board RTL (link, command engine, engine) in Verilator
/// behind a pseudo-terminal, opened with the real SerialTransport; a reduced Fire network on a 4x4
/// engine, and a compact network with every unit beyond Fire; the output tensor compared element by
/// element with the golden model (--check). With injected byte faults and a board reset in the
/// middle of the weights, the run must still end identical to the golden model.
/// </summary>
public class EmulatedBoardRunTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>A 3x3 conv, a pool, a Fire module, a 1x1 conv and the global average pool.</summary>
    private const string FireJson = """
        { "name": "fire_board", "input": [3, 33, 33], "softmax": false, "layers": [
          { "type": "conv", "name": "conv1", "out": 16, "kernel": 3, "stride": 2, "pad": 0, "relu": true },
          { "type": "maxpool", "name": "pool1", "kernel": 3, "stride": 2, "pad": 0, "ceil": true },
          { "type": "fire", "name": "fire2", "inChannels": 16, "squeeze": 4, "expand1x1": 8, "expand3x3": 8 },
          { "type": "conv", "name": "conv3", "out": 10, "kernel": 1 },
          { "type": "gavgpool", "name": "pool3" } ] }
        """;

    /// <summary>
    /// Every unit beyond Fire in one program: a depthwise conv (DWCONV), a residual add, a channel
    /// shuffle, a 3x3/2 average pool, hard-swish and hard-sigmoid lookups and an SE scale (ELTWISE).
    /// </summary>
    private const string CompactJson = """
        { "name": "compact_board", "input": [3, 17, 17], "softmax": false, "layers": [
          { "type": "conv", "name": "conv1", "out": 12, "kernel": 3, "stride": 2, "pad": 1, "relu": true },
          { "type": "conv", "name": "block/dw", "out": 12, "kernel": 3, "stride": 1, "pad": 1, "groups": 12, "relu": false },
          { "type": "conv", "name": "block/pw", "out": 12, "kernel": 1, "relu": false },
          { "type": "add", "name": "block/add", "inputs": ["block/pw", "conv1"], "relu": true },
          { "type": "shuffle", "name": "shuffle", "groups": 3 },
          { "type": "avgpool", "name": "down", "kernel": 3, "stride": 2, "pad": 1 },
          { "type": "activation", "name": "act", "function": "hardswish" },
          { "type": "gavgpool", "name": "se/pool" },
          { "type": "conv", "name": "se/reduce", "out": 4, "kernel": 1, "relu": true },
          { "type": "conv", "name": "se/expand", "out": 12, "kernel": 1, "relu": false },
          { "type": "activation", "name": "se/gate", "function": "hardsigmoid" },
          { "type": "scale", "name": "se/scale", "inputs": ["act", "se/gate"] },
          { "type": "gavgpool", "name": "pool" },
          { "type": "conv", "name": "fc", "out": 10, "kernel": 1, "relu": false } ] }
        """;

    private static string? fireFile, compactFile;

    private static string FireFile() => fireFile ??= CliRunner.TempFile("fire_board.json", Encoding.UTF8.GetBytes(FireJson));

    private static string CompactFile() => compactFile ??= CliRunner.TempFile("compact_board.json", Encoding.UTF8.GetBytes(CompactJson));

    private CliRunner.Result Run(params string[] extra) => RunModel(FireFile(), extra);

    private CliRunner.Result RunModel(string model, params string[] extra)
    {
        var r = CliRunner.Run(["run", "--board", "emu", "--model", model, "--rows", "4", "--cols", "4", "--check", "--json", .. extra]);
        output.WriteLine(r.Stderr);
        output.WriteLine(r.Stdout);
        return r;
    }

    [RequiresToolsFact("verilator")]
    public void AFireNetworkOnTheEmulatedBoardIsIdenticalToTheGoldenModel()
    {
        var r = Run();
        Assert.True(r.ExitCode == 0, r.Stderr);
        var j = r.Json;
        Assert.True(j.GetProperty("check").GetProperty("identical").GetBoolean());
        Assert.Equal(j.GetProperty("check").GetProperty("goldenTop5").EnumerateArray().Select(e => e.GetInt32()),
            j.GetProperty("top5").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("emulator", j.GetProperty("link").GetString());
        Assert.Equal(0, j.GetProperty("retries").GetInt64());
        var counters = j.GetProperty("counters");
        // The engine ran the whole program: one compute per conv band / pool, and it read and wrote DRAM.
        Assert.True(counters.GetProperty("computesCompleted").GetUInt64() > 0);
        Assert.True(counters.GetProperty("dramWriteBeats").GetUInt64() > 0);
        Assert.Equal(0ul, counters.GetProperty("framesDropped").GetUInt64());
        Assert.Contains("emulator:", r.Stderr);
    }

    [RequiresToolsFact("verilator")]
    public void ACompactNetworkOnTheEmulatedBoardIsIdenticalToTheGoldenModel()
    {
        // The board receives the add multipliers, lookup tables, gather maps and pool requantizers as parameter words.
        var r = RunModel(CompactFile());
        Assert.True(r.ExitCode == 0, r.Stderr);
        var j = r.Json;
        Assert.True(j.GetProperty("check").GetProperty("identical").GetBoolean());
        Assert.Equal(j.GetProperty("check").GetProperty("goldenTop5").EnumerateArray().Select(e => e.GetInt32()),
            j.GetProperty("top5").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(0, j.GetProperty("retries").GetInt64());
        Assert.True(j.GetProperty("counters").GetProperty("computesCompleted").GetUInt64() > 0);
    }

    // Minutes per seed (every damaged small request waits out a timeout): the long suite.
    [RequiresToolsTheory("verilator")]
    [Trait("Category", "Long")]
    [InlineData(1)]
    [InlineData(2)]
    public void WithOnePercentByteFaultsAndABoardResetInTheWeightsTheRunStillMatchesTheGoldenModel(int seed)
    {
        // The weights stage sends ~5.6 kB; 3,000 host bytes in is inside it.
        var r = Run("--emu-faults", "0.01", "--emu-reset-after", "3000", "--emu-seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var j = r.Json;
        Assert.True(j.GetProperty("check").GetProperty("identical").GetBoolean());
        Assert.True(j.GetProperty("retries").GetInt64() > 0, "1 % faults caused no resend: were they injected?");
        Assert.Contains("1 board reset(s)", r.Stderr);
    }
}
