namespace Accel.Synthesis.Exploration;

/// <summary>Polynomial least squares: y ~ c0 + c1 x + ... + cd x^d.</summary>
public static class LeastSquares
{
    /// <summary>
    /// Coefficients c0..cd minimizing the squared residuals. With fewer points than coefficients
    /// the degree drops to points - 1 (the fit interpolates). x is scaled to [-1, 1]-ish before the
    /// normal equations are solved (Gaussian elimination with partial pivoting), then unscaled.
    /// </summary>
    public static double[] FitPolynomial(IReadOnlyList<double> x, IReadOnlyList<double> y, int degree)
    {
        if (x.Count != y.Count) throw new ArgumentException("x and y differ in length");
        if (x.Count == 0) throw new ArgumentException("no points to fit");
        int d = Math.Min(degree, x.Distinct().Count() - 1);
        int n = d + 1;
        double scale = x.Max(v => Math.Abs(v));
        if (scale == 0) scale = 1;
        var a = new double[n, n + 1];
        for (int i = 0; i < x.Count; i++)
        {
            var powers = new double[n];
            double p = 1, xs = x[i] / scale;
            for (int k = 0; k < n; k++) { powers[k] = p; p *= xs; }
            for (int r = 0; r < n; r++)
            {
                for (int c = 0; c < n; c++) a[r, c] += powers[r] * powers[c];
                a[r, n] += powers[r] * y[i];
            }
        }
        var solved = Solve(a, n);
        var coefficients = new double[degree + 1];
        for (int k = 0; k < n; k++) coefficients[k] = solved[k] / Math.Pow(scale, k);
        return coefficients;
    }

    public static double Evaluate(IReadOnlyList<double> coefficients, double x)
    {
        double sum = 0;
        for (int k = coefficients.Count - 1; k >= 0; k--) sum = sum * x + coefficients[k];
        return sum;
    }

    private static double[] Solve(double[,] a, int n)
    {
        for (int col = 0; col < n; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < n; r++)
                if (Math.Abs(a[r, col]) > Math.Abs(a[pivot, col])) pivot = r;
            if (Math.Abs(a[pivot, col]) < 1e-12) throw new InvalidOperationException("singular least-squares system");
            if (pivot != col)
                for (int c = 0; c <= n; c++) (a[col, c], a[pivot, c]) = (a[pivot, c], a[col, c]);
            for (int r = 0; r < n; r++)
            {
                if (r == col) continue;
                double f = a[r, col] / a[col, col];
                if (f == 0) continue;
                for (int c = col; c <= n; c++) a[r, c] -= f * a[col, c];
            }
        }
        var result = new double[n];
        for (int i = 0; i < n; i++) result[i] = a[i, n] / a[i, i];
        return result;
    }
}
