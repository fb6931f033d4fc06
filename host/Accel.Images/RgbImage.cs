using StbImageSharp;

namespace Accel.Images;

/// <summary>An 8-bit RGB image, rows top to bottom, pixels interleaved R,G,B.</summary>
public sealed record RgbImage(int Width, int Height, byte[] Pixels)
{
    public static readonly string[] Extensions = [".jpg", ".jpeg", ".png", ".bmp"];

    /// <summary>Decodes a JPEG (or PNG/BMP) file; anything else is an <see cref="ImageException"/>.</summary>
    public static RgbImage Load(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (FileNotFoundException) { throw new ImageException(path, "file not found"); }
        catch (DirectoryNotFoundException) { throw new ImageException(path, "file not found"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new ImageException(path, e.Message); }
        return Decode(bytes, path);
    }

    /// <summary>Reads only the header: fails fast, before any expensive work, on a file that is not an image.</summary>
    public static (int Width, int Height) Probe(string path)
    {
        try
        {
            var bytes = File.ReadAllBytes(path);
            if (JpegHeader.IsJpeg(bytes) && JpegHeader.Problem(bytes) is string problem)
                throw new ImageException(path, problem);
            var info = ImageInfo.FromStream(new MemoryStream(bytes));
            if (info is { Width: > 0, Height: > 0 } i) return (i.Width, i.Height);
        }
        catch (FileNotFoundException) { throw new ImageException(path, "file not found"); }
        catch (DirectoryNotFoundException) { throw new ImageException(path, "file not found"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new ImageException(path, e.Message); }
        throw new ImageException(path, "not a decodable JPEG/PNG/BMP image (unknown image type)");
    }

    public static RgbImage Decode(byte[] bytes, string name)
    {
        if (bytes.Length == 0) throw new ImageException(name, "file is empty");
        if (JpegHeader.IsJpeg(bytes) && JpegHeader.Problem(bytes) is string problem)
            throw new ImageException(name, problem);
        ImageResult result;
        try { result = ImageResult.FromMemory(bytes, ColorComponents.RedGreenBlue); }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException or NotSupportedException or OverflowException)
        {
            throw new ImageException(name, $"not a decodable JPEG/PNG/BMP image ({e.Message.TrimEnd('.')})");
        }
        if (result?.Data is null || result.Width < 1 || result.Height < 1)
            throw new ImageException(name, "not a decodable JPEG/PNG/BMP image");
        return new RgbImage(result.Width, result.Height, result.Data);
    }

    /// <summary>
    /// A deterministic test picture (gradients, a disc and stripes) for runs without real images.
    /// </summary>
    public static RgbImage Synthetic(int seed, int width = 320, int height = 256)
    {
        var rng = new Random(seed);
        double cx = width * (0.3 + 0.4 * rng.NextDouble()), cy = height * (0.3 + 0.4 * rng.NextDouble());
        double radius = Math.Min(width, height) * (0.15 + 0.2 * rng.NextDouble());
        int stripe = 6 + rng.Next(20);
        byte r0 = (byte)rng.Next(256), g0 = (byte)rng.Next(256), b0 = (byte)rng.Next(256);
        var px = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            int i = (y * width + x) * 3;
            bool inDisc = (x - cx) * (x - cx) + (y - cy) * (y - cy) < radius * radius;
            bool stripeOn = ((x + y) / stripe & 1) == 0;
            px[i] = inDisc ? r0 : (byte)(255 * x / width);
            px[i + 1] = inDisc ? g0 : (byte)(255 * y / height);
            px[i + 2] = inDisc ? b0 : (byte)(stripeOn ? 200 : 40);
        }
        return new RgbImage(width, height, px);
    }

    /// <summary>
    /// Resize with a triangle (bilinear) filter widened by the downscale factor, so shrinking
    /// averages every source pixel (antialiased, as PIL and torchvision do); rounds to 8 bits
    /// after each of the two separable passes.
    /// </summary>
    public RgbImage Resize(int width, int height)
    {
        if (width == Width && height == Height) return this;
        var horizontal = ResizeAxis(Pixels, Width, Height, width, horizontalPass: true);
        var both = ResizeAxis(horizontal, width, Height, height, horizontalPass: false);
        return new RgbImage(width, height, both);
    }

    /// <summary>Resize so the shorter side is <paramref name="size"/>, keeping the aspect ratio.</summary>
    public RgbImage ResizeShortSide(int size)
    {
        if (Width <= Height) return Resize(size, (int)((long)size * Height / Width));
        return Resize((int)((long)size * Width / Height), size);
    }

    public RgbImage CenterCrop(int width, int height)
    {
        if (width > Width || height > Height)
            throw new ImageException("(in memory)", $"cannot crop {width}x{height} from {Width}x{Height}");
        int left = (int)Math.Round((Width - width) / 2.0, MidpointRounding.ToEven);
        int top = (int)Math.Round((Height - height) / 2.0, MidpointRounding.ToEven);
        var px = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
            Array.Copy(Pixels, ((top + y) * Width + left) * 3, px, y * width * 3, width * 3);
        return new RgbImage(width, height, px);
    }

    private static byte[] ResizeAxis(byte[] src, int srcW, int srcH, int dstLen, bool horizontalPass)
    {
        int srcLen = horizontalPass ? srcW : srcH;
        double scale = (double)srcLen / dstLen;
        double filterScale = Math.Max(scale, 1.0);
        double support = filterScale;
        var starts = new int[dstLen];
        var weights = new double[dstLen][];
        for (int o = 0; o < dstLen; o++)
        {
            double center = (o + 0.5) * scale;
            int lo = Math.Max((int)(center - support + 0.5), 0);
            int hi = Math.Min((int)(center + support + 0.5), srcLen);
            var w = new double[Math.Max(hi - lo, 1)];
            double sum = 0;
            for (int k = 0; k < hi - lo; k++)
            {
                double t = Math.Abs((k + lo - center + 0.5) / filterScale);
                w[k] = t < 1 ? 1 - t : 0;
                sum += w[k];
            }
            if (sum > 0) for (int k = 0; k < w.Length; k++) w[k] /= sum;
            starts[o] = lo;
            weights[o] = w;
        }

        int outW = horizontalPass ? dstLen : srcW, outH = horizontalPass ? srcH : dstLen;
        var dst = new byte[outW * outH * 3];
        Parallel.For(0, outH, y =>
        {
            for (int x = 0; x < outW; x++)
            {
                int o = horizontalPass ? x : y;
                var w = weights[o];
                double r = 0, g = 0, b = 0;
                for (int k = 0; k < w.Length; k++)
                {
                    int s = starts[o] + k;
                    int si = horizontalPass ? (y * srcW + s) * 3 : (s * srcW + x) * 3;
                    r += w[k] * src[si];
                    g += w[k] * src[si + 1];
                    b += w[k] * src[si + 2];
                }
                int di = (y * outW + x) * 3;
                dst[di] = ToByte(r);
                dst[di + 1] = ToByte(g);
                dst[di + 2] = ToByte(b);
            }
        });
        return dst;
    }

    private static byte ToByte(double v) => (byte)Math.Clamp((int)Math.Round(v, MidpointRounding.AwayFromZero), 0, 255);
}
