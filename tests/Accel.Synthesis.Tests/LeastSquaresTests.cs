using Accel.Synthesis.Exploration;
using Xunit;

namespace Accel.Synthesis.Tests;

public class LeastSquaresTests
{
    [Fact]
    public void AKnownQuadraticIsRecovered()
    {
        // DSPs of an R x R engine today: R^2 PEs, 6R for two requantizer lanes per column, 7 for addresses.
        double[] x = [4, 8, 12, 16, 24, 32];
        var y = x.Select(r => 7 + 6 * r + r * r).ToArray();
        var c = LeastSquares.FitPolynomial(x, y, 2);
        Assert.Equal(7, c[0], 6);
        Assert.Equal(6, c[1], 6);
        Assert.Equal(1, c[2], 8);
        Assert.Equal(7 + 6 * 20 + 400, LeastSquares.Evaluate(c, 20), 6);
    }

    [Fact]
    public void SymmetricNoiseAveragesOut()
    {
        double[] x = [2, 2, 5, 5, 9, 9, 14, 14];
        var y = x.Select((r, i) => 100 - 3 * r + 0.5 * r * r + (i % 2 == 0 ? 1 : -1)).ToArray();
        var c = LeastSquares.FitPolynomial(x, y, 2);
        Assert.Equal(100, c[0], 6);
        Assert.Equal(-3, c[1], 6);
        Assert.Equal(0.5, c[2], 6);
    }

    [Fact]
    public void TooFewPointsLowerTheDegree()
    {
        var line = LeastSquares.FitPolynomial([1, 3], [5, 9], 2);
        Assert.Equal([3, 2, 0], line.Select(v => Math.Round(v, 9)));
        var constant = LeastSquares.FitPolynomial([4], [42], 2);
        Assert.Equal(42, LeastSquares.Evaluate(constant, 30), 9);
    }
}
