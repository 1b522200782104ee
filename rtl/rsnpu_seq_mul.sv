// Sequential shift-and-add multiplier for the layer controller's descriptor arithmetic. It
// retires one bit of the multiplier b per cycle (a product takes b's bit length plus two
// cycles), so no wide combinational multiplier sits between two registers: one ProdW-bit add
// per cycle. A product that does not fit ProdW bits saturates to all ones; the controller
// only compares such values against limits far below 2^ProdW, so the verdict is the exact
// product's.
module rsnpu_seq_mul #(
  parameter int unsigned ProdW = 48,  // product (and multiplicand) width
  parameter int unsigned BW = 16      // multiplier width
) (
  input  logic             clk_i,
  input  logic             rst_ni,

  input  logic             start_i,   // loads a_i and b_i when idle (busy_o low)
  input  logic [ProdW-1:0] a_i,
  input  logic [BW-1:0]    b_i,
  output logic             busy_o,
  output logic             done_o,    // one cycle: prod_o is a_i * b_i (saturated)
  output logic [ProdW-1:0] prod_o
);

  logic busy_d, busy_q, ovf_d, ovf_q;
  logic [ProdW-1:0] a_d, a_q, acc_d, acc_q;
  logic [BW-1:0] b_d, b_q;
  logic [ProdW:0] sum;

  always_comb begin
    busy_d = busy_q;
    ovf_d = ovf_q;
    a_d = a_q;
    b_d = b_q;
    acc_d = acc_q;
    sum = {1'b0, acc_q} + {1'b0, a_q};
    if (!busy_q) begin
      if (start_i) begin
        busy_d = 1'b1;
        ovf_d = 1'b0;
        a_d = a_i;
        b_d = b_i;
        acc_d = '0;
      end
    end else if (b_q == '0) begin
      busy_d = 1'b0;
    end else begin
      if (b_q[0]) begin
        // ovf_q: the shifted multiplicand has lost a bit, so it is at least 2^ProdW.
        acc_d = (ovf_q || sum[ProdW]) ? {ProdW{1'b1}} : sum[ProdW-1:0];
      end
      ovf_d = ovf_q || a_q[ProdW-1];
      a_d = a_q << 1;
      b_d = b_q >> 1;
    end
  end

  assign busy_o = busy_q;
  assign done_o = busy_q && (b_q == '0);
  assign prod_o = acc_q;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      busy_q <= 1'b0;
      ovf_q <= 1'b0;
      a_q <= '0;
      b_q <= '0;
      acc_q <= '0;
    end else begin
      busy_q <= busy_d;
      ovf_q <= ovf_d;
      a_q <= a_d;
      b_q <= b_d;
      acc_q <= acc_d;
    end
  end

  // -------------------------------------------------------------------------------------
  // Assertions
  // -------------------------------------------------------------------------------------
  always_ff @(posedge clk_i) begin
    // The controller starts a product only when the unit is idle.
    if (rst_ni && start_i) assert (!busy_q);
  end

endmodule
