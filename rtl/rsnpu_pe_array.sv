// Row-stationary PE array with its on-chip networks.
//
// - Filter and ifmap networks: one tagged bus each (the Y-bus), feeding one 2-entry FIFO per
//   PE row (the row's X-bus). The filter bus carries FltLanes tagged words per transfer (a
//   buffer line); lane l enters the FIFOs of rows r with r mod FltLanes == l when it is valid.
//   The ifmap bus carries one word. A bus transfer enters its row FIFOs in the same cycle; the
//   bus is ready when all of them have room. A row delivers its head word, in one cycle, to every
//   enabled PE of the row whose programmed id (flt_id / ifm_id) equals the word's tag, and
//   only when all of those PEs are ready (multicast); a word no PE of the row wants leaves
//   the row at once. A PE therefore never sees a valid it cannot take, and sees its words in
//   bus order; rows may run a few words apart.
// - Psum network: in each column psums flow upward, from PE (r+1, c) into PE (r, c); PE
//   (0, c) drives the column's output port. The PE whose psum_port bit is set takes its
//   psum_in from the column's input port instead (the bottom of that column's chain).
// - Program: one shared PE program (cfg_*_i) for all PEs; per-PE routing (enable, ids,
//   psum source, accumulate) written through route_*_i while the array is idle. Program,
//   start and routing writes travel down the rows through one register per row (row r sees
//   them r + 1 cycles late), so no net fans out to more than one row of PEs.
// - start_i starts every enabled PE (row r at r + 1 cycles); done_o pulses when all of them
//   are done. err_code_o holds the first error any PE reported in the job, or PeErrNoPe if no
//   PE is enabled.
module rsnpu_pe_array (
  input  logic                                            clk_i,
  input  logic                                            rst_ni,

  // Per-PE routing, one PE per write (only while idle)
  input  logic                                            route_we_i,
  input  logic [rsnpu_pkg::PeRowIdxW-1:0]                 route_row_i,
  input  logic [rsnpu_pkg::PeColIdxW-1:0]                 route_col_i,
  input  logic                                            route_en_i,
  input  logic [rsnpu_pkg::NocTagW-1:0]                   route_flt_id_i,
  input  logic [rsnpu_pkg::NocTagW-1:0]                   route_ifm_id_i,
  input  logic                                            route_psum_port_i,
  input  logic                                            route_acc_in_i,

  // Shared PE program (see rsnpu_pe)
  input  logic                                            start_i,
  input  logic [rsnpu_pkg::PeSLenW-1:0]                   cfg_s_i,
  input  logic [rsnpu_pkg::PePLenW-1:0]                   cfg_p_i,
  input  logic [rsnpu_pkg::PeQLenW-1:0]                   cfg_q_i,
  input  logic [rsnpu_pkg::PeStrideW-1:0]                 cfg_stride_i,
  input  logic [rsnpu_pkg::PeELenW-1:0]                   cfg_e_i,
  input  logic [rsnpu_pkg::PeRowsW-1:0]                   cfg_rows_i,
  input  rsnpu_pkg::prec_e                                cfg_prec_i,
  input  logic                                            cfg_flt_load_i,

  // Status
  output logic                                            busy_o,
  output logic                                            done_o,
  output logic                                            err_o,
  output rsnpu_pkg::pe_err_e                              err_code_o,
  output logic [31:0]                                     cfg_sig_o,

  // Filter network
  input  logic                                            flt_valid_i,
  output logic                                            flt_ready_o,
  // Lane l: valid flt_lanes_i[l], tag flt_tag_i[l*TagW +: TagW], word flt_data_i[l*WordW +: WordW]
  input  logic [rsnpu_pkg::FltLanes-1:0]                  flt_lanes_i,
  input  logic [rsnpu_pkg::FltLanes*rsnpu_pkg::NocTagW-1:0] flt_tag_i,
  input  logic [rsnpu_pkg::FltLanes*rsnpu_pkg::WordW-1:0] flt_data_i,

  // Ifmap network
  input  logic                                            ifm_valid_i,
  output logic                                            ifm_ready_o,
  input  logic [rsnpu_pkg::NocTagW-1:0]                   ifm_tag_i,
  input  rsnpu_pkg::word_t                                ifm_data_i,

  // Psums into the bottom of each column chain (column c: bits [c*AccW +: AccW])
  input  logic [rsnpu_pkg::PeCols-1:0]                    psum_in_valid_i,
  output logic [rsnpu_pkg::PeCols-1:0]                    psum_in_ready_o,
  input  logic [rsnpu_pkg::PeCols*rsnpu_pkg::AccW-1:0]    psum_in_data_i,

  // Psums out of the top of each column
  output logic [rsnpu_pkg::PeCols-1:0]                    psum_out_valid_o,
  input  logic [rsnpu_pkg::PeCols-1:0]                    psum_out_ready_i,
  output logic [rsnpu_pkg::PeCols*rsnpu_pkg::AccW-1:0]    psum_out_data_o,

  // Activity this cycle: how many PEs did each action (see rsnpu_pe evt_*_o)
  output logic [rsnpu_pkg::PeCountW-1:0]                  evt_mac_o,
  output logic [rsnpu_pkg::PeCountW-1:0]                  evt_skip_o,
  output logic [rsnpu_pkg::PeCountW-1:0]                  evt_flt_rd_o,
  output logic [rsnpu_pkg::PeCountW-1:0]                  evt_flt_wr_o,
  output logic [rsnpu_pkg::PeCountW-1:0]                  evt_ifm_rd_o,
  output logic [rsnpu_pkg::PeCountW-1:0]                  evt_ifm_wr_o,
  output logic [rsnpu_pkg::PeCountW-1:0]                  evt_psum_rd_o,
  output logic [rsnpu_pkg::PeCountW-1:0]                  evt_psum_wr_o,
  // Network activity this cycle: filter / ifmap words delivered, counted per receiving PE
  // (a multicast to k PEs counts k); psums passed from a PE to the PE above it.
  output logic [rsnpu_pkg::PeCountW-1:0]                  evt_flt_deliv_o,
  output logic [rsnpu_pkg::PeCountW-1:0]                  evt_ifm_deliv_o,
  output logic [rsnpu_pkg::PeCountW-1:0]                  evt_psum_hop_o
);

  localparam int unsigned Rows = rsnpu_pkg::PeRows;
  localparam int unsigned Cols = rsnpu_pkg::PeCols;
  localparam int unsigned NumPes = rsnpu_pkg::NumPes;
  localparam int unsigned AccW = rsnpu_pkg::AccW;
  localparam int unsigned TagW = rsnpu_pkg::NocTagW;
  localparam int unsigned CountW = rsnpu_pkg::PeCountW;

  // Per-PE signals, PE index i = r * Cols + c.
  logic [NumPes-1:0] en, flt_match, ifm_match, pe_flt_ready, pe_ifm_ready;
  logic [NumPes-1:0] pe_done, pe_err, pe_start;
  logic [NumPes-1:0] pe_pin_valid, pe_pin_ready, pe_port;
  logic [NumPes-1:0] pe_pout_valid, pe_pout_ready;
  // Per-PE data as unpacked arrays: a slice of one wide packed vector per PE would make the
  // simulator rebuild the whole vector (NumPes * AccW bits) on every write.
  logic [AccW-1:0] pe_pin_data [NumPes];
  logic [AccW-1:0] pe_pout_data [NumPes];
  logic [2:0] pe_err_code [NumPes];
  logic [NumPes-1:0] pe_evt_mac, pe_evt_skip, pe_evt_flt_rd, pe_evt_flt_wr;
  logic [NumPes-1:0] pe_evt_ifm_rd, pe_evt_ifm_wr, pe_evt_psum_rd, pe_evt_psum_wr;
  logic [NumPes-1:0] pe_busy, psum_hop;
  logic [31:0] pe_sig [NumPes];
  logic flt_all_ready, ifm_all_ready;

  // -------------------------------------------------------------------------------------
  // Row stages: program, start and routing pipeline; network row FIFOs
  // -------------------------------------------------------------------------------------
  localparam int unsigned SW = rsnpu_pkg::PeSLenW;
  localparam int unsigned PW = rsnpu_pkg::PePLenW;
  localparam int unsigned QW = rsnpu_pkg::PeQLenW;
  localparam int unsigned UW = rsnpu_pkg::PeStrideW;
  localparam int unsigned EW = rsnpu_pkg::PeELenW;
  localparam int unsigned RW = rsnpu_pkg::PeRowsW;
  // {go, flt_load, int8, rows, e, stride, q, p, s}: go = an accepted start
  localparam int unsigned ProgW = 3 + RW + EW + UW + QW + PW + SW;
  localparam int unsigned RowIdxW = rsnpu_pkg::PeRowIdxW;
  localparam int unsigned ColIdxW = rsnpu_pkg::PeColIdxW;
  // {we, row, col, en, flt_id, ifm_id, psum_port, acc_in}
  localparam int unsigned RouteW = 4 + RowIdxW + ColIdxW + 2 * TagW;
  localparam int unsigned NetW = TagW + rsnpu_pkg::WordW;

  logic go;
  logic [ProgW-1:0] prog_in;
  logic [RouteW-1:0] route_in;
  logic [Rows*ProgW-1:0] prog_d, prog_q;
  logic [Rows*RouteW-1:0] route_d, route_q;
  logic [Rows-1:0] flt_row_in_ready, flt_row_valid, flt_row_all_ready;
  logic [Rows-1:0] ifm_row_in_ready, ifm_row_valid, ifm_row_all_ready;
  logic [NetW-1:0] flt_row_out [Rows];
  logic [NetW-1:0] ifm_row_out [Rows];
  logic [NumPes-1:0] pe_flt_deliv, pe_ifm_deliv;
  logic start_last;  // the start has reached the last row: every routing write has landed

  // A start is accepted when the array is idle (a start while busy is an error).
  assign go = start_i && !busy_q;
  assign prog_in = {go, cfg_flt_load_i, (cfg_prec_i == rsnpu_pkg::PrecInt8), cfg_rows_i,
                    cfg_e_i, cfg_stride_i, cfg_q_i, cfg_p_i, cfg_s_i};
  assign route_in = {route_we_i, route_row_i, route_col_i, route_en_i, route_flt_id_i,
                     route_ifm_id_i, route_psum_port_i, route_acc_in_i};
  // Row 0 takes the inputs, row r what row r - 1 held a cycle before.
  assign prog_d = {prog_q[(Rows-1)*ProgW-1:0], prog_in};
  assign route_d = {route_q[(Rows-1)*RouteW-1:0], route_in};
  assign start_last = prog_q[Rows*ProgW-1];

  // Multicast: the bus is ready when every row FIFO has room.
  assign flt_all_ready = &flt_row_in_ready;
  assign ifm_all_ready = &ifm_row_in_ready;
  assign flt_ready_o = flt_all_ready;
  assign ifm_ready_o = ifm_all_ready;

  for (genvar r = 0; r < Rows; r++) begin : gen_row_net
    logic [Cols-1:0] flt_m, flt_rdy, ifm_m, ifm_rdy;
    for (genvar c = 0; c < Cols; c++) begin : gen_bits
      assign flt_m[c] = flt_match[r*Cols+c];
      assign flt_rdy[c] = pe_flt_ready[r*Cols+c];
      assign ifm_m[c] = ifm_match[r*Cols+c];
      assign ifm_rdy[c] = pe_ifm_ready[r*Cols+c];
    end
    // The row's head word leaves when every addressed PE of the row is ready.
    assign flt_row_all_ready[r] = &(~flt_m | flt_rdy);
    assign ifm_row_all_ready[r] = &(~ifm_m | ifm_rdy);

    rsnpu_fifo #(
      .Depth(2),
      .DataW(NetW)
    ) u_flt_row (
      .clk_i      (clk_i),
      .rst_ni     (rst_ni),
      .in_valid_i (flt_valid_i && flt_all_ready && flt_lanes_i[r % rsnpu_pkg::FltLanes]),
      .in_ready_o (flt_row_in_ready[r]),
      .in_data_i  ({flt_tag_i[(r % rsnpu_pkg::FltLanes)*TagW +: TagW],
                    flt_data_i[(r % rsnpu_pkg::FltLanes)*rsnpu_pkg::WordW +: rsnpu_pkg::WordW]}),
      .out_valid_o(flt_row_valid[r]),
      .out_ready_i(flt_row_all_ready[r]),
      .out_data_o (flt_row_out[r]),
      .count_o    ()
    );

    rsnpu_fifo #(
      .Depth(2),
      .DataW(NetW)
    ) u_ifm_row (
      .clk_i      (clk_i),
      .rst_ni     (rst_ni),
      .in_valid_i (ifm_valid_i && ifm_all_ready),
      .in_ready_o (ifm_row_in_ready[r]),
      .in_data_i  ({ifm_tag_i, ifm_data_i}),
      .out_valid_o(ifm_row_valid[r]),
      .out_ready_i(ifm_row_all_ready[r]),
      .out_data_o (ifm_row_out[r]),
      .count_o    ()
    );
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      prog_q <= '0;
      route_q <= '0;
    end else begin
      prog_q <= prog_d;
      route_q <= route_d;
    end
  end

  // Array control: start all enabled PEs, finish when all of them finished.
  logic busy_d, busy_q, done_d, done_q, armed_d, armed_q;
  rsnpu_pkg::pe_err_e err_d, err_q;
  logic [NumPes-1:0] fin_d, fin_q;
  // Per row: every enabled PE of the row has finished, registered (a 168-input AND in the
  // cycle of the done decision did not fit the clock). One cycle behind fin_q; read only
  // when armed, Rows + 1 cycles after the start cleared fin_q.
  logic [Rows-1:0] row_fin_d, row_fin_q;
  logic first_err_found;
  logic [2:0] first_err;
  // First error in two steps: each row registers the code of its first PE (lowest column)
  // that finished with an error this cycle, then the lowest such row wins. One priority
  // chain over 168 PEs did not fit a cycle. The error is recorded a cycle later; the done
  // decision (row_fin_q) is later still, so a job never ends before its error is recorded.
  logic [Rows-1:0] row_err_d, row_err_q;
  logic [2:0] row_code_d [Rows];
  logic [2:0] row_code_q [Rows];

  for (genvar r = 0; r < Rows; r++) begin : gen_row_err
    always_comb begin
      row_err_d[r] = 1'b0;
      row_code_d[r] = 3'd0;
      // The search runs only in a cycle where a PE of the row reports an error: a simulator
      // evaluates the loop every cycle otherwise.
      if ((pe_done[r*Cols +: Cols] & pe_err[r*Cols +: Cols]) != '0) begin
        for (int c = 0; c < Cols; c++) begin
          if (!row_err_d[r] && pe_done[r*Cols+c] && pe_err[r*Cols+c]) begin
            row_err_d[r] = 1'b1;
            row_code_d[r] = pe_err_code[r*Cols+c];
          end
        end
      end
    end

    always_ff @(posedge clk_i) begin
      if (!rst_ni) begin
        row_err_q[r] <= 1'b0;
        row_code_q[r] <= 3'd0;
      end else begin
        row_err_q[r] <= row_err_d[r];
        row_code_q[r] <= row_code_d[r];
      end
    end
  end

  always_comb begin
    first_err_found = 1'b0;
    first_err = 3'd0;
    for (int r = 0; r < Rows; r++) begin
      if (!first_err_found && row_err_q[r]) begin
        first_err_found = 1'b1;
        first_err = row_code_q[r];
      end
    end
  end

  for (genvar r = 0; r < Rows; r++) begin : gen_row_fin
    assign row_fin_d[r] = &(fin_q[r*Cols +: Cols] | ~en[r*Cols +: Cols]);
  end

  always_comb begin
    busy_d = busy_q;
    done_d = 1'b0;
    err_d = err_q;
    fin_d = fin_q | pe_done;
    armed_d = armed_q;
    if (start_i) begin
      if (busy_q) begin
        err_d = rsnpu_pkg::PeErrStartBusy;
      end else begin
        busy_d = 1'b1;
        armed_d = 1'b0;
        err_d = rsnpu_pkg::PeErrNone;
        fin_d = '0;
      end
    end
    // The start has passed every row: the routing is complete, so the enables are final.
    if (start_last) begin
      armed_d = 1'b1;
      if (en == '0) begin
        err_d = rsnpu_pkg::PeErrNoPe;
        busy_d = 1'b0;
        done_d = 1'b1;
      end
    end
    if (busy_q && first_err_found && err_q == rsnpu_pkg::PeErrNone) begin
      // Decode rather than cast: Yosys 0.23 rejects casts to a typedef.
      unique case (first_err)
        3'd1: err_d = rsnpu_pkg::PeErrZeroField;
        3'd2: err_d = rsnpu_pkg::PeErrPsumSpad;
        3'd3: err_d = rsnpu_pkg::PeErrIfmapSpad;
        3'd4: err_d = rsnpu_pkg::PeErrFilterSpad;
        3'd5: err_d = rsnpu_pkg::PeErrNoFilters;
        3'd6: err_d = rsnpu_pkg::PeErrStartBusy;
        default: err_d = rsnpu_pkg::PeErrNoPe;  // a PE never reports 0 or 7 with err_o set
      endcase
    end
    if (busy_q && armed_q && (row_fin_q == '1)) begin
      busy_d = 1'b0;
      done_d = 1'b1;
    end
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      busy_q <= 1'b0;
      done_q <= 1'b0;
      armed_q <= 1'b0;
      err_q <= rsnpu_pkg::PeErrNone;
      fin_q <= '0;
      row_fin_q <= '0;
    end else begin
      row_fin_q <= row_fin_d;
      busy_q <= busy_d;
      done_q <= done_d;
      armed_q <= armed_d;
      err_q <= err_d;
      fin_q <= fin_d;
    end
  end

  assign busy_o = busy_q;
  assign done_o = done_q;
  assign err_o = (err_q != rsnpu_pkg::PeErrNone);
  assign err_code_o = err_q;
  assign cfg_sig_o = pe_sig[0];

  // Event bits pass through one register before the popcounts: a PE's event is its
  // handshake of the cycle (row FIFO head -> tag compare -> the row's all-ready AND), and a
  // 168-input popcount behind that did not fit one cycle.
  localparam int unsigned NumEvt = 11;
  logic [NumEvt*NumPes-1:0] evt_d, evt_q;
  assign evt_d = {pe_evt_mac, pe_evt_skip, pe_evt_flt_rd, pe_evt_flt_wr, pe_evt_ifm_rd,
                  pe_evt_ifm_wr, pe_evt_psum_rd, pe_evt_psum_wr, pe_flt_deliv, pe_ifm_deliv,
                  psum_hop};
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      evt_q <= '0;
    end else begin
      evt_q <= evt_d;
    end
  end
  // Then each row's count of each event is registered, and the outputs add the rows' counts:
  // a 168-input popcount in one cycle did not fit either. The counts lag by two cycles.
  localparam int unsigned RowCntW = $clog2(Cols + 1);
  logic [RowCntW-1:0] row_cnt_d [NumEvt*Rows];
  logic [RowCntW-1:0] row_cnt_q [NumEvt*Rows];
  logic [CountW-1:0] evt_sum [NumEvt];

  for (genvar k = 0; k < NumEvt; k++) begin : gen_evt
    for (genvar r = 0; r < Rows; r++) begin : gen_evt_row
      assign row_cnt_d[k*Rows+r] = RowCntW'($countones(evt_q[k*NumPes + r*Cols +: Cols]));

      always_ff @(posedge clk_i) begin
        if (!rst_ni) begin
          row_cnt_q[k*Rows+r] <= '0;
        end else begin
          row_cnt_q[k*Rows+r] <= row_cnt_d[k*Rows+r];
        end
      end
    end

    always_comb begin
      evt_sum[k] = '0;
      for (int r = 0; r < Rows; r++) begin
        evt_sum[k] = evt_sum[k] + CountW'(row_cnt_q[k*Rows+r]);
      end
    end
  end

  assign evt_mac_o = evt_sum[10];
  assign evt_skip_o = evt_sum[9];
  assign evt_flt_rd_o = evt_sum[8];
  assign evt_flt_wr_o = evt_sum[7];
  assign evt_ifm_rd_o = evt_sum[6];
  assign evt_ifm_wr_o = evt_sum[5];
  assign evt_psum_rd_o = evt_sum[4];
  assign evt_psum_wr_o = evt_sum[3];
  assign evt_flt_deliv_o = evt_sum[2];
  assign evt_ifm_deliv_o = evt_sum[1];
  assign evt_psum_hop_o = evt_sum[0];

  // Column psum input ports: the PE of the column with psum_port set takes them.
  for (genvar c = 0; c < Cols; c++) begin : gen_col_port
    logic [Rows-1:0] takes;
    for (genvar r = 0; r < Rows; r++) begin : gen_takes
      assign takes[r] = pe_port[r*Cols+c] && pe_pin_ready[r*Cols+c];
    end
    assign psum_in_ready_o[c] = |takes;
    assign psum_out_valid_o[c] = pe_pout_valid[c];
    assign pe_pout_ready[c] = psum_out_ready_i[c];
    assign psum_out_data_o[c*AccW +: AccW] = pe_pout_data[c];
  end

  for (genvar r = 0; r < Rows; r++) begin : gen_row
    for (genvar c = 0; c < Cols; c++) begin : gen_col
      localparam int unsigned I = r * Cols + c;

      // This row's copy of the program and of the routing bus.
      logic [ProgW-1:0] prog;
      logic [RouteW-1:0] rt;
      logic [TagW-1:0] flt_tag, ifm_tag;
      assign prog = prog_q[r*ProgW +: ProgW];
      assign rt = route_q[r*RouteW +: RouteW];
      assign flt_tag = flt_row_out[r][NetW-1 -: TagW];
      assign ifm_tag = ifm_row_out[r][NetW-1 -: TagW];

      // Routing registers of this PE.
      logic en_d, en_q, port_d, port_q, acc_in_d, acc_in_q;
      logic [TagW-1:0] flt_id_d, flt_id_q, ifm_id_d, ifm_id_q;
      logic sel;
      assign sel = rt[RouteW-1] && (rt[RouteW-2 -: RowIdxW] == RowIdxW'(r)) &&
                   (rt[RouteW-2-RowIdxW -: ColIdxW] == ColIdxW'(c));

      always_comb begin
        en_d = en_q;
        port_d = port_q;
        acc_in_d = acc_in_q;
        flt_id_d = flt_id_q;
        ifm_id_d = ifm_id_q;
        if (sel) begin
          en_d = rt[2 + 2 * TagW];
          // The bottom row has no PE below it: it always takes the column port.
          port_d = rt[1] || (r == Rows - 1);
          acc_in_d = rt[0];
          flt_id_d = rt[2 + TagW +: TagW];
          ifm_id_d = rt[2 +: TagW];
        end
      end

      always_ff @(posedge clk_i) begin
        if (!rst_ni) begin
          en_q <= 1'b0;
          port_q <= (r == Rows - 1);
          acc_in_q <= 1'b0;
          flt_id_q <= '0;
          ifm_id_q <= '0;
        end else begin
          en_q <= en_d;
          port_q <= port_d;
          acc_in_q <= acc_in_d;
          flt_id_q <= flt_id_d;
          ifm_id_q <= ifm_id_d;
        end
      end

      assign en[I] = en_q;
      assign pe_port[I] = port_q;
      assign flt_match[I] = en_q && flt_row_valid[r] && (flt_id_q == flt_tag);
      assign ifm_match[I] = en_q && ifm_row_valid[r] && (ifm_id_q == ifm_tag);
      assign pe_flt_deliv[I] = flt_match[I] && flt_row_all_ready[r];
      assign pe_ifm_deliv[I] = ifm_match[I] && ifm_row_all_ready[r];
      assign pe_start[I] = prog[ProgW-1] && en_q;

      // Psum source: the column port or the PE below.
      if (r == Rows - 1) begin : gen_from_port
        assign psum_hop[I] = 1'b0;
        assign pe_pin_valid[I] = en_q && psum_in_valid_i[c];
        assign pe_pin_data[I] = psum_in_data_i[c*AccW +: AccW];
      end else begin : gen_from_below
        // A disabled PE sees no psums (the column port may be busy serving another PE).
        assign pe_pin_valid[I] = en_q && (port_q ? psum_in_valid_i[c] : pe_pout_valid[I+Cols]);
        assign pe_pin_data[I] = port_q ? psum_in_data_i[c*AccW +: AccW] : pe_pout_data[I+Cols];
        // The PE below drains into this one unless this one listens to the port.
        assign pe_pout_ready[I+Cols] = !port_q && pe_pin_ready[I];
        assign psum_hop[I] = pe_pin_valid[I] && pe_pin_ready[I] && !port_q;
      end

      rsnpu_pe u_pe (
        .clk_i           (clk_i),
        .rst_ni          (rst_ni),
        .start_i         (pe_start[I]),
        .cfg_s_i         (prog[0 +: SW]),
        .cfg_p_i         (prog[SW +: PW]),
        .cfg_q_i         (prog[SW+PW +: QW]),
        .cfg_stride_i    (prog[SW+PW+QW +: UW]),
        .cfg_e_i         (prog[SW+PW+QW+UW +: EW]),
        .cfg_rows_i      (prog[SW+PW+QW+UW+EW +: RW]),
        .cfg_prec_i      (prog[ProgW-3] ? rsnpu_pkg::PrecInt8 : rsnpu_pkg::PrecInt16),
        .cfg_flt_load_i  (prog[ProgW-2]),
        .cfg_acc_in_i    (acc_in_q),
        .busy_o          (pe_busy[I]),
        .done_o          (pe_done[I]),
        .err_o           (pe_err[I]),
        .err_code_o      (pe_err_code[I]),
        .cfg_sig_o       (pe_sig[I]),
        .flt_valid_i     (pe_flt_deliv[I]),
        .flt_ready_o     (pe_flt_ready[I]),
        .flt_data_i      (flt_row_out[r][rsnpu_pkg::WordW-1:0]),
        .ifm_valid_i     (pe_ifm_deliv[I]),
        .ifm_ready_o     (pe_ifm_ready[I]),
        .ifm_data_i      (ifm_row_out[r][rsnpu_pkg::WordW-1:0]),
        .psum_in_valid_i (pe_pin_valid[I]),
        .psum_in_ready_o (pe_pin_ready[I]),
        .psum_in_data_i  (pe_pin_data[I]),
        .psum_out_valid_o(pe_pout_valid[I]),
        .psum_out_ready_i(pe_pout_ready[I]),
        .psum_out_data_o (pe_pout_data[I]),
        .evt_mac_o       (pe_evt_mac[I]),
        .evt_skip_o      (pe_evt_skip[I]),
        .evt_flt_rd_o    (pe_evt_flt_rd[I]),
        .evt_flt_wr_o    (pe_evt_flt_wr[I]),
        .evt_ifm_rd_o    (pe_evt_ifm_rd[I]),
        .evt_ifm_wr_o    (pe_evt_ifm_wr[I]),
        .evt_psum_rd_o   (pe_evt_psum_rd[I]),
        .evt_psum_wr_o   (pe_evt_psum_wr[I])
      );
    end
  end

  // -------------------------------------------------------------------------------------
  // Assertions
  // -------------------------------------------------------------------------------------
  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      // Routing changes only while idle; no PE runs while the array is idle; PEs start only
      // in a job.
      if (route_we_i) assert (!busy_q);
      if (!busy_q) assert (pe_busy == '0);
      if (pe_start != '0) assert (busy_q);
      // A job ends only after its start has reached every row.
      if (done_q && err_q == rsnpu_pkg::PeErrNone) assert (armed_q);
      // A job ends only when every word addressed to one of its PEs was delivered.
      if (done_q && err_q == rsnpu_pkg::PeErrNone) assert (flt_match == '0 && ifm_match == '0);
    end
    // Bus inputs hold while valid and not ready; outputs hold while valid and not ready.
    if (rst_ni && $past(rst_ni) && $past(flt_valid_i) && !$past(flt_ready_o)) begin
      assert (flt_valid_i && flt_tag_i == $past(flt_tag_i) && flt_data_i == $past(flt_data_i) &&
              flt_lanes_i == $past(flt_lanes_i));
    end
    if (rst_ni && $past(rst_ni) && $past(ifm_valid_i) && !$past(ifm_ready_o)) begin
      assert (ifm_valid_i && ifm_tag_i == $past(ifm_tag_i) && ifm_data_i == $past(ifm_data_i));
    end
  end

endmodule
