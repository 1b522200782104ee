// Layer operators of docs/numerics.md sections 4-5 (conv2d_acc, fc_acc, tensor requantize,
// maxpool, relu) against naive loop references written here from the contract.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
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

// Random 16-bit words. In INT8 the upper byte is garbage on purpose (the operand must
// come from the low byte only).
WordTensor random_words(const Shape4& s, std::mt19937_64& rng, int lo = -32768, int hi = 32767) {
  WordTensor t(s);
  std::uniform_int_distribution<int> dist(lo, hi);
  for (auto& v : t.data) v = static_cast<int16_t>(dist(rng));
  return t;
}

// Naive 7-loop convolution, direct indexing with zero padding (section 5).
AccTensor ref_conv(const WordTensor& in, const WordTensor& wt, const std::vector<int64_t>& bias,
                   const ConvParams& p, Precision prec, int acc_bits) {
  const int N = in.shape.n, C = in.shape.c, H = in.shape.h, W = in.shape.w;
  const int M = wt.shape.n, Cg = wt.shape.c, R = wt.shape.h, S = wt.shape.w;
  const int E = (H + 2 * p.pad_h - R) / p.stride_h + 1;
  const int F = (W + 2 * p.pad_w - S) / p.stride_w + 1;
  const int Mg = M / p.groups;
  EXPECT_EQ(Cg * p.groups, C);
  AccTensor out(Shape4{N, M, E, F});
  for (int n = 0; n < N; ++n)
    for (int m = 0; m < M; ++m)
      for (int e = 0; e < E; ++e)
        for (int f = 0; f < F; ++f) {
          __int128 sum = bias.empty() ? 0 : bias[m];
          const int g = m / Mg;
          for (int c = 0; c < Cg; ++c)
            for (int r = 0; r < R; ++r)
              for (int s = 0; s < S; ++s) {
                const int h = e * p.stride_h + r - p.pad_h;
                const int w = f * p.stride_w + s - p.pad_w;
                if (h < 0 || h >= H || w < 0 || w >= W) continue;  // zero padding
                sum += int64_t(ref_operand(wt.at(m, c, r, s), prec)) *
                       ref_operand(in.at(n, g * Cg + c, h, w), prec);
              }
          out.at(n, m, e, f) = ref_wrap(sum, acc_bits);
        }
  return out;
}

AccTensor ref_fc(const WordTensor& in, const WordTensor& wt, const std::vector<int64_t>& bias,
                 Precision prec, int acc_bits) {
  const int N = in.shape.n, M = wt.shape.n;
  const int K = in.shape.c * in.shape.h * in.shape.w;
  AccTensor out(Shape4{N, M, 1, 1});
  for (int n = 0; n < N; ++n)
    for (int m = 0; m < M; ++m) {
      __int128 sum = bias.empty() ? 0 : bias[m];
      for (int k = 0; k < K; ++k) {
        sum += int64_t(ref_operand(wt.data[std::size_t(m) * K + k], prec)) *
               ref_operand(in.data[std::size_t(n) * K + k], prec);
      }
      out.at(n, m, 0, 0) = ref_wrap(sum, acc_bits);
    }
  return out;
}

struct ConvCase {
  Shape4 in, wt;
  ConvParams p;
  Precision prec = Precision::kInt16;
  int acc_bits = 32;
  bool bias = false;
};

std::string describe(const ConvCase& c) {
  return fmt::format("in={} w={} stride={}x{} pad={}x{} groups={} prec={} acc_bits={} bias={}",
                     c.in.str(), c.wt.str(), c.p.stride_h, c.p.stride_w, c.p.pad_h, c.p.pad_w,
                     c.p.groups, to_string(c.prec), c.acc_bits, c.bias);
}

ConvCase random_conv_case(std::mt19937_64& rng) {
  auto uni = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  ConvCase c;
  const int kind = uni(0, 3);  // 0,1: groups 1; 2: groups 2..3; 3: depthwise
  const int cg = kind == 3 ? 1 : uni(1, 4);
  const int mg = kind == 3 ? uni(1, 2) : uni(1, 4);
  c.p.groups = kind <= 1 ? 1 : (kind == 2 ? uni(2, 3) : uni(2, 6));
  c.p.stride_h = uni(1, 3);
  c.p.stride_w = uni(1, 3);
  c.p.pad_h = uni(0, 2);
  c.p.pad_w = uni(0, 2);
  const int R = uni(1, 5), S = uni(1, 5);
  const int H = std::max(1, R - 2 * c.p.pad_h) + uni(0, 7);
  const int W = std::max(1, S - 2 * c.p.pad_w) + uni(0, 7);
  c.in = Shape4{uni(1, 3), cg * c.p.groups, H, W};
  c.wt = Shape4{mg * c.p.groups, cg, R, S};
  c.prec = uni(0, 1) ? Precision::kInt8 : Precision::kInt16;
  const int bits_pick = uni(0, 9);
  c.acc_bits = bits_pick == 0 ? 16 : (bits_pick == 1 ? 24 : (bits_pick == 2 ? 64 : 32));
  c.bias = uni(0, 1);
  return c;
}

std::vector<int64_t> random_bias(int m, int acc_bits, std::mt19937_64& rng) {
  const int64_t lim =
      acc_bits == 64 ? std::numeric_limits<int64_t>::max() : (int64_t{1} << (acc_bits - 1)) - 1;
  std::uniform_int_distribution<int64_t> dist(-lim - 1, lim);
  std::vector<int64_t> b(m);
  for (auto& v : b) v = dist(rng);
  return b;
}

void check_conv_case(const ConvCase& c, std::mt19937_64& rng) {
  const WordTensor in = random_words(c.in, rng);
  const WordTensor wt = random_words(c.wt, rng);
  const std::vector<int64_t> bias =
      c.bias ? random_bias(c.wt.n, c.acc_bits, rng) : std::vector<int64_t>{};
  const AccTensor got = conv2d_acc(in, wt, bias, c.p, c.prec, c.acc_bits);
  const AccTensor want = ref_conv(in, wt, bias, c.p, c.prec, c.acc_bits);
  ASSERT_EQ(got.shape, want.shape) << got.shape.str() << " vs " << want.shape.str();
  ASSERT_EQ(got.data, want.data);
  EXPECT_EQ(conv_output_shape(c.in, c.wt, c.p), want.shape);
}

TEST(GoldenConv, RandomShapesVsNaive) {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    std::mt19937_64 rng(seed);
    const ConvCase c = random_conv_case(rng);
    SCOPED_TRACE(fmt::format("seed={} {}", seed, describe(c)));
    check_conv_case(c, rng);
  }
}

TEST(GoldenConv, ListedShapesVsNaive) {
  auto cp = [](int sh, int sw, int ph, int pw, int g) { return ConvParams{sh, sw, ph, pw, g}; };
  const std::vector<ConvCase> cases = {
      {{1, 3, 5, 5}, {4, 3, 3, 3}, cp(1, 1, 0, 0, 1)},                               // basic
      {{1, 3, 7, 9}, {2, 3, 1, 1}, cp(1, 1, 0, 0, 1)},                               // 1x1
      {{2, 4, 7, 8}, {6, 4, 2, 5}, cp(2, 3, 1, 2, 1), Precision::kInt8, 32, true},   // R != S
      {{1, 6, 9, 9}, {4, 3, 3, 3}, cp(2, 2, 1, 1, 2), Precision::kInt16, 32, true},  // groups 2
      {{3, 5, 6, 7}, {5, 1, 3, 3}, cp(1, 1, 1, 1, 5), Precision::kInt8},             // depthwise
      {{1, 3, 27, 27},
       {8, 3, 11, 11},
       cp(4, 4, 2, 2, 1),
       Precision::kInt16,
       32,
       true},                                           // AlexNet-ish
      {{1, 2, 1, 1}, {3, 2, 1, 1}, cp(1, 1, 0, 0, 1)},  // single pixel
      {{1, 2, 1, 1}, {3, 2, 3, 3}, cp(1, 1, 1, 1, 1)},  // all padding but centre
      {{2, 3, 6, 6}, {4, 3, 3, 3}, cp(1, 2, 0, 1, 1), Precision::kInt16, 16, true},
      {{2, 3, 6, 6}, {4, 3, 3, 3}, cp(2, 1, 1, 0, 1), Precision::kInt8, 24, true},
      {{1, 4, 5, 5}, {4, 4, 5, 5}, cp(3, 3, 0, 0, 1), Precision::kInt16, 64, true},
      {{1, 32, 13, 13}, {48, 16, 5, 5}, cp(1, 1, 2, 2, 2), Precision::kInt8, 32, true},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    std::mt19937_64 rng(1000 + i);
    SCOPED_TRACE(fmt::format("case={} seed={} {}", i, 1000 + i, describe(cases[i])));
    check_conv_case(cases[i], rng);
  }
}

TEST(GoldenConv, Int8IgnoresUpperByte) {
  for (uint64_t seed = 0; seed < 50; ++seed) {
    std::mt19937_64 rng(seed);
    ConvCase c = random_conv_case(rng);
    c.prec = Precision::kInt8;
    SCOPED_TRACE(fmt::format("seed={} {}", seed, describe(c)));
    WordTensor in = random_words(c.in, rng), wt = random_words(c.wt, rng);
    WordTensor in_clean = in, wt_clean = wt;  // same low bytes, sign-extended
    for (auto& v : in_clean.data) v = static_cast<int8_t>(v & 0xff);
    for (auto& v : wt_clean.data) v = static_cast<int8_t>(v & 0xff);
    const AccTensor dirty = conv2d_acc(in, wt, {}, c.p, c.prec, c.acc_bits);
    ASSERT_EQ(dirty.data, conv2d_acc(in_clean, wt_clean, {}, c.p, c.prec, c.acc_bits).data);
    // A sign-extended INT8 tensor is also a valid INT16 tensor of the same values.
    ASSERT_EQ(dirty.data,
              conv2d_acc(in_clean, wt_clean, {}, c.p, Precision::kInt16, c.acc_bits).data);
  }
}

TEST(GoldenConv, ExtremeValuesWrap) {
  // All words -32768: every product is 2^30; 27 of them (3x3x3) sum to 27*2^30, which
  // wraps in 32 bits to 3*2^30 - 2^32 = -2^30.
  const WordTensor in(Shape4{1, 3, 3, 3}, int16_t(-32768));
  const WordTensor wt(Shape4{2, 3, 3, 3}, int16_t(-32768));
  const AccTensor acc = conv2d_acc(in, wt, {}, ConvParams{}, Precision::kInt16, 32);
  ASSERT_EQ(acc.shape, (Shape4{1, 2, 1, 1}));
  EXPECT_EQ(acc.data[0], -(int64_t{1} << 30));
  EXPECT_EQ(acc.data[1], -(int64_t{1} << 30));
  // A bias of 2^30 is one more term: 28*2^30 wraps to 0.
  const AccTensor with_bias =
      conv2d_acc(in, wt, {int64_t{1} << 30, 0}, ConvParams{}, Precision::kInt16, 32);
  EXPECT_EQ(with_bias.data[0], 0);
  EXPECT_EQ(with_bias.data[1], -(int64_t{1} << 30));

  // Random extreme tensors (every word -32768 or 32767) with padding: per-output term
  // counts differ, and sums far beyond 2^31 wrap.
  for (uint64_t seed = 0; seed < 50; ++seed) {
    std::mt19937_64 rng(seed);
    ConvCase c = random_conv_case(rng);
    c.prec = Precision::kInt16;
    c.acc_bits = 32;
    c.in.c *= 4;  // more terms per output
    c.wt.c *= 4;
    SCOPED_TRACE(fmt::format("seed={} {}", seed, describe(c)));
    WordTensor in(c.in), wt(c.wt);
    for (auto& v : in.data) v = (rng() % 8) ? int16_t(-32768) : int16_t(32767);
    for (auto& v : wt.data) v = (rng() % 8) ? int16_t(-32768) : int16_t(32767);
    const std::vector<int64_t> bias(c.wt.n, std::numeric_limits<int32_t>::min());
    ASSERT_EQ(conv2d_acc(in, wt, bias, c.p, c.prec, 32).data,
              ref_conv(in, wt, bias, c.p, c.prec, 32).data);
  }
}

TEST(GoldenConv, Int64BiasExtremes) {
  // acc_bits 64 with int64 extreme biases: the bias term must wrap modulo 2^64, not UB.
  const WordTensor in(Shape4{1, 1, 2, 2}, int16_t(-32768));
  const WordTensor wt(Shape4{2, 1, 2, 2}, int16_t(-32768));
  const std::vector<int64_t> bias = {std::numeric_limits<int64_t>::max(),
                                     std::numeric_limits<int64_t>::min()};
  const AccTensor acc = conv2d_acc(in, wt, bias, ConvParams{}, Precision::kInt16, 64);
  EXPECT_EQ(acc.data[0], std::numeric_limits<int64_t>::min() + (int64_t{1} << 32) - 1);
  EXPECT_EQ(acc.data[1], std::numeric_limits<int64_t>::min() + (int64_t{1} << 32));
}

TEST(GoldenFc, RandomVsNaive) {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    std::mt19937_64 rng(seed);
    auto uni = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    const Shape4 in_shape{uni(1, 4), uni(1, 8), uni(1, 5), uni(1, 5)};
    const int K = in_shape.c * in_shape.h * in_shape.w;
    const Shape4 wt_shape{uni(1, 12), K, 1, 1};
    const Precision prec = uni(0, 1) ? Precision::kInt8 : Precision::kInt16;
    const int acc_bits = seed % 10 == 0 ? 16 : 32;
    const bool with_bias = uni(0, 1);
    const bool extreme = seed % 7 == 0;
    SCOPED_TRACE(fmt::format("seed={} in={} w={} prec={} acc_bits={} bias={} extreme={}", seed,
                             in_shape.str(), wt_shape.str(), to_string(prec), acc_bits, with_bias,
                             extreme));
    WordTensor in = random_words(in_shape, rng), wt = random_words(wt_shape, rng);
    if (extreme) {
      std::fill(in.data.begin(), in.data.end(), int16_t(-32768));
      std::fill(wt.data.begin(), wt.data.end(), int16_t(-32768));
    }
    const std::vector<int64_t> bias =
        with_bias ? random_bias(wt_shape.n, acc_bits, rng) : std::vector<int64_t>{};
    const AccTensor got = fc_acc(in, wt, bias, prec, acc_bits);
    ASSERT_EQ(got.shape, (Shape4{in_shape.n, wt_shape.n, 1, 1}));
    ASSERT_EQ(got.data, ref_fc(in, wt, bias, prec, acc_bits).data);
  }
}

TEST(GoldenFc, EqualsConvWithFullKernel) {
  // FC on C x H x W is a conv with an H x W kernel and no padding.
  for (uint64_t seed = 0; seed < 30; ++seed) {
    std::mt19937_64 rng(seed);
    auto uni = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    const Shape4 in_shape{uni(1, 3), uni(1, 6), uni(1, 6), uni(1, 6)};
    const int M = uni(1, 8);
    SCOPED_TRACE(fmt::format("seed={} in={} M={}", seed, in_shape.str(), M));
    const WordTensor in = random_words(in_shape, rng);
    WordTensor wt_conv = random_words(Shape4{M, in_shape.c, in_shape.h, in_shape.w}, rng);
    WordTensor wt_fc = wt_conv;
    wt_fc.shape = Shape4{M, in_shape.c * in_shape.h * in_shape.w, 1, 1};
    ASSERT_EQ(fc_acc(in, wt_fc, {}, Precision::kInt16, 32).data,
              conv2d_acc(in, wt_conv, {}, ConvParams{}, Precision::kInt16, 32).data);
  }
}

TEST(GoldenRequantize, TensorMatchesScalar) {
  for (uint64_t seed = 0; seed < 50; ++seed) {
    std::mt19937_64 rng(seed);
    const Requant rq{int(seed % 20), seed % 2 ? Precision::kInt8 : Precision::kInt16,
                     (seed / 2) % 2 == 1};
    const Shape4 s{1 + int(rng() % 2), 1 + int(rng() % 4), 1 + int(rng() % 5), 1 + int(rng() % 5)};
    SCOPED_TRACE(fmt::format("seed={} shape={} shift={} prec={} relu={}", seed, s.str(), rq.shift,
                             to_string(rq.prec), rq.relu));
    AccTensor acc(s);
    std::uniform_int_distribution<int64_t> dist(-(int64_t{1} << 31), (int64_t{1} << 31) - 1);
    for (auto& v : acc.data) v = dist(rng);
    const WordTensor out = requantize(acc, rq);
    ASSERT_EQ(out.shape, s);
    for (std::size_t i = 0; i < acc.data.size(); ++i) {
      ASSERT_EQ(out.data[i], requantize(acc.data[i], rq)) << "i=" << i;
    }
  }
  // Hand values through the tensor overload.
  AccTensor acc(Shape4{1, 1, 1, 4});
  acc.data = {-5, -7, 5, 40000};
  EXPECT_EQ(requantize(acc, Requant{1, Precision::kInt16, false}).data,
            (std::vector<int16_t>{-2, -3, 3, 20000}));
  EXPECT_EQ(requantize(acc, Requant{1, Precision::kInt8, true}).data,
            (std::vector<int16_t>{0, 0, 3, 127}));
}

// Naive max pooling over valid positions only.
template <typename T>
Tensor4<T> ref_maxpool(const Tensor4<T>& in, const PoolParams& p) {
  const int E = (in.shape.h + 2 * p.pad_h - p.kernel_h) / p.stride_h + 1;
  const int F = (in.shape.w + 2 * p.pad_w - p.kernel_w) / p.stride_w + 1;
  Tensor4<T> out(Shape4{in.shape.n, in.shape.c, E, F});
  for (int n = 0; n < in.shape.n; ++n)
    for (int c = 0; c < in.shape.c; ++c)
      for (int e = 0; e < E; ++e)
        for (int f = 0; f < F; ++f) {
          bool any = false;
          T best{};
          for (int r = 0; r < p.kernel_h; ++r)
            for (int s = 0; s < p.kernel_w; ++s) {
              const int h = e * p.stride_h + r - p.pad_h, w = f * p.stride_w + s - p.pad_w;
              if (h < 0 || h >= in.shape.h || w < 0 || w >= in.shape.w) continue;
              if (!any || in.at(n, c, h, w) > best) best = in.at(n, c, h, w);
              any = true;
            }
          EXPECT_TRUE(any);
          out.at(n, c, e, f) = best;
        }
  return out;
}

PoolParams random_pool(std::mt19937_64& rng, Shape4& in_shape) {
  auto uni = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  PoolParams p;
  p.kernel_h = uni(1, 4);
  p.kernel_w = uni(1, 4);
  p.stride_h = uni(1, 3);
  p.stride_w = uni(1, 3);
  p.pad_h = uni(0, p.kernel_h - 1);  // every window keeps a valid position
  p.pad_w = uni(0, p.kernel_w - 1);
  in_shape = Shape4{uni(1, 2), uni(1, 4), std::max(1, p.kernel_h - 2 * p.pad_h) + uni(0, 8),
                    std::max(1, p.kernel_w - 2 * p.pad_w) + uni(0, 8)};
  return p;
}

std::string describe(const PoolParams& p) {
  return fmt::format("kernel={}x{} stride={}x{} pad={}x{}", p.kernel_h, p.kernel_w, p.stride_h,
                     p.stride_w, p.pad_h, p.pad_w);
}

TEST(GoldenPool, MaxpoolRandomVsNaive) {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    std::mt19937_64 rng(seed);
    Shape4 s;
    const PoolParams p = random_pool(rng, s);
    SCOPED_TRACE(fmt::format("seed={} in={} {}", seed, s.str(), describe(p)));
    // Mostly negative values: a padded zero must never win.
    const WordTensor in = random_words(s, rng, -32768, seed % 2 ? -1 : 32767);
    const WordTensor got = maxpool(in, p);
    const WordTensor want = ref_maxpool(in, p);
    ASSERT_EQ(got.shape, want.shape);
    ASSERT_EQ(got.data, want.data);
  }
}

TEST(GoldenPool, MaxpoolAlexNet3x3s2) {
  // Overlapping 3x3 stride 2 windows as in AlexNet: 13x13 -> 6x6; with pad 1: 7x7.
  for (uint64_t seed = 0; seed < 20; ++seed) {
    std::mt19937_64 rng(seed);
    const int pad = int(seed % 2);
    const PoolParams p{3, 3, 2, 2, pad, pad};
    const Shape4 s{1, 4, 13, 13};
    SCOPED_TRACE(fmt::format("seed={} in={} {}", seed, s.str(), describe(p)));
    const WordTensor in = random_words(s, rng, -32768, -1);
    const WordTensor got = maxpool(in, p);
    ASSERT_EQ(got.shape, (Shape4{1, 4, pad ? 7 : 6, pad ? 7 : 6}));
    ASSERT_EQ(got.data, ref_maxpool(in, p).data);
  }
  // Hand example: 3x3 input, 2x2 window, stride 1, pad 1 (4x4 output). Corner windows see
  // one valid value; negative values prove padding is not a candidate.
  WordTensor in(Shape4{1, 1, 3, 3});
  in.data = {-1, -2, -3, -4, -5, -6, -7, -8, -9};
  const WordTensor out = maxpool(in, PoolParams{2, 2, 1, 1, 1, 1});
  EXPECT_EQ(out.data,
            (std::vector<int16_t>{-1, -1, -2, -3, -1, -1, -2, -3, -4, -4, -5, -6, -7, -7, -8, -9}));
}

TEST(GoldenPool, Relu) {
  WordTensor in(Shape4{1, 1, 1, 5});
  in.data = {-32768, -1, 0, 1, 32767};
  EXPECT_EQ(relu(in).data, (std::vector<int16_t>{0, 0, 0, 1, 32767}));
  EXPECT_EQ(relu(in).shape, in.shape);
  FloatTensor fin(Shape4{1, 1, 1, 4});
  fin.data = {-2.5f, -0.0f, 0.25f, 3.0f};
  EXPECT_EQ(relu(fin).data, (std::vector<float>{0.0f, 0.0f, 0.25f, 3.0f}));
}

}  // namespace
