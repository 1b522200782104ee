// Row-stationary processing element: computes the 1-D row convolution primitive of
// docs/numerics.md section 6 for p filters and q channels.
//
// A job is started with start_i and a program on cfg_*_i (sampled at the start). It
// optionally loads p*q*S filter words into the filter spad (kept for later jobs), then
// streams cfg_rows_i ifmap rows through the ifmap spad and, for every output position e
// of every row, emits p partial sums (optionally added to psums arriving from a
// neighbouring PE). An illegal program is refused: err_code_o names the reason, done_o
// pulses, and no spad or output is touched.
//
// Pipeline, one MAC per cycle:
//   issue  read the ifmap spad (registers); zero check; filter spad read request
//   mul    filter word from the SRAM, exact signed product (held when gated)
//   acc    accumulate over the q*S terms of one filter; push the sum into the psum spad
// The psum spad is a FIFO of completed partial sums; its drain adds psum_in and feeds a
// two-entry output FIFO. A psum spad entry is reserved before a filter's first MAC issues,
// so a push can never find the spad full.
module rsnpu_pe (
  input  logic                               clk_i,
  input  logic                               rst_ni,

  // Program, sampled when start_i is high and the PE is idle.
  input  logic                               start_i,
  input  logic [rsnpu_pkg::PeSLenW-1:0]      cfg_s_i,         // filter width S
  input  logic [rsnpu_pkg::PePLenW-1:0]      cfg_p_i,         // filters p
  input  logic [rsnpu_pkg::PeQLenW-1:0]      cfg_q_i,         // channels q
  input  logic [rsnpu_pkg::PeStrideW-1:0]    cfg_stride_i,    // horizontal stride U
  input  logic [rsnpu_pkg::PeELenW-1:0]      cfg_e_i,         // outputs per row E
  input  logic [rsnpu_pkg::PeRowsW-1:0]      cfg_rows_i,      // ifmap rows in this job
  input  rsnpu_pkg::prec_e                   cfg_prec_i,
  input  logic                               cfg_flt_load_i,  // load filters first
  input  logic                               cfg_acc_in_i,    // add psum_in to each psum

  // Status
  output logic                               busy_o,
  output logic                               done_o,          // one-cycle pulse
  output logic                               err_o,
  output rsnpu_pkg::pe_err_e                 err_code_o,
  output logic [31:0]                        cfg_sig_o,       // configuration signature

  // Filter words, in spad order (s fastest, then q, then p)
  input  logic                               flt_valid_i,
  output logic                               flt_ready_o,
  input  rsnpu_pkg::word_t                   flt_data_i,

  // Ifmap words, column by column, q channels per column
  input  logic                               ifm_valid_i,
  output logic                               ifm_ready_o,
  input  rsnpu_pkg::word_t                   ifm_data_i,

  // Partial sums in (from the neighbouring PE or the buffer), e outer, p inner
  input  logic                               psum_in_valid_i,
  output logic                               psum_in_ready_o,
  input  rsnpu_pkg::acc_t                    psum_in_data_i,

  // Partial sums out, e outer, p inner
  output logic                               psum_out_valid_o,
  input  logic                               psum_out_ready_i,
  output rsnpu_pkg::acc_t                    psum_out_data_o,

  // Activity events, one pulse per action (counted outside the PE)
  output logic                               evt_mac_o,       // MAC executed
  output logic                               evt_skip_o,      // MAC gated: zero ifmap
  output logic                               evt_flt_rd_o,
  output logic                               evt_flt_wr_o,
  output logic                               evt_ifm_rd_o,
  output logic                               evt_ifm_wr_o,
  output logic                               evt_psum_rd_o,
  output logic                               evt_psum_wr_o
);

  // -------------------------------------------------------------------------------------
  // Local widths and constants
  // -------------------------------------------------------------------------------------
  localparam int unsigned WordW = rsnpu_pkg::WordW;
  localparam int unsigned AccW = rsnpu_pkg::AccW;
  localparam int unsigned ProdW = rsnpu_pkg::ProdW;
  localparam int unsigned SW = rsnpu_pkg::PeSLenW;
  localparam int unsigned PW = rsnpu_pkg::PePLenW;
  localparam int unsigned QW = rsnpu_pkg::PeQLenW;
  localparam int unsigned UW = rsnpu_pkg::PeStrideW;
  localparam int unsigned EW = rsnpu_pkg::PeELenW;
  localparam int unsigned RowsW = rsnpu_pkg::PeRowsW;
  localparam int unsigned FltAddrW = rsnpu_pkg::FltAddrW;
  localparam int unsigned IfmAddrW = rsnpu_pkg::IfmAddrW;
  localparam int unsigned IfmCountW = rsnpu_pkg::IfmCountW;
  localparam int unsigned IfmSumW = IfmCountW + 1;
  localparam int unsigned PsumCountW = rsnpu_pkg::PsumCountW;
  localparam int unsigned FltCountW = $clog2(rsnpu_pkg::FilterSpadWords + 1);
  localparam int unsigned PqsW = SW + PW + QW;  // width of the p*q*S product
  localparam int unsigned QsW = SW + QW;        // width of the q*S product
  localparam int unsigned InColW = (SW > UW) ? SW : UW;

  localparam int unsigned FltWords = rsnpu_pkg::FilterSpadWords;
  localparam int unsigned IfmWords = rsnpu_pkg::IfmapSpadWords;
  localparam int unsigned PsumWords = rsnpu_pkg::PsumSpadWords;
  localparam logic [IfmSumW-1:0] IfmWordsSum = IfmSumW'(IfmWords);
  localparam logic [IfmCountW-1:0] IfmWordsCount = IfmCountW'(IfmWords);
  localparam logic [PsumCountW-1:0] PsumWordsCount = PsumCountW'(PsumWords);

  // No functions in this module: Verilator numbers the temporaries of every inlined call
  // per instance, which would keep it from sharing one copy of the PE's C++ code between all
  // PEs of an array (see rtl/verilator.vlt).

  // -------------------------------------------------------------------------------------
  // Control state
  // -------------------------------------------------------------------------------------
  typedef enum logic [1:0] {
    StIdle    = 2'd0,
    StLoadFlt = 2'd1,  // filter words into the filter spad (ifmaps may prefetch)
    StRun     = 2'd2,  // issuing MACs
    StDrain   = 2'd3   // all MACs issued; pipeline and psum spad emptying
  } state_e;

  state_e state_d, state_q;
  rsnpu_pkg::pe_err_e err_d, err_q;
  logic done_d, done_q;

  // Program registers (latched at a start while idle) and derived constants. The program is
  // checked from these registers in two cycles after the start: chk1 forms the products
  // q*S, p*q*S and q*U into registers, chk2 compares them and starts the job or refuses it
  // (products, limits and the decision in one cycle did not fit the clock).
  logic chk1_d, chk1_q, chk2_d, chk2_q;
  logic flt_load_d, flt_load_q;
  logic [SW-1:0] s_d, s_q;
  logic [PW-1:0] p_d, p_q;
  logic [QW-1:0] q_d, q_q;
  logic [UW-1:0] u_d, u_q;
  logic [EW-1:0] e_d, e_q;
  logic [RowsW-1:0] rows_d, rows_q;
  logic int8_d, int8_q;
  logic acc_in_d, acc_in_q;
  logic [IfmCountW-1:0] win_words_d, win_words_q;  // q*S: one window
  logic [IfmCountW-1:0] step_words_d, step_words_q;  // words released between positions
  logic [UW-1:0] drop_cols_d, drop_cols_q;  // columns dropped per segment when U > S
  logic [FltCountW-1:0] flt_words_d, flt_words_q;  // p*q*S

  // Shape and precision of the filters currently held in the filter spad.
  logic flt_held_d, flt_held_q;
  logic flt_int8_d, flt_int8_q;
  logic [SW-1:0] flt_s_d, flt_s_q;
  logic [PW-1:0] flt_p_d, flt_p_q;
  logic [QW-1:0] flt_q_d, flt_q_q;

  // Filter load
  logic [FltAddrW-1:0] flt_wr_addr_d, flt_wr_addr_q;

  // Ifmap input side: position of the next incoming word in the row stream.
  logic [QW-1:0] in_ch_d, in_ch_q;
  logic [InColW-1:0] in_col_d, in_col_q;
  logic [EW-1:0] in_seg_d, in_seg_q;
  logic [RowsW-1:0] in_row_d, in_row_q;
  logic in_done_d, in_done_q;

  // Ifmap spad: a circular buffer of words.
  rsnpu_pkg::word_t ifm_spad_q [IfmWords];
  logic [IfmAddrW-1:0] ifm_wr_ptr_d, ifm_wr_ptr_q;
  logic [IfmAddrW-1:0] ifm_head_d, ifm_head_q;
  logic [IfmCountW-1:0] ifm_count_d, ifm_count_q;

  // Issue-side loop counters and read pointers.
  logic [SW-1:0] s_cnt_d, s_cnt_q;
  logic [QW-1:0] q_cnt_d, q_cnt_q;
  logic [PW-1:0] p_cnt_d, p_cnt_q;
  logic [EW-1:0] e_cnt_d, e_cnt_q;
  logic [RowsW-1:0] row_cnt_d, row_cnt_q;
  logic [FltAddrW-1:0] flt_rd_addr_d, flt_rd_addr_q;
  logic [IfmAddrW-1:0] ifm_rd_ptr_d, ifm_rd_ptr_q;
  logic [IfmAddrW-1:0] ifm_qbase_d, ifm_qbase_q;
  logic [PsumCountW-1:0] psum_resv_d, psum_resv_q;

  // Pipeline registers.
  logic s1_valid_q, s1_skip_q, s1_first_q, s1_last_q;
  rsnpu_pkg::word_t s1_ifm_q;
  logic s2_valid_q, s2_skip_q, s2_first_q, s2_last_q;
  logic signed [ProdW-1:0] s2_prod_d, s2_prod_q;
  logic signed [AccW-1:0] acc_d, acc_q;

  // -------------------------------------------------------------------------------------
  // Program check
  // -------------------------------------------------------------------------------------
  logic [PqsW-1:0] cfg_pqs, pqs_d, pqs_q;
  logic [QsW-1:0] cfg_qs, qs_d, qs_q;
  logic [IfmCountW-1:0] cfg_uq, uq_d, uq_q;  // q*U, used only when U <= S, so it fits like q*S
  rsnpu_pkg::pe_err_e cfg_err;

  always_comb begin
    cfg_qs = QsW'(q_q) * QsW'(s_q);
    cfg_pqs = PqsW'(p_q) * PqsW'(cfg_qs);
    cfg_uq = IfmCountW'(QsW'(q_q) * QsW'(u_q));
    qs_d = chk1_q ? cfg_qs : qs_q;
    pqs_d = chk1_q ? cfg_pqs : pqs_q;
    uq_d = chk1_q ? cfg_uq : uq_q;
    cfg_err = rsnpu_pkg::PeErrNone;
    if (s_q == '0 || p_q == '0 || q_q == '0 || u_q == '0 || e_q == '0 || rows_q == '0) begin
      cfg_err = rsnpu_pkg::PeErrZeroField;
    end else if (32'(p_q) > PsumWords) begin
      cfg_err = rsnpu_pkg::PeErrPsumSpad;
    end else if (32'(qs_q) > IfmWords) begin
      cfg_err = rsnpu_pkg::PeErrIfmapSpad;
    end else if (32'(pqs_q) > FltWords) begin
      cfg_err = rsnpu_pkg::PeErrFilterSpad;
    end else if (!flt_load_q &&
                 (!flt_held_q || s_q != flt_s_q || p_q != flt_p_q || q_q != flt_q_q ||
                  int8_q != flt_int8_q)) begin
      cfg_err = rsnpu_pkg::PeErrNoFilters;
    end
  end

  // -------------------------------------------------------------------------------------
  // Datapath handshakes
  // -------------------------------------------------------------------------------------
  logic flt_fire, ifm_fire, ifm_keep, issue_fire, zero;
  logic first_grp, last_s, last_q, last_grp, last_p, last_pos, last_e, last_row;
  logic [IfmCountW-1:0] release_words;
  rsnpu_pkg::word_t ifm_word;

  logic spad_push, spad_in_ready, spad_valid, spad_pop;
  rsnpu_pkg::acc_t spad_data;
  logic [PsumCountW-1:0] spad_count;
  logic out_in_valid, out_in_ready;
  rsnpu_pkg::acc_t out_in_data;
  logic [1:0] out_count;

  assign flt_ready_o = (state_q == StLoadFlt);
  assign flt_fire = flt_valid_i && flt_ready_o;

  // Columns of segment 0 (the first window) are all kept; when U > S the first U - S
  // columns of every later segment are never used and are dropped on arrival.
  assign ifm_keep = (in_seg_q == '0) || (in_col_q >= InColW'(drop_cols_q));
  assign ifm_ready_o = (state_q != StIdle) && !in_done_q &&
                       (!ifm_keep || (ifm_count_q != IfmWordsCount));
  assign ifm_fire = ifm_valid_i && ifm_ready_o;

  assign ifm_word = ifm_spad_q[ifm_rd_ptr_q];
  assign zero = int8_q ? (ifm_word[7:0] == 8'd0) : (ifm_word == '0);
  assign first_grp = (q_cnt_q == '0) && (s_cnt_q == '0);
  assign last_s = (s_cnt_q == s_q - 1'b1);
  assign last_q = (q_cnt_q == q_q - 1'b1);
  assign last_grp = last_s && last_q;
  assign last_p = (p_cnt_q == p_q - 1'b1);
  assign last_pos = last_grp && last_p;
  assign last_e = (e_cnt_q == e_q - 1'b1);
  assign last_row = (row_cnt_q == rows_q - 1'b1);
  assign release_words = last_e ? win_words_q : step_words_q;

  assign issue_fire = (state_q == StRun) && (ifm_count_q >= win_words_q) &&
                      (!first_grp || (psum_resv_q != PsumWordsCount));

  assign spad_push = s2_valid_q && s2_last_q;
  assign spad_pop = spad_valid && out_in_ready && (!acc_in_q || psum_in_valid_i);
  assign psum_in_ready_o = acc_in_q && spad_valid && out_in_ready;
  assign out_in_valid = spad_pop;
  assign out_in_data = spad_data + (acc_in_q ? psum_in_data_i : '0);

  // Circular ifmap spad pointer steps, (a + b) mod IfmWords for a < IfmWords, b <= IfmWords,
  // computed in the branches that take them.
  logic [IfmSumW-1:0] wr_ptr_sum, rd_ptr_sum, qbase_sum, head_sum;

  // -------------------------------------------------------------------------------------
  // Next-state logic
  // -------------------------------------------------------------------------------------
  always_comb begin
    state_d = state_q;
    err_d = err_q;
    done_d = 1'b0;
    s_d = s_q;
    p_d = p_q;
    q_d = q_q;
    u_d = u_q;
    e_d = e_q;
    rows_d = rows_q;
    int8_d = int8_q;
    acc_in_d = acc_in_q;
    flt_load_d = flt_load_q;
    win_words_d = win_words_q;
    step_words_d = step_words_q;
    drop_cols_d = drop_cols_q;
    flt_words_d = flt_words_q;
    flt_held_d = flt_held_q;
    flt_s_d = flt_s_q;
    flt_p_d = flt_p_q;
    flt_q_d = flt_q_q;
    flt_int8_d = flt_int8_q;
    flt_wr_addr_d = flt_wr_addr_q;
    in_ch_d = in_ch_q;
    in_col_d = in_col_q;
    in_seg_d = in_seg_q;
    in_row_d = in_row_q;
    in_done_d = in_done_q;
    ifm_wr_ptr_d = ifm_wr_ptr_q;
    ifm_head_d = ifm_head_q;
    ifm_count_d = ifm_count_q;
    s_cnt_d = s_cnt_q;
    q_cnt_d = q_cnt_q;
    p_cnt_d = p_cnt_q;
    e_cnt_d = e_cnt_q;
    row_cnt_d = row_cnt_q;
    flt_rd_addr_d = flt_rd_addr_q;
    ifm_rd_ptr_d = ifm_rd_ptr_q;
    ifm_qbase_d = ifm_qbase_q;
    psum_resv_d = psum_resv_q;
    wr_ptr_sum = '0;
    rd_ptr_sum = '0;
    qbase_sum = '0;
    head_sum = '0;

    // Check of the program latched by the start of the previous cycle: begin the job, or
    // finish at once with the reason.
    chk1_d = 1'b0;
    chk2_d = chk1_q;
    if (chk2_q) begin
      if (cfg_err != rsnpu_pkg::PeErrNone) begin
        err_d = cfg_err;
        done_d = 1'b1;
      end else begin
        err_d = rsnpu_pkg::PeErrNone;
        state_d = flt_load_q ? StLoadFlt : StRun;
        win_words_d = IfmCountW'(qs_q);
        if (32'(u_q) > 32'(s_q)) begin
          step_words_d = IfmCountW'(qs_q);
          drop_cols_d = u_q - UW'(s_q);
        end else begin
          step_words_d = uq_q;
          drop_cols_d = '0;
        end
        flt_words_d = FltCountW'(pqs_q);
        if (flt_load_q) begin
          flt_held_d = 1'b0;
          flt_s_d = s_q;
          flt_p_d = p_q;
          flt_q_d = q_q;
          flt_int8_d = int8_q;
        end
        flt_wr_addr_d = '0;
        in_ch_d = '0;
        in_col_d = '0;
        in_seg_d = '0;
        in_row_d = '0;
        in_done_d = 1'b0;
        ifm_wr_ptr_d = '0;
        ifm_head_d = '0;
        ifm_count_d = '0;
        s_cnt_d = '0;
        q_cnt_d = '0;
        p_cnt_d = '0;
        e_cnt_d = '0;
        row_cnt_d = '0;
        flt_rd_addr_d = '0;
        ifm_rd_ptr_d = '0;
        ifm_qbase_d = '0;
        psum_resv_d = '0;
      end
    end

    // Start: latch the program when idle (checked next cycle), otherwise record why not.
    if (start_i) begin
      if (state_q != StIdle || chk1_q || chk2_q) begin
        err_d = rsnpu_pkg::PeErrStartBusy;
      end else begin
        chk1_d = 1'b1;
        s_d = cfg_s_i;
        p_d = cfg_p_i;
        q_d = cfg_q_i;
        u_d = cfg_stride_i;
        e_d = cfg_e_i;
        rows_d = cfg_rows_i;
        int8_d = (cfg_prec_i == rsnpu_pkg::PrecInt8);
        acc_in_d = cfg_acc_in_i;
        flt_load_d = cfg_flt_load_i;
      end
    end

    // Filter load.
    if (flt_fire) begin
      flt_wr_addr_d = flt_wr_addr_q + 1'b1;
      if (32'(flt_wr_addr_q) == 32'(flt_words_q) - 1) begin
        flt_held_d = 1'b1;
        state_d = StRun;
      end
    end

    // Ifmap input: walk (channel, column, segment, row) of the incoming stream.
    if (ifm_fire) begin
      if (ifm_keep) begin
        wr_ptr_sum = IfmSumW'(ifm_wr_ptr_q) + IfmSumW'(1);
        ifm_wr_ptr_d = (wr_ptr_sum >= IfmWordsSum) ? IfmAddrW'(wr_ptr_sum - IfmWordsSum)
                                                   : IfmAddrW'(wr_ptr_sum);
      end
      if (in_ch_q != q_q - 1'b1) begin
        in_ch_d = in_ch_q + 1'b1;
      end else begin
        in_ch_d = '0;
        if ((in_seg_q == '0) ? (in_col_q != InColW'(s_q) - 1'b1)
                             : (in_col_q != InColW'(u_q) - 1'b1)) begin
          in_col_d = in_col_q + 1'b1;
        end else begin
          in_col_d = '0;
          if (in_seg_q != e_q - 1'b1) begin
            in_seg_d = in_seg_q + 1'b1;
          end else begin
            in_seg_d = '0;
            if (in_row_q != rows_q - 1'b1) begin
              in_row_d = in_row_q + 1'b1;
            end else begin
              in_done_d = 1'b1;
            end
          end
        end
      end
    end

    // Issue: walk (s, q, p, e, row) and release ifmap words at the end of each position.
    if (issue_fire) begin
      if (first_grp) begin
        psum_resv_d = psum_resv_d + 1'b1;
      end
      if (!last_s) begin
        s_cnt_d = s_cnt_q + 1'b1;
        rd_ptr_sum = IfmSumW'(ifm_rd_ptr_q) + IfmSumW'(IfmCountW'(q_q));
        ifm_rd_ptr_d = (rd_ptr_sum >= IfmWordsSum) ? IfmAddrW'(rd_ptr_sum - IfmWordsSum)
                                                   : IfmAddrW'(rd_ptr_sum);
      end else if (!last_q) begin
        s_cnt_d = '0;
        q_cnt_d = q_cnt_q + 1'b1;
        qbase_sum = IfmSumW'(ifm_qbase_q) + IfmSumW'(1);
        ifm_qbase_d = (qbase_sum >= IfmWordsSum) ? IfmAddrW'(qbase_sum - IfmWordsSum)
                                                 : IfmAddrW'(qbase_sum);
        ifm_rd_ptr_d = ifm_qbase_d;
      end else begin
        s_cnt_d = '0;
        q_cnt_d = '0;
        ifm_qbase_d = ifm_head_q;
        ifm_rd_ptr_d = ifm_head_q;
        if (!last_p) begin
          p_cnt_d = p_cnt_q + 1'b1;
        end else begin
          p_cnt_d = '0;
          head_sum = IfmSumW'(ifm_head_q) + IfmSumW'(release_words);
          ifm_head_d = (head_sum >= IfmWordsSum) ? IfmAddrW'(head_sum - IfmWordsSum)
                                                 : IfmAddrW'(head_sum);
          ifm_qbase_d = ifm_head_d;
          ifm_rd_ptr_d = ifm_head_d;
          if (!last_e) begin
            e_cnt_d = e_cnt_q + 1'b1;
          end else begin
            e_cnt_d = '0;
            if (!last_row) begin
              row_cnt_d = row_cnt_q + 1'b1;
            end else begin
              state_d = StDrain;
            end
          end
        end
      end
      flt_rd_addr_d = last_pos ? '0 : flt_rd_addr_q + 1'b1;
    end

    // Ifmap spad occupancy: arrivals minus the words released after a position.
    ifm_count_d = ifm_count_d + ((ifm_fire && ifm_keep) ? IfmCountW'(1) : '0) -
                  ((issue_fire && last_pos) ? release_words : '0);

    if (spad_pop) begin
      psum_resv_d = psum_resv_d - 1'b1;
    end

    // Finish once every MAC retired and every psum left the PE.
    if (state_q == StDrain && !s1_valid_q && !s2_valid_q && !spad_valid &&
        out_count == '0) begin
      state_d = StIdle;
      done_d = 1'b1;
    end
  end

  // Multiply stage: exact signed product of the two operands.
  rsnpu_pkg::word_t flt_rdata;
  logic signed [WordW-1:0] mul_a, mul_b;
  // Multiplier operands (numerics.md section 1): INT8 uses bits [7:0], sign-extended. The filter
  // spad stores INT8 weights already sign-extended (flt_wdata), so its read data, the slowest
  // operand, goes to the multiplier without a mux.
  assign mul_a = flt_rdata;
  assign mul_b = int8_q ? {{(WordW - 8){s1_ifm_q[7]}}, s1_ifm_q[7:0]} : s1_ifm_q;
  assign s2_prod_d = mul_a * mul_b;

  // Accumulate stage.
  logic signed [AccW-1:0] prod_ext, acc_sum;
  assign prod_ext = s2_prod_q;  // sign-extends when AccW > ProdW
  assign acc_sum = (s2_first_q ? '0 : acc_q) + (s2_skip_q ? '0 : prod_ext);
  assign acc_d = s2_valid_q ? acc_sum : acc_q;

  // -------------------------------------------------------------------------------------
  // Registers
  // -------------------------------------------------------------------------------------
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q <= StIdle;
      err_q <= rsnpu_pkg::PeErrNone;
      done_q <= 1'b0;
      s_q <= '0;
      p_q <= '0;
      q_q <= '0;
      u_q <= '0;
      e_q <= '0;
      rows_q <= '0;
      int8_q <= 1'b0;
      acc_in_q <= 1'b0;
      chk1_q <= 1'b0;
      chk2_q <= 1'b0;
      qs_q <= '0;
      pqs_q <= '0;
      uq_q <= '0;
      flt_load_q <= 1'b0;
      win_words_q <= '0;
      step_words_q <= '0;
      drop_cols_q <= '0;
      flt_words_q <= '0;
      flt_held_q <= 1'b0;
      flt_s_q <= '0;
      flt_p_q <= '0;
      flt_q_q <= '0;
      flt_int8_q <= 1'b0;
      flt_wr_addr_q <= '0;
      in_ch_q <= '0;
      in_col_q <= '0;
      in_seg_q <= '0;
      in_row_q <= '0;
      in_done_q <= 1'b1;
      ifm_wr_ptr_q <= '0;
      ifm_head_q <= '0;
      ifm_count_q <= '0;
      s_cnt_q <= '0;
      q_cnt_q <= '0;
      p_cnt_q <= '0;
      e_cnt_q <= '0;
      row_cnt_q <= '0;
      flt_rd_addr_q <= '0;
      ifm_rd_ptr_q <= '0;
      ifm_qbase_q <= '0;
      psum_resv_q <= '0;
      s1_valid_q <= 1'b0;
      s2_valid_q <= 1'b0;
      acc_q <= '0;
    end else begin
      state_q <= state_d;
      err_q <= err_d;
      done_q <= done_d;
      s_q <= s_d;
      p_q <= p_d;
      q_q <= q_d;
      u_q <= u_d;
      e_q <= e_d;
      rows_q <= rows_d;
      int8_q <= int8_d;
      acc_in_q <= acc_in_d;
      chk1_q <= chk1_d;
      chk2_q <= chk2_d;
      qs_q <= qs_d;
      pqs_q <= pqs_d;
      uq_q <= uq_d;
      flt_load_q <= flt_load_d;
      win_words_q <= win_words_d;
      step_words_q <= step_words_d;
      drop_cols_q <= drop_cols_d;
      flt_words_q <= flt_words_d;
      flt_held_q <= flt_held_d;
      flt_s_q <= flt_s_d;
      flt_p_q <= flt_p_d;
      flt_q_q <= flt_q_d;
      flt_int8_q <= flt_int8_d;
      flt_wr_addr_q <= flt_wr_addr_d;
      in_ch_q <= in_ch_d;
      in_col_q <= in_col_d;
      in_seg_q <= in_seg_d;
      in_row_q <= in_row_d;
      in_done_q <= in_done_d;
      ifm_wr_ptr_q <= ifm_wr_ptr_d;
      ifm_head_q <= ifm_head_d;
      ifm_count_q <= ifm_count_d;
      s_cnt_q <= s_cnt_d;
      q_cnt_q <= q_cnt_d;
      p_cnt_q <= p_cnt_d;
      e_cnt_q <= e_cnt_d;
      row_cnt_q <= row_cnt_d;
      flt_rd_addr_q <= flt_rd_addr_d;
      ifm_rd_ptr_q <= ifm_rd_ptr_d;
      ifm_qbase_q <= ifm_qbase_d;
      psum_resv_q <= psum_resv_d;
      s1_valid_q <= issue_fire;
      s2_valid_q <= s1_valid_q;
      acc_q <= acc_d;
    end
  end

  // Datapath registers without reset: their contents matter only behind a valid bit.
  always_ff @(posedge clk_i) begin
    if (issue_fire) begin
      s1_skip_q <= zero;
      s1_first_q <= first_grp;
      s1_last_q <= last_grp;
      s1_ifm_q <= ifm_word;
    end
    if (s1_valid_q) begin
      s2_skip_q <= s1_skip_q;
      s2_first_q <= s1_first_q;
      s2_last_q <= s1_last_q;
    end
    // Zero gating: a skipped MAC leaves the multiplier and product register idle.
    if (s1_valid_q && !s1_skip_q) begin
      s2_prod_q <= s2_prod_d;
    end
    if (ifm_fire && ifm_keep) begin
      ifm_spad_q[ifm_wr_ptr_q] <= ifm_data_i;
    end
  end

  // -------------------------------------------------------------------------------------
  // Filter spad (SRAM) and psum spad (FIFO of completed psums), output buffer
  // -------------------------------------------------------------------------------------
  rsnpu_pkg::word_t flt_wdata;
  assign flt_wdata = int8_q ? {{(WordW - 8){flt_data_i[7]}}, flt_data_i[7:0]} : flt_data_i;

  rsnpu_sram #(
    .Words(FltWords),
    .DataW(WordW)
  ) u_flt_spad (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .we_i   (flt_fire),
    .waddr_i(flt_wr_addr_q),
    .wdata_i(flt_wdata),
    .re_i   (issue_fire && !zero),
    .raddr_i(flt_rd_addr_q),
    .rdata_o(flt_rdata)
  );

  rsnpu_fifo #(
    .Depth(PsumWords),
    .DataW(AccW)
  ) u_psum_spad (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (spad_push),
    .in_ready_o (spad_in_ready),
    .in_data_i  (acc_sum),
    .out_valid_o(spad_valid),
    .out_ready_i(spad_pop),
    .out_data_o (spad_data),
    .count_o    (spad_count)
  );

  rsnpu_fifo #(
    .Depth(2),
    .DataW(AccW)
  ) u_psum_out (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (out_in_valid),
    .in_ready_o (out_in_ready),
    .in_data_i  (out_in_data),
    .out_valid_o(psum_out_valid_o),
    .out_ready_i(psum_out_ready_i),
    .out_data_o (psum_out_data_o),
    .count_o    (out_count)
  );

  // -------------------------------------------------------------------------------------
  // Outputs
  // -------------------------------------------------------------------------------------
  assign busy_o = (state_q != StIdle) || chk1_q || chk2_q;
  assign done_o = done_q;
  assign err_o = (err_q != rsnpu_pkg::PeErrNone);
  assign err_code_o = err_q;
  assign cfg_sig_o = rsnpu_pkg::CfgSignature;

  assign evt_mac_o = issue_fire && !zero;
  assign evt_skip_o = issue_fire && zero;
  assign evt_flt_rd_o = issue_fire && !zero;
  assign evt_flt_wr_o = flt_fire;
  assign evt_ifm_rd_o = issue_fire;
  assign evt_ifm_wr_o = ifm_fire && ifm_keep;
  assign evt_psum_rd_o = spad_pop;
  assign evt_psum_wr_o = spad_push;

  // -------------------------------------------------------------------------------------
  // Assertions
  // -------------------------------------------------------------------------------------
  always_ff @(posedge clk_i) begin
    // Inputs hold their data while valid and not ready.
    if (rst_ni && $past(rst_ni) && $past(flt_valid_i) && !$past(flt_ready_o)) begin
      assert (flt_valid_i && (flt_data_i == $past(flt_data_i)));
    end
    if (rst_ni && $past(rst_ni) && $past(ifm_valid_i) && !$past(ifm_ready_o)) begin
      assert (ifm_valid_i && (ifm_data_i == $past(ifm_data_i)));
    end
    if (rst_ni && $past(rst_ni) && $past(psum_in_valid_i) && !$past(psum_in_ready_o)) begin
      assert (psum_in_valid_i && (psum_in_data_i == $past(psum_in_data_i)));
    end
    // Output holds its data while valid and not ready.
    if (rst_ni && $past(rst_ni) && $past(psum_out_valid_o) && !$past(psum_out_ready_i)) begin
      assert (psum_out_valid_o && (psum_out_data_o == $past(psum_out_data_o)));
    end
    // No scratchpad overflows: ifmap occupancy within depth, filter writes within the
    // program, a psum push always finds room, reservations cover every stored psum.
    if (rst_ni) begin
      assert (32'(ifm_count_q) <= IfmWords);
      assert (32'(psum_resv_q) <= PsumWords);
      assert (spad_count <= psum_resv_q);
      if (flt_fire) assert (32'(flt_wr_addr_q) < 32'(flt_words_q));
      if (spad_push) assert (spad_in_ready);
      if (issue_fire) assert (32'(flt_rd_addr_q) < 32'(flt_words_q));
      if (issue_fire) assert (ifm_count_q >= win_words_q);
      // The PE never runs with a program it refused.
      if (state_q != StIdle) assert (flt_words_q != '0);
    end
  end

endmodule
