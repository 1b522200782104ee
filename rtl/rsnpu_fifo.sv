// Register-based FIFO with valid/ready on both sides. Depth need not be a power of two.
// in_ready_o depends only on the FIFO state (never combinationally on out_ready_i), so
// chains of FIFOs have no combinational ready path.
module rsnpu_fifo #(
  parameter int unsigned Depth = 2,
  parameter int unsigned DataW = 16,
  localparam int unsigned PtrW = (Depth > 1) ? $clog2(Depth) : 1,
  localparam int unsigned CountW = $clog2(Depth + 1)
) (
  input  logic              clk_i,
  input  logic              rst_ni,
  input  logic              in_valid_i,
  output logic              in_ready_o,
  input  logic [DataW-1:0]  in_data_i,
  output logic              out_valid_o,
  input  logic              out_ready_i,
  output logic [DataW-1:0]  out_data_o,
  output logic [CountW-1:0] count_o
);

  localparam logic [PtrW-1:0] LastPtr = PtrW'(Depth - 1);

  logic [DataW-1:0] mem_q [Depth];
  logic [PtrW-1:0] wr_ptr_d, wr_ptr_q, rd_ptr_d, rd_ptr_q;
  logic [CountW-1:0] count_d, count_q;
  logic push, pop;

  assign in_ready_o = (count_q != CountW'(Depth));
  assign out_valid_o = (count_q != '0);
  assign out_data_o = mem_q[rd_ptr_q];
  assign count_o = count_q;
  assign push = in_valid_i && in_ready_o;
  assign pop = out_valid_o && out_ready_i;

  always_comb begin
    wr_ptr_d = wr_ptr_q;
    rd_ptr_d = rd_ptr_q;
    count_d = count_q;
    if (push) begin
      wr_ptr_d = (wr_ptr_q == LastPtr) ? '0 : wr_ptr_q + 1'b1;
    end
    if (pop) begin
      rd_ptr_d = (rd_ptr_q == LastPtr) ? '0 : rd_ptr_q + 1'b1;
    end
    if (push && !pop) begin
      count_d = count_q + 1'b1;
    end else if (pop && !push) begin
      count_d = count_q - 1'b1;
    end
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      wr_ptr_q <= '0;
      rd_ptr_q <= '0;
      count_q <= '0;
    end else begin
      wr_ptr_q <= wr_ptr_d;
      rd_ptr_q <= rd_ptr_d;
      count_q <= count_d;
    end
  end

  always_ff @(posedge clk_i) begin
    if (push) begin
      mem_q[wr_ptr_q] <= in_data_i;
    end
  end

  // -------------------------------------------------------------------------------------
  // Assertions
  // -------------------------------------------------------------------------------------
  // Invariant: the write pointer is the read pointer plus the count, modulo Depth (also what
  // makes the assertions provable by induction, see synth/formal/).
  logic [PtrW:0] rd_plus_count, wr_expected;
  assign rd_plus_count = (PtrW + 1)'(rd_ptr_q) + (PtrW + 1)'(count_q);
  assign wr_expected = (32'(rd_plus_count) >= Depth) ? rd_plus_count - (PtrW + 1)'(Depth)
                                                      : rd_plus_count;

  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      assert (32'(count_q) <= Depth);
      assert (32'(rd_ptr_q) < Depth && 32'(wr_ptr_q) < Depth);
      assert ((PtrW + 1)'(wr_ptr_q) == wr_expected);
    end
    // Output data holds while valid and not ready.
    if (rst_ni && $past(rst_ni) && $past(out_valid_o) && !$past(out_ready_i)) begin
      assert (out_valid_o && (out_data_o == $past(out_data_o)));
    end
  end

endmodule
