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
