namespace Accel.Images;

/// <summary>One image to classify, with its true ImageNet class when the file name says it ("NNN_wnid_name.JPEG").</summary>
public sealed record LabelledImage(string Path, int? Label);

public static class ImageSet
{
    /// <summary>
    /// A file, or every image in a folder (sorted by name). Every file's header is checked here,
    /// so a bad image is reported before any calibration or inference starts.
    /// </summary>
    public static IReadOnlyList<LabelledImage> Enumerate(string path)
    {
        var images = List(path);
        foreach (var image in images) RgbImage.Probe(image.Path);
        return images;
    }

    private static IReadOnlyList<LabelledImage> List(string path)
    {
        if (Directory.Exists(path))
        {
            var files = Directory.EnumerateFiles(path)
                .Where(f => RgbImage.Extensions.Contains(System.IO.Path.GetExtension(f).ToLowerInvariant()))
                .Order(StringComparer.Ordinal)
                .Select(f => new LabelledImage(f, LabelFromName(f)))
                .ToList();
            if (files.Count == 0) throw new ImageException(path, "folder holds no .jpg/.jpeg/.png/.bmp images");
            return files;
        }
        if (!File.Exists(path)) throw new ImageException(path, "file not found");
        return [new LabelledImage(path, LabelFromName(path))];
    }

    /// <summary>Picks <paramref name="count"/> images spread evenly over the list.</summary>
    public static IReadOnlyList<T> Spread<T>(IReadOnlyList<T> items, int count)
    {
        if (count >= items.Count) return items;
        return Enumerable.Range(0, count).Select(i => items[(int)((long)i * items.Count / count)]).ToList();
    }

    private static int? LabelFromName(string path)
    {
        var name = System.IO.Path.GetFileName(path);
        int underscore = name.IndexOf('_');
        return underscore == 3 && int.TryParse(name.AsSpan(0, 3), out int label) ? label : null;
    }
}

/// <summary>ImageNet class names from synset_words.txt ("n01440764 tench, Tinca tinca").</summary>
public sealed class ClassNames(IReadOnlyList<string> names)
{
    public IReadOnlyList<string> Names { get; } = names;

    public string this[int index] => index >= 0 && index < Names.Count ? Names[index] : $"class {index}";

    public static ClassNames Load(string? synsetWordsPath)
    {
        if (synsetWordsPath is null || !File.Exists(synsetWordsPath)) return new ClassNames([]);
        return new ClassNames(File.ReadLines(synsetWordsPath)
            .Select(line => line.IndexOf(' ') is int sp and > 0 ? line[(sp + 1)..].Split(',')[0].Trim() : line)
            .ToList());
    }
}
