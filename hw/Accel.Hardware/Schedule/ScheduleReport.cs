using System.Globalization;
using System.Text;
using Accel.Hardware.Program;

namespace Accel.Hardware.Schedule;

/// <summary>
/// The schedule as a Markdown report: configuration, memory model, buffers, the DRAM layout,
/// and per layer its tiling, predicted cycles, DRAM traffic and what bounds it.
/// </summary>
public static class ScheduleReport
{
    public static string Markdown(EngineSchedule s)
    {
        var c = s.Config;
        var mem = s.Memory;
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine(inv, $"# Schedule: {s.NetworkName} on a {c.Rows}x{c.Cols} engine");
        sb.AppendLine();
        sb.AppendLine(inv, $"Configuration `{c.Hash()}`, {EngineRtl.GeneratorVersion}, clock {c.ClockMHz} MHz.");
        sb.AppendLine(inv, $"DRAM port {c.DramBits} bits, bursts of up to {c.DramBurstBeats} beats; memory model: read latency {mem.ReadLatency} cycles, " +
            $"write acknowledgement {mem.WriteLatency} cycles, {mem.BeatsPerCycle:0.###} beat/cycle per direction " +
            $"({mem.BytesPerSecond(c) / 1e6:N0} MB/s each way), {mem.MaxOutstandingReads} reads in flight.");
        sb.AppendLine();
        sb.AppendLine("| buffer | depth (words) | word bits | use |");
        sb.AppendLine("|---|---:|---:|---:|");
        sb.AppendLine(inv, $"| input | {c.InputDepth} | {c.ActivationWordBits} | 2 x {c.InputSlotWords} |");
        sb.AppendLine(inv, $"| output | {c.OutputDepth} | {c.ActivationWordBits} | 2 x {c.OutputSlotWords} |");
        sb.AppendLine(inv, $"| weights | {c.WeightDepth} | {c.WeightWordBits} | cache of chunks of up to {c.WeightSlotWords} |");
        sb.AppendLine(inv, $"| channel parameters | {c.ParamDepth} | {c.ParamWordBits} | {s.ParamWords} used |");
        sb.AppendLine(inv, $"| instruction fetch queue | {c.FetchQueueDepth} | {s.Format.Bits} | program streams from DRAM: {s.Instructions.Count + 1} x {s.Format.DramBytes} B |");
        sb.AppendLine(inv, $"| accumulator | {c.AccumulatorDepth} | {c.Cols * c.AccumulatorBits} | 2 banks |");
        sb.AppendLine();
        sb.AppendLine("## Layers");
        sb.AppendLine();
        sb.AppendLine("| # | layer | op | output | MACs | tiles x passes | stripes x chunks | instructions | predicted cycles | ideal cycles | utilization | DRAM read (B) | DRAM written (B) | compute busy | memory busy | bound |");
        sb.AppendLine("|---:|---|---|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        for (int i = 0; i < s.Ops.Count; i++)
        {
            var op = s.Ops[i];
            string tiling = op.Opcode switch
            {
                Opcode.Conv => $"{op.OutputTiles} x {op.PassesPerBand}",
                // The depthwise unit: channel groups x taps (one weight word each).
                Opcode.DwConv => $"{op.Input.Groups} groups x {op.Kernel * op.Kernel}",
                _ => "",
            };
            string stripes = op.Opcode is Opcode.Conv or Opcode.DwConv ? $"{op.Stripes} x {op.WeightChunks}" : $"{op.Stripes}";
            sb.AppendLine(inv, $"| {i} | {op.Node} | {op.Opcode} | {op.Output.Shape} | {op.Macs:N0} | {tiling} | {stripes} | {op.Instructions} | " +
                $"{op.Cost.Cycles:N0} | {op.Cost.IdealCycles:N0} | {op.Cost.Utilization:P1} | {op.DramReadBytes:N0} | {op.DramWriteBytes:N0} | " +
                $"{op.ComputeCycles:N0} | {op.MemoryCycles:N0} | {op.Bound.ToString().ToLowerInvariant()} |");
        }
        double util = s.PredictedCycles == 0 ? 0 : (double)s.IdealCycles / s.PredictedCycles;
        sb.AppendLine();
        sb.AppendLine(inv, $"Total: {s.Macs:N0} MACs, {s.PredictedCycles:N0} predicted cycles ({s.IdealCycles:N0} ideal, utilization {util:P1}), " +
            $"{s.PredictedCycles / (c.ClockMHz * 1e3):F3} ms = {c.ClockMHz * 1e6 / Math.Max(1, s.PredictedCycles):F1} frames/s at {c.ClockMHz} MHz; " +
            $"DRAM traffic {s.DramReadBytes:N0} B read, {s.DramWriteBytes:N0} B written; {s.Instructions.Count + 1} instructions.");
        sb.AppendLine();
        sb.AppendLine("A layer's cycles run from the previous layer's last compute instruction finishing to its own; the bound compares the");
        sb.AppendLine("compute unit's busy cycles with the busier DRAM channel's (loads or stores) for that layer's instructions.");
        sb.AppendLine();
        sb.AppendLine("## DRAM layout");
        sb.AppendLine();
        sb.AppendLine(inv, $"Words of {c.DramWordBytes} bytes; a tensor is stored as channel groups of {c.Lanes} (one word per pixel), plane after plane.");
        sb.AppendLine();
        sb.AppendLine("| tensor | shape | groups | byte address | bytes | part of |");
        sb.AppendLine("|---|---|---:|---:|---:|---|");
        foreach (var t in s.Tensors.Values.OrderBy(t => t.Base).ThenBy(t => t.Name, StringComparer.Ordinal))
            sb.AppendLine(inv, $"| {t.Name} | {t.Shape} | {t.Groups} | 0x{t.Base * c.DramWordBytes:x8} | {(long)t.Words * c.DramWordBytes:N0} | {(t.Owner ?? "")} |");
        sb.AppendLine(inv, $"| weights | | | 0x{s.WeightDramBase * c.DramWordBytes:x8} | {s.WeightWords * c.DramWordBytes:N0} | |");
        sb.AppendLine(inv, $"| program | | | 0x{s.ProgramDramBase:x8} | {s.ProgramBytes:N0} | |");
        return sb.ToString();
    }
}
