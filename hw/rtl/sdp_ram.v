// Simple dual-port RAM: one synchronous write port, one synchronous read port.
// Hand-written primitive shared by every generated engine (activation, weight, bias,
// requantization and accumulator buffers, and the instruction fetch queue). Written in the
// shape that yosys and Vivado infer as block RAM: registered read data, no reset on the array,
// read data updated only when rd_en_i is high (so a reader can hold a word). A read and a write
// of the same address on one edge return the old word. DISTRIBUTED = 1 asks for LUT RAM
// instead, for small, wide memories where a block would be mostly empty (a 16-deep queue of
// 411-bit words would take six BRAM36 for 6.5 Kbit).
`default_nettype none

module sdp_ram #(
  parameter integer WIDTH = 8,
  parameter integer DEPTH = 16,
  parameter integer ADDR_BITS = 4,
  parameter integer DISTRIBUTED = 0
) (
  input  wire                 clk_i,
  input  wire                 wr_en_i,
  input  wire [ADDR_BITS-1:0] wr_addr_i,
  input  wire [WIDTH-1:0]     wr_data_i,
  input  wire                 rd_en_i,
  input  wire [ADDR_BITS-1:0] rd_addr_i,
  output wire [WIDTH-1:0]     rd_data_o
);

  reg [WIDTH-1:0] rd_data_q;

  // The attribute cannot take a parameter's value, so each style has its own array.
  generate
    if (DISTRIBUTED != 0) begin : g_lutram
      (* ram_style = "distributed" *) reg [WIDTH-1:0] mem [0:DEPTH-1];
      always @(posedge clk_i) begin
        if (wr_en_i) mem[wr_addr_i] <= wr_data_i;
      end
      always @(posedge clk_i) begin
        if (rd_en_i) rd_data_q <= mem[rd_addr_i];
      end
    end else begin : g_block
      reg [WIDTH-1:0] mem [0:DEPTH-1];
      always @(posedge clk_i) begin
        if (wr_en_i) mem[wr_addr_i] <= wr_data_i;
      end
      always @(posedge clk_i) begin
        if (rd_en_i) rd_data_q <= mem[rd_addr_i];
      end
    end
  endgenerate

  assign rd_data_o = rd_data_q;

endmodule

`default_nettype wire
