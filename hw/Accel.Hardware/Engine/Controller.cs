using Accel.Hardware.Config;
using Accel.Hardware.Program;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Engine;

/// <summary>
/// Fetches layer descriptors from the program buffer, starts the unit the opcode names, waits
/// for every unit to go idle, retires the instruction and fetches the next, until END.
/// </summary>
public static class Controller
{
    public const string Name = "accel_controller";
    private const int Idle = 0, Fetch = 1, Decode = 2, Issue = 3, Settle = 4, Exec = 5;

    public static Module Build(EngineConfig c, InstructionFormat format)
    {
        int pgb = c.ProgramAddressBits, ib = format.Bits;
        var op = format["opcode"];
        if (op.Offset != 0) throw new InvalidOperationException("the opcode must be the instruction's lowest field");
        var m = new Module(Name).Describe("Controller: fetch, decode, dispatch, wait, retire; END raises done. insn_o: the operand fields (opcode stripped).");
        var clk = m.Input("clk_i");
        var rstN = m.Input("rst_ni");
        var start = m.Input("start_i");
        var progRdEn = m.Output("prog_rd_en_o");
        var progRdAddr = m.Output("prog_rd_addr_o", pgb);
        var progRdData = m.Input("prog_rd_data_i", ib);
        var insnOut = m.Output("insn_o", ib - op.Width);
        var convStart = m.Output("conv_start_o");
        var poolStart = m.Output("pool_start_o");
        var avgStart = m.Output("avg_start_o");
        var unitBusy = m.Input("unit_busy_i");
        var busy = m.Output("busy_o");
        var done = m.Output("done_o");
        var retire = m.Output("retire_o");

        var state = m.Reg("state", 3, Idle);
        var pc = m.Reg("pc", pgb, 0);
        var insn = m.Reg("insn", ib);
        var doneQ = m.Reg("done", 1, 0);
        var opcode = m.Wire("opcode", insn.Q.Slice(op.Offset + op.Width - 1, op.Offset));
        var issuing = m.Wire("issuing", state.Q.Eq(Issue));
        var isEnd = m.Wire("is_end", opcode.Eq((long)Opcode.End));
        var finished = m.Wire("finished", state.Q.Eq(Exec).And(!unitBusy));

        m.Comb(b =>
        {
            b.Hold(state); b.Hold(pc); b.Hold(insn);
            b.Set(doneQ.D, 0);
            b.If(state.Q.Eq(Idle).And(start), t => { t.Set(state.D, Fetch); t.Set(pc.D, 0); });
            b.If(state.Q.Eq(Fetch), t => t.Set(state.D, Decode));
            b.If(state.Q.Eq(Decode), t => { t.Set(insn.D, progRdData); t.Set(state.D, Issue); });
            b.If(issuing, t => t.If(isEnd, e => { e.Set(state.D, Idle); e.Set(doneQ.D, 1); }, e => e.Set(state.D, Settle)));
            // One cycle for the started unit to raise busy before the controller watches it.
            b.If(state.Q.Eq(Settle), t => t.Set(state.D, Exec));
            b.If(finished, t => { t.Set(state.D, Fetch); t.Set(pc.D, pc.Q + 1); });
        });

        m.Assign(progRdEn, state.Q.Eq(Fetch));
        m.Assign(progRdAddr, pc.Q);
        m.Assign(insnOut, insn.Q.Slice(ib - 1, op.Width));
        m.Assign(convStart, issuing.And(opcode.Eq((long)Opcode.Conv)));
        m.Assign(poolStart, issuing.And(opcode.Eq((long)Opcode.MaxPool)));
        m.Assign(avgStart, issuing.And(opcode.Eq((long)Opcode.AvgPool)));
        m.Assign(busy, state.Q.Ne(Idle));
        m.Assign(done, doneQ.Q);
        m.Assign(retire, finished);
        m.Clocked(clk, rstN);
        return m;
    }
}
