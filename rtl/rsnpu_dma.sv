// DMA engine: moves whole 64-bit beats between DRAM (AXI4 master) and an on-chip buffer
// (valid/ready streams), one command at a time.
//
// A command names a direction, a byte address (8-byte aligned) and a beat count. Before any
// bus traffic it is checked against the read or write address window ([lo, hi) in bytes);
// a refused command pulses done_o with an error code and touches nothing, so the engine
// never writes DRAM outside the window the controller programmed.
//
// Bursts are INCR, 8 bytes per beat, up to AxiMaxBurst beats, never across a 4 KiB
// boundary; up to DmaOutstanding bursts are in flight per direction. Write data beats are
// sent only for bursts whose address has been issued. An error response from the bus is
// reported (DmaErrAxiResp) once the command has drained.
module rsnpu_dma (
  input  logic                               clk_i,
  input  logic                               rst_ni,

  // Address windows, bytes [lo, hi); stable while a command runs
  input  logic [rsnpu_pkg::AxiAddrW-1:0]     rd_win_lo_i,
  input  logic [rsnpu_pkg::AxiAddrW-1:0]     rd_win_hi_i,
  input  logic [rsnpu_pkg::AxiAddrW-1:0]     wr_win_lo_i,
  input  logic [rsnpu_pkg::AxiAddrW-1:0]     wr_win_hi_i,

  // Commands
  input  logic                               cmd_valid_i,
  output logic                               cmd_ready_o,
  input  logic                               cmd_write_i,    // 0: DRAM -> rd stream
  input  logic [rsnpu_pkg::AxiAddrW-1:0]     cmd_addr_i,
  input  logic [rsnpu_pkg::DmaBeatsW-1:0]    cmd_beats_i,

  // Status
  output logic                               busy_o,
  output logic                               done_o,         // one pulse per command
  output logic                               err_o,
  output rsnpu_pkg::dma_err_e                err_code_o,     // of the last command

  // Data read from DRAM
  output logic                               rd_valid_o,
  input  logic                               rd_ready_i,
  output logic [rsnpu_pkg::AxiDataW-1:0]     rd_data_o,

  // Data to write to DRAM
  input  logic                               wr_valid_i,
  output logic                               wr_ready_o,
  input  logic [rsnpu_pkg::AxiDataW-1:0]     wr_data_i,

  // AXI4 master
  output logic                               axi_arvalid_o,
  input  logic                               axi_arready_i,
  output logic [rsnpu_pkg::AxiAddrW-1:0]     axi_araddr_o,
  output logic [7:0]                         axi_arlen_o,
  output logic [2:0]                         axi_arsize_o,
  output logic [1:0]                         axi_arburst_o,
  output logic [rsnpu_pkg::AxiIdW-1:0]       axi_arid_o,
  input  logic                               axi_rvalid_i,
  output logic                               axi_rready_o,
  input  logic [rsnpu_pkg::AxiDataW-1:0]     axi_rdata_i,
  input  logic [1:0]                         axi_rresp_i,
  input  logic                               axi_rlast_i,
  input  logic [rsnpu_pkg::AxiIdW-1:0]       axi_rid_i,
  output logic                               axi_awvalid_o,
  input  logic                               axi_awready_i,
  output logic [rsnpu_pkg::AxiAddrW-1:0]     axi_awaddr_o,
  output logic [7:0]                         axi_awlen_o,
  output logic [2:0]                         axi_awsize_o,
  output logic [1:0]                         axi_awburst_o,
  output logic [rsnpu_pkg::AxiIdW-1:0]       axi_awid_o,
  output logic                               axi_wvalid_o,
  input  logic                               axi_wready_i,
  output logic [rsnpu_pkg::AxiDataW-1:0]     axi_wdata_o,
  output logic [rsnpu_pkg::AxiDataW/8-1:0]   axi_wstrb_o,
  output logic                               axi_wlast_o,
  input  logic                               axi_bvalid_i,
  output logic                               axi_bready_o,
  input  logic [1:0]                         axi_bresp_i,
  input  logic [rsnpu_pkg::AxiIdW-1:0]       axi_bid_i
);

  localparam int unsigned AddrW = rsnpu_pkg::AxiAddrW;
  localparam int unsigned BeatsW = rsnpu_pkg::DmaBeatsW;
  localparam int unsigned MaxBurst = rsnpu_pkg::AxiMaxBurst;
  localparam int unsigned Outstanding = rsnpu_pkg::DmaOutstanding;
  localparam int unsigned OutW = $clog2(Outstanding + 1);
  localparam int unsigned LenW = $clog2(MaxBurst + 1);  // burst length in beats, 1..16
  localparam int unsigned EndW = AddrW + 2;             // byte end address without overflow

  typedef enum logic [1:0] {
    StIdle  = 2'd0,
    StRead  = 2'd1,
    StWrite = 2'd2,
    StCheck = 2'd3   // the accepted command, held in addr_q / issue_left_q / write_q
  } state_e;

  state_e state_d, state_q;
  rsnpu_pkg::dma_err_e err_d, err_q;
  logic done_d, done_q;
  logic [AddrW-1:0] addr_d, addr_q;            // next burst address
  logic [BeatsW-1:0] issue_left_d, issue_left_q;  // beats not yet covered by a burst
  logic [BeatsW-1:0] xfer_left_d, xfer_left_q;    // data beats not yet transferred
  logic [OutW-1:0] out_d, out_q;               // bursts in flight
  logic [LenW-1:0] wbeat_d, wbeat_q;           // beat index inside the current W burst
  logic resp_err_d, resp_err_q;                // an error response was seen
  logic write_d, write_q;                      // direction of the accepted command

  // Command check, in StCheck, on the command registered when it was accepted (so the
  // producer's command logic and this check are in different cycles).
  logic [EndW-1:0] cmd_end;
  rsnpu_pkg::dma_err_e cmd_err;
  always_comb begin
    cmd_end = EndW'(addr_q) + (EndW'(issue_left_q) << 3);
    cmd_err = rsnpu_pkg::DmaErrNone;
    if (addr_q[2:0] != 3'd0) begin
      cmd_err = rsnpu_pkg::DmaErrAlign;
    end else if (issue_left_q == '0) begin
      cmd_err = rsnpu_pkg::DmaErrLength;
    end else if (!write_q && (addr_q < rd_win_lo_i || cmd_end > EndW'(rd_win_hi_i))) begin
      cmd_err = rsnpu_pkg::DmaErrReadWindow;
    end else if (write_q && (addr_q < wr_win_lo_i || cmd_end > EndW'(wr_win_hi_i))) begin
      cmd_err = rsnpu_pkg::DmaErrWriteWindow;
    end
  end

  // Next burst: as long as allowed, but not across a 4 KiB boundary.
  logic [9:0] beats_to_4k;
  logic [LenW-1:0] burst_len;
  always_comb begin
    beats_to_4k = 10'd512 - {1'b0, addr_q[11:3]};
    burst_len = LenW'(MaxBurst);
    if (issue_left_q < BeatsW'(burst_len)) burst_len = LenW'(issue_left_q);
    if (beats_to_4k < 10'(burst_len)) burst_len = LenW'(beats_to_4k);
  end

  logic can_issue, ar_fire, aw_fire, r_fire, w_fire, b_fire, cmd_fire;
  assign can_issue = (issue_left_q != '0) && (out_q != OutW'(Outstanding));

  assign axi_arvalid_o = (state_q == StRead) && can_issue;
  assign axi_araddr_o = addr_q;
  assign axi_arlen_o = 8'(burst_len) - 8'd1;
  assign axi_arsize_o = 3'd3;
  assign axi_arburst_o = 2'b01;
  assign axi_arid_o = '0;
  assign axi_awvalid_o = (state_q == StWrite) && can_issue;
  assign axi_awaddr_o = addr_q;
  assign axi_awlen_o = 8'(burst_len) - 8'd1;
  assign axi_awsize_o = 3'd3;
  assign axi_awburst_o = 2'b01;
  assign axi_awid_o = '0;

  // Read data passes straight to the buffer stream.
  assign axi_rready_o = (state_q == StRead) && rd_ready_i;
  assign rd_valid_o = (state_q == StRead) && axi_rvalid_i;
  assign rd_data_o = axi_rdata_i;

  // Lengths of issued write bursts, consumed by the W channel.
  logic wlen_valid, wlen_pop;
  logic [LenW-1:0] wlen;
  logic [OutW-1:0] wlen_count;
  logic wlen_in_ready;

  assign axi_wvalid_o = (state_q == StWrite) && wr_valid_i && wlen_valid;
  assign wr_ready_o = (state_q == StWrite) && axi_wready_i && wlen_valid;
  assign axi_wdata_o = wr_data_i;
  assign axi_wstrb_o = '1;
  assign axi_wlast_o = (wbeat_q == wlen - 1'b1);
  assign axi_bready_o = (state_q == StWrite);

  assign cmd_ready_o = (state_q == StIdle);
  assign cmd_fire = cmd_valid_i && cmd_ready_o;
  assign ar_fire = axi_arvalid_o && axi_arready_i;
  assign aw_fire = axi_awvalid_o && axi_awready_i;
  assign r_fire = axi_rvalid_i && axi_rready_o;
  assign w_fire = axi_wvalid_o && axi_wready_i;
  assign b_fire = axi_bvalid_i && axi_bready_o;
  assign wlen_pop = w_fire && axi_wlast_o;

  rsnpu_fifo #(
    .Depth(Outstanding),
    .DataW(LenW)
  ) u_wlen (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (aw_fire),
    .in_ready_o (wlen_in_ready),
    .in_data_i  (burst_len),
    .out_valid_o(wlen_valid),
    .out_ready_i(wlen_pop),
    .out_data_o (wlen),
    .count_o    (wlen_count)
  );

  always_comb begin
    state_d = state_q;
    err_d = err_q;
    done_d = 1'b0;
    addr_d = addr_q;
    issue_left_d = issue_left_q;
    xfer_left_d = xfer_left_q;
    out_d = out_q;
    wbeat_d = wbeat_q;
    resp_err_d = resp_err_q;
    write_d = write_q;

    if (cmd_fire) begin
      state_d = StCheck;
      addr_d = cmd_addr_i;
      issue_left_d = cmd_beats_i;
      xfer_left_d = cmd_beats_i;
      write_d = cmd_write_i;
    end
    if (state_q == StCheck) begin
      err_d = cmd_err;
      wbeat_d = '0;
      resp_err_d = 1'b0;
      if (cmd_err != rsnpu_pkg::DmaErrNone) begin
        // Refused: nothing moves.
        state_d = StIdle;
        done_d = 1'b1;
        issue_left_d = '0;
        xfer_left_d = '0;
      end else begin
        state_d = write_q ? StWrite : StRead;
      end
    end

    if (ar_fire || aw_fire) begin
      addr_d = addr_q + (AddrW'(burst_len) << 3);
      issue_left_d = issue_left_q - BeatsW'(burst_len);
    end
    if (r_fire || w_fire) begin
      xfer_left_d = xfer_left_q - 1'b1;
    end
    if (w_fire) begin
      wbeat_d = axi_wlast_o ? '0 : wbeat_q + 1'b1;
    end
    if (r_fire && axi_rresp_i != 2'b00) resp_err_d = 1'b1;  // EXOKAY is unexpected too
    if (b_fire && axi_bresp_i != 2'b00) resp_err_d = 1'b1;

    // Bursts in flight: a read burst ends with its last beat, a write burst with its B.
    out_d = out_q + OutW'(ar_fire || aw_fire) - OutW'((r_fire && axi_rlast_i) || b_fire);

    // Finish when every beat moved and every burst completed.
    if ((state_q == StRead || state_q == StWrite) && issue_left_q == '0 && xfer_left_q == '0 &&
        out_q == '0) begin
      state_d = StIdle;
      done_d = 1'b1;
      err_d = resp_err_q ? rsnpu_pkg::DmaErrAxiResp : rsnpu_pkg::DmaErrNone;
    end
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q <= StIdle;
      err_q <= rsnpu_pkg::DmaErrNone;
      done_q <= 1'b0;
      addr_q <= '0;
      issue_left_q <= '0;
      xfer_left_q <= '0;
      out_q <= '0;
      wbeat_q <= '0;
      resp_err_q <= 1'b0;
      write_q <= 1'b0;
    end else begin
      state_q <= state_d;
      err_q <= err_d;
      done_q <= done_d;
      addr_q <= addr_d;
      issue_left_q <= issue_left_d;
      xfer_left_q <= xfer_left_d;
      out_q <= out_d;
      wbeat_q <= wbeat_d;
      resp_err_q <= resp_err_d;
      write_q <= write_d;
    end
  end

  assign busy_o = (state_q != StIdle);
  assign done_o = done_q;
  assign err_o = (err_q != rsnpu_pkg::DmaErrNone);
  assign err_code_o = err_q;

  // -------------------------------------------------------------------------------------
  // Assertions
  // -------------------------------------------------------------------------------------
  logic [EndW-1:0] ar_end, aw_end;
  assign ar_end = EndW'(axi_araddr_o) + ((EndW'(axi_arlen_o) + 1'b1) << 3);
  assign aw_end = EndW'(axi_awaddr_o) + ((EndW'(axi_awlen_o) + 1'b1) << 3);

  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      // Never touch DRAM outside the programmed windows; never cross 4 KiB.
      if (axi_awvalid_o) begin
        assert (axi_awaddr_o >= wr_win_lo_i && aw_end <= EndW'(wr_win_hi_i));
        assert ((EndW'(axi_awaddr_o) >> 12) == ((aw_end - 1'b1) >> 12));
      end
      if (axi_arvalid_o) begin
        assert (axi_araddr_o >= rd_win_lo_i && ar_end <= EndW'(rd_win_hi_i));
        assert ((EndW'(axi_araddr_o) >> 12) == ((ar_end - 1'b1) >> 12));
      end
      assert (32'(out_q) <= Outstanding);
      if (aw_fire) assert (wlen_in_ready);
      if (w_fire) assert (wlen_valid);
      assert (32'(wlen_count) <= 32'(out_q));
      // Responses belong to bursts in flight.
      if (r_fire) assert (out_q != '0 && axi_rid_i == '0);
      if (b_fire) assert (out_q != '0 && axi_bid_i == '0);
    end
    // AXI: address and data hold while valid and not ready.
    if (rst_ni && $past(rst_ni) && $past(axi_arvalid_o) && !$past(axi_arready_i)) begin
      assert (axi_arvalid_o && axi_araddr_o == $past(axi_araddr_o) &&
              axi_arlen_o == $past(axi_arlen_o));
    end
    if (rst_ni && $past(rst_ni) && $past(axi_awvalid_o) && !$past(axi_awready_i)) begin
      assert (axi_awvalid_o && axi_awaddr_o == $past(axi_awaddr_o) &&
              axi_awlen_o == $past(axi_awlen_o));
    end
    if (rst_ni && $past(rst_ni) && $past(axi_wvalid_o) && !$past(axi_wready_i)) begin
      assert (axi_wvalid_o && axi_wdata_o == $past(axi_wdata_o) &&
              axi_wlast_o == $past(axi_wlast_o));
    end
    if (rst_ni && $past(rst_ni) && $past(cmd_valid_i) && !$past(cmd_ready_o)) begin
      assert (cmd_valid_i && cmd_addr_i == $past(cmd_addr_i) &&
              cmd_beats_i == $past(cmd_beats_i) && cmd_write_i == $past(cmd_write_i));
    end
  end

endmodule
