// Requantization of accumulators to output words (docs/numerics.md section 3): add half an
// LSB of the result one bit wider than the accumulator, shift right arithmetically by the
// layer's shift (round half up), saturate to INT16 or INT8, then optional ReLU. INT8 results
// are sign-extended to the 16-bit word. One word per cycle; the output is registered in a
// two-entry FIFO, so in_ready_o never depends combinationally on out_ready_i.
module rsnpu_requant (
  input  logic                             clk_i,
  input  logic                             rst_ni,

  // Layer parameters, stable while words flow
  input  logic [rsnpu_pkg::RqShiftW-1:0]   cfg_shift_i,   // 0 .. AccW-1
  input  rsnpu_pkg::prec_e                 cfg_prec_i,
  input  logic                             cfg_relu_i,

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

  logic signed [SumW-1:0] half, sum, shifted, max_v, min_v;
  rsnpu_pkg::word_t word;

  always_comb begin
    // Half an output LSB, 2^(shift-1); none for shift 0.
    half = '0;
    if (cfg_shift_i != '0) begin
      half = SumW'(1) << (cfg_shift_i - 1'b1);
    end
    sum = $signed({in_data_i[AccW-1], in_data_i}) + half;  // one bit wider: never wraps
    shifted = sum >>> cfg_shift_i;
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

  rsnpu_fifo #(
    .Depth(2),
    .DataW(WordW)
  ) u_out (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (in_valid_i),
    .in_ready_o (in_ready_o),
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
      if (in_valid_i && cfg_prec_i == rsnpu_pkg::PrecInt8) begin
        assert (word[WordW-1:7] == '0 || word[WordW-1:7] == '1);
      end
    end
    if (rst_ni && $past(rst_ni) && $past(in_valid_i) && !$past(in_ready_o)) begin
      assert (in_valid_i && in_data_i == $past(in_data_i));
    end
  end

endmodule
