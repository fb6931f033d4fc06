namespace Accel.Images;

/// <summary>An image that cannot be used: missing, undecodable, or the wrong size. Names the file.</summary>
public sealed class ImageException(string path, string message) : Exception($"image '{path}': {message}")
{
    public string Path { get; } = path;
}
