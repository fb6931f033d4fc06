using Accel.Model.Networks;

namespace Accel.Compression;

/// <summary>
/// The weight block of one engine pass: <see cref="Rows"/> input channels (one input-channel
/// group) by <see cref="Cols"/> output channels (one output tile) at one kernel tap (ky, kx).
/// </summary>
public readonly record struct PassBlock(int Rows, int Cols)
{
    /// <summary>Reads "ROWSxCOLS" (e.g. "16x16"); null when the text is not of that form.</summary>
    public static PassBlock? TryParse(string text)
    {
        var parts = text.Trim().ToLowerInvariant().Split('x');
        return parts.Length == 2 && int.TryParse(parts[0], out int r) && int.TryParse(parts[1], out int c) && r > 0 && c > 0
            ? new PassBlock(r, c) : null;
    }

    public override string ToString() => $"{Rows}x{Cols}";
}

/// <summary>
/// Block pruning for zero skipping: a layer's weights [Cout][Cin][K][K] are cut into blocks of
/// [output tile of Cols channels] x [input group of Rows channels] x [one tap], in logical channel
/// order (tile = oc / Cols, group = ic / Rows; the last tile or group of a layer whose channels
/// are not a multiple is smaller). Blocks are kept whole, largest L2 norm first, so every block
/// is either all zero (a pass the engine can skip) or untouched.
/// </summary>
public static class BlockPruning
{
    /// <summary>The layer's blocks: (first oc, oc count, first ic, ic count, tap) in (tile, group, tap) order.</summary>
    public static IEnumerable<(int Oc, int OcCount, int Ic, int IcCount, int Tap)> Blocks(int cout, int cin, int kernel, PassBlock block)
    {
        for (int oc = 0; oc < cout; oc += block.Cols)
            for (int ic = 0; ic < cin; ic += block.Rows)
                for (int tap = 0; tap < kernel * kernel; tap++)
                    yield return (oc, Math.Min(block.Cols, cout - oc), ic, Math.Min(block.Rows, cin - ic), tap);
    }

    /// <summary>
    /// Keeps whole blocks, largest L2 norm first (ties: the earlier block), until the number of
    /// kept weights is as close as it gets to round(density x size): within half a block of the
    /// target when blocks are whole. A layer with no more non-zero weights than the target is
    /// returned as is (as <see cref="Pruning.Prune(float[], double)"/> does).
    /// </summary>
    public static float[] Prune(float[] weights, int cout, int cin, int kernel, double density, PassBlock block)
    {
        int taps = kernel * kernel;
        if (weights.Length != cout * cin * taps) throw new ArgumentException($"{weights.Length} weights do not match {cout}x{cin}x{kernel}x{kernel}");
        long keep = (long)Math.Round(density * weights.Length, MidpointRounding.AwayFromZero);
        if (weights.LongCount(w => w != 0) <= keep) return weights;
        var blocks = Blocks(cout, cin, kernel, block).ToArray();
        var norms = new double[blocks.Length];
        for (int b = 0; b < blocks.Length; b++)
        {
            double sum = 0;
            foreach (int i in Indices(blocks[b], cin, taps)) sum += (double)weights[i] * weights[i];
            norms[b] = sum;
        }
        var order = Enumerable.Range(0, blocks.Length).OrderByDescending(b => norms[b]).ThenBy(b => b);
        var pruned = new float[weights.Length];
        long kept = 0;
        foreach (int b in order)
        {
            long size = (long)blocks[b].OcCount * blocks[b].IcCount;
            // Add the block while that brings the kept count closer to the target.
            if (Math.Abs(kept + size - keep) >= Math.Abs(kept - keep)) break;
            foreach (int i in Indices(blocks[b], cin, taps)) pruned[i] = weights[i];
            kept += size;
        }
        return pruned;
    }

    /// <summary>How many of the layer's blocks are all zero, and how many blocks it has.</summary>
    public static (int Zero, int Total) ZeroBlocks(ReadOnlySpan<sbyte> weights, int cout, int cin, int kernel, PassBlock block)
    {
        int taps = kernel * kernel, zero = 0, total = 0;
        foreach (var b in Blocks(cout, cin, kernel, block))
        {
            total++;
            bool allZero = true;
            foreach (int i in Indices(b, cin, taps))
                if (weights[i] != 0) { allZero = false; break; }
            if (allZero) zero++;
        }
        return (zero, total);
    }

    /// <summary>Flat indices ([Cout][Cin][K][K] order) of one block's weights.</summary>
    public static IEnumerable<int> Indices((int Oc, int OcCount, int Ic, int IcCount, int Tap) b, int cin, int taps)
    {
        for (int oc = b.Oc; oc < b.Oc + b.OcCount; oc++)
            for (int ic = b.Ic; ic < b.Ic + b.IcCount; ic++)
                yield return (oc * cin + ic) * taps + b.Tap;
    }

    /// <summary>The convolution's (Cout, Cin per group, K) as the weight matrix is laid out.</summary>
    public static (int Cout, int Cin, int Kernel) Shape(Node node) =>
        node.Op is ConvLayer conv ? (conv.OutChannels, node.Input.Channels / conv.Groups, conv.KernelSize) : throw new ArgumentException($"{node.Name} is not a convolution");
}
