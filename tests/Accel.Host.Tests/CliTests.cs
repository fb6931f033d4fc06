using System.Text;
using Accel.Model.Data;
using Accel.Tests;
using Xunit;

namespace Accel.Host.Tests;

public class CliTests
{
    [Theory]
    [InlineData("squeezenet1_0", 1_248_424L, 818_924_576L)]
    [InlineData("squeezenet1_0_caffe", 1_248_424L, 861_339_936L)]
    [InlineData("squeezenet1_1", 1_235_496L, 349_151_936L)]
    public void InfoReportsTheReferenceFigures(string network, long parameters, long macs)
    {
        var r = CliRunner.Run("info", network, "--json");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(parameters, r.Json.GetProperty("parameters").GetInt64());
        Assert.Equal(macs, r.Json.GetProperty("macs").GetInt64());
        Assert.Equal(network, r.Json.GetProperty("name").GetString());

        var human = CliRunner.Run("info", network);
        Assert.Contains(parameters.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + " parameters", human.Stdout);
        Assert.Contains("fire9", human.Stdout);
    }

    [Fact]
    public void CorruptOnnxIsOneErrorLine()
    {
        var path = CliRunner.TempFile("broken.onnx", Encoding.ASCII.GetBytes("this is not a protobuf model at all \x01\x02\x03"));
        AssertOneErrorLine(CliRunner.Run("info", path), "broken.onnx");
    }

    [Fact]
    public void JsonWithAWrongChannelCountNamesLayerAndField()
    {
        const string json = """
            { "name": "bad", "input": [3, 16, 16], "layers": [
              { "type": "conv", "name": "conv1", "out": 8, "kernel": 3 },
              { "type": "fire", "name": "fire2", "inChannels": 16, "squeeze": 2, "expand1x1": 4, "expand3x3": 4 } ] }
            """;
        var path = CliRunner.TempFile("bad.json", Encoding.UTF8.GetBytes(json));
        var r = CliRunner.Run("info", path);
        AssertOneErrorLine(r, "fire2");
        Assert.Contains("inChannels", r.Stderr);
    }

    [Fact]
    public void MissingImageIsOneErrorLine() =>
        AssertOneErrorLine(CliRunner.Run("golden", "squeezenet1_1", "--image", "/nonexistent/cat.jpg", "--calibration-count", "1"), "/nonexistent/cat.jpg");

    [Fact]
    public void NonJpegImageIsOneErrorLine()
    {
        var path = CliRunner.TempFile("notes.jpg", Encoding.ASCII.GetBytes("plain text pretending to be a JPEG"));
        AssertOneErrorLine(CliRunner.Run("golden", "squeezenet1_1", "--image", path, "--calibration-count", "1"), "notes.jpg");
    }

    [Fact]
    public void CudaWithoutAGpuIsOneErrorLine()
    {
        if (Accel.Golden.IlgpuGoldenModel.CudaAvailable) return; // with a GPU, --device cuda is valid
        AssertOneErrorLine(CliRunner.Run("golden", "squeezenet1_1", "--device", "cuda", "--calibration-count", "1"), "--device cuda");
    }

    [Fact]
    public void UnknownNetworkIsOneErrorLine() =>
        AssertOneErrorLine(CliRunner.Run("info", "squeezenet9"), "squeezenet9");

    [Fact]
    public void QuantizeThenGoldenWithSeededWeights()
    {
        var q8 = Path.Combine(Path.GetTempPath(), "accel-tests", Guid.NewGuid().ToString("n"), "seeded.q8");
        var json = """
            { "name": "small", "input": [3, 40, 40], "layers": [
              { "type": "conv", "name": "conv1", "out": 8, "kernel": 3, "stride": 2 },
              { "type": "maxpool", "name": "pool1", "kernel": 3, "stride": 2 },
              { "type": "fire", "name": "fire2", "squeeze": 4, "expand1x1": 8, "expand3x3": 8 },
              { "type": "conv", "name": "conv3", "out": 10, "kernel": 1 },
              { "type": "gavgpool", "name": "pool3" } ] }
            """;
        var net = CliRunner.TempFile("small.json", Encoding.UTF8.GetBytes(json));
        var q = CliRunner.Run("quantize", net, "-o", q8, "--calibrate", SyntheticImages(3), "--json");
        Assert.True(q.ExitCode == 0, q.Stderr);
        Assert.Equal(5, q.Json.GetProperty("convolutions").GetInt32());
        var dump = Path.Combine(Path.GetDirectoryName(q8)!, "dump");
        var g = CliRunner.Run("golden", q8, "--json", "--dump", dump);
        Assert.True(g.ExitCode == 0, g.Stderr);
        var first = g.Json[0];
        Assert.Equal(5, first.GetProperty("top5").GetArrayLength());
        Assert.True(File.Exists(Path.Combine(dump, "fire2.expand3x3.i8")));
        Assert.Equal(8 * 9 * 9, new FileInfo(Path.Combine(dump, "fire2.expand3x3.i8")).Length);
    }

    [RequiresDataFact]
    public void GoldenClassifiesTheCatAsKitFox()
    {
        // The acceptance command, default settings (32 calibration images).
        var r = CliRunner.Run("golden", SharedData.SqueezeNet11Onnx!, "--image", SharedData.CatImage!, "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var cat = r.Json[0];
        Assert.Equal(278, cat.GetProperty("top5")[0].GetInt32());
        Assert.Equal(278, cat.GetProperty("floatTop5")[0].GetInt32());
        Assert.EndsWith("cat.jpg", cat.GetProperty("image").GetString());
    }

    private static string SyntheticImages(int count)
    {
        var dir = Path.Combine(Path.GetTempPath(), "accel-tests", Guid.NewGuid().ToString("n"), "calib");
        Directory.CreateDirectory(dir);
        for (int i = 0; i < count; i++)
            File.WriteAllBytes(Path.Combine(dir, $"img{i}.png"), ImageTests.Png(Accel.Images.RgbImage.Synthetic(i, 64, 48)));
        return dir;
    }

    /// <summary>Exit code 1 and exactly one "error:" line, the last on stderr (progress notes may precede it), no stack trace.</summary>
    internal static void AssertOneErrorLine(CliRunner.Result r, string mentions)
    {
        Assert.Equal(1, r.ExitCode);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var errors = lines.Where(l => l.StartsWith("error", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 1 && lines[^1] == errors[0], $"expected one error line, last, got:\n{r.Stderr}");
        Assert.StartsWith("error: ", errors[0]);
        Assert.Contains(mentions, errors[0]);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.Equal("", r.Stdout);
    }
}
