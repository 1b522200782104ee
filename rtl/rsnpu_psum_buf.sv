// Psum buffer with two lanes: the even and the odd addresses are two rsnpu_glb halves
// (Words / 2 words and Banks / 2 banks each; half = address bit 0, offset = address / 2), and
// lane l reads and writes only half l. Two accesses with different address parity go on in
// the same cycle, which lets the psum unit move two psums per cycle each way. A single-port
// user (the output stage, the residual loader) puts each access on the lane of its address.
// Read data of a lane appears the cycle after its read request and holds until its next one.
module rsnpu_psum_buf #(
  parameter int unsigned Words = 1024,
  parameter int unsigned DataW = 32,
  parameter int unsigned Banks = 2,
  localparam int unsigned AddrW = (Words > 1) ? $clog2(Words) : 1
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  // Lane l at bits [l*AddrW +: AddrW] (addresses) and [l*DataW +: DataW] (data); lane l's
  // addresses have bit 0 = l.
  input  logic [1:0]         we_i,
  input  logic [2*AddrW-1:0] waddr_i,
  input  logic [2*DataW-1:0] wdata_i,
  input  logic [1:0]         re_i,
  input  logic [2*AddrW-1:0] raddr_i,
  output logic [2*DataW-1:0] rdata_o
);

  localparam int unsigned HalfWords = Words / 2;
  localparam int unsigned HalfBanks = (Banks > 1) ? Banks / 2 : 1;
  localparam int unsigned HalfAddrW = (HalfWords > 1) ? $clog2(HalfWords) : 1;

  for (genvar l = 0; l < 2; l++) begin : gen_half
    logic [HalfAddrW-1:0] wofs, rofs;
    assign wofs = HalfAddrW'(waddr_i[l*AddrW +: AddrW] >> 1);
    assign rofs = HalfAddrW'(raddr_i[l*AddrW +: AddrW] >> 1);

    rsnpu_glb #(
      .Words(HalfWords),
      .DataW(DataW),
      .Banks(HalfBanks)
    ) u_glb (
      .clk_i  (clk_i),
      .rst_ni (rst_ni),
      .we_i   (we_i[l]),
      .waddr_i(wofs),
      .wdata_i(wdata_i[l*DataW +: DataW]),
      .re_i   (re_i[l]),
      .raddr_i(rofs),
      .rdata_o(rdata_o[l*DataW +: DataW])
    );
  end

  // -------------------------------------------------------------------------------------
  // Assertions
  // -------------------------------------------------------------------------------------
  always_ff @(posedge clk_i) begin
    if (rst_ni) assert (Words % 2 == 0);  // the halves are equal
    // Each lane carries only addresses of its own half (each half checks its range).
    if (rst_ni && we_i[0]) assert (!waddr_i[0]);
    if (rst_ni && we_i[1]) assert (waddr_i[AddrW]);
    if (rst_ni && re_i[0]) assert (!raddr_i[0]);
    if (rst_ni && re_i[1]) assert (raddr_i[AddrW]);
  end

endmodule
