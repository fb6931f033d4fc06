using System.Buffers.Binary;
using Accel.Hardware.Config;
using Accel.Hardware.Engine;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Board;

/// <summary>
/// The board's command engine: executes the request in the frame receiver's read slot (the oldest
/// frame waiting; up to FrameSlots more may arrive meanwhile) and writes its response into the
/// response buffer for the frame transmitter, answering exactly as
/// host/Accel.Link/Testing/FakeBoard.cs does (the same checks in the same order, the same status
/// codes and bytes) except for the counters' values, which are the board's own. Requests are
/// executed strictly in arrival order, one at a time; the slot is released when its response
/// starts, so the next frame can land while the answer is on the line. It remembers the seq and
/// CRC of the last executed request only; a request with both equal is answered again from the
/// response buffer, unexecuted. An older request resent behind newer ones is executed again: a
/// host pipelines only WRITE_MEM, which writes the same bytes again, so that is harmless. RESET (or soft_reset_i, without a response) stops the engine's new
/// DRAM requests, waits until its bursts in flight have delivered and its writes have been
/// acknowledged, holds the engine in reset for eight clocks and clears the registers, counters and
/// the last-request memory. WRITE_MEM and READ_MEM use the DRAM data port (dram_sel_o) only while
/// the engine is idle: a READ_MEM during a run waits for the run to end.
/// </summary>
public static class LinkController
{
    public const string Name = "accel_link_ctrl";
    public const int ProtocolVersion = 1, CounterCount = 11, RegisterCount = 3;
    public const int CmdHello = 1, CmdReset = 2, CmdWriteMem = 3, CmdReadMem = 4, CmdWriteReg = 5, CmdReadReg = 6,
        CmdWriteParam = 7, CmdStart = 8, CmdStatus = 9, CmdCounters = 10;
    public const int Ok = 0, BadCommand = 1, BadArgument = 2, Busy = 3, BadLength = 4;
    public const int MaxReadData = FrameReceiver.MaxPayload - 1;
    public const int ResponseDepth = 1 << FrameTransmitter.ResponseAddressBits;

    private const int SIdle = 0, SDecide = 1, SSmall = 2, SSend = 3, SWmRead = 4, SWmPlace = 5, SWmBeat = 6, SWmAcks = 7,
        SRm = 8, SWpRead = 9, SWpShift = 10, SWpWrite = 11, SRstDrain = 12, SRstHold = 13;

    /// <summary>Bytes of WRITE_PARAM's word: the engine's host write port, in whole bytes.</summary>
    public static int ParameterWordBytes(EngineConfig c) => Top.HostBits(c) / 8;

    /// <summary>Beats the READ_MEM beat FIFO holds: two bursts, a power of two.</summary>
    public static int ReadFifoDepth(EngineConfig c)
    {
        int depth = 2;
        while (depth < 2 * c.DramBurstBeats) depth *= 2;
        return depth;
    }

    /// <summary>HELLO's data after the status: version, rows, cols, max payload, window (the receiver's frame slots), DRAM bytes, config hash.</summary>
    public static byte[] HelloData(EngineConfig c, BoardConfig board)
    {
        var data = new byte[18];
        data[0] = ProtocolVersion;
        data[1] = (byte)c.Rows;
        data[2] = (byte)c.Cols;
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(3), FrameReceiver.MaxPayload);
        data[5] = (byte)board.FrameSlots;
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(6), (uint)board.DramBytes);
        Convert.FromHexString(c.Hash()).CopyTo(data, 10);
        return data;
    }

    public static Module Build(EngineConfig c, BoardConfig board)
    {
        board.Validate();
        if (c.DramBits < 16) throw new ConfigException("dramBits", $"the board link packs bytes into beats of at least 16 bits, got {c.DramBits}");
        int da = EngineConfig.DramAddressBits, bb = c.BurstCountBits, dramBits = c.DramBits, lanes = dramBits / 8;
        int bsh = EngineConfig.Log2Ceil(lanes), hostBits = Top.HostBits(c), wordBytes = hostBits / 8;
        int ab = FrameReceiver.CountBits, ob = FrameReceiver.OffsetBits, rab = FrameTransmitter.ResponseAddressBits;
        int fifoDepth = ReadFifoDepth(c), fab = EngineConfig.Log2Ceil(fifoDepth);
        var m = new Module(Name).Describe(
            "Link controller: executes the received request (the checks, statuses and bytes of FakeBoard),",
            "writes the response into the response buffer, answers duplicates from it, resets the engine safely.");
        var clk = m.Input("clk_i");
        var rstN = m.Input("rst_ni");
        // frame receiver
        var frameValid = m.Input("frame_valid_i");
        var head = m.PartlyUsedWire("head", FrameReceiver.HeadBytes * 8, "Commands read only the arguments they take.");
        m.Assign(head, m.Input("head_i", FrameReceiver.HeadBytes * 8));
        var reqCrc = m.Input("crc_i", 32);
        var releaseOut = m.Output("release_o");
        var rxRdEnOut = m.Output("rx_rd_en_o");
        var rxRdAddrOut = m.Output("rx_rd_addr_o", ob);
        var rxRdData = m.Input("rx_rd_data_i", 8);
        var dropIn = m.Input("drop_i");
        // frame transmitter
        var txStartOut = m.Output("tx_start_o");
        var txCmdOut = m.Output("tx_cmd_o", 8);
        var txFlagsOut = m.Output("tx_flags_o", 8);
        var txSeqOut = m.Output("tx_seq_o", 16);
        var txLenOut = m.Output("tx_len_o", 16);
        var txBusy = m.Input("tx_busy_i");
        var respRdEn = m.Input("resp_rd_en_i");
        var respRdAddr = m.Input("resp_rd_addr_i", rab);
        var respRdDataOut = m.Output("resp_rd_data_o", 8);
        // engine
        var hostWrEnOut = m.Output("host_wr_en_o");
        var hostWrMemOut = m.Output("host_wr_mem_o");
        var hostWrAddrOut = m.Output("host_wr_addr_o", Top.HostAddressBits);
        var hostWrDataOut = m.Output("host_wr_data_o", hostBits);
        var startOut = m.Output("start_o");
        var engineRstNOut = m.Output("engine_rst_no");
        var engineDone = m.Input("engine_done_i");
        var loadDone = m.Input("load_done_i");
        var computeDone = m.Input("compute_done_i");
        var storeDone = m.Input("store_done_i");
        var activeCycles = m.Input("active_cycles_i", 32);
        var engineRdBeat = m.Input("engine_rd_beat_i");
        var engineWrBeat = m.Input("engine_wr_beat_i");
        // DRAM data port (link side) and the mux/drain controls
        var dramSelOut = m.Output("dram_sel_o");
        var drainOut = m.Output("drain_o");
        var quiet = m.Input("quiet_i");
        var rdReqValidOut = m.Output("rd_req_valid_o");
        var rdReqReady = m.Input("rd_req_ready_i");
        var rdReqAddrOut = m.Output("rd_req_addr_o", da);
        var rdReqBeatsOut = m.Output("rd_req_beats_o", bb);
        var rdValid = m.Input("rd_valid_i");
        var rdData = m.Input("rd_data_i", dramBits);
        var wrValidOut = m.Output("wr_valid_o");
        var wrReady = m.Input("wr_ready_i");
        var wrAddrOut = m.Output("wr_addr_o", da);
        var wrDataOut = m.Output("wr_data_o", dramBits);
        var wrStrbOut = m.Output("wr_strb_o", lanes);
        var wrAck = m.Input("wr_ack_i");
        // status and control (AXI-Lite registers of the XDMA top)
        var softReset = m.Input("soft_reset_i");
        var runningOut = m.Output("running_o");
        var doneOut = m.Output("done_o");
        var idleOut = m.Output("idle_o");
        var cyclesOut = m.Output("cycles_o", 64);
        var framesRxOut = m.Output("frames_rx_o", 32);
        var framesDropOut = m.Output("frames_dropped_o", 32);

        // ---- request fields (body bytes 0..11, held by the receiver's read slot) ----
        var cmd = m.Wire("cmd", head.Slice(7, 0));
        var isResponse = m.Wire("is_response", head.Bit(8));
        var seq = m.Wire("seq", head.Slice(31, 16));
        var len = m.Wire("len", head.Slice(47, 32));
        var argU32 = m.Wire("arg_u32", head.Slice(79, 48));      // WRITE_MEM/READ_MEM address
        var argCount = m.Wire("arg_count", head.Slice(95, 80));  // READ_MEM count
        var argIndex = m.Wire("arg_index", head.Slice(63, 48));  // register or parameter index
        var argValue = m.Wire("arg_value", head.Slice(95, 64));  // WRITE_REG value

        // ---- registers ----
        var state = m.Reg("state", 4, SIdle);
        var status = m.Reg("status", 3, 0);
        var respCmd = m.Reg("resp_cmd", 8, 0);
        var respFlags = m.Reg("resp_flags", 2, 0);
        var respSeq = m.Reg("resp_seq", 16, 0);
        var respLen = m.Reg("resp_len", 11, 0);
        var smallIdx = m.Reg("small_idx", 7, 0);
        var smallEnd = m.Reg("small_end", 7, 0);
        var haveLast = m.Reg("have_last", 1, 0);
        var lastSeq = m.Reg("last_seq", 16, 0);
        var lastCrc = m.Reg("last_crc", 32, 0);
        var engState = m.Reg("eng_state", 2, 0);
        var progAddr = m.Reg("prog_addr", 32, 0);
        var progBytes = m.Reg("prog_bytes", 32, 0);
        var hostTag = m.Reg("host_tag", 32, 0);
        var hostWe = m.Reg("host_we", 1, 0);
        var hostMem = m.Reg("host_mem", 1, 0);
        var hostAddr = m.Reg("host_addr", 16, 0);
        var hostData = m.Reg("host_data", hostBits, 0);
        var start = m.Reg("start", 1, 0);
        var engRst = m.Reg("eng_rst", 1, 0);
        var holdCnt = m.Reg("hold_cnt", 3, 0);
        var softPend = m.Reg("soft_pend", 1, 0);
        var respond = m.Reg("respond", 1, 0);
        var snap = m.Reg("snap", 64, 0);
        var ptr = m.Reg("ptr", ob, 0);      // payload offset in the receiver's read slot
        var left = m.Reg("left", ob, 0);
        var addr = m.Reg("addr", da, 0);
        var beat = m.Reg("beat", dramBits, 0);
        var strb = m.Reg("strb", lanes, 0);
        var acks = m.Reg("acks", ab, 0);
        var reqLeft = m.Reg("req_left", ab, 0);
        int rw = Math.Max(fab + 1, bb);
        var room = m.Reg("room", rw, 0);
        var fifoWr = m.Reg("fifo_wr", fab, 0);
        var fifoRd = m.Reg("fifo_rd", fab, 0);
        var fifoCount = m.Reg("fifo_count", fab + 1, 0);
        var curValid = m.Reg("cur_valid", 1, 0);
        var byteSel = m.Reg("byte_sel", bsh, 0);
        var outLeft = m.Reg("out_left", ab, 0);
        var respPtr = m.Reg("resp_ptr", rab, 0);
        // counters, in COUNTERS order
        var cycles = m.Reg("cnt_cycles", 64, 0);
        var active = m.Reg("cnt_active", 48, 0);
        var loads = m.Reg("cnt_loads", 32, 0);
        var computes = m.Reg("cnt_computes", 32, 0);
        var stores = m.Reg("cnt_stores", 32, 0);
        var rdBeats = m.Reg("cnt_rd_beats", 48, 0);
        var wrBeats = m.Reg("cnt_wr_beats", 48, 0);
        var framesRx = m.Reg("cnt_frames_rx", 32, 0);
        var framesDrop = m.Reg("cnt_frames_dropped", 32, 0);
        var dups = m.Reg("cnt_duplicates", 32, 0);
        // Cycles the engine ran (START to done): the run's own time, apart from the link's.
        var runCycles = m.Reg("cnt_run_cycles", 48, 0);
        var counters = new[] { cycles, active, loads, computes, stores, rdBeats, wrBeats, framesRx, framesDrop, dups, runCycles };

        // ---- checks, in FakeBoard's order ----
        Expr Is(int command) => cmd.Eq(command);
        var running = m.Wire("running", engState.Q.Eq(1));
        var dram = Expr.Lit(33, board.DramBytes);
        var wmBytes = m.Wire("wm_bytes", len - 4);
        var wmPastEnd = m.Wire("wm_end", argU32.Zext(33) + wmBytes.Zext(33)).Gt(dram);
        var rmPastEnd = m.Wire("rm_end", argU32.Zext(33) + argCount.Zext(33)).Gt(dram);
        var rmBadCount = argCount.Eq(0).Or(argCount.Gt(Expr.Lit(16, MaxReadData)));
        var badRegister = argIndex.Ge(Expr.Lit(16, RegisterCount));
        var badParam = argIndex.Zext(32).Ge(Expr.Lit(32, c.ParamDepth!.Value));
        var noProgram = progBytes.Q.Eq(0).Or(m.Wire("prog_end", progAddr.Q.Zext(33) + progBytes.Q.Zext(33)).Gt(dram));
        Expr St(int s) => Expr.Lit(3, s);
        Expr Chain(params (Expr When, int Status)[] checks)
        {
            Expr e = St(Ok);
            for (int i = checks.Length - 1; i >= 0; i--) e = Expr.Mux(checks[i].When, St(checks[i].Status), e);
            return e;
        }
        var len0 = len.Eq(0);
        var check = m.Wire("check", 3);
        m.Comb(b =>
        {
            b.Set(check, St(BadCommand));
            b.Case(cmd,
            [
                (CmdHello, s => s.Set(check, Chain((!len0, BadLength)))),
                (CmdReset, s => s.Set(check, Chain((!len0, BadLength)))),
                (CmdWriteMem, s => s.Set(check, Chain((len.Lt(5), BadLength), (wmPastEnd, BadArgument), (running, Busy)))),
                (CmdReadMem, s => s.Set(check, Chain((len.Ne(6), BadLength), (rmBadCount, BadLength), (rmPastEnd, BadArgument)))),
                (CmdWriteReg, s => s.Set(check, Chain((len.Ne(6), BadLength), (badRegister, BadArgument), (running, Busy)))),
                (CmdReadReg, s => s.Set(check, Chain((len.Ne(2), BadLength), (badRegister, BadArgument)))),
                (CmdWriteParam, s => s.Set(check, Chain((len.Ne(2 + wordBytes), BadLength), (badParam, BadArgument), (running, Busy)))),
                (CmdStart, s => s.Set(check, Chain((!len0, BadLength), (running, Busy), (noProgram, BadArgument)))),
                (CmdStatus, s => s.Set(check, Chain((!len0, BadLength)))),
                (CmdCounters, s => s.Set(check, Chain((!len0, BadLength)))),
            ],
            _ => { });
        });
        var duplicate = m.Wire("duplicate", haveLast.Q.And(seq.Eq(lastSeq.Q)).And(reqCrc.Eq(lastCrc.Q)));
        // A READ_MEM waits for a running engine: the data port is the engine's until it is done.
        var go = m.Wire("go", (!txBusy).And(!(Is(CmdReadMem).And(check.Eq(Ok)).And(running))));

        // ---- small responses: status, then HELLO's constants, a register, or u64 counters ----
        var hello = HelloData(c, board);
        var d = m.PartlyUsedWire("data_idx", smallIdx.Q - 1, "HELLO reads 18 bytes, counters 89.");
        var k = m.PartlyUsedWire("stream_idx", smallIdx.Q - 2, "Eleven counters of eight bytes.");
        var live = m.Wire("live", FrameTransmitter.Pick(k.Slice(6, 3), counters.Select(r => r.Q.Zext(64)).ToArray()));
        var bsel = m.Wire("bsel", k.Slice(2, 0));
        var streamByte = m.Wire("stream_byte", Expr.Mux(bsel.Eq(0), live.Slice(7, 0),
            FrameTransmitter.Pick(bsel, Enumerable.Range(0, 8).Select(i => (Expr)snap.Q.Slice(8 * i + 7, 8 * i)).ToArray())));
        var regValue = m.Wire("reg_value", FrameTransmitter.Pick(argIndex.Slice(1, 0), [progAddr.Q, progBytes.Q, hostTag.Q]));
        var helloByte = m.Wire("hello_byte", FrameTransmitter.Pick(d.Slice(4, 0), hello.Select(x => Expr.Lit(8, x)).ToArray()));
        var regByte = m.Wire("reg_byte", FrameTransmitter.Pick(d.Slice(1, 0), Enumerable.Range(0, 4).Select(i => (Expr)regValue.Slice(8 * i + 7, 8 * i)).ToArray()));
        var firstData = m.Wire("first_data", Expr.Mux(respCmd.Q.Eq(CmdStatus), engState.Q.Zext(8), Expr.Lit(8, CounterCount)));
        var smallByte = m.Wire("small_byte", Expr.Mux(smallIdx.Q.Eq(0), status.Q.Zext(8),
            Expr.Mux(respCmd.Q.Eq(CmdHello), helloByte, Expr.Mux(respCmd.Q.Eq(CmdReadReg), regByte,
                Expr.Mux(smallIdx.Q.Eq(1), firstData, streamByte)))));

        // ---- READ_MEM: bursts into a beat FIFO, bytes out of it into the response ----
        var rmSpan = m.PartlyUsedWire("rm_span", argU32.Slice(bsh - 1, 0).Zext(ab) + argCount.Slice(ab - 1, 0) + (lanes - 1),
            "The beat count is the span over the beat size.");
        var rmBeats = m.Wire("rm_beats", Expr.Cat(Expr.Lit(bsh, 0), rmSpan.Slice(ab - 1, bsh)));
        var burstMax = Expr.Lit(ab, c.DramBurstBeats);
        var burst = m.Wire("burst", Expr.Mux(reqLeft.Q.Le(burstMax), reqLeft.Q.Fit(bb), Expr.Lit(bb, c.DramBurstBeats)));
        var inRm = m.Wire("in_rm", state.Q.Eq(SRm));
        var reqValid = m.Wire("req_valid", inRm.And(reqLeft.Q.Ne(0)).And(room.Q.Ge(burst.Zext(rw))));
        var reqFire = m.Wire("req_fire", reqValid.And(rdReqReady));
        var fifoData = m.Wire("fifo_data", dramBits);
        var curByte = m.Wire("cur_byte", FrameTransmitter.Pick(byteSel.Q, Enumerable.Range(0, lanes).Select(i => (Expr)fifoData.Slice(8 * i + 7, 8 * i)).ToArray()));
        var take = m.Wire("take", inRm.And(curValid.Q).And(outLeft.Q.Ne(0)));
        var finishing = m.Wire("finishing", take.And(byteSel.Q.Eq(lanes - 1).Or(outLeft.Q.Eq(1))));
        var pop = m.Wire("pop", inRm.And((!curValid.Q).Or(finishing)).And(fifoCount.Q.Ne(0)));
        var push = m.Wire("push", inRm.And(rdValid));
        m.Instantiate("sdp_ram", "u_read_fifo", new Dictionary<string, long> { ["WIDTH"] = dramBits, ["DEPTH"] = fifoDepth, ["ADDR_BITS"] = fab, ["DISTRIBUTED"] = 1 },
            ("clk_i", clk), ("wr_en_i", push), ("wr_addr_i", fifoWr.Q), ("wr_data_i", rdData),
            ("rd_en_i", pop), ("rd_addr_i", fifoRd.Q), ("rd_data_o", fifoData));

        // ---- WRITE_MEM: bytes packed into beats with strobes ----
        var lane = m.Wire("lane", addr.Q.Slice(bsh - 1, 0));
        var lastByteAddr = m.PartlyUsedWire("last_byte_addr", addr.Q - 1, "A beat's address drops the byte offset.");
        var beatAddr = m.Wire("beat_addr", Expr.Cat(lastByteAddr.Slice(da - 1, bsh), Expr.Lit(bsh, 0)));
        var wrFire = m.Wire("wr_fire", state.Q.Eq(SWmBeat).And(wrReady));

        // ---- the response buffer ----
        var respWe = m.Wire("resp_we", state.Q.Eq(SSmall).Or(take));
        var respWaddr = m.Wire("resp_waddr", Expr.Mux(take, respPtr.Q, smallIdx.Q.Zext(rab)));
        var respWdata = m.Wire("resp_wdata", Expr.Mux(take, curByte, smallByte));
        m.Instantiate("sdp_ram", "u_response", new Dictionary<string, long> { ["WIDTH"] = 8, ["DEPTH"] = ResponseDepth, ["ADDR_BITS"] = rab },
            ("clk_i", clk), ("wr_en_i", respWe), ("wr_addr_i", respWaddr), ("wr_data_i", respWdata),
            ("rd_en_i", respRdEn), ("rd_addr_i", respRdAddr), ("rd_data_o", respRdDataOut));

        var release = m.Wire("rx_release", 1);
        var txStart = m.Wire("tx_start", 1);
        var rxRdEn = m.Wire("rx_rd_en", 1);
        Expr Inc(Register r, Expr when) => r.Q + Expr.Mux(when, Expr.Lit(r.Q.Width, 1), Expr.Lit(r.Q.Width, 0));

        m.Comb(b =>
        {
            foreach (var r in new[] { state, status, respCmd, respFlags, respSeq, respLen, smallIdx, smallEnd, haveLast, lastSeq, lastCrc,
                         engState, progAddr, progBytes, hostTag, hostMem, hostAddr, hostData, engRst, holdCnt, softPend, respond, snap,
                         ptr, left, addr, beat, strb, reqLeft, room, fifoWr, fifoRd, fifoCount, curValid, byteSel, outLeft, respPtr, dups, framesRx })
                b.Hold(r);
            b.Set(release, 0);
            b.Set(txStart, 0);
            b.Set(rxRdEn, 0);
            b.Set(hostWe.D, 0);
            b.Set(start.D, 0);
            // counters that run in every state
            b.Set(cycles.D, cycles.Q + 1);
            b.Set(active.D, active.Q + Expr.Mux(engineDone, activeCycles.Zext(48), Expr.Lit(48, 0)));
            b.Set(loads.D, Inc(loads, loadDone));
            b.Set(computes.D, Inc(computes, computeDone));
            b.Set(stores.D, Inc(stores, storeDone));
            b.Set(rdBeats.D, Inc(rdBeats, engineRdBeat));
            b.Set(wrBeats.D, Inc(wrBeats, engineWrBeat));
            b.Set(framesDrop.D, Inc(framesDrop, dropIn));
            b.Set(runCycles.D, Inc(runCycles, running));
            b.Set(acks.D, acks.Q + Expr.Mux(wrFire, Expr.Lit(ab, 1), Expr.Lit(ab, 0)) - Expr.Mux(wrAck, Expr.Lit(ab, 1), Expr.Lit(ab, 0)));
            b.If(softReset, t => t.Set(softPend.D, 1));
            b.If(engineDone.And(running), t => t.Set(engState.D, 2));

            void ToSmall(BlockBuilder t, int end)
            {
                t.Set(smallIdx.D, 0);
                t.Set(smallEnd.D, end);
                t.Set(state.D, SSmall);
            }

            b.Case(state.Q,
            [
                (SIdle, s => s.If(softPend.Q,
                    t => { t.Set(softPend.D, 0); t.Set(respond.D, 0); t.Set(state.D, SRstDrain); },
                    t => t.If(frameValid, g => { g.Set(framesRx.D, framesRx.Q + 1); g.Set(state.D, SDecide); }))),
                (SDecide, s => s.If(isResponse,
                    // Frames with the response flag are never acted on.
                    t => { t.Set(release, 1); t.Set(state.D, SIdle); },
                    t => t.If(go, g => g.If(duplicate,
                        h => { h.Set(dups.D, dups.Q + 1); h.Set(state.D, SSend); },
                        h =>
                        {
                            h.Set(respCmd.D, cmd);
                            h.Set(respSeq.D, seq);
                            h.Set(status.D, check);
                            h.Set(respFlags.D, Expr.Cat(check.Ne(Ok), Expr.Lit(1, 1)));
                            h.Set(respLen.D, 1);
                            h.Set(haveLast.D, 1);
                            h.Set(lastSeq.D, seq);
                            h.Set(lastCrc.D, reqCrc);
                            h.If(check.Ne(Ok), e => ToSmall(e, 1), e => e.Case(cmd,
                            [
                                (CmdHello, x => { x.Set(respLen.D, 1 + hello.Length); ToSmall(x, 1 + hello.Length); }),
                                (CmdReset, x => { x.Set(respond.D, 1); x.Set(state.D, SRstDrain); }),
                                (CmdWriteMem, x =>
                                {
                                    x.Set(ptr.D, 4);  // the data follows the u32 address
                                    x.Set(left.D, wmBytes.Slice(ob - 1, 0));
                                    x.Set(addr.D, argU32);
                                    x.Set(beat.D, 0);
                                    x.Set(strb.D, 0);
                                    x.Set(state.D, SWmRead);
                                }),
                                (CmdReadMem, x =>
                                {
                                    x.Set(respLen.D, argCount.Slice(ab - 1, 0) + 1);
                                    x.Set(addr.D, Expr.Cat(argU32.Slice(da - 1, bsh), Expr.Lit(bsh, 0)));
                                    x.Set(reqLeft.D, rmBeats);
                                    x.Set(room.D, fifoDepth);
                                    x.Set(fifoWr.D, 0);
                                    x.Set(fifoRd.D, 0);
                                    x.Set(fifoCount.D, 0);
                                    x.Set(curValid.D, 0);
                                    x.Set(byteSel.D, argU32.Slice(bsh - 1, 0));
                                    x.Set(outLeft.D, argCount.Slice(ab - 1, 0));
                                    x.Set(respPtr.D, 1);
                                    x.Set(state.D, SRm);
                                }),
                                (CmdWriteReg, x =>
                                {
                                    x.If(argIndex.Eq(2), y => y.Set(hostTag.D, argValue), y =>
                                    {
                                        y.Set(hostWe.D, 1);
                                        y.Set(hostMem.D, Top.MemRegisters);
                                        y.Set(hostAddr.D, argIndex);
                                        y.Set(hostData.D, argValue.Zext(hostBits));
                                        y.If(argIndex.Eq(0), z => z.Set(progAddr.D, argValue), z => z.Set(progBytes.D, argValue));
                                    });
                                    ToSmall(x, 1);
                                }),
                                (CmdReadReg, x => { x.Set(respLen.D, 5); ToSmall(x, 5); }),
                                (CmdWriteParam, x =>
                                {
                                    x.Set(ptr.D, 2);  // the word follows the u16 index
                                    x.Set(left.D, wordBytes);
                                    x.Set(state.D, SWpRead);
                                }),
                                (CmdStart, x => { x.Set(start.D, 1); x.Set(engState.D, 1); ToSmall(x, 1); }),
                                (CmdStatus, x => { x.Set(respLen.D, 10); ToSmall(x, 10); }),
                                (CmdCounters, x => { x.Set(respLen.D, 2 + 8 * CounterCount); ToSmall(x, 2 + 8 * CounterCount); }),
                            ],
                            x => ToSmall(x, 1)));
                        })))),
                (SSmall, s =>
                {
                    s.If(bsel.Eq(0), t => t.Set(snap.D, live));
                    s.Set(smallIdx.D, smallIdx.Q + 1);
                    s.If(smallIdx.Q.Eq(smallEnd.Q - 1), t => t.Set(state.D, SSend));
                }),
                (SSend, s => { s.Set(txStart, 1); s.Set(release, 1); s.Set(state.D, SIdle); }),
                (SWmRead, s => { s.Set(rxRdEn, 1); s.Set(state.D, SWmPlace); }),
                (SWmPlace, s =>
                {
                    for (int i = 0; i < lanes; i++)
                    {
                        int at = i;
                        s.If(lane.Eq(at), t => { t.Set(beat.D.Slice(8 * at + 7, 8 * at), rxRdData); t.Set(strb.D.Slice(at, at), Expr.Lit(1, 1)); });
                    }
                    s.Set(addr.D, addr.Q + 1);
                    s.Set(ptr.D, ptr.Q + 1);
                    s.Set(left.D, left.Q - 1);
                    s.Set(state.D, Expr.Mux(lane.Eq(lanes - 1).Or(left.Q.Eq(1)), Expr.Lit(4, SWmBeat), Expr.Lit(4, SWmRead)));
                }),
                (SWmBeat, s => s.If(wrReady, t =>
                {
                    t.Set(beat.D, 0);
                    t.Set(strb.D, 0);
                    t.Set(state.D, Expr.Mux(left.Q.Eq(0), Expr.Lit(4, SWmAcks), Expr.Lit(4, SWmRead)));
                })),
                // The board answers after every write is acknowledged: the data is in DRAM.
                (SWmAcks, s => s.If(acks.Q.Eq(0), t => ToSmall(t, 1))),
                (SRm, s =>
                {
                    s.If(reqFire, t =>
                    {
                        t.Set(addr.D, addr.Q + burst.Zext(da).Shl(bsh));
                        t.Set(reqLeft.D, reqLeft.Q - burst.Zext(ab));
                    });
                    // A request spends its beats' room in the FIFO; a beat popped returns one.
                    s.Set(room.D, room.Q - Expr.Mux(reqFire, burst.Zext(rw), Expr.Lit(rw, 0)) + Expr.Mux(pop, Expr.Lit(rw, 1), Expr.Lit(rw, 0)));
                    s.If(push, t => t.Set(fifoWr.D, fifoWr.Q + 1));
                    s.If(pop, t => t.Set(fifoRd.D, fifoRd.Q + 1));
                    s.Set(fifoCount.D, fifoCount.Q + Expr.Mux(push, Expr.Lit(fab + 1, 1), Expr.Lit(fab + 1, 0)) - Expr.Mux(pop, Expr.Lit(fab + 1, 1), Expr.Lit(fab + 1, 0)));
                    s.If(pop, t => t.Set(curValid.D, 1), t => t.If(finishing, g => g.Set(curValid.D, 0)));
                    s.If(take, t =>
                    {
                        t.Set(byteSel.D, byteSel.Q + 1);
                        t.Set(outLeft.D, outLeft.Q - 1);
                        t.Set(respPtr.D, respPtr.Q + 1);
                    });
                    s.If(outLeft.Q.Eq(0), t => ToSmall(t, 1));
                }),
                (SWpRead, s => { s.Set(rxRdEn, 1); s.Set(state.D, SWpShift); }),
                (SWpShift, s =>
                {
                    // Bytes shift in from the top: after the last, the first is lowest.
                    s.Set(hostData.D, Expr.Cat(rxRdData, hostData.Q.Slice(hostBits - 1, 8)));
                    s.Set(ptr.D, ptr.Q + 1);
                    s.Set(left.D, left.Q - 1);
                    s.Set(state.D, Expr.Mux(left.Q.Eq(1), Expr.Lit(4, SWpWrite), Expr.Lit(4, SWpRead)));
                }),
                (SWpWrite, s =>
                {
                    s.Set(hostWe.D, 1);
                    s.Set(hostMem.D, Top.MemParams);
                    s.Set(hostAddr.D, argIndex);
                    ToSmall(s, 1);
                }),
                (SRstDrain, s => s.If(quiet, t => { t.Set(engRst.D, 1); t.Set(holdCnt.D, 0); t.Set(state.D, SRstHold); })),
                (SRstHold, s =>
                {
                    s.Set(holdCnt.D, holdCnt.Q + 1);
                    s.If(holdCnt.Q.Eq(7), t =>
                    {
                        t.Set(engRst.D, 0);
                        t.Set(engState.D, 0);
                        t.Set(progAddr.D, 0);
                        t.Set(progBytes.D, 0);
                        t.Set(hostTag.D, 0);
                        t.Set(haveLast.D, 0);
                        foreach (var r in counters) t.Set(r.D, 0);
                        t.If(respond.Q, g => ToSmall(g, 1), g => g.Set(state.D, SIdle));
                    });
                }),
            ],
            d => d.Set(state.D, SIdle));
        });

        m.Assign(releaseOut, release);
        m.Assign(rxRdEnOut, rxRdEn);
        m.Assign(rxRdAddrOut, ptr.Q);
        m.Assign(txStartOut, txStart);
        m.Assign(txCmdOut, respCmd.Q);
        m.Assign(txFlagsOut, respFlags.Q.Zext(8));
        m.Assign(txSeqOut, respSeq.Q);
        m.Assign(txLenOut, respLen.Q.Zext(16));
        m.Assign(hostWrEnOut, hostWe.Q);
        m.Assign(hostWrMemOut, hostMem.Q);
        m.Assign(hostWrAddrOut, hostAddr.Q.Zext(Top.HostAddressBits));
        m.Assign(hostWrDataOut, hostData.Q);
        m.Assign(startOut, start.Q);
        m.Assign(engineRstNOut, !engRst.Q);
        var inWm = Expr.Cat(state.Q.Eq(SWmRead), state.Q.Eq(SWmPlace), state.Q.Eq(SWmBeat), state.Q.Eq(SWmAcks)).ReduceOr();
        m.Assign(dramSelOut, inWm.Or(inRm));
        m.Assign(drainOut, state.Q.Eq(SRstDrain).Or(state.Q.Eq(SRstHold)));
        m.Assign(rdReqValidOut, reqValid);
        m.Assign(rdReqAddrOut, addr.Q);
        m.Assign(rdReqBeatsOut, burst);
        m.Assign(wrValidOut, state.Q.Eq(SWmBeat));
        m.Assign(wrAddrOut, beatAddr);
        m.Assign(wrDataOut, beat.Q);
        m.Assign(wrStrbOut, strb.Q);
        m.Assign(runningOut, running);
        m.Assign(doneOut, engState.Q.Eq(2));
        m.Assign(idleOut, state.Q.Eq(SIdle).And(!frameValid).And(!softPend.Q));
        m.Assign(cyclesOut, cycles.Q);
        m.Assign(framesRxOut, framesRx.Q);
        m.Assign(framesDropOut, framesDrop.Q);
        m.Clocked(clk, rstN);
        return m;
    }
}
