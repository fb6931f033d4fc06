namespace Accel.Compression;

/// <summary>
/// One convolution's weights in the EIE relative-index form (docs/formats.md, "EIE weight streams"):
/// the [Cout x Cin*K*K] matrix, one row per output channel in [Cin][Kh][Kw] order, each row a
/// run of entries (b-bit codebook index, 4-bit count of zeros before it). Index 0 is the zero
/// weight and marks a padding entry that bridges 16 positions of a longer zero run; trailing
/// zeros of a row take no entries. <see cref="RowEntries"/> gives each row's entry count; the
/// channel pointer of row c is the sum of the counts before it.
/// </summary>
public sealed class EieLayer
{
    public const int MinBits = 4;
    public const int MaxBits = 8;
    public const int MaxGap = 15;

    public EieLayer(int bits, int rows, int rowLength, sbyte[] codebook, ushort[] rowEntries, byte[] indices, byte[] gaps)
    {
        Bits = bits;
        Rows = rows;
        RowLength = rowLength;
        Codebook = codebook;
        RowEntries = rowEntries;
        Indices = indices;
        Gaps = gaps;
    }

    public int Bits { get; }
    public int Rows { get; }
    public int RowLength { get; }
    /// <summary>2^Bits int8 values; entry 0 is 0, unused entries are 0 and never referenced.</summary>
    public sbyte[] Codebook { get; }
    public ushort[] RowEntries { get; }
    public byte[] Indices { get; }
    public byte[] Gaps { get; }

    public int Entries => Indices.Length;
    public int PaddingEntries => Indices.Count(i => i == 0);
    public int NonZeros => Entries - PaddingEntries;
    public double Density => (double)NonZeros / ((long)Rows * RowLength);
    public int CodebookUsed => Codebook.Skip(1).Count(v => v != 0);

    /// <summary>Entry offset of each output channel (Rows + 1 values, the last is the total).</summary>
    public int[] Pointers()
    {
        var p = new int[Rows + 1];
        for (int r = 0; r < Rows; r++) p[r + 1] = p[r] + RowEntries[r];
        return p;
    }

    /// <summary>
    /// Encodes int8 weights [rows x rowLength] whose distinct non-zero values fit a 2^bits codebook
    /// (share them first, see <see cref="WeightSharing"/>). The codebook is the sorted distinct values.
    /// </summary>
    public static EieLayer Encode(string layer, ReadOnlySpan<sbyte> weights, int rows, int bits)
    {
        if (bits is < MinBits or > MaxBits) throw new ArgumentOutOfRangeException(nameof(bits), $"{layer}: {bits} bits, expected {MinBits}..{MaxBits}");
        if (rows <= 0 || weights.Length % rows != 0) throw new ArgumentException($"{layer}: {weights.Length} weights do not split into {rows} rows");
        int rowLength = weights.Length / rows;
        if (rowLength > ushort.MaxValue) throw new ArgumentException($"{layer}: rows of {rowLength} weights are longer than the format's {ushort.MaxValue}");
        var distinct = new SortedSet<sbyte>();
        foreach (var w in weights) if (w != 0) distinct.Add(w);
        int size = 1 << bits;
        if (distinct.Count > size - 1)
            throw new ArgumentException($"{layer}: {distinct.Count} distinct non-zero weights do not fit a {bits}-bit codebook ({size - 1} non-zero entries); share the weights first");
        if (distinct.Contains(sbyte.MinValue)) throw new ArgumentException($"{layer}: weight -128 is outside the contract's [-127, 127]");
        var codebook = new sbyte[size];
        var indexOf = new byte[256];
        int k = 1;
        foreach (var v in distinct) { codebook[k] = v; indexOf[(byte)v] = (byte)k; k++; }

        var rowEntries = new ushort[rows];
        var indices = new List<byte>();
        var gaps = new List<byte>();
        for (int r = 0; r < rows; r++)
        {
            int start = indices.Count, zeros = 0;
            foreach (var w in weights.Slice(r * rowLength, rowLength))
            {
                if (w == 0) { zeros++; continue; }
                // A run of 16 or more zeros: each padding entry (index 0, gap 15) stands for 16 of them.
                while (zeros > MaxGap) { indices.Add(0); gaps.Add(MaxGap); zeros -= MaxGap + 1; }
                indices.Add(indexOf[(byte)w]);
                gaps.Add((byte)zeros);
                zeros = 0;
            }
            rowEntries[r] = (ushort)(indices.Count - start);
        }
        return new EieLayer(bits, rows, rowLength, codebook, rowEntries, [.. indices], [.. gaps]);
    }

    /// <summary>The int8 weights [rows x rowLength]; throws <see cref="EieDecodeException"/> on a malformed stream.</summary>
    public sbyte[] Decode()
    {
        var problem = Validate();
        if (problem is not null) throw new EieDecodeException(problem);
        var weights = new sbyte[(long)Rows * RowLength];
        int e = 0;
        for (int r = 0; r < Rows; r++)
        {
            int position = -1;
            for (int n = 0; n < RowEntries[r]; n++, e++)
            {
                position += Gaps[e] + 1;
                if (Indices[e] != 0) weights[(long)r * RowLength + position] = Codebook[Indices[e]];
            }
        }
        return weights;
    }

    /// <summary>Null when the stream is well formed, else what is wrong and where (channel, entry).</summary>
    public string? Validate()
    {
        if (Bits is < MinBits or > MaxBits) return $"{Bits} bits, expected {MinBits}..{MaxBits}";
        if (Codebook.Length != 1 << Bits) return $"codebook has {Codebook.Length} entries, expected {1 << Bits}";
        if (Codebook[0] != 0) return $"codebook entry 0 is {Codebook[0]}, must be the zero weight";
        if (Array.IndexOf(Codebook, sbyte.MinValue) is var bad and >= 0) return $"codebook entry {bad} is -128, outside [-127, 127]";
        if (RowEntries.Length != Rows) return $"{RowEntries.Length} channel counts for {Rows} channels";
        long total = RowEntries.Sum(c => (long)c);
        if (total != Indices.Length || total != Gaps.Length) return $"channel counts add up to {total} entries but the stream holds {Indices.Length}";
        int e = 0;
        for (int r = 0; r < Rows; r++)
        {
            int position = -1;
            for (int n = 0; n < RowEntries[r]; n++, e++)
            {
                int index = Indices[e], gap = Gaps[e];
                if (index >= Codebook.Length) return $"channel {r} entry {n}: index {index} outside the {Bits}-bit codebook";
                if (gap > MaxGap) return $"channel {r} entry {n}: gap {gap} exceeds {MaxGap}";
                if (index == 0 && gap != MaxGap) return $"channel {r} entry {n}: padding entry (index 0) with gap {gap}, expected {MaxGap}";
                if (index != 0 && Codebook[index] == 0) return $"channel {r} entry {n}: index {index} names an unused codebook entry";
                position += gap + 1;
                if (position >= RowLength) return $"channel {r} entry {n}: position {position} is past the row length {RowLength}";
            }
        }
        return null;
    }
}

/// <summary>A malformed EIE stream (bad index, gap or position).</summary>
public sealed class EieDecodeException(string message) : Exception(message);
