// Gate-level testbench of the synthesized PE (rsnpu_pe netlist + osu018 cell models).
// Reads the stimulus and expected psums written by gen_pe_vectors, runs every job through
// the netlist's valid/ready ports (valid and data held until ready; optional random valid
// gaps and output back-pressure) and compares every psum_out word.
//
// Plusargs: +stim=FILE +exp=FILE [+bp=0|1] [+seed=N]
// Parameters (port widths of the netlist, which depend on the configuration): SW PW QW UW
// EW RW (cfg_s/p/q/stride/e/rows widths).
// Prints "GLS PASS ..." or "GLS FAIL ..." (first mismatch named) and calls $finish.
`timescale 1ns/10ps
module pe_gls_tb;
  parameter int SW = 6, PW = 3, QW = 4, UW = 4, EW = 12, RW = 16;
  localparam int MaxJobs = 256, MaxWords = 1 << 16;

  reg clk = 1'b0;
  always #5 clk = ~clk;  // 100 MHz: zero-delay simulation, functional check only

  reg rst_ni = 1'b0, start = 1'b0;
  reg [SW-1:0] cfg_s = '0;
  reg [PW-1:0] cfg_p = '0;
  reg [QW-1:0] cfg_q = '0;
  reg [UW-1:0] cfg_u = '0;
  reg [EW-1:0] cfg_e = '0;
  reg [RW-1:0] cfg_rows = '0;
  reg cfg_prec = 1'b0, cfg_load = 1'b0, cfg_acc = 1'b0;
  reg flt_valid = 1'b0, ifm_valid = 1'b0, pin_valid = 1'b0, pout_ready = 1'b0;
  reg [15:0] flt_data = '0, ifm_data = '0;
  reg [31:0] pin_data = '0;
  wire busy, done, err, flt_ready, ifm_ready, pin_ready, pout_valid;
  wire [2:0] err_code;
  wire [31:0] sig, pout_data;
  wire [7:0] evt;

  rsnpu_pe dut (
    .clk_i(clk), .rst_ni(rst_ni), .start_i(start),
    .cfg_s_i(cfg_s), .cfg_p_i(cfg_p), .cfg_q_i(cfg_q), .cfg_stride_i(cfg_u),
    .cfg_e_i(cfg_e), .cfg_rows_i(cfg_rows), .cfg_prec_i(cfg_prec),
    .cfg_flt_load_i(cfg_load), .cfg_acc_in_i(cfg_acc),
    .busy_o(busy), .done_o(done), .err_o(err), .err_code_o(err_code), .cfg_sig_o(sig),
    .flt_valid_i(flt_valid), .flt_ready_o(flt_ready), .flt_data_i(flt_data),
    .ifm_valid_i(ifm_valid), .ifm_ready_o(ifm_ready), .ifm_data_i(ifm_data),
    .psum_in_valid_i(pin_valid), .psum_in_ready_o(pin_ready), .psum_in_data_i(pin_data),
    .psum_out_valid_o(pout_valid), .psum_out_ready_i(pout_ready), .psum_out_data_o(pout_data),
    .evt_mac_o(evt[0]), .evt_skip_o(evt[1]), .evt_flt_rd_o(evt[2]), .evt_flt_wr_o(evt[3]),
    .evt_ifm_rd_o(evt[4]), .evt_ifm_wr_o(evt[5]), .evt_psum_rd_o(evt[6]),
    .evt_psum_wr_o(evt[7]));

  // Stimulus, per job: 13 header fields and offsets into the word arrays.
  integer jc [0:MaxJobs*13-1];
  integer flt_off [0:MaxJobs-1], ifm_off [0:MaxJobs-1], pin_off [0:MaxJobs-1];
  integer exp_off [0:MaxJobs-1];
  reg [15:0] fltw [0:MaxWords-1];
  reg [15:0] ifmw [0:MaxWords-1];
  reg [31:0] pinw [0:MaxWords-1];
  reg [31:0] expw [0:MaxWords-1];
  integer njobs, nexp, fd, rc, i, j, k, nf, ni, np, cycles, errors, checked, bp, seed, dummy;
  reg [8*256-1:0] stim_file, exp_file;
  reg [31:0] w;

  task automatic fail_now(input [8*200-1:0] msg);
    begin
      $display("GLS FAIL %0s", msg);
      $finish;
    end
  endtask

  // Watchdog.
  always @(posedge clk) begin
    cycles <= cycles + 1;
    if (cycles > 2000000) begin
      $display("GLS FAIL timeout after %0d cycles (job %0d, %0d psums checked)", cycles, j,
               checked);
      $finish;
    end
  end

  initial begin
    cycles = 0; errors = 0; checked = 0; bp = 1; seed = 1; j = -1;
    if (!$value$plusargs("stim=%s", stim_file)) fail_now("no +stim=FILE");
    if (!$value$plusargs("exp=%s", exp_file)) fail_now("no +exp=FILE");
    dummy = $value$plusargs("bp=%d", bp);
    dummy = $value$plusargs("seed=%d", seed);
    dummy = $urandom(seed);

    // Read the stimulus.
    fd = $fopen(stim_file, "r");
    if (fd == 0) fail_now("cannot open the stimulus file");
    rc = $fscanf(fd, "%d", njobs);
    if (rc != 1 || njobs < 1 || njobs > MaxJobs) fail_now("bad job count in the stimulus");
    nf = 0; ni = 0; np = 0; k = 0;
    for (j = 0; j < njobs; j = j + 1) begin
      for (i = 0; i < 13; i = i + 1) begin
        rc = $fscanf(fd, "%d", w);  // (iverilog: $fscanf cannot target an array word)
        if (rc != 1) fail_now("truncated job header");
        jc[j*13+i] = w;
      end
      flt_off[j] = nf; ifm_off[j] = ni; pin_off[j] = np; exp_off[j] = k;
      for (i = 0; i < jc[j*13+9]; i = i + 1) begin rc = $fscanf(fd, "%h", w); fltw[nf] = w[15:0]; nf = nf + 1; end
      for (i = 0; i < jc[j*13+10]; i = i + 1) begin rc = $fscanf(fd, "%h", w); ifmw[ni] = w[15:0]; ni = ni + 1; end
      for (i = 0; i < jc[j*13+11]; i = i + 1) begin rc = $fscanf(fd, "%h", w); pinw[np] = w; np = np + 1; end
      if (rc != 1) fail_now("truncated word list");
      k = k + jc[j*13+12];
    end
    $fclose(fd);
    fd = $fopen(exp_file, "r");
    if (fd == 0) fail_now("cannot open the expected file");
    rc = $fscanf(fd, "%d", nexp);
    if (rc != 1 || nexp != k) fail_now("expected count differs from the stimulus");
    for (i = 0; i < nexp; i = i + 1) begin
      rc = $fscanf(fd, "%h", w);
      if (rc != 1) fail_now("truncated expected file");
      expw[i] = w;
    end
    $fclose(fd);

    // Synchronous reset.
    rst_ni = 1'b0;
    repeat (5) @(negedge clk);
    rst_ni = 1'b1;
    @(negedge clk);
    if (busy !== 1'b0 || err !== 1'b0 || done !== 1'b0 || pout_valid !== 1'b0 ||
        flt_ready !== 1'b0 || ifm_ready !== 1'b0 || pin_ready !== 1'b0)
      fail_now("status or ready outputs not 0 (or X) after reset");

    for (j = 0; j < njobs; j = j + 1) begin
      // Program and start (one cycle).
      cfg_s = jc[j*13+0]; cfg_p = jc[j*13+1]; cfg_q = jc[j*13+2]; cfg_u = jc[j*13+3];
      cfg_e = jc[j*13+4]; cfg_rows = jc[j*13+5]; cfg_prec = jc[j*13+6];
      cfg_load = jc[j*13+7]; cfg_acc = jc[j*13+8];
      start = 1'b1;
      @(negedge clk);
      start = 1'b0;
      if (busy !== 1'b1 || err !== 1'b0) begin
        $display("GLS FAIL job %0d: not started (busy=%b err=%b code=%b)", j, busy, err,
                 err_code);
        $finish;
      end
      fork
        // Filters: hold valid and data until ready (ready never depends on valid).
        begin : drv_flt
          integer n, pend;
          n = 0; pend = 0;
          while (n < jc[j*13+9]) begin
            @(negedge clk);
            if (pend) begin n = n + 1; flt_valid = 1'b0; end
            pend = 0;
            if (n < jc[j*13+9]) begin
              if (!flt_valid && (!bp || ($urandom % 4) != 0)) begin
                flt_valid = 1'b1; flt_data = fltw[flt_off[j] + n];
              end
              pend = flt_valid && (flt_ready === 1'b1);
            end
          end
        end
        begin : drv_ifm
          integer n, pend;
          n = 0; pend = 0;
          while (n < jc[j*13+10]) begin
            @(negedge clk);
            if (pend) begin n = n + 1; ifm_valid = 1'b0; end
            pend = 0;
            if (n < jc[j*13+10]) begin
              if (!ifm_valid && (!bp || ($urandom % 4) != 0)) begin
                ifm_valid = 1'b1; ifm_data = ifmw[ifm_off[j] + n];
              end
              pend = ifm_valid && (ifm_ready === 1'b1);
            end
          end
        end
        begin : drv_pin
          integer n, pend;
          n = 0; pend = 0;
          while (n < jc[j*13+11]) begin
            @(negedge clk);
            if (pend) begin n = n + 1; pin_valid = 1'b0; end
            pend = 0;
            if (n < jc[j*13+11]) begin
              if (!pin_valid && (!bp || ($urandom % 4) != 0)) begin
                pin_valid = 1'b1; pin_data = pinw[pin_off[j] + n];
              end
              pend = pin_valid && (pin_ready === 1'b1);
            end
          end
        end
        // Psum sink: a word moves at the posedge after a negedge with valid && ready.
        begin : sink
          integer n;
          n = 0;
          while (n < jc[j*13+12]) begin
            @(negedge clk);
            pout_ready = !bp || (($urandom % 3) != 0);
            if (pout_valid === 1'bx || pout_valid === 1'bz) begin
              $display("GLS FAIL job %0d: psum_out_valid_o is X after %0d psums", j, n);
              $finish;
            end
            if (pout_ready && pout_valid) begin
              checked = checked + 1;
              if (pout_data !== expw[exp_off[j] + n]) begin
                errors = errors + 1;
                if (errors == 1)
                  $display("GLS first mismatch: job %0d psum %0d (stream word %0d): got %h expected %h",
                           j, n, exp_off[j] + n, pout_data, expw[exp_off[j] + n]);
              end
              n = n + 1;
            end
          end
          @(negedge clk);
          pout_ready = 1'b0;
        end
      join
      // Completion: done pulses, no error, no extra psum.
      k = 0;
      while (done !== 1'b1 && k < 1000) begin
        if (pout_valid === 1'b1) fail_now("extra psum_out word after the expected ones");
        @(negedge clk);
        k = k + 1;
      end
      if (done !== 1'b1) fail_now("done_o never pulsed");
      if (err !== 1'b0 || busy !== 1'b0) fail_now("error or busy at done");
      @(negedge clk);
    end
    if (errors == 0)
      $display("GLS PASS %0d jobs, %0d psums checked, %0d cycles", njobs, checked, cycles);
    else
      $display("GLS FAIL %0d of %0d psums mismatched", errors, checked);
    $finish;
  end
endmodule
