namespace Accel.Model.Data;

/// <summary>
/// Locates the reference data (real SqueezeNet weights, images) kept outside the repository in
/// ../shared/data. ACCEL_SHARED_DATA overrides the location. Nothing here copies it anywhere.
/// </summary>
public static class SharedData
{
    public const string EnvironmentVariable = "ACCEL_SHARED_DATA";

    private static readonly Lazy<string?> _root = new(Locate);

    /// <summary>The data folder, or null when it is absent.</summary>
    public static string? Root => _root.Value;

    public static bool Available => Root is not null;

    public static string? RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>A path inside the data folder, or null when the folder or the file is absent.</summary>
    public static string? Find(params string[] relative)
    {
        if (Root is null) return null;
        string path = Path.Combine([Root, .. relative]);
        return File.Exists(path) || Directory.Exists(path) ? path : null;
    }

    public static string? SqueezeNet11Onnx => Find("models", "squeezenet1_1.onnx");
    public static string? DeepCompressionOnnx => Find("models", "squeezenet1_0_deep_compression.onnx");
    public static string? CatImage => Find("images", "cat.jpg");
    public static string? DevImages => Find("images", "imagenet_dev");
    public static string? SynsetWords => Find("images", "synset_words.txt");

    private static string? Locate()
    {
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(env)) return Directory.Exists(env) ? Path.GetFullPath(env) : null;
        foreach (var start in new[] { RepositoryRoot, Directory.GetCurrentDirectory() })
        {
            if (start is null) continue;
            var candidate = Path.GetFullPath(Path.Combine(start, "..", "shared", "data"));
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static string? FindRepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Accelerator.sln"))) return dir.FullName;
        }
        return null;
    }
}
