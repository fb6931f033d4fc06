using Accel.Hardware.Config;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Board;

/// <summary>
/// The XDMA board top: the link core behind the AXI4-Stream channels of a Xilinx XDMA IP in
/// AXI-ST mode (64 bits). h2c beats are taken one at a time and their kept bytes (tkeep) fed to
/// the core lowest first, one a clock (tlast is ignored: the byte stream carries its own frames);
/// c2h bytes are packed into beats, lowest lane first, and a beat goes out when it is full or holds
/// a frame's closing flag, which also sets tlast (an XDMA c2h read then returns one frame).
/// An AXI4-Lite slave (independent aw/w handshakes, b after both, r after ar, always OKAY) maps
/// the identification, status and counters, and a control register whose bit 0 resets the board
/// as the RESET command does.
/// </summary>
public static class XdmaBoardTop
{
    public const string Name = "accel_board_xdma";
    public const uint IdValue = 0x4C434341; // "ACCL" read as bytes
    public const int RegId = 0x000, RegVersion = 0x004, RegStatus = 0x008, RegControl = 0x00C,
        RegCyclesLow = 0x010, RegCyclesHigh = 0x014, RegFramesReceived = 0x018, RegFramesDropped = 0x01C;

    public static Module Build(EngineConfig c, BoardConfig board)
    {
        board.Validate();
        var m = new Module(Name).Describe(
            "Board top, XDMA link: framed byte stream over AXI4-Stream h2c/c2h (64-bit, tkeep, tlast on a frame's closing flag),",
            "AXI4-Lite registers (ID, version, status, control, cycles, frame counters); DRAM data and instruction ports.");
        var clk = m.Input("clk_i");
        var rstN = m.Input("rst_ni");
        var idleOut = m.Output("idle_o");
        var p = LinkCore.DeclareDramPorts(m, c);
        var h2cData = m.Input("s_axis_h2c_tdata_i", 64);
        var h2cKeep = m.Input("s_axis_h2c_tkeep_i", 8);
        var h2cLast = m.PartlyUsedWire("h2c_last", 1, "Frames delimit themselves; tlast is ignored.");
        m.Assign(h2cLast, m.Input("s_axis_h2c_tlast_i"));
        var h2cValid = m.Input("s_axis_h2c_tvalid_i");
        var h2cReadyOut = m.Output("s_axis_h2c_tready_o");
        var c2hDataOut = m.Output("m_axis_c2h_tdata_o", 64);
        var c2hKeepOut = m.Output("m_axis_c2h_tkeep_o", 8);
        var c2hLastOut = m.Output("m_axis_c2h_tlast_o");
        var c2hValidOut = m.Output("m_axis_c2h_tvalid_o");
        var c2hReady = m.Input("m_axis_c2h_tready_i");
        var awAddr = m.Input("s_axil_awaddr_i", 12);
        var awValid = m.Input("s_axil_awvalid_i");
        var awReadyOut = m.Output("s_axil_awready_o");
        var wData = m.Input("s_axil_wdata_i", 32);
        var wStrb = m.Input("s_axil_wstrb_i", 4);
        var wValid = m.Input("s_axil_wvalid_i");
        var wReadyOut = m.Output("s_axil_wready_o");
        var bRespOut = m.Output("s_axil_bresp_o", 2);
        var bValidOut = m.Output("s_axil_bvalid_o");
        var bReady = m.Input("s_axil_bready_i");
        var arAddr = m.Input("s_axil_araddr_i", 12);
        var arValid = m.Input("s_axil_arvalid_i");
        var arReadyOut = m.Output("s_axil_arready_o");
        var rDataOut = m.Output("s_axil_rdata_o", 32);
        var rRespOut = m.Output("s_axil_rresp_o", 2);
        var rValidOut = m.Output("s_axil_rvalid_o");
        var rReady = m.Input("s_axil_rready_i");

        // ---- h2c: one beat held, its kept bytes out lowest first ----
        var inData = m.Reg("in_data", 64, 0);
        var inKeep = m.Reg("in_keep", 8, 0);
        var inFull = m.Wire("in_full", inKeep.Q.ReduceOr());
        var h2cTake = m.Wire("h2c_take", h2cValid.And(!inFull));
        // The lowest kept lane, and the keep mask without it.
        Expr lowest = Expr.Lit(3, 7);
        for (int i = 6; i >= 0; i--) lowest = Expr.Mux(inKeep.Q.Bit(i), Expr.Lit(3, i), lowest);
        var lane = m.Wire("in_lane", lowest);
        var laneMask = m.Wire("in_lane_mask", Expr.Lit(8, 1).ShlBy(lane));
        var rxByte = m.Wire("rx_byte", FrameTransmitter.Pick(lane, Enumerable.Range(0, 8).Select(i => (Expr)inData.Q.Slice(8 * i + 7, 8 * i)).ToArray()));
        m.Comb(b =>
        {
            b.Hold(inData); b.Hold(inKeep);
            b.If(inFull, t => t.Set(inKeep.D, inKeep.Q & ~laneMask));
            b.If(h2cTake, t => { t.Set(inData.D, h2cData); t.Set(inKeep.D, h2cKeep); });
        });

        // ---- c2h: bytes packed lowest lane first; a full beat or a closing flag sends it ----
        var outData = m.Reg("out_data", 64, 0);
        var outKeep = m.Reg("out_keep", 8, 0);
        var outLane = m.Reg("out_lane", 3, 0);
        var outValid = m.Reg("out_valid", 1, 0);
        var outLast = m.Reg("out_last", 1, 0);
        var txByte = m.Wire("tx_byte", 8);
        var txValid = m.Wire("tx_valid");
        var txLast = m.Wire("tx_last");
        var txReady = m.Wire("tx_ready", !outValid.Q);
        var txTake = m.Wire("tx_take", txValid.And(txReady));
        var c2hFire = m.Wire("c2h_fire", outValid.Q.And(c2hReady));
        m.Comb(b =>
        {
            foreach (var r in new[] { outData, outKeep, outLane, outValid, outLast }) b.Hold(r);
            b.If(c2hFire, t => { t.Set(outValid.D, 0); t.Set(outKeep.D, 0); t.Set(outLane.D, 0); t.Set(outLast.D, 0); t.Set(outData.D, 0); });
            b.If(txTake, t =>
            {
                for (int i = 0; i < 8; i++)
                {
                    int at = i;
                    t.If(outLane.Q.Eq(at), g => { g.Set(outData.D.Slice(8 * at + 7, 8 * at), txByte); g.Set(outKeep.D.Slice(at, at), Expr.Lit(1, 1)); });
                }
                t.Set(outLane.D, outLane.Q + 1);
                t.If(outLane.Q.Eq(7).Or(txLast), g => { g.Set(outValid.D, 1); g.Set(outLast.D, txLast); });
            });
        });

        // ---- AXI4-Lite ----
        var awFull = m.Reg("aw_full", 1, 0);
        var awAddrQ = m.Reg("aw_addr", 10, 0);
        var wFull = m.Reg("w_full", 1, 0);
        var wDataQ = m.Reg("w_bit0", 1, 0);
        var bValid = m.Reg("b_valid", 1, 0);
        var rValid = m.Reg("r_valid", 1, 0);
        var rData = m.Reg("r_data", 32, 0);
        var softReset = m.Reg("soft_reset", 1, 0);
        var awWord = m.PartlyUsedWire("aw_word", awAddr, "Registers are 32-bit words: the byte offset is ignored.");
        var arWord = m.PartlyUsedWire("ar_word", arAddr, "As aw_word.");
        var wDataW = m.PartlyUsedWire("w_data", wData, "Only the control register's bit 0 is writable.");
        var wStrbW = m.PartlyUsedWire("w_strb", wStrb, "Only byte 0 holds a writable bit.");
        var awTake = m.Wire("aw_take", awValid.And(!awFull.Q));
        var wTake = m.Wire("w_take", wValid.And(!wFull.Q));
        var doWrite = m.Wire("do_write", awFull.Q.And(wFull.Q).And(!bValid.Q));
        var arTake = m.Wire("ar_take", arValid.And(!rValid.Q));

        var coreIdle = m.Wire("core_idle");
        var running = m.Wire("running");
        var done = m.Wire("done");
        var cycles = m.Wire("cycles", 64);
        var framesRx = m.Wire("frames_rx", 32);
        var framesDrop = m.Wire("frames_dropped", 32);
        var idle = m.Wire("idle", coreIdle.And(!inFull).And(!outValid.Q).And(outLane.Q.Eq(0)));
        Expr Word(int byteAddress) => Expr.Lit(10, byteAddress >> 2);
        var readValue = m.Wire("read_value", 32);
        m.Comb(b =>
        {
            b.Set(readValue, 0);
            var w = arWord.Slice(11, 2);
            b.If(w.Eq(Word(RegId)), t => t.Set(readValue, IdValue));
            b.If(w.Eq(Word(RegVersion)), t => t.Set(readValue, LinkController.ProtocolVersion | c.Rows << 8 | c.Cols << 16));
            b.If(w.Eq(Word(RegStatus)), t => t.Set(readValue, Expr.Cat(Expr.Lit(29, 0), idle, done, running)));
            b.If(w.Eq(Word(RegCyclesLow)), t => t.Set(readValue, cycles.Slice(31, 0)));
            b.If(w.Eq(Word(RegCyclesHigh)), t => t.Set(readValue, cycles.Slice(63, 32)));
            b.If(w.Eq(Word(RegFramesReceived)), t => t.Set(readValue, framesRx));
            b.If(w.Eq(Word(RegFramesDropped)), t => t.Set(readValue, framesDrop));
        });
        m.Comb(b =>
        {
            foreach (var r in new[] { awFull, awAddrQ, wFull, wDataQ, bValid, rValid, rData }) b.Hold(r);
            b.Set(softReset.D, 0);
            b.If(awTake, t => { t.Set(awFull.D, 1); t.Set(awAddrQ.D, awWord.Slice(11, 2)); });
            b.If(wTake, t => { t.Set(wFull.D, 1); t.Set(wDataQ.D, wDataW.Bit(0).And(wStrbW.Bit(0))); });
            b.If(doWrite, t =>
            {
                t.Set(awFull.D, 0);
                t.Set(wFull.D, 0);
                t.Set(bValid.D, 1);
                t.If(awAddrQ.Q.Eq(Word(RegControl)).And(wDataQ.Q), g => g.Set(softReset.D, 1));
            });
            b.If(bValid.Q.And(bReady), t => t.Set(bValid.D, 0));
            b.If(arTake, t => { t.Set(rValid.D, 1); t.Set(rData.D, readValue); });
            b.If(rValid.Q.And(rReady), t => t.Set(rValid.D, 0));
        });

        m.Instantiate(LinkCore.Name, "u_core", null, [
            ("clk_i", clk), ("rst_ni", rstN), ("rx_byte_i", rxByte), ("rx_valid_i", inFull), ("rx_err_i", Expr.Lit(1, 0)),
            ("tx_byte_o", txByte), ("tx_valid_o", txValid), ("tx_last_o", txLast), ("tx_ready_i", txReady),
            ("soft_reset_i", softReset.Q), ("idle_o", coreIdle), ("running_o", running), ("done_o", done),
            ("cycles_o", cycles), ("frames_rx_o", framesRx), ("frames_dropped_o", framesDrop),
            .. p.Connections()]);

        m.Assign(h2cReadyOut, !inFull);
        m.Assign(c2hDataOut, outData.Q);
        m.Assign(c2hKeepOut, outKeep.Q);
        m.Assign(c2hLastOut, outLast.Q);
        m.Assign(c2hValidOut, outValid.Q);
        m.Assign(awReadyOut, !awFull.Q);
        m.Assign(wReadyOut, !wFull.Q);
        m.Assign(bRespOut, Expr.Lit(2, 0));
        m.Assign(bValidOut, bValid.Q);
        m.Assign(arReadyOut, !rValid.Q);
        m.Assign(rDataOut, rData.Q);
        m.Assign(rRespOut, Expr.Lit(2, 0));
        m.Assign(rValidOut, rValid.Q);
        m.Assign(idleOut, idle);
        m.Clocked(clk, rstN);
        return m;
    }
}
