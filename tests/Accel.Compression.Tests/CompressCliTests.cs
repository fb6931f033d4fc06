using Accel.Model.Data;
using Accel.Tests;
using Xunit;

namespace Accel.Compression.Tests;

/// <summary>accel compress / inspect as a user runs them.</summary>
public class CompressCliTests
{
    private static string Temp(string name) => Path.Combine(Path.GetTempPath(), "accel-tests", Guid.NewGuid().ToString("n"), name);

    [RequiresDataFact]
    public void Compress_from_deep_compression_then_inspect_then_decode()
    {
        string output = Temp("dc.eie");
        var c = CliRunner.Run("compress", "--from-deep-compression", SharedData.Find("deep_compression", "compressed_SqueezeNet.net")!,
            "--bits", "6", "--huffman", "--calibration-count", "2", "-o", output, "--json");
        Assert.True(c.ExitCode == 0, c.Stderr);
        Assert.InRange(c.Json.GetProperty("bytes").GetInt64(), 1, 470_000 - 1);
        var i = CliRunner.Run("inspect", output, "--json");
        Assert.True(i.ExitCode == 0, i.Stderr);
        var layers = i.Json.GetProperty("layers");
        Assert.Equal(26, layers.GetArrayLength());
        foreach (var l in layers.EnumerateArray())
        {
            Assert.Equal(6, l.GetProperty("bits").GetInt32());
            Assert.InRange(l.GetProperty("codebookUsed").GetInt32(), 1, 63);
        }
        Assert.True(i.Json.GetProperty("huffman").GetBoolean());
        var table = CliRunner.Run("inspect", output);
        Assert.Contains("fire9/expand3x3", table.Stdout);
        Assert.Contains("total", table.Stdout);
    }

    [RequiresDataFact]
    public void Compress_with_block_pruning_leaves_whole_zero_blocks_that_inspect_counts()
    {
        string output = Temp("b.eie");
        var config = CliRunner.TempFile("d.json", "{\"layers\": {\"fire9/expand3x3\": 0.25}}"u8.ToArray());
        var c = CliRunner.Run("compress", SharedData.Find("models", "squeezenet1_1.onnx")!, "--bits", "6", "--density", config,
            "--block", "16x16", "--calibration-count", "2", "-o", output, "--json");
        Assert.True(c.ExitCode == 0, c.Stderr);
        var i = CliRunner.Run("inspect", output, "--block", "16x16", "--json");
        Assert.True(i.ExitCode == 0, i.Stderr);
        foreach (var l in i.Json.GetProperty("layers").EnumerateArray())
        {
            double zero = l.GetProperty("zeroBlockFraction").GetDouble();
            if (l.GetProperty("name").GetString() == "fire9/expand3x3")
                Assert.InRange(zero, 0.75 - 1.0 / 576, 1.0); // 576 blocks of 16x16 at 25% kept
            else
                Assert.True(zero < 0.01, $"{l.GetProperty("name")}: {zero}");
        }
        Assert.Contains("zero 16x16", CliRunner.Run("inspect", output, "--block", "16x16").Stdout);
    }

    [Fact]
    public void Block_option_mistakes_are_named()
    {
        var bad = CliRunner.Run("compress", "squeezenet1_1", "--block", "16", "-o", Temp("x.eie"));
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("--block 16: expected ROWSxCOLS", bad.Stderr);
        var dc = CliRunner.Run("compress", "--from-deep-compression", "nothing.net", "--block", "16x16", "-o", Temp("x.eie"));
        Assert.Equal(1, dc.ExitCode);
        Assert.Contains("--block", dc.Stderr);
        var noPrune = CliRunner.Run("compress", "squeezenet1_1", "--block", "4x4", "--no-prune", "-o", Temp("x.eie"));
        Assert.Equal(1, noPrune.ExitCode);
        Assert.Contains("--no-prune", noPrune.Stderr);
    }

    [Fact]
    public void Bad_input_is_one_line_without_a_stack_trace()
    {
        var corrupt = CliRunner.TempFile("bad.eie", "ACCELEIE\u0002\0\0\0\u0003\0\0\0xxxxxxxx"u8.ToArray());
        var r = CliRunner.Run("inspect", corrupt);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("bad.eie: header, byte 8: version 2 is not supported", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);

        var config = CliRunner.TempFile("density.json", "{\"layers\": {\"conv1\": 1.5}}"u8.ToArray());
        var d = CliRunner.Run("compress", "squeezenet1_1", "--density", config, "-o", Temp("x.eie"));
        Assert.Equal(1, d.ExitCode);
        Assert.DoesNotContain("   at ", d.Stderr);

        var bits = CliRunner.Run("compress", "--from-deep-compression", "nothing.net", "--bits", "9", "-o", Temp("x.eie"));
        Assert.Equal(1, bits.ExitCode);
        Assert.Contains("--bits 9", bits.Stderr);
    }
}

public class DensityConfigTests
{
    [Fact]
    public void Config_densities_outside_0_1_and_unknown_layers_are_named()
    {
        var network = Accel.Model.Networks.BuiltinNetworks.SqueezeNet1_1();
        var bad = CliRunner.TempFile("d.json", "{\"layers\": {\"conv1\": 1.5}}"u8.ToArray());
        Assert.Contains("layers.conv1: density 1.5 is outside (0, 1]", Assert.Throws<CompressionException>(() => DensityConfig.Load(bad, network)).Message);
        var unknown = CliRunner.TempFile("d.json", "{\"layers\": {\"conv99\": 0.5}}"u8.ToArray());
        Assert.Contains("layers.conv99: no convolution", Assert.Throws<CompressionException>(() => DensityConfig.Load(unknown, network)).Message);
        var ok = CliRunner.TempFile("d.json", "{\"default\": 0.5, \"layers\": {\"conv1\": 1}}"u8.ToArray());
        var config = DensityConfig.Load(ok, network);
        Assert.Equal(1.0, config.For(network["conv1"]));
        Assert.Equal(0.5, config.For(network["fire2/expand3x3"]));
        Assert.Equal(0.33, DensityConfig.Paper.For(network["fire2/expand3x3"]));
        Assert.Equal(0.2, DensityConfig.Paper.For(network["conv10"]));
    }
}
