// Global buffer: Banks banks of rsnpu_sram behind one write and one read port. Consecutive
// addresses go to consecutive banks (bank = address mod Banks, offset = address / Banks):
// with a power-of-two bank count that is wiring. (Selecting the bank by the upper address
// bits would keep a small tile in a few banks, but the words per bank need not be a power of
// two: eyeriss's 9,216 psum words in 16 banks made it a divider by 576 in front of every
// macro's address pins, 3.3 ns of a 5 ns cycle.) Words must be a multiple of Banks.
// Read data appears the cycle after a read request and holds until the next request.
module rsnpu_glb #(
  parameter int unsigned Words = 1024,
  parameter int unsigned DataW = 64,
  parameter int unsigned Banks = 2,
  localparam int unsigned AddrW = (Words > 1) ? $clog2(Words) : 1
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             we_i,
  input  logic [AddrW-1:0] waddr_i,
  input  logic [DataW-1:0] wdata_i,
  input  logic             re_i,
  input  logic [AddrW-1:0] raddr_i,
  output logic [DataW-1:0] rdata_o
);

  localparam int unsigned BankWords = Words / Banks;
  localparam int unsigned BankAddrW = (BankWords > 1) ? $clog2(BankWords) : 1;
  localparam int unsigned BankIdxW = (Banks > 1) ? $clog2(Banks) : 1;

  logic [BankIdxW-1:0] wbank, rbank, rbank_d, rbank_q;
  logic [BankAddrW-1:0] wofs, rofs;
  logic [DataW-1:0] bank_rdata [Banks];

  always_comb begin
    wbank = BankIdxW'(32'(waddr_i) % Banks);
    rbank = BankIdxW'(32'(raddr_i) % Banks);
    wofs = BankAddrW'(32'(waddr_i) / Banks);
    rofs = BankAddrW'(32'(raddr_i) / Banks);
    rbank_d = re_i ? rbank : rbank_q;
  end

  for (genvar b = 0; b < Banks; b++) begin : gen_bank
    rsnpu_sram #(
      .Words(BankWords),
      .DataW(DataW)
    ) u_sram (
      .clk_i  (clk_i),
      .rst_ni (rst_ni),
      .we_i   (we_i && (32'(wbank) == b)),
      .waddr_i(wofs),
      .wdata_i(wdata_i),
      .re_i   (re_i && (32'(rbank) == b)),
      .raddr_i(rofs),
      .rdata_o(bank_rdata[b])
    );
  end

  assign rdata_o = bank_rdata[rbank_q];

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      rbank_q <= '0;
    end else begin
      rbank_q <= rbank_d;
    end
  end

  // -------------------------------------------------------------------------------------
  // Assertions
  // -------------------------------------------------------------------------------------
  always_ff @(posedge clk_i) begin
    if (rst_ni && we_i) assert (32'(waddr_i) < Words);
    if (rst_ni && re_i) assert (32'(raddr_i) < Words);
    if (rst_ni) assert (Words % Banks == 0);  // every bank holds Words / Banks words
  end

endmodule
