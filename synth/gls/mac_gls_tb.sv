// Gate-level check of the PE's MAC datapath: the netlist module rsnpu_pe_mac (the PE's
// multiplier and accumulator adder, cut out by synth.sh) against the behavioural product and
// sum, on corner operands and NumRandom random full-range ones (INT16, and INT8 values
// sign-extended as the PE feeds them). Runs in iverilog (UDP cell models) and in Verilator
// (the liberty's cell functions; the flags of the top-level gate-level build), so a simulator
// that miscompiles the netlist fails here in seconds rather than as wrong layers.
// Prints "MAC PASS n" or "MAC FAIL ..." and stops after 10 mismatches.
// usage (plusargs): +seed=N
module mac_gls_tb;
  localparam int NumRandom = 20000;
  localparam int WordW = 16;
  localparam int AccW = 32;

  logic [WordW-1:0] mul_a, mul_b;
  logic [AccW-1:0] n1, n2, prod, sum;
  logic [AccW-1:0] exp_prod, exp_sum;
  int unsigned seed, checked, errors;

  // Port names are the nets Yosys keeps: the filter operand is the filter spad's read data.
  rsnpu_pe_mac u_mac (
    .flt_rdata(mul_a),
    .mul_b    (mul_b),
    .n1       (n1),
    .n2       (n2),
    .s2_prod_d(prod),
    .acc_sum  (sum)
  );

  task automatic check(input logic [WordW-1:0] a, input logic [WordW-1:0] b,
                       input logic [AccW-1:0] x, input logic [AccW-1:0] y);
    mul_a = a;
    mul_b = b;
    n1 = x;
    n2 = y;
    #1;
    exp_prod = AccW'($signed(a) * $signed(b));
    exp_sum = x + y;
    checked++;
    if (prod !== exp_prod || sum !== exp_sum) begin
      errors++;
      if (errors <= 10) begin
        $display("MAC mismatch: %0d * %0d = %h (expected %h); %h + %h = %h (expected %h)",
                 $signed(a), $signed(b), prod, exp_prod, x, y, sum, exp_sum);
      end
    end
  endtask

  // A value as the PE feeds it in INT8 mode: the low byte, sign-extended.
  function automatic logic [WordW-1:0] int8(input logic [31:0] r);
    return {{(WordW - 8){r[7]}}, r[7:0]};
  endfunction

  logic [WordW-1:0] corners [8];
  logic [31:0] rng;

  // xorshift32: the same sequence in every simulator (unlike $urandom's seeding).
  function automatic logic [31:0] next(input logic [31:0] x);
    logic [31:0] y;
    y = x ^ (x << 13);
    y = y ^ (y >> 17);
    return y ^ (y << 5);
  endfunction

  initial begin
    if (!$value$plusargs("seed=%d", seed)) seed = 1;
    corners[0] = 16'h0000;
    corners[1] = 16'h0001;
    corners[2] = 16'hffff;
    corners[3] = 16'h7fff;
    corners[4] = 16'h8000;
    corners[5] = 16'h8001;
    corners[6] = 16'h0080;
    corners[7] = 16'hff80;
    checked = 0;
    errors = 0;
    rng = 32'h9e3779b9 ^ seed;
    for (int i = 0; i < 8; i++) begin
      for (int j = 0; j < 8; j++) begin
        check(corners[i], corners[j], {16'h0, corners[i]}, {corners[j], 16'h0});
      end
    end
    for (int unsigned k = 0; k < NumRandom; k++) begin
      logic [31:0] ra, rb, rx, ry;
      rng = next(rng);
      ra = rng;
      rng = next(rng);
      rb = rng;
      rng = next(rng);
      rx = rng;
      rng = next(rng);
      ry = rng;
      if (k % 2 == 0) begin
        check(ra[WordW-1:0], rb[WordW-1:0], rx, ry);
      end else begin
        check(int8(ra), int8(rb), rx, ry);
      end
    end
    if (errors == 0) begin
      $display("MAC PASS %0d vectors (seed %0d)", checked, seed);
    end else begin
      $display("MAC FAIL %0d of %0d vectors (seed %0d)", errors, checked, seed);
    end
    $finish;
  end
endmodule
