// Batched layer operators shared by the float model (float) and the exact fixed-point
// evaluator (double holding integers: every product and sum of the INT16 networks here is an
// integer below 2^53, so double GEMM is exact). Private to rsnpu_ml.
#pragma once

#include <Eigen/Dense>
#include <algorithm>
#include <limits>
#include <vector>

#include "network.h"
#include "rsnpu/ml/cnn.h"

namespace rsnpu::ml::ops {

template <typename S>
using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
template <typename S>
using RowMat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Columns (R*S*C) x (B*E*F) of a conv layer's input windows, rows in (r, s, c) order with c
// fastest so that each window position copies one contiguous input column; padding reads 0.
template <typename S>
Mat<S> im2col(const Act<S>& x, const net::Layer& L) {
  const int E = L.out.h, F = L.out.w, R = L.r, Sk = L.s, C = x.c;
  const auto& p = L.conv;
  Mat<S> cols(long(R) * Sk * C, long(x.b) * E * F);
  for (int b = 0; b < x.b; ++b) {
    for (int e = 0; e < E; ++e) {
      for (int f = 0; f < F; ++f) {
        S* out = cols.col((long(b) * E + e) * F + f).data();
        for (int r = 0; r < R; ++r) {
          const int y = e * p.stride_h + r - p.pad_h;
          for (int s = 0; s < Sk; ++s, out += C) {
            const int xx = f * p.stride_w + s - p.pad_w;
            if (y < 0 || y >= x.h || xx < 0 || xx >= x.w) {
              std::fill(out, out + C, S(0));
            } else {
              const S* in = x.m.col((long(b) * x.h + y) * x.w + xx).data();
              std::copy(in, in + C, out);
            }
          }
        }
      }
    }
  }
  return cols;
}

// Adds column gradients back onto the input positions they were read from.
template <typename S>
Act<S> col2im(const Mat<S>& dcols, const Act<S>& shape_of, const net::Layer& L) {
  Act<S> dx{shape_of.c, shape_of.h, shape_of.w, shape_of.b,
            Mat<S>::Zero(shape_of.m.rows(), shape_of.m.cols())};
  const int E = L.out.h, F = L.out.w, R = L.r, Sk = L.s, C = dx.c;
  const auto& p = L.conv;
  for (int b = 0; b < dx.b; ++b) {
    for (int e = 0; e < E; ++e) {
      for (int f = 0; f < F; ++f) {
        const S* in = dcols.col((long(b) * E + e) * F + f).data();
        for (int r = 0; r < R; ++r) {
          const int y = e * p.stride_h + r - p.pad_h;
          for (int s = 0; s < Sk; ++s, in += C) {
            const int xx = f * p.stride_w + s - p.pad_w;
            if (y < 0 || y >= dx.h || xx < 0 || xx >= dx.w) continue;
            S* out = dx.m.col((long(b) * dx.h + y) * dx.w + xx).data();
            for (int c = 0; c < C; ++c) out[c] += in[c];
          }
        }
      }
    }
  }
  return dx;
}

// Per image flattening in (c, y, x) order: (C*H*W) x B, and back.
template <typename S>
Mat<S> flatten(const Act<S>& x) {
  const long hw = long(x.h) * x.w;
  Mat<S> f(x.c * hw, x.b);
  for (int b = 0; b < x.b; ++b) {
    for (int c = 0; c < x.c; ++c) {
      for (long i = 0; i < hw; ++i) f(c * hw + i, b) = x.m(c, b * hw + i);
    }
  }
  return f;
}
template <typename S>
Act<S> unflatten(const Mat<S>& f, const Act<S>& shape_of) {
  Act<S> x{shape_of.c, shape_of.h, shape_of.w, shape_of.b,
           Mat<S>(shape_of.m.rows(), shape_of.m.cols())};
  const long hw = long(x.h) * x.w;
  for (int b = 0; b < x.b; ++b) {
    for (int c = 0; c < x.c; ++c) {
      for (long i = 0; i < hw; ++i) x.m(c, b * hw + i) = f(c * hw + i, b);
    }
  }
  return x;
}

// Max pooling (windows inside the input; check_trainable refuses padding). argmax, when
// given, receives for each output value the input column of its maximum (same row); ties
// keep the first in window order.
template <typename S>
Act<S> maxpool(const Act<S>& x, const net::Layer& L, std::vector<long>* argmax = nullptr) {
  const auto& p = L.pool;
  const int C = x.c;
  Act<S> y{C, L.out.h, L.out.w, x.b, Mat<S>(C, long(x.b) * L.out.h * L.out.w)};
  if (argmax) argmax->assign(std::size_t(y.m.size()), 0);
  std::vector<long> idx(static_cast<std::size_t>(C), 0);
  for (int b = 0; b < x.b; ++b) {
    for (int oy = 0; oy < y.h; ++oy) {
      for (int ox = 0; ox < y.w; ++ox) {
        const long ocol = (long(b) * y.h + oy) * y.w + ox;
        S* best = y.m.col(ocol).data();
        bool first = true;
        for (int ky = 0; ky < p.kernel_h; ++ky) {
          const int iy = oy * p.stride_h + ky;
          for (int kx = 0; kx < p.kernel_w; ++kx) {
            const int ix = ox * p.stride_w + kx;
            if (iy >= x.h || ix >= x.w) continue;
            const long icol = (long(b) * x.h + iy) * x.w + ix;
            const S* in = x.m.col(icol).data();
            for (int c = 0; c < C; ++c) {
              if (first || in[c] > best[c]) {
                best[c] = in[c];
                idx[std::size_t(c)] = icol;
              }
            }
            first = false;
          }
        }
        if (argmax) std::copy(idx.begin(), idx.end(), argmax->begin() + ocol * C);
      }
    }
  }
  return y;
}

// Weights of a conv/fc layer as an M x (R*S*C) matrix in im2col's row order (fc: M x K),
// from the M x C x R x S order of the description; and a gradient back to that order.
template <typename S>
Mat<S> weight_matrix(const net::Layer& L, const std::vector<S>& w) {
  const long k = long(w.size()) / L.m;
  const Eigen::Map<const RowMat<S>> src(w.data(), L.m, k);
  if (L.type == net::LayerType::kFc || (L.r == 1 && L.s == 1)) return src;
  const int C = int(k / (L.r * L.s)), RS = L.r * L.s;
  Mat<S> out(L.m, k);
  for (int c = 0; c < C; ++c) {
    for (int rs = 0; rs < RS; ++rs) out.col(long(rs) * C + c) = src.col(long(c) * RS + rs);
  }
  return out;
}
template <typename S>
std::vector<S> weight_vector(const net::Layer& L, const Mat<S>& wm) {
  const long k = wm.cols();
  std::vector<S> w(std::size_t(L.m * k));
  Eigen::Map<RowMat<S>> dst(w.data(), L.m, k);
  if (L.type == net::LayerType::kFc || (L.r == 1 && L.s == 1)) {
    dst = wm;
    return w;
  }
  const int C = int(k / (L.r * L.s)), RS = L.r * L.s;
  for (int c = 0; c < C; ++c) {
    for (int rs = 0; rs < RS; ++rs) dst.col(long(c) * RS + rs) = wm.col(long(rs) * C + c);
  }
  return w;
}

// conv or fc without the bias and the output function: the product W * input columns.
template <typename S>
Act<S> linear(const net::Layer& L, const Mat<S>& w, const Act<S>& x, Mat<S>* cache = nullptr) {
  if (L.type == net::LayerType::kFc) {
    Mat<S> f = flatten(x);
    Act<S> y{L.m, 1, 1, x.b, w * f};
    if (cache) *cache = std::move(f);
    return y;
  }
  Mat<S> cols = im2col(x, L);
  Act<S> y{L.m, L.out.h, L.out.w, x.b, w * cols};
  if (cache) *cache = std::move(cols);
  return y;
}

}  // namespace rsnpu::ml::ops
