using System.Text;
using Accel.Model.Networks;

namespace Accel.Synthesis.Tests;

/// <summary>Small networks whose engines synthesize in well under a minute.</summary>
internal static class TestNetworks
{
    /// <summary>The example network of docs/formats.md: a 3x3 conv, a pool, a Fire module, a 1x1 conv, the average pool.</summary>
    public const string TinyJson = """
        {
          "name": "tiny",
          "input": [3, 33, 33],
          "softmax": false,
          "layers": [
            { "type": "conv", "name": "conv1", "out": 16, "kernel": 3, "stride": 2, "pad": 0, "relu": true },
            { "type": "maxpool", "name": "pool1", "kernel": 3, "stride": 2, "pad": 0, "ceil": true },
            { "type": "fire", "name": "fire2", "inChannels": 16, "squeeze": 4, "expand1x1": 8, "expand3x3": 8 },
            { "type": "dropout", "name": "drop2", "ratio": 0.5 },
            { "type": "conv", "name": "conv3", "out": 10, "kernel": 1 },
            { "type": "gavgpool", "name": "pool3" }
          ]
        }
        """;

    public static string TinyFile()
    {
        var dir = Path.Combine(Path.GetTempPath(), "accel-synth-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "tiny.json");
        File.WriteAllText(path, TinyJson, Encoding.UTF8);
        return path;
    }

    public static Network Tiny() => NetworkJson.Parse(TinyJson);

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "accel-synth-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
