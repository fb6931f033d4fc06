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

    public static GoldenDevice ParseDevice(string value) => value.ToLowerInvariant() switch
    {
        "auto" => GoldenDevice.Auto,
        "cpu" => GoldenDevice.Cpu,
        "cuda" => GoldenDevice.Cuda,
        _ => throw new UserError($"--device '{value}': expected auto, cpu or cuda"),
    };
}
