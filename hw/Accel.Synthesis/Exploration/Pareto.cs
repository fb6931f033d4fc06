namespace Accel.Synthesis.Exploration;

/// <summary>
/// Pareto front of points with one quantity to maximize (frames/s) and one to minimize
/// (resource fraction). A point dominates another when it is at least as good in both and
/// strictly better in one; the front is every point no other point dominates. Points equal in
/// both quantities do not dominate each other, so ties are all kept.
/// </summary>
public static class Pareto
{
    public static bool Dominates(double maxA, double minA, double maxB, double minB) =>
        maxA >= maxB && minA <= minB && (maxA > maxB || minA < minB);

    /// <summary>The non-dominated points, ordered by the minimized quantity (then the maximized one, descending).</summary>
    public static IReadOnlyList<T> Front<T>(IEnumerable<T> points, Func<T, double> maximize, Func<T, double> minimize)
    {
        var all = points.Select(p => (Point: p, Max: maximize(p), Min: minimize(p))).ToList();
        return all.Where(p => !all.Any(q => Dominates(q.Max, q.Min, p.Max, p.Min)))
            .OrderBy(p => p.Min).ThenByDescending(p => p.Max)
            .Select(p => p.Point).ToList();
    }
}
