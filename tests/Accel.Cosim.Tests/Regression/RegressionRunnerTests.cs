using Accel.Cosim.Regression;
using Accel.Tests;
using Xunit;

namespace Accel.Cosim.Tests.Regression;

public class RegressionRunnerTests
{
    [RequiresToolsFact("verilator")]
    public void ATinyRegressionAt2x2Passes()
    {
        var cases = RegressionSuite.Generate(RegressionSuite.Smoke, 11).Where(c => c.ArraySize == 2).Take(3).ToList();
        var finished = new List<string>();
        var results = new RegressionRunner().Run(cases, r => finished.Add(r.Case.Id));

        Assert.Equal(cases.Select(c => c.Id), finished);
        Assert.All(results, r => Assert.True(r.Passed, $"{r.Case.Id} ({r.Case.Description}): {r.Failure}"));
        Assert.All(results, r => Assert.True(r.Cycles > 0 && r.PredictedCycles > 0));
        var summary = Assert.Single(RegressionRunner.Summarize(results));
        Assert.Equal((2, 3, 3, 0), (summary.ArraySize, summary.Cases, summary.Passed, summary.Failed));
        Assert.Equal(results.Sum(r => r.Cycles), summary.Cycles);
    }

    [RequiresToolsFact("verilator")]
    public void TheSmokeSuitePasses()
    {
        // The CI gate: 48 cases over 2x2..16x16 (four Verilator builds, about a minute when not cached).
        var results = new RegressionRunner().Run(RegressionSuite.Generate(RegressionSuite.Smoke, 1));
        var failed = results.Where(r => !r.Passed).Select(r => $"{r.Case.Id} ({r.Case.Description}): {r.Failure}").ToList();
        Assert.True(failed.Count == 0, string.Join("\n", failed));
        Assert.Equal(4, RegressionRunner.Summarize(results).Count);
    }

    [RequiresToolsFact("verilator")]
    [Trait("Category", "Long")]
    public void TheFullSuitePasses()
    {
        // Four Verilator builds (about a minute when not cached), then 400 small cosims (under 30 s on two cores).
        var results = new RegressionRunner().Run(RegressionSuite.Generate(RegressionSuite.Full, 1));
        var failed = results.Where(r => !r.Passed).Select(r => $"{r.Case.Id} ({r.Case.Description}): {r.Failure}").ToList();
        Assert.True(failed.Count == 0, string.Join("\n", failed));
    }
}
