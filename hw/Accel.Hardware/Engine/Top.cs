using Accel.Hardware.Config;
using Accel.Hardware.Program;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Engine;

/// <summary>
/// The engine top: on-chip buffers (channel parameters, input, output and weight slots), the
/// instruction fetch unit, the controller, the load / compute / store units, and three ports:
/// the host port, which writes the registers and the channel parameters while the engine is idle
/// (memory 0 registers: 0 the program's DRAM byte address, 1 its length in bytes; memory 1
/// channel parameters: one word = Cols biases then Cols (M, S) pairs); the DRAM data port (read
/// requests with burst length, read data, write beats with acknowledgements); and the
/// instruction port, a second read-only DRAM port the program streams in through.
/// </summary>
public static class Top
{
    public const string Name = "accel_top";
    public const int MemRegisters = 0, MemParams = 1;
    /// <summary>Registers (host memory 0): where the program starts in DRAM and how many bytes it is.</summary>
    public const int RegProgramAddress = 0, RegProgramBytes = 1;
    public const int HostAddressBits = 32;

    /// <summary>Bits of the widest host-written word.</summary>
    public static int WidestWordBits(EngineConfig c) => Math.Max(EngineConfig.DramAddressBits, c.ParamWordBits);

    /// <summary>Width of the host write data port: the widest host-written word in whole bytes, at least 128 bits.</summary>
    public static int HostBits(EngineConfig c) => Math.Max(128, (WidestWordBits(c) + 7) / 8 * 8);

    public static Module Build(EngineConfig c, InstructionFormat format)
    {
        int rows = c.Rows, cols = c.Cols, iab = c.InputAddressBits, oab = c.OutputAddressBits, wab = c.WeightAddressBits, pb = c.ParamAddressBits;
        int ab = c.AccumulatorAddressBits, hostBits = HostBits(c), actBits = c.ActivationWordBits, ca = c.ChipAddressBits;
        int da = EngineConfig.DramAddressBits;
        var m = new Module(Name).Describe(
            $"Fire engine top: {rows}x{cols} weight-stationary int8 array; load, compute and store units run concurrently.",
            "Host port: write the registers (mem 0: program address, program bytes) and channel parameters (mem 1) while idle.",
            "DRAM port: read bursts, write beats. Instruction port: read bursts of the program.");
        var clk = m.Input("clk_i");
        var rstN = m.Input("rst_ni");
        var hostWrEn = m.Input("host_wr_en_i");
        var hostWrMem = m.Input("host_wr_mem_i");
        var hostWrAddr = m.Input("host_wr_addr_i", HostAddressBits);
        var hostWrData = m.Input("host_wr_data_i", hostBits);
        var start = m.Input("start_i");
        var busyOut = m.Output("busy_o");
        var doneOut = m.Output("done_o");
        var loadDoneOut = m.Output("load_done_o");
        var computeDoneOut = m.Output("compute_done_o");
        var storeDoneOut = m.Output("store_done_o");
        var activeOut = m.Output("active_cycles_o", 32);
        var loadCyclesOut = m.Output("load_busy_cycles_o", 32);
        var dramRdReqValid = m.Output("dram_rd_req_valid_o");
        var dramRdReqReady = m.Input("dram_rd_req_ready_i");
        var dramRdReqAddr = m.Output("dram_rd_req_addr_o", da);
        var dramRdReqBeats = m.Output("dram_rd_req_beats_o", c.BurstCountBits);
        var dramRdValid = m.Input("dram_rd_valid_i");
        var dramRdData = m.Input("dram_rd_data_i", c.DramBits);
        var dramWrValid = m.Output("dram_wr_valid_o");
        var dramWrReady = m.Input("dram_wr_ready_i");
        var dramWrAddr = m.Output("dram_wr_addr_o", da);
        var dramWrData = m.Output("dram_wr_data_o", c.DramBits);
        var dramWrAck = m.Input("dram_wr_ack_i");
        var insnRdReqValid = m.Output("insn_rd_req_valid_o");
        var insnRdReqReady = m.Input("insn_rd_req_ready_i");
        var insnRdReqAddr = m.Output("insn_rd_req_addr_o", da);
        var insnRdReqBeats = m.Output("insn_rd_req_beats_o", c.BurstCountBits);
        var insnRdValid = m.Input("insn_rd_valid_i");
        var insnRdData = m.Input("insn_rd_data_i", c.DramBits);

        // ---- controller; each unit decodes the fields it uses from its own copy of the instruction ----
        var ctrlBusy = m.Wire("ctrl_busy");
        var insnValid = m.Wire("insn_valid");
        var insnPop = m.Wire("insn_pop");
        var insn = m.Wire("insn", format.Bits);
        var loadStart = m.Wire("load_start");
        var computeStart = m.Wire("compute_start");
        var storeStart = m.Wire("store_start");
        var loadBusy = m.Wire("load_busy");
        var computeBusy = m.Wire("compute_busy");
        var storeBusy = m.Wire("store_busy");
        var unitWhy = "Each unit reads only its own fields of its copy of the instruction word.";
        var loadInsn = m.PartlyUsedWire("load_insn", format.Bits, unitWhy);
        var computeInsn = m.PartlyUsedWire("compute_insn", format.Bits, unitWhy);
        var storeInsn = m.PartlyUsedWire("store_insn", format.Bits, unitWhy);
        m.Instantiate(Controller.Name, "u_controller", null,
            ("clk_i", clk), ("rst_ni", rstN), ("start_i", start),
            ("insn_valid_i", insnValid), ("insn_pop_o", insnPop), ("insn_i", insn),
            ("load_busy_i", loadBusy), ("load_start_o", loadStart), ("load_insn_o", loadInsn), ("load_done_o", loadDoneOut),
            ("compute_busy_i", computeBusy), ("compute_start_o", computeStart), ("compute_insn_o", computeInsn), ("compute_done_o", computeDoneOut),
            ("store_busy_i", storeBusy), ("store_start_o", storeStart), ("store_insn_o", storeInsn), ("store_done_o", storeDoneOut),
            ("busy_o", ctrlBusy), ("done_o", doneOut));
        Sig Field(Sig word, string prefix, string name, int? width = null)
        {
            var x = format[name];
            int w = width ?? x.Width;
            return m.Wire($"{prefix}_{name}", word.Slice(x.Offset + w - 1, x.Offset));
        }
        var f = new[]
        {
            "opcode", "in_base", "in_h", "in_w", "in_plane", "in_groups", "in_unsigned", "out_base", "out_h", "out_w", "out_plane",
            "kernel", "stride", "pad", "pad_top", "oc_tiles", "bands", "band_rows", "band_out_step", "wgt_base", "wgt_oct_stride",
            "passes_per_band", "par_base", "lo", "hi",
        }.ToDictionary(n => n, n => Field(computeInsn, "c", n));
        bool sparseLoads = SparseWeightStream.Supported(c);
        var fl = new[] { "dma_dram", "dma_dram_stride", "dma_mem", "dma_base", "dma_chip_stride", "dma_chunks", "dma_chunk_words" }
            .Concat(sparseLoads ? ["dma_sparse", "dma_src_beats"] : [])
            .ToDictionary(n => n, n => Field(loadInsn, "l", n));
        var fs = new[] { "dma_dram", "dma_dram_stride", "dma_chunks", "dma_chunk_words" }.ToDictionary(n => n, n => Field(storeInsn, "s", n));
        fs["dma_base"] = Field(storeInsn, "s", "dma_base", oab);
        fs["dma_chip_stride"] = Field(storeInsn, "s", "dma_chip_stride", oab);
        var convStart = m.Wire("conv_start", computeStart.And(f["opcode"].Eq((long)Opcode.Conv)));
        var poolStart = m.Wire("pool_start", computeStart.And(f["opcode"].Eq((long)Opcode.MaxPool)));
        var avgStart = m.Wire("avg_start", computeStart.And(f["opcode"].Eq((long)Opcode.AvgPool)));
        var dwStart = c.HasDepthwiseUnit ? m.Wire("dw_start", computeStart.And(f["opcode"].Eq((long)Opcode.DwConv))) : null;
        var eltStart = m.Wire("elt_start", computeStart.And(f["opcode"].Eq((long)Opcode.Eltwise)));
        var fe = new[] { "elt_op", "in2_unsigned" }.ToDictionary(n => n, n => Field(computeInsn, "c", n));
        var hostIdle = m.Wire("host_idle", !ctrlBusy);

        // ---- host writes: each buffer takes the low bits of the data word ----
        // Bits above the widest host-written word must be zero: a write with them set is malformed and ignored.
        int widest = WidestWordBits(c);
        var hostPadOk = m.Wire("host_pad_ok", widest >= hostBits ? Expr.Lit(1, 1) : hostWrData.Slice(hostBits - 1, widest).Eq(0));
        Sig HostWrite(string name, int mem, int addrBits) =>
            m.Wire($"host_we_{name}", hostIdle.And(hostWrEn).And(hostPadOk).And(hostWrMem.Eq(mem))
                .And(addrBits >= HostAddressBits ? Expr.Lit(1, 1) : hostWrAddr.Slice(HostAddressBits - 1, addrBits).Eq(0)));
        Expr HostAddr(int bits) => hostWrAddr.Slice(bits - 1, 0);
        Expr HostData(int bits) => hostWrData.Slice(bits - 1, 0);

        // ---- registers and instruction fetch: the program streams in from DRAM ----
        var progAddr = m.Reg("prog_addr", da, 0);
        var progBytes = m.Reg("prog_bytes", da, 0);
        var regWe = HostWrite("registers", MemRegisters, 1);
        m.Comb(b =>
        {
            b.Hold(progAddr); b.Hold(progBytes);
            b.If(regWe, t => t.If(hostWrAddr.Bit(0), e => e.Set(progBytes.D, HostData(da)), e => e.Set(progAddr.D, HostData(da))));
        });
        m.Instantiate(InstructionFetch.Name, "u_insn_fetch", null,
            ("clk_i", clk), ("rst_ni", rstN), ("start_i", m.Wire("fetch_start", hostIdle.And(start))),
            ("prog_addr_i", progAddr.Q), ("prog_bytes_i", progBytes.Q),
            ("rd_req_valid_o", insnRdReqValid), ("rd_req_ready_i", insnRdReqReady), ("rd_req_addr_o", insnRdReqAddr), ("rd_req_beats_o", insnRdReqBeats),
            ("rd_data_valid_i", insnRdValid), ("rd_data_i", insnRdData),
            ("insn_valid_o", insnValid), ("insn_pop_i", insnPop), ("insn_o", insn));

        // ---- load unit: DRAM -> input or weight buffer ----
        var loadWrEn = m.Wire("load_wr_en");
        var loadWrMem = m.Wire("load_wr_mem");
        var loadWrAddr = m.PartlyUsedWire("load_wr_addr", ca, "Each buffer takes the low bits of the load address it is as deep as.");
        var loadWrData = m.Wire("load_wr_data", actBits);
        (string, Expr?)[] sparseFields = sparseLoads ? [("sparse_i", fl["dma_sparse"]), ("src_beats_i", fl["dma_src_beats"])] : [];
        m.Instantiate(DmaLoad.Name, "u_dma_load", null, [
            ("clk_i", clk), ("rst_ni", rstN), ("start_i", loadStart),
            ("dram_i", fl["dma_dram"]), ("dram_stride_i", fl["dma_dram_stride"]), ("mem_i", fl["dma_mem"]),
            ("chip_base_i", fl["dma_base"]), ("chip_stride_i", fl["dma_chip_stride"]), ("chunks_i", fl["dma_chunks"]), ("chunk_words_i", fl["dma_chunk_words"]),
            .. sparseFields,
            ("rd_req_valid_o", dramRdReqValid), ("rd_req_ready_i", dramRdReqReady), ("rd_req_addr_o", dramRdReqAddr), ("rd_req_beats_o", dramRdReqBeats),
            ("rd_data_valid_i", dramRdValid), ("rd_data_i", dramRdData),
            ("wr_en_o", loadWrEn), ("wr_mem_o", loadWrMem), ("wr_addr_o", loadWrAddr), ("wr_data_o", loadWrData), ("busy_o", loadBusy)]);

        // ---- weights ----
        var wgtRdEn = m.Wire("wgt_rd_en");
        var wgtRdAddr = m.Wire("wgt_rd_addr", wab);
        // The weight loader and the depthwise unit read the weights; the compute units run one at a time.
        var loaderRdEn = m.Wire("loader_wgt_rd_en");
        var loaderRdAddr = m.Wire("loader_wgt_rd_addr", wab);
        var dwWgtRdEn = m.Wire("dw_wgt_rd_en");
        var dwWgtRdAddr = m.Wire("dw_wgt_rd_addr", wab);
        m.Assign(wgtRdEn, loaderRdEn.Or(dwWgtRdEn));
        m.Assign(wgtRdAddr, Expr.Mux(dwWgtRdEn, dwWgtRdAddr, loaderRdAddr));
        var wgtRdData = m.Wire("wgt_rd_data", c.WeightWordBits);
        m.Instantiate("sdp_ram", "u_weights", Ram(c.WeightWordBits, c.WeightDepth, wab),
            ("clk_i", clk), ("wr_en_i", m.Wire("wgt_wr_en", loadWrEn.And(loadWrMem.Eq(InstructionFormat.DmaWeights)))),
            ("wr_addr_i", loadWrAddr.Slice(wab - 1, 0)), ("wr_data_i", loadWrData),
            ("rd_en_i", wgtRdEn), ("rd_addr_i", wgtRdAddr), ("rd_data_o", wgtRdData));

        // ---- channel parameters: biases (accumulator) and (M, S) (drain) in two buffers ----
        int biasBits = cols * EngineConfig.BiasBits, rqBits = cols * EngineConfig.RequantLaneBits;
        var paramWe = HostWrite("params", MemParams, pb);
        var biasRdEn = m.Wire("bias_rd_en");
        var biasRdAddr = m.Wire("bias_rd_addr", pb);
        // The accumulator and the depthwise unit read the biases; the depthwise unit reads (M, S) at the same address.
        var accBiasRdEn = m.Wire("acc_bias_rd_en");
        var accBiasRdAddr = m.Wire("acc_bias_rd_addr", pb);
        var dwParRdEn = m.Wire("dw_par_rd_en");
        var dwParRdAddr = m.Wire("dw_par_rd_addr", pb);
        m.Assign(biasRdEn, accBiasRdEn.Or(dwParRdEn));
        m.Assign(biasRdAddr, Expr.Mux(dwParRdEn, dwParRdAddr, accBiasRdAddr));
        var biasRdData = m.Wire("bias_rd_data", biasBits);
        m.Instantiate("sdp_ram", "u_bias", Ram(biasBits, c.ParamDepth!.Value, pb),
            ("clk_i", clk), ("wr_en_i", paramWe), ("wr_addr_i", HostAddr(pb)), ("wr_data_i", HostData(biasBits)),
            ("rd_en_i", biasRdEn), ("rd_addr_i", biasRdAddr), ("rd_data_o", biasRdData));
        var drainRqRdEn = m.Wire("drain_rq_rd_en");
        var drainRqRdAddr = m.Wire("drain_rq_rd_addr", pb);
        var avgRqRdEn = m.Wire("avg_rq_rd_en");
        var avgRqRdAddr = m.Wire("avg_rq_rd_addr", pb);
        var eltRqRdEn = m.Wire("elt_rq_rd_en");
        var eltRqRdAddr = m.Wire("elt_rq_rd_addr", pb);
        var rqRdEn = m.Wire("rq_rd_en", drainRqRdEn.Or(avgRqRdEn).Or(dwParRdEn).Or(eltRqRdEn));
        var rqRdAddr = m.Wire("rq_rd_addr", Expr.Mux(dwParRdEn, dwParRdAddr, Expr.Mux(eltRqRdEn, eltRqRdAddr, Expr.Mux(avgRqRdEn, avgRqRdAddr, drainRqRdAddr))));
        var rqRdData = m.Wire("rq_rd_data", rqBits);
        m.Instantiate("sdp_ram", "u_requant_params", Ram(rqBits, c.ParamDepth!.Value, pb),
            ("clk_i", clk), ("wr_en_i", paramWe), ("wr_addr_i", HostAddr(pb)),
            ("wr_data_i", hostWrData.Slice(biasBits + rqBits - 1, biasBits)),
            ("rd_en_i", rqRdEn), ("rd_addr_i", rqRdAddr), ("rd_data_o", rqRdData));

        // ---- input buffer: filled by the load unit, read by the feeder or a pool unit ----
        var inRdData = m.Wire("in_rd_data", actBits);
        var feedRdEn = m.Wire("feed_rd_en");
        var feedRdAddr = m.Wire("feed_rd_addr", iab);
        var poolRdEn = m.Wire("pool_rd_en");
        var poolRdAddr = m.Wire("pool_rd_addr", iab);
        var avgRdEn = m.Wire("avg_rd_en");
        var avgRdAddr = m.Wire("avg_rd_addr", iab);
        // The compute units run one at a time; each drives its enables only while running.
        var dwRdEn = m.Wire("dw_rd_en");
        var dwRdAddr = m.Wire("dw_rd_addr", iab);
        var eltRdEn = m.Wire("elt_rd_en");
        var eltRdAddr = m.Wire("elt_rd_addr", iab);
        var unitRdEn = m.Wire("unit_rd_en", feedRdEn.Or(poolRdEn).Or(avgRdEn).Or(dwRdEn).Or(eltRdEn));
        var unitRdAddr = m.Wire("unit_rd_addr", Expr.Mux(feedRdEn, feedRdAddr, Expr.Mux(poolRdEn, poolRdAddr, Expr.Mux(dwRdEn, dwRdAddr, Expr.Mux(eltRdEn, eltRdAddr, avgRdAddr)))));
        m.Instantiate("sdp_ram", "u_input", Ram(actBits, c.InputDepth, iab),
            ("clk_i", clk), ("wr_en_i", m.Wire("in_wr_en", loadWrEn.And(loadWrMem.Eq(InstructionFormat.DmaInput)))),
            ("wr_addr_i", loadWrAddr.Slice(iab - 1, 0)), ("wr_data_i", loadWrData),
            ("rd_en_i", unitRdEn), ("rd_addr_i", unitRdAddr), ("rd_data_o", inRdData));

        // ---- output buffer: written by the drain or a pool unit, read by the store unit ----
        var drainWrEn = m.Wire("drain_wr_en");
        var drainWrAddr = m.Wire("drain_wr_addr", oab);
        var drainWrData = m.Wire("drain_wr_data", actBits);
        var poolWrEn = m.Wire("pool_wr_en");
        var poolWrAddr = m.Wire("pool_wr_addr", oab);
        var poolWrData = m.Wire("pool_wr_data", actBits);
        var avgWrEn = m.Wire("avg_wr_en");
        var avgWrAddr = m.Wire("avg_wr_addr", oab);
        var avgWrData = m.Wire("avg_wr_data", actBits);
        var dwWrEn = m.Wire("dw_wr_en");
        var dwWrAddr = m.Wire("dw_wr_addr", oab);
        var dwWrData = m.Wire("dw_wr_data", actBits);
        var eltWrEn = m.Wire("elt_wr_en");
        var eltWrAddr = m.Wire("elt_wr_addr", oab);
        var eltWrData = m.Wire("elt_wr_data", actBits);
        var unitWrEn = m.Wire("unit_wr_en", drainWrEn.Or(poolWrEn).Or(avgWrEn).Or(dwWrEn).Or(eltWrEn));
        var storeRdEn = m.Wire("store_rd_en");
        var storeRdAddr = m.Wire("store_rd_addr", oab);
        var outRdData = m.Wire("out_rd_data", actBits);
        m.Instantiate("sdp_ram", "u_output", Ram(actBits, c.OutputDepth, oab),
            ("clk_i", clk), ("wr_en_i", unitWrEn),
            ("wr_addr_i", m.Wire("out_wr_addr", Expr.Mux(drainWrEn, drainWrAddr, Expr.Mux(poolWrEn, poolWrAddr, Expr.Mux(dwWrEn, dwWrAddr, Expr.Mux(eltWrEn, eltWrAddr, avgWrAddr)))))),
            ("wr_data_i", m.Wire("out_wr_data", Expr.Mux(drainWrEn, drainWrData, Expr.Mux(poolWrEn, poolWrData, Expr.Mux(dwWrEn, dwWrData, Expr.Mux(eltWrEn, eltWrData, avgWrData)))))),
            ("rd_en_i", storeRdEn), ("rd_addr_i", storeRdAddr), ("rd_data_o", outRdData));

        // ---- store unit: output buffer -> DRAM ----
        m.Instantiate(DmaStore.Name, "u_dma_store", null,
            ("clk_i", clk), ("rst_ni", rstN), ("start_i", storeStart),
            ("dram_i", fs["dma_dram"]), ("dram_stride_i", fs["dma_dram_stride"]),
            ("chip_base_i", fs["dma_base"]), ("chip_stride_i", fs["dma_chip_stride"]), ("chunks_i", fs["dma_chunks"]), ("chunk_words_i", fs["dma_chunk_words"]),
            ("rd_en_o", storeRdEn), ("rd_addr_o", storeRdAddr), ("rd_data_i", outRdData),
            ("wr_valid_o", dramWrValid), ("wr_ready_i", dramWrReady), ("wr_addr_o", dramWrAddr), ("wr_data_o", dramWrData),
            ("wr_ack_i", dramWrAck), ("busy_o", storeBusy));

        // ---- convolution path: feeder -> systolic array -> accumulator -> drain; loader fills weights ----
        var wbankReady = m.Wire("wbank_ready", 2);
        var wbankZero = m.Wire("wbank_zero", 2);
        var wbankTake = m.Wire("wbank_take");
        var passEnd = m.Wire("pass_end");
        var bankFree = m.Wire("bank_free");
        var bankFreeBank = m.Wire("bank_free_bank");
        var jobWe = m.Wire("job_we");
        var jobBank = m.Wire("job_bank");
        var jobOut = m.Wire("job_out_addr", oab);
        var jobNpix = m.Wire("job_npix", c.PixelCountBits);
        var jobPar = m.Wire("job_par", pb);
        var arrAct = m.Wire("arr_act", rows * EngineConfig.OperandBits);
        var arrSel = m.Wire("arr_sel");
        var tagValid = m.Wire("tag_valid");
        var tagFirst = m.Wire("tag_first");
        var tagLast = m.Wire("tag_band_last");
        var tagBank = m.Wire("tag_bank");
        var tagAddr = m.Wire("tag_addr", ab);
        var tagPar = m.Wire("tag_par", pb);
        var feederBusy = m.Wire("feeder_busy");
        m.Instantiate(Feeder.Name, "u_feeder", null,
            ("clk_i", clk), ("rst_ni", rstN), ("start_i", convStart),
            ("in_base_i", f["in_base"]), ("in_h_i", f["in_h"]), ("in_w_i", f["in_w"]), ("in_plane_i", f["in_plane"]),
            ("in_unsigned_i", f["in_unsigned"]), ("out_base_i", f["out_base"]), ("out_h_i", f["out_h"]), ("out_w_i", f["out_w"]),
            ("out_plane_i", f["out_plane"]), ("kernel_i", f["kernel"]), ("stride_i", f["stride"]), ("pad_i", f["pad"]), ("pad_top_i", f["pad_top"]),
            ("oc_tiles_i", f["oc_tiles"]), ("band_rows_i", f["band_rows"]), ("band_out_step_i", f["band_out_step"]),
            ("passes_per_band_i", f["passes_per_band"]), ("par_base_i", f["par_base"]),
            ("wbank_ready_i", wbankReady), ("wbank_zero_i", wbankZero), ("wbank_take_o", wbankTake), ("pass_end_o", passEnd),
            ("bank_free_i", bankFree), ("bank_free_bank_i", bankFreeBank),
            ("job_we_o", jobWe), ("job_bank_o", jobBank), ("job_out_addr_o", jobOut), ("job_npix_o", jobNpix), ("job_par_o", jobPar),
            ("act_rd_en_o", feedRdEn), ("act_rd_addr_o", feedRdAddr), ("act_rd_data_i", inRdData),
            ("arr_act_o", arrAct), ("arr_sel_o", arrSel),
            ("tag_valid_o", tagValid), ("tag_first_o", tagFirst), ("tag_band_last_o", tagLast), ("tag_bank_o", tagBank),
            ("tag_addr_o", tagAddr), ("tag_par_o", tagPar), ("busy_o", feederBusy));

        var wtWe = m.Wire("wt_we");
        var wtRow = m.Wire("wt_row", c.RowIndexBits);
        var wtBank = m.Wire("wt_bank");
        var wtData = m.Wire("wt_data", c.WeightWordBits);
        var loaderBusy = m.Wire("loader_busy");
        m.Instantiate(WeightLoader.Name, "u_weight_loader", null,
            ("clk_i", clk), ("rst_ni", rstN), ("start_i", convStart),
            ("wgt_base_i", f["wgt_base"]), ("wgt_oct_stride_i", f["wgt_oct_stride"]), ("passes_per_band_i", f["passes_per_band"]),
            ("oc_tiles_i", f["oc_tiles"]), ("bands_i", f["bands"]), ("take_i", wbankTake), ("pass_end_i", passEnd),
            ("wgt_rd_en_o", loaderRdEn), ("wgt_rd_addr_o", loaderRdAddr), ("wgt_rd_data_i", wgtRdData),
            ("wt_we_o", wtWe), ("wt_row_o", wtRow), ("wt_bank_o", wtBank), ("wt_data_o", wtData),
            ("ready_o", wbankReady), ("zero_o", wbankZero), ("busy_o", loaderBusy));

        var psum = m.Wire("psum", cols * c.PsumBits);
        m.Instantiate(Systolic.Name, "u_systolic", null,
            ("clk_i", clk), ("act_i", arrAct), ("sel_i", arrSel), ("wt_we_i", wtWe), ("wt_row_i", wtRow),
            ("wt_bank_i", wtBank), ("wt_data_i", wtData), ("psum_o", psum));

        var drainRdEn = m.Wire("drain_rd_en");
        var drainRdBank = m.Wire("drain_rd_bank");
        var drainRdAddr = m.Wire("drain_rd_addr", ab);
        var drainRdData = m.Wire("drain_rd_data", cols * c.AccumulatorBits);
        var bandDone = m.Wire("band_done");
        var bandDoneBank = m.Wire("band_done_bank");
        var accBusy = m.Wire("acc_busy");
        m.Instantiate(Accumulator.Name, "u_accumulator", null,
            ("clk_i", clk), ("rst_ni", rstN),
            ("tag_valid_i", tagValid), ("tag_first_i", tagFirst), ("tag_band_last_i", tagLast), ("tag_bank_i", tagBank),
            ("tag_addr_i", tagAddr), ("tag_par_i", tagPar), ("psum_i", psum),
            ("bias_rd_en_o", accBiasRdEn), ("bias_rd_addr_o", accBiasRdAddr), ("bias_rd_data_i", biasRdData),
            ("drain_rd_en_i", drainRdEn), ("drain_rd_bank_i", drainRdBank), ("drain_rd_addr_i", drainRdAddr),
            ("drain_rd_data_o", drainRdData), ("band_done_o", bandDone), ("band_done_bank_o", bandDoneBank), ("busy_o", accBusy));

        var drainBusy = m.Wire("drain_busy");
        var dwBusy = m.Wire("dw_busy");
        // The depthwise unit requantizes through the drain's lanes (the drain is idle while it runs).
        var dwRqAcc = c.HasDepthwiseUnit ? m.Wire("dw_rq_acc", cols * c.AccumulatorBits) : null;
        var dwRqQ = c.HasDepthwiseUnit ? m.Wire("dw_rq_q", actBits) : null;
        (string, Expr?)[] sharedLanes = c.HasDepthwiseUnit ? [("ext_sel_i", dwBusy), ("ext_acc_i", dwRqAcc), ("q_o", dwRqQ)] : [];
        m.Instantiate(Drain.Name, "u_drain", null, [
            ("clk_i", clk), ("rst_ni", rstN), ("op_start_i", convStart), ("lo_i", f["lo"]), ("hi_i", f["hi"]),
            ("job_we_i", jobWe), ("job_bank_i", jobBank), ("job_out_addr_i", jobOut), ("job_npix_i", jobNpix), ("job_par_i", jobPar),
            ("band_done_i", bandDone), ("band_done_bank_i", bandDoneBank),
            ("rq_rd_en_o", drainRqRdEn), ("rq_rd_addr_o", drainRqRdAddr), ("rq_rd_data_i", rqRdData),
            ("acc_rd_en_o", drainRdEn), ("acc_rd_bank_o", drainRdBank), ("acc_rd_addr_o", drainRdAddr), ("acc_rd_data_i", drainRdData),
            ("act_wr_en_o", drainWrEn), ("act_wr_addr_o", drainWrAddr), ("act_wr_data_o", drainWrData),
            ("bank_free_o", bankFree), ("bank_free_bank_o", bankFreeBank), ("busy_o", drainBusy), .. sharedLanes]);

        // ---- pooling ----
        var poolBusy = m.Wire("pool_busy");
        m.Instantiate(PoolUnit.Name, "u_pool_unit", null,
            ("clk_i", clk), ("rst_ni", rstN), ("start_i", poolStart),
            ("in_base_i", f["in_base"]), ("in_h_i", f["in_h"]), ("in_w_i", f["in_w"]), ("in_plane_i", f["in_plane"]),
            ("in_groups_i", f["in_groups"]), ("in_unsigned_i", f["in_unsigned"]), ("out_base_i", f["out_base"]),
            ("out_h_i", f["out_h"]), ("out_w_i", f["out_w"]), ("kernel_i", f["kernel"]), ("stride_i", f["stride"]), ("pad_i", f["pad"]), ("pad_top_i", f["pad_top"]),
            ("act_rd_en_o", poolRdEn), ("act_rd_addr_o", poolRdAddr), ("act_rd_data_i", inRdData),
            ("act_wr_en_o", poolWrEn), ("act_wr_addr_o", poolWrAddr), ("act_wr_data_o", poolWrData), ("busy_o", poolBusy));

        var avgBusy = m.Wire("avg_busy");
        m.Instantiate(AvgPoolUnit.Name, "u_avgpool_unit", null,
            ("clk_i", clk), ("rst_ni", rstN), ("start_i", avgStart),
            ("in_base_i", f["in_base"]), ("in_plane_i", f["in_plane"]), ("in_groups_i", f["in_groups"]),
            ("in_unsigned_i", f["in_unsigned"]), ("out_base_i", f["out_base"]), ("par_base_i", f["par_base"]),
            ("lo_i", f["lo"]), ("hi_i", f["hi"]),
            ("rq_rd_en_o", avgRqRdEn), ("rq_rd_addr_o", avgRqRdAddr), ("rq_rd_data_i", rqRdData),
            ("act_rd_en_o", avgRdEn), ("act_rd_addr_o", avgRdAddr), ("act_rd_data_i", inRdData),
            ("act_wr_en_o", avgWrEn), ("act_wr_addr_o", avgWrAddr), ("act_wr_data_o", avgWrData), ("busy_o", avgBusy));

        // ---- depthwise convolution (optional): weights, parameters, input and output through the shared ports ----
        if (dwStart is not null)
            m.Instantiate(DepthwiseUnit.Name, "u_dw_unit", null,
                ("clk_i", clk), ("rst_ni", rstN), ("start_i", dwStart),
                ("in_base_i", f["in_base"]), ("in_h_i", f["in_h"]), ("in_w_i", f["in_w"]), ("in_plane_i", f["in_plane"]),
                ("in_groups_i", f["in_groups"]), ("in_unsigned_i", f["in_unsigned"]), ("out_base_i", f["out_base"]),
                ("out_h_i", f["out_h"]), ("out_w_i", f["out_w"]), ("kernel_i", f["kernel"]), ("stride_i", f["stride"]), ("pad_i", f["pad"]), ("pad_top_i", f["pad_top"]),
                ("wgt_base_i", f["wgt_base"]), ("par_base_i", f["par_base"]),
                ("wgt_rd_en_o", dwWgtRdEn), ("wgt_rd_addr_o", dwWgtRdAddr), ("wgt_rd_data_i", wgtRdData),
                ("par_rd_en_o", dwParRdEn), ("par_rd_addr_o", dwParRdAddr), ("bias_rd_data_i", biasRdData),
                ("rq_acc_o", dwRqAcc!), ("rq_q_i", dwRqQ!),
                ("act_rd_en_o", dwRdEn), ("act_rd_addr_o", dwRdAddr), ("act_rd_data_i", inRdData),
                ("act_wr_en_o", dwWrEn), ("act_wr_addr_o", dwWrAddr), ("act_wr_data_o", dwWrData), ("busy_o", dwBusy));
        else
        {
            foreach (var idle in new[] { dwWgtRdEn, dwParRdEn, dwRdEn, dwWrEn, dwBusy }) m.Assign(idle, Expr.Lit(1, 0));
            m.Assign(dwWgtRdAddr, Expr.Lit(wab, 0));
            m.Assign(dwParRdAddr, Expr.Lit(pb, 0));
            m.Assign(dwRdAddr, Expr.Lit(iab, 0));
            m.Assign(dwWrAddr, Expr.Lit(oab, 0));
            m.Assign(dwWrData, Expr.Lit(actBits, 0));
        }


        // ---- element-wise operations (ELTWISE) ----
        var eltBusy = m.Wire("elt_busy");
        m.Instantiate(EltwiseUnit.Name, "u_eltwise_unit", null,
            ("clk_i", clk), ("rst_ni", rstN), ("start_i", eltStart), ("op_i", fe["elt_op"]),
            ("in_base_i", f["in_base"]), ("in_plane_i", f["in_plane"]), ("in_unsigned_i", f["in_unsigned"]), ("in2_unsigned_i", fe["in2_unsigned"]),
            ("out_base_i", f["out_base"]), ("out_groups_i", f["oc_tiles"]), ("group_words_i", f["out_plane"]),
            ("in_h_i", f["in_h"]), ("in_w_i", f["in_w"]), ("in_groups_i", f["in_groups"]), ("out_h_i", f["out_h"]), ("out_w_i", f["out_w"]),
            ("kernel_i", f["kernel"]), ("stride_i", f["stride"]), ("pad_i", f["pad"]), ("pad_top_i", f["pad_top"]), ("reads_i", f["passes_per_band"]),
            ("par_base_i", f["par_base"]), ("lo_i", f["lo"]), ("hi_i", f["hi"]),
            ("rq_rd_en_o", eltRqRdEn), ("rq_rd_addr_o", eltRqRdAddr), ("rq_rd_data_i", rqRdData),
            ("act_rd_en_o", eltRdEn), ("act_rd_addr_o", eltRdAddr), ("act_rd_data_i", inRdData),
            ("act_wr_en_o", eltWrEn), ("act_wr_addr_o", eltWrAddr), ("act_wr_data_o", eltWrData), ("busy_o", eltBusy));

        m.Assign(computeBusy, Expr.Cat(feederBusy, loaderBusy, accBusy, drainBusy, poolBusy, avgBusy, dwBusy, eltBusy).ReduceOr());
        m.Assign(busyOut, ctrlBusy);

        // Cycles in which a pixel entered the array, since the last start.
        var active = m.Reg("active_cycles", 32, 0);
        m.Assign(active.D, Expr.Mux(start, Expr.Lit(32, 0), active.Q + Expr.Cat(Expr.Lit(31, 0), tagValid)));
        m.Assign(activeOut, active.Q);
        // Cycles the load unit was busy since the last start: the harness times each load (a sparse one's decoding) by it.
        var loadCycles = m.Reg("load_busy_cycles", 32, 0);
        m.Assign(loadCycles.D, Expr.Mux(start, Expr.Lit(32, 0), loadCycles.Q + Expr.Cat(Expr.Lit(31, 0), loadBusy)));
        m.Assign(loadCyclesOut, loadCycles.Q);
        m.Clocked(clk, rstN);
        return m;
    }

    private static Dictionary<string, long> Ram(int width, int depth, int addrBits) =>
        new() { ["WIDTH"] = width, ["DEPTH"] = depth, ["ADDR_BITS"] = addrBits };
}
