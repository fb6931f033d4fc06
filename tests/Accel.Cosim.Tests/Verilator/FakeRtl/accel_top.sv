// Stand-in for the generated accelerator: the real accel_top's ports with trivial behaviour, so the
// C++ testbench, its memory model and its C# driver can be tested without the RTL generator.
//
// The host writes a copy descriptor to memory 0, address 0 (where the real engine has its registers; other addresses and the
// channel parameters, memory 1, are ignored):
//   bits [31:0] source DRAM address, [63:32] destination DRAM address,
//   [71:64] beats (1..MaxBeats; only the low BurstCountBits are used), [72] hang.
// A run copies the beats from source to destination through the DRAM port, in four phases:
//   load:    one read request of all the beats, each beat stored in a small buffer as it arrives;
//            load_done_o pulses after the last beat;
//   compute: ComputeCycles idle cycles, counted by active_cycles_o; compute_done_o pulses after them;
//   store:   one write beat per accepted dram_wr_ready_i, at destination + i * beat bytes, then a
//            wait for every acknowledgement; store_done_o pulses with the last one;
//   done:    done_o pulses one cycle after store_done_o, unless hang is set: then the engine stays
//            busy forever (for cycle-limit tests).
// All done pulses are registered: they are seen the cycle after the edge that completes the phase.
module accel_top #(
  parameter int unsigned HostBits       = 128,
  parameter int unsigned DramBits       = 64,
  parameter int unsigned BurstCountBits = 5
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  input  logic                      host_wr_en_i,
  input  logic                      host_wr_mem_i,
  input  logic [31:0]               host_wr_addr_i,
  input  logic [HostBits-1:0]       host_wr_data_i,
  input  logic                      start_i,
  output logic                      busy_o,
  output logic                      done_o,
  output logic                      load_done_o,
  output logic                      compute_done_o,
  output logic                      store_done_o,
  output logic [31:0]               active_cycles_o,
  output logic [31:0]               load_busy_cycles_o,
  output logic                      dram_rd_req_valid_o,
  input  logic                      dram_rd_req_ready_i,
  output logic [31:0]               dram_rd_req_addr_o,
  output logic [BurstCountBits-1:0] dram_rd_req_beats_o,
  input  logic                      dram_rd_valid_i,
  input  logic [DramBits-1:0]       dram_rd_data_i,
  output logic                      dram_wr_valid_o,
  input  logic                      dram_wr_ready_i,
  output logic [31:0]               dram_wr_addr_o,
  output logic [DramBits-1:0]       dram_wr_data_o,
  input  logic                      dram_wr_ack_i,
  // The instruction port: the fake takes its one descriptor over the host port and never fetches.
  output logic                      insn_rd_req_valid_o,
  input  logic                      insn_rd_req_ready_i,
  output logic [31:0]               insn_rd_req_addr_o,
  output logic [BurstCountBits-1:0] insn_rd_req_beats_o,
  input  logic                      insn_rd_valid_i,
  input  logic [DramBits-1:0]       insn_rd_data_i
);

  localparam int unsigned IdxBits       = BurstCountBits - 1;
  localparam int unsigned MaxBeats      = 2 ** IdxBits;
  localparam int unsigned BeatBytes     = DramBits / 8;
  localparam int unsigned ComputeCycles = 8;
  localparam int unsigned DescBits      = 73;
  localparam int unsigned HangBit       = 72;

  typedef enum logic [2:0] {
    StIdle,
    StRequest,
    StLoad,
    StCompute,
    StStore,
    StAck,
    StDone,
    StHang
  } state_e;

  state_e                    state_q, state_d;
  logic [DescBits-1:0]       desc_q;
  logic [31:0]               src, dst;
  logic [BurstCountBits-1:0] beats;
  logic [BurstCountBits-1:0] count_q, count_d;  // beats received (load) or sent (store)
  logic [BurstCountBits-1:0] acks_q, acks_d;
  logic [3:0]                wait_q, wait_d;
  logic [31:0]               active_q, active_d;
  logic [31:0]               wr_addr_q, wr_addr_d;
  logic                      load_done_q, load_done_d;
  logic                      compute_done_q, compute_done_d;
  logic                      store_done_q, store_done_d;
  logic                      done_q, done_d;
  logic [DramBits-1:0]       buf_q [MaxBeats];

  assign src   = desc_q[31:0];
  assign dst   = desc_q[63:32];
  assign beats = desc_q[64 +: BurstCountBits];

  always_comb begin
    state_d        = state_q;
    count_d        = count_q;
    acks_d         = acks_q;
    wait_d         = wait_q;
    active_d       = active_q;
    wr_addr_d      = wr_addr_q;
    load_done_d    = 1'b0;
    compute_done_d = 1'b0;
    store_done_d   = 1'b0;
    done_d         = 1'b0;
    if ((state_q == StStore || state_q == StAck) && dram_wr_ack_i) begin
      acks_d = acks_q + BurstCountBits'(1);
    end
    unique case (state_q)
      StIdle: begin
        if (start_i) begin
          state_d   = StRequest;
          count_d   = '0;
          acks_d    = '0;
          wait_d    = '0;
          active_d  = '0;
          wr_addr_d = dst;
        end
      end
      StRequest: begin
        if (dram_rd_req_ready_i) state_d = StLoad;
      end
      StLoad: begin
        if (dram_rd_valid_i) begin
          count_d = count_q + BurstCountBits'(1);
          if (count_q == beats - BurstCountBits'(1)) begin
            state_d     = StCompute;
            count_d     = '0;
            load_done_d = 1'b1;
          end
        end
      end
      StCompute: begin
        active_d = active_q + 32'd1;
        wait_d   = wait_q + 4'd1;
        if (wait_q == 4'(ComputeCycles - 1)) begin
          state_d        = StStore;
          compute_done_d = 1'b1;
        end
      end
      StStore: begin
        if (dram_wr_ready_i) begin
          count_d   = count_q + BurstCountBits'(1);
          wr_addr_d = wr_addr_q + 32'(BeatBytes);
          if (count_q == beats - BurstCountBits'(1)) state_d = StAck;
        end
      end
      StAck: begin
        if (acks_d == beats) begin
          store_done_d = 1'b1;
          state_d      = desc_q[HangBit] ? StHang : StDone;
        end
      end
      StDone: begin
        done_d  = 1'b1;
        state_d = StIdle;
      end
      StHang: ;
      default: state_d = StIdle;
    endcase
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q        <= StIdle;
      count_q        <= '0;
      acks_q         <= '0;
      wait_q         <= '0;
      active_q       <= '0;
      wr_addr_q      <= '0;
      load_done_q    <= 1'b0;
      compute_done_q <= 1'b0;
      store_done_q   <= 1'b0;
      done_q         <= 1'b0;
    end else begin
      state_q        <= state_d;
      count_q        <= count_d;
      acks_q         <= acks_d;
      wait_q         <= wait_d;
      active_q       <= active_d;
      wr_addr_q      <= wr_addr_d;
      load_done_q    <= load_done_d;
      compute_done_q <= compute_done_d;
      store_done_q   <= store_done_d;
      done_q         <= done_d;
    end
  end

  // The descriptor is written while idle, as the real registers are.
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      desc_q <= '0;
    end else if (host_wr_en_i && !host_wr_mem_i && host_wr_addr_i == 32'd0 && state_q == StIdle) begin
      desc_q <= host_wr_data_i[DescBits-1:0];
    end
  end

  // The beat buffer is not reset, as the real on-chip buffers.
  always_ff @(posedge clk_i) begin
    if (state_q == StLoad && dram_rd_valid_i) begin
      buf_q[count_q[IdxBits-1:0]] <= dram_rd_data_i;
    end
  end

  assign busy_o              = state_q != StIdle;
  assign done_o              = done_q;
  assign load_done_o         = load_done_q;
  assign compute_done_o      = compute_done_q;
  assign store_done_o        = store_done_q;
  assign active_cycles_o     = active_q;
  assign load_busy_cycles_o  = 32'd0;  // the fake's loads are not timed
  assign dram_rd_req_valid_o = state_q == StRequest;
  assign dram_rd_req_addr_o  = src;
  assign dram_rd_req_beats_o = beats;
  assign dram_wr_valid_o     = state_q == StStore;
  assign dram_wr_addr_o      = wr_addr_q;
  assign dram_wr_data_o      = buf_q[count_q[IdxBits-1:0]];

  // Descriptor bits above the burst count and data bits above the descriptor are ignored on purpose.
  logic unused_bits;
  assign unused_bits = ^{host_wr_data_i[HostBits-1:DescBits], desc_q[HangBit-1:64+BurstCountBits],
                         insn_rd_req_ready_i, insn_rd_valid_i, insn_rd_data_i};
  assign insn_rd_req_valid_o = 1'b0;
  assign insn_rd_req_addr_o  = '0;
  assign insn_rd_req_beats_o = '0;

endmodule
