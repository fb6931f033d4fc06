namespace Accel.Hardware.Schedule;

/// <summary>
/// The passes whose weights are all zero, per layer (index into <see cref="EngineSchedule.Ops"/>),
/// per output tile and per pass of a band (input group, ky, kx: <c>(g*K + ky)*K + kx</c>). The
/// feeder skips such a pass unless it is a band's first or last; the cost model times the rest.
/// Known only once the weights are (<see cref="Program.EngineImage"/>); a schedule alone assumes none.
/// </summary>
public sealed class ZeroPasses
{
    private readonly Dictionary<int, bool[][]> _byLayer = [];

    public static ZeroPasses None { get; } = new();

    /// <summary>Zero passes in all (skippable or not).</summary>
    public long Count => _byLayer.Values.Sum(tiles => tiles.Sum(t => t.Count(z => z)));

    /// <summary>The flags of one tile's passes, or null when none is zero.</summary>
    public bool[]? Tile(int layer, int tile) =>
        _byLayer.TryGetValue(layer, out var tiles) && tile < tiles.Length && tiles[tile].Any(z => z) ? tiles[tile] : null;

    /// <summary>Passes the feeder skips in one band of this tile: zero, and neither first nor last.</summary>
    public static int Skipped(bool[]? passes) => passes is null ? 0 : passes.Skip(1).SkipLast(1).Count(z => z);

    internal void Set(int layer, bool[][] tiles) => _byLayer[layer] = tiles;
}
