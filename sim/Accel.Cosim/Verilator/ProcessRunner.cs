using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Accel.Cosim.Verilator;

/// <summary>Runs a child process, collecting its output, killing it (and its children) past a wall-clock limit.</summary>
internal static class ProcessRunner
{
    internal sealed record Outcome(int ExitCode, bool TimedOut, string StandardError, IReadOnlyList<string> MergedLines, TimeSpan Elapsed);

    /// <exception cref="Win32Exception">The program could not be started (typically: not found).</exception>
    public static async Task<Outcome> RunAsync(
        string fileName, IEnumerable<string> arguments, string? workingDirectory, TimeSpan timeout, CancellationToken cancellationToken,
        Action<string>? onOutputLine = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var argument in arguments) startInfo.ArgumentList.Add(argument);

        var merged = new List<string>();
        var standardError = new StringBuilder();
        using var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            onOutputLine?.Invoke(e.Data);
            lock (merged) merged.Add(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (merged)
            {
                merged.Add(e.Data);
                standardError.AppendLine(e.Data);
            }
        };

        var clock = Stopwatch.StartNew();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        bool timedOut = false;
        using (var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            limit.CancelAfter(timeout);
            try
            {
                await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); }
                catch (InvalidOperationException) { /* exited meanwhile */ }
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                timedOut = true;
            }
        }
        process.WaitForExit();  // drains the asynchronous output readers
        lock (merged)
            return new Outcome(process.ExitCode, timedOut, standardError.ToString(), [.. merged], clock.Elapsed);
    }
}
