using Accel.Hardware.Config;

namespace Accel.Hardware.Program;

/// <summary>
/// The sparse weight stream a sparse LOAD reads (docs/formats.md, "Sparse weight stream"): a
/// 256-entry int8 codebook (entry 0 = 0), then beats of EIE entries (8-bit codebook index, 4-bit
/// gap = zeros before the value), <see cref="EntriesPerBeat"/> per beat. Each lane (output
/// channel c of the tile) of the load's N dense words is its own sequence of entries; runs of more
/// than 15 zeros and trailing zeros take padding entries with index 0. Beats are filled word by
/// word: the lanes that must take a new entry for word w, in lane order, cut into groups of
/// <see cref="EntriesPerBeat"/>, one beat per group. <see cref="Decode"/> is the reference the
/// RTL decoder (accel_sparse_decoder) is checked against: it follows the same lane rules.
/// </summary>
public sealed class SparseWeightStream
{
    public const int IndexBits = 8, GapBits = 4, EntryBits = IndexBits + GapBits;
    public const int CodebookEntries = 1 << IndexBits, MaxGap = (1 << GapBits) - 1;

    /// <summary>Entries one DRAM beat carries (5 on a 64-bit port; bits above them are zero).</summary>
    public static int EntriesPerBeat(int dramBits) => dramBits / EntryBits;

    /// <summary>Beats of the codebook at the head of the stream (32 on a 64-bit port).</summary>
    public static int CodebookBeats(int dramBits) => CodebookEntries * 8 / dramBits;

    /// <summary>Whether the port carries at least one entry per beat (an 8-bit port cannot).</summary>
    public static bool Supported(EngineConfig c) => EntriesPerBeat(c.DramBits) >= 1;

    /// <summary>
    /// The most beats a sparse load can read: a whole weight buffer of words in which every lane
    /// takes an entry per word (Cols / EntriesPerBeat beats a word, rounded up), plus the codebook.
    /// The instruction's dma_src_beats field is sized for it.
    /// </summary>
    public static int MaxSourceBeats(EngineConfig c) => !Supported(c) ? 1
        : CodebookBeats(c.DramBits) + c.WeightDepth * ((c.Cols + EntriesPerBeat(c.DramBits) - 1) / EntriesPerBeat(c.DramBits));

    private SparseWeightStream(int lanes, int words, int dramBits, sbyte[] codebook, byte[] bytes, int entryBeats, long decodeCycles)
    {
        Lanes = lanes; Words = words; DramBits = dramBits; Codebook = codebook; Bytes = bytes; EntryBeats = entryBeats; DecodeCycles = decodeCycles;
    }

    public int Lanes { get; }
    public int Words { get; }
    public int DramBits { get; }
    public IReadOnlyList<sbyte> Codebook { get; }
    /// <summary>The stream as DRAM bytes: codebook beats, then entry beats, little-endian.</summary>
    public byte[] Bytes { get; }
    public int EntryBeats { get; }
    public int Beats => CodebookBeats(DramBits) + EntryBeats;
    /// <summary>Cycles the decoder needs after the codebook with the beats at hand: one per word, or the word's beats if more.</summary>
    public long DecodeCycles { get; }

    /// <summary>
    /// Encodes <paramref name="words"/> (word-major: word w, lane c at w * lanes + c). The codebook
    /// is 0 then the distinct non-zero values in ascending order (at most 255 for any int8 data).
    /// </summary>
    public static SparseWeightStream Encode(ReadOnlySpan<sbyte> words, int lanes, int dramBits)
    {
        int e = EntriesPerBeat(dramBits);
        if (e < 1) throw new ArgumentException($"a {dramBits}-bit beat cannot hold a {EntryBits}-bit entry");
        if (lanes < 1 || words.Length % lanes != 0) throw new ArgumentException($"{words.Length} weights are not whole words of {lanes} lanes");
        int n = words.Length / lanes;
        var codebook = new sbyte[CodebookEntries];
        var indexOf = new int[256];
        int next = 1;
        for (int v = -128; v <= 127; v++)
        {
            if (v == 0 || !words.Contains((sbyte)v)) continue;
            codebook[next] = (sbyte)v;
            indexOf[v + 128] = next++;
        }

        // Each lane's entries in order: (index, gap) covering exactly n positions.
        var entries = new List<int>[lanes];
        for (int c = 0; c < lanes; c++)
        {
            var list = entries[c] = [];
            int zeros = 0;
            for (int w = 0; w < n; w++)
            {
                int v = words[w * lanes + c];
                if (v == 0) { zeros++; continue; }
                for (; zeros > MaxGap; zeros -= MaxGap + 1) list.Add(Entry(0, MaxGap));
                list.Add(Entry(indexOf[v + 128], zeros));
                zeros = 0;
            }
            while (zeros > 0)
            {
                int gap = Math.Min(zeros, MaxGap + 1) - 1;
                list.Add(Entry(0, gap));
                zeros -= gap + 1;
            }
        }

        // Replay the decoder's lanes to place the entries word by word.
        var beats = new List<ulong[]>();
        var next_ = new int[lanes];
        var zerosLeft = new int[lanes];
        var holds = new bool[lanes];
        long decodeCycles = 0;
        var pending = new List<int>(lanes);
        for (int w = 0; w < n; w++)
        {
            pending.Clear();
            for (int c = 0; c < lanes; c++) if (!holds[c]) pending.Add(c);
            for (int g = 0; g < pending.Count; g += e)
            {
                var beat = new ulong[(dramBits + 63) / 64];
                for (int j = 0; j < e && g + j < pending.Count; j++)
                {
                    int c = pending[g + j];
                    int entry = entries[c][next_[c]++];
                    holds[c] = true;
                    zerosLeft[c] = entry >> IndexBits;
                    int bit = j * EntryBits;
                    beat[bit / 64] |= (ulong)entry << (bit % 64);
                    if (bit % 64 + EntryBits > 64) beat[bit / 64 + 1] |= (ulong)entry >> (64 - bit % 64);
                }
                beats.Add(beat);
            }
            decodeCycles += Math.Max(1, (pending.Count + e - 1) / e);
            for (int c = 0; c < lanes; c++)
                if (zerosLeft[c] == 0) holds[c] = false;
                else zerosLeft[c]--;
        }

        int beatBytes = dramBits / 8, cbBeats = CodebookBeats(dramBits);
        var bytes = new byte[(cbBeats + beats.Count) * beatBytes];
        for (int i = 0; i < CodebookEntries; i++) bytes[i] = (byte)codebook[i];
        for (int b = 0; b < beats.Count; b++)
            for (int i = 0; i < beatBytes; i++)
                bytes[(cbBeats + b) * beatBytes + i] = (byte)(beats[b][i / 8] >> (8 * (i % 8)));
        return new SparseWeightStream(lanes, n, dramBits, codebook, bytes, beats.Count, decodeCycles);
    }

    /// <summary>
    /// Decodes <paramref name="words"/> dense words of <paramref name="lanes"/> lanes from a stream
    /// as the RTL does: for each word, lanes without an entry take the next slots of the next
    /// beats (lane order); then every lane emits codebook[index] if its zeros are used up, else 0.
    /// Throws when the stream runs out or has beats left over.
    /// </summary>
    public static sbyte[] Decode(ReadOnlySpan<byte> stream, int lanes, int words, int dramBits)
    {
        int e = EntriesPerBeat(dramBits), beatBytes = dramBits / 8, cbBeats = CodebookBeats(dramBits);
        if (stream.Length % beatBytes != 0 || stream.Length < cbBeats * beatBytes)
            throw new ArgumentException($"a sparse stream is whole beats of {beatBytes} bytes, at least the {cbBeats}-beat codebook; got {stream.Length} bytes");
        var codebook = stream[..CodebookEntries];
        int beat = cbBeats, totalBeats = stream.Length / beatBytes;
        var index = new int[lanes];
        var zerosLeft = new int[lanes];
        var holds = new bool[lanes];
        var dense = new sbyte[(long)words * lanes];
        for (int w = 0; w < words; w++)
        {
            int slot = e;
            for (int c = 0; c < lanes; c++)
            {
                if (holds[c]) continue;
                if (slot == e)
                {
                    if (beat == totalBeats) throw new ArgumentException($"the stream ends before word {w} of {words}");
                    beat++;
                    slot = 0;
                }
                int bit = slot++ * EntryBits, entry = 0;
                for (int k = 0; k < EntryBits; k++, bit++)
                    entry |= (stream[(beat - 1) * beatBytes + bit / 8] >> (bit % 8) & 1) << k;
                index[c] = entry & (CodebookEntries - 1);
                zerosLeft[c] = entry >> IndexBits;
                holds[c] = true;
            }
            for (int c = 0; c < lanes; c++)
            {
                if (zerosLeft[c] == 0)
                {
                    dense[(long)w * lanes + c] = (sbyte)codebook[index[c]];
                    holds[c] = false;
                }
                else zerosLeft[c]--;
            }
        }
        if (beat != totalBeats) throw new ArgumentException($"{totalBeats - beat} beat(s) left over after {words} words");
        return dense;
    }

    private static int Entry(int index, int gap) => index | gap << IndexBits;
}
