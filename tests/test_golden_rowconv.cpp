// The PE primitive row_conv1d (docs/numerics.md section 6) against conv2d_acc: a row of q
// channels, p filters and stride U is a conv2d with N=1, C=q, H=1, W=width, M=p, R=1, S=s,
// stride_w=U.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "golden_reference.h"
#include "rsnpu/golden/golden.h"

namespace {

using namespace rsnpu::golden;
using rsnpu::golden::test::ref_operand;
using rsnpu::golden::test::ref_wrap;

std::string describe(const RowConvProblem& pr) {
  return fmt::format("s={} p={} q={} stride={} e={} prec={} acc_bits={} acc_in={}", pr.s, pr.p,
                     pr.q, pr.stride, pr.e, to_string(pr.prec), pr.acc_bits, pr.acc_in);
}

RowConvProblem random_problem(std::mt19937_64& rng, uint64_t seed) {
  auto uni = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  RowConvProblem pr;
  pr.s = uni(1, 11);
  pr.p = uni(1, 8);
  pr.q = uni(1, 8);
  pr.stride = uni(1, 4);
  pr.e = uni(1, 16);
  pr.prec = uni(0, 1) ? Precision::kInt8 : Precision::kInt16;
  pr.acc_bits = seed % 10 == 0 ? 16 : (seed % 10 == 1 ? 24 : 32);
  pr.acc_in = uni(0, 1);
  const bool extreme = seed % 9 == 0;
  const int zero_pct = uni(0, 3) * 25;  // 0 %, 25 %, 50 %, 75 % zero ifmap operands
  std::uniform_int_distribution<int> word(-32768, 32767);
  pr.weights.resize(std::size_t(pr.p) * pr.q * pr.s);
  for (auto& w : pr.weights) w = extreme ? int16_t(-32768) : int16_t(word(rng));
  pr.ifmap.resize(std::size_t(pr.q) * pr.width());
  for (auto& x : pr.ifmap) {
    x = extreme ? int16_t(-32768) : int16_t(word(rng));
    if (uni(0, 99) < zero_pct) {
      // In INT8 a zero operand may hide behind a non-zero upper byte.
      x = pr.prec == Precision::kInt8 ? int16_t(uni(0, 127) << 8) : int16_t(0);
    }
  }
  if (pr.acc_in) {
    const int64_t lim = (int64_t{1} << (pr.acc_bits - 1)) - 1;
    std::uniform_int_distribution<int64_t> psum(-lim - 1, lim);
    pr.psum_in.resize(std::size_t(pr.e) * pr.p);
    for (auto& v : pr.psum_in) v = psum(rng);
  }
  return pr;
}

// Expected psum_out through conv2d_acc plus psum_in.
std::vector<int64_t> via_conv2d(const RowConvProblem& pr) {
  WordTensor in(Shape4{1, pr.q, 1, pr.width()});
  in.data = pr.ifmap;
  WordTensor wt(Shape4{pr.p, pr.q, 1, pr.s});
  wt.data = pr.weights;
  ConvParams cp;
  cp.stride_w = pr.stride;
  const AccTensor acc = conv2d_acc(in, wt, {}, cp, pr.prec, pr.acc_bits);
  EXPECT_EQ(acc.shape, (Shape4{1, pr.p, 1, pr.e}));
  std::vector<int64_t> out(std::size_t(pr.e) * pr.p);
  for (int e = 0; e < pr.e; ++e) {
    for (int p = 0; p < pr.p; ++p) {
      __int128 v = acc.at(0, p, 0, e);
      if (pr.acc_in) v += pr.psum_in[std::size_t(e) * pr.p + p];
      out[std::size_t(e) * pr.p + p] = ref_wrap(v, pr.acc_bits);
    }
  }
  return out;
}

// Each ifmap use (e, q, s) happens once per filter; count the zero operands directly.
uint64_t count_zero_uses(const RowConvProblem& pr) {
  uint64_t zeros = 0;
  for (int e = 0; e < pr.e; ++e)
    for (int q = 0; q < pr.q; ++q)
      for (int s = 0; s < pr.s; ++s) {
        const int16_t x = pr.ifmap[std::size_t(q) * pr.width() + e * pr.stride + s];
        const bool zero = pr.prec == Precision::kInt8 ? (x & 0xff) == 0 : x == 0;
        if (zero) zeros += uint64_t(pr.p);
      }
  return zeros;
}

TEST(GoldenRowConv, RandomVsConv2d) {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    std::mt19937_64 rng(seed);
    const RowConvProblem pr = random_problem(rng, seed);
    SCOPED_TRACE(fmt::format("seed={} {}", seed, describe(pr)));
    const RowConvResult res = row_conv1d(pr);
    ASSERT_EQ(res.psum_out, via_conv2d(pr));
    EXPECT_EQ(res.macs_executed + res.macs_skipped, uint64_t(pr.e) * pr.p * pr.q * pr.s);
    EXPECT_EQ(res.macs_skipped, count_zero_uses(pr));
  }
}

TEST(GoldenRowConv, HandExample) {
  // s=3, p=2, q=1, stride 2, e=2: width 5. x = [1, 0, 2, 0, 3].
  RowConvProblem pr;
  pr.s = 3;
  pr.p = 2;
  pr.q = 1;
  pr.stride = 2;
  pr.e = 2;
  pr.weights = {1, 2, 3, -1, -1, -1};  // filter 0 then filter 1
  pr.ifmap = {1, 0, 2, 0, 3};
  pr.acc_in = true;
  pr.psum_in = {100, 200, 300, 400};  // (e0,p0) (e0,p1) (e1,p0) (e1,p1)
  const RowConvResult res = row_conv1d(pr);
  // e0: window [1,0,2] -> p0: 1+0+6 = 7, p1: -1-0-2 = -3
  // e1: window [2,0,3] -> p0: 2+0+9 = 11, p1: -2-0-3 = -5
  EXPECT_EQ(res.psum_out, (std::vector<int64_t>{107, 197, 311, 395}));
  EXPECT_EQ(res.macs_skipped, 4u);  // one zero per window, two filters, two windows
  EXPECT_EQ(res.macs_executed, 8u);
  pr.acc_in = false;
  pr.psum_in.clear();
  EXPECT_EQ(row_conv1d(pr).psum_out, (std::vector<int64_t>{7, -3, 11, -5}));
}

TEST(GoldenRowConv, AllZeroIfmapSkipsEverything) {
  RowConvProblem pr;
  pr.s = 3;
  pr.p = 4;
  pr.q = 2;
  pr.e = 5;
  pr.prec = Precision::kInt8;
  pr.weights.assign(std::size_t(pr.p) * pr.q * pr.s, int16_t(77));
  pr.ifmap.assign(std::size_t(pr.q) * pr.width(), int16_t(0x3f00));  // INT8 operand 0
  const RowConvResult res = row_conv1d(pr);
  EXPECT_EQ(res.macs_executed, 0u);
  EXPECT_EQ(res.macs_skipped, uint64_t(pr.e) * pr.p * pr.q * pr.s);
  EXPECT_EQ(res.psum_out, std::vector<int64_t>(std::size_t(pr.e) * pr.p, 0));
}

TEST(GoldenRowConv, PsumInWrapsWithExtremeValues) {
  // psum_in = int64 extremes at acc_bits 64 and 32: the add wraps, never UB.
  RowConvProblem pr;
  pr.s = 1;
  pr.p = 2;
  pr.q = 1;
  pr.e = 1;
  pr.acc_bits = 64;
  pr.acc_in = true;
  pr.weights = {-32768, -32768};
  pr.ifmap = {-32768};
  pr.psum_in = {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()};
  EXPECT_EQ(row_conv1d(pr).psum_out,
            (std::vector<int64_t>{std::numeric_limits<int64_t>::min() + (int64_t{1} << 30) - 1,
                                  std::numeric_limits<int64_t>::min() + (int64_t{1} << 30)}));
  pr.acc_bits = 32;
  pr.psum_in = {(int64_t{1} << 31) - 1, int64_t{1} << 30};
  // 2^31 - 1 + 2^30 wraps to -2^31 + 2^30 - 1; 2^30 + 2^30 = 2^31 wraps to -2^31.
  EXPECT_EQ(
      row_conv1d(pr).psum_out,
      (std::vector<int64_t>{-(int64_t{1} << 31) + (int64_t{1} << 30) - 1, -(int64_t{1} << 31)}));
}

}  // namespace
