using Accel.Images;
using Accel.Model.Data;
using Accel.Tests;
using Xunit;

namespace Accel.Host.Tests;

public class ImageTests
{
    [RequiresDataFact]
    public void CatPreprocessesLikeTheReferenceInput()
    {
        // cat_input.f32 is cat.jpg through the reference pipeline (libjpeg decode, its own resampler).
        // Ours (StbImageSharp, antialiased triangle filter) measures 0.066 mean |difference|, about
        // four 8-bit levels (one level is 1/255/0.225 = 0.017 after normalisation); the crop offset
        // is exact (shifting it by a pixel doubles the difference). Int8-vs-float comparisons feed
        // both models the same tensor, so this only moves absolute accuracy.
        var ours = Preprocessing.Torchvision.Apply(SharedData.CatImage!);
        var reference = ReadF32(SharedData.Find("models", "test_data", "squeezenet1_1", "cat_input.f32")!);
        Assert.Equal(reference.Length, ours.Length);
        double meanAbs = ours.Zip(reference, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(meanAbs < 0.08, $"mean |difference| {meanAbs:F4} from the reference preprocessing");
    }

    [Fact]
    public void ResizeOfAConstantImageIsConstant()
    {
        var px = Enumerable.Repeat((byte)77, 50 * 30 * 3).ToArray();
        var small = new RgbImage(50, 30, px).Resize(17, 11);
        Assert.All(small.Pixels, p => Assert.Equal(77, p));
        var big = new RgbImage(50, 30, px).Resize(101, 64);
        Assert.All(big.Pixels, p => Assert.Equal(77, p));
    }

    [Fact]
    public void ShortSideResizeAndCentreCropFollowTorchvision()
    {
        var img = RgbImage.Synthetic(1, 500, 375).ResizeShortSide(256);
        Assert.Equal((341, 256), (img.Width, img.Height)); // int(256 * 500 / 375)
        var crop = img.CenterCrop(224, 224);
        Assert.Equal((224, 224), (crop.Width, crop.Height));
        // left = round((341 - 224) / 2) = round(58.5) = 58 (ties to even, as Python's round)
        Assert.Equal(img.Pixels[(16 * 341 + 58) * 3], crop.Pixels[0]);
    }

    [Fact]
    public void CaffePreprocessingIsBgrMinusMean()
    {
        var px = new byte[300 * 300 * 3];
        for (int i = 0; i < px.Length; i += 3) { px[i] = 10; px[i + 1] = 20; px[i + 2] = 30; }
        var t = Preprocessing.Caffe.Apply(new RgbImage(300, 300, px));
        int plane = 227 * 227;
        Assert.Equal(3 * plane, t.Length);
        Assert.Equal(30 - 104f, t[0]);          // B
        Assert.Equal(20 - 117f, t[plane]);      // G
        Assert.Equal(10 - 123f, t[2 * plane]);  // R
    }

    [Fact]
    public void BadImagesNameTheFile()
    {
        var e = Assert.Throws<ImageException>(() => RgbImage.Load("/nonexistent/x.jpg"));
        Assert.Contains("/nonexistent/x.jpg", e.Message);
        Assert.Contains("not found", e.Message);
        var text = CliRunner.TempFile("fake.jpg", "not an image"u8.ToArray());
        e = Assert.Throws<ImageException>(() => RgbImage.Load(text));
        Assert.Contains("fake.jpg", e.Message);
        // A JPEG cut inside its header: the decoder would spin forever on it, so it is refused first.
        var truncated = CliRunner.TempFile("cut.jpg", [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10]);
        e = Assert.Throws<ImageException>(() => RgbImage.Load(truncated));
        Assert.Contains("truncated JPEG", e.Message);
        Assert.Throws<ImageException>(() => RgbImage.Probe(truncated));
    }

    [RequiresDataFact]
    public void EveryCutOfARealJpegIsRefusedOrDecodedNeverHangs()
    {
        var cat = File.ReadAllBytes(SharedData.CatImage!);
        Assert.Null(JpegHeader.Problem(cat));
        // Cuts inside the header are caught by the header check; later cuts reach the decoder,
        // which either throws or decodes a partial picture. Each must finish.
        foreach (int cut in new[] { 3, 10, 20, 100, 300, 600, 1000, cat.Length / 4, cat.Length / 2, cat.Length - 10 })
        {
            var task = Task.Run(() =>
            {
                try { RgbImage.Decode(cat[..cut], "cat.jpg"); } catch (ImageException) { }
            });
            Assert.True(task.Wait(TimeSpan.FromSeconds(20)), $"decoding the first {cut} bytes did not finish");
        }
    }

    [Fact]
    public void LabelsComeFromDevImageNames()
    {
        var dir = Path.GetDirectoryName(CliRunner.TempFile("278_n02119789_kit_fox.JPEG", Png(RgbImage.Synthetic(1, 8, 8))))!;
        File.WriteAllBytes(Path.Combine(dir, "holiday.jpg"), Png(RgbImage.Synthetic(2, 8, 8)));
        var set = ImageSet.Enumerate(dir);
        Assert.Equal([278, null], set.Select(s => s.Label));
        Assert.Equal([0, 2, 5, 7], ImageSet.Spread(Enumerable.Range(0, 10).ToList(), 4));
    }

    [Fact]
    public void AFolderWithOneBadImageFailsBeforeAnyWork()
    {
        var dir = Path.GetDirectoryName(CliRunner.TempFile("a.png", Png(RgbImage.Synthetic(1, 8, 8))))!;
        File.WriteAllText(Path.Combine(dir, "b.jpg"), "not an image");
        var e = Assert.Throws<ImageException>(() => ImageSet.Enumerate(dir));
        Assert.EndsWith("b.jpg", e.Path);
    }

    internal static byte[] Png(RgbImage img)
    {
        using var ms = new MemoryStream();
        new StbImageWriteSharp.ImageWriter().WritePng(img.Pixels, img.Width, img.Height, StbImageWriteSharp.ColorComponents.RedGreenBlue, ms);
        return ms.ToArray();
    }

    private static float[] ReadF32(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var f = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, f, 0, bytes.Length);
        return f;
    }
}
