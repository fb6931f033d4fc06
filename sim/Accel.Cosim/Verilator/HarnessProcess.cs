using Accel.Hardware.Config;
using System.ComponentModel;
using System.Globalization;

namespace Accel.Cosim.Verilator;

/// <summary>What a finished testbench run produced.</summary>
/// <param name="StandardError">The testbench's messages (warnings, for example a host access while busy).</param>
public sealed record HarnessResult(HarnessReport Report, HarnessOutput Output, string StandardError, TimeSpan Elapsed);

/// <summary>Runs a built <c>accel_tb</c> on a stimulus file and turns its exit code into a result or an exception.</summary>
public static class HarnessProcess
{
    public const int ExitUsage = 2;
    public const int ExitTimeout = 3;

    /// <inheritdoc cref="RunAsync"/>
    public const int ExitDram = 4;

    public static HarnessResult Run(
        string executable, string stimulusPath, string outputPath, string reportPath, string? vcdPath, TimeSpan timeout,
        ulong? maxTotalCycles = null, MemoryModel? memory = null, Action<long, long>? computeProgress = null) =>
        RunAsync(executable, stimulusPath, outputPath, reportPath, vcdPath, timeout, maxTotalCycles, memory, computeProgress).GetAwaiter().GetResult();

    /// <param name="vcdPath">Write a VCD trace here; the executable must have been built with tracing.</param>
    /// <param name="timeout">Wall-clock limit; the process is killed past it.</param>
    /// <param name="maxTotalCycles">Optional cap on all simulated cycles (--max-cycles), on top of each RUN's own limit.</param>
    /// <exception cref="CosimTimeoutException">A RUN reached its cycle limit before done_o.</exception>
    /// <exception cref="CosimException">The testbench rejected its arguments or stimulus, crashed, or ran past <paramref name="timeout"/>.</exception>
    public static async Task<HarnessResult> RunAsync(
        string executable, string stimulusPath, string outputPath, string reportPath, string? vcdPath, TimeSpan timeout,
        ulong? maxTotalCycles = null, MemoryModel? memory = null, Action<long, long>? computeProgress = null,
        CancellationToken cancellationToken = default)
    {
        // Stale files from an earlier run must not pass for this run's results.
        File.Delete(outputPath);
        File.Delete(reportPath);
        if (vcdPath is not null) File.Delete(vcdPath);

        var arguments = new List<string> { "--stimulus", stimulusPath, "--output", outputPath, "--report", reportPath };
        if (vcdPath is not null) arguments.AddRange(["--trace", vcdPath]);
        if (maxTotalCycles is { } cap) arguments.AddRange(["--max-cycles", cap.ToString(CultureInfo.InvariantCulture)]);
        memory ??= MemoryModel.PynqZ2HpPort;
        var inv = CultureInfo.InvariantCulture;
        arguments.AddRange(["--dram-read-latency", memory.ReadLatency.ToString(inv), "--dram-write-latency", memory.WriteLatency.ToString(inv),
            "--dram-beats-per-cycle", memory.BeatsPerCycle.ToString("R", inv), "--dram-outstanding", memory.MaxOutstandingReads.ToString(inv)]);
        Action<string>? onLine = null;
        if (computeProgress is not null)
        {
            arguments.Add("--progress");
            // "PROGRESS <compute instructions done> <cycle>"
            onLine = line =>
            {
                var parts = line.Split(' ');
                if (parts is ["PROGRESS", var n, var cycle] && long.TryParse(n, inv, out long done) && long.TryParse(cycle, inv, out long at))
                    computeProgress(done, at);
            };
        }

        ProcessRunner.Outcome outcome;
        try
        {
            outcome = await ProcessRunner.RunAsync(executable, arguments, null, timeout, cancellationToken, onLine).ConfigureAwait(false);
        }
        catch (Win32Exception e)
        {
            throw new CosimException($"cannot start the testbench {executable}: {e.Message}", e);
        }
        string messages = outcome.StandardError.Trim();
        if (outcome.TimedOut)
            throw new CosimException($"testbench ran longer than {timeout} and was killed; stimulus {stimulusPath}\n{messages}");

        switch (outcome.ExitCode)
        {
            case 0:
            {
                var report = HarnessReport.Load(reportPath);
                var output = HarnessOutput.Load(outputPath, StimulusReader.ReadByteCounts(stimulusPath), 1);
                return new HarnessResult(report, output, outcome.StandardError, outcome.Elapsed);
            }
            case ExitTimeout:
            {
                var (report, output) = ReadPartialResults(stimulusPath, outputPath, reportPath);
                throw new CosimTimeoutException($"testbench: a run reached its cycle limit before done_o: {messages}", report, output);
            }
            case ExitDram:
                throw new CosimException($"the engine accessed DRAM outside the image: {messages}");
            case ExitUsage:
                throw new CosimException($"testbench rejected its input (exit code 2): {messages}");
            default:
                throw new CosimException($"testbench failed with exit code {outcome.ExitCode}{SignalNote(outcome.ExitCode)}: {messages}");
        }
    }

    // A timed-out run still wrote its report and the reads before it; failing to read them must not hide the timeout.
    private static (HarnessReport?, HarnessOutput?) ReadPartialResults(string stimulusPath, string outputPath, string reportPath)
    {
        HarnessReport? report = null;
        try
        {
            report = HarnessReport.Load(reportPath);
            var output = HarnessOutput.Load(outputPath, StimulusReader.ReadByteCounts(stimulusPath), 1, allowShort: true);
            return (report, output);
        }
        catch (Exception e) when (e is CosimException or IOException or ArgumentException)
        {
            return (report, null);
        }
    }

    private static string SignalNote(int exitCode) =>
        exitCode > 128 && exitCode < 160 ? $" (killed by signal {exitCode - 128})" : "";
}
