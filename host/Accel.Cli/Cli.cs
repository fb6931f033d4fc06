using Accel.Golden;

namespace Accel.Cli;

/// <summary>Shared plumbing for verbs: error reporting and common option parsing.</summary>
public static class Cli
{
    /// <summary>Runs a verb; a user mistake becomes one line on stderr and exit code 1.</summary>
    public static int Run(Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (Exception e) when (UserError.IsUserMistake(e))
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>Runs a verb whose result sets the exit code (e.g. 1 for a mismatch); user mistakes as in <see cref="Run(Action)"/>.</summary>
    public static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (UserError.IsUserMistake(e))
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>The golden model on the requested device; asking for CUDA where there is none is a user error.</summary>
    public static IlgpuGoldenModel CreateGolden(GoldenDevice device) => IlgpuGoldenModel.Create(CheckDevice(device));

    /// <summary>Fails early (before calibration or inference) when the device is not there.</summary>
    public static GoldenDevice CheckDevice(GoldenDevice device) =>
        device == GoldenDevice.Cuda && !IlgpuGoldenModel.CudaAvailable
            ? throw new UserError("--device cuda: no CUDA device is visible to ILGPU on this machine (use --device cpu or auto)")
            : device;

    public static GoldenDevice ParseDevice(string value) => CheckDevice(value.ToLowerInvariant() switch
    {
        "auto" => GoldenDevice.Auto,
        "cpu" => GoldenDevice.Cpu,
        "cuda" => GoldenDevice.Cuda,
        _ => throw new UserError($"--device '{value}': expected auto, cpu or cuda"),
    });
}
