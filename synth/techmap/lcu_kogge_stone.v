// Kogge-Stone carry lookahead for Yosys' $lcu cell (the carry chain of every $alu: adders,
// subtractors, comparators, counters). Yosys 0.23's own map (_90_lcu in techmap.v) is a
// ripple chain, which ABC does not restructure: a 32-bit add took about 4.5 ns on the OSU
// 0.18 um cells. The _80_ prefix gives this map priority over _90_lcu when both are given
// to `techmap` (synth/synth.sh). Carry out of bit i:
//   CO[i] = G[i] | P[i] & CO[i-1],  CO[-1] = CI,
// computed as a parallel prefix over (g, p) pairs in log2(WIDTH) levels:
//   (g_hi, p_hi) o (g_lo, p_lo) = (g_hi | p_hi & g_lo, p_hi & p_lo).
(* techmap_celltype = "$lcu" *)
module _80_lcu_kogge_stone (P, G, CI, CO);
  parameter WIDTH = 2;

  (* force_downto *)
  input [WIDTH-1:0] P, G;
  input CI;
  (* force_downto *)
  output [WIDTH-1:0] CO;

  integer i, k;
  (* force_downto *)
  reg [WIDTH-1:0] g, p;

  always @* begin
    g = G;
    p = P;
    g[0] = G[0] | (P[0] & CI);
    // Level k combines each bit with the one k below it; going down from the top bit keeps
    // g[i-k], p[i-k] at their values of the previous level.
    for (k = 1; k < WIDTH; k = k * 2) begin
      for (i = WIDTH - 1; i >= k; i = i - 1) begin
        g[i] = g[i] | (p[i] & g[i - k]);
        p[i] = p[i] & p[i - k];
      end
    end
  end

  assign CO = g;
endmodule
