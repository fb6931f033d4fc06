using Accel.Hardware.Config;
using Accel.Hardware.Engine;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Board;

/// <summary>
/// The board link around the engine, independent of the line: frame receiver, link controller,
/// frame transmitter and accel_top, with byte streams in (a byte any clock, never stalled) and out
/// (valid/ready, last_o on a frame's closing flag). The DRAM data port is the engine's, or the
/// controller's while it executes WRITE_MEM/READ_MEM (the engine is idle then); the engine's
/// writes carry full strobes. The core counts the engine's DRAM traffic in flight (read beats
/// requested and not delivered, write beats not acknowledged, instruction beats), so a RESET can
/// hold back the engine's new requests (drain) and wait until nothing is in flight before it holds
/// the engine in reset.
/// </summary>
public static class LinkCore
{
    public const string Name = "accel_link_core";
    private const int InFlightBits = 16;

    /// <summary>The DRAM data and instruction ports, as accel_top has them plus write strobes.</summary>
    internal sealed record DramPorts(Sig RdReqValid, Sig RdReqReady, Sig RdReqAddr, Sig RdReqBeats, Sig RdValid, Sig RdData,
        Sig WrValid, Sig WrReady, Sig WrAddr, Sig WrData, Sig WrStrb, Sig WrAck,
        Sig InsnReqValid, Sig InsnReqReady, Sig InsnReqAddr, Sig InsnReqBeats, Sig InsnValid, Sig InsnData)
    {
        public (string, Expr?)[] Connections() =>
        [
            ("dram_rd_req_valid_o", RdReqValid), ("dram_rd_req_ready_i", RdReqReady), ("dram_rd_req_addr_o", RdReqAddr),
            ("dram_rd_req_beats_o", RdReqBeats), ("dram_rd_valid_i", RdValid), ("dram_rd_data_i", RdData),
            ("dram_wr_valid_o", WrValid), ("dram_wr_ready_i", WrReady), ("dram_wr_addr_o", WrAddr), ("dram_wr_data_o", WrData),
            ("dram_wr_strb_o", WrStrb), ("dram_wr_ack_i", WrAck),
            ("insn_rd_req_valid_o", InsnReqValid), ("insn_rd_req_ready_i", InsnReqReady), ("insn_rd_req_addr_o", InsnReqAddr),
            ("insn_rd_req_beats_o", InsnReqBeats), ("insn_rd_valid_i", InsnValid), ("insn_rd_data_i", InsnData),
        ];
    }

    /// <summary>Declares the board's DRAM and instruction ports on <paramref name="m"/> (exact names of docs/board.md).</summary>
    internal static DramPorts DeclareDramPorts(Module m, EngineConfig c)
    {
        int da = EngineConfig.DramAddressBits;
        return new DramPorts(
            m.Output("dram_rd_req_valid_o"), m.Input("dram_rd_req_ready_i"), m.Output("dram_rd_req_addr_o", da), m.Output("dram_rd_req_beats_o", c.BurstCountBits),
            m.Input("dram_rd_valid_i"), m.Input("dram_rd_data_i", c.DramBits),
            m.Output("dram_wr_valid_o"), m.Input("dram_wr_ready_i"), m.Output("dram_wr_addr_o", da), m.Output("dram_wr_data_o", c.DramBits),
            m.Output("dram_wr_strb_o", c.DramBits / 8), m.Input("dram_wr_ack_i"),
            m.Output("insn_rd_req_valid_o"), m.Input("insn_rd_req_ready_i"), m.Output("insn_rd_req_addr_o", da), m.Output("insn_rd_req_beats_o", c.BurstCountBits),
            m.Input("insn_rd_valid_i"), m.Input("insn_rd_data_i", c.DramBits));
    }

    public static Module Build(EngineConfig c, BoardConfig board)
    {
        board.Validate();
        int da = EngineConfig.DramAddressBits, bb = c.BurstCountBits, dramBits = c.DramBits, lanes = dramBits / 8;
        int hostBits = Top.HostBits(c), ob = FrameReceiver.OffsetBits, rab = FrameTransmitter.ResponseAddressBits;
        var m = new Module(Name).Describe(
            "Board link core: frame receiver, link controller, frame transmitter and the engine;",
            "the DRAM data port is the engine's, or the controller's during WRITE_MEM/READ_MEM.");
        var clk = m.Input("clk_i");
        var rstN = m.Input("rst_ni");
        var rxByte = m.Input("rx_byte_i", 8);
        var rxValid = m.Input("rx_valid_i");
        var rxErr = m.Input("rx_err_i");
        var txByteOut = m.Output("tx_byte_o", 8);
        var txValidOut = m.Output("tx_valid_o");
        var txLastOut = m.Output("tx_last_o");
        var txReady = m.Input("tx_ready_i");
        var softReset = m.Input("soft_reset_i");
        var idleOut = m.Output("idle_o");
        var runningOut = m.Output("running_o");
        var doneOut = m.Output("done_o");
        var cyclesOut = m.Output("cycles_o", 64);
        var framesRxOut = m.Output("frames_rx_o", 32);
        var framesDropOut = m.Output("frames_dropped_o", 32);
        var p = DeclareDramPorts(m, c);

        // ---- frame receiver ----
        var frameValid = m.Wire("frame_valid");
        var head = m.Wire("head", FrameReceiver.HeadBytes * 8);
        var reqCrc = m.Wire("req_crc", 32);
        var release = m.Wire("rx_release");
        var rxRdEn = m.Wire("rx_rd_en");
        var rxRdAddr = m.Wire("rx_rd_addr", ob);
        var rxRdData = m.Wire("rx_rd_data", 8);
        var drop = m.Wire("drop");
        m.Instantiate(FrameReceiver.Name, "u_frame_rx", null,
            ("clk_i", clk), ("rst_ni", rstN), ("byte_i", rxByte), ("valid_i", rxValid), ("line_err_i", rxErr), ("release_i", release),
            ("frame_valid_o", frameValid), ("head_o", head), ("crc_o", reqCrc),
            ("rd_en_i", rxRdEn), ("rd_addr_i", rxRdAddr), ("rd_data_o", rxRdData), ("drop_o", drop));

        // ---- frame transmitter ----
        var txStart = m.Wire("tx_start");
        var txCmd = m.Wire("tx_cmd", 8);
        var txFlags = m.Wire("tx_flags", 8);
        var txSeq = m.Wire("tx_seq", 16);
        var txLen = m.Wire("tx_len", 16);
        var txBusy = m.Wire("tx_busy");
        var respRdEn = m.Wire("resp_rd_en");
        var respRdAddr = m.Wire("resp_rd_addr", rab);
        var respRdData = m.Wire("resp_rd_data", 8);
        m.Instantiate(FrameTransmitter.Name, "u_frame_tx", null,
            ("clk_i", clk), ("rst_ni", rstN), ("start_i", txStart), ("cmd_i", txCmd), ("flags_i", txFlags), ("seq_i", txSeq), ("len_i", txLen),
            ("rd_en_o", respRdEn), ("rd_addr_o", respRdAddr), ("rd_data_i", respRdData),
            ("byte_o", txByteOut), ("valid_o", txValidOut), ("last_o", txLastOut), ("ready_i", txReady), ("busy_o", txBusy));

        // ---- engine ----
        var hostWrEn = m.Wire("host_wr_en");
        var hostWrMem = m.Wire("host_wr_mem");
        var hostWrAddr = m.Wire("host_wr_addr", Top.HostAddressBits);
        var hostWrData = m.Wire("host_wr_data", hostBits);
        var engStart = m.Wire("eng_start");
        var engRstNFromCtrl = m.Wire("ctrl_engine_rst_n");
        var engRstN = m.Wire("eng_rst_n", rstN.And(engRstNFromCtrl));
        var engBusy = m.Wire("eng_busy");
        var engDone = m.Wire("eng_done");
        var loadDone = m.Wire("load_done");
        var computeDone = m.Wire("compute_done");
        var storeDone = m.Wire("store_done");
        var activeCycles = m.Wire("active_cycles", 32);
        var loadCycles = m.PartlyUsedWire("load_busy_cycles", 32, "The cosim harness times loads with it; the board does not.");
        var eRdReqValid = m.Wire("eng_rd_req_valid");
        var eRdReqAddr = m.Wire("eng_rd_req_addr", da);
        var eRdReqBeats = m.Wire("eng_rd_req_beats", bb);
        var eWrValid = m.Wire("eng_wr_valid");
        var eWrAddr = m.Wire("eng_wr_addr", da);
        var eWrData = m.Wire("eng_wr_data", dramBits);
        var eInsnReqValid = m.Wire("eng_insn_req_valid");

        var sel = m.Wire("dram_sel");
        var drain = m.Wire("drain");
        var open = m.Wire("engine_open", (!sel).And(!drain));
        var eRdReqReady = m.Wire("eng_rd_req_ready", p.RdReqReady.And(open));
        var eRdValid = m.Wire("eng_rd_valid", p.RdValid.And(!sel));
        var eWrReady = m.Wire("eng_wr_ready", p.WrReady.And(open));
        var eWrAck = m.Wire("eng_wr_ack", p.WrAck.And(!sel));
        var eInsnReqReady = m.Wire("eng_insn_req_ready", p.InsnReqReady.And(!drain));
        m.Instantiate(Top.Name, "u_engine", null,
            ("clk_i", clk), ("rst_ni", engRstN), ("host_wr_en_i", hostWrEn), ("host_wr_mem_i", hostWrMem), ("host_wr_addr_i", hostWrAddr),
            ("host_wr_data_i", hostWrData), ("start_i", engStart), ("busy_o", engBusy), ("done_o", engDone),
            ("load_done_o", loadDone), ("compute_done_o", computeDone), ("store_done_o", storeDone),
            ("active_cycles_o", activeCycles), ("load_busy_cycles_o", loadCycles),
            ("dram_rd_req_valid_o", eRdReqValid), ("dram_rd_req_ready_i", eRdReqReady), ("dram_rd_req_addr_o", eRdReqAddr), ("dram_rd_req_beats_o", eRdReqBeats),
            ("dram_rd_valid_i", eRdValid), ("dram_rd_data_i", p.RdData),
            ("dram_wr_valid_o", eWrValid), ("dram_wr_ready_i", eWrReady), ("dram_wr_addr_o", eWrAddr), ("dram_wr_data_o", eWrData), ("dram_wr_ack_i", eWrAck),
            ("insn_rd_req_valid_o", eInsnReqValid), ("insn_rd_req_ready_i", eInsnReqReady), ("insn_rd_req_addr_o", p.InsnReqAddr),
            ("insn_rd_req_beats_o", p.InsnReqBeats), ("insn_rd_valid_i", p.InsnValid), ("insn_rd_data_i", p.InsnData));

        // ---- the engine's DRAM traffic in flight ----
        var rdOut = m.Reg("rd_in_flight", InFlightBits, 0);
        var wrOut = m.Reg("wr_in_flight", InFlightBits, 0);
        var insnOut = m.Reg("insn_in_flight", InFlightBits, 0);
        Expr Beats(Expr fire, Expr beats) => Expr.Mux(fire, beats.Zext(InFlightBits), Expr.Lit(InFlightBits, 0));
        Expr One(Expr when) => Expr.Mux(when, Expr.Lit(InFlightBits, 1), Expr.Lit(InFlightBits, 0));
        var eRdFire = m.Wire("eng_rd_fire", eRdReqValid.And(eRdReqReady));
        var eWrFire = m.Wire("eng_wr_fire", eWrValid.And(eWrReady));
        var eInsnFire = m.Wire("eng_insn_fire", eInsnReqValid.And(eInsnReqReady));
        m.Assign(rdOut.D, rdOut.Q + Beats(eRdFire, eRdReqBeats) - One(eRdValid));
        m.Assign(wrOut.D, wrOut.Q + One(eWrFire) - One(eWrAck));
        m.Assign(insnOut.D, insnOut.Q + Beats(eInsnFire, p.InsnReqBeats) - One(p.InsnValid));
        var quiet = m.Wire("quiet", rdOut.Q.Eq(0).And(wrOut.Q.Eq(0)).And(insnOut.Q.Eq(0)));

        // ---- link controller ----
        var lRdReqValid = m.Wire("link_rd_req_valid");
        var lRdReqAddr = m.Wire("link_rd_req_addr", da);
        var lRdReqBeats = m.Wire("link_rd_req_beats", bb);
        var lWrValid = m.Wire("link_wr_valid");
        var lWrAddr = m.Wire("link_wr_addr", da);
        var lWrData = m.Wire("link_wr_data", dramBits);
        var lWrStrb = m.Wire("link_wr_strb", lanes);
        var ctrlIdle = m.Wire("ctrl_idle");
        var running = m.Wire("running");
        m.Instantiate(LinkController.Name, "u_ctrl", null,
            ("clk_i", clk), ("rst_ni", rstN),
            ("frame_valid_i", frameValid), ("head_i", head), ("crc_i", reqCrc), ("release_o", release),
            ("rx_rd_en_o", rxRdEn), ("rx_rd_addr_o", rxRdAddr), ("rx_rd_data_i", rxRdData), ("drop_i", drop),
            ("tx_start_o", txStart), ("tx_cmd_o", txCmd), ("tx_flags_o", txFlags), ("tx_seq_o", txSeq), ("tx_len_o", txLen), ("tx_busy_i", txBusy),
            ("resp_rd_en_i", respRdEn), ("resp_rd_addr_i", respRdAddr), ("resp_rd_data_o", respRdData),
            ("host_wr_en_o", hostWrEn), ("host_wr_mem_o", hostWrMem), ("host_wr_addr_o", hostWrAddr), ("host_wr_data_o", hostWrData),
            ("start_o", engStart), ("engine_rst_no", engRstNFromCtrl), ("engine_done_i", engDone),
            ("load_done_i", loadDone), ("compute_done_i", computeDone), ("store_done_i", storeDone), ("active_cycles_i", activeCycles),
            ("engine_rd_beat_i", eRdValid), ("engine_wr_beat_i", eWrAck),
            ("dram_sel_o", sel), ("drain_o", drain), ("quiet_i", quiet),
            ("rd_req_valid_o", lRdReqValid), ("rd_req_ready_i", m.Wire("link_rd_req_ready", p.RdReqReady.And(sel))),
            ("rd_req_addr_o", lRdReqAddr), ("rd_req_beats_o", lRdReqBeats),
            ("rd_valid_i", m.Wire("link_rd_valid", p.RdValid.And(sel))), ("rd_data_i", p.RdData),
            ("wr_valid_o", lWrValid), ("wr_ready_i", m.Wire("link_wr_ready", p.WrReady.And(sel))), ("wr_addr_o", lWrAddr),
            ("wr_data_o", lWrData), ("wr_strb_o", lWrStrb), ("wr_ack_i", m.Wire("link_wr_ack", p.WrAck.And(sel))),
            ("soft_reset_i", softReset), ("running_o", running), ("done_o", doneOut), ("idle_o", ctrlIdle),
            ("cycles_o", cyclesOut), ("frames_rx_o", framesRxOut), ("frames_dropped_o", framesDropOut));

        // ---- the DRAM data port: the controller's while selected, else the engine's (held back while draining) ----
        m.Assign(p.RdReqValid, Expr.Mux(sel, lRdReqValid, eRdReqValid.And(!drain)));
        m.Assign(p.RdReqAddr, Expr.Mux(sel, lRdReqAddr, eRdReqAddr));
        m.Assign(p.RdReqBeats, Expr.Mux(sel, lRdReqBeats, eRdReqBeats));
        m.Assign(p.WrValid, Expr.Mux(sel, lWrValid, eWrValid.And(!drain)));
        m.Assign(p.WrAddr, Expr.Mux(sel, lWrAddr, eWrAddr));
        m.Assign(p.WrData, Expr.Mux(sel, lWrData, eWrData));
        m.Assign(p.WrStrb, Expr.Mux(sel, lWrStrb, Expr.Lit(lanes, (System.Numerics.BigInteger.One << lanes) - 1)));
        m.Assign(p.InsnReqValid, eInsnReqValid.And(!drain));
        m.Assign(runningOut, running);
        m.Assign(idleOut, ctrlIdle.And(!txBusy).And(!running).And(!engBusy));
        m.Clocked(clk, rstN);
        return m;
    }
}
