// Ifmap feeder: replays one pass's ifmap loop nest (docs/accelerator.md, "Pass") over the
// ifmap buffer and sends each word, tagged with the ifmap row it belongs to, onto the ifmap
// network. Words outside the image (padding) or past the tile's channels are zeros and
// cost no buffer read.
//
//   for f < folds, wc < row_w, k < sets, hr < hspan (hr % U < R), qq < q:
//     tag k*hspan + hr, value x[k*q + qq][hbase(f) + hr][wc - P]
//
// Stage 1 computes one word's tag and buffer address per cycle and reads the buffer; stage
// 2 picks the word out of the returned 64-bit line into a small FIFO. The address
// ch*ch_stride + hrel*wp + wg is kept as two running sums advanced by adds only: the channel
// part by ch_stride per qq, the row part by wp per hr (skip_step when a stride U > R skips
// rows) and by fold_step per fold, from hb_off at the start of a fold.
module rsnpu_ifm_feeder (
  input  logic                                      clk_i,
  input  logic                                      rst_ni,

  input  logic                                      start_i,
  input  logic [11:0]                               folds_i,
  input  logic [11:0]                               cols_x_u_i,   // cols * U
  input  logic [11:0]                               row_w_i,      // (F-1)*U + S
  input  logic [7:0]                                sets_i,
  input  logic [11:0]                               hspan_i,
  input  logic [7:0]                                q_i,
  input  logic [3:0]                                u_i,
  input  logic [4:0]                                r_i,
  input  logic [3:0]                                pad_i,
  input  logic signed [15:0]                        hbase_i,      // e0*U - P: row of f = 0
  input  logic [11:0]                               hlo_i,        // first loaded row
  input  logic [11:0]                               hhi_i,        // end of the loaded rows
  input  logic [11:0]                               cn_i,         // channels in the tile
  input  logic [9:0]                                w_i,          // input width W
  input  logic [11:0]                               wp_i,         // words per buffer row
  input  logic [23:0]                               ch_stride_i,  // words per channel
  input  logic [23:0]                               fold_step_i,  // cols*U*wp: next fold
  input  logic [23:0]                               skip_step_i,  // (U-R+1)*wp: row skip
  input  logic signed [23:0]                        hb_off_i,     // (hbase - hlo)*wp
  output logic                                      busy_o,

  output logic                                      buf_re_o,
  output logic [rsnpu_pkg::GlbIfmapAddrW-3:0]       buf_raddr_o,
  input  logic [rsnpu_pkg::AxiDataW-1:0]            buf_rdata_i,

  output logic                                      ifm_valid_o,
  input  logic                                      ifm_ready_i,
  output logic [rsnpu_pkg::NocTagW-1:0]             ifm_tag_o,
  output rsnpu_pkg::word_t                          ifm_data_o
);

  localparam int unsigned WordW = rsnpu_pkg::WordW;
  localparam int unsigned TagW = rsnpu_pkg::NocTagW;
  localparam int unsigned AddrW = rsnpu_pkg::GlbIfmapAddrW;
  localparam int unsigned FifoDepth = 3;
  localparam int unsigned OutW = TagW + WordW;

  // Job parameters
  logic [11:0] folds_q, cols_x_u_q, row_w_q, hspan_q, hlo_q, hhi_q, cn_q, wp_q;
  logic [7:0] sets_q, q_q;
  logic [3:0] u_q, pad_q;
  logic [4:0] r_q;
  logic [9:0] w_q;
  logic [11:0] folds_d, cols_x_u_d, row_w_d, hspan_d, hlo_d, hhi_d, cn_d, wp_d;
  logic [7:0] sets_d, q_d;
  logic [3:0] u_d, pad_d;
  logic [4:0] r_d;
  logic [9:0] w_d;
  logic [23:0] ch_stride_d, ch_stride_q, fold_step_d, fold_step_q, skip_step_d, skip_step_q;
  // Running address parts: (k*q + qq)*ch_stride, k*q*ch_stride, (hb + hr - hlo)*wp and
  // (hb - hlo)*wp.
  logic [31:0] ch_off_d, ch_off_q, kq_off_d, kq_off_q, h_off_d, h_off_q, hb_off_d, hb_off_q;

  // Loop counters
  logic run_d, run_q;
  logic [11:0] f_d, f_q, wc_d, wc_q, hr_d, hr_q;
  logic [7:0] k_d, k_q, qq_d, qq_q;
  logic [3:0] hmod_d, hmod_q;     // hr % U
  logic signed [15:0] hb_d, hb_q; // row of hr = 0 in this fold
  logic [11:0] kq_d, kq_q;        // k * q
  logic [TagW-1:0] ktag_d, ktag_q;  // k * hspan

  // Stage 2
  logic s2_valid_d, s2_valid_q, s2_inside_d, s2_inside_q;
  logic [1:0] s2_lane_d, s2_lane_q;
  logic [TagW-1:0] s2_tag_d, s2_tag_q;

  logic issue, fifo_in_ready, out_valid;
  logic [$clog2(FifoDepth+1)-1:0] fifo_count;
  logic [OutW-1:0] out_data;
  logic [11:0] ch;
  logic signed [15:0] hg, wg, hrel;
  logic in_img;
  logic [31:0] addr;
  logic last_qq, last_hr, last_k, last_wc, last_f, skip_rest;
  logic [WordW-1:0] s2_word;

  assign issue = run_q && (32'(fifo_count) + 32'(s2_valid_q) < FifoDepth);
  assign busy_o = run_q || s2_valid_q || out_valid;

  always_comb begin
    ch = kq_q + 12'(qq_q);
    hg = hb_q + $signed({4'd0, hr_q});
    wg = $signed({4'd0, wc_q}) - $signed({12'd0, pad_q});
    in_img = (ch < cn_q) && (hg >= $signed({4'd0, hlo_q})) && (hg < $signed({4'd0, hhi_q})) &&
             (wg >= 0) && (wg < $signed({6'd0, w_q}));
    hrel = hg - $signed({4'd0, hlo_q});
    addr = ch_off_q + h_off_q + 32'(wg);
    last_qq = (qq_q + 8'd1 == q_q);
    // The last row of a set's span: past it, or (U > R) a gap of rows no PE reads.
    skip_rest = (32'(u_q) > 32'(r_q)) && (32'(hmod_q) + 1 == 32'(r_q));
    last_hr = (hr_q + 12'd1 >= hspan_q) ||
              (skip_rest && (hr_q + 12'(u_q) - 12'(r_q) + 12'd1 >= hspan_q));
    last_k = (k_q + 8'd1 == sets_q);
    last_wc = (wc_q + 12'd1 == row_w_q);
    last_f = (f_q + 12'd1 == folds_q);
  end

  assign buf_re_o = issue && in_img;
  assign buf_raddr_o = addr[AddrW-1:2];

  always_comb begin
    folds_d = folds_q; cols_x_u_d = cols_x_u_q; row_w_d = row_w_q; hspan_d = hspan_q;
    hlo_d = hlo_q; hhi_d = hhi_q; cn_d = cn_q; wp_d = wp_q; sets_d = sets_q; q_d = q_q;
    u_d = u_q; pad_d = pad_q; r_d = r_q; w_d = w_q; ch_stride_d = ch_stride_q;
    fold_step_d = fold_step_q; skip_step_d = skip_step_q;
    ch_off_d = ch_off_q; kq_off_d = kq_off_q; h_off_d = h_off_q; hb_off_d = hb_off_q;
    run_d = run_q; f_d = f_q; wc_d = wc_q; hr_d = hr_q; k_d = k_q; qq_d = qq_q;
    hmod_d = hmod_q; hb_d = hb_q; kq_d = kq_q; ktag_d = ktag_q;
    s2_valid_d = issue;
    s2_inside_d = in_img;
    s2_lane_d = addr[1:0];
    s2_tag_d = ktag_q + TagW'(hr_q);
    if (start_i) begin
      folds_d = folds_i; cols_x_u_d = cols_x_u_i; row_w_d = row_w_i; hspan_d = hspan_i;
      hlo_d = hlo_i; hhi_d = hhi_i; cn_d = cn_i; wp_d = wp_i; sets_d = sets_i; q_d = q_i;
      u_d = u_i; pad_d = pad_i; r_d = r_i; w_d = w_i; ch_stride_d = ch_stride_i;
      fold_step_d = fold_step_i; skip_step_d = skip_step_i;
      run_d = 1'b1; f_d = '0; wc_d = '0; hr_d = '0; k_d = '0; qq_d = '0; hmod_d = '0;
      hb_d = hbase_i; kq_d = '0; ktag_d = '0;
      ch_off_d = '0; kq_off_d = '0;
      h_off_d = {{8{hb_off_i[23]}}, hb_off_i};
      hb_off_d = {{8{hb_off_i[23]}}, hb_off_i};
    end else if (issue) begin
      qq_d = qq_q + 8'd1;
      ch_off_d = ch_off_q + 32'(ch_stride_q);
      if (last_qq) begin
        qq_d = '0;
        ch_off_d = kq_off_q;
        if (skip_rest) begin
          hr_d = hr_q + 12'(u_q) - 12'(r_q) + 12'd1;
          hmod_d = '0;
          h_off_d = h_off_q + 32'(skip_step_q);
        end else begin
          hr_d = hr_q + 12'd1;
          hmod_d = (hmod_q + 4'd1 == u_q) ? 4'd0 : hmod_q + 4'd1;
          h_off_d = h_off_q + 32'(wp_q);
        end
        if (last_hr) begin
          hr_d = '0;
          hmod_d = '0;
          h_off_d = hb_off_q;
          k_d = k_q + 8'd1;
          kq_d = kq_q + 12'(q_q);
          ktag_d = ktag_q + TagW'(hspan_q);
          // The next set's first channel: (k + 1)*q = (k*q + q - 1) + 1.
          kq_off_d = ch_off_q + 32'(ch_stride_q);
          ch_off_d = ch_off_q + 32'(ch_stride_q);
          if (last_k) begin
            k_d = '0;
            kq_d = '0;
            ktag_d = '0;
            kq_off_d = '0;
            ch_off_d = '0;
            wc_d = wc_q + 12'd1;
            if (last_wc) begin
              wc_d = '0;
              f_d = f_q + 12'd1;
              hb_d = hb_q + $signed({4'd0, cols_x_u_q});
              hb_off_d = hb_off_q + 32'(fold_step_q);
              h_off_d = hb_off_q + 32'(fold_step_q);
              if (last_f) begin
                run_d = 1'b0;
              end
            end
          end
        end
      end
    end
  end

  // Stage 2: the word out of the returned line, or zero padding.
  assign s2_word = s2_inside_q ? buf_rdata_i[s2_lane_q*WordW +: WordW] : '0;

  rsnpu_fifo #(
    .Depth(FifoDepth),
    .DataW(OutW)
  ) u_out (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (s2_valid_q),
    .in_ready_o (fifo_in_ready),
    .in_data_i  ({s2_tag_q, s2_word}),
    .out_valid_o(out_valid),
    .out_ready_i(ifm_ready_i),
    .out_data_o (out_data),
    .count_o    (fifo_count)
  );

  assign ifm_valid_o = out_valid;
  assign ifm_tag_o = out_data[OutW-1:WordW];
  assign ifm_data_o = out_data[WordW-1:0];

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      folds_q <= 12'd1; cols_x_u_q <= '0; row_w_q <= 12'd1; hspan_q <= 12'd1;
      hlo_q <= '0; hhi_q <= '0; cn_q <= '0; wp_q <= '0; sets_q <= 8'd1; q_q <= 8'd1;
      u_q <= 4'd1; pad_q <= '0; r_q <= 5'd1; w_q <= '0; ch_stride_q <= '0;
      fold_step_q <= '0; skip_step_q <= '0;
      ch_off_q <= '0; kq_off_q <= '0; h_off_q <= '0; hb_off_q <= '0;
      run_q <= 1'b0; f_q <= '0; wc_q <= '0; hr_q <= '0; k_q <= '0; qq_q <= '0;
      hmod_q <= '0; hb_q <= '0; kq_q <= '0; ktag_q <= '0;
      s2_valid_q <= 1'b0; s2_inside_q <= 1'b0; s2_lane_q <= '0; s2_tag_q <= '0;
    end else begin
      folds_q <= folds_d; cols_x_u_q <= cols_x_u_d; row_w_q <= row_w_d; hspan_q <= hspan_d;
      hlo_q <= hlo_d; hhi_q <= hhi_d; cn_q <= cn_d; wp_q <= wp_d; sets_q <= sets_d;
      q_q <= q_d; u_q <= u_d; pad_q <= pad_d; r_q <= r_d; w_q <= w_d;
      ch_stride_q <= ch_stride_d;
      fold_step_q <= fold_step_d; skip_step_q <= skip_step_d;
      ch_off_q <= ch_off_d; kq_off_q <= kq_off_d; h_off_q <= h_off_d; hb_off_q <= hb_off_d;
      run_q <= run_d; f_q <= f_d; wc_q <= wc_d; hr_q <= hr_d; k_q <= k_d; qq_q <= qq_d;
      hmod_q <= hmod_d; hb_q <= hb_d; kq_q <= kq_d; ktag_q <= ktag_d;
      s2_valid_q <= s2_valid_d; s2_inside_q <= s2_inside_d; s2_lane_q <= s2_lane_d;
      s2_tag_q <= s2_tag_d;
    end
  end

  // -------------------------------------------------------------------------------------
  // Assertions
  // -------------------------------------------------------------------------------------
  always_ff @(posedge clk_i) begin
    if (rst_ni && s2_valid_q) assert (fifo_in_ready);
    if (rst_ni && start_i) assert (!busy_o);
    if (rst_ni && buf_re_o) assert (addr < rsnpu_pkg::GlbIfmapWords);
    // The running sums reach the address of the loop nest (multiplies for the check only).
    if (rst_ni && run_q && in_img) begin
      assert (addr == 32'(ch) * 32'(ch_stride_q) + 32'(hrel) * 32'(wp_q) + 32'(wg));
    end
    if (rst_ni && $past(rst_ni) && $past(ifm_valid_o && !ifm_ready_i)) begin
      assert (ifm_valid_o && ifm_tag_o == $past(ifm_tag_o) && ifm_data_o == $past(ifm_data_o));
    end
  end

endmodule
