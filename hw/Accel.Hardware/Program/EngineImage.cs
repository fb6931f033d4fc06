using System.Numerics;
using Accel.Hardware.Config;
using Accel.Hardware.Schedule;
using Accel.Model.Arithmetic;
using Accel.Model.Quantized;

namespace Accel.Hardware.Program;

/// <summary>
/// What a schedule needs before it runs: the program (its instructions plus END; placed in DRAM
/// at <see cref="EngineSchedule.ProgramDramBase"/>, see <see cref="ProgramDram"/>), the
/// channel-parameter words (per conv tile: Cols biases, then Cols (M, S) pairs), written over
/// the host port, and the weight region of DRAM (per conv: tile, input group, ky, kx, array
/// row; Cols weights a word, each word DramWordBytes apart). Lanes past a layer's channels, holes
/// of its output placement and input lanes that are concat holes hold zero weights.
/// </summary>
public sealed class EngineImage
{
    private EngineImage(IReadOnlyList<BigInteger> program, byte[] weightBytes, IReadOnlyList<BigInteger> parameters)
    {
        Program = program;
        WeightBytes = weightBytes;
        Parameters = parameters;
    }

    public IReadOnlyList<BigInteger> Program { get; }
    /// <summary>The DRAM bytes from <see cref="EngineSchedule.WeightDramBase"/> words on.</summary>
    public byte[] WeightBytes { get; }
    public IReadOnlyList<BigInteger> Parameters { get; }
    /// <summary>The convolution passes whose weights are all zero (the engine skips them).</summary>
    public ZeroPasses ZeroPasses { get; init; } = ZeroPasses.None;

    public static IReadOnlyList<BigInteger> EncodeProgram(EngineSchedule schedule)
    {
        var format = schedule.Format;
        var words = schedule.Instructions.Select(i => format.Encode(i.Fields)).ToList();
        words.Add(format.Encode(new Dictionary<string, long> { ["opcode"] = (long)Opcode.End }));
        return words;
    }

    /// <summary>
    /// The images for <paramref name="schedule"/> with these weights; a global average pool's
    /// (M, S) comes from <paramref name="poolRequant"/> and fills every lane of its parameter word.
    /// </summary>
    public static EngineImage Build(EngineSchedule schedule, IReadOnlyDictionary<string, QuantizedConv> convs,
        IReadOnlyDictionary<string, Requant>? poolRequant = null, OperatorParameters? operators = null)
    {
        var c = schedule.Config;
        int rows = c.Rows, cols = c.Cols, wordBytes = c.DramWordBytes;
        var weightBytes = new byte[schedule.WeightWords * wordBytes];
        var parameters = new BigInteger[schedule.ParamWords];
        var zeroPasses = new ZeroPasses();
        for (int layer = 0; layer < schedule.Ops.Count; layer++)
        {
            var op = schedule.Ops[layer];
            if (op.Opcode is not (Opcode.Conv or Opcode.DwConv)) continue;
            if (!convs.TryGetValue(op.Node, out var q))
                throw new ScheduleException($"layer '{op.Node}': no quantized weights");
            int cout = op.Output.Shape.Channels, cin = op.Input.Shape.Channels, k = op.Kernel;
            // Grouped weights are [Cout][Cin/G][K][K]; an input channel outside the output channel's group has weight 0.
            int sourceCin = op.Input.Im2Col?.Source.Channels ?? cin, sourceK = op.Input.Im2Col?.Kernel ?? k;
            int cinPer = cin / op.ConvGroups, coutPer = cout / op.ConvGroups;
            if (q.Weights.Length != (long)cout * (sourceCin / op.ConvGroups) * sourceK * sourceK)
                throw new ScheduleException($"layer '{op.Node}': {q.Weights.Length} weights, expected {cout} x {sourceCin / op.ConvGroups} x {sourceK} x {sourceK} ({op.ConvGroups} groups)");
            if (op.Opcode == Opcode.DwConv)
            {
                WriteDepthwise(schedule, op, q, weightBytes, parameters);
                continue;
            }
            // Weight of output channel oc for logical input channel ic at tap (ky, kx) of this op.
            var packing = op.Input.Im2Col;
            Func<int, int, int, int, sbyte> weight = packing is null
                ? (oc, ic, ky, kx) => ic / cinPer != oc / coutPer ? (sbyte)0
                    : q.Weights[((oc * cinPer + ic % cinPer) * k + ky) * k + kx]
                : (oc, ic, _, _) =>
                {
                    // Packed channel (ky*K + kx)*Cin + c of a 1x1 op is tap (ky, kx) of source channel c.
                    int sk = packing.Kernel, scin = packing.Source.Channels;
                    int c = ic % scin, tap = ic / scin;
                    return q.Weights[((oc * scin + c) * sk + tap / sk) * sk + tap % sk];
                };
            var logical = op.Input.LogicalChannels(rows);
            // Column col of tile t computes the output channel the output placement stores in lane col of group t (-1: a hole).
            var outLogical = op.Output.LogicalChannels(cols);
            long word = op.WeightBase - schedule.WeightDramBase;
            var zero = new bool[op.OutputTiles][];
            for (int tile = 0; tile < op.OutputTiles; tile++)
            {
                long tileWord = word;
                // A grouped layer's tile holds the weights of the input groups it reads only.
                var (firstGroup, groupCount) = op.InputGroupsOf(tile);
                for (int g = firstGroup; g < firstGroup + groupCount; g++)
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++)
                            for (int r = 0; r < rows; r++, word++)
                            {
                                int ic = logical[g * rows + r];
                                for (int col = 0; col < cols; col++)
                                {
                                    int oc = outLogical[tile * cols + col];
                                    if (ic >= 0 && oc >= 0) weightBytes[word * wordBytes + col] = (byte)weight(oc, ic, ky, kx);
                                }
                            }
                // A pass is Rows consecutive words (one per array row); all zero, the feeder may skip it.
                zero[tile] = new bool[op.PassesOf(tile)];
                for (int pass = 0; pass < zero[tile].Length; pass++)
                    zero[tile][pass] = !weightBytes.AsSpan((int)((tileWord + (long)pass * rows) * wordBytes), rows * wordBytes).ContainsAnyExcept((byte)0);
                var p = BigInteger.Zero;
                for (int col = 0; col < cols; col++)
                {
                    int oc = outLogical[tile * cols + col];
                    long bias = oc >= 0 ? q.Bias[oc] : 0;
                    // An unused lane requantizes 0 with M = 0, S = 1: it stays 0.
                    long m = oc >= 0 ? q.Requant[oc].Multiplier : 0, s = oc >= 0 ? q.Requant[oc].Shift : 1;
                    p |= (new BigInteger(bias) & uint.MaxValue) << (col * EngineConfig.BiasBits);
                    p |= (new BigInteger(m) | new BigInteger(s) << EngineConfig.MultiplierBits)
                        << (cols * EngineConfig.BiasBits + col * EngineConfig.RequantLaneBits);
                }
                parameters[op.ParamBase + tile] = p;
            }
            zeroPasses.Set(layer, zero);
        }
        foreach (var op in schedule.Ops.Where(o => o.Opcode == Opcode.AvgPool))
        {
            if (poolRequant is null || !poolRequant.TryGetValue(op.Node, out var rq))
                throw new ScheduleException($"layer '{op.Node}': no requantization for the average pool");
            var p = BigInteger.Zero;
            for (int col = 0; col < cols; col++)
                p |= (new BigInteger(rq.Multiplier) | new BigInteger(rq.Shift) << EngineConfig.MultiplierBits)
                    << (cols * EngineConfig.BiasBits + col * EngineConfig.RequantLaneBits);
            parameters[op.ParamBase] = p;
        }
        EltwiseParameters.Fill(schedule, parameters, operators ?? OperatorParameters.None);
        return new EngineImage(EncodeProgram(schedule), weightBytes, parameters) { ZeroPasses = zeroPasses };
    }

    /// <summary>
    /// A depthwise layer on the depthwise unit: per channel group, K x K weight words (tap
    /// ky*K + kx; lane l is the tap weight of the channel in lane l) and one channel-parameter
    /// word (lane l's bias and (M, S)); lanes that are holes of the input's layout get zero weights,
    /// bias 0 and M = 0, S = 1, so they stay 0 like the holes they mirror.
    /// </summary>
    private static void WriteDepthwise(EngineSchedule schedule, ScheduledOp op, QuantizedConv q, byte[] weightBytes, BigInteger[] parameters)
    {
        var c = schedule.Config;
        int lanes = c.Rows, k = op.Kernel, wordBytes = c.DramWordBytes;
        var logical = op.Input.LogicalChannels(lanes);
        long word = op.WeightBase - schedule.WeightDramBase;
        for (int g = 0; g < op.Input.Groups; g++)
        {
            for (int tap = 0; tap < k * k; tap++, word++)
                for (int lane = 0; lane < lanes; lane++)
                {
                    int ch = logical[g * lanes + lane];
                    if (ch >= 0) weightBytes[word * wordBytes + lane] = (byte)q.Weights[ch * k * k + tap];
                }
            var p = BigInteger.Zero;
            for (int lane = 0; lane < lanes; lane++)
            {
                int ch = logical[g * lanes + lane];
                long bias = ch >= 0 ? q.Bias[ch] : 0;
                long m = ch >= 0 ? q.Requant[ch].Multiplier : 0, s = ch >= 0 ? q.Requant[ch].Shift : 1;
                p |= (new BigInteger(bias) & uint.MaxValue) << (lane * EngineConfig.BiasBits);
                p |= (new BigInteger(m) | new BigInteger(s) << EngineConfig.MultiplierBits)
                    << (c.Cols * EngineConfig.BiasBits + lane * EngineConfig.RequantLaneBits);
            }
            parameters[op.ParamBase + g] = p;
        }
    }

    /// <summary>The program as the fetch unit reads it from DRAM: each word in <see cref="InstructionFormat.DramBytes"/> little-endian bytes.</summary>
    public static byte[] ProgramDram(IReadOnlyList<BigInteger> program, InstructionFormat format)
    {
        var bytes = new byte[program.Count * format.DramBytes];
        for (int i = 0; i < program.Count; i++) ToBytes(program[i], bytes.AsSpan(i * format.DramBytes, format.DramBytes));
        return bytes;
    }

    /// <summary>Activation words (<paramref name="lanes"/> bytes each) laid out in DRAM, one per <paramref name="wordBytes"/>.</summary>
    public static byte[] ToDram(ReadOnlySpan<byte> packed, int lanes, int wordBytes)
    {
        if (lanes == wordBytes) return packed.ToArray();
        int n = packed.Length / lanes;
        var bytes = new byte[n * wordBytes];
        for (int i = 0; i < n; i++) packed.Slice(i * lanes, lanes).CopyTo(bytes.AsSpan(i * wordBytes));
        return bytes;
    }

    /// <summary>The inverse of <see cref="ToDram"/>.</summary>
    public static byte[] FromDram(ReadOnlySpan<byte> dram, int lanes, int wordBytes)
    {
        if (lanes == wordBytes) return dram.ToArray();
        int n = dram.Length / wordBytes;
        var packed = new byte[n * lanes];
        for (int i = 0; i < n; i++) dram.Slice(i * wordBytes, lanes).CopyTo(packed.AsSpan(i * lanes));
        return packed;
    }

    /// <summary>Little-endian bytes -> unsigned word.</summary>
    public static BigInteger FromBytes(ReadOnlySpan<byte> bytes) => new(bytes, isUnsigned: true, isBigEndian: false);

    /// <summary>Unsigned word -> exactly <paramref name="length"/> little-endian bytes.</summary>
    public static void ToBytes(BigInteger word, Span<byte> destination)
    {
        destination.Clear();
        if (word.IsZero) return;
        if (!word.TryWriteBytes(destination, out _, isUnsigned: true, isBigEndian: false))
            throw new ArgumentException($"word does not fit in {destination.Length} bytes");
    }
}
