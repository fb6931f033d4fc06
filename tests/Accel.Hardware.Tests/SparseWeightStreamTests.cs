using Accel.Hardware;
using Accel.Hardware.Config;
using Accel.Hardware.Engine;
using Accel.Hardware.Program;
using Accel.Hardware.Rtl;
using Xunit;

namespace Accel.Hardware.Tests;

/// <summary>
/// The sparse weight stream (docs/formats.md, "Sparse weight stream"): decode(encode(x)) == x
/// for any lanes, words and density, and the beat count follows the rule the RTL decoder relies
/// on (per word, the lanes that pop, in groups of EntriesPerBeat; a word with no pops takes none).
/// </summary>
public class SparseWeightStreamTests
{
    /// <summary>The beat count from the rule, replaying the lane semantics independently of the encoder.</summary>
    private static (int Beats, long DecodeCycles) CountBeats(sbyte[] x, int lanes, int e)
    {
        int words = x.Length / lanes, beats = 0;
        long cycles = 0;
        // A lane pops at word w when w starts a new entry: at 0, after a value, or after 16 zeros of one entry.
        var popsAt = new int[words];
        for (int l = 0; l < lanes; l++)
        {
            int start = 0;
            for (int w = 0; w < words; w++)
            {
                bool last = w == words - 1;
                bool value = x[w * lanes + l] != 0;
                // An entry ends at a value, after 16 positions, or at the lane's end (trailing padding).
                if (w == start) popsAt[w]++;
                if (value || w - start == SparseWeightStream.MaxGap || last) start = w + 1;
            }
        }
        foreach (int p in popsAt)
        {
            beats += (p + e - 1) / e;
            cycles += Math.Max(1, (p + e - 1) / e);
        }
        return (beats, cycles);
    }

    private static sbyte[] RandomWords(Random rng, int lanes, int words, double density)
    {
        var x = new sbyte[lanes * words];
        // A few values only (a weight-shared layer), or any int8.
        int distinct = rng.Next(2) == 0 ? 1 + rng.Next(15) : 255;
        var values = Enumerable.Range(0, distinct).Select(_ => (sbyte)(rng.Next(1, 256) - 128)).Where(v => v != 0).DefaultIfEmpty((sbyte)1).ToArray();
        for (int i = 0; i < x.Length; i++)
            if (rng.NextDouble() < density) x[i] = values[rng.Next(values.Length)];
        // Special shapes: an all-zero lane, an all-zero word, runs of exactly 15, 16 and 31 zeros.
        if (words > 0 && rng.Next(3) == 0) { int l = rng.Next(lanes); for (int w = 0; w < words; w++) x[w * lanes + l] = 0; }
        if (words > 0 && rng.Next(3) == 0) { int w = rng.Next(words); for (int l = 0; l < lanes; l++) x[w * lanes + l] = 0; }
        if (words > 40 && rng.Next(2) == 0)
        {
            int l = rng.Next(lanes), at = rng.Next(words - 34), run = new[] { 15, 16, 17, 31, 32 }[rng.Next(5)];
            x[at * lanes + l] = 5;
            for (int w = at + 1; w <= at + run; w++) x[w * lanes + l] = 0;
            x[(at + run + 1) * lanes + l] = -7;
        }
        return x;
    }

    [Theory]
    [InlineData(64)]
    [InlineData(32)]
    [InlineData(128)]
    [InlineData(16)]
    public void DecodeOfEncodeIsTheIdentityAndBeatsFollowTheRule(int dramBits)
    {
        var rng = new Random(dramBits);
        int e = SparseWeightStream.EntriesPerBeat(dramBits);
        for (int trial = 0; trial < 400; trial++)
        {
            int lanes = rng.Next(1, 33), words = rng.Next(0, 3) == 0 ? rng.Next(1, 8) : rng.Next(1, 300);
            double density = rng.Next(6) switch { 0 => 0, 1 => 1, _ => rng.NextDouble() };
            var x = RandomWords(rng, lanes, words, density);
            var s = SparseWeightStream.Encode(x, lanes, dramBits);
            Assert.Equal(x, SparseWeightStream.Decode(s.Bytes, lanes, words, dramBits));
            var (beats, cycles) = CountBeats(x, lanes, e);
            Assert.Equal(beats, s.EntryBeats);
            Assert.Equal(cycles, s.DecodeCycles);
            Assert.Equal((SparseWeightStream.CodebookBeats(dramBits) + beats) * dramBits / 8, s.Bytes.Length);
            Assert.Equal(0, s.Codebook[0]);
            // The codebook is 0 then the distinct non-zero values, ascending.
            var distinct = x.Where(v => v != 0).Distinct().OrderBy(v => v).ToArray();
            Assert.Equal(distinct, s.Codebook.Skip(1).Take(distinct.Length));
        }
    }

    [Fact]
    public void AllZeroWordsTakeOnePaddingEntryPerSixteenWordsPerLane()
    {
        // 40 zero words of 8 lanes: each lane pops at words 0, 16 and 32 (gaps 15, 15, 7) -> 8 pops = 2 beats at each.
        var s = SparseWeightStream.Encode(new sbyte[8 * 40], 8, 64);
        Assert.Equal(6, s.EntryBeats);
        Assert.Equal(40 + 3, s.DecodeCycles);
        Assert.Equal(new sbyte[8 * 40], SparseWeightStream.Decode(s.Bytes, 8, 40, 64));
    }

    [Fact]
    public void DecodeRefusesAStreamWithBeatsLeftOverOrMissing()
    {
        var x = new sbyte[] { 1, 0, 0, 2, 0, 3, 0, 0 };
        var s = SparseWeightStream.Encode(x, 2, 64);
        Assert.Throws<ArgumentException>(() => SparseWeightStream.Decode(s.Bytes, 2, 3, 64));
        Assert.Throws<ArgumentException>(() => SparseWeightStream.Decode([.. s.Bytes, .. new byte[8]], 2, 4, 64));
        Assert.Throws<ArgumentException>(() => SparseWeightStream.Decode(s.Bytes.AsSpan(0, s.Bytes.Length - 8), 2, 4, 64));
    }

    [Fact]
    public void TheDecoderKeepsACodebookCopyPerLaneInLutRamAndTheLoadUnitABeatFifo()
    {
        var c = new EngineConfig { Rows = 4, Cols = 4, ParamDepth = 256 };
        string decoder = VerilogEmitter.Emit(SparseDecoder.Build(c), EngineRtl.Header(c));
        // Four lanes: four 32 x 64-bit codebook copies (256 int8 entries, a beat written per cycle), LUT RAM.
        Assert.Equal(4, decoder.Split("  sdp_ram #(").Length - 1);
        Assert.Contains(".DISTRIBUTED(1)", decoder);
        Assert.Contains(".DEPTH(32)", decoder);
        string load = VerilogEmitter.Emit(DmaLoad.Build(c), EngineRtl.Header(c));
        Assert.Contains("u_beat_fifo", load);
        Assert.Contains(".DEPTH(64)", load);
        Assert.Contains("u_sparse_decoder", load);
        // The fetch queue and the beat FIFO spend the same credit logic.
        string fetch = VerilogEmitter.Emit(InstructionFetch.Build(c, new InstructionFormat(c)), EngineRtl.Header(c));
        Assert.Contains("credit_q", fetch);
        Assert.Contains("credit_q", load);
        var format = new InstructionFormat(c);
        Assert.Equal(1, format["dma_sparse"].Width);
        Assert.True(1L << format["dma_src_beats"].Width > SparseWeightStream.MaxSourceBeats(c));
    }
}
