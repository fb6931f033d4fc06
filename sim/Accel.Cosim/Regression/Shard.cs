namespace Accel.Cosim.Regression;

/// <summary>
/// Shard <see cref="Index"/> of <see cref="Count"/> (1-based, as written "k/N"): case i of a
/// suite belongs to shard (i mod N) + 1, so N shards partition the suite exactly.
/// </summary>
public readonly record struct Shard
{
    public Shard(int index, int count)
    {
        if (count < 1) throw new FormatException($"the shard count must be at least 1, got {count}");
        if (index < 1 || index > count) throw new FormatException($"the shard index must be in 1..{count}, got {index}");
        Index = index;
        Count = count;
    }

    public int Index { get; }
    public int Count { get; }

    public static Shard All => new(1, 1);

    /// <summary>Parses "k/N"; throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static Shard Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int k) || !int.TryParse(parts[1], out int n))
            throw new FormatException($"'{text}' is not of the form k/N (e.g. 2/4)");
        return new Shard(k, n);
    }

    public bool Contains(int caseIndex) => caseIndex % Count == Index - 1;

    public IReadOnlyList<RegressionCase> Select(IEnumerable<RegressionCase> cases)
    {
        var shard = this;
        return cases.Where(c => shard.Contains(c.Index)).ToList();
    }

    public override string ToString() => $"{Index}/{Count}";
}
