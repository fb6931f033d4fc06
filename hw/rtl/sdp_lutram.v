// Simple dual-port RAM in LUTs: the same ports and read timing as sdp_ram, for small, wide
// memories (the instruction fetch queue) where a block RAM would be mostly empty: a 16-deep
// queue of 400-bit words would take six BRAM36 for 6 Kbit. Registered read data, updated only
// when rd_en_i is high; a read and a write of the same address on one edge return the old word.
`default_nettype none

module sdp_lutram #(
  parameter integer WIDTH = 8,
  parameter integer DEPTH = 16,
  parameter integer ADDR_BITS = 4
) (
  input  wire                 clk_i,
  input  wire                 wr_en_i,
  input  wire [ADDR_BITS-1:0] wr_addr_i,
  input  wire [WIDTH-1:0]     wr_data_i,
  input  wire                 rd_en_i,
  input  wire [ADDR_BITS-1:0] rd_addr_i,
  output wire [WIDTH-1:0]     rd_data_o
);

  (* ram_style = "distributed" *) reg [WIDTH-1:0] mem [0:DEPTH-1];
  reg [WIDTH-1:0] rd_data_q;

  always @(posedge clk_i) begin
    if (wr_en_i) begin
      mem[wr_addr_i] <= wr_data_i;
    end
  end

  always @(posedge clk_i) begin
    if (rd_en_i) begin
      rd_data_q <= mem[rd_addr_i];
    end
  end

  assign rd_data_o = rd_data_q;

endmodule

`default_nettype wire
