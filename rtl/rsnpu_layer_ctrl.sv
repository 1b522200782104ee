// Layer controller: checks the layer descriptor in the CSRs, then runs the loop nest of
// docs/accelerator.md: DMA of biases, filters and ifmap rows into the global buffers, PE
// routing, one pass of the PE array per channel tile, and the write back of each strip
// through the output stage, with the residual rows preloaded into the psum buffer before the
// first channel tile of a strip when CONV.res is set. An illegal descriptor is refused
// (err_code_o) before any DRAM access; a DMA or PE error aborts the layer. done_o pulses once
// per start.
//
// Filter prefetch: once the filter feeder has sent a pass's filters into the PE spads, the
// filter buffer is free, and the DMA, idle while the array computes, loads the next pass's
// filter blob into it. The pass ends only when that load is done; the next pass then skips
// its filter load.
//
// Arithmetic: every product the checks and the loop nest need is computed once per layer, in
// the check phase, by a sequential multiplier (rsnpu_seq_mul) into registers (dv_q, one
// entry per step of the derive program). The loop nest then only adds: DRAM addresses and
// the strip's row window advance by registered steps. No multiplier or divider sits on a
// register-to-register path, and every value the other units read is a register.
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
  output logic [15:0]                                  ff_lines_o,
  output logic [15:0]                                  ff_per_row_o,
  output logic [7:0]                                   ff_rows_o,
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
  output logic [23:0]                                  if_fold_step_o,   // cols*U*wp_in
  output logic [23:0]                                  if_skip_step_o,   // (U-R+1)*wp_in
  output logic signed [23:0]                           if_hb_off_o,      // (hbase-hlo)*wp_in
  input  logic                                         if_busy_i,

  // Psum unit
  output logic                                         pu_start_o,
  output logic [1:0]                                   pu_in_mode_o,
  output logic [7:0]                                   pu_p_o,
  output logic [7:0]                                   pu_cols_o,
  output logic [11:0]                                  pu_folds_o,
  output logic [19:0]                                  pu_fp_o,
  output logic [31:0]                                  pu_row_step_o,    // cols*F*p
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
  localparam int unsigned Lanes = rsnpu_pkg::FltLanes;
  localparam int unsigned IfmLines = rsnpu_pkg::GlbIfmapLines;
  localparam int unsigned BiasRegs = rsnpu_pkg::PsumSpadWords + 1;
  localparam int unsigned BiasIdxW = $clog2(BiasRegs);
  localparam logic [1:0] InNone = 2'd0;
  localparam logic [1:0] InBias = 2'd1;
  localparam logic [1:0] InBuffer = 2'd2;
  localparam int unsigned DvW = 48;    // derived values; larger products saturate (all ones)
  localparam int unsigned MulBW = 16;  // multiplier operand: the widest descriptor field
  localparam logic [DvW-1:0] Mask4 = {{(DvW-2){1'b1}}, 2'b00};  // round down to a multiple of 4
  localparam logic [DvW-1:0] Mask2 = {{(DvW-1){1'b1}}, 1'b0};   // round down to a multiple of 2

  // -------------------------------------------------------------------------------------
  // Descriptor fields (zero-extended to DvW bits)
  // -------------------------------------------------------------------------------------
  logic [DvW-1:0] cg, h, w, mg, r, s, nb, u, pad, groups, e, f, ho, wo;
  logic [DvW-1:0] p, q, sets, cols, folds, strip_rows, n_mt, n_ct, n_strips, pk, ps, ctot_f;
  logic [DvW-1:0] a_ifm, a_wgt, a_bias, a_ofm, a_res, rd_lo, rd_hi, wr_lo, wr_hi;
  logic [DvW-1:0] bias_words;
  logic [MulBW-1:0] wp_in, wp_out;  // words per DRAM row (W, Wo rounded up to 4)
  logic [rsnpu_pkg::RqShiftW-1:0] shift;
  logic [4:0] res_shift;
  logic int8, bias_en, relu, res_en, pool_en;

  // The CSRs one word each: a field is read from its 32-bit register, so the simulator does
  // not copy all CsrNumRegs words into every call of fld.
  logic [31:0] csr_w [rsnpu_pkg::CsrNumRegs];
  for (genvar i = 0; i < rsnpu_pkg::CsrNumRegs; i++) begin : gen_csr_w
    assign csr_w[i] = reg_i[i*32 +: 32];
  end

  function automatic logic [DvW-1:0] fld(input logic [31:0] regv, input int unsigned lsb,
                                         input int unsigned width);
    logic [31:0] v;
    v = regv >> lsb;
    fld = DvW'(v) & ((DvW'(1) << width) - DvW'(1));
  endfunction

  always_comb begin
    cg = fld(csr_w[rsnpu_pkg::CsrIdxChannels], rsnpu_pkg::CsrChannelsCLsb,
        rsnpu_pkg::CsrChannelsCW);
    h = fld(csr_w[rsnpu_pkg::CsrIdxInShape], rsnpu_pkg::CsrInShapeHLsb, rsnpu_pkg::CsrInShapeHW);
    w = fld(csr_w[rsnpu_pkg::CsrIdxInShape], rsnpu_pkg::CsrInShapeWLsb, rsnpu_pkg::CsrInShapeWW);
    mg = fld(csr_w[rsnpu_pkg::CsrIdxChannels], rsnpu_pkg::CsrChannelsMLsb,
        rsnpu_pkg::CsrChannelsMW);
    ctot_f = fld(csr_w[rsnpu_pkg::CsrIdxOutChannels], rsnpu_pkg::CsrOutChannelsTotalLsb,
        rsnpu_pkg::CsrOutChannelsTotalW);
    r = fld(csr_w[rsnpu_pkg::CsrIdxFltShape], rsnpu_pkg::CsrFltShapeRLsb, rsnpu_pkg::CsrFltShapeRW);
    s = fld(csr_w[rsnpu_pkg::CsrIdxFltShape], rsnpu_pkg::CsrFltShapeSLsb, rsnpu_pkg::CsrFltShapeSW);
    nb = fld(csr_w[rsnpu_pkg::CsrIdxFltShape], rsnpu_pkg::CsrFltShapeBatchLsb,
        rsnpu_pkg::CsrFltShapeBatchW);
    u = fld(csr_w[rsnpu_pkg::CsrIdxConv], rsnpu_pkg::CsrConvStrideLsb, rsnpu_pkg::CsrConvStrideW);
    pad = fld(csr_w[rsnpu_pkg::CsrIdxConv], rsnpu_pkg::CsrConvPadLsb, rsnpu_pkg::CsrConvPadW);
    groups = fld(csr_w[rsnpu_pkg::CsrIdxConv], rsnpu_pkg::CsrConvGroupsLsb,
        rsnpu_pkg::CsrConvGroupsW);
    int8 = reg_i[rsnpu_pkg::CsrIdxConv*32 + rsnpu_pkg::CsrConvInt8Lsb];
    bias_en = reg_i[rsnpu_pkg::CsrIdxConv*32 + rsnpu_pkg::CsrConvBiasLsb];
    res_en = reg_i[rsnpu_pkg::CsrIdxConv*32 + rsnpu_pkg::CsrConvResLsb];
    res_shift = reg_i[rsnpu_pkg::CsrIdxOutput*32 + rsnpu_pkg::CsrOutputResShiftLsb +: 5];
    shift = reg_i[rsnpu_pkg::CsrIdxOutput*32 + rsnpu_pkg::CsrOutputShiftLsb +: rsnpu_pkg::RqShiftW];
    relu = reg_i[rsnpu_pkg::CsrIdxOutput*32 + rsnpu_pkg::CsrOutputReluLsb];
    pk = fld(csr_w[rsnpu_pkg::CsrIdxOutput], rsnpu_pkg::CsrOutputPoolKLsb,
        rsnpu_pkg::CsrOutputPoolKW);
    ps = fld(csr_w[rsnpu_pkg::CsrIdxOutput], rsnpu_pkg::CsrOutputPoolSLsb,
        rsnpu_pkg::CsrOutputPoolSW);
    e = fld(csr_w[rsnpu_pkg::CsrIdxOutShape], rsnpu_pkg::CsrOutShapeELsb, rsnpu_pkg::CsrOutShapeEW);
    f = fld(csr_w[rsnpu_pkg::CsrIdxOutShape], rsnpu_pkg::CsrOutShapeFLsb, rsnpu_pkg::CsrOutShapeFW);
    ho = fld(csr_w[rsnpu_pkg::CsrIdxPoolShape], rsnpu_pkg::CsrPoolShapeHoLsb,
        rsnpu_pkg::CsrPoolShapeHoW);
    wo = fld(csr_w[rsnpu_pkg::CsrIdxPoolShape], rsnpu_pkg::CsrPoolShapeWoLsb,
        rsnpu_pkg::CsrPoolShapeWoW);
    a_ifm = fld(csr_w[rsnpu_pkg::CsrIdxIfmapAddr], 0, 32);
    a_wgt = fld(csr_w[rsnpu_pkg::CsrIdxWeightAddr], 0, 32);
    a_bias = fld(csr_w[rsnpu_pkg::CsrIdxBiasAddr], 0, 32);
    a_ofm = fld(csr_w[rsnpu_pkg::CsrIdxOfmapAddr], 0, 32);
    a_res = fld(csr_w[rsnpu_pkg::CsrIdxResAddr], 0, 32);
    rd_lo = fld(csr_w[rsnpu_pkg::CsrIdxRdWinLo], 0, 32);
    rd_hi = fld(csr_w[rsnpu_pkg::CsrIdxRdWinHi], 0, 32);
    wr_lo = fld(csr_w[rsnpu_pkg::CsrIdxWrWinLo], 0, 32);
    wr_hi = fld(csr_w[rsnpu_pkg::CsrIdxWrWinHi], 0, 32);
    p = fld(csr_w[rsnpu_pkg::CsrIdxMap0], rsnpu_pkg::CsrMap0PLsb, rsnpu_pkg::CsrMap0PW);
    q = fld(csr_w[rsnpu_pkg::CsrIdxMap0], rsnpu_pkg::CsrMap0QLsb, rsnpu_pkg::CsrMap0QW);
    sets = fld(csr_w[rsnpu_pkg::CsrIdxMap0], rsnpu_pkg::CsrMap0SetsLsb, rsnpu_pkg::CsrMap0SetsW);
    cols = fld(csr_w[rsnpu_pkg::CsrIdxMap0], rsnpu_pkg::CsrMap0ColsLsb, rsnpu_pkg::CsrMap0ColsW);
    folds = fld(csr_w[rsnpu_pkg::CsrIdxMap1], rsnpu_pkg::CsrMap1FoldsLsb, rsnpu_pkg::CsrMap1FoldsW);
    strip_rows = fld(csr_w[rsnpu_pkg::CsrIdxMap1], rsnpu_pkg::CsrMap1StripRowsLsb,
        rsnpu_pkg::CsrMap1StripRowsW);
    n_mt = fld(csr_w[rsnpu_pkg::CsrIdxMap2], rsnpu_pkg::CsrMap2NMtLsb, rsnpu_pkg::CsrMap2NMtW);
    n_ct = fld(csr_w[rsnpu_pkg::CsrIdxMap2], rsnpu_pkg::CsrMap2NCtLsb, rsnpu_pkg::CsrMap2NCtW);
    n_strips = fld(csr_w[rsnpu_pkg::CsrIdxMap3], rsnpu_pkg::CsrMap3NStripsLsb,
        rsnpu_pkg::CsrMap3NStripsW);
    // No pooling: a 1 x 1 window with stride 1.
    pool_en = (pk != '0);
    if (!pool_en) begin
      ps = DvW'(1);
      pk = DvW'(1);
    end
    // Words per DRAM row, and one filter tile's 32-bit biases: rounded up, no multiplier.
    // No unary operator right before a size cast: Yosys 0.23 reads ~N'(x) as (~N)'(x).
    wp_in = MulBW'((w + DvW'(3)) & Mask4);
    wp_out = MulBW'((wo + DvW'(3)) & Mask4);
    bias_words = (p + DvW'(1)) & Mask2;
  end

  // -------------------------------------------------------------------------------------
  // Derive program: one product (plus an addend) per step, in this order; dv_q[step] holds
  // the result. A step may use the results of the steps before it.
  // -------------------------------------------------------------------------------------
  typedef enum logic [5:0] {
    DvGm,          // G*Mg: channels the layer writes per image
    DvEuLo,        // (E-1)*U + R: input rows the output height needs
    DvFuLo,        // (F-1)*U + S: input columns the output width needs (ifmap row length)
    DvHoLo,        // (Ho-1)*ps + pk
    DvWoLo,        // (Wo-1)*ps + pk
    DvRowsUsed,    // sets*R
    DvQs,          // q*S
    DvPqs,         // p*q*S: filter spad words per PE
    DvHspan,       // (cols-1)*U + R
    DvTags,        // sets*hspan: ifmap tags
    DvEpass,       // folds*cols
    DvEsMax,       // (strip_rows-1)*ps + pk
    DvMtCov,       // (n_mt-1)*p
    DvCtile,       // sets*q
    DvCtCov,       // (n_ct-1)*ctile
    DvStCov,       // (n_strips-1)*strip_rows: output rows before the last strip
    DvInRows,      // (e_pass-1)*U + R: input rows one pass can read
    DvGlbI1,       // in_rows_max*ctile
    DvGlbI,        // ... *wp_in: ifmap buffer words of the worst pass
    DvGlbP1,       // es_max*F
    DvGlbP,        // ... *p: psum buffer entries
    DvPlaneIn,     // H*wp_in: words of one input channel
    DvCgPlane,     // ... *Cg: words of one group's input
    DvIn1,         // ... *G
    DvInWords,     // ... *N: input tensor words
    DvBlobRaw,     // rows_grp*pqs: one pass's filter words (rows_used rounded up to lanes)
    DvWg1,         // blob_words*n_ct
    DvWg2,         // ... *n_mt
    DvWgtWords,    // ... *G: weight words
    DvBias1,       // bias_words*n_mt
    DvBiasWords,   // ... *G: 32-bit biases
    DvPlaneOut,    // Ho*wp_out: words of one output channel
    DvOut1,        // (N-1)*ctot + G*Mg: output channels spanned
    DvOut2,        // ... *Ho
    DvOutWords,    // ... *wp_out: output window words
    DvRes1,        // G*Mg*N
    DvRes2,        // ... *Ho
    DvResWords,    // ... *wp_out: residual tensor words
    DvPPlane,      // p*plane_out: output step of a filter tile
    DvMgPlane,     // Mg*plane_out: output (and residual) step of a group
    DvExtra,       // (ctot - G*Mg)*plane_out: the concatenation gap between images
    DvCtPlane,     // ctile*plane_in: input step of a channel tile
    DvStripOut,    // strip_rows*wp_out: output words of a full strip
    DvStripE,      // strip_rows*ps: convolution rows of a strip step
    DvStripEu,     // ... *U: input rows of a strip step
    DvColsU,       // cols*U
    DvFp,          // F*p
    DvPadWp,       // P*wp_in
    DvInRowsPadWp, // (in_rows_max - P)*wp_in
    DvStripEuWp,   // strip step in input words (DvStripEu*wp_in)
    DvLastEs,      // (last_prow-1)*ps + pk, last_prow = Ho - DvStCov
    DvLastOut,     // last_prow*wp_out
    DvColsFp,      // cols*F*p: psum buffer step of a fold
    DvFoldWp,      // cols*U*wp_in: ifmap buffer step of a fold
    DvSkipWp,      // (U-R+1)*wp_in: ifmap buffer step over the rows a stride U > R skips
    DvLastCtPlane, // (Cg - DvCtCov)*plane_in: input words of the last channel tile's planes
    DvNum
  } dv_e;
  localparam int unsigned NumDv = 32'(DvNum);

  logic [DvW-1:0] dv_d [NumDv];
  logic [DvW-1:0] dv_q [NumDv];
  logic [5:0] step_d, step_q;
  logic [DvW-1:0] mul_a, mul_c, mul_prod, ctot, blob_words;
  logic [MulBW-1:0] rows_grp;
  logic [MulBW-1:0] mul_b;
  logic [DvW:0] mul_sum;
  logic mul_start, mul_busy, mul_done;

  assign ctot = (ctot_f == '0) ? dv_q[DvGm] : ctot_f;  // 0: no concatenation
  assign blob_words = (dv_q[DvBlobRaw] + DvW'(3)) & Mask4;
  // PE rows rounded up to whole filter network row groups (rsnpu_flt_feeder).
  assign rows_grp =
      MulBW'(((dv_q[DvRowsUsed] + DvW'(Lanes) - DvW'(1)) / DvW'(Lanes)) * DvW'(Lanes));

  // Operands of the current step: mul_a * mul_b + mul_c.
  always_comb begin
    mul_a = '0;
    mul_b = '0;
    mul_c = '0;
    unique case (step_q)
      DvGm:          begin mul_a = mg; mul_b = MulBW'(groups); end
      DvEuLo:        begin mul_a = e - DvW'(1); mul_b = MulBW'(u); mul_c = r; end
      DvFuLo:        begin mul_a = f - DvW'(1); mul_b = MulBW'(u); mul_c = s; end
      DvHoLo:        begin mul_a = ho - DvW'(1); mul_b = MulBW'(ps); mul_c = pk; end
      DvWoLo:        begin mul_a = wo - DvW'(1); mul_b = MulBW'(ps); mul_c = pk; end
      DvRowsUsed:    begin mul_a = r; mul_b = MulBW'(sets); end
      DvQs:          begin mul_a = q; mul_b = MulBW'(s); end
      DvPqs:         begin mul_a = dv_q[DvQs]; mul_b = MulBW'(p); end
      DvHspan:       begin mul_a = cols - DvW'(1); mul_b = MulBW'(u); mul_c = r; end
      DvTags:        begin mul_a = dv_q[DvHspan]; mul_b = MulBW'(sets); end
      DvEpass:       begin mul_a = folds; mul_b = MulBW'(cols); end
      DvEsMax:       begin mul_a = strip_rows - DvW'(1); mul_b = MulBW'(ps); mul_c = pk; end
      DvMtCov:       begin mul_a = n_mt - DvW'(1); mul_b = MulBW'(p); end
      DvCtile:       begin mul_a = q; mul_b = MulBW'(sets); end
      DvCtCov:       begin mul_a = n_ct - DvW'(1); mul_b = MulBW'(dv_q[DvCtile]); end
      DvStCov:       begin mul_a = n_strips - DvW'(1); mul_b = MulBW'(strip_rows); end
      DvInRows:      begin mul_a = dv_q[DvEpass] - DvW'(1); mul_b = MulBW'(u); mul_c = r; end
      DvGlbI1:       begin mul_a = dv_q[DvInRows]; mul_b = MulBW'(dv_q[DvCtile]); end
      DvGlbI:        begin mul_a = dv_q[DvGlbI1]; mul_b = wp_in; end
      DvGlbP1:       begin mul_a = dv_q[DvEsMax]; mul_b = MulBW'(f); end
      DvGlbP:        begin mul_a = dv_q[DvGlbP1]; mul_b = MulBW'(p); end
      DvPlaneIn:     begin mul_a = h; mul_b = wp_in; end
      DvCgPlane:     begin mul_a = dv_q[DvPlaneIn]; mul_b = MulBW'(cg); end
      DvIn1:         begin mul_a = dv_q[DvCgPlane]; mul_b = MulBW'(groups); end
      DvInWords:     begin mul_a = dv_q[DvIn1]; mul_b = MulBW'(nb); end
      DvBlobRaw:     begin mul_a = dv_q[DvPqs]; mul_b = rows_grp; end
      DvWg1:         begin mul_a = blob_words; mul_b = MulBW'(n_ct); end
      DvWg2:         begin mul_a = dv_q[DvWg1]; mul_b = MulBW'(n_mt); end
      DvWgtWords:    begin mul_a = dv_q[DvWg2]; mul_b = MulBW'(groups); end
      DvBias1:       begin mul_a = bias_words; mul_b = MulBW'(n_mt); end
      DvBiasWords:   begin mul_a = dv_q[DvBias1]; mul_b = MulBW'(groups); end
      DvPlaneOut:    begin mul_a = DvW'(wp_out); mul_b = MulBW'(ho); end
      DvOut1:        begin mul_a = ctot; mul_b = MulBW'(nb - DvW'(1)); mul_c = dv_q[DvGm]; end
      DvOut2:        begin mul_a = dv_q[DvOut1]; mul_b = MulBW'(ho); end
      DvOutWords:    begin mul_a = dv_q[DvOut2]; mul_b = wp_out; end
      DvRes1:        begin mul_a = dv_q[DvGm]; mul_b = MulBW'(nb); end
      DvRes2:        begin mul_a = dv_q[DvRes1]; mul_b = MulBW'(ho); end
      DvResWords:    begin mul_a = dv_q[DvRes2]; mul_b = wp_out; end
      DvPPlane:      begin mul_a = dv_q[DvPlaneOut]; mul_b = MulBW'(p); end
      DvMgPlane:     begin mul_a = dv_q[DvPlaneOut]; mul_b = MulBW'(mg); end
      DvExtra:       begin mul_a = dv_q[DvPlaneOut]; mul_b = MulBW'(ctot - dv_q[DvGm]); end
      DvCtPlane:     begin mul_a = dv_q[DvPlaneIn]; mul_b = MulBW'(dv_q[DvCtile]); end
      DvStripOut:    begin mul_a = strip_rows; mul_b = wp_out; end
      DvStripE:      begin mul_a = strip_rows; mul_b = MulBW'(ps); end
      DvStripEu:     begin mul_a = dv_q[DvStripE]; mul_b = MulBW'(u); end
      DvColsU:       begin mul_a = cols; mul_b = MulBW'(u); end
      DvFp:          begin mul_a = f; mul_b = MulBW'(p); end
      DvPadWp:       begin mul_a = pad; mul_b = wp_in; end
      DvInRowsPadWp: begin mul_a = dv_q[DvInRows] - pad; mul_b = wp_in; end
      DvStripEuWp:   begin mul_a = dv_q[DvStripEu]; mul_b = wp_in; end
      DvLastEs:      begin mul_a = ho - dv_q[DvStCov] - DvW'(1); mul_b = MulBW'(ps); mul_c = pk; end
      DvLastOut:     begin mul_a = ho - dv_q[DvStCov]; mul_b = wp_out; end
      DvColsFp:      begin mul_a = dv_q[DvFp]; mul_b = MulBW'(cols); end
      DvFoldWp:      begin mul_a = dv_q[DvColsU]; mul_b = wp_in; end
      DvSkipWp:      begin mul_a = u - r + DvW'(1); mul_b = wp_in; end
      DvLastCtPlane: begin mul_a = dv_q[DvPlaneIn]; mul_b = MulBW'(cg - dv_q[DvCtCov]); end
      default: ;
    endcase
    // Result: saturating add of the addend.
    mul_sum = {1'b0, mul_prod} + {1'b0, mul_c};
  end

  rsnpu_seq_mul #(
    .ProdW(DvW),
    .BW   (MulBW)
  ) u_mul (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .start_i(mul_start),
    .a_i    (mul_a),
    .b_i    (mul_b),
    .busy_o (mul_busy),
    .done_o (mul_done),
    .prod_o (mul_prod)
  );

  // -------------------------------------------------------------------------------------
  // Descriptor checks (docs/accelerator.md, in order), on the derived registers
  // -------------------------------------------------------------------------------------
  rsnpu_pkg::ctrl_err_e check;
  logic [DvW-1:0] h_pad, w_pad;  // input size with padding

  // base 8-byte aligned and [base, base + bytes) inside [lo, hi); bytes = words << sh.
  function automatic logic range_ok(input logic [DvW-1:0] base, input logic [DvW-1:0] words,
                                    input int unsigned sh, input logic [DvW-1:0] lo,
                                    input logic [DvW-1:0] hi);
    logic [DvW+2:0] end_b;
    end_b = (DvW+3)'(base) + ((DvW+3)'(words) << sh);
    range_ok = (base[2:0] == 3'd0) && (base >= lo) && (end_b <= (DvW+3)'(hi));
  endfunction

  // lo <= x < lo + step (all DvW bits; lo + step computed one bit wider).
  function automatic logic in_window(input logic [DvW-1:0] lo, input logic [DvW-1:0] step,
                                     input logic [DvW-1:0] x);
    in_window = (lo <= x) && ((DvW+1)'(x) < (DvW+1)'(lo) + (DvW+1)'(step));
  endfunction

  always_comb begin
    h_pad = h + (pad << 1);
    w_pad = w + (pad << 1);
    check = rsnpu_pkg::CtrlErrNone;
    if (cg == 0 || h == 0 || w == 0 || mg == 0 || r == 0 || s == 0 || nb == 0 || u == 0 ||
        groups == 0 || e == 0 || f == 0 || ho == 0 || wo == 0 || p == 0 || q == 0 ||
        sets == 0 || cols == 0 || folds == 0 || strip_rows == 0 || n_mt == 0 || n_ct == 0 ||
        n_strips == 0 || ps == 0) begin
      check = rsnpu_pkg::CtrlErrZeroField;
    end else if (!in_window(dv_q[DvEuLo], u, h_pad) ||
                 !in_window(dv_q[DvFuLo], u, w_pad) ||
                 !in_window(dv_q[DvHoLo], ps, e) || !in_window(dv_q[DvWoLo], ps, f) ||
                 pad >= r || pad >= s || ctot < dv_q[DvGm] || (res_en && pool_en)) begin
      check = rsnpu_pkg::CtrlErrShape;
    end else if (dv_q[DvRowsUsed] > DvW'(Rows) || cols > DvW'(Cols) ||
                 p > DvW'(rsnpu_pkg::PsumSpadWords) ||
                 dv_q[DvQs] > DvW'(rsnpu_pkg::IfmapSpadWords) ||
                 dv_q[DvPqs] > DvW'(rsnpu_pkg::FilterSpadWords) ||
                 dv_q[DvTags] > DvW'(1 << rsnpu_pkg::NocTagW)) begin
      check = rsnpu_pkg::CtrlErrArray;
    end else if (dv_q[DvEpass] < dv_q[DvEsMax] || !in_window(dv_q[DvMtCov] + DvW'(1), p, mg) ||
                 !in_window(dv_q[DvCtCov] + DvW'(1), dv_q[DvCtile], cg) ||
                 !in_window(dv_q[DvStCov] + DvW'(1), strip_rows, ho)) begin
      check = rsnpu_pkg::CtrlErrTiling;
    end else if (dv_q[DvGlbI] > DvW'(rsnpu_pkg::GlbIfmapWords) ||
                 dv_q[DvGlbP] > DvW'(rsnpu_pkg::GlbPsumWords)) begin
      check = rsnpu_pkg::CtrlErrGlb;
    end else if (!range_ok(a_ifm, dv_q[DvInWords], 1, rd_lo, rd_hi) ||
                 !range_ok(a_wgt, dv_q[DvWgtWords], 1, rd_lo, rd_hi) ||
                 (bias_en && !range_ok(a_bias, dv_q[DvBiasWords], 2, rd_lo, rd_hi)) ||
                 !range_ok(a_ofm, dv_q[DvOutWords], 1, wr_lo, wr_hi) ||
                 (res_en && !range_ok(a_res, dv_q[DvResWords], 1, rd_lo, rd_hi))) begin
      check = rsnpu_pkg::CtrlErrWindow;
    end
  end

  // -------------------------------------------------------------------------------------
  // Loop nest state
  // -------------------------------------------------------------------------------------
  typedef enum logic [4:0] {
    StIdle, StCheck, StSettle, StVerdict, StTile, StBiasCmd, StBiasWait, StStrip, StSetup, StWgtCmd,
    StWgtWait, StIfmCmd, StIfmWait, StRoute, StStart, StRun, StWbStart, StChanCmd, StChanWait,
    StNext, StDone, StResDrain, StRouteWait
  } state_e;

  state_e state_d, state_q;
  rsnpu_pkg::ctrl_err_e err_d, err_q;
  logic done_d, done_q;
  logic [7:0] n_d, n_q;
  logic [11:0] g_d, g_q, mt_d, mt_q, st_d, st_q, ct_d, ct_q, po0_d, po0_q;
  logic [15:0] m0_d, m0_q, c0_d, c0_q;
  // DRAM byte addresses, advanced by adds only: the input of image n, group g
  // (a_ifm + (n*G + g)*Cg*plane_in*2), its output (a_ofm + (n*ctot + g*Mg)*plane_out*2) and
  // residual (a_res + (n*G + g)*Mg*plane_out*2); offsets of the channel tile (c0*plane_in*2),
  // the filter tile (m0*plane_out*2) and the strip (po0*wp_out*2).
  logic [31:0] in_base_d, in_base_q, out_base_d, out_base_q, res_base_d, res_base_q;
  logic [31:0] c0_off_d, c0_off_q, m0_off_d, m0_off_q, po0_off_d, po0_off_q;
  // The strip's first input row before padding (po0*ps*U), and the same in input words.
  logic [31:0] e0u_d, e0u_q, e0u_wp_d, e0u_wp_q;
  logic [31:0] wblob_d, wblob_q, mt_wbase_d, mt_wbase_q, bias_addr_d, bias_addr_q;
  logic [11:0] idx_d, idx_q;         // channel (ifmap loads) or filter (write back)
  logic [31:0] cmd_addr_d, cmd_addr_q;
  logic [15:0] line_d, line_q;       // buffer line the next DMA beat goes to
  logic [1:0] dst_d, dst_q;          // 0 filters, 1 ifmaps, 2 biases, 3 residual rows
  logic chan_wr_d, chan_wr_q;        // per-filter DMA loop: 1 write back, 0 residual rows
  // The PE routing of this layer is written (routed_q) with the bottom PEs' accumulate flag
  // routed_acc_q. Every pass of a layer routes the same way except for that flag, so a pass
  // rewrites the routing only when the flag changes.
  logic routed_d, routed_q, routed_acc_d, routed_acc_q, pass_acc;
  logic [rsnpu_pkg::PeRowIdxW:0] settle_d, settle_q;  // cycles since the last routing write
  logic arr_done_d, arr_done_q, arr_err_d, arr_err_q;
  // Filter prefetch: none, the next pass's blob loading (command accepted), or loaded.
  typedef enum logic [1:0] {PfNone, PfBusy, PfDone} pf_e;
  pf_e pf_d, pf_q;
  logic pf_err_d, pf_err_q;          // the prefetch's DMA reported an error
  logic [31:0] pf_addr_d, pf_addr_q; // the blob the prefetch loads
  logic pf_issue;                    // StRun: the prefetch command is offered
  logic pf_next;                     // StRun: a next pass exists
  logic [31:0] pf_wblob;             // StRun: the next pass's blob (StNext's wblob, by case)
  logic [rsnpu_pkg::PeRowIdxW-1:0] rrow_d, rrow_q;
  logic [rsnpu_pkg::PeColIdxW-1:0] rcol_d, rcol_q;
  logic [4:0] rr_d, rr_q;            // filter row of the routed PE
  logic [rsnpu_pkg::NocTagW-1:0] rk_tag_d, rk_tag_q, rcol_u_d, rcol_u_q;
  logic [rsnpu_pkg::AccW-1:0] bias_d [rsnpu_pkg::PsumSpadWords + 1];
  logic [rsnpu_pkg::AccW-1:0] bias_q [rsnpu_pkg::PsumSpadWords + 1];

  // Strip values (registered in StStrip) and pass values (registered in StSetup)
  logic [11:0] prow_d, prow_q, es_d, es_q, hlo_d, hlo_q, hhi_d, hhi_q, cn_d, cn_q;
  logic [31:0] hlo_wp_d, hlo_wp_q, hhi_wp_d, hhi_wp_q, ofm_words_d, ofm_words_q;
  logic [31:0] hb_off_d, hb_off_q;  // (hbase - hlo)*wp_in: 0, or negative in the top padding
  logic [7:0] mn_d, mn_q;
  logic signed [15:0] hbase_d, hbase_q;
  logic [31:0] ifm_addr_d, ifm_addr_q, ofm_addr_d, ofm_addr_q;
  logic [19:0] ifm_beats_d, ifm_beats_q, ofm_beats_d, ofm_beats_q;
  logic [23:0] ch_stride_d, ch_stride_q;
  // The strip's rows are whole channel planes: the pass's channels lie back to back in DRAM
  // as in the ifmap buffer, and one DMA command loads all of them.
  logic ifm_one_d, ifm_one_q;

  logic last_ct, last_st, last_mt, last_g, last_n;
  // The same flags registered, for StRun and StNext only: both come at least two cycles after
  // the last change of a loop counter (asserted below), and the flags' compares stay off the
  // paths into the wide address registers StNext updates.
  logic last_ct_q, last_st_q, last_mt_q, last_g_q, last_n_q;
  // The descriptor check registered in StSettle, so StVerdict's wide register updates do not
  // wait for the check's compare chain.
  rsnpu_pkg::ctrl_err_e check_q;
  logic [31:0] hhi_raw, ch_words;

  assign last_ct = (DvW'(ct_q) + 1 == n_ct);
  assign last_st = (DvW'(st_q) + 1 == n_strips);
  assign last_mt = (DvW'(mt_q) + 1 == n_mt);
  assign last_g = (DvW'(g_q) + 1 == groups);
  assign last_n = (DvW'(n_q) + 1 == nb);
  // The strip's input rows [hlo, hhi): hhi before clipping to the image.
  assign hhi_raw = e0u_q + 32'(dv_q[DvInRows]) - 32'(pad);
  assign ch_words = hhi_wp_q - hlo_wp_q;  // words of one channel's rows in the ifmap buffer
  assign mul_start = (state_q == StCheck) && !mul_busy;

  always_comb begin
    state_d = state_q;
    err_d = err_q;
    done_d = 1'b0;
    step_d = step_q;
    for (int i = 0; i < NumDv; i++) begin
      dv_d[i] = dv_q[i];
    end
    n_d = n_q; g_d = g_q; mt_d = mt_q; st_d = st_q; ct_d = ct_q;
    m0_d = m0_q; po0_d = po0_q; c0_d = c0_q;
    in_base_d = in_base_q; out_base_d = out_base_q; res_base_d = res_base_q;
    c0_off_d = c0_off_q; m0_off_d = m0_off_q; po0_off_d = po0_off_q;
    e0u_d = e0u_q; e0u_wp_d = e0u_wp_q;
    wblob_d = wblob_q; mt_wbase_d = mt_wbase_q; bias_addr_d = bias_addr_q;
    idx_d = idx_q; cmd_addr_d = cmd_addr_q; line_d = line_q; dst_d = dst_q;
    chan_wr_d = chan_wr_q;
    routed_d = routed_q;
    settle_d = settle_q;
    routed_acc_d = routed_acc_q;
    arr_done_d = arr_done_q || arr_done_i;
    arr_err_d = arr_err_q || (arr_done_i && arr_err_i);
    pf_d = pf_q;
    pf_err_d = pf_err_q;
    pf_addr_d = pf_addr_q;
    rrow_d = rrow_q; rcol_d = rcol_q; rr_d = rr_q; rk_tag_d = rk_tag_q; rcol_u_d = rcol_u_q;
    for (int i = 0; i <= rsnpu_pkg::PsumSpadWords; i++) begin
      bias_d[i] = bias_q[i];
    end
    prow_d = prow_q; es_d = es_q; hlo_d = hlo_q; hhi_d = hhi_q; cn_d = cn_q; mn_d = mn_q;
    hlo_wp_d = hlo_wp_q; hhi_wp_d = hhi_wp_q; ofm_words_d = ofm_words_q; hb_off_d = hb_off_q;
    hbase_d = hbase_q; ifm_addr_d = ifm_addr_q; ofm_addr_d = ofm_addr_q;
    ifm_beats_d = ifm_beats_q; ofm_beats_d = ofm_beats_q; ch_stride_d = ch_stride_q;
    ifm_one_d = ifm_one_q;

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
          step_d = '0;
          state_d = StCheck;
        end
      end
      // The derive program, one multiplier step after the other.
      StCheck: begin
        if (mul_done) begin
          dv_d[step_q] = mul_sum[DvW] ? {DvW{1'b1}} : mul_sum[DvW-1:0];
          step_d = step_q + 6'd1;
          if (32'(step_q) == NumDv - 1) begin
            state_d = StSettle;
          end
        end
      end
      // dv_q is final: check_q registers the verdict.
      StSettle: begin
        state_d = StVerdict;
      end
      StVerdict: begin
        if (check_q != rsnpu_pkg::CtrlErrNone) begin
          err_d = check_q;
          state_d = StDone;
        end else begin
          n_d = '0; g_d = '0; mt_d = '0; st_d = '0; ct_d = '0;
          m0_d = '0; po0_d = '0; c0_d = '0;
          in_base_d = 32'(a_ifm); out_base_d = 32'(a_ofm); res_base_d = 32'(a_res);
          c0_off_d = '0; m0_off_d = '0; po0_off_d = '0; e0u_d = '0; e0u_wp_d = '0;
          mt_wbase_d = 32'(a_wgt);
          bias_addr_d = 32'(a_bias);
          routed_d = 1'b0;
          pf_d = PfNone;
          pf_err_d = 1'b0;
          state_d = StTile;
        end
      end
      // Start of a filter tile: its biases, then the first pass of its first strip.
      StTile: begin
        wblob_d = mt_wbase_q;
        state_d = bias_en ? StBiasCmd : StStrip;
      end
      StBiasCmd: begin
        dma_cmd_valid_o = 1'b1;
        dma_cmd_addr_o = bias_addr_q;
        dma_cmd_beats_o = rsnpu_pkg::DmaBeatsW'(bias_words >> 1);
        line_d = '0;
        dst_d = 2'd2;
        if (dma_cmd_ready_i) begin
          state_d = StBiasWait;
        end
      end
      StBiasWait: begin
        if (dma_done_i) begin
          state_d = dma_err_i ? StDone : StStrip;
          if (dma_err_i) err_d = rsnpu_pkg::CtrlErrDma;
        end
      end
      // A pass: the strip's rows (first channel tile of a strip only; later tiles keep them).
      StStrip: begin
        if (ct_q == '0) begin
          prow_d = last_st ? 12'(ho - dv_q[DvStCov]) : 12'(strip_rows);
          es_d = last_st ? 12'(dv_q[DvLastEs]) : 12'(dv_q[DvEsMax]);
          ofm_words_d = last_st ? 32'(dv_q[DvLastOut]) : 32'(dv_q[DvStripOut]);
          hbase_d = 16'(e0u_q) - 16'(pad);
          if (e0u_q < 32'(pad)) begin
            hlo_d = '0;
            hlo_wp_d = '0;
            hb_off_d = e0u_wp_q - 32'(dv_q[DvPadWp]);
          end else begin
            hlo_d = 12'(e0u_q - 32'(pad));
            hlo_wp_d = e0u_wp_q - 32'(dv_q[DvPadWp]);
            hb_off_d = '0;
          end
          if (hhi_raw > 32'(h)) begin
            hhi_d = 12'(h);
            hhi_wp_d = 32'(dv_q[DvPlaneIn]);
          end else begin
            hhi_d = 12'(hhi_raw);
            hhi_wp_d = e0u_wp_q + 32'(dv_q[DvInRowsPadWp]);
          end
        end
        state_d = StSetup;
      end
      StSetup: begin
        cn_d = 12'((dv_q[DvCtile] < cg - DvW'(c0_q)) ? dv_q[DvCtile] : cg - DvW'(c0_q));
        mn_d = 8'((p < mg - DvW'(m0_q)) ? p : mg - DvW'(m0_q));
        ch_stride_d = 24'(ch_words);
        ifm_one_d = (hlo_q == '0) && (32'(hhi_q) == 32'(h));
        if (ifm_one_d) begin
          ifm_beats_d = 20'((last_ct_q ? dv_q[DvLastCtPlane] : dv_q[DvCtPlane]) >> 2);
        end else begin
          ifm_beats_d = 20'(ch_words >> 2);
        end
        ifm_addr_d = in_base_q + c0_off_q + (hlo_wp_q << 1);
        ofm_beats_d = 20'(ofm_words_q >> 2);
        ofm_addr_d = out_base_q + m0_off_q + po0_off_q;
        idx_d = '0;
        cmd_addr_d = res_base_q + m0_off_q + po0_off_q;
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
        if (pf_q == PfDone) begin
          // Prefetched during the previous pass.
          pf_d = PfNone;
          idx_d = '0;
          cmd_addr_d = ifm_addr_q;
          line_d = '0;
          state_d = StIfmCmd;
        end else begin
          dma_cmd_valid_o = 1'b1;
          dma_cmd_addr_o = wblob_q;
          dma_cmd_beats_o = rsnpu_pkg::DmaBeatsW'(blob_words >> 2);
          line_d = '0;
          dst_d = 2'd0;
          if (dma_cmd_ready_i) begin
            state_d = StWgtWait;
          end
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
          cmd_addr_d = cmd_addr_q + 32'(dv_q[DvPlaneIn] << 1);
          if (dma_err_i) begin
            err_d = rsnpu_pkg::CtrlErrDma;
            state_d = StDone;
          end else if (ifm_one_q || idx_q + 12'd1 == cn_q) begin
            rrow_d = '0; rcol_d = '0; rr_d = '0; rk_tag_d = '0; rcol_u_d = '0;
            state_d = (routed_q && routed_acc_q == pass_acc) ? StStart : StRoute;
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
          if (DvW'(rr_q) + 1 == r) begin
            rr_d = '0;
            rk_tag_d = rk_tag_q + rsnpu_pkg::NocTagW'(dv_q[DvHspan]);
          end else begin
            rr_d = rr_q + 5'd1;
          end
          if (32'(rrow_q) + 1 == Rows) begin
            state_d = StRouteWait;
            settle_d = '0;
            routed_d = 1'b1;
            routed_acc_d = pass_acc;
          end
        end else begin
          rcol_d = rcol_q + rsnpu_pkg::PeColIdxW'(1);
          rcol_u_d = rcol_u_q + rsnpu_pkg::NocTagW'(u);
        end
      end
      // Routing writes reach row r r + 1 cycles late: the psum unit, which drives the bottom
      // row's psum inputs at once, starts only when every row holds its new routing.
      StRouteWait: begin
        settle_d = settle_q + 1'b1;
        if (32'(settle_q) + 1 == Rows) begin
          state_d = StStart;
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
        if (pf_issue) begin
          dma_cmd_valid_o = 1'b1;
          dma_cmd_addr_o = pf_wblob;
          dma_cmd_beats_o = rsnpu_pkg::DmaBeatsW'(blob_words >> 2);
          line_d = '0;
          dst_d = 2'd0;
          if (dma_cmd_ready_i) begin
            pf_d = PfBusy;
            pf_addr_d = pf_wblob;
          end
        end
        if (pf_q == PfBusy && dma_done_i) begin
          pf_d = PfDone;
          pf_err_d = dma_err_i;
        end
        if (arr_done_q && !ff_busy_i && !if_busy_i && !pu_busy_i && !pf_issue &&
            pf_q != PfBusy) begin
          if (arr_err_q) begin
            err_d = rsnpu_pkg::CtrlErrPe;
            state_d = StDone;
          end else if (pf_err_q) begin
            err_d = rsnpu_pkg::CtrlErrDma;
            state_d = StDone;
          end else begin
            state_d = last_ct_q ? StWbStart : StNext;
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
          cmd_addr_d = cmd_addr_q + 32'(dv_q[DvPlaneOut] << 1);
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
        state_d = StStrip;
        wblob_d = wblob_q + 32'(blob_words << 1);
        if (!last_ct_q) begin
          ct_d = ct_q + 12'd1;
          c0_d = c0_q + 16'(dv_q[DvCtile]);
          c0_off_d = c0_off_q + 32'(dv_q[DvCtPlane] << 1);
        end else begin
          ct_d = '0;
          c0_d = '0;
          c0_off_d = '0;
          if (!last_st_q) begin
            st_d = st_q + 12'd1;
            po0_d = po0_q + 12'(strip_rows);
            po0_off_d = po0_off_q + 32'(dv_q[DvStripOut] << 1);
            e0u_d = e0u_q + 32'(dv_q[DvStripEu]);
            e0u_wp_d = e0u_wp_q + 32'(dv_q[DvStripEuWp]);
            wblob_d = mt_wbase_q;  // the next strip reuses the filter tile's blobs
          end else begin
            st_d = '0;
            po0_d = '0;
            po0_off_d = '0;
            e0u_d = '0;
            e0u_wp_d = '0;
            mt_wbase_d = wblob_q + 32'(blob_words << 1);
            bias_addr_d = bias_addr_q + 32'(bias_words << 2);
            state_d = StTile;
            if (!last_mt_q) begin
              mt_d = mt_q + 12'd1;
              m0_d = m0_q + 16'(p);
              m0_off_d = m0_off_q + 32'(dv_q[DvPPlane] << 1);
            end else begin
              mt_d = '0;
              m0_d = '0;
              m0_off_d = '0;
              in_base_d = in_base_q + 32'(dv_q[DvCgPlane] << 1);
              res_base_d = res_base_q + 32'(dv_q[DvMgPlane] << 1);
              out_base_d = out_base_q + 32'(dv_q[DvMgPlane] << 1);
              if (!last_g_q) begin
                g_d = g_q + 12'd1;
              end else begin
                g_d = '0;
                // The next image's output starts ctot channels after this image's.
                out_base_d = out_base_q + 32'(dv_q[DvMgPlane] << 1) + 32'(dv_q[DvExtra] << 1);
                // The next image reads the same weights and biases.
                mt_wbase_d = 32'(a_wgt);
                bias_addr_d = 32'(a_bias);
                if (!last_n_q) begin
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

  assign pass_acc = (ct_q != '0) || bias_en || res_en;

  // The next pass's filter blob, as StNext and StTile will set wblob: the next channel tile,
  // filter tile or group reads the blob after this one; the next strip rereads the tile's
  // first blob; the next image starts again at the layer's first.
  always_comb begin
    pf_next = !(last_ct_q && last_st_q && last_mt_q && last_g_q && last_n_q);
    if (!last_ct_q) begin
      pf_wblob = wblob_q + 32'(blob_words << 1);
    end else if (!last_st_q) begin
      pf_wblob = mt_wbase_q;
    end else if (!last_mt_q || !last_g_q) begin
      pf_wblob = wblob_q + 32'(blob_words << 1);
    end else begin
      pf_wblob = 32'(a_wgt);
    end
  end
  // After the filter feeder has read the last line of this pass's filters.
  assign pf_issue = (state_q == StRun) && (pf_q == PfNone) && pf_next && !ff_busy_i;

  // Routing of PE (rrow, rcol): filter row rr of channel set k (tag base rk_tag = k*hspan).
  always_comb begin
    route_row_o = rrow_q;
    route_col_o = rcol_q;
    route_en_o = (DvW'(rrow_q) < dv_q[DvRowsUsed]) && (DvW'(rcol_q) < cols);
    route_flt_id_o = rsnpu_pkg::NocTagW'(rrow_q);
    route_ifm_id_o = rk_tag_q + rcol_u_q + rsnpu_pkg::NocTagW'(rr_q);
    route_psum_port_o = (DvW'(rrow_q) + 1 == dv_q[DvRowsUsed]);
    route_acc_in_o = !route_psum_port_o || pass_acc;
  end

  // Pass program and unit parameters (stable from StSetup to the end of the pass).
  assign arr_s_o = rsnpu_pkg::PeSLenW'(s);
  assign arr_p_o = rsnpu_pkg::PePLenW'(p);
  assign arr_q_o = rsnpu_pkg::PeQLenW'(q);
  assign arr_stride_o = rsnpu_pkg::PeStrideW'(u);
  assign arr_e_o = rsnpu_pkg::PeELenW'(f);
  assign arr_rows_o = rsnpu_pkg::PeRowsW'(folds);
  assign arr_prec_o = int8 ? rsnpu_pkg::PrecInt8 : rsnpu_pkg::PrecInt16;
  assign ff_lines_o = 16'(dv_q[DvBlobRaw] >> 2);
  assign ff_per_row_o = 16'(dv_q[DvPqs]);
  assign ff_rows_o = 8'(dv_q[DvRowsUsed]);
  assign if_folds_o = 12'(folds);
  assign if_cols_x_u_o = 12'(dv_q[DvColsU]);
  assign if_row_w_o = 12'(dv_q[DvFuLo]);
  assign if_sets_o = 8'(sets);
  assign if_hspan_o = 12'(dv_q[DvHspan]);
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
  assign if_fold_step_o = 24'(dv_q[DvFoldWp]);
  assign if_skip_step_o = 24'(dv_q[DvSkipWp]);
  assign if_hb_off_o = 24'(hb_off_q);
  assign pu_in_mode_o = (ct_q != '0 || res_en) ? InBuffer : (bias_en ? InBias : InNone);
  assign res_mm_o = 8'(idx_q);
  assign res_shift_o = res_shift;
  assign res_bias_o = bias_en ? bias_q[BiasIdxW'(idx_q)] : '0;
  assign pu_p_o = 8'(p);
  assign pu_cols_o = 8'(cols);
  assign pu_folds_o = 12'(folds);
  assign pu_fp_o = 20'(dv_q[DvFp]);
  assign pu_row_step_o = 32'(dv_q[DvColsFp]);
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
      check_q <= rsnpu_pkg::CtrlErrNone;
      last_ct_q <= 1'b0; last_st_q <= 1'b0; last_mt_q <= 1'b0; last_g_q <= 1'b0;
      last_n_q <= 1'b0;
      done_q <= 1'b0;
      step_q <= '0;
      for (int i = 0; i < NumDv; i++) begin
        dv_q[i] <= '0;
      end
      n_q <= '0; g_q <= '0; mt_q <= '0; st_q <= '0; ct_q <= '0;
      m0_q <= '0; po0_q <= '0; c0_q <= '0;
      in_base_q <= '0; out_base_q <= '0; res_base_q <= '0;
      c0_off_q <= '0; m0_off_q <= '0; po0_off_q <= '0; e0u_q <= '0; e0u_wp_q <= '0;
      wblob_q <= '0; mt_wbase_q <= '0; bias_addr_q <= '0;
      idx_q <= '0; cmd_addr_q <= '0; line_q <= '0; dst_q <= '0; chan_wr_q <= 1'b0;
      routed_q <= 1'b0; routed_acc_q <= 1'b0; settle_q <= '0;
      arr_done_q <= 1'b0; arr_err_q <= 1'b0;
      pf_q <= PfNone; pf_err_q <= 1'b0; pf_addr_q <= '0;
      rrow_q <= '0; rcol_q <= '0; rr_q <= '0; rk_tag_q <= '0; rcol_u_q <= '0;
      for (int i = 0; i <= rsnpu_pkg::PsumSpadWords; i++) begin
        bias_q[i] <= '0;
      end
      prow_q <= '0; es_q <= '0; hlo_q <= '0; hhi_q <= '0; cn_q <= '0; mn_q <= '0;
      hlo_wp_q <= '0; hhi_wp_q <= '0; ofm_words_q <= '0; hb_off_q <= '0;
      hbase_q <= '0; ifm_addr_q <= '0; ofm_addr_q <= '0;
      ifm_beats_q <= '0; ofm_beats_q <= '0; ch_stride_q <= '0;
      ifm_one_q <= 1'b0;
    end else begin
      state_q <= state_d;
      err_q <= err_d;
      check_q <= check;
      last_ct_q <= last_ct; last_st_q <= last_st; last_mt_q <= last_mt; last_g_q <= last_g;
      last_n_q <= last_n;
      done_q <= done_d;
      step_q <= step_d;
      for (int i = 0; i < NumDv; i++) begin
        dv_q[i] <= dv_d[i];
      end
      n_q <= n_d; g_q <= g_d; mt_q <= mt_d; st_q <= st_d; ct_q <= ct_d;
      m0_q <= m0_d; po0_q <= po0_d; c0_q <= c0_d;
      in_base_q <= in_base_d; out_base_q <= out_base_d; res_base_q <= res_base_d;
      c0_off_q <= c0_off_d; m0_off_q <= m0_off_d; po0_off_q <= po0_off_d;
      e0u_q <= e0u_d; e0u_wp_q <= e0u_wp_d;
      wblob_q <= wblob_d; mt_wbase_q <= mt_wbase_d; bias_addr_q <= bias_addr_d;
      idx_q <= idx_d; cmd_addr_q <= cmd_addr_d; line_q <= line_d; dst_q <= dst_d;
      chan_wr_q <= chan_wr_d;
      routed_q <= routed_d; routed_acc_q <= routed_acc_d; settle_q <= settle_d;
      arr_done_q <= arr_done_d; arr_err_q <= arr_err_d;
      pf_q <= pf_d; pf_err_q <= pf_err_d; pf_addr_q <= pf_addr_d;
      rrow_q <= rrow_d; rcol_q <= rcol_d; rr_q <= rr_d; rk_tag_q <= rk_tag_d;
      rcol_u_q <= rcol_u_d;
      for (int i = 0; i <= rsnpu_pkg::PsumSpadWords; i++) begin
        bias_q[i] <= bias_d[i];
      end
      prow_q <= prow_d; es_q <= es_d; hlo_q <= hlo_d; hhi_q <= hhi_d; cn_q <= cn_d;
      mn_q <= mn_d;
      hlo_wp_q <= hlo_wp_d; hhi_wp_q <= hhi_wp_d; ofm_words_q <= ofm_words_d;
      hb_off_q <= hb_off_d;
      hbase_q <= hbase_d; ifm_addr_q <= ifm_addr_d; ofm_addr_q <= ofm_addr_d;
      ifm_beats_q <= ifm_beats_d; ofm_beats_q <= ofm_beats_d; ch_stride_q <= ch_stride_d;
      ifm_one_q <= ifm_one_d;
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
    // The registered loop flags equal the live ones wherever they are used.
    if (rst_ni && (state_q == StSetup || state_q == StRun || state_q == StNext)) begin
      assert (last_ct_q == last_ct && last_st_q == last_st && last_mt_q == last_mt &&
              last_g_q == last_g && last_n_q == last_n);
    end
    // A prefetched blob is the one the pass that uses it would have loaded, and the filter
    // buffer is written only while the feeder is idle.
    if (rst_ni && state_q == StWgtCmd && pf_q == PfDone) assert (pf_addr_q == wblob_q);
    if (rst_ni && flt_we_o) assert (!ff_busy_i);
    // A prefetch ends within its pass; no pass starts with one in flight.
    if (rst_ni && state_q != StRun) assert (pf_q != PfBusy);
    if (rst_ni && arr_start_o) assert (pf_q == PfNone);
    // The verdict is the check of the final derived values.
    if (rst_ni && state_q == StVerdict) assert (check_q == check);
    // The multiplier works only for the derive program.
    if (rst_ni && mul_busy) assert (state_q == StCheck);
    // A strip's input rows lie inside the image, and its window holds every row it loads.
    if (rst_ni && state_q == StSetup) assert (hlo_q <= hhi_q && 32'(hhi_q) <= 32'(h));
    // A merged ifmap load is exactly the pass's channel planes.
    if (rst_ni && state_q == StIfmCmd && ifm_one_q) begin
      assert (32'(ch_words) == 32'(dv_q[DvPlaneIn]) &&
              32'(ifm_beats_q) * 4 == 32'(cn_q) * 32'(dv_q[DvPlaneIn]));
    end
    // A command holds while the DMA is not ready.
    if (rst_ni && $past(rst_ni) && $past(dma_cmd_valid_o && !dma_cmd_ready_i)) begin
      assert (dma_cmd_valid_o && dma_cmd_addr_o == $past(dma_cmd_addr_o) &&
              dma_cmd_write_o == $past(dma_cmd_write_o));
    end
  end

endmodule
