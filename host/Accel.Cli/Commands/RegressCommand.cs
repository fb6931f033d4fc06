using Spectre.Console;
using System.CommandLine;
using System.Diagnostics;
using Accel.Cosim;
using Accel.Cosim.Regression;

namespace Accel.Cli.Commands;

/// <summary>
/// `accel regress --suite smoke|full --seed N [--shard k/N] [--junit FILE]`: the randomized
/// cosim regression suite (or one shard of it), a summary per array size, JUnit XML for CI.
/// </summary>
public static class RegressCommand
{
    public sealed record CaseFigures(string Id, int ArraySize, string Kind, string Corner, bool Passed, string? Failure,
        string? DumpDirectory, long Cycles, long PredictedCycles, long IdealCycles, double Seconds);

    public sealed record SizeFigures(string Array, int Cases, int Passed, int Failed, long Cycles, double Seconds);

    public sealed record RegressReport(string Suite, int Seed, string Shard, int SuiteCases, int Cases, int Passed, int Failed,
        double WallSeconds, IReadOnlyList<SizeFigures> Summary, IReadOnlyList<CaseFigures> Results, string? Junit);

    public static Command Create()
    {
        var suite = new Option<string>("--suite") { Description = "smoke (a few dozen cases) or full (several hundred)", DefaultValueFactory = _ => RegressionSuite.Smoke };
        var seed = new Option<int>("--seed") { Description = "suite seed: the same seed gives the same cases", DefaultValueFactory = _ => 1 };
        var shard = new Option<string?>("--shard") { Description = "run only shard k of N (1-based, e.g. 2/4): case i belongs to shard (i mod N) + 1" };
        var junit = new Option<string?>("--junit") { Description = "write JUnit XML results to this file" };
        var threads = new Option<int?>("--threads") { Description = "Verilator model threads (default: single-threaded)" };
        var json = new Option<bool>("--json") { Description = "machine-readable output" };
        var command = new Command("regress", "Run the randomized cosim regression suite (RTL against the scalar reference)")
            { suite, seed, shard, junit, threads, json };
        command.SetAction(r => Cli.Run(() =>
        {
            string suiteName = r.GetValue(suite)!.ToLowerInvariant();
            if (!RegressionSuite.Names.Contains(suiteName))
                throw new UserError($"--suite '{r.GetValue(suite)}': expected {string.Join(" or ", RegressionSuite.Names)}");
            var selected = ParseShard(r.GetValue(shard));
            if (r.GetValue(threads) is < 1) throw new UserError("--threads must be at least 1");
            int seedValue = r.GetValue(seed);

            var all = RegressionSuite.Generate(suiteName, seedValue);
            var cases = selected.Select(all);
            Output.Note($"regress {suiteName}, seed {seedValue}, shard {selected}: {cases.Count} of {all.Count} cases");
            var runner = new RegressionRunner(new CosimOptions { Threads = r.GetValue(threads) });
            var wall = Stopwatch.StartNew();
            var results = RunWithProgress(runner, cases);
            wall.Stop();

            string? junitPath = r.GetValue(junit) is string j ? Path.GetFullPath(j) : null;
            if (junitPath is not null) JUnitWriter.Write(junitPath, $"accel regress {suiteName} seed {seedValue} shard {selected}", results);
            var report = Report(suiteName, seedValue, selected, all.Count, results, wall.Elapsed, junitPath);
            if (r.GetValue(json)) Output.Json(report);
            else Print(report);
            return report.Failed == 0 ? 0 : 1;
        }));
        return command;
    }

    private static Shard ParseShard(string? text)
    {
        if (text is null) return Shard.All;
        try { return Shard.Parse(text); }
        catch (FormatException e) { throw new UserError($"--shard {text}: {e.Message}"); }
    }

    /// <summary>A live progress bar on an interactive stderr; one line per case when stderr is a log.</summary>
    private static IReadOnlyList<RegressionCaseResult> RunWithProgress(RegressionRunner runner, IReadOnlyList<RegressionCase> cases)
    {
        if (Console.IsErrorRedirected)
        {
            int done = 0;
            return runner.Run(cases, result => Output.Note($"[{++done}/{cases.Count}] {Line(result)}"));
        }
        IReadOnlyList<RegressionCaseResult> results = [];
        Output.ProgressTerminal.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(cases.Count > 0 ? cases[0].Id : "regress"), maxValue: Math.Max(1, cases.Count));
                int done = 0;
                results = runner.Run(cases, result =>
                {
                    done++;
                    if (!result.Passed) Output.ProgressTerminal.MarkupLine($"[red]FAIL[/] {Markup.Escape(Line(result))}");
                    task.Description = Markup.Escape(done < cases.Count ? cases[done].Id : "done");
                    task.Increment(1);
                });
            });
        return results;
    }

    private static string Line(RegressionCaseResult r) =>
        $"{r.Case.Id}: {(r.Passed ? "passed" : "FAILED: " + r.Failure)} ({Output.N(r.Cycles)} cycles, {r.WallTime.TotalSeconds:F1} s)";

    private static RegressReport Report(string suite, int seed, Shard shard, int suiteCases, IReadOnlyList<RegressionCaseResult> results, TimeSpan wall, string? junit)
    {
        var summary = RegressionRunner.Summarize(results)
            .Select(s => new SizeFigures($"{s.ArraySize}x{s.ArraySize}", s.Cases, s.Passed, s.Failed, s.Cycles, Math.Round(s.WallTime.TotalSeconds, 3)))
            .ToList();
        var cases = results.Select(r => new CaseFigures(r.Case.Id, r.Case.ArraySize, r.Case.Kind, r.Case.Corner, r.Passed, r.Failure, r.DumpDirectory,
            r.Cycles, r.PredictedCycles, r.IdealCycles, Math.Round(r.WallTime.TotalSeconds, 3))).ToList();
        return new RegressReport(suite, seed, shard.ToString(), suiteCases, results.Count, results.Count(r => r.Passed), results.Count(r => !r.Passed),
            Math.Round(wall.TotalSeconds, 3), summary, cases, junit);
    }

    private static void Print(RegressReport g)
    {
        var t = Output.Table("array", "cases", "passed", "failed", "cycles", "seconds");
        foreach (var s in g.Summary) Output.Row(t, s.Array, s.Cases, s.Passed, s.Failed, Output.N(s.Cycles), s.Seconds.ToString("F1"));
        Output.Row(t, "total", g.Cases, g.Passed, g.Failed, Output.N(g.Summary.Sum(s => s.Cycles)), g.WallSeconds.ToString("F1"));
        Output.Terminal.WriteLine($"regress {g.Suite}, seed {g.Seed}, shard {g.Shard}: {g.Cases} of {g.SuiteCases} cases");
        Output.Terminal.Write(t);
        foreach (var c in g.Results.Where(c => !c.Passed))
            Output.Terminal.WriteLine($"FAILED {c.Id}: {c.Failure}" + (c.DumpDirectory is null ? "" : $" (tensors in {c.DumpDirectory})"));
        if (g.Junit is not null) Output.Terminal.WriteLine($"JUnit XML written to {g.Junit}");
        Output.Terminal.WriteLine(g.Failed == 0 ? $"all {g.Cases} cases passed" : $"{g.Failed} of {g.Cases} cases failed");
    }
}
