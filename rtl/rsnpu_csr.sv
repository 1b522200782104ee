// Control/status registers behind an AXI4-Lite slave. The register map comes from
// config/csr.json through the generated masks in rsnpu_pkg (Csr*Mask), so the RTL and the C++
// driver (rsnpu/csr_map.h) cannot disagree:
//   ro   bits read hw_ro_i; writes are ignored
//   rw   bits are stored (reset 0) and drive reg_o
//   w1c  bits are set by hw_set_i pulses and cleared by writing 1 (a set in the same cycle
//        wins); they drive reg_o too
//   w1p  bits read 0; writing 1 gives a one-cycle pulse on pulse_o
// One write and one read transaction at a time; an address outside the map or not word
// aligned gets SLVERR (reads return 0) and changes nothing. Byte strobes apply to rw bits.
module rsnpu_csr (
  input  logic                                      clk_i,
  input  logic                                      rst_ni,

  // AXI4-Lite slave
  input  logic                                      s_awvalid_i,
  output logic                                      s_awready_o,
  input  logic [rsnpu_pkg::CsrAddrW-1:0]            s_awaddr_i,
  input  logic                                      s_wvalid_i,
  output logic                                      s_wready_o,
  input  logic [31:0]                               s_wdata_i,
  input  logic [3:0]                                s_wstrb_i,
  output logic                                      s_bvalid_o,
  input  logic                                      s_bready_i,
  output logic [1:0]                                s_bresp_o,
  input  logic                                      s_arvalid_i,
  output logic                                      s_arready_o,
  input  logic [rsnpu_pkg::CsrAddrW-1:0]            s_araddr_i,
  output logic                                      s_rvalid_o,
  input  logic                                      s_rready_i,
  output logic [31:0]                               s_rdata_o,
  output logic [1:0]                                s_rresp_o,

  // Hardware side, register i at bits [i*32 +: 32]
  input  logic [rsnpu_pkg::CsrNumRegs*32-1:0]       hw_ro_i,
  input  logic [rsnpu_pkg::CsrNumRegs*32-1:0]       hw_set_i,
  output logic [rsnpu_pkg::CsrNumRegs*32-1:0]       reg_o,
  output logic [rsnpu_pkg::CsrNumRegs*32-1:0]       pulse_o
);

  localparam int unsigned NumRegs = rsnpu_pkg::CsrNumRegs;
  localparam int unsigned AddrW = rsnpu_pkg::CsrAddrW;
  localparam logic [NumRegs*32-1:0] RoMask = rsnpu_pkg::CsrRoMask;
  localparam logic [NumRegs*32-1:0] RwMask = rsnpu_pkg::CsrRwMask;
  localparam logic [NumRegs*32-1:0] W1cMask = rsnpu_pkg::CsrW1cMask;
  localparam logic [NumRegs*32-1:0] W1pMask = rsnpu_pkg::CsrW1pMask;
  localparam logic [1:0] RespOkay = 2'b00;
  localparam logic [1:0] RespSlvErr = 2'b10;

  logic [NumRegs*32-1:0] regs_d, regs_q, pulse_d, pulse_q;
  logic bvalid_d, bvalid_q, rvalid_d, rvalid_q;
  logic [1:0] bresp_d, bresp_q, rresp_d, rresp_q;
  logic [31:0] rdata_d, rdata_q;

  // A register index, or NumRegs for an address outside the map.
  function automatic int unsigned reg_index(input logic [AddrW-1:0] addr);
    reg_index = NumRegs;
    if (addr[1:0] == 2'b00 && 32'(addr[AddrW-1:2]) < NumRegs) begin
      reg_index = 32'(addr[AddrW-1:2]);
    end
  endfunction

  logic wr_fire, rd_fire;
  int unsigned wr_idx, rd_idx;
  logic [31:0] strb_mask;

  assign s_awready_o = s_awvalid_i && s_wvalid_i && !bvalid_q;
  assign s_wready_o = s_awready_o;
  assign s_arready_o = !rvalid_q;
  assign wr_fire = s_awvalid_i && s_wvalid_i && !bvalid_q;
  assign rd_fire = s_arvalid_i && s_arready_o;
  assign wr_idx = reg_index(s_awaddr_i);
  assign rd_idx = reg_index(s_araddr_i);
  assign strb_mask = {{8{s_wstrb_i[3]}}, {8{s_wstrb_i[2]}}, {8{s_wstrb_i[1]}}, {8{s_wstrb_i[0]}}};

  always_comb begin
    regs_d = regs_q;
    pulse_d = '0;
    bvalid_d = bvalid_q && !s_bready_i;
    bresp_d = bresp_q;
    rvalid_d = rvalid_q && !s_rready_i;
    rresp_d = rresp_q;
    rdata_d = rdata_q;

    for (int unsigned i = 0; i < NumRegs; i++) begin
      if (wr_fire && wr_idx == i) begin
        regs_d[i*32 +: 32] = (regs_q[i*32 +: 32] & ~(RwMask[i*32 +: 32] & strb_mask)) |
                             (s_wdata_i & RwMask[i*32 +: 32] & strb_mask);
        regs_d[i*32 +: 32] = regs_d[i*32 +: 32] & ~(s_wdata_i & W1cMask[i*32 +: 32]);
        pulse_d[i*32 +: 32] = s_wdata_i & W1pMask[i*32 +: 32];
      end
      // Hardware sets of w1c bits win over a clear in the same cycle.
      regs_d[i*32 +: 32] = regs_d[i*32 +: 32] | (hw_set_i[i*32 +: 32] & W1cMask[i*32 +: 32]);
      if (rd_fire && rd_idx == i) begin
        rdata_d = (regs_q[i*32 +: 32] & (RwMask[i*32 +: 32] | W1cMask[i*32 +: 32])) |
                  (hw_ro_i[i*32 +: 32] & RoMask[i*32 +: 32]);
      end
    end

    if (wr_fire) begin
      bvalid_d = 1'b1;
      bresp_d = (wr_idx < NumRegs) ? RespOkay : RespSlvErr;
    end
    if (rd_fire) begin
      rvalid_d = 1'b1;
      rresp_d = (rd_idx < NumRegs) ? RespOkay : RespSlvErr;
      if (rd_idx >= NumRegs) rdata_d = '0;
    end
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      regs_q <= '0;
      pulse_q <= '0;
      bvalid_q <= 1'b0;
      bresp_q <= RespOkay;
      rvalid_q <= 1'b0;
      rresp_q <= RespOkay;
      rdata_q <= '0;
    end else begin
      regs_q <= regs_d;
      pulse_q <= pulse_d;
      bvalid_q <= bvalid_d;
      bresp_q <= bresp_d;
      rvalid_q <= rvalid_d;
      rresp_q <= rresp_d;
      rdata_q <= rdata_d;
    end
  end

  assign s_bvalid_o = bvalid_q;
  assign s_bresp_o = bresp_q;
  assign s_rvalid_o = rvalid_q;
  assign s_rresp_o = rresp_q;
  assign s_rdata_o = rdata_q;
  assign reg_o = regs_q & (RwMask | W1cMask);
  assign pulse_o = pulse_q;

  // -------------------------------------------------------------------------------------
  // Assertions
  // -------------------------------------------------------------------------------------
  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      // Only stored bits ever hold a value; access classes never overlap.
      assert ((regs_q & ~(RwMask | W1cMask)) == '0);
      assert ((pulse_q & ~W1pMask) == '0);
    end
    // Responses hold while valid and not ready.
    if (rst_ni && $past(rst_ni) && $past(s_bvalid_o) && !$past(s_bready_i)) begin
      assert (s_bvalid_o && s_bresp_o == $past(s_bresp_o));
    end
    if (rst_ni && $past(rst_ni) && $past(s_rvalid_o) && !$past(s_rready_i)) begin
      assert (s_rvalid_o && s_rdata_o == $past(s_rdata_o) && s_rresp_o == $past(s_rresp_o));
    end
  end

endmodule
