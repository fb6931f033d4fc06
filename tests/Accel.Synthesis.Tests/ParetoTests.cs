using Accel.Synthesis.Exploration;
using Xunit;

namespace Accel.Synthesis.Tests;

public class ParetoTests
{
    private sealed record P(string Name, double Fps, double Util);

    [Fact]
    public void DominatedPointsLeaveAndTiesStay()
    {
        P[] points =
        [
            new("a", 10, 0.10),
            new("b", 20, 0.20),
            new("b-twin", 20, 0.20),  // equal in both: neither dominates the other
            new("c", 20, 0.25),       // as fast as b, more resources: dominated
            new("d", 15, 0.30),       // slower and bigger than b: dominated
            new("e", 40, 0.50),
            new("f", 40, 0.60),       // as fast as e, bigger: dominated
            new("g", 5, 0.10),        // as small as a, slower: dominated
            new("h", 50, 0.90),
        ];
        var front = Pareto.Front(points, p => p.Fps, p => p.Util);
        Assert.Equal(["a", "b", "b-twin", "e", "h"], front.Select(p => p.Name));
    }

    [Fact]
    public void OnePointIsItsOwnFrontAndNoneGiveNone()
    {
        Assert.Single(Pareto.Front([new P("x", 1, 1)], p => p.Fps, p => p.Util));
        Assert.Empty(Pareto.Front(Array.Empty<P>(), p => p.Fps, p => p.Util));
    }

    [Fact]
    public void DominanceNeedsOneStrictImprovement()
    {
        Assert.False(Pareto.Dominates(1, 1, 1, 1));
        Assert.True(Pareto.Dominates(2, 1, 1, 1));
        Assert.True(Pareto.Dominates(1, 0.5, 1, 1));
        Assert.False(Pareto.Dominates(2, 2, 1, 1));
    }
}
