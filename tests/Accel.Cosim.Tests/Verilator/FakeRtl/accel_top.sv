// Stand-in for the generated accelerator: the real accel_top's ports with trivial behaviour, so the
// C++ testbench and its C# driver can be tested without the RTL generator.
//
// Only the activation memory (64 words) exists; program, weight and channel-parameter writes are
// dropped. A run copies activation word i to word i+32 for i < 32, adding 1 to every byte, retires
// an "instruction", idles for TailCycles (so that a run lasts about 100 cycles and a small cycle
// limit trips), retires a second one and pulses done_o.
module accel_top #(
  parameter int unsigned Rows     = 2,
  parameter int unsigned HostBits = 128
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  input  logic                  host_wr_en_i,
  input  logic [1:0]            host_wr_mem_i,
  input  logic [31:0]           host_wr_addr_i,
  input  logic [HostBits-1:0]   host_wr_data_i,
  input  logic                  host_rd_en_i,
  input  logic [31:0]           host_rd_addr_i,
  output logic [8*Rows-1:0]     host_rd_data_o,
  input  logic                  start_i,
  output logic                  busy_o,
  output logic                  done_o,
  output logic                  insn_retire_o,
  output logic [31:0]           active_cycles_o
);

  localparam int unsigned ActBits    = 8 * Rows;
  localparam int unsigned Words      = 64;
  localparam int unsigned CopyWords  = 32;
  localparam int unsigned TailCycles = 64;
  localparam logic [1:0]  MemActivations = 2'd1;

  typedef enum logic [1:0] {
    StIdle,
    StCopy,
    StTail,
    StDone
  } state_e;

  state_e             state_q, state_d;
  logic [5:0]         count_q, count_d;  // copy index in StCopy, idle cycles in StTail
  logic [31:0]        active_q, active_d;
  logic               retire_q, retire_d;
  logic               done_q, done_d;
  logic [ActBits-1:0] mem_q [Words];
  logic [ActBits-1:0] rd_data_q;
  logic [ActBits-1:0] incremented_word;

  for (genvar b = 0; b < Rows; b++) begin : g_increment
    assign incremented_word[8*b +: 8] = mem_q[{1'b0, count_q[4:0]}][8*b +: 8] + 8'd1;
  end

  always_comb begin
    state_d  = state_q;
    count_d  = count_q;
    active_d = active_q;
    retire_d = 1'b0;
    done_d   = 1'b0;
    unique case (state_q)
      StIdle: begin
        if (start_i) begin
          state_d  = StCopy;
          count_d  = '0;
          active_d = '0;
        end
      end
      StCopy: begin
        active_d = active_q + 32'd1;
        count_d  = count_q + 6'd1;
        if (count_q == 6'(CopyWords - 1)) begin
          state_d  = StTail;
          count_d  = '0;
          retire_d = 1'b1;
        end
      end
      StTail: begin
        count_d = count_q + 6'd1;
        if (count_q == 6'(TailCycles - 1)) begin
          state_d  = StDone;
          retire_d = 1'b1;
        end
      end
      StDone: begin
        state_d = StIdle;
        done_d  = 1'b1;
      end
      default: state_d = StIdle;
    endcase
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q  <= StIdle;
      count_q  <= '0;
      active_q <= '0;
      retire_q <= 1'b0;
      done_q   <= 1'b0;
    end else begin
      state_q  <= state_d;
      count_q  <= count_d;
      active_q <= active_d;
      retire_q <= retire_d;
      done_q   <= done_d;
    end
  end

  // Memories are not reset, as in the real design; the host loads them before a run.
  always_ff @(posedge clk_i) begin
    if (host_wr_en_i && host_wr_mem_i == MemActivations) begin
      mem_q[host_wr_addr_i[5:0]] <= host_wr_data_i[ActBits-1:0];
    end else if (state_q == StCopy) begin
      mem_q[{1'b1, count_q[4:0]}] <= incremented_word;
    end
  end

  always_ff @(posedge clk_i) begin
    if (host_rd_en_i) begin
      rd_data_q <= mem_q[host_rd_addr_i[5:0]];
    end
  end

  assign host_rd_data_o  = rd_data_q;
  assign busy_o          = state_q != StIdle;
  assign done_o          = done_q;
  assign insn_retire_o   = retire_q;
  assign active_cycles_o = active_q;

  // Address and data bits beyond this small memory are ignored on purpose.
  logic unused_host_bits;
  assign unused_host_bits = ^{host_wr_addr_i[31:6], host_rd_addr_i[31:6],
                              host_wr_data_i[HostBits-1:ActBits]};

endmodule
