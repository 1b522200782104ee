// Residual loader: preloads one filter's residual rows into the psum buffer before the first
// channel tile of a strip, so that the pass adds its products to them (docs/accelerator.md,
// "Residual"). The DMA delivers the filter's rows [e0, e0 + es) in DRAM order, wp words per
// row (4 words per 64-bit beat); word x of strip row e_rel goes to psum entry
// (e_rel*F + x)*p + mm as (sign-extended word << shift) + bias, words x >= F (row padding)
// are dropped. One word per cycle: a beat is held for 4 cycles (beat_ready_o back-pressures
// the DMA).
module rsnpu_res_loader (
  input  logic                                clk_i,
  input  logic                                rst_ni,

  input  logic                                start_i,  // a new filter's rows begin
  input  logic [7:0]                          mm_i,     // filter within the tile
  input  logic [7:0]                          p_i,      // filters per tile (entry stride)
  input  logic [9:0]                          f_i,      // words per row kept (F)
  input  logic [11:0]                         wp_i,     // words per row in DRAM
  input  logic [19:0]                         fp_i,     // F * p: entries per strip row
  input  logic [4:0]                          shift_i,
  input  rsnpu_pkg::acc_t                     bias_i,   // the filter's bias (0 without)
  output logic                                busy_o,

  input  logic                                beat_valid_i,
  output logic                                beat_ready_o,
  input  logic [rsnpu_pkg::AxiDataW-1:0]      beat_data_i,

  output logic                                buf_we_o,
  output logic [rsnpu_pkg::GlbPsumAddrW-1:0]  buf_waddr_o,
  output rsnpu_pkg::acc_t                     buf_wdata_o
);

  localparam int unsigned AddrW = rsnpu_pkg::GlbPsumAddrW;
  localparam int unsigned Words = rsnpu_pkg::AxiDataW / 16;
  localparam int unsigned AccW = rsnpu_pkg::AccW;

  logic hold_d, hold_q;
  logic [rsnpu_pkg::AxiDataW-1:0] beat_d, beat_q;
  logic [1:0] wi_d, wi_q;                 // word of the held beat
  logic [11:0] x_d, x_q;                  // column of that word
  logic [31:0] row_d, row_q, xp_d, xp_q;  // e_rel*F*p + mm, and x*p
  logic [7:0] p_d, p_q;
  logic [9:0] f_d, f_q;
  logic [11:0] wp_d, wp_q;
  logic [19:0] fp_d, fp_q;
  logic [4:0] shift_d, shift_q;
  rsnpu_pkg::acc_t bias_d, bias_q;
  logic last_word;
  logic signed [15:0] word;

  assign last_word = (32'(wi_q) == Words - 1);
  assign beat_ready_o = !hold_q || last_word;
  assign busy_o = hold_q;
  assign word = beat_q[16*wi_q +: 16];

  always_comb begin
    buf_we_o = hold_q && (x_q < 12'(f_q));
    buf_waddr_o = AddrW'(row_q + xp_q);
    buf_wdata_o = AccW'(($signed(AccW'(word)) <<< shift_q) + bias_q);
  end

  always_comb begin
    hold_d = hold_q; beat_d = beat_q; wi_d = wi_q; x_d = x_q; row_d = row_q; xp_d = xp_q;
    p_d = p_q; f_d = f_q; wp_d = wp_q; fp_d = fp_q; shift_d = shift_q; bias_d = bias_q;
    if (start_i) begin
      p_d = p_i; f_d = f_i; wp_d = wp_i; fp_d = fp_i; shift_d = shift_i; bias_d = bias_i;
      x_d = '0;
      xp_d = '0;
      row_d = 32'(mm_i);
    end else if (hold_q) begin
      // One word per cycle; past the row's last word, the next strip row.
      wi_d = wi_q + 2'd1;
      if (x_q + 12'd1 == wp_q) begin
        x_d = '0;
        xp_d = '0;
        row_d = row_q + 32'(fp_q);
      end else begin
        x_d = x_q + 12'd1;
        xp_d = xp_q + 32'(p_q);
      end
      if (last_word) begin
        hold_d = 1'b0;
      end
    end
    if (beat_valid_i && beat_ready_o) begin
      hold_d = 1'b1;
      beat_d = beat_data_i;
      wi_d = '0;
    end
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      hold_q <= 1'b0; beat_q <= '0; wi_q <= '0; x_q <= '0; row_q <= '0; xp_q <= '0;
      p_q <= '0; f_q <= '0; wp_q <= '0; fp_q <= '0; shift_q <= '0; bias_q <= '0;
    end else begin
      hold_q <= hold_d; beat_q <= beat_d; wi_q <= wi_d; x_q <= x_d; row_q <= row_d;
      xp_q <= xp_d;
      p_q <= p_d; f_q <= f_d; wp_q <= wp_d; fp_q <= fp_d; shift_q <= shift_d; bias_q <= bias_d;
    end
  end

  // -------------------------------------------------------------------------------------
  // Assertions
  // -------------------------------------------------------------------------------------
  always_ff @(posedge clk_i) begin
    // A new filter starts only when the previous one has been written.
    if (rst_ni && start_i) assert (!hold_q);
    if (rst_ni && buf_we_o) assert (32'(buf_waddr_o) < rsnpu_pkg::GlbPsumWords);
    // A row holds whole beats.
    if (rst_ni && start_i) assert (wp_i[1:0] == 2'b00);
  end

endmodule
