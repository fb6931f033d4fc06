namespace Accel.Images;

/// <summary>
/// How an image becomes a network's float input (CHW). Each model family was trained with one
/// of these; the name is stored in the quantized-model file so the golden model uses the same.
/// </summary>
public sealed record Preprocessing(
    string Name,
    int ResizeShortSide,
    int Crop,
    bool Bgr,
    float PixelScale,
    float[] Mean,
    float[] Std)
{
    /// <summary>torchvision ImageNet: RGB, x/255, mean (0.485,0.456,0.406), std (0.229,0.224,0.225); short side 256, centre crop 224.</summary>
    public static readonly Preprocessing Torchvision = new(
        "torchvision", 256, 224, Bgr: false, PixelScale: 1f / 255f, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);

    /// <summary>Caffe SqueezeNet 1.0: BGR, 0..255 minus mean (104,117,123), no scaling; short side 256, centre crop 227.</summary>
    public static readonly Preprocessing Caffe = new(
        "caffe", 256, 227, Bgr: true, PixelScale: 1f, [104f, 117f, 123f], [1f, 1f, 1f]);

    public static IReadOnlyList<Preprocessing> All { get; } = [Torchvision, Caffe];

    public static Preprocessing Get(string name) =>
        All.FirstOrDefault(p => p.Name == name)
        ?? throw new ArgumentException($"unknown preprocessing '{name}' (known: {string.Join(", ", All.Select(p => p.Name))})");

    /// <summary>The preset a network expects by its input size: 227 is the Caffe model, anything else torchvision.</summary>
    public static Preprocessing ForInputSize(int size) =>
        size == Caffe.Crop ? Caffe : Torchvision with { Crop = size, ResizeShortSide = size == Torchvision.Crop ? 256 : (int)Math.Round(size * 256.0 / 224) };

    public float[] Apply(string path) => Apply(RgbImage.Load(path));

    public float[] Apply(RgbImage image)
    {
        var cropped = image.ResizeShortSide(ResizeShortSide).CenterCrop(Crop, Crop);
        int plane = Crop * Crop;
        var chw = new float[3 * plane];
        for (int i = 0; i < plane; i++)
            for (int c = 0; c < 3; c++)
            {
                int source = Bgr ? 2 - c : c;
                chw[c * plane + i] = (cropped.Pixels[i * 3 + source] * PixelScale - Mean[c]) / Std[c];
            }
        return chw;
    }
}
