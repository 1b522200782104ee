// rsnpu accelerator: CSRs (AXI4-Lite slave), layer controller, DMA (AXI4 master to DRAM),
// global buffers (filters, ifmaps, psums), feeders, PE array and the output stage.
//
//   CSR -> layer ctrl -> DMA <-> DRAM
//                 |       |
//            filter buf  ifmap buf        psum buf <-> psum unit <-> PE array columns
//                 |       |                   |
//          filter feeder  ifmap feeder -> PE array (multicast networks)
//                                             psum buf -> write back (pool, requant) -> DMA
//
// irq_o is high while STATUS.done is set and CTRL.irq_en is on. Activity counters
// (rsnpu_perf_ctrs, perf_ctr_e) are read through PERF_SEL / PERF_LO / PERF_HI.
module rsnpu_top (
  input  logic                                     clk_i,
  input  logic                                     rst_ni,

  // CSRs: AXI4-Lite slave
  input  logic                                     s_awvalid_i,
  output logic                                     s_awready_o,
  input  logic [rsnpu_pkg::CsrAddrW-1:0]           s_awaddr_i,
  input  logic                                     s_wvalid_i,
  output logic                                     s_wready_o,
  input  logic [31:0]                              s_wdata_i,
  input  logic [3:0]                               s_wstrb_i,
  output logic                                     s_bvalid_o,
  input  logic                                     s_bready_i,
  output logic [1:0]                               s_bresp_o,
  input  logic                                     s_arvalid_i,
  output logic                                     s_arready_o,
  input  logic [rsnpu_pkg::CsrAddrW-1:0]           s_araddr_i,
  output logic                                     s_rvalid_o,
  input  logic                                     s_rready_i,
  output logic [31:0]                              s_rdata_o,
  output logic [1:0]                               s_rresp_o,

  output logic                                     irq_o,
  output logic                                     busy_o,
  output logic [31:0]                              cfg_sig_o,

  // Activity this cycle (PEs that executed / gated a MAC)
  output logic [rsnpu_pkg::PeCountW-1:0]           evt_mac_o,
  output logic [rsnpu_pkg::PeCountW-1:0]           evt_skip_o,
  output logic [rsnpu_pkg::PeCountW-1:0]           evt_flt_rd_o,
  output logic [rsnpu_pkg::PeCountW-1:0]           evt_flt_wr_o,
  output logic [rsnpu_pkg::PeCountW-1:0]           evt_ifm_rd_o,
  output logic [rsnpu_pkg::PeCountW-1:0]           evt_ifm_wr_o,
  output logic [rsnpu_pkg::PeCountW-1:0]           evt_psum_rd_o,
  output logic [rsnpu_pkg::PeCountW-1:0]           evt_psum_wr_o,

  // DRAM: AXI4 master
  output logic                                     axi_arvalid_o,
  input  logic                                     axi_arready_i,
  output logic [rsnpu_pkg::AxiAddrW-1:0]           axi_araddr_o,
  output logic [7:0]                               axi_arlen_o,
  output logic [2:0]                               axi_arsize_o,
  output logic [1:0]                               axi_arburst_o,
  output logic [rsnpu_pkg::AxiIdW-1:0]             axi_arid_o,
  input  logic                                     axi_rvalid_i,
  output logic                                     axi_rready_o,
  input  logic [rsnpu_pkg::AxiDataW-1:0]           axi_rdata_i,
  input  logic [1:0]                               axi_rresp_i,
  input  logic                                     axi_rlast_i,
  input  logic [rsnpu_pkg::AxiIdW-1:0]             axi_rid_i,
  output logic                                     axi_awvalid_o,
  input  logic                                     axi_awready_i,
  output logic [rsnpu_pkg::AxiAddrW-1:0]           axi_awaddr_o,
  output logic [7:0]                               axi_awlen_o,
  output logic [2:0]                               axi_awsize_o,
  output logic [1:0]                               axi_awburst_o,
  output logic [rsnpu_pkg::AxiIdW-1:0]             axi_awid_o,
  output logic                                     axi_wvalid_o,
  input  logic                                     axi_wready_i,
  output logic [rsnpu_pkg::AxiDataW-1:0]           axi_wdata_o,
  output logic [rsnpu_pkg::AxiDataW/8-1:0]         axi_wstrb_o,
  output logic                                     axi_wlast_o,
  input  logic                                     axi_bvalid_i,
  output logic                                     axi_bready_o,
  input  logic [1:0]                               axi_bresp_i,
  input  logic [rsnpu_pkg::AxiIdW-1:0]             axi_bid_i
);

  localparam int unsigned FltLineW = $clog2(rsnpu_pkg::GlbFltLines);
  localparam int unsigned IfmLineW = rsnpu_pkg::GlbIfmapAddrW - 2;
  localparam int unsigned RegsW = rsnpu_pkg::CsrNumRegs * 32;
  localparam int unsigned ShapeReg = rsnpu_pkg::CsrIdxShape * 32;    // first bit of SHAPE
  localparam int unsigned StatusReg = rsnpu_pkg::CsrIdxStatus * 32;  // first bit of STATUS

  // -------------------------------------------------------------------------------------
  // CSRs
  // -------------------------------------------------------------------------------------
  logic [RegsW-1:0] csr_ro, csr_set, csr_reg, csr_pulse;
  logic ctrl_busy, ctrl_done;
  logic [rsnpu_pkg::PerfCntW-1:0] perf_value;
  rsnpu_pkg::ctrl_err_e ctrl_err;

  always_comb begin
    csr_ro = '0;
    csr_set = '0;
    csr_ro[rsnpu_pkg::CsrIdxId*32 +: 32] = rsnpu_pkg::CfgSignature;
    csr_ro[ShapeReg + rsnpu_pkg::CsrShapePeRowsLsb +: 8] = 8'(rsnpu_pkg::PeRows);
    csr_ro[ShapeReg + rsnpu_pkg::CsrShapePeColsLsb +: 8] = 8'(rsnpu_pkg::PeCols);
    csr_ro[StatusReg + rsnpu_pkg::CsrStatusBusyLsb] = ctrl_busy;
    csr_ro[StatusReg + rsnpu_pkg::CsrStatusErrCodeLsb +: 8] = 8'(ctrl_err);
    csr_ro[rsnpu_pkg::CsrIdxPerfLo*32 +: 32] = perf_value[31:0];
    csr_ro[rsnpu_pkg::CsrIdxPerfHi*32 +: 16] = perf_value[47:32];
    csr_set[rsnpu_pkg::CsrIdxStatus*32 + rsnpu_pkg::CsrStatusDoneLsb] = ctrl_done;
    csr_set[rsnpu_pkg::CsrIdxStatus*32 + rsnpu_pkg::CsrStatusErrLsb] =
        ctrl_done && (ctrl_err != rsnpu_pkg::CtrlErrNone);
  end

  rsnpu_csr u_csr (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .s_awvalid_i(s_awvalid_i),
    .s_awready_o(s_awready_o),
    .s_awaddr_i (s_awaddr_i),
    .s_wvalid_i (s_wvalid_i),
    .s_wready_o (s_wready_o),
    .s_wdata_i  (s_wdata_i),
    .s_wstrb_i  (s_wstrb_i),
    .s_bvalid_o (s_bvalid_o),
    .s_bready_i (s_bready_i),
    .s_bresp_o  (s_bresp_o),
    .s_arvalid_i(s_arvalid_i),
    .s_arready_o(s_arready_o),
    .s_araddr_i (s_araddr_i),
    .s_rvalid_o (s_rvalid_o),
    .s_rready_i (s_rready_i),
    .s_rdata_o  (s_rdata_o),
    .s_rresp_o  (s_rresp_o),
    .hw_ro_i    (csr_ro),
    .hw_set_i   (csr_set),
    .reg_o      (csr_reg),
    .pulse_o    (csr_pulse)
  );

  assign irq_o = csr_reg[rsnpu_pkg::CsrIdxCtrl*32 + rsnpu_pkg::CsrCtrlIrqEnLsb] &&
                 csr_reg[rsnpu_pkg::CsrIdxStatus*32 + rsnpu_pkg::CsrStatusDoneLsb];
  assign busy_o = ctrl_busy;

  // -------------------------------------------------------------------------------------
  // Layer controller and its units
  // -------------------------------------------------------------------------------------
  logic dma_cmd_valid, dma_cmd_ready, dma_cmd_write, dma_done, dma_err;
  logic [rsnpu_pkg::AxiAddrW-1:0] dma_cmd_addr;
  logic [rsnpu_pkg::DmaBeatsW-1:0] dma_cmd_beats;
  logic dma_rd_valid, dma_rd_ready, dma_wr_valid, dma_wr_ready;
  logic [rsnpu_pkg::AxiDataW-1:0] dma_rd_data, dma_wr_data;
  rsnpu_pkg::dma_err_e dma_err_code;
  logic dma_busy;

  logic flt_we, flt_re, ifm_we, ifm_re;
  logic [FltLineW-1:0] flt_waddr, flt_raddr;
  logic [IfmLineW-1:0] ifm_waddr, ifm_raddr;
  logic [rsnpu_pkg::AxiDataW-1:0] flt_rdata, ifm_rdata;
  logic [rsnpu_pkg::PsumSpadWords*rsnpu_pkg::AccW-1:0] bias;

  logic route_we, route_en, route_psum_port, route_acc_in;
  logic [rsnpu_pkg::PeRowIdxW-1:0] route_row;
  logic [rsnpu_pkg::PeColIdxW-1:0] route_col;
  logic [rsnpu_pkg::NocTagW-1:0] route_flt_id, route_ifm_id;
  logic arr_start, arr_done, arr_err, arr_busy;
  logic [rsnpu_pkg::PeSLenW-1:0] arr_s;
  logic [rsnpu_pkg::PePLenW-1:0] arr_p;
  logic [rsnpu_pkg::PeQLenW-1:0] arr_q;
  logic [rsnpu_pkg::PeStrideW-1:0] arr_stride;
  logic [rsnpu_pkg::PeELenW-1:0] arr_e;
  logic [rsnpu_pkg::PeRowsW-1:0] arr_rows;
  rsnpu_pkg::prec_e arr_prec;
  rsnpu_pkg::pe_err_e arr_err_code;

  logic ff_start, ff_busy;
  logic [15:0] ff_lines, ff_per_row;
  logic [7:0] ff_rows;
  logic if_start, if_busy;
  logic [11:0] if_folds, if_cols_x_u, if_row_w, if_hspan, if_hlo, if_hhi, if_cn, if_wp;
  logic [7:0] if_sets, if_q;
  logic [3:0] if_u, if_pad;
  logic [4:0] if_r;
  logic signed [15:0] if_hbase;
  logic [9:0] if_w;
  logic [23:0] if_ch_stride, if_fold_step, if_skip_step;
  logic signed [23:0] if_hb_off;
  logic pu_start, pu_busy;
  logic [1:0] pu_in_mode;
  logic [7:0] pu_p, pu_cols;
  logic [11:0] pu_folds, pu_es;
  logic [19:0] pu_fp;
  logic [31:0] pu_row_step;
  logic wb_start, wb_flush, wb_busy, wb_relu;
  logic [7:0] wb_mn;
  logic [11:0] wb_prow, wb_wp;
  logic [9:0] wb_f, wb_wo;
  logic [2:0] wb_pk, wb_ps;
  logic [rsnpu_pkg::RqShiftW-1:0] wb_shift;

  logic flt_valid, flt_ready, ifm_valid, ifm_ready;
  logic [rsnpu_pkg::FltLanes-1:0] flt_lanes;
  logic [rsnpu_pkg::FltLanes*rsnpu_pkg::NocTagW-1:0] flt_tag;
  logic [rsnpu_pkg::AxiDataW-1:0] flt_data;
  logic [rsnpu_pkg::NocTagW-1:0] ifm_tag;
  rsnpu_pkg::word_t ifm_data;
  logic [rsnpu_pkg::PerfIncW-1:0] flt_lane_cnt;  // filter words on the bus this cycle
  logic [rsnpu_pkg::PeCols-1:0] pin_valid, pin_ready, pout_valid, pout_ready;
  logic [rsnpu_pkg::PeCountW-1:0] evt_flt_deliv, evt_ifm_deliv, evt_psum_hop;
  logic [rsnpu_pkg::PeCols*rsnpu_pkg::AccW-1:0] pin_data, pout_data;
  // Psum buffer lanes (rsnpu_psum_buf): lane l at [l*PsumAW +: PsumAW], [l*AccW +: AccW].
  localparam int unsigned PsumAW = rsnpu_pkg::GlbPsumAddrW;
  localparam int unsigned AccW = rsnpu_pkg::AccW;
  logic [1:0] psum_we, psum_re, pu_we, pu_re;
  logic [2*PsumAW-1:0] psum_waddr, psum_raddr, pu_waddr, pu_raddr;
  logic [2*AccW-1:0] psum_wdata, psum_rdata, pu_wdata;
  logic res_we, wb_re;
  logic [PsumAW-1:0] res_waddr, wb_raddr;
  rsnpu_pkg::acc_t res_wdata, wb_rdata, res_bias;
  logic wb_lane_d, wb_lane_q;  // the lane of the output stage's last read
  logic res_start, res_valid, res_ready, res_busy;
  logic [7:0] res_mm;
  logic [4:0] res_shift;

  rsnpu_layer_ctrl u_ctrl (
    .clk_i            (clk_i),
    .rst_ni           (rst_ni),
    .reg_i            (csr_reg),
    .start_i          (csr_pulse[rsnpu_pkg::CsrIdxCtrl*32 + rsnpu_pkg::CsrCtrlStartLsb]),
    .busy_o           (ctrl_busy),
    .done_o           (ctrl_done),
    .err_code_o       (ctrl_err),
    .dma_cmd_valid_o  (dma_cmd_valid),
    .dma_cmd_ready_i  (dma_cmd_ready),
    .dma_cmd_write_o  (dma_cmd_write),
    .dma_cmd_addr_o   (dma_cmd_addr),
    .dma_cmd_beats_o  (dma_cmd_beats),
    .dma_done_i       (dma_done),
    .dma_err_i        (dma_err),
    .dma_rd_valid_i   (dma_rd_valid),
    .dma_rd_ready_o   (dma_rd_ready),
    .dma_rd_data_i    (dma_rd_data),
    .flt_we_o         (flt_we),
    .flt_waddr_o      (flt_waddr),
    .ifm_we_o         (ifm_we),
    .ifm_waddr_o      (ifm_waddr),
    .bias_o           (bias),
    .route_we_o       (route_we),
    .route_row_o      (route_row),
    .route_col_o      (route_col),
    .route_en_o       (route_en),
    .route_flt_id_o   (route_flt_id),
    .route_ifm_id_o   (route_ifm_id),
    .route_psum_port_o(route_psum_port),
    .route_acc_in_o   (route_acc_in),
    .arr_start_o      (arr_start),
    .arr_s_o          (arr_s),
    .arr_p_o          (arr_p),
    .arr_q_o          (arr_q),
    .arr_stride_o     (arr_stride),
    .arr_e_o          (arr_e),
    .arr_rows_o       (arr_rows),
    .arr_prec_o       (arr_prec),
    .arr_done_i       (arr_done),
    .arr_err_i        (arr_err),
    .ff_start_o       (ff_start),
    .ff_lines_o       (ff_lines),
    .ff_per_row_o     (ff_per_row),
    .ff_rows_o        (ff_rows),
    .ff_busy_i        (ff_busy),
    .if_start_o       (if_start),
    .if_folds_o       (if_folds),
    .if_cols_x_u_o    (if_cols_x_u),
    .if_row_w_o       (if_row_w),
    .if_sets_o        (if_sets),
    .if_hspan_o       (if_hspan),
    .if_q_o           (if_q),
    .if_u_o           (if_u),
    .if_r_o           (if_r),
    .if_pad_o         (if_pad),
    .if_hbase_o       (if_hbase),
    .if_hlo_o         (if_hlo),
    .if_hhi_o         (if_hhi),
    .if_cn_o          (if_cn),
    .if_w_o           (if_w),
    .if_wp_o          (if_wp),
    .if_ch_stride_o   (if_ch_stride),
    .if_fold_step_o   (if_fold_step),
    .if_skip_step_o   (if_skip_step),
    .if_hb_off_o      (if_hb_off),
    .if_busy_i        (if_busy),
    .pu_start_o       (pu_start),
    .pu_in_mode_o     (pu_in_mode),
    .pu_p_o           (pu_p),
    .pu_cols_o        (pu_cols),
    .pu_folds_o       (pu_folds),
    .pu_fp_o          (pu_fp),
    .pu_row_step_o    (pu_row_step),
    .pu_es_o          (pu_es),
    .pu_busy_i        (pu_busy),
    .wb_start_o       (wb_start),
    .wb_flush_o       (wb_flush),
    .wb_mn_o          (wb_mn),
    .wb_prow_o        (wb_prow),
    .wb_f_o           (wb_f),
    .wb_wo_o          (wb_wo),
    .wb_wp_o          (wb_wp),
    .wb_pk_o          (wb_pk),
    .wb_ps_o          (wb_ps),
    .wb_shift_o       (wb_shift),
    .wb_relu_o        (wb_relu),
    .res_start_o      (res_start),
    .res_mm_o         (res_mm),
    .res_shift_o      (res_shift),
    .res_bias_o       (res_bias),
    .res_valid_o      (res_valid),
    .res_ready_i      (res_ready),
    .res_busy_i       (res_busy),
    .wb_busy_i        (wb_busy)
  );

  rsnpu_dma u_dma (
    .clk_i        (clk_i),
    .rst_ni       (rst_ni),
    .rd_win_lo_i  (csr_reg[rsnpu_pkg::CsrIdxRdWinLo*32 +: 32]),
    .rd_win_hi_i  (csr_reg[rsnpu_pkg::CsrIdxRdWinHi*32 +: 32]),
    .wr_win_lo_i  (csr_reg[rsnpu_pkg::CsrIdxWrWinLo*32 +: 32]),
    .wr_win_hi_i  (csr_reg[rsnpu_pkg::CsrIdxWrWinHi*32 +: 32]),
    .cmd_valid_i  (dma_cmd_valid),
    .cmd_ready_o  (dma_cmd_ready),
    .cmd_write_i  (dma_cmd_write),
    .cmd_addr_i   (dma_cmd_addr),
    .cmd_beats_i  (dma_cmd_beats),
    .busy_o       (dma_busy),
    .done_o       (dma_done),
    .err_o        (dma_err),
    .err_code_o   (dma_err_code),
    .rd_valid_o   (dma_rd_valid),
    .rd_ready_i   (dma_rd_ready),
    .rd_data_o    (dma_rd_data),
    .wr_valid_i   (dma_wr_valid),
    .wr_ready_o   (dma_wr_ready),
    .wr_data_i    (dma_wr_data),
    .axi_arvalid_o(axi_arvalid_o),
    .axi_arready_i(axi_arready_i),
    .axi_araddr_o (axi_araddr_o),
    .axi_arlen_o  (axi_arlen_o),
    .axi_arsize_o (axi_arsize_o),
    .axi_arburst_o(axi_arburst_o),
    .axi_arid_o   (axi_arid_o),
    .axi_rvalid_i (axi_rvalid_i),
    .axi_rready_o (axi_rready_o),
    .axi_rdata_i  (axi_rdata_i),
    .axi_rresp_i  (axi_rresp_i),
    .axi_rlast_i  (axi_rlast_i),
    .axi_rid_i    (axi_rid_i),
    .axi_awvalid_o(axi_awvalid_o),
    .axi_awready_i(axi_awready_i),
    .axi_awaddr_o (axi_awaddr_o),
    .axi_awlen_o  (axi_awlen_o),
    .axi_awsize_o (axi_awsize_o),
    .axi_awburst_o(axi_awburst_o),
    .axi_awid_o   (axi_awid_o),
    .axi_wvalid_o (axi_wvalid_o),
    .axi_wready_i (axi_wready_i),
    .axi_wdata_o  (axi_wdata_o),
    .axi_wstrb_o  (axi_wstrb_o),
    .axi_wlast_o  (axi_wlast_o),
    .axi_bvalid_i (axi_bvalid_i),
    .axi_bready_o (axi_bready_o),
    .axi_bresp_i  (axi_bresp_i),
    .axi_bid_i    (axi_bid_i)
  );

  // -------------------------------------------------------------------------------------
  // Global buffers
  // -------------------------------------------------------------------------------------
  rsnpu_glb #(
    .Words(rsnpu_pkg::GlbFltLines),
    .DataW(rsnpu_pkg::AxiDataW),
    .Banks(1)
  ) u_flt_buf (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .we_i   (flt_we),
    .waddr_i(flt_waddr),
    .wdata_i(dma_rd_data),
    .re_i   (flt_re),
    .raddr_i(flt_raddr),
    .rdata_o(flt_rdata)
  );

  rsnpu_glb #(
    .Words(rsnpu_pkg::GlbIfmapLines),
    .DataW(rsnpu_pkg::AxiDataW),
    .Banks(rsnpu_pkg::GlbBanks)
  ) u_ifm_buf (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .we_i   (ifm_we),
    .waddr_i(ifm_waddr),
    .wdata_i(dma_rd_data),
    .re_i   (ifm_re),
    .raddr_i(ifm_raddr),
    .rdata_o(ifm_rdata)
  );

  // The psum buffer's lanes serve the psum unit during a pass; the residual loader (before
  // a pass) and the output stage (after one) use the lane of each address. The psum unit
  // never overlaps with either.
  rsnpu_psum_buf #(
    .Words(rsnpu_pkg::GlbPsumWords),
    .DataW(rsnpu_pkg::AccW),
    .Banks(rsnpu_pkg::GlbBanks)
  ) u_psum_buf (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .we_i   (psum_we),
    .waddr_i(psum_waddr),
    .wdata_i(psum_wdata),
    .re_i   (psum_re),
    .raddr_i(psum_raddr),
    .rdata_o(psum_rdata)
  );

  always_comb begin
    psum_we = pu_we;
    psum_waddr = pu_waddr;
    psum_wdata = pu_wdata;
    psum_re = pu_re;
    psum_raddr = pu_raddr;
    if (res_we) begin
      psum_we[res_waddr[0]] = 1'b1;
      psum_waddr[32'(res_waddr[0])*PsumAW +: PsumAW] = res_waddr;
      psum_wdata[32'(res_waddr[0])*AccW +: AccW] = res_wdata;
    end
    if (wb_re) begin
      psum_re[wb_raddr[0]] = 1'b1;
      psum_raddr[32'(wb_raddr[0])*PsumAW +: PsumAW] = wb_raddr;
    end
    wb_lane_d = wb_re ? wb_raddr[0] : wb_lane_q;
    wb_rdata = psum_rdata[32'(wb_lane_q)*AccW +: AccW];
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      wb_lane_q <= 1'b0;
    end else begin
      wb_lane_q <= wb_lane_d;
    end
  end

  rsnpu_flt_feeder u_flt_feeder (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .start_i    (ff_start),
    .lines_i    (ff_lines),
    .per_row_i  (ff_per_row),
    .rows_i     (ff_rows),
    .busy_o     (ff_busy),
    .buf_re_o   (flt_re),
    .buf_raddr_o(flt_raddr),
    .buf_rdata_i(flt_rdata),
    .flt_valid_o(flt_valid),
    .flt_ready_i(flt_ready),
    .flt_lanes_o(flt_lanes),
    .flt_tag_o  (flt_tag),
    .flt_data_o (flt_data)
  );

  rsnpu_ifm_feeder u_ifm_feeder (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .start_i    (if_start),
    .folds_i    (if_folds),
    .cols_x_u_i (if_cols_x_u),
    .row_w_i    (if_row_w),
    .sets_i     (if_sets),
    .hspan_i    (if_hspan),
    .q_i        (if_q),
    .u_i        (if_u),
    .r_i        (if_r),
    .pad_i      (if_pad),
    .hbase_i    (if_hbase),
    .hlo_i      (if_hlo),
    .hhi_i      (if_hhi),
    .cn_i       (if_cn),
    .w_i        (if_w),
    .wp_i       (if_wp),
    .ch_stride_i(if_ch_stride),
    .fold_step_i(if_fold_step),
    .skip_step_i(if_skip_step),
    .hb_off_i   (if_hb_off),
    .busy_o     (if_busy),
    .buf_re_o   (ifm_re),
    .buf_raddr_o(ifm_raddr),
    .buf_rdata_i(ifm_rdata),
    .ifm_valid_o(ifm_valid),
    .ifm_ready_i(ifm_ready),
    .ifm_tag_o  (ifm_tag),
    .ifm_data_o (ifm_data)
  );

  // The residual loader writes the psum buffer before a pass, the psum unit during it.
  rsnpu_res_loader u_res_loader (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .start_i     (res_start),
    .mm_i        (res_mm),
    .p_i         (pu_p),
    .f_i         (wb_f),
    .wp_i        (wb_wp),
    .fp_i        (pu_fp),
    .shift_i     (res_shift),
    .bias_i      (res_bias),
    .busy_o      (res_busy),
    .beat_valid_i(res_valid),
    .beat_ready_o(res_ready),
    .beat_data_i (dma_rd_data),
    .buf_we_o    (res_we),
    .buf_waddr_o (res_waddr),
    .buf_wdata_o (res_wdata)
  );

  rsnpu_psum_unit u_psum_unit (
    .clk_i           (clk_i),
    .rst_ni          (rst_ni),
    .start_i         (pu_start),
    .in_mode_i       (pu_in_mode),
    .p_i             (pu_p),
    .cols_i          (pu_cols),
    .folds_i         (pu_folds),
    .fp_i            (pu_fp),
    .row_step_i      (pu_row_step),
    .es_i            (pu_es),
    .bias_i          (bias),
    .busy_o          (pu_busy),
    .buf_we_o        (pu_we),
    .buf_waddr_o     (pu_waddr),
    .buf_wdata_o     (pu_wdata),
    .buf_re_o        (pu_re),
    .buf_raddr_o     (pu_raddr),
    .buf_rdata_i     (psum_rdata),
    .psum_in_valid_o (pin_valid),
    .psum_in_ready_i (pin_ready),
    .psum_in_data_o  (pin_data),
    .psum_out_valid_i(pout_valid),
    .psum_out_ready_o(pout_ready),
    .psum_out_data_i (pout_data)
  );

  rsnpu_writeback u_writeback (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .start_i     (wb_start),
    .flush_i     (wb_flush),
    .mn_i        (wb_mn),
    .p_i         (pu_p),
    .prow_i      (wb_prow),
    .f_i         (wb_f),
    .fp_i        (pu_fp),
    .wo_i        (wb_wo),
    .wp_i        (wb_wp),
    .pk_i        (wb_pk),
    .ps_i        (wb_ps),
    .shift_i     (wb_shift),
    .prec_i      (arr_prec),
    .relu_i      (wb_relu),
    .busy_o      (wb_busy),
    .buf_re_o    (wb_re),
    .buf_raddr_o (wb_raddr),
    .buf_rdata_i (wb_rdata),
    .beat_valid_o(dma_wr_valid),
    .beat_ready_i(dma_wr_ready),
    .beat_data_o (dma_wr_data)
  );

  // -------------------------------------------------------------------------------------
  // PE array
  // -------------------------------------------------------------------------------------
  rsnpu_pe_array u_array (
    .clk_i            (clk_i),
    .rst_ni           (rst_ni),
    .route_we_i       (route_we),
    .route_row_i      (route_row),
    .route_col_i      (route_col),
    .route_en_i       (route_en),
    .route_flt_id_i   (route_flt_id),
    .route_ifm_id_i   (route_ifm_id),
    .route_psum_port_i(route_psum_port),
    .route_acc_in_i   (route_acc_in),
    .start_i          (arr_start),
    .cfg_s_i          (arr_s),
    .cfg_p_i          (arr_p),
    .cfg_q_i          (arr_q),
    .cfg_stride_i     (arr_stride),
    .cfg_e_i          (arr_e),
    .cfg_rows_i       (arr_rows),
    .cfg_prec_i       (arr_prec),
    .cfg_flt_load_i   (1'b1),
    .busy_o           (arr_busy),
    .done_o           (arr_done),
    .err_o            (arr_err),
    .err_code_o       (arr_err_code),
    .cfg_sig_o        (cfg_sig_o),
    .flt_valid_i      (flt_valid),
    .flt_ready_o      (flt_ready),
    .flt_lanes_i      (flt_lanes),
    .flt_tag_i        (flt_tag),
    .flt_data_i       (flt_data),
    .ifm_valid_i      (ifm_valid),
    .ifm_ready_o      (ifm_ready),
    .ifm_tag_i        (ifm_tag),
    .ifm_data_i       (ifm_data),
    .psum_in_valid_i  (pin_valid),
    .psum_in_ready_o  (pin_ready),
    .psum_in_data_i   (pin_data),
    .psum_out_valid_o (pout_valid),
    .psum_out_ready_i (pout_ready),
    .psum_out_data_o  (pout_data),
    .evt_mac_o        (evt_mac_o),
    .evt_skip_o       (evt_skip_o),
    .evt_flt_rd_o     (evt_flt_rd_o),
    .evt_flt_wr_o     (evt_flt_wr_o),
    .evt_ifm_rd_o     (evt_ifm_rd_o),
    .evt_ifm_wr_o     (evt_ifm_wr_o),
    .evt_psum_rd_o    (evt_psum_rd_o),
    .evt_psum_wr_o    (evt_psum_wr_o),
    .evt_flt_deliv_o  (evt_flt_deliv),
    .evt_ifm_deliv_o  (evt_ifm_deliv),
    .evt_psum_hop_o   (evt_psum_hop)
  );

  // -------------------------------------------------------------------------------------
  // Activity counters (perf_ctr_e): cleared at CTRL.start, counting while the layer runs
  // -------------------------------------------------------------------------------------
  localparam int unsigned PerfIncW = rsnpu_pkg::PerfIncW;
  logic [rsnpu_pkg::PerfNumCtrs*PerfIncW-1:0] perf_inc;
  logic cyc_mac, cyc_noc, cyc_glb, cyc_array, cyc_out, cyc_dram;

  // Each busy cycle goes to the first class that applies (see perf_ctr_e). Counter k's
  // increment is perf_inc[k*PerfIncW +: PerfIncW].
  assign cyc_mac = (evt_mac_o != '0) || (evt_skip_o != '0);
  assign cyc_noc = flt_valid || ifm_valid || (pin_valid != '0) || (pout_valid != '0);
  assign cyc_glb = ff_busy || if_busy || pu_busy;
  assign cyc_array = arr_busy;
  assign cyc_out = wb_busy;
  assign cyc_dram = dma_busy || res_busy;

  always_comb begin
    flt_lane_cnt = '0;
    for (int l = 0; l < rsnpu_pkg::FltLanes; l++) begin
      flt_lane_cnt = flt_lane_cnt + PerfIncW'(flt_lanes[l]);
    end
  end

  always_comb begin
    perf_inc = '0;
    perf_inc[rsnpu_pkg::PerfCycles*PerfIncW +: PerfIncW] = PerfIncW'(1);
    if (cyc_mac) begin
      perf_inc[rsnpu_pkg::PerfCycMac*PerfIncW +: PerfIncW] = PerfIncW'(1);
    end else if (cyc_noc) begin
      perf_inc[rsnpu_pkg::PerfCycNoc*PerfIncW +: PerfIncW] = PerfIncW'(1);
    end else if (cyc_glb) begin
      perf_inc[rsnpu_pkg::PerfCycGlb*PerfIncW +: PerfIncW] = PerfIncW'(1);
    end else if (cyc_array) begin
      perf_inc[rsnpu_pkg::PerfCycArray*PerfIncW +: PerfIncW] = PerfIncW'(1);
    end else if (cyc_out) begin
      perf_inc[rsnpu_pkg::PerfCycOut*PerfIncW +: PerfIncW] = PerfIncW'(1);
    end else if (cyc_dram) begin
      perf_inc[rsnpu_pkg::PerfCycDram*PerfIncW +: PerfIncW] = PerfIncW'(1);
    end else begin
      perf_inc[rsnpu_pkg::PerfCycCtrl*PerfIncW +: PerfIncW] = PerfIncW'(1);
    end
    perf_inc[rsnpu_pkg::PerfMacExec*PerfIncW +: PerfIncW] = PerfIncW'(evt_mac_o);
    perf_inc[rsnpu_pkg::PerfMacSkip*PerfIncW +: PerfIncW] = PerfIncW'(evt_skip_o);
    perf_inc[rsnpu_pkg::PerfFltSpadRd*PerfIncW +: PerfIncW] = PerfIncW'(evt_flt_rd_o);
    perf_inc[rsnpu_pkg::PerfFltSpadWr*PerfIncW +: PerfIncW] = PerfIncW'(evt_flt_wr_o);
    perf_inc[rsnpu_pkg::PerfIfmSpadRd*PerfIncW +: PerfIncW] = PerfIncW'(evt_ifm_rd_o);
    perf_inc[rsnpu_pkg::PerfIfmSpadWr*PerfIncW +: PerfIncW] = PerfIncW'(evt_ifm_wr_o);
    perf_inc[rsnpu_pkg::PerfPsumSpadRd*PerfIncW +: PerfIncW] = PerfIncW'(evt_psum_rd_o);
    perf_inc[rsnpu_pkg::PerfPsumSpadWr*PerfIncW +: PerfIncW] = PerfIncW'(evt_psum_wr_o);
    perf_inc[rsnpu_pkg::PerfGlbFltRd*PerfIncW +: PerfIncW] = PerfIncW'(flt_re);
    perf_inc[rsnpu_pkg::PerfGlbFltWr*PerfIncW +: PerfIncW] = PerfIncW'(flt_we);
    perf_inc[rsnpu_pkg::PerfGlbIfmRd*PerfIncW +: PerfIncW] = PerfIncW'(ifm_re);
    perf_inc[rsnpu_pkg::PerfGlbIfmWr*PerfIncW +: PerfIncW] = PerfIncW'(ifm_we);
    perf_inc[rsnpu_pkg::PerfGlbPsumRd*PerfIncW +: PerfIncW] = PerfIncW'($countones(psum_re));
    perf_inc[rsnpu_pkg::PerfGlbPsumWr*PerfIncW +: PerfIncW] = PerfIncW'($countones(psum_we));
    perf_inc[rsnpu_pkg::PerfNocFltXfer*PerfIncW +: PerfIncW] =
        (flt_valid && flt_ready) ? flt_lane_cnt : '0;
    perf_inc[rsnpu_pkg::PerfNocFltDeliv*PerfIncW +: PerfIncW] = PerfIncW'(evt_flt_deliv);
    perf_inc[rsnpu_pkg::PerfNocIfmXfer*PerfIncW +: PerfIncW] = PerfIncW'(ifm_valid && ifm_ready);
    perf_inc[rsnpu_pkg::PerfNocIfmDeliv*PerfIncW +: PerfIncW] = PerfIncW'(evt_ifm_deliv);
    perf_inc[rsnpu_pkg::PerfNocPsumIn*PerfIncW +: PerfIncW] =
        PerfIncW'($countones(pin_valid & pin_ready));
    perf_inc[rsnpu_pkg::PerfNocPsumOut*PerfIncW +: PerfIncW] =
        PerfIncW'($countones(pout_valid & pout_ready));
    perf_inc[rsnpu_pkg::PerfNocPsumHop*PerfIncW +: PerfIncW] = PerfIncW'(evt_psum_hop);
    perf_inc[rsnpu_pkg::PerfDramRdBytes*PerfIncW +: PerfIncW] =
        (axi_rvalid_i && axi_rready_o) ? PerfIncW'(rsnpu_pkg::AxiBeatBytes) : '0;
    perf_inc[rsnpu_pkg::PerfDramWrBytes*PerfIncW +: PerfIncW] =
        (axi_wvalid_o && axi_wready_i) ? PerfIncW'(rsnpu_pkg::AxiBeatBytes) : '0;
  end

  rsnpu_perf_ctrs #(
    .NumCtrs(rsnpu_pkg::PerfNumCtrs),
    .CntW   (rsnpu_pkg::PerfCntW),
    .IncW   (PerfIncW),
    .SelW   (rsnpu_pkg::CsrPerfSelIdxW)
  ) u_perf (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .clear_i(csr_pulse[rsnpu_pkg::CsrIdxCtrl*32 + rsnpu_pkg::CsrCtrlStartLsb]),
    .count_i(ctrl_busy),
    .inc_i  (perf_inc),
    .sel_i  (csr_reg[rsnpu_pkg::CsrIdxPerfSel*32 + rsnpu_pkg::CsrPerfSelIdxLsb +:
                     rsnpu_pkg::CsrPerfSelIdxW]),
    .value_o(perf_value)
  );

  // -------------------------------------------------------------------------------------
  // Assertions
  // -------------------------------------------------------------------------------------
  always_ff @(posedge clk_i) begin
    if (rst_ni) assert (!(pu_re != '0 && wb_re));
    if (rst_ni) assert (!(pu_we != '0 && res_we));
  end

endmodule
