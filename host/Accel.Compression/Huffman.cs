namespace Accel.Compression;

/// <summary>
/// Canonical Huffman codes: only the code length of each symbol is stored; codes are assigned in
/// order of (length, symbol), as in DEFLATE. Bits are written most significant first within a
/// code, codes packed LSB-first into bytes.
/// </summary>
public static class Huffman
{
    public const int MaxCodeLength = 31;

    /// <summary>Code lengths (0 = symbol absent) from symbol frequencies; a lone symbol gets length 1.</summary>
    public static byte[] CodeLengths(ReadOnlySpan<long> frequencies)
    {
        var lengths = new byte[frequencies.Length];
        var queue = new PriorityQueue<int, (long Weight, int Order)>();
        // Nodes 0..n-1 are symbols, later ones internal; parent links give each symbol's depth.
        var parent = new List<int>();
        int order = 0;
        for (int s = 0; s < frequencies.Length; s++)
        {
            parent.Add(-1);
            if (frequencies[s] > 0) queue.Enqueue(s, (frequencies[s], order++));
        }
        if (queue.Count == 0) return lengths;
        if (queue.Count == 1) { lengths[queue.Dequeue()] = 1; return lengths; }
        while (queue.Count > 1)
        {
            queue.TryDequeue(out int a, out var wa);
            queue.TryDequeue(out int b, out var wb);
            int node = parent.Count;
            parent.Add(-1);
            parent[a] = node;
            parent[b] = node;
            queue.Enqueue(node, (wa.Weight + wb.Weight, order++));
        }
        for (int s = 0; s < frequencies.Length; s++)
        {
            if (frequencies[s] == 0) continue;
            int depth = 0;
            for (int n = s; parent[n] >= 0; n = parent[n]) depth++;
            if (depth > MaxCodeLength) throw new InvalidOperationException($"Huffman code of {depth} bits exceeds {MaxCodeLength}");
            lengths[s] = (byte)depth;
        }
        return lengths;
    }

    /// <summary>Canonical codes for the lengths; null when the lengths do not form a prefix code.</summary>
    public static uint[]? Codes(ReadOnlySpan<byte> lengths)
    {
        var countOfLength = new int[MaxCodeLength + 1];
        foreach (var l in lengths) { if (l > MaxCodeLength) return null; if (l > 0) countOfLength[l]++; }
        var next = new uint[MaxCodeLength + 2];
        ulong code = 0;
        for (int len = 1; len <= MaxCodeLength; len++)
        {
            code = (code + (ulong)countOfLength[len - 1]) << 1;
            next[len] = (uint)code;
            if (code + (ulong)countOfLength[len] > 1UL << len) return null;
        }
        var codes = new uint[lengths.Length];
        for (int s = 0; s < lengths.Length; s++) if (lengths[s] > 0) codes[s] = next[lengths[s]]++;
        return codes;
    }

    public static byte[] Encode(ReadOnlySpan<byte> symbols, ReadOnlySpan<byte> lengths)
    {
        var codes = Codes(lengths) ?? throw new ArgumentException("code lengths do not form a prefix code");
        var writer = new BitWriter();
        foreach (var s in symbols)
        {
            if (lengths[s] == 0) throw new ArgumentException($"symbol {s} has no code");
            for (int bit = lengths[s] - 1; bit >= 0; bit--) writer.Write((codes[s] >> bit) & 1, 1);
        }
        return writer.ToArray();
    }

    /// <summary>Decodes <paramref name="count"/> symbols; null when the stream is not a valid code sequence of that length.</summary>
    public static byte[]? Decode(ReadOnlySpan<byte> stream, ReadOnlySpan<byte> lengths, int count)
    {
        if (Codes(lengths) is null) return null;
        // Canonical decoding: per length, the first code and the symbols of that length in order.
        var countOfLength = new int[MaxCodeLength + 1];
        foreach (var l in lengths) if (l > 0) countOfLength[l]++;
        var lengthOf = lengths.ToArray();
        var symbolsByLength = Enumerable.Range(0, lengthOf.Length).Where(s => lengthOf[s] > 0).OrderBy(s => lengthOf[s]).ThenBy(s => s).Select(s => (byte)s).ToArray();
        var result = new byte[count];
        var reader = new BitReader(stream);
        for (int n = 0; n < count; n++)
        {
            long code = 0, first = 0;
            int index = 0, len = 0;
            while (true)
            {
                if (++len > MaxCodeLength || !reader.TryRead(out uint bit)) return null;
                code = (code << 1) | bit;
                int c = countOfLength[len];
                if (code - first < c) { result[n] = symbolsByLength[index + (int)(code - first)]; break; }
                index += c;
                first = (first + c) << 1;
            }
        }
        // Only the final byte's padding may follow the last code.
        return reader.BitsLeft < 8 ? result : null;
    }
}

/// <summary>Packs values LSB-first into bytes.</summary>
public sealed class BitWriter
{
    private readonly List<byte> _bytes = [];
    private ulong _buffer;
    private int _bits;

    public void Write(uint value, int bits)
    {
        _buffer |= (ulong)(value & (bits == 32 ? uint.MaxValue : (1u << bits) - 1)) << _bits;
        _bits += bits;
        while (_bits >= 8) { _bytes.Add((byte)_buffer); _buffer >>= 8; _bits -= 8; }
    }

    public byte[] ToArray()
    {
        var result = new List<byte>(_bytes);
        if (_bits > 0) result.Add((byte)_buffer);
        return [.. result];
    }
}

/// <summary>Reads values packed LSB-first.</summary>
public ref struct BitReader(ReadOnlySpan<byte> bytes)
{
    private readonly ReadOnlySpan<byte> _bytes = bytes;
    private long _position;

    public readonly long BitsLeft => (long)_bytes.Length * 8 - _position;

    public bool TryRead(out uint bit)
    {
        bit = 0;
        if (_position >= (long)_bytes.Length * 8) return false;
        bit = (uint)(_bytes[(int)(_position >> 3)] >> (int)(_position & 7)) & 1;
        _position++;
        return true;
    }

    public uint Read(int bits)
    {
        uint v = 0;
        for (int i = 0; i < bits; i++) { TryRead(out uint b); v |= b << i; }
        return v;
    }
}
