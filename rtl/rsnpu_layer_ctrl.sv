// Layer controller: checks the layer descriptor in the CSRs, then runs the loop nest of
// docs/accelerator.md: DMA of biases, filters and ifmap rows into the global buffers, PE
// routing, one pass of the PE array per channel tile, and the write back of each strip
// through the output stage, with the residual rows preloaded into the psum buffer before the
// first channel tile of a strip when CONV.res is set. An illegal descriptor is refused (err_code_o) before any DRAM
// access; a DMA or PE error aborts the layer. done_o pulses once per start.
module rsnpu_layer_ctrl (
  input  logic                                         clk_i,
  input  logic                                         rst_ni,

  input  logic [rsnpu_pkg::CsrNumRegs*32-1:0]          reg_i,      // CSR values
  input  logic                                         start_i,
  output logic                                         busy_o,
  output logic                                         done_o,
  output rsnpu_pkg::ctrl_err_e                         err_code_o,

  // DMA commands and status
  output logic                                         dma_cmd_valid_o,
  input  logic                                         dma_cmd_ready_i,
  output logic                                         dma_cmd_write_o,
  output logic [rsnpu_pkg::AxiAddrW-1:0]               dma_cmd_addr_o,
  output logic [rsnpu_pkg::DmaBeatsW-1:0]              dma_cmd_beats_o,
  input  logic                                         dma_done_i,
  input  logic                                         dma_err_i,
  // DMA read data: written into the buffer the current command loads
  input  logic                                         dma_rd_valid_i,
  output logic                                         dma_rd_ready_o,
  input  logic [rsnpu_pkg::AxiDataW-1:0]               dma_rd_data_i,

  // Buffer write ports
  output logic                                         flt_we_o,
  output logic [$clog2(rsnpu_pkg::GlbFltLines)-1:0]     flt_waddr_o,
  output logic                                         ifm_we_o,
  output logic [rsnpu_pkg::GlbIfmapAddrW-3:0]          ifm_waddr_o,
  output logic [rsnpu_pkg::PsumSpadWords*rsnpu_pkg::AccW-1:0] bias_o,

  // PE array routing and program
  output logic                                         route_we_o,
  output logic [rsnpu_pkg::PeRowIdxW-1:0]              route_row_o,
  output logic [rsnpu_pkg::PeColIdxW-1:0]              route_col_o,
  output logic                                         route_en_o,
  output logic [rsnpu_pkg::NocTagW-1:0]                route_flt_id_o,
  output logic [rsnpu_pkg::NocTagW-1:0]                route_ifm_id_o,
  output logic                                         route_psum_port_o,
  output logic                                         route_acc_in_o,
  output logic                                         arr_start_o,
  output logic [rsnpu_pkg::PeSLenW-1:0]                arr_s_o,
  output logic [rsnpu_pkg::PePLenW-1:0]                arr_p_o,
  output logic [rsnpu_pkg::PeQLenW-1:0]                arr_q_o,
  output logic [rsnpu_pkg::PeStrideW-1:0]              arr_stride_o,
  output logic [rsnpu_pkg::PeELenW-1:0]                arr_e_o,
  output logic [rsnpu_pkg::PeRowsW-1:0]                arr_rows_o,
  output rsnpu_pkg::prec_e                             arr_prec_o,
  input  logic                                         arr_done_i,
  input  logic                                         arr_err_i,

  // Filter feeder
  output logic                                         ff_start_o,
  output logic [15:0]                                  ff_words_o,
  output logic [15:0]                                  ff_per_row_o,
  input  logic                                         ff_busy_i,

  // Ifmap feeder
  output logic                                         if_start_o,
  output logic [11:0]                                  if_folds_o,
  output logic [11:0]                                  if_cols_x_u_o,
  output logic [11:0]                                  if_row_w_o,
  output logic [7:0]                                   if_sets_o,
  output logic [11:0]                                  if_hspan_o,
  output logic [7:0]                                   if_q_o,
  output logic [3:0]                                   if_u_o,
  output logic [4:0]                                   if_r_o,
  output logic [3:0]                                   if_pad_o,
  output logic signed [15:0]                           if_hbase_o,
  output logic [11:0]                                  if_hlo_o,
  output logic [11:0]                                  if_hhi_o,
  output logic [11:0]                                  if_cn_o,
  output logic [9:0]                                   if_w_o,
  output logic [11:0]                                  if_wp_o,
  output logic [23:0]                                  if_ch_stride_o,
  input  logic                                         if_busy_i,

  // Psum unit
  output logic                                         pu_start_o,
  output logic [1:0]                                   pu_in_mode_o,
  output logic [7:0]                                   pu_p_o,
  output logic [7:0]                                   pu_cols_o,
  output logic [11:0]                                  pu_folds_o,
  output logic [19:0]                                  pu_fp_o,
  output logic [11:0]                                  pu_es_o,
  input  logic                                         pu_busy_i,

  // Output stage
  output logic                                         wb_start_o,
  output logic                                         wb_flush_o,
  output logic [7:0]                                   wb_mn_o,
  output logic [11:0]                                  wb_prow_o,
  output logic [9:0]                                   wb_f_o,
  output logic [9:0]                                   wb_wo_o,
  output logic [11:0]                                  wb_wp_o,
  output logic [2:0]                                   wb_pk_o,
  output logic [2:0]                                   wb_ps_o,
  output logic [rsnpu_pkg::RqShiftW-1:0]               wb_shift_o,
  output logic                                         wb_relu_o,
  input  logic                                         wb_busy_i,

  // Residual loader
  output logic                                         res_start_o,
  output logic [7:0]                                   res_mm_o,
  output logic [4:0]                                   res_shift_o,
  output logic [rsnpu_pkg::AccW-1:0]                   res_bias_o,
  output logic                                         res_valid_o,  // DMA beat for it
  input  logic                                         res_ready_i,
  input  logic                                         res_busy_i
);

  localparam int unsigned Rows = rsnpu_pkg::PeRows;
  localparam int unsigned Cols = rsnpu_pkg::PeCols;
  localparam int unsigned FltLineW = $clog2(rsnpu_pkg::GlbFltLines);
  localparam int unsigned IfmLineW = rsnpu_pkg::GlbIfmapAddrW - 2;
  localparam int unsigned FltLines = rsnpu_pkg::GlbFltLines;
  localparam int unsigned IfmLines = rsnpu_pkg::GlbIfmapLines;
  localparam int unsigned BiasRegs = rsnpu_pkg::PsumSpadWords + 1;
  localparam int unsigned BiasIdxW = $clog2(BiasRegs);
  localparam logic [1:0] InNone = 2'd0;
  localparam logic [1:0] InBias = 2'd1;
  localparam logic [1:0] InBuffer = 2'd2;

  // -------------------------------------------------------------------------------------
  // Descriptor fields
  // -------------------------------------------------------------------------------------
  logic [63:0] cg, h, w, mg, r, s, nb, u, pad, groups, e, f, ho, wo;
  logic [63:0] p, q, sets, cols, folds, strip_rows, n_mt, n_ct, n_strips, pk, ps;
  logic [rsnpu_pkg::RqShiftW-1:0] shift;
  logic [4:0] res_shift;
  logic [63:0] a_ifm, a_wgt, a_bias, a_ofm, a_res, rd_lo, rd_hi, wr_lo, wr_hi, ctot;
  logic int8, bias_en, relu, res_en;
  logic [63:0] ctile, rows_used, hspan, e_pass, es_max, in_rows_max, wp_in, wp_out;
  logic [63:0] blob_words, bias_words, pqs;

  function automatic logic [63:0] fld(input logic [rsnpu_pkg::CsrNumRegs*32-1:0] regs,
                                      input int unsigned idx, input int unsigned lsb,
                                      input int unsigned width);
    logic [31:0] v;
    v = regs[idx*32 +: 32] >> lsb;
    fld = 64'(v) & ((64'd1 << width) - 64'd1);
  endfunction

  function automatic logic [63:0] round_up(input logic [63:0] v, input logic [63:0] m);
    round_up = ((v + m - 64'd1) / m) * m;
  endfunction

  always_comb begin
    cg = fld(reg_i, rsnpu_pkg::CsrIdxChannels, rsnpu_pkg::CsrChannelsCLsb,
        rsnpu_pkg::CsrChannelsCW);
    h = fld(reg_i, rsnpu_pkg::CsrIdxInShape, rsnpu_pkg::CsrInShapeHLsb, rsnpu_pkg::CsrInShapeHW);
    w = fld(reg_i, rsnpu_pkg::CsrIdxInShape, rsnpu_pkg::CsrInShapeWLsb, rsnpu_pkg::CsrInShapeWW);
    mg = fld(reg_i, rsnpu_pkg::CsrIdxChannels, rsnpu_pkg::CsrChannelsMLsb,
        rsnpu_pkg::CsrChannelsMW);
    ctot = fld(reg_i, rsnpu_pkg::CsrIdxOutChannels, rsnpu_pkg::CsrOutChannelsTotalLsb,
        rsnpu_pkg::CsrOutChannelsTotalW);
    r = fld(reg_i, rsnpu_pkg::CsrIdxFltShape, rsnpu_pkg::CsrFltShapeRLsb, rsnpu_pkg::CsrFltShapeRW);
    s = fld(reg_i, rsnpu_pkg::CsrIdxFltShape, rsnpu_pkg::CsrFltShapeSLsb, rsnpu_pkg::CsrFltShapeSW);
    nb = fld(reg_i, rsnpu_pkg::CsrIdxFltShape, rsnpu_pkg::CsrFltShapeBatchLsb,
        rsnpu_pkg::CsrFltShapeBatchW);
    u = fld(reg_i, rsnpu_pkg::CsrIdxConv, rsnpu_pkg::CsrConvStrideLsb, rsnpu_pkg::CsrConvStrideW);
    pad = fld(reg_i, rsnpu_pkg::CsrIdxConv, rsnpu_pkg::CsrConvPadLsb, rsnpu_pkg::CsrConvPadW);
    groups = fld(reg_i, rsnpu_pkg::CsrIdxConv, rsnpu_pkg::CsrConvGroupsLsb,
        rsnpu_pkg::CsrConvGroupsW);
    int8 = reg_i[rsnpu_pkg::CsrIdxConv*32 + rsnpu_pkg::CsrConvInt8Lsb];
    bias_en = reg_i[rsnpu_pkg::CsrIdxConv*32 + rsnpu_pkg::CsrConvBiasLsb];
    res_en = reg_i[rsnpu_pkg::CsrIdxConv*32 + rsnpu_pkg::CsrConvResLsb];
    res_shift = reg_i[rsnpu_pkg::CsrIdxOutput*32 + rsnpu_pkg::CsrOutputResShiftLsb +: 5];
    shift = reg_i[rsnpu_pkg::CsrIdxOutput*32 + rsnpu_pkg::CsrOutputShiftLsb +: rsnpu_pkg::RqShiftW];
    relu = reg_i[rsnpu_pkg::CsrIdxOutput*32 + rsnpu_pkg::CsrOutputReluLsb];
    pk = fld(reg_i, rsnpu_pkg::CsrIdxOutput, rsnpu_pkg::CsrOutputPoolKLsb,
        rsnpu_pkg::CsrOutputPoolKW);
    ps = fld(reg_i, rsnpu_pkg::CsrIdxOutput, rsnpu_pkg::CsrOutputPoolSLsb,
        rsnpu_pkg::CsrOutputPoolSW);
    e = fld(reg_i, rsnpu_pkg::CsrIdxOutShape, rsnpu_pkg::CsrOutShapeELsb, rsnpu_pkg::CsrOutShapeEW);
    f = fld(reg_i, rsnpu_pkg::CsrIdxOutShape, rsnpu_pkg::CsrOutShapeFLsb, rsnpu_pkg::CsrOutShapeFW);
    ho = fld(reg_i, rsnpu_pkg::CsrIdxPoolShape, rsnpu_pkg::CsrPoolShapeHoLsb,
        rsnpu_pkg::CsrPoolShapeHoW);
    wo = fld(reg_i, rsnpu_pkg::CsrIdxPoolShape, rsnpu_pkg::CsrPoolShapeWoLsb,
        rsnpu_pkg::CsrPoolShapeWoW);
    a_ifm = fld(reg_i, rsnpu_pkg::CsrIdxIfmapAddr, 0, 32);
    a_wgt = fld(reg_i, rsnpu_pkg::CsrIdxWeightAddr, 0, 32);
    a_bias = fld(reg_i, rsnpu_pkg::CsrIdxBiasAddr, 0, 32);
    a_ofm = fld(reg_i, rsnpu_pkg::CsrIdxOfmapAddr, 0, 32);
    a_res = fld(reg_i, rsnpu_pkg::CsrIdxResAddr, 0, 32);
    rd_lo = fld(reg_i, rsnpu_pkg::CsrIdxRdWinLo, 0, 32);
    rd_hi = fld(reg_i, rsnpu_pkg::CsrIdxRdWinHi, 0, 32);
    wr_lo = fld(reg_i, rsnpu_pkg::CsrIdxWrWinLo, 0, 32);
    wr_hi = fld(reg_i, rsnpu_pkg::CsrIdxWrWinHi, 0, 32);
    p = fld(reg_i, rsnpu_pkg::CsrIdxMap0, rsnpu_pkg::CsrMap0PLsb, rsnpu_pkg::CsrMap0PW);
    q = fld(reg_i, rsnpu_pkg::CsrIdxMap0, rsnpu_pkg::CsrMap0QLsb, rsnpu_pkg::CsrMap0QW);
    sets = fld(reg_i, rsnpu_pkg::CsrIdxMap0, rsnpu_pkg::CsrMap0SetsLsb, rsnpu_pkg::CsrMap0SetsW);
    cols = fld(reg_i, rsnpu_pkg::CsrIdxMap0, rsnpu_pkg::CsrMap0ColsLsb, rsnpu_pkg::CsrMap0ColsW);
    folds = fld(reg_i, rsnpu_pkg::CsrIdxMap1, rsnpu_pkg::CsrMap1FoldsLsb, rsnpu_pkg::CsrMap1FoldsW);
    strip_rows = fld(reg_i, rsnpu_pkg::CsrIdxMap1, rsnpu_pkg::CsrMap1StripRowsLsb,
        rsnpu_pkg::CsrMap1StripRowsW);
    n_mt = fld(reg_i, rsnpu_pkg::CsrIdxMap2, rsnpu_pkg::CsrMap2NMtLsb, rsnpu_pkg::CsrMap2NMtW);
    n_ct = fld(reg_i, rsnpu_pkg::CsrIdxMap2, rsnpu_pkg::CsrMap2NCtLsb, rsnpu_pkg::CsrMap2NCtW);
    n_strips = fld(reg_i, rsnpu_pkg::CsrIdxMap3, rsnpu_pkg::CsrMap3NStripsLsb,
        rsnpu_pkg::CsrMap3NStripsW);
    // No concatenation: the output tensor holds the layer's G*Mg channels.
    if (ctot == 64'd0) begin
      ctot = groups * mg;
    end
    // No pooling: a 1 x 1 window with stride 1.
    if (pk == 64'd0) begin
      ps = 64'd1;
      pk = 64'd1;
    end
    ctile = sets * q;
    rows_used = sets * r;
    hspan = (cols - 64'd1) * u + r;
    e_pass = folds * cols;
    es_max = (strip_rows - 64'd1) * ps + pk;
    in_rows_max = (e_pass - 64'd1) * u + r;
    wp_in = round_up(w, 64'd4);
    wp_out = round_up(wo, 64'd4);
    pqs = p * q * s;
    blob_words = round_up(rows_used * pqs, 64'd4);
    bias_words = round_up(p, 64'd2);
  end

  // -------------------------------------------------------------------------------------
  // Descriptor checks (docs/accelerator.md, in order)
  // -------------------------------------------------------------------------------------
  rsnpu_pkg::ctrl_err_e check;
  logic [63:0] in_bytes, wgt_bytes, bias_bytes_all, out_bytes, res_bytes;
  logic pool_en;

  function automatic logic range_ok(input logic [63:0] base, input logic [63:0] bytes,
                                    input logic [63:0] lo, input logic [63:0] hi);
    range_ok = (base[2:0] == 3'd0) && (base >= lo) && (base + bytes <= hi);
  endfunction

  always_comb begin
    in_bytes = nb * groups * cg * h * wp_in * 64'd2;
    wgt_bytes = groups * n_mt * n_ct * blob_words * 64'd2;
    bias_bytes_all = groups * n_mt * bias_words * 64'd4;
    // The output images are ctot channels apart; the last one ends after its G*Mg channels.
    out_bytes = ((nb - 64'd1) * ctot + groups * mg) * ho * wp_out * 64'd2;
    res_bytes = nb * groups * mg * ho * wp_out * 64'd2;
    pool_en = (fld(reg_i, rsnpu_pkg::CsrIdxOutput, rsnpu_pkg::CsrOutputPoolKLsb,
        rsnpu_pkg::CsrOutputPoolKW) != 64'd0);
    check = rsnpu_pkg::CtrlErrNone;
    if (cg == 0 || h == 0 || w == 0 || mg == 0 || r == 0 || s == 0 || nb == 0 || u == 0 ||
        groups == 0 || e == 0 || f == 0 || ho == 0 || wo == 0 || p == 0 || q == 0 ||
        sets == 0 || cols == 0 || folds == 0 || strip_rows == 0 || n_mt == 0 || n_ct == 0 ||
        n_strips == 0 || ps == 0) begin
      check = rsnpu_pkg::CtrlErrZeroField;
    end else if (!((e - 1) * u + r <= h + 2 * pad && h + 2 * pad < e * u + r) ||
                 !((f - 1) * u + s <= w + 2 * pad && w + 2 * pad < f * u + s) ||
                 !((ho - 1) * ps + pk <= e && e < ho * ps + pk) ||
                 !((wo - 1) * ps + pk <= f && f < wo * ps + pk) ||
                 pad >= r || pad >= s || ctot < groups * mg || (res_en && pool_en)) begin
      check = rsnpu_pkg::CtrlErrShape;
    end else if (rows_used > 64'(Rows) || cols > 64'(Cols) || p > 64'(rsnpu_pkg::PsumSpadWords) ||
                 q * s > 64'(rsnpu_pkg::IfmapSpadWords) || pqs > 64'(rsnpu_pkg::FilterSpadWords) ||
                 sets * hspan > 64'(1 << rsnpu_pkg::NocTagW)) begin
      check = rsnpu_pkg::CtrlErrArray;
    end else if (e_pass < es_max ||
                 !((n_mt - 1) * p < mg && mg <= n_mt * p) ||
                 !((n_ct - 1) * ctile < cg && cg <= n_ct * ctile) ||
                 !((n_strips - 1) * strip_rows < ho && ho <= n_strips * strip_rows)) begin
      check = rsnpu_pkg::CtrlErrTiling;
    end else if (ctile * in_rows_max * wp_in > 64'(rsnpu_pkg::GlbIfmapWords) ||
                 es_max * f * p > 64'(rsnpu_pkg::GlbPsumWords)) begin
      check = rsnpu_pkg::CtrlErrGlb;
    end else if (!range_ok(a_ifm, in_bytes, rd_lo, rd_hi) ||
                 !range_ok(a_wgt, wgt_bytes, rd_lo, rd_hi) ||
                 (bias_en && !range_ok(a_bias, bias_bytes_all, rd_lo, rd_hi)) ||
                 !range_ok(a_ofm, out_bytes, wr_lo, wr_hi) ||
                 (res_en && !range_ok(a_res, res_bytes, rd_lo, rd_hi))) begin
      check = rsnpu_pkg::CtrlErrWindow;
    end
  end

  // -------------------------------------------------------------------------------------
  // Loop nest state
  // -------------------------------------------------------------------------------------
  typedef enum logic [4:0] {
    StIdle, StCheck, StTile, StBiasCmd, StBiasWait, StSetup, StWgtCmd, StWgtWait, StIfmCmd,
    StIfmWait, StRoute, StStart, StRun, StWbStart, StChanCmd, StChanWait, StNext, StDone,
    StResDrain
  } state_e;

  state_e state_d, state_q;
  rsnpu_pkg::ctrl_err_e err_d, err_q;
  logic done_d, done_q;
  logic [7:0] n_d, n_q;
  logic [11:0] g_d, g_q, mt_d, mt_q, st_d, st_q, ct_d, ct_q, po0_d, po0_q;
  logic [15:0] m0_d, m0_q, c0_d, c0_q;
  logic [31:0] in_chan_d, in_chan_q, res_chan_d, res_chan_q;  // (n*G + g) * Cg / Mg
  logic [31:0] out_chan_d, out_chan_q;                        // n*ctot + g*Mg
  logic [31:0] wblob_d, wblob_q, mt_wbase_d, mt_wbase_q, bias_addr_d, bias_addr_q;
  logic [11:0] idx_d, idx_q;         // channel (ifmap loads) or filter (write back)
  logic [31:0] cmd_addr_d, cmd_addr_q;
  logic [15:0] line_d, line_q;       // buffer line the next DMA beat goes to
  logic [1:0] dst_d, dst_q;          // 0 filters, 1 ifmaps, 2 biases, 3 residual rows
  logic chan_wr_d, chan_wr_q;        // per-filter DMA loop: 1 write back, 0 residual rows
  logic arr_done_d, arr_done_q, arr_err_d, arr_err_q;
  logic [rsnpu_pkg::PeRowIdxW-1:0] rrow_d, rrow_q;
  logic [rsnpu_pkg::PeColIdxW-1:0] rcol_d, rcol_q;
  logic [4:0] rr_d, rr_q;            // filter row of the routed PE
  logic [rsnpu_pkg::NocTagW-1:0] rk_tag_d, rk_tag_q, rcol_u_d, rcol_u_q;
  logic [rsnpu_pkg::AccW-1:0] bias_d [rsnpu_pkg::PsumSpadWords + 1];
  logic [rsnpu_pkg::AccW-1:0] bias_q [rsnpu_pkg::PsumSpadWords + 1];

  // Pass values, registered in StSetup
  logic [11:0] prow_d, prow_q, es_d, es_q, hlo_d, hlo_q, hhi_d, hhi_q, cn_d, cn_q;
  logic [7:0] mn_d, mn_q;
  logic signed [15:0] hbase_d, hbase_q;
  logic [31:0] ifm_addr_d, ifm_addr_q, ofm_addr_d, ofm_addr_q;
  logic [19:0] ifm_beats_d, ifm_beats_q, ofm_beats_d, ofm_beats_q;
  logic [23:0] ch_stride_d, ch_stride_q;

  logic last_ct, last_st, last_mt, last_g, last_n;
  logic [63:0] e0, hlo_s, hhi_s, prow_c;
  logic signed [63:0] hstart;

  assign last_ct = (64'(ct_q) + 1 == n_ct);
  assign last_st = (64'(st_q) + 1 == n_strips);
  assign last_mt = (64'(mt_q) + 1 == n_mt);
  assign last_g = (64'(g_q) + 1 == groups);
  assign last_n = (64'(n_q) + 1 == nb);

  always_comb begin
    prow_c = (strip_rows < ho - 64'(po0_q)) ? strip_rows : ho - 64'(po0_q);
    e0 = 64'(po0_q) * ps;
    hstart = $signed(e0 * u) - $signed(pad);
    hlo_s = (hstart < 0) ? 64'd0 : 64'(hstart);
    hhi_s = (e0 + e_pass - 64'd1) * u + r - pad;
    if (hhi_s > h) begin
      hhi_s = h;
    end
  end

  always_comb begin
    state_d = state_q;
    err_d = err_q;
    done_d = 1'b0;
    n_d = n_q; g_d = g_q; mt_d = mt_q; st_d = st_q; ct_d = ct_q;
    m0_d = m0_q; po0_d = po0_q; c0_d = c0_q;
    in_chan_d = in_chan_q; out_chan_d = out_chan_q; res_chan_d = res_chan_q;
    wblob_d = wblob_q; mt_wbase_d = mt_wbase_q; bias_addr_d = bias_addr_q;
    idx_d = idx_q; cmd_addr_d = cmd_addr_q; line_d = line_q; dst_d = dst_q;
    chan_wr_d = chan_wr_q;
    arr_done_d = arr_done_q || arr_done_i;
    arr_err_d = arr_err_q || (arr_done_i && arr_err_i);
    rrow_d = rrow_q; rcol_d = rcol_q; rr_d = rr_q; rk_tag_d = rk_tag_q; rcol_u_d = rcol_u_q;
    for (int i = 0; i <= rsnpu_pkg::PsumSpadWords; i++) begin
      bias_d[i] = bias_q[i];
    end
    prow_d = prow_q; es_d = es_q; hlo_d = hlo_q; hhi_d = hhi_q; cn_d = cn_q; mn_d = mn_q;
    hbase_d = hbase_q; ifm_addr_d = ifm_addr_q; ofm_addr_d = ofm_addr_q;
    ifm_beats_d = ifm_beats_q; ofm_beats_d = ofm_beats_q; ch_stride_d = ch_stride_q;

    dma_cmd_valid_o = 1'b0;
    dma_cmd_write_o = 1'b0;
    dma_cmd_addr_o = cmd_addr_q;
    dma_cmd_beats_o = '0;
    route_we_o = 1'b0;
    arr_start_o = 1'b0;
    ff_start_o = 1'b0;
    if_start_o = 1'b0;
    pu_start_o = 1'b0;
    wb_start_o = 1'b0;
    wb_flush_o = 1'b0;
    res_start_o = 1'b0;

    // DMA read data: one beat per cycle into the buffer of the current load.
    if (dma_rd_valid_i) begin
      line_d = line_q + 16'd1;
      if (dst_q == 2'd2) begin
        bias_d[2 * 32'(line_q)] = dma_rd_data_i[31:0];
        bias_d[2 * 32'(line_q) + 1] = dma_rd_data_i[63:32];
      end
    end

    unique case (state_q)
      StIdle: begin
        if (start_i) begin
          err_d = rsnpu_pkg::CtrlErrNone;
          state_d = StCheck;
        end
      end
      StCheck: begin
        if (check != rsnpu_pkg::CtrlErrNone) begin
          err_d = check;
          state_d = StDone;
        end else begin
          n_d = '0; g_d = '0; mt_d = '0; st_d = '0; ct_d = '0;
          m0_d = '0; po0_d = '0; c0_d = '0;
          in_chan_d = '0; out_chan_d = '0; res_chan_d = '0;
          mt_wbase_d = 32'(a_wgt);
          bias_addr_d = 32'(a_bias);
          state_d = StTile;
        end
      end
      // Start of a filter tile: its biases, then the first pass of its first strip.
      StTile: begin
        wblob_d = mt_wbase_q;
        state_d = bias_en ? StBiasCmd : StSetup;
      end
      StBiasCmd: begin
        dma_cmd_valid_o = 1'b1;
        dma_cmd_addr_o = bias_addr_q;
        dma_cmd_beats_o = rsnpu_pkg::DmaBeatsW'(bias_words / 2);
        line_d = '0;
        dst_d = 2'd2;
        if (dma_cmd_ready_i) begin
          state_d = StBiasWait;
        end
      end
      StBiasWait: begin
        if (dma_done_i) begin
          state_d = dma_err_i ? StDone : StSetup;
          if (dma_err_i) err_d = rsnpu_pkg::CtrlErrDma;
        end
      end
      StSetup: begin
        prow_d = 12'(prow_c);
        es_d = 12'((prow_c - 64'd1) * ps + pk);
        hlo_d = 12'(hlo_s);
        hhi_d = 12'(hhi_s);
        hbase_d = 16'(hstart);
        cn_d = 12'((ctile < cg - 64'(c0_q)) ? ctile : cg - 64'(c0_q));
        mn_d = 8'((p < mg - 64'(m0_q)) ? p : mg - 64'(m0_q));
        ch_stride_d = 24'((hhi_s - hlo_s) * wp_in);
        ifm_beats_d = 20'((hhi_s - hlo_s) * wp_in / 64'd4);
        ifm_addr_d = 32'(a_ifm + ((64'(in_chan_q) + 64'(c0_q)) * h + hlo_s) * wp_in * 64'd2);
        ofm_beats_d = 20'(prow_c * wp_out / 64'd4);
        ofm_addr_d = 32'(a_ofm + ((64'(out_chan_q) + 64'(m0_q)) * ho + 64'(po0_q)) * wp_out *
                         64'd2);
        idx_d = '0;
        cmd_addr_d = 32'(a_res + ((64'(res_chan_q) + 64'(m0_q)) * ho + 64'(po0_q)) * wp_out *
                         64'd2);
        // Residual rows of each filter of the tile (first channel tile of a strip only).
        chan_wr_d = 1'b0;
        state_d = (res_en && ct_q == '0) ? StChanCmd : StWgtCmd;
      end
      StResDrain: begin
        if (!res_busy_i) begin
          state_d = StWgtCmd;
        end
      end
      StWgtCmd: begin
        dma_cmd_valid_o = 1'b1;
        dma_cmd_addr_o = wblob_q;
        dma_cmd_beats_o = rsnpu_pkg::DmaBeatsW'(blob_words / 64'd4);
        line_d = '0;
        dst_d = 2'd0;
        if (dma_cmd_ready_i) begin
          state_d = StWgtWait;
        end
      end
      StWgtWait: begin
        if (dma_done_i) begin
          idx_d = '0;
          cmd_addr_d = ifm_addr_q;
          line_d = '0;
          state_d = dma_err_i ? StDone : StIfmCmd;
          if (dma_err_i) err_d = rsnpu_pkg::CtrlErrDma;
        end
      end
      StIfmCmd: begin
        dma_cmd_valid_o = 1'b1;
        dma_cmd_addr_o = cmd_addr_q;
        dma_cmd_beats_o = ifm_beats_q;
        dst_d = 2'd1;
        if (dma_cmd_ready_i) begin
          state_d = StIfmWait;
        end
      end
      StIfmWait: begin
        if (dma_done_i) begin
          idx_d = idx_q + 12'd1;
          cmd_addr_d = cmd_addr_q + 32'(h * wp_in * 64'd2);
          if (dma_err_i) begin
            err_d = rsnpu_pkg::CtrlErrDma;
            state_d = StDone;
          end else if (idx_q + 12'd1 == cn_q) begin
            rrow_d = '0; rcol_d = '0; rr_d = '0; rk_tag_d = '0; rcol_u_d = '0;
            state_d = StRoute;
          end else begin
            state_d = StIfmCmd;
          end
        end
      end
      // One PE per cycle, row by row.
      StRoute: begin
        route_we_o = 1'b1;
        if (32'(rcol_q) + 1 == Cols) begin
          rcol_d = '0;
          rcol_u_d = '0;
          rrow_d = rrow_q + rsnpu_pkg::PeRowIdxW'(1);
          if (64'(rr_q) + 1 == r) begin
            rr_d = '0;
            rk_tag_d = rk_tag_q + rsnpu_pkg::NocTagW'(hspan);
          end else begin
            rr_d = rr_q + 5'd1;
          end
          if (32'(rrow_q) + 1 == Rows) begin
            state_d = StStart;
          end
        end else begin
          rcol_d = rcol_q + rsnpu_pkg::PeColIdxW'(1);
          rcol_u_d = rcol_u_q + rsnpu_pkg::NocTagW'(u);
        end
      end
      StStart: begin
        arr_start_o = 1'b1;
        ff_start_o = 1'b1;
        if_start_o = 1'b1;
        pu_start_o = 1'b1;
        arr_done_d = 1'b0;
        arr_err_d = 1'b0;
        state_d = StRun;
      end
      StRun: begin
        if (arr_done_q && !ff_busy_i && !if_busy_i && !pu_busy_i) begin
          if (arr_err_q) begin
            err_d = rsnpu_pkg::CtrlErrPe;
            state_d = StDone;
          end else begin
            state_d = last_ct ? StWbStart : StNext;
          end
        end
      end
      StWbStart: begin
        wb_start_o = 1'b1;
        idx_d = '0;
        cmd_addr_d = ofm_addr_q;
        chan_wr_d = 1'b1;
        state_d = StChanCmd;
      end
      // One DMA command per filter of the tile: prow rows of wp_out words, a channel apart;
      // output rows to DRAM (write back) or residual rows into the residual loader, which
      // takes a new filter only when it has written the previous one.
      StChanCmd: begin
        dma_cmd_valid_o = chan_wr_q || !res_busy_i;
        dma_cmd_write_o = chan_wr_q;
        dma_cmd_addr_o = cmd_addr_q;
        dma_cmd_beats_o = ofm_beats_q;
        if (!chan_wr_q) dst_d = 2'd3;
        if (dma_cmd_valid_o && dma_cmd_ready_i) begin
          res_start_o = !chan_wr_q;
          state_d = StChanWait;
        end
      end
      StChanWait: begin
        if (dma_done_i) begin
          idx_d = idx_q + 12'd1;
          cmd_addr_d = cmd_addr_q + 32'(ho * wp_out * 64'd2);
          if (dma_err_i) begin
            err_d = rsnpu_pkg::CtrlErrDma;
            state_d = StDone;
          end else if (idx_q + 12'd1 == 12'(mn_q)) begin
            state_d = chan_wr_q ? StNext : StResDrain;
          end else begin
            state_d = StChanCmd;
          end
        end
      end
      // Advance the loop nest: ct, strip, filter tile, group, image.
      StNext: begin
        state_d = StSetup;
        wblob_d = wblob_q + 32'(blob_words * 64'd2);
        if (!last_ct) begin
          ct_d = ct_q + 12'd1;
          c0_d = c0_q + 16'(ctile);
        end else begin
          ct_d = '0;
          c0_d = '0;
          if (!last_st) begin
            st_d = st_q + 12'd1;
            po0_d = po0_q + 12'(strip_rows);
            wblob_d = mt_wbase_q;  // the next strip reuses the filter tile's blobs
          end else begin
            st_d = '0;
            po0_d = '0;
            mt_wbase_d = wblob_q + 32'(blob_words * 64'd2);
            bias_addr_d = bias_addr_q + 32'(bias_words * 64'd4);
            state_d = StTile;
            if (!last_mt) begin
              mt_d = mt_q + 12'd1;
              m0_d = m0_q + 16'(p);
            end else begin
              mt_d = '0;
              m0_d = '0;
              in_chan_d = in_chan_q + 32'(cg);
              res_chan_d = res_chan_q + 32'(mg);
              out_chan_d = out_chan_q + 32'(mg);
              if (!last_g) begin
                g_d = g_q + 12'd1;
              end else begin
                g_d = '0;
                // The next image's output starts ctot channels after this image's.
                out_chan_d = out_chan_q + 32'(mg) + 32'(ctot - groups * mg);
                // The next image reads the same weights and biases.
                mt_wbase_d = 32'(a_wgt);
                bias_addr_d = 32'(a_bias);
                if (!last_n) begin
                  n_d = n_q + 8'd1;
                end else begin
                  state_d = StDone;
                end
              end
            end
          end
        end
      end
      StDone: begin
        done_d = 1'b1;
        wb_flush_o = (err_q != rsnpu_pkg::CtrlErrNone);
        state_d = StIdle;
      end
      default: begin
        state_d = StIdle;
      end
    endcase
  end

  // DMA read data goes to the buffer the state machine chose.
  assign dma_rd_ready_o = (dst_q == 2'd3) ? res_ready_i : 1'b1;
  assign flt_we_o = dma_rd_valid_i && (dst_q == 2'd0);
  assign flt_waddr_o = FltLineW'(line_q);
  assign ifm_we_o = dma_rd_valid_i && (dst_q == 2'd1);
  assign ifm_waddr_o = IfmLineW'(line_q);
  assign res_valid_o = dma_rd_valid_i && (dst_q == 2'd3);
  for (genvar i = 0; i < rsnpu_pkg::PsumSpadWords; i++) begin : gen_bias
    assign bias_o[i*rsnpu_pkg::AccW +: rsnpu_pkg::AccW] = bias_q[i];
  end

  // Routing of PE (rrow, rcol): filter row rr of channel set k (tag base rk_tag = k*hspan).
  always_comb begin
    route_row_o = rrow_q;
    route_col_o = rcol_q;
    route_en_o = (64'(rrow_q) < rows_used) && (64'(rcol_q) < cols);
    route_flt_id_o = rsnpu_pkg::NocTagW'(rrow_q);
    route_ifm_id_o = rk_tag_q + rcol_u_q + rsnpu_pkg::NocTagW'(rr_q);
    route_psum_port_o = (64'(rrow_q) + 1 == rows_used);
    route_acc_in_o = !route_psum_port_o || (ct_q != '0) || bias_en || res_en;
  end

  // Pass program and unit parameters (stable from StSetup to the end of the pass).
  assign arr_s_o = rsnpu_pkg::PeSLenW'(s);
  assign arr_p_o = rsnpu_pkg::PePLenW'(p);
  assign arr_q_o = rsnpu_pkg::PeQLenW'(q);
  assign arr_stride_o = rsnpu_pkg::PeStrideW'(u);
  assign arr_e_o = rsnpu_pkg::PeELenW'(f);
  assign arr_rows_o = rsnpu_pkg::PeRowsW'(folds);
  assign arr_prec_o = int8 ? rsnpu_pkg::PrecInt8 : rsnpu_pkg::PrecInt16;
  assign ff_words_o = 16'(rows_used * pqs);
  assign ff_per_row_o = 16'(pqs);
  assign if_folds_o = 12'(folds);
  assign if_cols_x_u_o = 12'(cols * u);
  assign if_row_w_o = 12'((f - 64'd1) * u + s);
  assign if_sets_o = 8'(sets);
  assign if_hspan_o = 12'(hspan);
  assign if_q_o = 8'(q);
  assign if_u_o = 4'(u);
  assign if_r_o = 5'(r);
  assign if_pad_o = 4'(pad);
  assign if_hbase_o = hbase_q;
  assign if_hlo_o = hlo_q;
  assign if_hhi_o = hhi_q;
  assign if_cn_o = cn_q;
  assign if_w_o = 10'(w);
  assign if_wp_o = 12'(wp_in);
  assign if_ch_stride_o = ch_stride_q;
  assign pu_in_mode_o = (ct_q != '0 || res_en) ? InBuffer : (bias_en ? InBias : InNone);
  assign res_mm_o = 8'(idx_q);
  assign res_shift_o = res_shift;
  assign res_bias_o = bias_en ? bias_q[BiasIdxW'(idx_q)] : '0;
  assign pu_p_o = 8'(p);
  assign pu_cols_o = 8'(cols);
  assign pu_folds_o = 12'(folds);
  assign pu_fp_o = 20'(f * p);
  assign pu_es_o = es_q;
  assign wb_mn_o = mn_q;
  assign wb_prow_o = prow_q;
  assign wb_f_o = 10'(f);
  assign wb_wo_o = 10'(wo);
  assign wb_wp_o = 12'(wp_out);
  assign wb_pk_o = 3'(pk);
  assign wb_ps_o = 3'(ps);
  assign wb_shift_o = shift;
  assign wb_relu_o = relu;

  assign busy_o = (state_q != StIdle);
  assign done_o = done_q;
  assign err_code_o = err_q;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q <= StIdle;
      err_q <= rsnpu_pkg::CtrlErrNone;
      done_q <= 1'b0;
      n_q <= '0; g_q <= '0; mt_q <= '0; st_q <= '0; ct_q <= '0;
      m0_q <= '0; po0_q <= '0; c0_q <= '0;
      in_chan_q <= '0; out_chan_q <= '0; res_chan_q <= '0;
      wblob_q <= '0; mt_wbase_q <= '0; bias_addr_q <= '0;
      idx_q <= '0; cmd_addr_q <= '0; line_q <= '0; dst_q <= '0; chan_wr_q <= 1'b0;
      arr_done_q <= 1'b0; arr_err_q <= 1'b0;
      rrow_q <= '0; rcol_q <= '0; rr_q <= '0; rk_tag_q <= '0; rcol_u_q <= '0;
      for (int i = 0; i <= rsnpu_pkg::PsumSpadWords; i++) begin
        bias_q[i] <= '0;
      end
      prow_q <= '0; es_q <= '0; hlo_q <= '0; hhi_q <= '0; cn_q <= '0; mn_q <= '0;
      hbase_q <= '0; ifm_addr_q <= '0; ofm_addr_q <= '0;
      ifm_beats_q <= '0; ofm_beats_q <= '0; ch_stride_q <= '0;
    end else begin
      state_q <= state_d;
      err_q <= err_d;
      done_q <= done_d;
      n_q <= n_d; g_q <= g_d; mt_q <= mt_d; st_q <= st_d; ct_q <= ct_d;
      m0_q <= m0_d; po0_q <= po0_d; c0_q <= c0_d;
      in_chan_q <= in_chan_d; out_chan_q <= out_chan_d; res_chan_q <= res_chan_d;
      wblob_q <= wblob_d; mt_wbase_q <= mt_wbase_d; bias_addr_q <= bias_addr_d;
      idx_q <= idx_d; cmd_addr_q <= cmd_addr_d; line_q <= line_d; dst_q <= dst_d;
      chan_wr_q <= chan_wr_d;
      arr_done_q <= arr_done_d; arr_err_q <= arr_err_d;
      rrow_q <= rrow_d; rcol_q <= rcol_d; rr_q <= rr_d; rk_tag_q <= rk_tag_d;
      rcol_u_q <= rcol_u_d;
      for (int i = 0; i <= rsnpu_pkg::PsumSpadWords; i++) begin
        bias_q[i] <= bias_d[i];
      end
      prow_q <= prow_d; es_q <= es_d; hlo_q <= hlo_d; hhi_q <= hhi_d; cn_q <= cn_d;
      mn_q <= mn_d;
      hbase_q <= hbase_d; ifm_addr_q <= ifm_addr_d; ofm_addr_q <= ofm_addr_d;
      ifm_beats_q <= ifm_beats_d; ofm_beats_q <= ofm_beats_d; ch_stride_q <= ch_stride_d;
    end
  end

  // -------------------------------------------------------------------------------------
  // Assertions
  // -------------------------------------------------------------------------------------
  always_ff @(posedge clk_i) begin
    // DMA read data only arrives for a load, and never past the end of its buffer.
    if (rst_ni && dma_rd_valid_i && dst_q == 2'd0) assert (32'(line_q) < FltLines);
    if (rst_ni && dma_rd_valid_i && dst_q == 2'd1) assert (32'(line_q) < IfmLines);
    if (rst_ni && dma_rd_valid_i && dst_q == 2'd2) assert (2 * 32'(line_q) < BiasRegs);
    // Units are idle whenever a pass or a write back starts.
    if (rst_ni && arr_start_o) assert (!ff_busy_i && !if_busy_i && !pu_busy_i);
    if (rst_ni && wb_start_o) assert (!wb_busy_i);
    // A command holds while the DMA is not ready.
    if (rst_ni && $past(rst_ni) && $past(dma_cmd_valid_o && !dma_cmd_ready_i)) begin
      assert (dma_cmd_valid_o && dma_cmd_addr_o == $past(dma_cmd_addr_o) &&
              dma_cmd_write_o == $past(dma_cmd_write_o));
    end
  end

endmodule
