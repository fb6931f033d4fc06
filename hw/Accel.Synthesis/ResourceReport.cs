using Accel.Synthesis.Boards;
using Accel.Synthesis.Yosys;

namespace Accel.Synthesis;

/// <summary>One resource of a design against a board: used, available, fraction.</summary>
public sealed record ResourceLine(Resource Resource, string Name, double Used, double Available)
{
    public double Fraction => Available == 0 ? double.PositiveInfinity : Used / Available;
    public double Percent => 100 * Fraction;
    public bool Fits => Used <= Available;
    public bool FitsWithMargin => Fraction <= ResourceReport.Margin;
}

/// <summary>
/// A design's resources against a board's capacity. <see cref="Fits"/>: every resource within
/// capacity. <see cref="FitsWithMargin"/>: every resource at most <see cref="Margin"/> of capacity,
/// the headroom place-and-route needs in practice (routing congestion, control sets, the board
/// wrapper: DMA, interconnect) before a design that "fits" on paper also closes timing.
/// </summary>
public sealed record ResourceReport(Board Board, IReadOnlyList<ResourceLine> Lines)
{
    /// <summary>At most 90% of any resource: the usual rule of thumb for a design that still places and routes at its target clock.</summary>
    public const double Margin = 0.90;

    public bool Fits => Lines.All(l => l.Fits);
    public bool FitsWithMargin => Lines.All(l => l.FitsWithMargin);
    /// <summary>Resources over capacity, most oversubscribed first.</summary>
    public IReadOnlyList<ResourceLine> Over => Lines.Where(l => !l.Fits).OrderByDescending(l => l.Fraction).ToList();
    /// <summary>The resource used most, as a fraction of its capacity.</summary>
    public ResourceLine Scarcest => Lines.MaxBy(l => l.Fraction)!;

    public static ResourceReport Create(Board board, ResourceUsage usage) =>
        Create(board, r => usage.Get(r));

    /// <summary>A report for any usage (e.g. a model's estimate), given per resource.</summary>
    public static ResourceReport Create(Board board, Func<Resource, double> used) =>
        new(board, ResourceNames.All.Select(r => new ResourceLine(r, r.Label(), used(r), board.Capacity(r))).ToList());

    /// <summary>"fits", or "does not fit: BRAM36 787%, DSP48 163%".</summary>
    public string Verdict => Fits
        ? FitsWithMargin ? $"fits {Board.Name} (every resource at most {Margin:P0})" : $"fits {Board.Name}, but {string.Join(", ", Lines.Where(l => !l.FitsWithMargin).Select(l => $"{l.Name} {l.Percent:F0}%"))} above the {Margin:P0} margin"
        : $"does not fit {Board.Name}: {string.Join(", ", Over.Select(l => $"{l.Name} {l.Percent:F0}% ({l.Used:N0} of {l.Available:N0})"))}";
}
