// The PE primitive (docs/numerics.md section 6): a 1-D row convolution of p filters over
// q channels, written as plain loops because it is the PE scoreboard reference.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "rsnpu/golden/golden.h"

namespace rsnpu::golden {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::invalid_argument("row_conv1d: " + what);
}

void check_at_least_one(const char* name, int v) {
  if (v < 1) fail(std::string(name) + " " + std::to_string(v) + " must be >= 1");
}

void check_size(const char* name, std::size_t got, int64_t want) {
  if (int64_t(got) != want) {
    fail(std::string(name) + " has " + std::to_string(got) + " values, expected " +
         std::to_string(want));
  }
}

}  // namespace

RowConvResult row_conv1d(const RowConvProblem& prob) {
  check_at_least_one("s", prob.s);
  check_at_least_one("p", prob.p);
  check_at_least_one("q", prob.q);
  check_at_least_one("stride", prob.stride);
  check_at_least_one("e", prob.e);
  if (prob.acc_bits < 1 || prob.acc_bits > 64) {
    fail("acc_bits " + std::to_string(prob.acc_bits) + " outside [1, 64]");
  }
  const int64_t width = int64_t(prob.e - 1) * prob.stride + prob.s;
  const int64_t p = prob.p, q = prob.q, s = prob.s, e = prob.e, stride = prob.stride;
  check_size("weights (p*q*s)", prob.weights.size(), p * q * s);
  check_size("ifmap (q*width)", prob.ifmap.size(), q * width);
  if (prob.acc_in) check_size("psum_in (e*p)", prob.psum_in.size(), e * p);

  RowConvResult res;
  res.psum_out.resize(std::size_t(e * p));
  for (int64_t ee = 0; ee < e; ++ee) {
    for (int64_t pp = 0; pp < p; ++pp) {
      int64_t sum = 0;  // exact: each product has at most 31 significant bits
      for (int64_t qq = 0; qq < q; ++qq) {
        for (int64_t ss = 0; ss < s; ++ss) {
          const int32_t x = operand(prob.ifmap[qq * width + ee * stride + ss], prob.prec);
          if (x == 0) {  // zero gating: no filter read, no multiply
            ++res.macs_skipped;
            continue;
          }
          ++res.macs_executed;
          sum += int64_t(operand(prob.weights[(pp * q + qq) * s + ss], prob.prec)) * x;
        }
      }
      // The incoming psum is one more term; add modulo 2^64 (exact since acc_bits <= 64).
      const uint64_t psum_in = prob.acc_in ? uint64_t(prob.psum_in[ee * p + pp]) : 0;
      res.psum_out[ee * p + pp] = wrap(int64_t(uint64_t(sum) + psum_in), prob.acc_bits);
    }
  }
  return res;
}

}  // namespace rsnpu::golden
