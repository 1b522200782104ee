// Requantization of accumulators to output words (docs/numerics.md section 3): add half an
// LSB of the result one bit wider than the accumulator, shift right arithmetically by the
// layer's shift (round half up), saturate to INT16 or INT8, then optional ReLU. INT8 results
// are sign-extended to the 16-bit word. One word per cycle, two cycles of latency; the output
// is registered in a two-entry FIFO, so in_ready_o never depends combinationally on
// out_ready_i.
module rsnpu_requant (
  input  logic                             clk_i,
  input  logic                             rst_ni,

  // Layer parameters, stable while words flow
  input  logic [rsnpu_pkg::RqShiftW-1:0]   cfg_shift_i,   // 0 .. AccW-1
  input  rsnpu_pkg::prec_e                 cfg_prec_i,
  input  logic                             cfg_relu_i,

  input  logic                             flush_i,   // drop the word in stage 1
  output logic                             busy_o,    // a word in stage 1 or in the FIFO

  input  logic                             in_valid_i,
  output logic                             in_ready_o,
  input  rsnpu_pkg::acc_t                  in_data_i,

  output logic                             out_valid_o,
  input  logic                             out_ready_i,
  output rsnpu_pkg::word_t                 out_data_o
);

  localparam int unsigned AccW = rsnpu_pkg::AccW;
  localparam int unsigned WordW = rsnpu_pkg::WordW;
  localparam int unsigned SumW = AccW + 1;

  // Two stages (one cycle for the shift, the rounding and the saturation did not fit the
  // clock). Round half up as floor((x + 2^(s-1)) / 2^s) = (x >>> s) + x[s-1] for s > 0:
  // stage 1 shifts and picks the rounding bit, stage 2 adds it and saturates.
  logic signed [AccW-1:0] quot, s1_quot_d, s1_quot_q;
  logic round, s1_round_d, s1_round_q, s1_valid_d, s1_valid_q, s1_ready;
  logic signed [SumW-1:0] shifted, max_v, min_v;
  rsnpu_pkg::word_t word;
  logic fifo_ready;

  // Stage 1 register: takes a word when empty or when its word moves on into the FIFO.
  assign s1_ready = !s1_valid_q || fifo_ready;
  assign in_ready_o = s1_ready;

  always_comb begin
    quot = $signed(in_data_i) >>> cfg_shift_i;
    round = 1'b0;
    if (cfg_shift_i != '0) begin
      round = in_data_i[cfg_shift_i - 1'b1];
    end
    s1_valid_d = s1_ready ? in_valid_i : s1_valid_q;
    if (flush_i) begin
      s1_valid_d = 1'b0;
    end
    s1_quot_d = s1_quot_q;
    s1_round_d = s1_round_q;
    if (s1_ready && in_valid_i) begin
      s1_quot_d = quot;
      s1_round_d = round;
    end
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      s1_valid_q <= 1'b0;
      s1_quot_q <= '0;
      s1_round_q <= 1'b0;
    end else begin
      s1_valid_q <= s1_valid_d;
      s1_quot_q <= s1_quot_d;
      s1_round_q <= s1_round_d;
    end
  end

  always_comb begin
    // One bit wider than the accumulator: the rounding increment never wraps.
    shifted = $signed({s1_quot_q[AccW-1], s1_quot_q})
              + $signed({{(SumW - 1){1'b0}}, s1_round_q});
    if (cfg_prec_i == rsnpu_pkg::PrecInt8) begin
      max_v = SumW'(127);
      min_v = SumW'(-128);
    end else begin
      max_v = SumW'(32767);
      min_v = SumW'(-32768);
    end
    if (shifted > max_v) begin
      word = WordW'(max_v);
    end else if (shifted < min_v) begin
      word = WordW'(min_v);
    end else begin
      word = shifted[WordW-1:0];
    end
    if (cfg_relu_i && word[WordW-1]) begin
      word = '0;
    end
  end

  logic [1:0] out_count;

  assign busy_o = s1_valid_q || out_valid_o;

  rsnpu_fifo #(
    .Depth(2),
    .DataW(WordW)
  ) u_out (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (s1_valid_q),
    .in_ready_o (fifo_ready),
    .in_data_i  (word),
    .out_valid_o(out_valid_o),
    .out_ready_i(out_ready_i),
    .out_data_o (out_data_o),
    .count_o    (out_count)
  );

  // -------------------------------------------------------------------------------------
  // Assertions
  // -------------------------------------------------------------------------------------
  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      assert (32'(cfg_shift_i) < AccW);
      assert (out_count <= 2'd2);
      // Results are in range for the precision (INT8: sign-extended).
      if (s1_valid_q && cfg_prec_i == rsnpu_pkg::PrecInt8) begin
        assert (word[WordW-1:7] == '0 || word[WordW-1:7] == '1);
      end
    end
    if (rst_ni && $past(rst_ni) && $past(in_valid_i) && !$past(in_ready_o) && !flush_i) begin
      assert (in_valid_i && in_data_i == $past(in_data_i));
    end
  end

endmodule
