// Filter feeder: streams one pass's filter blob from the filter buffer onto the filter
// network, one 64-bit line per cycle. The blob is laid out in row groups of Lanes PE rows
// (docs/accelerator.md, weight blobs): line g*per_row + i holds, in lane l (word l, lane 0 in
// the low bits), word i of PE row g*Lanes + l. Lane l is tagged with that row and is valid
// when the row is below rows_i; the network hands lane l to the PE rows r with
// r mod Lanes == l, so every row receives one word per line.
module rsnpu_flt_feeder (
  input  logic                                     clk_i,
  input  logic                                     rst_ni,

  input  logic                                     start_i,     // sample the job, begin
  input  logic [15:0]                              lines_i,     // blob lines: groups * per_row
  input  logic [15:0]                              per_row_i,   // words per PE row: p*q*S
  input  logic [7:0]                               rows_i,      // PE rows used
  output logic                                     busy_o,

  // Filter buffer read port (64-bit lines)
  output logic                                     buf_re_o,
  output logic [$clog2(rsnpu_pkg::GlbFltLines)-1:0] buf_raddr_o,
  input  logic [rsnpu_pkg::AxiDataW-1:0]           buf_rdata_i,

  // Filter network: one line per transfer, lane l valid in flt_lanes_o[l]
  output logic                                     flt_valid_o,
  input  logic                                     flt_ready_i,
  output logic [rsnpu_pkg::FltLanes-1:0]           flt_lanes_o,
  output logic [rsnpu_pkg::FltLanes*rsnpu_pkg::NocTagW-1:0] flt_tag_o,
  output logic [rsnpu_pkg::AxiDataW-1:0]           flt_data_o
);

  localparam int unsigned LineW = rsnpu_pkg::AxiDataW;
  localparam int unsigned Lanes = rsnpu_pkg::FltLanes;
  localparam int unsigned LineAddrW = $clog2(rsnpu_pkg::GlbFltLines);
  localparam int unsigned TagW = rsnpu_pkg::NocTagW;
  localparam int unsigned FifoDepth = 3;  // line FIFO: one read in flight at full rate

  logic [15:0] lines_q, lines_d, per_row_q, per_row_d;
  logic [7:0] rows_q, rows_d;
  logic [15:0] lines_left_d, lines_left_q;   // lines still to read
  logic [LineAddrW-1:0] raddr_d, raddr_q;
  logic inflight_d, inflight_q;
  logic [15:0] sent_d, sent_q;               // lines sent
  logic [15:0] in_grp_d, in_grp_q;           // lines sent of the current row group
  logic [TagW-1:0] base_d, base_q;           // first PE row of the current row group
  logic issue, fifo_in_ready, line_valid, handshake;
  logic [LineW-1:0] line;
  logic [$clog2(FifoDepth+1)-1:0] fifo_count;

  assign busy_o = (sent_q != lines_q);
  assign issue = (lines_left_q != '0) &&
                 (32'(fifo_count) + 32'(inflight_q) < FifoDepth);
  assign flt_valid_o = line_valid && busy_o;
  assign flt_data_o = line;
  assign handshake = flt_valid_o && flt_ready_i;
  assign buf_re_o = issue;
  assign buf_raddr_o = raddr_q;

  for (genvar l = 0; l < Lanes; l++) begin : gen_lane
    assign flt_tag_o[l*TagW +: TagW] = base_q + TagW'(l);
    assign flt_lanes_o[l] = (32'(base_q) + l < 32'(rows_q));
  end

  always_comb begin
    lines_d = lines_q;
    per_row_d = per_row_q;
    rows_d = rows_q;
    lines_left_d = lines_left_q;
    raddr_d = raddr_q;
    inflight_d = issue;
    sent_d = sent_q;
    in_grp_d = in_grp_q;
    base_d = base_q;
    if (start_i) begin
      lines_d = lines_i;
      per_row_d = per_row_i;
      rows_d = rows_i;
      lines_left_d = lines_i;
      raddr_d = '0;
      sent_d = '0;
      in_grp_d = '0;
      base_d = '0;
    end else begin
      if (issue) begin
        lines_left_d = lines_left_q - 16'd1;
        raddr_d = raddr_q + LineAddrW'(1);
      end
      if (handshake) begin
        sent_d = sent_q + 16'd1;
        if (in_grp_q + 16'd1 == per_row_q) begin
          in_grp_d = '0;
          base_d = base_q + TagW'(Lanes);
        end else begin
          in_grp_d = in_grp_q + 16'd1;
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
    .out_ready_i(handshake),
    .out_data_o (line),
    .count_o    (fifo_count)
  );

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      lines_q <= '0;
      per_row_q <= 16'd1;
      rows_q <= '0;
      lines_left_q <= '0;
      raddr_q <= '0;
      inflight_q <= 1'b0;
      sent_q <= '0;
      in_grp_q <= '0;
      base_q <= '0;
    end else begin
      lines_q <= lines_d;
      per_row_q <= per_row_d;
      rows_q <= rows_d;
      lines_left_q <= lines_left_d;
      raddr_q <= raddr_d;
      inflight_q <= inflight_d;
      sent_q <= sent_d;
      in_grp_q <= in_grp_d;
      base_q <= base_d;
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
      assert (flt_valid_o && flt_tag_o == $past(flt_tag_o) && flt_data_o == $past(flt_data_o) &&
              flt_lanes_o == $past(flt_lanes_o));
    end
    // Every line sent carries at least one PE row's word.
    if (rst_ni && flt_valid_o) assert (flt_lanes_o[0]);
    if (rst_ni && start_i) assert (!busy_o);
  end

endmodule
