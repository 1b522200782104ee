// Output stage of one strip: reads the strip's accumulators from the psum buffer, max-pools
// them (pk x pk windows, stride ps; pk = ps = 1 without pooling), requantizes (shift,
// round, saturate, ReLU: rsnpu_requant) and packs four words per 64-bit beat for the DMA.
//
//   for m < mn, po < prow, x < wp_out, i < pk, j < pk:
//     acc[(po*ps + i)][x*ps + j][m]   (psum buffer entry ((po*ps+i)*F + x*ps+j)*p + m)
//   x >= wo: a zero padding word, no reads.
// The buffer address advances by adds only (p per j, F*p per i, ps*p per x, ps*F*p per po,
// 1 per m); the two small products are formed once at the start.
// Requantization is monotonic, so the maximum of the accumulators gives the same word as
// the maximum of the requantized words (docs/accelerator.md).
module rsnpu_writeback (
  input  logic                                  clk_i,
  input  logic                                  rst_ni,

  input  logic                                  start_i,
  input  logic                                  flush_i,   // abandon the job (layer abort)
  input  logic [7:0]                            mn_i,      // filters to write
  input  logic [7:0]                            p_i,       // filters per psum entry row
  input  logic [11:0]                           prow_i,    // output rows
  input  logic [9:0]                            f_i,       // accumulator columns F
  input  logic [19:0]                           fp_i,      // F * p
  input  logic [9:0]                            wo_i,      // output columns
  input  logic [11:0]                           wp_i,      // words per output row
  input  logic [2:0]                            pk_i,
  input  logic [2:0]                            ps_i,
  input  logic [rsnpu_pkg::RqShiftW-1:0]        shift_i,
  input  rsnpu_pkg::prec_e                      prec_i,
  input  logic                                  relu_i,
  output logic                                  busy_o,

  output logic                                  buf_re_o,
  output logic [rsnpu_pkg::GlbPsumAddrW-1:0]    buf_raddr_o,
  input  rsnpu_pkg::acc_t                       buf_rdata_i,

  output logic                                  beat_valid_o,
  input  logic                                  beat_ready_i,
  output logic [rsnpu_pkg::AxiDataW-1:0]        beat_data_o
);

  localparam int unsigned AccW = rsnpu_pkg::AccW;
  localparam int unsigned WordW = rsnpu_pkg::WordW;
  localparam int unsigned AddrW = rsnpu_pkg::GlbPsumAddrW;
  localparam int unsigned BeatW = rsnpu_pkg::AxiDataW;

  logic [7:0] mn_q, p_q, mn_d, p_d;
  logic [11:0] prow_q, wp_q, prow_d, wp_d;
  logic [9:0] f_q, wo_q, f_d, wo_d;
  logic [2:0] pk_q, ps_q, pk_d, ps_d;
  logic [rsnpu_pkg::RqShiftW-1:0] shift_q, shift_d;
  rsnpu_pkg::prec_e prec_q, prec_d;
  logic relu_q, relu_d;

  logic run_d, run_q;
  logic [7:0] m_d, m_q;
  logic [11:0] po_d, po_q, x_d, x_q;
  logic [2:0] i_d, i_q, j_d, j_q;

  // Stage 2: the buffer word of the read issued last cycle
  logic s2_valid_d, s2_valid_q, s2_first_d, s2_first_q, s2_last_d, s2_last_q;
  logic s2_pad_d, s2_pad_q;
  logic signed [AccW-1:0] max_d, max_q, value, window_max;

  logic pad, last_i, last_j, last_x, last_po, last_m, stall, issue;
  logic rq_in_valid, rq_in_ready, rq_out_valid, rq_out_ready, rq_busy;
  rsnpu_pkg::word_t rq_word;
  logic [1:0] lane_d, lane_q;
  logic [BeatW-WordW-1:0] pack_d, pack_q;
  logic fifo_in_ready, fifo_in_valid, fifo_out_valid;
  logic [$clog2(3)-1:0] fifo_count;
  logic [31:0] fp_q, fp_d, psp_q, psp_d, psfp_q, psfp_d;  // F*p, ps*p, ps*F*p
  // Buffer addresses: the current read, and the bases of its i (j = 0), x (i = j = 0) and po
  // (x = i = j = 0) loops.
  logic [31:0] a_d, a_q, ib_d, ib_q, xb_d, xb_q, pb_d, pb_q;
  logic [31:0] row, col;

  assign pad = (x_q >= 12'(wo_q));
  assign last_j = (j_q + 3'd1 == pk_q) || pad;
  assign last_i = (i_q + 3'd1 == pk_q) || pad;
  assign last_x = (x_q + 12'd1 == wp_q);
  assign last_po = (po_q + 12'd1 == prow_q);
  assign last_m = (m_q + 8'd1 == mn_q);

  // Stage 2 cannot hand its window's maximum to the requantizer: hold everything (the
  // buffer keeps its read data while no new read is issued).
  assign value = s2_pad_q ? '0 : $signed(buf_rdata_i);
  assign window_max = (s2_first_q || value > max_q) ? value : max_q;
  assign rq_in_valid = s2_valid_q && s2_last_q;
  assign stall = rq_in_valid && !rq_in_ready;
  assign issue = run_q && !stall && !flush_i;

  assign buf_re_o = issue && !pad;
  assign buf_raddr_o = AddrW'(a_q);
  assign row = 32'(po_q) * 32'(ps_q) + 32'(i_q);  // for the address assertion only
  assign col = 32'(x_q) * 32'(ps_q) + 32'(j_q);

  always_comb begin
    mn_d = mn_q; p_d = p_q; prow_d = prow_q; wp_d = wp_q; f_d = f_q; wo_d = wo_q;
    pk_d = pk_q; ps_d = ps_q; shift_d = shift_q; prec_d = prec_q; relu_d = relu_q;
    run_d = run_q; m_d = m_q; po_d = po_q; x_d = x_q; i_d = i_q; j_d = j_q;
    fp_d = fp_q; psp_d = psp_q; psfp_d = psfp_q;
    a_d = a_q; ib_d = ib_q; xb_d = xb_q; pb_d = pb_q;
    s2_valid_d = s2_valid_q; s2_first_d = s2_first_q; s2_last_d = s2_last_q;
    s2_pad_d = s2_pad_q;
    max_d = max_q;
    if (!stall) begin
      s2_valid_d = issue;
      s2_first_d = (i_q == '0) && (j_q == '0);
      s2_last_d = last_i && last_j;
      s2_pad_d = pad;
      if (s2_valid_q) begin
        max_d = window_max;
      end
    end
    if (start_i) begin
      mn_d = mn_i; p_d = p_i; prow_d = prow_i; wp_d = wp_i; f_d = f_i; wo_d = wo_i;
      pk_d = pk_i; ps_d = ps_i; shift_d = shift_i; prec_d = prec_i; relu_d = relu_i;
      run_d = 1'b1; m_d = '0; po_d = '0; x_d = '0; i_d = '0; j_d = '0;
      // ps <= 7: at most three shifted terms each.
      fp_d = 32'(fp_i);
      psp_d = (ps_i[0] ? 32'(p_i) : '0) + (ps_i[1] ? 32'(p_i) << 1 : '0) +
              (ps_i[2] ? 32'(p_i) << 2 : '0);
      psfp_d = (ps_i[0] ? 32'(fp_i) : '0) + (ps_i[1] ? 32'(fp_i) << 1 : '0) +
               (ps_i[2] ? 32'(fp_i) << 2 : '0);
      a_d = '0; ib_d = '0; xb_d = '0; pb_d = '0;
    end else if (flush_i) begin
      run_d = 1'b0;
      s2_valid_d = 1'b0;
    end else if (issue) begin
      j_d = j_q + 3'd1;
      a_d = a_q + 32'(p_q);
      if (last_j) begin
        j_d = '0;
        i_d = i_q + 3'd1;
        ib_d = ib_q + fp_q;
        a_d = ib_q + fp_q;
        if (last_i) begin
          i_d = '0;
          x_d = x_q + 12'd1;
          xb_d = xb_q + psp_q;
          ib_d = xb_q + psp_q;
          a_d = xb_q + psp_q;
          if (last_x) begin
            x_d = '0;
            po_d = po_q + 12'd1;
            pb_d = pb_q + psfp_q;
            xb_d = pb_q + psfp_q;
            ib_d = pb_q + psfp_q;
            a_d = pb_q + psfp_q;
            if (last_po) begin
              po_d = '0;
              m_d = m_q + 8'd1;
              pb_d = 32'(m_q) + 32'd1;
              xb_d = 32'(m_q) + 32'd1;
              ib_d = 32'(m_q) + 32'd1;
              a_d = 32'(m_q) + 32'd1;
              if (last_m) begin
                run_d = 1'b0;
              end
            end
          end
        end
      end
    end
  end

  rsnpu_requant u_requant (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .cfg_shift_i(shift_q),
    .cfg_prec_i (prec_q),
    .cfg_relu_i (relu_q),
    .flush_i    (flush_i),
    .busy_o     (rq_busy),
    .in_valid_i (rq_in_valid && !flush_i),
    .in_ready_o (rq_in_ready),
    .in_data_i  (window_max),
    .out_valid_o(rq_out_valid),
    .out_ready_i(rq_out_ready),
    .out_data_o (rq_word)
  );

  // Packer: words 0..2 of a beat wait in pack_q; word 3 completes the beat.
  assign fifo_in_valid = rq_out_valid && (lane_q == 2'd3) && !flush_i;
  assign rq_out_ready = flush_i || (lane_q != 2'd3) || fifo_in_ready;

  always_comb begin
    lane_d = lane_q;
    pack_d = pack_q;
    if (flush_i || start_i) begin
      lane_d = '0;
    end else if (rq_out_valid && rq_out_ready) begin
      lane_d = lane_q + 2'd1;
      pack_d[32'(lane_q)*WordW +: WordW] = rq_word;
    end
  end

  rsnpu_fifo #(
    .Depth(2),
    .DataW(BeatW)
  ) u_beats (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (fifo_in_valid),
    .in_ready_o (fifo_in_ready),
    .in_data_i  ({rq_word, pack_q}),
    .out_valid_o(fifo_out_valid),
    .out_ready_i(beat_ready_i || flush_i),
    .out_data_o (beat_data_o),
    .count_o    (fifo_count)
  );

  assign beat_valid_o = fifo_out_valid && !flush_i;
  assign busy_o = run_q || s2_valid_q || rq_busy || (lane_q != '0) || fifo_out_valid;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      mn_q <= 8'd1; p_q <= 8'd1; prow_q <= 12'd1; wp_q <= 12'd4; f_q <= 10'd1; wo_q <= 10'd1;
      pk_q <= 3'd1; ps_q <= 3'd1; shift_q <= '0; prec_q <= rsnpu_pkg::PrecInt16;
      relu_q <= 1'b0;
      run_q <= 1'b0; m_q <= '0; po_q <= '0; x_q <= '0; i_q <= '0; j_q <= '0;
      fp_q <= '0; psp_q <= '0; psfp_q <= '0;
      a_q <= '0; ib_q <= '0; xb_q <= '0; pb_q <= '0;
      s2_valid_q <= 1'b0; s2_first_q <= 1'b0; s2_last_q <= 1'b0; s2_pad_q <= 1'b0;
      max_q <= '0;
      lane_q <= '0;
      pack_q <= '0;
    end else begin
      mn_q <= mn_d; p_q <= p_d; prow_q <= prow_d; wp_q <= wp_d; f_q <= f_d; wo_q <= wo_d;
      pk_q <= pk_d; ps_q <= ps_d; shift_q <= shift_d; prec_q <= prec_d; relu_q <= relu_d;
      run_q <= run_d; m_q <= m_d; po_q <= po_d; x_q <= x_d; i_q <= i_d; j_q <= j_d;
      fp_q <= fp_d; psp_q <= psp_d; psfp_q <= psfp_d;
      a_q <= a_d; ib_q <= ib_d; xb_q <= xb_d; pb_q <= pb_d;
      s2_valid_q <= s2_valid_d; s2_first_q <= s2_first_d; s2_last_q <= s2_last_d;
      s2_pad_q <= s2_pad_d;
      max_q <= max_d;
      lane_q <= lane_d;
      pack_q <= pack_d;
    end
  end

  // -------------------------------------------------------------------------------------
  // Assertions
  // -------------------------------------------------------------------------------------
  always_ff @(posedge clk_i) begin
    if (rst_ni && start_i) assert (!busy_o);
    if (rst_ni) assert (32'(fifo_count) <= 2);
    if (rst_ni && buf_re_o) assert (32'(buf_raddr_o) < rsnpu_pkg::GlbPsumWords);
    // The address the adds reach is the entry of the loop nest (the multiplies exist only
    // here, for the check).
    if (rst_ni && run_q && !pad) assert (a_q == (row * 32'(f_q) + col) * 32'(p_q) + 32'(m_q));
    if (rst_ni && $past(rst_ni) && $past(beat_valid_o && !beat_ready_i) && !$past(flush_i)) begin
      assert (beat_valid_o && beat_data_o == $past(beat_data_o));
    end
  end

endmodule
