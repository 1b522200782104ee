// Activity counters: NumCtrs saturating counters of CntW bits. clear_i zeroes all of them
// (a clear wins over the increments of the same cycle); while count_i is high, counter k adds
// inc_i[k] every cycle. The increments pass through one register first (no event logic and
// counter adder in the same cycle), so a counter shows a cycle's events one cycle later.
// sel_i chooses the counter on value_o (an index outside the bank reads 0). Which event feeds which counter is the instantiating module's business (rsnpu_top:
// perf_ctr_e in rsnpu_pkg).
module rsnpu_perf_ctrs #(
  parameter int unsigned NumCtrs = 4,
  parameter int unsigned CntW    = 48,
  parameter int unsigned IncW    = 16,
  parameter int unsigned SelW    = 6
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     clear_i,
  input  logic                     count_i,
  input  logic [NumCtrs*IncW-1:0]  inc_i,    // counter k at [k*IncW +: IncW]
  input  logic [SelW-1:0]          sel_i,
  output logic [CntW-1:0]          value_o
);

  logic [CntW-1:0] cnt_d [NumCtrs];
  logic [CntW-1:0] cnt_q [NumCtrs];
  // Staged increments: this cycle's, or none outside counting and in a clear.
  logic [NumCtrs*IncW-1:0] inc_d, inc_q;
  logic count_d, count_q;

  assign count_d = count_i && !clear_i;
  assign inc_d = count_d ? inc_i : '0;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      count_q <= 1'b0;
      inc_q <= '0;
    end else begin
      count_q <= count_d;
      inc_q <= inc_d;
    end
  end

  for (genvar k = 0; k < NumCtrs; k++) begin : gen_ctr
    logic [CntW:0] sum;
    assign sum = {1'b0, cnt_q[k]} + (CntW + 1)'(inc_q[k*IncW +: IncW]);

    always_comb begin
      cnt_d[k] = cnt_q[k];
      if (clear_i) begin
        cnt_d[k] = '0;
      end else if (count_q) begin
        // Saturate rather than wrap: a wrapped counter would read as a small, plausible value.
        cnt_d[k] = sum[CntW] ? '1 : sum[CntW-1:0];
      end
    end

    always_ff @(posedge clk_i) begin
      if (!rst_ni) begin
        cnt_q[k] <= '0;
      end else begin
        cnt_q[k] <= cnt_d[k];
      end
    end
  end

  always_comb begin
    value_o = '0;
    for (int unsigned k = 0; k < NumCtrs; k++) begin
      if (sel_i == SelW'(k)) value_o = cnt_q[k];
    end
  end

  // -------------------------------------------------------------------------------------
  // Assertions
  // -------------------------------------------------------------------------------------
  for (genvar k = 0; k < NumCtrs; k++) begin : gen_chk
    // A counter never decreases except when cleared, and moves only while counting.
    always_ff @(posedge clk_i) begin
      if (rst_ni && !clear_i) assert (cnt_d[k] >= cnt_q[k]);
      if (rst_ni && !clear_i && !count_q) assert (cnt_d[k] == cnt_q[k]);
    end
  end

endmodule
