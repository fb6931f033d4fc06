using System.Numerics;
using Accel.Hardware.Config;
using Accel.Hardware.Engine;
using Accel.Hardware.Schedule;
using Accel.Model.Arithmetic;
using Accel.Model.Networks;
using Accel.Model.Quantized;

namespace Accel.Hardware.Program;

/// <summary>
/// The channel-parameter words of the element-wise operators. ADD: lanes 0 and 1 of the word's
/// (M, S) half hold (M_a, S) and (M_b, S) (rule ADD_MULTIPLIERS); every other bit is zero. SCALE: lane 0
/// holds its (M, S). LOOKUP: the table's bytes; GATHER: one word per output group and read.
/// </summary>
public static class EltwiseParameters
{
    public static BigInteger AddWord(EngineConfig c, AddRequant r)
    {
        if (r.MultiplierA is < 0 or > ushort.MaxValue || r.MultiplierB is < 0 or > ushort.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(r), $"add multipliers {r.MultiplierA}, {r.MultiplierB} exceed {EngineConfig.MultiplierBits} bits");
        if (r.Shift is < Int8Arithmetic.MinShift or > Int8Arithmetic.MaxShift)
            throw new ArgumentOutOfRangeException(nameof(r), $"add shift {r.Shift} is outside {Int8Arithmetic.MinShift}..{Int8Arithmetic.MaxShift}");
        int half = c.Cols * EngineConfig.BiasBits, lane = EngineConfig.RequantLaneBits;
        var s = new BigInteger(r.Shift) << EngineConfig.MultiplierBits;
        return ((new BigInteger(r.MultiplierA) | s) << half) | ((new BigInteger(r.MultiplierB) | s) << (half + lane));
    }

    /// <summary>An activation table as parameter words: entry v at byte v mod E of word v / E of the (M, S) half (E = <see cref="EltwiseUnit.TableEntries"/>).</summary>
    public static BigInteger[] TableWords(EngineConfig c, IReadOnlyList<int> table)
    {
        if (table.Count != EltwiseUnit.TableSize)
            throw new ArgumentException($"an activation table has {EltwiseUnit.TableSize} entries, got {table.Count}");
        int entries = EltwiseUnit.TableEntries(c), half = c.Cols * EngineConfig.BiasBits;
        var words = new BigInteger[EltwiseUnit.TableWords(c)];
        for (int v = 0; v < table.Count; v++)
        {
            if (table[v] is < Int8Arithmetic.ActivationMin or > Int8Arithmetic.UnsignedMax)
                throw new ArgumentOutOfRangeException(nameof(table), $"activation table entry {v} = {table[v]} is not a stored byte");
            words[v / entries] |= new BigInteger(table[v] & 0xFF) << (half + 8 * (v % entries));
        }
        return words;
    }

    /// <summary>A gather read in the (M, S) half: source group (DimBits), take mask (a bit per lane), then each lane's source lane.</summary>
    internal static BigInteger GatherWord(EngineConfig c, EltwiseTiling.GatherRead read)
    {
        int half = c.Cols * EngineConfig.BiasBits, d = EngineConfig.DimBits, lb = GatherUnit.LaneBits(c);
        var w = new BigInteger(read.SourceGroup);
        for (int l = 0; l < c.Rows; l++)
        {
            if (read.Take[l]) w |= BigInteger.One << (d + l);
            w |= new BigInteger(read.SourceLane[l]) << (d + c.Rows + l * lb);
        }
        return w << half;
    }

    internal static void Fill(EngineSchedule schedule, BigInteger[] parameters, OperatorParameters operators)
    {
        var kinds = schedule.Nodes.ToDictionary(n => n.Name, n => n.Op, StringComparer.Ordinal);
        foreach (var op in schedule.Ops.Where(o => o.Opcode == Opcode.Eltwise))
        {
            if (kinds[op.Node] is ChannelShuffleLayer or ChannelSliceLayer)
            {
                var node = schedule.Nodes.First(x => x.Name == op.Node);
                var groups = EltwiseTiling.GatherReads(schedule.Config, node, op.Input, op.Output);
                int word = op.ParamBase;
                foreach (var reads in groups)
                    foreach (var read in reads) parameters[word++] = GatherWord(schedule.Config, read);
                continue;
            }
            if (kinds[op.Node] is ActivationLayer)
            {
                if (!operators.ActivationTables.TryGetValue(op.Node, out var table))
                    throw new ScheduleException($"layer '{op.Node}': no activation table");
                var words = TableWords(schedule.Config, table);
                for (int i = 0; i < words.Length; i++) parameters[op.ParamBase + i] = words[i];
                continue;
            }
            if (kinds[op.Node] is AvgPoolLayer avg)
            {
                if (!operators.AvgPools.TryGetValue(op.Node, out var table) || table.Length != avg.KernelSize * avg.KernelSize)
                    throw new ScheduleException($"layer '{op.Node}': no (M, S) for each of the {avg.KernelSize * avg.KernelSize} tap counts of the average pool");
                int half = schedule.Config.Cols * EngineConfig.BiasBits;
                for (int n = 0; n < table.Length; n++)
                {
                    var pair = new BigInteger(table[n].Multiplier) | new BigInteger(table[n].Shift) << EngineConfig.MultiplierBits;
                    var word = BigInteger.Zero;
                    for (int col = 0; col < schedule.Config.Cols; col++) word |= pair << (half + col * EngineConfig.RequantLaneBits);
                    parameters[op.ParamBase + n] = word;
                }
                continue;
            }
            if (kinds[op.Node] is ScaleLayer)
            {
                if (!operators.Scales.TryGetValue(op.Node, out var sr))
                    throw new ScheduleException($"layer '{op.Node}': no scale multiplier (M, S)");
                parameters[op.ParamBase] = AddWord(schedule.Config, new AddRequant(sr.Multiplier, 0, sr.Shift));
                continue;
            }
            if (!operators.Adds.TryGetValue(op.Node, out var r))
                throw new ScheduleException($"layer '{op.Node}': no add multipliers (M_a, M_b, S)");
            parameters[op.ParamBase] = AddWord(schedule.Config, r);
        }
    }
}
