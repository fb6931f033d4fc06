using System.Diagnostics;
using Accel.Cosim.Verilator;
using Accel.Golden;
using Accel.Hardware.Program;

namespace Accel.Cosim.Regression;

/// <summary>The outcome of one case. <see cref="Failure"/> is the mismatch or error text; null when it passed.</summary>
public sealed record RegressionCaseResult(
    RegressionCase Case,
    bool Passed,
    string? Failure,
    Mismatch? FirstMismatch,
    string? DumpDirectory,
    long Cycles,
    long PredictedCycles,
    long IdealCycles,
    TimeSpan WallTime,
    bool? BuildFromCache)
{
    /// <summary>True when the case could not be run to a comparison (schedule or cosim error), as opposed to a mismatch.</summary>
    public bool IsError => !Passed && FirstMismatch is null;
}

/// <summary>Cases, passes, failures and measured cycles of the cases on one array size.</summary>
public sealed record ArraySizeSummary(int ArraySize, int Cases, int Passed, int Failed, long Cycles, TimeSpan WallTime);

/// <summary>
/// Runs regression cases one cosim each: the scalar reference (the oracle) gives every node's
/// expected output, the RTL runs the case's whole network. A case that cannot be scheduled or
/// simulated fails with its message; the suite goes on.
/// </summary>
public sealed class RegressionRunner(CosimOptions? options = null)
{
    private readonly CosimOptions _options = options ?? new CosimOptions();

    public IReadOnlyList<RegressionCaseResult> Run(IEnumerable<RegressionCase> cases, Action<RegressionCaseResult>? caseFinished = null)
    {
        var results = new List<RegressionCaseResult>();
        foreach (var c in cases)
        {
            var result = RunCase(c);
            results.Add(result);
            caseFinished?.Invoke(result);
        }
        return results;
    }

    public RegressionCaseResult RunCase(RegressionCase c)
    {
        var sw = Stopwatch.StartNew();
        try
        {
            var model = c.CreateModel();
            var input = c.CreateInput();
            var expected = new ScalarReference().Run(model, input).Activations.ToDictionary(kv => kv.Key, kv => kv.Value.Data, StringComparer.Ordinal);
            var schedule = CosimBuildProfile.Plan(c.Network, c.Config);
            // A shared work root gets one folder per case so kept dumps do not overwrite each other.
            var caseOptions = _options.WorkDirectory is null ? _options : _options with { WorkDirectory = Path.Combine(_options.WorkDirectory, c.Id) };
            var r = CosimRunner.Run(schedule, model.Convs, input, expected, caseOptions, model.PoolRequant);
            return new RegressionCaseResult(c, r.BitExact, r.FirstMismatch?.ToString(), r.FirstMismatch, r.DumpDirectory,
                r.TotalCycles, schedule.PredictedCycles, r.IdealCycles, sw.Elapsed, r.Build.FromCache);
        }
        catch (Exception e) when (e is CosimException or ScheduleException)
        {
            return new RegressionCaseResult(c, false, e.Message, null, null, 0, 0, 0, sw.Elapsed, null);
        }
    }

    public static IReadOnlyList<ArraySizeSummary> Summarize(IEnumerable<RegressionCaseResult> results) =>
        results.GroupBy(r => r.Case.ArraySize).OrderBy(g => g.Key)
            .Select(g => new ArraySizeSummary(g.Key, g.Count(), g.Count(r => r.Passed), g.Count(r => !r.Passed), g.Sum(r => r.Cycles),
                TimeSpan.FromTicks(g.Sum(r => r.WallTime.Ticks))))
            .ToList();
}
