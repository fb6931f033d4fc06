using System.Text.Json.Nodes;
using Accel.Model.Networks;

namespace Accel.Golden;

/// <summary>
/// Writes a <see cref="GoldenResult"/> for RTL testbenches: per node "&lt;name, '/' as '.'&gt;.i8"
/// (raw CHW bytes, int8 or uint8) and index.json listing [{name, file, shape: [c, h, w], scale, dtype}].
/// </summary>
public static class GoldenDump
{
    public static string FileName(string nodeName) => nodeName.Replace('/', '.') + ".i8";

    public static void Write(GoldenResult result, string directory)
    {
        ArgumentNullException.ThrowIfNull(result);
        Directory.CreateDirectory(directory);
        var index = new JsonArray();
        // "input" first, the rest in the order the executor produced them (topological).
        var names = result.Activations.Keys.Where(k => k == Network.InputName)
            .Concat(result.Activations.Keys.Where(k => k != Network.InputName));
        foreach (var name in names)
        {
            var t = result.Activations[name];
            string file = FileName(name);
            var bytes = new byte[t.Data.Length];
            Buffer.BlockCopy(t.Data, 0, bytes, 0, bytes.Length);
            File.WriteAllBytes(Path.Combine(directory, file), bytes);
            index.Add(new JsonObject
            {
                ["name"] = name,
                ["file"] = file,
                ["shape"] = new JsonArray(t.Shape.Channels, t.Shape.Height, t.Shape.Width),
                ["scale"] = t.Scale,
                ["dtype"] = t.Unsigned ? "uint8" : "int8",
            });
        }
        File.WriteAllText(Path.Combine(directory, "index.json"),
            index.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }
}
