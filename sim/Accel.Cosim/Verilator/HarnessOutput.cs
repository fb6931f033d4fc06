namespace Accel.Cosim.Verilator;

/// <summary>
/// The testbench's binary output: the words of every READ command, concatenated in order,
/// <see cref="WordBytes"/> little-endian bytes each. Split back into one array per READ.
/// </summary>
public sealed class HarnessOutput
{
    private HarnessOutput(IReadOnlyList<byte[]> reads, int wordBytes)
    {
        Reads = reads;
        WordBytes = wordBytes;
    }

    /// <summary>One array per READ command, in stimulus order.</summary>
    public IReadOnlyList<byte[]> Reads { get; }

    /// <summary>Bytes per activation word (ACCEL_ACT_BITS / 8).</summary>
    public int WordBytes { get; }

    /// <param name="allowShort">
    /// Accept data that ends early (after a timed-out run): whole READs present are returned, the rest dropped.
    /// </param>
    /// <exception cref="CosimException">The data does not match the READ commands.</exception>
    public static HarnessOutput Split(ReadOnlySpan<byte> data, IReadOnlyList<uint> readWordCounts, int wordBytes, bool allowShort = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(wordBytes);
        long expected = readWordCounts.Sum(c => (long)c) * wordBytes;
        if (data.Length > expected || (!allowShort && data.Length != expected))
            throw new CosimException($"harness output has {data.Length} bytes, the DRAM_READ commands ask for {expected}");
        var reads = new List<byte[]>(readWordCounts.Count);
        int offset = 0;
        foreach (uint count in readWordCounts)
        {
            long length = (long)count * wordBytes;
            if (offset + length > data.Length) break;
            reads.Add(data.Slice(offset, (int)length).ToArray());
            offset += (int)length;
        }
        return new HarnessOutput(reads, wordBytes);
    }

    public static HarnessOutput Load(string path, IReadOnlyList<uint> readWordCounts, int wordBytes, bool allowShort = false) =>
        Split(File.ReadAllBytes(path), readWordCounts, wordBytes, allowShort);
}
