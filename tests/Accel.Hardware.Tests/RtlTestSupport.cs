using System.Diagnostics;
using Accel.Hardware;
using Accel.Hardware.Config;

namespace Accel.Hardware.Tests;

/// <summary>Emits an engine into a temporary folder and runs external tools on it.</summary>
internal static class RtlTestSupport
{
    /// <summary>A resolved configuration with small buffers (so generic synthesis stays quick).</summary>
    public static EngineConfig Small(int n, int depth = 16) => new()
    {
        Rows = n, Cols = n, InputDepth = depth, OutputDepth = depth, WeightDepth = depth, ParamDepth = 4, AccumulatorDepth = depth,
    };

    public static (string Directory, IReadOnlyList<string> Files) Emit(EngineConfig config)
    {
        var dir = Path.Combine(Path.GetTempPath(), "accel-rtl-" + Guid.NewGuid().ToString("N")[..10]);
        return (dir, EngineGenerator.WriteRtl(config, dir));
    }

    public static (int ExitCode, string Output) Run(string tool, IEnumerable<string> args, string workingDirectory, int timeoutSeconds = 600)
    {
        var psi = new ProcessStartInfo(tool) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} did not finish in {timeoutSeconds} s");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
