// Float reference operators (docs/numerics.md section 7) against naive double loops, and
// their consistency with the integer operators on integer-valued data.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "rsnpu/golden/golden.h"

namespace {

using namespace rsnpu::golden;

FloatTensor random_floats(const Shape4& s, std::mt19937_64& rng) {
  FloatTensor t(s);
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
  for (auto& v : t.data) v = dist(rng);
  return t;
}

// Naive float convolution in double; 'abs_sum' receives sum |term| per output so that the
// tolerance can scale with the magnitude of the sum.
FloatTensor ref_conv(const FloatTensor& in, const FloatTensor& wt, const std::vector<float>& bias,
                     const ConvParams& p, std::vector<double>& abs_sum) {
  const int N = in.shape.n, H = in.shape.h, W = in.shape.w;
  const int M = wt.shape.n, Cg = wt.shape.c, R = wt.shape.h, S = wt.shape.w;
  const int E = (H + 2 * p.pad_h - R) / p.stride_h + 1;
  const int F = (W + 2 * p.pad_w - S) / p.stride_w + 1;
  const int Mg = M / p.groups;
  FloatTensor out(Shape4{N, M, E, F});
  abs_sum.assign(out.data.size(), 0.0);
  for (int n = 0; n < N; ++n)
    for (int m = 0; m < M; ++m)
      for (int e = 0; e < E; ++e)
        for (int f = 0; f < F; ++f) {
          double sum = bias.empty() ? 0.0 : bias[m];
          double mag = std::fabs(sum);
          for (int c = 0; c < Cg; ++c)
            for (int r = 0; r < R; ++r)
              for (int s = 0; s < S; ++s) {
                const int h = e * p.stride_h + r - p.pad_h, w = f * p.stride_w + s - p.pad_w;
                if (h < 0 || h >= H || w < 0 || w >= W) continue;
                const double t = double(wt.at(m, c, r, s)) * in.at(n, (m / Mg) * Cg + c, h, w);
                sum += t;
                mag += std::fabs(t);
              }
          out.at(n, m, e, f) = float(sum);
          abs_sum[out.index(n, m, e, f)] = mag;
        }
  return out;
}

struct Case {
  Shape4 in, wt;
  ConvParams p;
};

Case random_case(std::mt19937_64& rng) {
  auto uni = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  Case c;
  const int kind = uni(0, 2);
  const int cg = kind == 2 ? 1 : uni(1, 4);
  c.p.groups = kind == 0 ? 1 : uni(2, 4);
  c.p.stride_h = uni(1, 3);
  c.p.stride_w = uni(1, 3);
  c.p.pad_h = uni(0, 2);
  c.p.pad_w = uni(0, 2);
  const int R = uni(1, 5), S = uni(1, 5);
  c.in = Shape4{uni(1, 3), cg * c.p.groups, std::max(1, R - 2 * c.p.pad_h) + uni(0, 6),
                std::max(1, S - 2 * c.p.pad_w) + uni(0, 6)};
  c.wt = Shape4{uni(1, 3) * c.p.groups, cg, R, S};
  return c;
}

std::string describe(const Case& c) {
  return fmt::format("in={} w={} stride={}x{} pad={}x{} groups={}", c.in.str(), c.wt.str(),
                     c.p.stride_h, c.p.stride_w, c.p.pad_h, c.p.pad_w, c.p.groups);
}

double tolerance(double abs_sum, int terms) {
  return 2.0 * (terms + 1) * FLT_EPSILON * abs_sum + 1e-6;
}

TEST(GoldenFloat, Conv2dVsNaive) {
  for (uint64_t seed = 0; seed < 150; ++seed) {
    std::mt19937_64 rng(seed);
    const Case c = random_case(rng);
    const bool with_bias = seed % 2;
    SCOPED_TRACE(fmt::format("seed={} {} bias={}", seed, describe(c), with_bias));
    const FloatTensor in = random_floats(c.in, rng), wt = random_floats(c.wt, rng);
    std::vector<float> bias;
    if (with_bias) bias = random_floats(Shape4{1, 1, 1, c.wt.n}, rng).data;
    std::vector<double> mag;
    const FloatTensor want = ref_conv(in, wt, bias, c.p, mag);
    const FloatTensor got = conv2d(in, wt, bias, c.p);
    ASSERT_EQ(got.shape, want.shape);
    const int terms = c.wt.c * c.wt.h * c.wt.w;
    for (std::size_t i = 0; i < got.data.size(); ++i) {
      ASSERT_NEAR(got.data[i], want.data[i], tolerance(mag[i], terms)) << "i=" << i;
    }
  }
}

TEST(GoldenFloat, FcVsNaive) {
  for (uint64_t seed = 0; seed < 100; ++seed) {
    std::mt19937_64 rng(seed);
    auto uni = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    const Shape4 in_shape{uni(1, 4), uni(1, 16), uni(1, 6), uni(1, 6)};
    const int K = in_shape.c * in_shape.h * in_shape.w;
    const Shape4 wt_shape{uni(1, 10), K, 1, 1};
    const bool with_bias = seed % 2;
    SCOPED_TRACE(
        fmt::format("seed={} in={} w={} bias={}", seed, in_shape.str(), wt_shape.str(), with_bias));
    const FloatTensor in = random_floats(in_shape, rng), wt = random_floats(wt_shape, rng);
    std::vector<float> bias;
    if (with_bias) bias = random_floats(Shape4{1, 1, 1, wt_shape.n}, rng).data;
    const FloatTensor got = fc(in, wt, bias);
    ASSERT_EQ(got.shape, (Shape4{in_shape.n, wt_shape.n, 1, 1}));
    for (int n = 0; n < in_shape.n; ++n) {
      for (int m = 0; m < wt_shape.n; ++m) {
        double sum = with_bias ? bias[m] : 0.0, mag = std::fabs(sum);
        for (int k = 0; k < K; ++k) {
          const double t =
              double(wt.data[std::size_t(m) * K + k]) * in.data[std::size_t(n) * K + k];
          sum += t;
          mag += std::fabs(t);
        }
        ASSERT_NEAR(got.at(n, m, 0, 0), sum, tolerance(mag, K)) << "n=" << n << " m=" << m;
      }
    }
  }
}

TEST(GoldenFloat, MaxpoolVsNaive) {
  for (uint64_t seed = 0; seed < 100; ++seed) {
    std::mt19937_64 rng(seed);
    auto uni = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    PoolParams p{uni(1, 4), uni(1, 4), uni(1, 3), uni(1, 3), 0, 0};
    p.pad_h = uni(0, p.kernel_h - 1);
    p.pad_w = uni(0, p.kernel_w - 1);
    const Shape4 s{uni(1, 2), uni(1, 3), std::max(1, p.kernel_h - 2 * p.pad_h) + uni(0, 7),
                   std::max(1, p.kernel_w - 2 * p.pad_w) + uni(0, 7)};
    SCOPED_TRACE(fmt::format("seed={} in={} kernel={}x{} stride={}x{} pad={}x{}", seed, s.str(),
                             p.kernel_h, p.kernel_w, p.stride_h, p.stride_w, p.pad_h, p.pad_w));
    FloatTensor in = random_floats(s, rng);
    for (auto& v : in.data) v = -std::fabs(v) - 0.5f;  // all negative: padding must not win
    const FloatTensor got = maxpool(in, p);
    const int E = (s.h + 2 * p.pad_h - p.kernel_h) / p.stride_h + 1;
    const int F = (s.w + 2 * p.pad_w - p.kernel_w) / p.stride_w + 1;
    ASSERT_EQ(got.shape, (Shape4{s.n, s.c, E, F}));
    for (int n = 0; n < s.n; ++n)
      for (int c = 0; c < s.c; ++c)
        for (int e = 0; e < E; ++e)
          for (int f = 0; f < F; ++f) {
            float best = -INFINITY;
            for (int r = 0; r < p.kernel_h; ++r)
              for (int q = 0; q < p.kernel_w; ++q) {
                const int h = e * p.stride_h + r - p.pad_h, w = f * p.stride_w + q - p.pad_w;
                if (h >= 0 && h < s.h && w >= 0 && w < s.w)
                  best = std::max(best, in.at(n, c, h, w));
              }
            ASSERT_EQ(got.at(n, c, e, f), best)
                << "n=" << n << " c=" << c << " e=" << e << " f=" << f;
          }
  }
}

TEST(GoldenFloat, IntegerValuedMatchesIntegerOperators) {
  // Small integers are exact in float, so the float path must equal the integer path.
  for (uint64_t seed = 0; seed < 100; ++seed) {
    std::mt19937_64 rng(seed);
    const Case c = random_case(rng);
    const bool with_bias = seed % 2;
    SCOPED_TRACE(fmt::format("seed={} {} bias={}", seed, describe(c), with_bias));
    std::uniform_int_distribution<int> small(-8, 8);
    WordTensor in_w(c.in), wt_w(c.wt);
    FloatTensor in_f(c.in), wt_f(c.wt);
    for (std::size_t i = 0; i < in_w.data.size(); ++i) {
      in_w.data[i] = int16_t(small(rng));
      in_f.data[i] = in_w.data[i];
    }
    for (std::size_t i = 0; i < wt_w.data.size(); ++i) {
      wt_w.data[i] = int16_t(small(rng));
      wt_f.data[i] = wt_w.data[i];
    }
    std::vector<int64_t> bias_i;
    std::vector<float> bias_f;
    if (with_bias) {
      for (int m = 0; m < c.wt.n; ++m) {
        bias_i.push_back(small(rng) * 10);
        bias_f.push_back(float(bias_i.back()));
      }
    }
    const Precision prec = seed % 3 == 0 ? Precision::kInt8 : Precision::kInt16;
    const AccTensor acc = conv2d_acc(in_w, wt_w, bias_i, c.p, prec, 32);
    const FloatTensor out = conv2d(in_f, wt_f, bias_f, c.p);
    ASSERT_EQ(acc.shape, out.shape);
    for (std::size_t i = 0; i < acc.data.size(); ++i) {
      ASSERT_EQ(float(acc.data[i]), out.data[i]) << "i=" << i;
    }
    // FC over the same input, and max pooling of the words vs the floats.
    const Shape4 fc_w{3, c.in.c * c.in.h * c.in.w, 1, 1};
    WordTensor fw(fc_w);
    FloatTensor ff(fc_w);
    for (std::size_t i = 0; i < fw.data.size(); ++i) {
      fw.data[i] = int16_t(small(rng));
      ff.data[i] = fw.data[i];
    }
    const AccTensor fc_acc_out = fc_acc(in_w, fw, {}, prec, 32);
    const FloatTensor fc_out = fc(in_f, ff, {});
    for (std::size_t i = 0; i < fc_acc_out.data.size(); ++i) {
      ASSERT_EQ(float(fc_acc_out.data[i]), fc_out.data[i]) << "fc i=" << i;
    }
    const PoolParams pp{2, 2, 1, 1, 1, 1};
    const WordTensor pw = maxpool(in_w, pp);
    const FloatTensor pf = maxpool(in_f, pp);
    for (std::size_t i = 0; i < pw.data.size(); ++i) {
      ASSERT_EQ(float(pw.data[i]), pf.data[i]) << "pool i=" << i;
    }
  }
}

}  // namespace
