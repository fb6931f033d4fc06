using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Accel.Synthesis.Yosys;

/// <summary>Runs a child process, collecting its output, killing it (and its children) past a wall-clock limit.</summary>
internal static class ProcessRunner
{
    internal sealed record Outcome(int ExitCode, bool TimedOut, string Output, TimeSpan Elapsed);

    /// <exception cref="Win32Exception">The program could not be started (typically: not found).</exception>
    public static Outcome Run(string fileName, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments) startInfo.ArgumentList.Add(argument);
        var output = new StringBuilder();
        using var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        var clock = Stopwatch.StartNew();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        bool timedOut = !process.WaitForExit(timeout);
        if (timedOut)
        {
            try { process.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { /* exited meanwhile */ }
        }
        process.WaitForExit();  // drains the asynchronous output readers
        lock (output) return new Outcome(timedOut ? -1 : process.ExitCode, timedOut, output.ToString(), clock.Elapsed);
    }
}
