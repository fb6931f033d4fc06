using System.Globalization;
using System.Text;

namespace Accel.Hardware.Schedule;

/// <summary>The schedule as a Markdown report: configuration, buffers, and per layer the tiling and predicted cycles.</summary>
public static class ScheduleReport
{
    public static string Markdown(EngineSchedule s)
    {
        var c = s.Config;
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine(inv, $"# Schedule: {s.NetworkName} on a {c.Rows}x{c.Cols} engine");
        sb.AppendLine();
        sb.AppendLine(inv, $"Configuration `{c.Hash()}`, {EngineRtl.GeneratorVersion}, clock {c.ClockMHz} MHz.");
        sb.AppendLine();
        sb.AppendLine("| buffer | depth (words) | word bits | used |");
        sb.AppendLine("|---|---:|---:|---:|");
        sb.AppendLine(inv, $"| activations | {c.ActivationDepth} | {c.ActivationWordBits} | {s.ActivationWords} |");
        sb.AppendLine(inv, $"| weights | {c.WeightDepth} | {c.WeightWordBits} | {s.WeightWords} |");
        sb.AppendLine(inv, $"| channel parameters | {c.ParamDepth} | {c.ParamWordBits} | {s.ParamWords} |");
        sb.AppendLine(inv, $"| program | {c.ProgramDepth} | {s.Format.Bits} | {s.Ops.Count + 1} |");
        sb.AppendLine(inv, $"| accumulator (x2 banks) | {c.AccumulatorDepth} | {c.Cols * c.AccumulatorBits} | |");
        sb.AppendLine();
        sb.AppendLine("| # | layer | op | output | MACs | tiles x bands x passes | predicted cycles | ideal cycles | utilization |");
        sb.AppendLine("|---:|---|---|---|---:|---|---:|---:|---:|");
        for (int i = 0; i < s.Ops.Count; i++)
        {
            var op = s.Ops[i];
            string tiling = op.Opcode == Program.Opcode.Conv ? $"{op.OutputTiles} x {op.Bands} x {op.PassesPerBand}" : "";
            sb.AppendLine(inv, $"| {i} | {op.Node} | {op.Opcode} | {op.Output.Shape} | {op.Macs:N0} | {tiling} | {op.Cost.Cycles:N0} | {op.Cost.IdealCycles:N0} | {op.Cost.Utilization:P1} |");
        }
        double util = s.PredictedCycles == 0 ? 0 : (double)s.IdealCycles / s.PredictedCycles;
        sb.AppendLine();
        sb.AppendLine(inv, $"Total: {s.Macs:N0} MACs, {s.PredictedCycles:N0} predicted cycles ({s.IdealCycles:N0} ideal, utilization {util:P1}), " +
            $"{s.PredictedCycles / (c.ClockMHz * 1e3):F3} ms at {c.ClockMHz} MHz.");
        return sb.ToString();
    }
}
