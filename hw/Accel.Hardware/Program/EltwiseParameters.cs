using System.Numerics;
using Accel.Hardware.Config;
using Accel.Hardware.Schedule;
using Accel.Model.Arithmetic;
using Accel.Model.Quantized;

namespace Accel.Hardware.Program;

/// <summary>
/// The channel-parameter words of the element-wise operators. ADD: lanes 0 and 1 of the word's
/// (M, S) half hold (M_a, S) and (M_b, S) (rule ADD_MULTIPLIERS); every other bit is zero.
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

    internal static void Fill(EngineSchedule schedule, BigInteger[] parameters, OperatorParameters operators)
    {
        foreach (var op in schedule.Ops.Where(o => o.Opcode == Opcode.Eltwise))
        {
            if (!operators.Adds.TryGetValue(op.Node, out var r))
                throw new ScheduleException($"layer '{op.Node}': no add multipliers (M_a, M_b, S)");
            parameters[op.ParamBase] = AddWord(schedule.Config, r);
        }
    }
}
