// Psum unit: the global buffer side of the PE columns' psum chains during one pass.
//
// Column c, fold f computes convolution row e_rel = f*cols + c of the strip; its psums come
// out (and, for the bottom PE, go in) x outer, filter inner: buffer entries
// e_rel*F*p + j for j < F*p (psum buffer layout [e_rel][x][m], docs/accelerator.md).
// The buffer has two lanes (rsnpu_psum_buf): lane l holds the entries whose address has
// bit 0 = l, and each lane takes one write and one read per cycle.
// - out: per lane, the lowest column whose next entry is on that lane writes its psum to the
//   buffer (up to two columns per cycle); rows e_rel >= es are outside the strip and dropped.
// - in (mode InBias): the bias of the psum's filter; (mode InBuffer): the buffer entry,
//   fetched (per lane, the lowest waiting column whose next entry is on it) into a one-entry
//   holding register per column (rows e_rel >= es read as 0); (mode InNone) nothing: the
//   bottom PEs do not accumulate.
module rsnpu_psum_unit (
  input  logic                                        clk_i,
  input  logic                                        rst_ni,

  input  logic                                        start_i,
  input  logic [1:0]                                  in_mode_i,   // InNone/InBias/InBuffer
  input  logic [7:0]                                  p_i,
  input  logic [7:0]                                  cols_i,
  input  logic [11:0]                                 folds_i,
  input  logic [19:0]                                 fp_i,        // F * p
  input  logic [31:0]                                 row_step_i,  // cols * F * p
  input  logic [11:0]                                 es_i,        // strip rows kept
  input  logic [rsnpu_pkg::PsumSpadWords*rsnpu_pkg::AccW-1:0] bias_i,  // filter m: [m*AccW +: AccW]
  output logic                                        busy_o,

  // Psum buffer lanes: lane l at [l*GlbPsumAddrW +: GlbPsumAddrW] and [l*AccW +: AccW]
  output logic [1:0]                                  buf_we_o,
  output logic [2*rsnpu_pkg::GlbPsumAddrW-1:0]        buf_waddr_o,
  output logic [2*rsnpu_pkg::AccW-1:0]                buf_wdata_o,
  output logic [1:0]                                  buf_re_o,
  output logic [2*rsnpu_pkg::GlbPsumAddrW-1:0]        buf_raddr_o,
  input  logic [2*rsnpu_pkg::AccW-1:0]                buf_rdata_i,

  // PE array columns
  output logic [rsnpu_pkg::PeCols-1:0]                psum_in_valid_o,
  input  logic [rsnpu_pkg::PeCols-1:0]                psum_in_ready_i,
  output logic [rsnpu_pkg::PeCols*rsnpu_pkg::AccW-1:0] psum_in_data_o,
  input  logic [rsnpu_pkg::PeCols-1:0]                psum_out_valid_i,
  output logic [rsnpu_pkg::PeCols-1:0]                psum_out_ready_o,
  input  logic [rsnpu_pkg::PeCols*rsnpu_pkg::AccW-1:0] psum_out_data_i
);

  localparam int unsigned Cols = rsnpu_pkg::PeCols;
  localparam int unsigned AccW = rsnpu_pkg::AccW;
  localparam int unsigned AddrW = rsnpu_pkg::GlbPsumAddrW;
  localparam logic [1:0] InNone = 2'd0;
  localparam logic [1:0] InBias = 2'd1;
  localparam logic [1:0] InBuffer = 2'd2;
  localparam int unsigned ColIdxW = (Cols > 1) ? $clog2(Cols) : 1;

  logic [1:0] mode_d, mode_q;
  logic [7:0] p_d, p_q, cols_d, cols_q;
  logic [11:0] folds_d, folds_q, es_d, es_q;
  logic [19:0] fp_d, fp_q;
  logic [31:0] row_step_d, row_step_q;  // cols * F * p: entries from one fold to the next

  // Position of each column's out and in psum streams: active (psums left), fold f, index j
  // = x*p + m within the row, filter m, strip row e_rel and its first entry base.
  logic [Cols-1:0] o_act_d, o_act_q, i_act_d, i_act_q;
  logic [11:0] o_f_d [Cols];
  logic [11:0] o_f_q [Cols];
  logic [11:0] i_f_d [Cols];
  logic [11:0] i_f_q [Cols];
  logic [19:0] o_j_d [Cols];
  logic [19:0] o_j_q [Cols];
  logic [19:0] i_j_d [Cols];
  logic [19:0] i_j_q [Cols];
  logic [7:0] i_m_d [Cols];
  logic [7:0] i_m_q [Cols];
  logic [11:0] o_e_d [Cols];
  logic [11:0] o_e_q [Cols];
  logic [11:0] i_e_d [Cols];
  logic [11:0] i_e_q [Cols];
  logic [31:0] o_base_d [Cols];
  logic [31:0] o_base_q [Cols];
  logic [31:0] i_base_d [Cols];
  logic [31:0] i_base_q [Cols];

  logic [Cols-1:0] hold_valid_d, hold_valid_q;
  rsnpu_pkg::acc_t hold_d [Cols];
  rsnpu_pkg::acc_t hold_q [Cols];
  // Per lane: a fetch issued last cycle, for column fetch_col, of a row outside the strip.
  logic [1:0] fetch_valid_d, fetch_valid_q, fetch_zero_d, fetch_zero_q;
  logic [ColIdxW-1:0] fetch_col_d [2];
  logic [ColIdxW-1:0] fetch_col_q [2];

  logic [1:0] out_found, in_found;
  logic [ColIdxW-1:0] out_col [2];
  logic [ColIdxW-1:0] in_col [2];
  logic [Cols-1:0] out_sel [2];
  logic [Cols-1:0] in_handshake, adv_o, adv_i, in_flight;
  // Per column, from registers only: the buffer address of the column's next psum and whether
  // it is a real row (e < es). The handshake then only selects among them (one-hot AND-OR):
  // the psum buffer's write address no longer waits for an adder behind the column search.
  logic [AddrW-1:0] o_addr [Cols];
  logic [AddrW-1:0] i_addr [Cols];
  logic [Cols-1:0] o_real, i_real;

  for (genvar c = 0; c < Cols; c++) begin : gen_col_addr
    assign o_addr[c] = AddrW'(o_base_q[c] + 32'(o_j_q[c]));
    assign i_addr[c] = AddrW'(i_base_q[c] + 32'(i_j_q[c]));
    assign o_real[c] = (o_e_q[c] < es_q);
    assign i_real[c] = (i_e_q[c] < es_q);
  end

  for (genvar c = 0; c < Cols; c++) begin : gen_in_flight
    assign in_flight[c] = (fetch_valid_q[0] && 32'(fetch_col_q[0]) == c) ||
                          (fetch_valid_q[1] && 32'(fetch_col_q[1]) == c);
  end

  // Per lane: the lowest column with a psum for an entry on the lane, and the lowest column
  // with an empty holding register, no fetch in flight and its next entry on the lane. A
  // column's next entry is on one lane only, so the two lanes never pick the same column.
  always_comb begin
    for (int l = 0; l < 2; l++) begin
      out_found[l] = 1'b0;
      out_col[l] = '0;
      out_sel[l] = '0;
      in_found[l] = 1'b0;
      in_col[l] = '0;
      for (int c = 0; c < Cols; c++) begin
        if (!out_found[l] && psum_out_valid_i[c] && o_addr[c][0] == 1'(l)) begin
          out_found[l] = 1'b1;
          out_col[l] = ColIdxW'(c);
          out_sel[l][c] = 1'b1;
        end
        if (!in_found[l] && mode_q == InBuffer && i_act_q[c] && !hold_valid_q[c] &&
            !in_flight[c] && i_addr[c][0] == 1'(l)) begin
          in_found[l] = 1'b1;
          in_col[l] = ColIdxW'(c);
        end
      end
    end
  end

  always_comb begin
    psum_out_ready_o = out_sel[0] | out_sel[1];
    buf_waddr_o = '0;
    for (int l = 0; l < 2; l++) begin
      buf_we_o[l] = |(out_sel[l] & o_real);
      for (int c = 0; c < Cols; c++) begin
        buf_waddr_o[l*AddrW +: AddrW] = buf_waddr_o[l*AddrW +: AddrW] |
                                        (out_sel[l][c] ? o_addr[c] : '0);
      end
      buf_wdata_o[l*AccW +: AccW] = psum_out_data_i[32'(out_col[l])*AccW +: AccW];
      buf_re_o[l] = in_found[l] && i_real[in_col[l]];
      buf_raddr_o[l*AddrW +: AddrW] = i_addr[in_col[l]];
    end
    for (int c = 0; c < Cols; c++) begin
      if (mode_q == InBias) begin
        psum_in_valid_o[c] = i_act_q[c];
        psum_in_data_o[c*AccW +: AccW] = bias_i[32'(i_m_q[c])*AccW +: AccW];
      end else begin
        psum_in_valid_o[c] = hold_valid_q[c];
        psum_in_data_o[c*AccW +: AccW] = hold_q[c];
      end
    end
    in_handshake = psum_in_valid_o & psum_in_ready_i;
    // Which streams advance: out on a write, in on a fetch (buffer) or a handshake (bias).
    adv_o = psum_out_ready_o & psum_out_valid_i;
    adv_i = (mode_q == InBias) ? in_handshake : '0;
    for (int l = 0; l < 2; l++) begin
      if (in_found[l]) begin
        adv_i[in_col[l]] = 1'b1;
      end
    end
  end

  assign busy_o = |{hold_valid_q, fetch_valid_q, o_act_q};

  always_comb begin
    mode_d = mode_q; p_d = p_q; cols_d = cols_q; folds_d = folds_q; es_d = es_q; fp_d = fp_q;
    row_step_d = row_step_q;
    o_act_d = o_act_q;
    i_act_d = i_act_q;
    for (int c = 0; c < Cols; c++) begin
      o_f_d[c] = o_f_q[c]; o_j_d[c] = o_j_q[c]; o_e_d[c] = o_e_q[c]; o_base_d[c] = o_base_q[c];
      i_f_d[c] = i_f_q[c]; i_j_d[c] = i_j_q[c]; i_m_d[c] = i_m_q[c]; i_e_d[c] = i_e_q[c];
      i_base_d[c] = i_base_q[c];
      hold_d[c] = hold_q[c];
    end
    hold_valid_d = hold_valid_q;
    fetch_valid_d = '0;
    fetch_zero_d = '0;
    fetch_col_d[0] = fetch_col_q[0];
    fetch_col_d[1] = fetch_col_q[1];
    if (start_i) begin
      mode_d = in_mode_i; p_d = p_i; cols_d = cols_i; folds_d = folds_i; es_d = es_i;
      fp_d = fp_i;
      row_step_d = row_step_i;
      hold_valid_d = '0;
      for (int c = 0; c < Cols; c++) begin
        o_act_d[c] = (32'(c) < 32'(cols_i));
        i_act_d[c] = (32'(c) < 32'(cols_i)) && (in_mode_i != InNone);
        o_f_d[c] = '0;
        i_f_d[c] = '0;
        o_j_d[c] = '0;
        i_j_d[c] = '0;
        i_m_d[c] = '0;
        o_e_d[c] = 12'(c);
        i_e_d[c] = 12'(c);
        o_base_d[c] = 32'(c) * 32'(fp_i);
        i_base_d[c] = 32'(c) * 32'(fp_i);
      end
    end else begin
      for (int c = 0; c < Cols; c++) begin
        // One psum further along the stream: next m and j; past the row, the next fold.
        if (adv_o[c]) begin
          o_j_d[c] = o_j_q[c] + 20'd1;
          if (o_j_q[c] + 20'd1 == fp_q) begin
            o_j_d[c] = '0;
            o_f_d[c] = o_f_q[c] + 12'd1;
            o_e_d[c] = o_e_q[c] + 12'(cols_q);
            o_base_d[c] = o_base_q[c] + row_step_q;
            o_act_d[c] = (o_f_q[c] + 12'd1 != folds_q);
          end
        end
        if (adv_i[c]) begin
          i_m_d[c] = (i_m_q[c] + 8'd1 == p_q) ? 8'd0 : i_m_q[c] + 8'd1;
          i_j_d[c] = i_j_q[c] + 20'd1;
          if (i_j_q[c] + 20'd1 == fp_q) begin
            i_j_d[c] = '0;
            i_f_d[c] = i_f_q[c] + 12'd1;
            i_e_d[c] = i_e_q[c] + 12'(cols_q);
            i_base_d[c] = i_base_q[c] + row_step_q;
            i_act_d[c] = (i_f_q[c] + 12'd1 != folds_q);
          end
        end
        if (in_handshake[c]) begin
          hold_valid_d[c] = 1'b0;
        end
      end
      for (int l = 0; l < 2; l++) begin
        if (in_found[l]) begin
          fetch_valid_d[l] = 1'b1;
          fetch_zero_d[l] = !i_real[in_col[l]];
          fetch_col_d[l] = in_col[l];
        end
        if (fetch_valid_q[l]) begin
          hold_valid_d[fetch_col_q[l]] = 1'b1;
          hold_d[fetch_col_q[l]] = fetch_zero_q[l] ? '0 : buf_rdata_i[l*AccW +: AccW];
        end
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      mode_q <= InNone; p_q <= 8'd1; cols_q <= '0; folds_q <= 12'd1; es_q <= '0; fp_q <= 20'd1;
      row_step_q <= '0;
      o_act_q <= '0;
      i_act_q <= '0;
      for (int c = 0; c < Cols; c++) begin
        o_f_q[c] <= '0; o_j_q[c] <= '0; o_e_q[c] <= '0; o_base_q[c] <= '0;
        i_f_q[c] <= '0; i_j_q[c] <= '0; i_m_q[c] <= '0; i_e_q[c] <= '0; i_base_q[c] <= '0;
        hold_q[c] <= '0;
      end
      hold_valid_q <= '0;
      fetch_valid_q <= '0;
      fetch_zero_q <= '0;
      fetch_col_q[0] <= '0;
      fetch_col_q[1] <= '0;
    end else begin
      mode_q <= mode_d; p_q <= p_d; cols_q <= cols_d; folds_q <= folds_d; es_q <= es_d;
      fp_q <= fp_d;
      row_step_q <= row_step_d;
      o_act_q <= o_act_d;
      i_act_q <= i_act_d;
      for (int c = 0; c < Cols; c++) begin
        o_f_q[c] <= o_f_d[c]; o_j_q[c] <= o_j_d[c]; o_e_q[c] <= o_e_d[c];
        o_base_q[c] <= o_base_d[c];
        i_f_q[c] <= i_f_d[c]; i_j_q[c] <= i_j_d[c]; i_m_q[c] <= i_m_d[c]; i_e_q[c] <= i_e_d[c];
        i_base_q[c] <= i_base_d[c];
        hold_q[c] <= hold_d[c];
      end
      hold_valid_q <= hold_valid_d;
      fetch_valid_q <= fetch_valid_d;
      fetch_zero_q <= fetch_zero_d;
      fetch_col_q[0] <= fetch_col_d[0];
      fetch_col_q[1] <= fetch_col_d[1];
    end
  end

  // -------------------------------------------------------------------------------------
  // Assertions
  // -------------------------------------------------------------------------------------
  always_ff @(posedge clk_i) begin
    if (rst_ni && start_i) assert (!busy_o);
    // A column only delivers psums while its stream expects them.
    if (rst_ni) assert ((psum_out_valid_i & ~o_act_q) == '0);
    // psum_in holds while not ready ($past of whole vectors: Verilator 5.006 mis-samples a
    // $past whose expression indexes with a loop variable).
    if (rst_ni && $past(rst_ni) && !$past(start_i)) begin
      assert (($past(psum_in_valid_o & ~psum_in_ready_i) & ~psum_in_valid_o) == '0);
    end
    // (Each lane's address parity and range are checked in rsnpu_psum_buf and rsnpu_glb.)
    // The two lanes never serve the same column.
    if (rst_ni) assert ((out_sel[0] & out_sel[1]) == '0);
    if (rst_ni && in_found == 2'b11) assert (in_col[0] != in_col[1]);
  end

endmodule
