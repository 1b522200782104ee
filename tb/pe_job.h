// PE jobs: what the testbench asks one PE to do, and constrained-random generation of them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rsnpu/golden/golden.h"
#include "rsnpu/hw_configs.h"

namespace rsnpu::tb {

// Raw PE program, exactly the cfg_*_i fields. May be illegal on purpose.
struct PeProgram {
  int s = 1, p = 1, q = 1, stride = 1, e = 1, rows = 1;
  golden::Precision prec = golden::Precision::kInt16;
  bool flt_load = true;
  bool acc_in = false;
  std::string str() const;  // "S=3 p=2 q=1 U=1 E=5 rows=2 int16 load acc_in"
};

// Stall pattern of the environment around the PE.
struct PeKnobs {
  double flt_valid = 1.0;  // chance per cycle a source offers a word
  double ifm_valid = 1.0;
  double psum_in_valid = 1.0;
  double psum_out_ready = 1.0;  // chance per cycle the sink accepts
  std::string str() const;
};

struct PeJob {
  PeProgram prog;
  std::vector<int16_t> weights;                    // p*q*S words (used when prog.flt_load)
  std::vector<std::vector<int16_t>> ifmap_rows;    // per row: q x width, golden layout
  std::vector<std::vector<int64_t>> psum_in_rows;  // per row: e*p (when prog.acc_in)
};

// A test case: jobs run back to back on one PE (later jobs may reuse loaded filters).
struct PeCase {
  uint64_t seed = 0;
  PeKnobs knobs;
  std::vector<PeJob> jobs;
  std::string str() const;
};

// Problem of one row of a job, for golden::row_conv1d.
golden::RowConvProblem row_problem(const PeJob& job, const std::vector<int16_t>& weights, int row,
                                   int acc_bits);

// Constrained-random case for configuration 'cfg': legal programs covering the corners
// (S = 1, q*S = ifmap spad, p*q*S = filter spad, p = psum spad, U > S, U = S, long rows,
// INT8 words with garbage upper bytes, zero-heavy ifmaps, extreme values that wrap the
// accumulator, filter reuse) and random stalls on every port.
PeCase random_case(const cfg::HwConfig& cfg, uint64_t seed);

}  // namespace rsnpu::tb
