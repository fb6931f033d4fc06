using Accel.Hardware.Config;
using Accel.Hardware.Program;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Engine;

/// <summary>
/// Takes instructions in order from the fetch queue and issues each to its unit (load, compute, store), which then
/// run concurrently. An instruction issues when its unit is free and every unit has completed
/// at least the number of instructions its wait fields name; the unit gets its own copy of the
/// instruction and a start pulse the cycle after. END waits for every unit, then raises done.
/// </summary>
public static class Controller
{
    public const string Name = "accel_controller";
    private const int Idle = 0, Fetch = 1, Decode = 2, Issue = 3;
    private static readonly string[] UnitNames = ["load", "compute", "store"];

    public static Module Build(EngineConfig c, InstructionFormat format)
    {
        int ib = format.Bits, wb = InstructionFormat.WaitBits;
        var op = format["opcode"];
        if (op.Offset != 0) throw new InvalidOperationException("the opcode must be the instruction's lowest field");
        var m = new Module(Name).Describe(
            "Controller: in-order issue from the fetch queue to three concurrent units (load, compute, store).",
            "Issue waits for the unit to be free and for the completion counts in the wait fields; END waits for all.");
        var clk = m.Input("clk_i");
        var rstN = m.Input("rst_ni");
        var start = m.Input("start_i");
        var insnValid = m.Input("insn_valid_i");
        var insnPop = m.Output("insn_pop_o");
        var insnData = m.Input("insn_i", ib);
        var busyIn = new Sig[3];
        var startOut = new Sig[3];
        var insnOut = new Sig[3];
        var doneOut = new Sig[3];
        for (int u = 0; u < 3; u++)
        {
            busyIn[u] = m.Input($"{UnitNames[u]}_busy_i");
            startOut[u] = m.Output($"{UnitNames[u]}_start_o");
            insnOut[u] = m.Output($"{UnitNames[u]}_insn_o", ib);
            doneOut[u] = m.Output($"{UnitNames[u]}_done_o");
        }
        var busy = m.Output("busy_o");
        var done = m.Output("done_o");

        var state = m.Reg("state", 2, Idle);
        var insn = m.Reg("insn", ib);
        var doneQ = m.Reg("done", 1, 0);
        var opcode = m.Wire("opcode", insn.Q.Slice(op.Offset + op.Width - 1, op.Offset));
        var isEnd = m.Wire("is_end", opcode.Eq((long)Opcode.End));

        var running = new Register[3];
        var settle = new Register[3];
        var count = new Register[3];
        var unitInsn = new Register[3];
        var unitStart = new Register[3];
        var completing = new Sig[3];
        for (int u = 0; u < 3; u++)
        {
            running[u] = m.Reg($"{UnitNames[u]}_running", 1, 0);
            settle[u] = m.Reg($"{UnitNames[u]}_settle", 1, 0);
            count[u] = m.Reg($"{UnitNames[u]}_count", wb, 0);
            unitInsn[u] = m.Reg($"{UnitNames[u]}_insn", ib);
            unitStart[u] = m.Reg($"{UnitNames[u]}_start", 1, 0);
            // The unit raises busy the cycle after its start pulse: until then (settle) it is not done.
            completing[u] = m.Wire($"{UnitNames[u]}_completing", running[u].Q.And(!settle[u].Q).And(!unitStart[u].Q).And(!busyIn[u]));
        }
        var waitsMet = m.Wire("waits_met", Expr.Cat(
            count[0].Q.Ge(Field(insn.Q, format["wait_load"])),
            count[1].Q.Ge(Field(insn.Q, format["wait_compute"])),
            count[2].Q.Ge(Field(insn.Q, format["wait_store"]))).ReduceAnd());
        var forLoad = m.Wire("for_load", opcode.Eq((long)Opcode.Load));
        var forStore = m.Wire("for_store", opcode.Eq((long)Opcode.Store));
        var forCompute = m.Wire("for_compute", (!isEnd).And(!forLoad).And(!forStore));
        var allIdle = m.Wire("all_idle", (!running[0].Q).And(!running[1].Q).And(!running[2].Q));
        var unitFree = m.Wire("unit_free", Expr.Mux(forLoad, !running[0].Q, Expr.Mux(forStore, !running[2].Q, Expr.Mux(forCompute, !running[1].Q, allIdle))));
        var go = m.Wire("go", state.Q.Eq(Issue).And(waitsMet).And(unitFree));
        var issueTo = new[] { go.And(forLoad), go.And(forCompute), go.And(forStore) };

        m.Comb(b =>
        {
            b.Hold(state); b.Hold(insn);
            b.Set(doneQ.D, 0);
            b.If(state.Q.Eq(Idle).And(start), t => t.Set(state.D, Fetch));
            // Fetch waits for the queue; the popped word is read out during Decode.
            b.If(state.Q.Eq(Fetch).And(insnValid), t => t.Set(state.D, Decode));
            b.If(state.Q.Eq(Decode), t => { t.Set(insn.D, insnData); t.Set(state.D, Issue); });
            b.If(go, t => t.If(isEnd, e => { e.Set(state.D, Idle); e.Set(doneQ.D, 1); }, e => e.Set(state.D, Fetch)));
            for (int u = 0; u < 3; u++)
            {
                int unit = u;
                b.Hold(running[u]); b.Hold(count[u]); b.Hold(unitInsn[u]);
                b.Set(settle[u].D, 0);
                b.Set(unitStart[u].D, issueTo[u]);
                b.If(issueTo[u], t => { t.Set(running[unit].D, 1); t.Set(settle[unit].D, 1); t.Set(unitInsn[unit].D, insn.Q); });
                b.If(completing[u], t => { t.Set(running[unit].D, 0); t.Set(count[unit].D, count[unit].Q + 1); });
                // A new program starts its counts from zero.
                b.If(state.Q.Eq(Idle).And(start), t => t.Set(count[unit].D, 0));
            }
        });

        m.Assign(insnPop, state.Q.Eq(Fetch).And(insnValid));
        for (int u = 0; u < 3; u++)
        {
            m.Assign(startOut[u], unitStart[u].Q);
            m.Assign(insnOut[u], unitInsn[u].Q);
            m.Assign(doneOut[u], completing[u]);
        }
        m.Assign(busy, state.Q.Ne(Idle));
        m.Assign(done, doneQ.Q);
        m.Clocked(clk, rstN);
        return m;
    }

    private static Expr Field(Expr word, InstructionField f) => word.Slice(f.Offset + f.Width - 1, f.Offset);
}
