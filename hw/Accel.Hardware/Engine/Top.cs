using Accel.Hardware.Config;
using Accel.Hardware.Program;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Engine;

/// <summary>
/// The engine top: buffers (program, activations, weights, biases, requantization), the
/// controller and the units, and the host port that loads buffers and reads activations while
/// the engine is idle. Memory ids on the host port: 0 program, 1 activations, 2 weights,
/// 3 channel parameters (one word = Cols biases then Cols (M, S) pairs).
/// </summary>
public static class Top
{
    public const string Name = "accel_top";
    public const int MemProgram = 0, MemActivations = 1, MemWeights = 2, MemParams = 3;
    public const int HostAddressBits = 32;

    /// <summary>Bits of the widest buffer word.</summary>
    public static int WidestWordBits(EngineConfig c, InstructionFormat f) =>
        new[] { f.Bits, c.ActivationWordBits, c.WeightWordBits, c.ParamWordBits }.Max();

    /// <summary>Width of the host write data port: the widest buffer word in whole bytes, at least 128 bits.</summary>
    public static int HostBits(EngineConfig c, InstructionFormat f) => Math.Max(128, (WidestWordBits(c, f) + 7) / 8 * 8);

    public static Module Build(EngineConfig c, InstructionFormat format)
    {
        int rows = c.Rows, cols = c.Cols, aab = c.ActivationAddressBits, wab = c.WeightAddressBits, pb = c.ParamAddressBits;
        int ab = c.AccumulatorAddressBits, hostBits = HostBits(c, format), actBits = c.ActivationWordBits;
        var m = new Module(Name).Describe(
            $"Fire engine top: {rows}x{cols} weight-stationary int8 array, program-driven.",
            "Host port: write any buffer (mem 0 program, 1 activations, 2 weights, 3 channel params) and read activations while idle.");
        var clk = m.Input("clk_i");
        var rstN = m.Input("rst_ni");
        var hostWrEn = m.Input("host_wr_en_i");
        var hostWrMem = m.Input("host_wr_mem_i", 2);
        var hostWrAddr = m.Input("host_wr_addr_i", HostAddressBits);
        var hostWrData = m.Input("host_wr_data_i", hostBits);
        var hostRdEn = m.Input("host_rd_en_i");
        var hostRdAddr = m.Input("host_rd_addr_i", HostAddressBits);
        var hostRdData = m.Output("host_rd_data_o", actBits);
        var start = m.Input("start_i");
        var busyOut = m.Output("busy_o");
        var doneOut = m.Output("done_o");
        var retireOut = m.Output("insn_retire_o");
        var activeOut = m.Output("active_cycles_o", 32);

        // ---- controller and decoded fields ----
        var ctrlBusy = m.Wire("ctrl_busy");
        var unitBusy = m.Wire("unit_busy");
        var progRdEn = m.Wire("prog_rd_en");
        var progRdAddr = m.Wire("prog_rd_addr", c.ProgramAddressBits);
        var progRdData = m.Wire("prog_rd_data", format.Bits);
        var opField = format["opcode"];
        var insn = m.Wire("insn", format.Bits - opField.Width);
        var convStart = m.Wire("conv_start");
        var poolStart = m.Wire("pool_start");
        var avgStart = m.Wire("avg_start");
        m.Instantiate(Controller.Name, "u_controller", null,
            ("clk_i", clk), ("rst_ni", rstN), ("start_i", start),
            ("prog_rd_en_o", progRdEn), ("prog_rd_addr_o", progRdAddr), ("prog_rd_data_i", progRdData),
            ("insn_o", insn), ("conv_start_o", convStart), ("pool_start_o", poolStart), ("avg_start_o", avgStart), ("unit_busy_i", unitBusy),
            ("busy_o", ctrlBusy), ("done_o", doneOut), ("retire_o", retireOut));
        var f = format.Fields.Where(x => x.Name != "opcode")
            .ToDictionary(x => x.Name, x => m.Wire("f_" + x.Name, insn.Slice(x.Offset - opField.Width + x.Width - 1, x.Offset - opField.Width)));
        var hostIdle = m.Wire("host_idle", !ctrlBusy);

        // ---- host write decode: each buffer takes the low bits of the data word ----
        // Bits above the widest buffer word must be zero: a write with them set is malformed and ignored.
        int widest = WidestWordBits(c, format);
        var hostPadOk = m.Wire("host_pad_ok", widest >= hostBits ? Expr.Lit(1, 1) : hostWrData.Slice(hostBits - 1, widest).Eq(0));
        Sig HostWrite(string name, int mem, int addrBits) =>
            m.Wire($"host_we_{name}", hostIdle.And(hostWrEn).And(hostPadOk).And(hostWrMem.Eq(mem))
                .And(addrBits >= HostAddressBits ? Expr.Lit(1, 1) : hostWrAddr.Slice(HostAddressBits - 1, addrBits).Eq(0)));
        Expr HostAddr(int bits) => hostWrAddr.Slice(bits - 1, 0);
        Expr HostData(int bits) => hostWrData.Slice(bits - 1, 0);

        m.Instantiate("sdp_ram", "u_program", Ram(format.Bits, c.ProgramDepth!.Value, c.ProgramAddressBits),
            ("clk_i", clk), ("wr_en_i", HostWrite("program", MemProgram, c.ProgramAddressBits)),
            ("wr_addr_i", HostAddr(c.ProgramAddressBits)), ("wr_data_i", HostData(format.Bits)),
            ("rd_en_i", progRdEn), ("rd_addr_i", progRdAddr), ("rd_data_o", progRdData));

        // ---- weights ----
        var wgtRdEn = m.Wire("wgt_rd_en");
        var wgtRdAddr = m.Wire("wgt_rd_addr", wab);
        var wgtRdData = m.Wire("wgt_rd_data", c.WeightWordBits);
        m.Instantiate("sdp_ram", "u_weights", Ram(c.WeightWordBits, c.WeightDepth!.Value, wab),
            ("clk_i", clk), ("wr_en_i", HostWrite("weights", MemWeights, wab)), ("wr_addr_i", HostAddr(wab)),
            ("wr_data_i", HostData(c.WeightWordBits)), ("rd_en_i", wgtRdEn), ("rd_addr_i", wgtRdAddr), ("rd_data_o", wgtRdData));

        // ---- channel parameters: biases (accumulator) and (M, S) (drain) in two buffers ----
        int biasBits = cols * EngineConfig.BiasBits, rqBits = cols * EngineConfig.RequantLaneBits;
        var paramWe = HostWrite("params", MemParams, pb);
        var biasRdEn = m.Wire("bias_rd_en");
        var biasRdAddr = m.Wire("bias_rd_addr", pb);
        var biasRdData = m.Wire("bias_rd_data", biasBits);
        m.Instantiate("sdp_ram", "u_bias", Ram(biasBits, c.ParamDepth!.Value, pb),
            ("clk_i", clk), ("wr_en_i", paramWe), ("wr_addr_i", HostAddr(pb)), ("wr_data_i", HostData(biasBits)),
            ("rd_en_i", biasRdEn), ("rd_addr_i", biasRdAddr), ("rd_data_o", biasRdData));
        var drainRqRdEn = m.Wire("drain_rq_rd_en");
        var drainRqRdAddr = m.Wire("drain_rq_rd_addr", pb);
        var avgRqRdEn = m.Wire("avg_rq_rd_en");
        var avgRqRdAddr = m.Wire("avg_rq_rd_addr", pb);
        var rqRdEn = m.Wire("rq_rd_en", drainRqRdEn.Or(avgRqRdEn));
        var rqRdAddr = m.Wire("rq_rd_addr", Expr.Mux(avgRqRdEn, avgRqRdAddr, drainRqRdAddr));
        var rqRdData = m.Wire("rq_rd_data", rqBits);
        m.Instantiate("sdp_ram", "u_requant_params", Ram(rqBits, c.ParamDepth!.Value, pb),
            ("clk_i", clk), ("wr_en_i", paramWe), ("wr_addr_i", HostAddr(pb)),
            ("wr_data_i", hostWrData.Slice(biasBits + rqBits - 1, biasBits)),
            ("rd_en_i", rqRdEn), ("rd_addr_i", rqRdAddr), ("rd_data_o", rqRdData));

        // ---- activations: read by the feeder or the pool unit (or the host when idle), written by the drain or the pool unit ----
        var actRdData = m.Wire("act_rd_data", actBits);
        var feedRdEn = m.Wire("feed_rd_en");
        var feedRdAddr = m.Wire("feed_rd_addr", aab);
        var poolRdEn = m.Wire("pool_rd_en");
        var poolRdAddr = m.Wire("pool_rd_addr", aab);
        var drainWrEn = m.Wire("drain_wr_en");
        var drainWrAddr = m.Wire("drain_wr_addr", aab);
        var drainWrData = m.Wire("drain_wr_data", actBits);
        var poolWrEn = m.Wire("pool_wr_en");
        var poolWrAddr = m.Wire("pool_wr_addr", aab);
        var poolWrData = m.Wire("pool_wr_data", actBits);
        var avgRdEn = m.Wire("avg_rd_en");
        var avgRdAddr = m.Wire("avg_rd_addr", aab);
        var avgWrEn = m.Wire("avg_wr_en");
        var avgWrAddr = m.Wire("avg_wr_addr", aab);
        var avgWrData = m.Wire("avg_wr_data", actBits);
        // The units run one at a time; each drives its enables only while running.
        var unitWrEn = m.Wire("unit_wr_en", drainWrEn.Or(poolWrEn).Or(avgWrEn));
        var unitWrAddr = m.Wire("unit_wr_addr", Expr.Mux(drainWrEn, drainWrAddr, Expr.Mux(poolWrEn, poolWrAddr, avgWrAddr)));
        var unitWrData = m.Wire("unit_wr_data", Expr.Mux(drainWrEn, drainWrData, Expr.Mux(poolWrEn, poolWrData, avgWrData)));
        var unitRdEn = m.Wire("unit_rd_en", feedRdEn.Or(poolRdEn).Or(avgRdEn));
        var unitRdAddr = m.Wire("unit_rd_addr", Expr.Mux(feedRdEn, feedRdAddr, Expr.Mux(poolRdEn, poolRdAddr, avgRdAddr)));
        var hostActWe = HostWrite("act", MemActivations, aab);
        var hostRdOk = m.Wire("host_rd_ok", hostIdle.And(hostRdEn).And(aab >= HostAddressBits ? Expr.Lit(1, 1)
            : hostRdAddr.Slice(HostAddressBits - 1, aab).Eq(0)));
        m.Instantiate("sdp_ram", "u_activations", Ram(actBits, c.ActivationDepth!.Value, aab),
            ("clk_i", clk),
            ("wr_en_i", m.Wire("act_wr_en", unitWrEn.Or(hostActWe))),
            ("wr_addr_i", m.Wire("act_wr_addr", Expr.Mux(unitWrEn, unitWrAddr, HostAddr(aab)))),
            ("wr_data_i", m.Wire("act_wr_data", Expr.Mux(unitWrEn, unitWrData, HostData(actBits)))),
            ("rd_en_i", m.Wire("act_rd_en", unitRdEn.Or(hostRdOk))),
            ("rd_addr_i", m.Wire("act_rd_addr", Expr.Mux(unitRdEn, unitRdAddr, hostRdAddr.Slice(aab - 1, 0)))),
            ("rd_data_o", actRdData));
        m.Assign(hostRdData, actRdData);

        // ---- convolution path: feeder -> systolic array -> accumulator -> drain; loader fills weights ----
        var wbankReady = m.Wire("wbank_ready", 2);
        var wbankTake = m.Wire("wbank_take");
        var passEnd = m.Wire("pass_end");
        var bankFree = m.Wire("bank_free");
        var bankFreeBank = m.Wire("bank_free_bank");
        var jobWe = m.Wire("job_we");
        var jobBank = m.Wire("job_bank");
        var jobOut = m.Wire("job_out_addr", aab);
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
            ("out_plane_i", f["out_plane"]), ("kernel_i", f["kernel"]), ("stride_i", f["stride"]), ("pad_i", f["pad"]),
            ("oc_tiles_i", f["oc_tiles"]), ("band_rows_i", f["band_rows"]), ("band_out_step_i", f["band_out_step"]),
            ("passes_per_band_i", f["passes_per_band"]), ("par_base_i", f["par_base"]),
            ("wbank_ready_i", wbankReady), ("wbank_take_o", wbankTake), ("pass_end_o", passEnd),
            ("bank_free_i", bankFree), ("bank_free_bank_i", bankFreeBank),
            ("job_we_o", jobWe), ("job_bank_o", jobBank), ("job_out_addr_o", jobOut), ("job_npix_o", jobNpix), ("job_par_o", jobPar),
            ("act_rd_en_o", feedRdEn), ("act_rd_addr_o", feedRdAddr), ("act_rd_data_i", actRdData),
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
            ("wgt_rd_en_o", wgtRdEn), ("wgt_rd_addr_o", wgtRdAddr), ("wgt_rd_data_i", wgtRdData),
            ("wt_we_o", wtWe), ("wt_row_o", wtRow), ("wt_bank_o", wtBank), ("wt_data_o", wtData),
            ("ready_o", wbankReady), ("busy_o", loaderBusy));

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
            ("bias_rd_en_o", biasRdEn), ("bias_rd_addr_o", biasRdAddr), ("bias_rd_data_i", biasRdData),
            ("drain_rd_en_i", drainRdEn), ("drain_rd_bank_i", drainRdBank), ("drain_rd_addr_i", drainRdAddr),
            ("drain_rd_data_o", drainRdData), ("band_done_o", bandDone), ("band_done_bank_o", bandDoneBank), ("busy_o", accBusy));

        var drainBusy = m.Wire("drain_busy");
        m.Instantiate(Drain.Name, "u_drain", null,
            ("clk_i", clk), ("rst_ni", rstN), ("op_start_i", convStart), ("lo_i", f["lo"]), ("hi_i", f["hi"]),
            ("job_we_i", jobWe), ("job_bank_i", jobBank), ("job_out_addr_i", jobOut), ("job_npix_i", jobNpix), ("job_par_i", jobPar),
            ("band_done_i", bandDone), ("band_done_bank_i", bandDoneBank),
            ("rq_rd_en_o", drainRqRdEn), ("rq_rd_addr_o", drainRqRdAddr), ("rq_rd_data_i", rqRdData),
            ("acc_rd_en_o", drainRdEn), ("acc_rd_bank_o", drainRdBank), ("acc_rd_addr_o", drainRdAddr), ("acc_rd_data_i", drainRdData),
            ("act_wr_en_o", drainWrEn), ("act_wr_addr_o", drainWrAddr), ("act_wr_data_o", drainWrData),
            ("bank_free_o", bankFree), ("bank_free_bank_o", bankFreeBank), ("busy_o", drainBusy));

        // ---- pooling ----
        var poolBusy = m.Wire("pool_busy");
        m.Instantiate(PoolUnit.Name, "u_pool_unit", null,
            ("clk_i", clk), ("rst_ni", rstN), ("start_i", poolStart),
            ("in_base_i", f["in_base"]), ("in_h_i", f["in_h"]), ("in_w_i", f["in_w"]), ("in_plane_i", f["in_plane"]),
            ("in_groups_i", f["in_groups"]), ("in_unsigned_i", f["in_unsigned"]), ("out_base_i", f["out_base"]),
            ("out_h_i", f["out_h"]), ("out_w_i", f["out_w"]), ("kernel_i", f["kernel"]), ("stride_i", f["stride"]), ("pad_i", f["pad"]),
            ("act_rd_en_o", poolRdEn), ("act_rd_addr_o", poolRdAddr), ("act_rd_data_i", actRdData),
            ("act_wr_en_o", poolWrEn), ("act_wr_addr_o", poolWrAddr), ("act_wr_data_o", poolWrData), ("busy_o", poolBusy));

        var avgBusy = m.Wire("avg_busy");
        m.Instantiate(AvgPoolUnit.Name, "u_avgpool_unit", null,
            ("clk_i", clk), ("rst_ni", rstN), ("start_i", avgStart),
            ("in_base_i", f["in_base"]), ("in_plane_i", f["in_plane"]), ("in_groups_i", f["in_groups"]),
            ("in_unsigned_i", f["in_unsigned"]), ("out_base_i", f["out_base"]), ("par_base_i", f["par_base"]),
            ("lo_i", f["lo"]), ("hi_i", f["hi"]),
            ("rq_rd_en_o", avgRqRdEn), ("rq_rd_addr_o", avgRqRdAddr), ("rq_rd_data_i", rqRdData),
            ("act_rd_en_o", avgRdEn), ("act_rd_addr_o", avgRdAddr), ("act_rd_data_i", actRdData),
            ("act_wr_en_o", avgWrEn), ("act_wr_addr_o", avgWrAddr), ("act_wr_data_o", avgWrData), ("busy_o", avgBusy));

        m.Assign(unitBusy, Expr.Cat(feederBusy, loaderBusy, accBusy, drainBusy, poolBusy, avgBusy).ReduceOr());
        m.Assign(busyOut, ctrlBusy);

        // Cycles in which a pixel entered the array, since the last start.
        var active = m.Reg("active_cycles", 32, 0);
        m.Assign(active.D, Expr.Mux(start, Expr.Lit(32, 0), active.Q + Expr.Cat(Expr.Lit(31, 0), tagValid)));
        m.Assign(activeOut, active.Q);
        m.Clocked(clk, rstN);
        return m;
    }

    private static Dictionary<string, long> Ram(int width, int depth, int addrBits) =>
        new() { ["WIDTH"] = width, ["DEPTH"] = depth, ["ADDR_BITS"] = addrBits };
}
