using System.Text.Json.Nodes;
using Accel.Golden;
using Accel.Golden.Testing;
using Accel.Model.Networks;
using Xunit;

namespace Accel.Golden.Tests;

public sealed class GoldenDumpTests
{
    [Fact]
    public void Writes_raw_chw_files_and_an_index()
    {
        var net = new Network("t", new Shape(3, 6, 6), [new FireLayer("fire2", 2, 3, 3), new GlobalAvgPoolLayer("pool10")]);
        var model = RandomQuantizedModel.Create(net, 5);
        var result = new ScalarReference().Run(model, RandomQuantizedModel.Input(net, 6));
        string dir = Path.Combine(Path.GetTempPath(), "golden-dump-" + Guid.NewGuid().ToString("N"));
        try
        {
            GoldenDump.Write(result, dir);
            var index = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "index.json")))!.AsArray();
            Assert.Equal(result.Activations.Count, index.Count);
            foreach (var entry in index)
            {
                string name = (string)entry!["name"]!;
                string file = (string)entry["file"]!;
                Assert.Equal(name.Replace('/', '.') + ".i8", file);
                var t = result.Activations[name];
                var shape = entry["shape"]!.AsArray().Select(v => (int)v!).ToArray();
                Assert.Equal(new[] { t.Shape.Channels, t.Shape.Height, t.Shape.Width }, shape);
                Assert.Equal(t.Scale, (float)entry["scale"]!);
                var bytes = File.ReadAllBytes(Path.Combine(dir, file));
                Assert.Equal(t.Data, bytes.Select(b => (sbyte)b).ToArray());
            }
            Assert.True(File.Exists(Path.Combine(dir, "fire2.expand3x3.i8")));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
