using Accel.Hardware.Config;
using Accel.Hardware.Program;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Engine;

/// <summary>
/// The instruction fetch unit: streams the program from DRAM over its own read port into a
/// small queue the controller pops. The program is a run of instruction words, each
/// <see cref="InstructionFormat.DramBeats"/> beats (lowest bits first), from a host-set byte
/// address for a host-set number of bytes. Whole bursts are requested ahead, but only as many
/// beats as the queue has room for once every word already requested has arrived, so read data
/// never needs back-pressure. Keeping the program off chip is what lets the engine fit a small
/// FPGA: a SqueezeNet program is thousands of ~430-bit words.
/// </summary>
public static class InstructionFetch
{
    public const string Name = "accel_insn_fetch";

    public static Module Build(EngineConfig c, InstructionFormat format)
    {
        int ib = format.Bits, beats = format.DramBeats, dramBits = c.DramBits, beatBytes = dramBits / 8;
        int da = EngineConfig.DramAddressBits, bb = c.BurstCountBits, qa = c.FetchQueueAddressBits;
        int capacity = c.FetchQueueDepth * beats;
        int beatShift = EngineConfig.Log2Ceil(beatBytes);
        var m = new Module(Name).Describe(
            "Instruction fetch: the program streams from DRAM (own read port) into a queue the controller pops.",
            "Bursts are requested only while the queue has room for every beat in flight.");
        var clk = m.Input("clk_i");
        var rstN = m.Input("rst_ni");
        var start = m.Input("start_i");
        var progAddr = m.Input("prog_addr_i", da);
        var progBytesIn = m.Input("prog_bytes_i", da);
        var reqValid = m.Output("rd_req_valid_o");
        var reqReady = m.Input("rd_req_ready_i");
        var reqAddr = m.Output("rd_req_addr_o", da);
        var reqBeats = m.Output("rd_req_beats_o", bb);
        var dataValid = m.Input("rd_data_valid_i");
        var data = m.Input("rd_data_i", dramBits);
        var insnValid = m.Output("insn_valid_o");
        var insnPop = m.Input("insn_pop_i");
        var insnOut = m.Output("insn_o", ib);

        // ---- requester ----
        var addr = m.Reg("addr", da, 0);
        var left = m.Reg("beats_left", da, 0);
        var credit = BeatCredit.Declare(m, capacity);
        var burstMax = Expr.Lit(da, c.DramBurstBeats);
        var lastBurst = m.Wire("last_burst", left.Q.Le(burstMax));
        var burst = m.Wire("burst", Expr.Mux(lastBurst, left.Q.Fit(bb), Expr.Lit(bb, c.DramBurstBeats)));
        var requesting = m.Wire("requesting", left.Q.Ne(0).And(credit.Covers(burst)));
        var fire = m.Wire("req_fire", requesting.And(reqReady));
        var progBytes = beatShift == 0 ? progBytesIn
            : m.PartlyUsedWire("prog_bytes", progBytesIn, "The program is whole beats: the bytes below one beat are not counted.");
        var programBeats = m.Wire("program_beats", beatShift == 0 ? progBytes : Expr.Cat(Expr.Lit(beatShift, 0), progBytes.Slice(da - 1, beatShift)));

        // ---- assembler: beats shift in from the top, so after the last one the first is lowest ----
        var beat = beats > 1 ? m.Reg("beat", EngineConfig.Log2Ceil(beats), 0) : null;
        var word = beats > 1 ? m.Reg("word", (beats - 1) * dramBits) : null;
        Sig shifted = beats == 1 ? data : m.Wire("shifted", Expr.Cat(data, word!.Q));
        Expr assembled = shifted.Width == ib ? shifted
            : m.PartlyUsedWire("beats_in", shifted, "An instruction narrower than its beats uses their low bits.").Slice(ib - 1, 0);
        var lastBeat = beats == 1 ? Expr.Lit(1, 1) : beat!.Q.Eq(beats - 1);
        var push = m.Wire("push", dataValid.And(lastBeat));

        // ---- queue ----
        var wrPtr = m.Reg("wr_ptr", qa, 0);
        var rdPtr = m.Reg("rd_ptr", qa, 0);
        var count = m.Reg("count", qa + 1, 0);
        var pop = m.Wire("pop", insnPop.And(count.Q.Ne(0)));

        m.Comb(b =>
        {
            foreach (var r in new[] { addr, left, beat, word, wrPtr, rdPtr, count })
                if (r is not null) b.Hold(r);
            b.If(fire, t =>
            {
                t.Set(addr.D, addr.Q + (burst.Zext(da) * Expr.Lit(da, beatBytes)));
                t.Set(left.D, left.Q - burst.Zext(da));
            });
            // A request spends its beats' credit; a pop returns a whole instruction's.
            credit.Update(b, fire, burst, Expr.Mux(pop, Expr.Lit(credit.Bits, beats), Expr.Lit(credit.Bits, 0)));
            b.If(dataValid, t =>
            {
                if (word is not null && beat is not null)
                {
                    t.Set(word.D, shifted.Slice(beats * dramBits - 1, dramBits));
                    t.Set(beat.D, Expr.Mux(lastBeat, Expr.Lit(beat.Q.Width, 0), beat.Q + 1));
                }
            });
            b.If(push, t => t.Set(wrPtr.D, wrPtr.Q + 1));
            b.If(pop, t => t.Set(rdPtr.D, rdPtr.Q + 1));
            b.Set(count.D, count.Q + Expr.Mux(push, Expr.Lit(qa + 1, 1), Expr.Lit(qa + 1, 0)) - Expr.Mux(pop, Expr.Lit(qa + 1, 1), Expr.Lit(qa + 1, 0)));
            // A run starts with an empty queue and the whole program to request; the previous run
            // ended on END, its last word, so nothing of it is still in flight.
            b.If(start, t =>
            {
                t.Set(addr.D, progAddr);
                t.Set(left.D, programBeats);
                credit.Restart(t);
                if (beat is not null) t.Set(beat.D, 0);
                t.Set(wrPtr.D, 0); t.Set(rdPtr.D, 0); t.Set(count.D, 0);
            });
        });

        m.Instantiate("sdp_ram", "u_queue", new Dictionary<string, long> { ["WIDTH"] = ib, ["DEPTH"] = c.FetchQueueDepth, ["ADDR_BITS"] = qa, ["DISTRIBUTED"] = 1 },
            ("clk_i", clk), ("wr_en_i", push), ("wr_addr_i", wrPtr.Q), ("wr_data_i", assembled),
            ("rd_en_i", pop), ("rd_addr_i", rdPtr.Q), ("rd_data_o", insnOut));
        m.Assign(reqValid, requesting);
        m.Assign(reqAddr, addr.Q);
        m.Assign(reqBeats, burst);
        m.Assign(insnValid, count.Q.Ne(0));
        m.Clocked(clk, rstN);
        return m;
    }
}
