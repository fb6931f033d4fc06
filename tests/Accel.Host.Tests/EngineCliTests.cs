using System.Text;
using System.Xml.Linq;
using Accel.Tests;
using Xunit;

namespace Accel.Host.Tests;

/// <summary>The engine verbs as a user runs them: gen, cosim and regress.</summary>
public class EngineCliTests
{
    private static string TempDir() => Path.Combine(Path.GetTempPath(), "accel-tests", Guid.NewGuid().ToString("n"));

    [Fact]
    public void GenWritesTheEngineAndPrintsTheSchedule()
    {
        var dir = TempDir();
        var r = CliRunner.Run("gen", "squeezenet1_1", "--rows", "4", "--cols", "4", "-o", dir);
        Assert.True(r.ExitCode == 0, r.Stderr);
        foreach (var file in new[] { "accel_top.v", "accel_config.h", "AccelConfig.g.cs", "program.hex", "schedule.md" })
            Assert.True(File.Exists(Path.Combine(dir, file)), file);
        Assert.Contains("fire9/expand3x3", r.Stdout);
        Assert.Contains("predicted cycles", r.Stdout);
        Assert.Contains("total", r.Stdout);
        // The whole network, down to the global average pool.
        Assert.Contains("pool10", r.Stdout);

        var j = CliRunner.Run("gen", "squeezenet1_1", "--rows", "4", "--cols", "4", "-o", dir, "--json");
        Assert.True(j.ExitCode == 0, j.Stderr);
        Assert.Equal(16, j.Json.GetProperty("config").GetString()!.Length);
        var layers = j.Json.GetProperty("layers");
        Assert.Equal("pool10", layers[layers.GetArrayLength() - 1].GetProperty("node").GetString());
        Assert.Equal(349_151_936L, j.Json.GetProperty("macs").GetInt64());
        Assert.Contains("program.hex", j.Json.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
    }

    [RequiresToolsFact("verilator")]
    public void CosimOfAFireModuleAt2x2IsBitExact()
    {
        const string json = """
            { "name": "tiny", "input": [3, 9, 9], "layers": [
              { "type": "conv", "name": "conv1", "out": 8, "kernel": 3 },
              { "type": "fire", "name": "fire2", "squeeze": 3, "expand1x1": 5, "expand3x3": 6 } ] }
            """;
        var net = CliRunner.TempFile("tiny.json", Encoding.UTF8.GetBytes(json));
        var r = CliRunner.Run("cosim", net, "--layer", "fire2", "--rows", "2", "--cols", "2", "--device", "cpu", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(r.Json.GetProperty("bitExact").GetBoolean());
        var layers = r.Json.GetProperty("layers").EnumerateArray().ToList();
        Assert.Equal(["fire2/squeeze1x1", "fire2/expand1x1", "fire2/expand3x3"], layers.Select(l => l.GetProperty("node").GetString()));
        Assert.All(layers, l =>
        {
            Assert.True(l.GetProperty("bitExact").GetBoolean());
            Assert.True(l.GetProperty("cycles").GetInt64() >= l.GetProperty("idealCycles").GetInt64());
            Assert.InRange(l.GetProperty("utilization").GetDouble(), 0.01, 1);
        });
        Assert.Equal(layers.Sum(l => l.GetProperty("idealCycles").GetInt64()), r.Json.GetProperty("totals").GetProperty("idealCycles").GetInt64());
        Assert.False(r.Json.GetProperty("sparseWeights").GetBoolean());
        Assert.All(layers, l => Assert.True(l.GetProperty("weightLoadBeats").GetInt64() > 0));

        // Decode on load asked for: a load turns sparse only where its stream is smaller, so no layer reads more weight beats.
        var sparse = CliRunner.Run("cosim", net, "--layer", "fire2", "--rows", "2", "--cols", "2", "--device", "cpu", "--json", "--sparse-weights");
        Assert.True(sparse.ExitCode == 0, sparse.Stderr);
        Assert.True(sparse.Json.GetProperty("sparseWeights").GetBoolean());
        Assert.True(sparse.Json.GetProperty("bitExact").GetBoolean());
        Assert.All(sparse.Json.GetProperty("layers").EnumerateArray().Zip(layers), p =>
            Assert.True(p.First.GetProperty("weightLoadBeats").GetInt64() <= p.Second.GetProperty("weightLoadBeats").GetInt64()));
    }

    [RequiresToolsFact("verilator")]
    public void RegressRunsOneShardAndWritesJUnit()
    {
        var junit = Path.Combine(TempDir(), "smoke.xml");
        // Cases 0 and 24 of the smoke suite: both on the 2x2 engine (case i uses array size i mod 4).
        var r = CliRunner.Run("regress", "--suite", "smoke", "--seed", "3", "--shard", "1/24", "--junit", junit, "--json");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Equal(2, r.Json.GetProperty("cases").GetInt32());
        Assert.Equal(0, r.Json.GetProperty("failed").GetInt32());
        Assert.Equal("2x2", r.Json.GetProperty("summary")[0].GetProperty("array").GetString());
        var cases = XDocument.Load(junit).Descendants("testcase").ToList();
        var expected = Accel.Cosim.Regression.RegressionSuite.Generate(Accel.Cosim.Regression.RegressionSuite.Smoke, 3)
            .Where((_, i) => i % 24 == 0).Select(c => c.Id);
        Assert.Equal(expected, cases.Select(c => (string)c.Attribute("name")!));
        Assert.StartsWith("s3-c000-2x2-", (string)cases[0].Attribute("name")!);
        Assert.All(cases, c => Assert.Equal("smoke.2x2", (string)c.Attribute("classname")!));
    }

    [Fact]
    public void UnknownLayerIsOneErrorLine() =>
        CliTests.AssertOneErrorLine(CliRunner.Run("cosim", "squeezenet1_1", "--layer", "fire99", "--rows", "2", "--cols", "2"), "fire99");

    [Fact]
    public void ArrayOfOneRowIsOneErrorLine() =>
        CliTests.AssertOneErrorLine(CliRunner.Run("gen", "squeezenet1_1", "--rows", "1", "--cols", "1", "-o", TempDir()), "rows");

    [Fact]
    public void ShardBeyondItsCountIsOneErrorLine() =>
        CliTests.AssertOneErrorLine(CliRunner.Run("regress", "--suite", "smoke", "--shard", "3/2"), "--shard 3/2");

    [Fact]
    public void UnknownSuiteIsOneErrorLine() =>
        CliTests.AssertOneErrorLine(CliRunner.Run("regress", "--suite", "nightly"), "nightly");
}
