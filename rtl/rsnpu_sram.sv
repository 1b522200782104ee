// On-chip memory wrapper: one write port, one synchronous read port. Every on-chip SRAM of
// rsnpu is an instance of this module so that an implementation flow can swap in a macro.
// Read data appears the cycle after a read request and holds until the next request.
module rsnpu_sram #(
  parameter int unsigned Words = 16,
  parameter int unsigned DataW = 16,
  localparam int unsigned AddrW = (Words > 1) ? $clog2(Words) : 1
) (
  input  logic             clk_i,
  input  logic             rst_ni,  // qualifies the assertions only; the array has no reset
  input  logic             we_i,
  input  logic [AddrW-1:0] waddr_i,
  input  logic [DataW-1:0] wdata_i,
  input  logic             re_i,
  input  logic [AddrW-1:0] raddr_i,
  output logic [DataW-1:0] rdata_o
);

  logic [DataW-1:0] mem_q [Words];
  logic [DataW-1:0] rdata_q;

  always_ff @(posedge clk_i) begin
    if (we_i) begin
      mem_q[waddr_i] <= wdata_i;
    end
  end

  always_ff @(posedge clk_i) begin
    if (re_i) begin
      rdata_q <= mem_q[raddr_i];
    end
  end

  assign rdata_o = rdata_q;

  // -------------------------------------------------------------------------------------
  // Assertions
  // -------------------------------------------------------------------------------------
  always_ff @(posedge clk_i) begin
    if (rst_ni && we_i) assert (32'(waddr_i) < Words);
    if (rst_ni && re_i) assert (32'(raddr_i) < Words);
  end

endmodule
