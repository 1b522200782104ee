// Formal harness of rsnpu_fifo: free inputs, reset in the first cycle. The FIFO's own
// assertions are the properties (proved by BMC from reset and by k-induction).
module fifo_formal #(
  parameter int unsigned Depth = 5
) (
  input logic        clk_i,
  input logic        rst_ni,
  input logic        in_valid_i,
  input logic [7:0]  in_data_i,
  input logic        out_ready_i
);
  logic in_ready, out_valid;
  logic [7:0] out_data;
  logic [$clog2(Depth+1)-1:0] count;
  logic init_q = 1'b1;

  always_ff @(posedge clk_i) init_q <= 1'b0;
  always_comb if (init_q) assume (!rst_ni);

  rsnpu_fifo #(
    .Depth(Depth),
    .DataW(8)
  ) u_dut (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (in_valid_i),
    .in_ready_o (in_ready),
    .in_data_i  (in_data_i),
    .out_valid_o(out_valid),
    .out_ready_i(out_ready_i),
    .out_data_o (out_data),
    .count_o    (count)
  );
endmodule
