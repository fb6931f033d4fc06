using System.CommandLine;
using Accel.Quantization;

namespace Accel.Cli;

/// <summary>The calibration options shared by every verb that may have to quantize a model.</summary>
public sealed class CalibrationOptions
{
    public const int DefaultCount = 32;

    private readonly Option<string?> _dir = new("--calibrate") { Description = "folder of calibration images (default: ../shared/data/images/imagenet_dev, else synthetic images)" };
    private readonly Option<int> _count = new("--calibration-count") { Description = "how many calibration images, spread evenly over the folder", DefaultValueFactory = _ => DefaultCount };
    private readonly Option<string> _method = new("--calibration-method") { Description = "mse (clip for least quantization error) or max (largest magnitude)", DefaultValueFactory = _ => "mse" };

    public void AddTo(Command command)
    {
        command.Options.Add(_dir);
        command.Options.Add(_count);
        command.Options.Add(_method);
    }

    public CalibrationSettings Read(ParseResult r)
    {
        int count = r.GetValue(_count);
        if (count < 1) throw new UserError("--calibration-count must be at least 1");
        var method = r.GetValue(_method)!.ToLowerInvariant() switch
        {
            "mse" => CalibrationMethod.Mse,
            "max" => CalibrationMethod.Max,
            var other => throw new UserError($"--calibration-method '{other}': expected mse or max"),
        };
        return new CalibrationSettings(r.GetValue(_dir), count, method);
    }
}

public sealed record CalibrationSettings(string? Directory = null, int Count = CalibrationOptions.DefaultCount, CalibrationMethod Method = CalibrationMethod.Mse);
