using System.Globalization;
using Accel.Synthesis.Boards;
using SkiaSharp;

namespace Accel.Synthesis.Exploration;

/// <summary>
/// The exploration as a PNG scatter plot (SkiaSharp): frames/s against the fraction of the
/// scarcest resource; every point grey, the Pareto front red and connected, the 90% margin
/// and the capacity as dashed verticals.
/// </summary>
public static class ScatterPlot
{
    public const int Width = 1100, Height = 720;
    private const float Left = 95, Right = 40, Top = 60, Bottom = 80;

    public static void Write(ExplorationResult result, string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        using var bitmap = new SKBitmap(Width, Height);
        using (var canvas = new SKCanvas(bitmap)) Draw(canvas, result);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        data.SaveTo(file);
    }

    private static void Draw(SKCanvas canvas, ExplorationResult r)
    {
        canvas.Clear(SKColors.White);
        using var typeface = SKTypeface.FromFamilyName("DejaVu Sans") ?? SKTypeface.Default;
        using var font = new SKFont(typeface, 15);
        using var small = new SKFont(typeface, 12);
        using var titleFont = new SKFont(typeface, 18) { Embolden = true };
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var gridPaint = new SKPaint { Color = new SKColor(225, 225, 225), StrokeWidth = 1 };
        using var axisPaint = new SKPaint { Color = SKColors.Black, StrokeWidth = 1.5f, IsAntialias = true, Style = SKPaintStyle.Stroke };
        using var grey = new SKPaint { Color = new SKColor(150, 150, 150, 200), IsAntialias = true };
        using var greyRing = new SKPaint { Color = new SKColor(150, 150, 150), IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = 1.2f };
        using var front = new SKPaint { Color = new SKColor(200, 30, 30), IsAntialias = true };
        using var frontLine = new SKPaint { Color = new SKColor(200, 30, 30), IsAntialias = true, StrokeWidth = 2, Style = SKPaintStyle.Stroke };
        using var dash = new SKPaint
        {
            Color = new SKColor(40, 90, 200), StrokeWidth = 1.5f, IsAntialias = true, Style = SKPaintStyle.Stroke,
            PathEffect = SKPathEffect.CreateDash([8, 6], 0),
        };

        double xMax = Math.Max(1.1, r.Points.Select(p => p.Utilization).DefaultIfEmpty(1).Max() * 1.05);
        double yMax = Math.Max(1e-9, r.Points.Select(p => p.FramesPerSecond).DefaultIfEmpty(1).Max() * 1.1);
        double xStep = NiceStep(xMax), yStep = NiceStep(yMax);
        xMax = Math.Ceiling(xMax / xStep) * xStep;
        yMax = Math.Ceiling(yMax / yStep) * yStep;
        float plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        float X(double v) => Left + (float)(v / xMax) * plotW;
        float Y(double v) => Top + plotH - (float)(v / yMax) * plotH;

        // Grid and ticks.
        for (double v = 0; v <= xMax + 1e-9; v += xStep)
        {
            canvas.DrawLine(X(v), Top, X(v), Top + plotH, gridPaint);
            canvas.DrawText(Percent(v), X(v), Top + plotH + 20, SKTextAlign.Center, small, ink);
        }
        for (double v = 0; v <= yMax + 1e-9; v += yStep)
        {
            canvas.DrawLine(Left, Y(v), Left + plotW, Y(v), gridPaint);
            canvas.DrawText(v.ToString(v < 10 && yStep < 1 ? "0.##" : "0.#", CultureInfo.InvariantCulture), Left - 8, Y(v) + 4, SKTextAlign.Right, small, ink);
        }
        canvas.DrawRect(Left, Top, plotW, plotH, axisPaint);

        // Margin and capacity.
        canvas.DrawLine(X(ResourceReport.Margin), Top, X(ResourceReport.Margin), Top + plotH, dash);
        canvas.DrawText($"{ResourceReport.Margin * 100:0}% margin", X(ResourceReport.Margin) - 4, Top + 14, SKTextAlign.Right, small, ink);
        canvas.DrawLine(X(1.0), Top, X(1.0), Top + plotH, dash);
        canvas.DrawText("capacity", X(1.0) + 4, Top + 14, SKTextAlign.Left, small, ink);

        foreach (var p in r.Points)
            canvas.DrawCircle(X(p.Utilization), Y(p.FramesPerSecond), 4, p.Fits ? grey : greyRing);

        var ordered = r.Front.OrderBy(p => p.Utilization).ToList();
        using (var path = new SKPath())
        {
            for (int i = 0; i < ordered.Count; i++)
            {
                var (x, y) = (X(ordered[i].Utilization), Y(ordered[i].FramesPerSecond));
                if (i == 0) path.MoveTo(x, y); else path.LineTo(x, y);
            }
            canvas.DrawPath(path, frontLine);
        }
        var taken = new List<SKRect>();
        var labelled = new HashSet<int>();
        foreach (var p in ordered)
        {
            float px = X(p.Utilization), py = Y(p.FramesPerSecond);
            canvas.DrawCircle(px, py, 5.5f, front);
            // One label per array size (its buffer depths are in the verb's table); labels step
            // down (then up) until they clear the ones already drawn.
            if (!labelled.Add(p.Point.Size)) continue;
            string label = $"{p.Point.Size}x{p.Point.Size}";
            float w = small.MeasureText(label);
            foreach (float dy in new float[] { -6, 10, 26, -22, 42, -38, 58 })
            {
                var rect = new SKRect(px + 8, py + dy - 11, px + 8 + w, py + dy + 2);
                if (taken.Any(t => t.IntersectsWith(rect)) && dy != 58) continue;
                taken.Add(rect);
                canvas.DrawText(label, px + 8, py + dy, SKTextAlign.Left, small, ink);
                break;
            }
        }

        string title = $"{r.Network} on {r.Board.Name} ({r.Board.Part}): {r.Points.Count} design points, " +
            (r.FrontFits ? $"Pareto front of the {r.Points.Count(p => p.Fits)} that fit" : "none fits; Pareto front of all points");
        canvas.DrawText(title, Left, Top - 22, SKTextAlign.Left, titleFont, ink);
        canvas.DrawText("fraction used of the scarcest resource (max over LUT, FF, DSP48, BRAM36 of used / available)",
            Left + plotW / 2, Height - 25, SKTextAlign.Center, font, ink);
        canvas.Save();
        canvas.RotateDegrees(-90);
        canvas.DrawText("frames/s (cost model)", -(Top + plotH / 2), 28, SKTextAlign.Center, font, ink);
        canvas.Restore();

        // Legend.
        float lx = Left + plotW - 290, ly = Top + plotH - 62;
        canvas.DrawCircle(lx, ly, 4, grey);
        canvas.DrawText("design point that fits", lx + 12, ly + 4, SKTextAlign.Left, small, ink);
        canvas.DrawCircle(lx, ly + 18, 4, greyRing);
        canvas.DrawText("design point over capacity", lx + 12, ly + 22, SKTextAlign.Left, small, ink);
        canvas.DrawCircle(lx, ly + 36, 5.5f, front);
        canvas.DrawText("Pareto front (RxR; buffer depths in the table)", lx + 12, ly + 40, SKTextAlign.Left, small, ink);
    }

    private static string Percent(double v) => (v * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    /// <summary>A 1, 2 or 5 times a power of ten giving about 5 to 10 ticks.</summary>
    public static double NiceStep(double range)
    {
        double raw = range / 8;
        double mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double n = raw / mag;
        return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag;
    }
}
