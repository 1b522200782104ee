// Filter feeder: streams one pass's filter blob from the filter buffer onto the filter
// network. Word j of the blob (four 16-bit words per 64-bit line, word 0 in the low bits) is
// tagged with its PE row, j / per_row_i (docs/accelerator.md, weight blobs).
module rsnpu_flt_feeder (
  input  logic                                     clk_i,
  input  logic                                     rst_ni,

  input  logic                                     start_i,     // sample the job, begin
  input  logic [15:0]                              words_i,     // blob words (rows * per_row)
  input  logic [15:0]                              per_row_i,   // words per PE row: p*q*S
  output logic                                     busy_o,

  // Filter buffer read port (64-bit lines)
  output logic                                     buf_re_o,
  output logic [$clog2(rsnpu_pkg::GlbFltLines)-1:0] buf_raddr_o,
  input  logic [rsnpu_pkg::AxiDataW-1:0]           buf_rdata_i,

  // Filter network
  output logic                                     flt_valid_o,
  input  logic                                     flt_ready_i,
  output logic [rsnpu_pkg::NocTagW-1:0]            flt_tag_o,
  output rsnpu_pkg::word_t                         flt_data_o
);

  localparam int unsigned LineW = rsnpu_pkg::AxiDataW;
  localparam int unsigned WordW = rsnpu_pkg::WordW;
  localparam int unsigned LineAddrW = $clog2(rsnpu_pkg::GlbFltLines);
  localparam int unsigned TagW = rsnpu_pkg::NocTagW;
  localparam int unsigned FifoDepth = 3;  // line FIFO: one read in flight at full rate

  logic [15:0] words_q, words_d, per_row_q, per_row_d;
  logic [15:0] lines_left_d, lines_left_q;   // lines still to read
  logic [LineAddrW-1:0] raddr_d, raddr_q;
  logic inflight_d, inflight_q;
  logic [15:0] sent_d, sent_q;               // words sent
  logic [15:0] in_row_d, in_row_q;           // words sent of the current PE row
  logic [TagW-1:0] tag_d, tag_q;
  logic [1:0] lane_d, lane_q;
  logic issue, fifo_in_ready, line_valid, line_pop, handshake, last_word;
  logic [LineW-1:0] line;
  logic [$clog2(FifoDepth+1)-1:0] fifo_count;

  assign busy_o = (sent_q != words_q);
  assign issue = (lines_left_q != '0) &&
                 (32'(fifo_count) + 32'(inflight_q) < FifoDepth);
  assign flt_valid_o = line_valid && busy_o;
  assign flt_tag_o = tag_q;
  assign flt_data_o = line[lane_q*WordW +: WordW];
  assign handshake = flt_valid_o && flt_ready_i;
  assign last_word = (sent_q + 16'd1 == words_q);
  assign line_pop = handshake && (lane_q == 2'd3 || last_word);
  assign buf_re_o = issue;
  assign buf_raddr_o = raddr_q;

  always_comb begin
    words_d = words_q;
    per_row_d = per_row_q;
    lines_left_d = lines_left_q;
    raddr_d = raddr_q;
    inflight_d = issue;
    sent_d = sent_q;
    in_row_d = in_row_q;
    tag_d = tag_q;
    lane_d = lane_q;
    if (start_i) begin
      words_d = words_i;
      per_row_d = per_row_i;
      lines_left_d = (words_i + 16'd3) >> 2;
      raddr_d = '0;
      sent_d = '0;
      in_row_d = '0;
      tag_d = '0;
      lane_d = '0;
    end else begin
      if (issue) begin
        lines_left_d = lines_left_q - 16'd1;
        raddr_d = raddr_q + LineAddrW'(1);
      end
      if (handshake) begin
        sent_d = sent_q + 16'd1;
        lane_d = lane_q + 2'd1;
        if (in_row_q + 16'd1 == per_row_q) begin
          in_row_d = '0;
          tag_d = tag_q + TagW'(1);
        end else begin
          in_row_d = in_row_q + 16'd1;
        end
      end
    end
  end

  rsnpu_fifo #(
    .Depth(FifoDepth),
    .DataW(LineW)
  ) u_lines (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (inflight_q),
    .in_ready_o (fifo_in_ready),
    .in_data_i  (buf_rdata_i),
    .out_valid_o(line_valid),
    .out_ready_i(line_pop),
    .out_data_o (line),
    .count_o    (fifo_count)
  );

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      words_q <= '0;
      per_row_q <= 16'd1;
      lines_left_q <= '0;
      raddr_q <= '0;
      inflight_q <= 1'b0;
      sent_q <= '0;
      in_row_q <= '0;
      tag_q <= '0;
      lane_q <= '0;
    end else begin
      words_q <= words_d;
      per_row_q <= per_row_d;
      lines_left_q <= lines_left_d;
      raddr_q <= raddr_d;
      inflight_q <= inflight_d;
      sent_q <= sent_d;
      in_row_q <= in_row_d;
      tag_q <= tag_d;
      lane_q <= lane_d;
    end
  end

  // -------------------------------------------------------------------------------------
  // Assertions
  // -------------------------------------------------------------------------------------
  always_ff @(posedge clk_i) begin
    // A returning line always finds room: reads are issued against the free slots.
    if (rst_ni && inflight_q) assert (fifo_in_ready);
    // The network sees stable data while it is not ready.
    if (rst_ni && $past(rst_ni) && $past(flt_valid_o && !flt_ready_i) && !$past(start_i)) begin
      assert (flt_valid_o && flt_tag_o == $past(flt_tag_o) && flt_data_o == $past(flt_data_o));
    end
    if (rst_ni && start_i) assert (!busy_o);
  end

endmodule
