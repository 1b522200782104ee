// Layer operators of the numeric contract (docs/numerics.md sections 4-5): convolution as
// im2col + GEMM, fully connected as a GEMM, max pooling and ReLU, in integer (exact int64
// sums wrapped once per output) and float.
#include <Eigen/Dense>
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "rsnpu/golden/golden.h"

namespace rsnpu::golden {
namespace {

template <typename T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

[[noreturn]] void fail(const char* op, const std::string& what) {
  throw std::invalid_argument(std::string(op) + ": " + what);
}

std::string num(int64_t v) { return std::to_string(v); }

// Every dimension positive and the data vector as long as the shape says.
void check_tensor(const char* op, const char* name, const Shape4& s, std::size_t data_size) {
  const struct {
    const char* dim;
    int value;
  } dims[] = {{"N", s.n}, {"C", s.c}, {"H", s.h}, {"W", s.w}};
  for (const auto& d : dims) {
    if (d.value <= 0) {
      fail(op, std::string(name) + " " + d.dim + " " + num(d.value) + " must be positive");
    }
  }
  if (data_size != s.size()) {
    fail(op, std::string(name) + " has " + num(int64_t(data_size)) + " values, shape " + s.str() +
                 " needs " + num(int64_t(s.size())));
  }
}

void check_acc_bits(const char* op, int acc_bits) {
  if (acc_bits < 1 || acc_bits > 64) fail(op, "acc_bits " + num(acc_bits) + " outside [1, 64]");
}

// Output length of one spatial dimension (section 5 formula); throws if the window, stride
// or padding is illegal. 'axis' is "h" or "w", 'kname' the window dimension name.
int window_out_len(const char* op, const char* axis, int in, const char* kname, int k, int stride,
                   int pad) {
  const std::string a(axis);
  if (stride < 1) fail(op, "stride_" + a + " " + num(stride) + " must be >= 1");
  if (pad < 0) fail(op, "pad_" + a + " " + num(pad) + " must be >= 0");
  const int64_t padded = int64_t(in) + 2 * int64_t(pad);
  if (padded < k) {
    fail(op, std::string(kname) + " " + num(k) + " larger than padded input " + num(padded) + " (" +
                 (a == "h" ? "H " : "W ") + num(in) + " + 2*pad_" + a + " " + num(pad) + ")");
  }
  if (padded > INT32_MAX) fail(op, "padded input " + a + " " + num(padded) + " too large");
  return int((padded - k) / stride + 1);
}

Shape4 conv_shape(const char* op, const Shape4& in, std::size_t in_size, const Shape4& wt,
                  std::size_t wt_size, const ConvParams& p) {
  check_tensor(op, "input", in, in_size);
  check_tensor(op, "weights", wt, wt_size);
  if (p.groups < 1) fail(op, "groups " + num(p.groups) + " must be >= 1");
  if (in.c % p.groups != 0) {
    fail(op, "input channels " + num(in.c) + " not divisible by groups " + num(p.groups));
  }
  if (wt.n % p.groups != 0) {
    fail(op, "filters M " + num(wt.n) + " not divisible by groups " + num(p.groups));
  }
  if (wt.c != in.c / p.groups) {
    fail(op, "weights C " + num(wt.c) + " != input channels " + num(in.c) + " / groups " +
                 num(p.groups));
  }
  const int e = window_out_len(op, "h", in.h, "kernel R", wt.h, p.stride_h, p.pad_h);
  const int f = window_out_len(op, "w", in.w, "kernel S", wt.w, p.stride_w, p.pad_w);
  return Shape4{in.n, wt.n, e, f};
}

template <typename B>
void check_bias(const char* op, const std::vector<B>& bias, int m) {
  if (!bias.empty() && bias.size() != std::size_t(m)) {
    fail(op, "bias has " + num(int64_t(bias.size())) + " values, expected 0 or M " + num(m));
  }
}

// Section 5 convolution without bias, on values already converted to the sum type T
// (int64_t operands or float). For each image and group: out_g (Mg x E*F) = W_g (Mg x K)
// * cols (K x E*F), K = Cg*R*S, where cols is the zero-padded im2col matrix.
template <typename T>
Tensor4<T> conv_sums(const Shape4& in_shape, const std::vector<T>& x, const Shape4& w_shape,
                     const std::vector<T>& w, const ConvParams& p, const Shape4& out_shape) {
  const int groups = p.groups;
  const int cg = in_shape.c / groups, mg = w_shape.n / groups;
  const int R = w_shape.h, S = w_shape.w, E = out_shape.h, F = out_shape.w;
  const int K = cg * R * S;
  Tensor4<T> out(out_shape);
  auto in_index = [&in_shape](int n, int c, int h, int w) {
    return ((std::size_t(n) * in_shape.c + c) * in_shape.h + h) * in_shape.w + w;
  };
  RowMatrix<T> cols(K, E * F);
  const Eigen::Map<const RowMatrix<T>> w_all(w.data(), w_shape.n, K);

  for (int n = 0; n < in_shape.n; ++n) {
    for (int g = 0; g < groups; ++g) {
      // im2col: row (c, r, s), column (e, f); padded positions are zero.
      for (int c = 0; c < cg; ++c) {
        for (int r = 0; r < R; ++r) {
          for (int s = 0; s < S; ++s) {
            T* row = &cols(((c * R) + r) * S + s, 0);
            for (int e = 0; e < E; ++e) {
              const int h = e * p.stride_h + r - p.pad_h;
              for (int f = 0; f < F; ++f) {
                const int col = f * p.stride_w + s - p.pad_w;
                const bool valid = h >= 0 && h < in_shape.h && col >= 0 && col < in_shape.w;
                row[e * F + f] = valid ? x[in_index(n, g * cg + c, h, col)] : T{0};
              }
            }
          }
        }
      }
      Eigen::Map<RowMatrix<T>> out_g(&out.at(n, g * mg, 0, 0), mg, E * F);
      out_g.noalias() = w_all.middleRows(g * mg, mg) * cols;
    }
  }
  return out;
}

// Fully connected (section 5) without bias: out (N x M) = X (N x K) * W^T (K x M).
template <typename T>
Tensor4<T> fc_sums(const Shape4& in_shape, const std::vector<T>& x, int m,
                   const std::vector<T>& w) {
  const int n = in_shape.n;
  const int k = in_shape.c * in_shape.h * in_shape.w;
  Tensor4<T> out(Shape4{n, m, 1, 1});
  const Eigen::Map<const RowMatrix<T>> xm(x.data(), n, k);
  const Eigen::Map<const RowMatrix<T>> wm(w.data(), m, k);
  Eigen::Map<RowMatrix<T>> om(out.data.data(), n, m);
  om.noalias() = xm * wm.transpose();
  return out;
}

void check_fc(const char* op, const Shape4& in, std::size_t in_size, const Shape4& wt,
              std::size_t wt_size) {
  check_tensor(op, "input", in, in_size);
  check_tensor(op, "weights", wt, wt_size);
  const int64_t k = int64_t(in.c) * in.h * in.w;
  if (wt.h != 1 || wt.w != 1) {
    fail(op, "weights " + wt.str() + " must be M x K x 1 x 1 (H and W 1)");
  }
  if (wt.c != k) {
    fail(op, "weights K " + num(wt.c) + " != input C*H*W " + num(k) + " (" + in.str() + ")");
  }
}

std::vector<int64_t> operands(const std::vector<int16_t>& words, Precision prec) {
  std::vector<int64_t> v(words.size());
  std::transform(words.begin(), words.end(), v.begin(),
                 [prec](int16_t word) { return int64_t(operand(word, prec)); });
  return v;
}

// Bias is one more term of the sum; the addition is modulo 2^64 so it cannot overflow,
// which is exact because acc_bits <= 64.
void add_bias_and_wrap(AccTensor& acc, const std::vector<int64_t>& bias, int acc_bits) {
  const Shape4& s = acc.shape;
  const std::size_t plane = std::size_t(s.h) * s.w;
  for (int n = 0; n < s.n; ++n) {
    for (int m = 0; m < s.c; ++m) {
      const uint64_t b = bias.empty() ? 0 : uint64_t(bias[m]);
      int64_t* out = &acc.at(n, m, 0, 0);
      for (std::size_t i = 0; i < plane; ++i) {
        out[i] = wrap(int64_t(uint64_t(out[i]) + b), acc_bits);
      }
    }
  }
}

void add_bias(FloatTensor& out, const std::vector<float>& bias) {
  if (bias.empty()) return;
  const Shape4& s = out.shape;
  const std::size_t plane = std::size_t(s.h) * s.w;
  for (int n = 0; n < s.n; ++n) {
    for (int m = 0; m < s.c; ++m) {
      float* o = &out.at(n, m, 0, 0);
      for (std::size_t i = 0; i < plane; ++i) o[i] += bias[m];
    }
  }
}

// Section 4: maximum over the valid (non-padded) positions of each window.
template <typename T>
Tensor4<T> maxpool_impl(const Tensor4<T>& in, const PoolParams& p) {
  const char* op = "maxpool";
  check_tensor(op, "input", in.shape, in.data.size());
  if (p.kernel_h < 1) fail(op, "kernel_h " + num(p.kernel_h) + " must be >= 1");
  if (p.kernel_w < 1) fail(op, "kernel_w " + num(p.kernel_w) + " must be >= 1");
  const int E = window_out_len(op, "h", in.shape.h, "kernel_h", p.kernel_h, p.stride_h, p.pad_h);
  const int F = window_out_len(op, "w", in.shape.w, "kernel_w", p.kernel_w, p.stride_w, p.pad_w);
  // Every window must hold at least one valid position. The first window covers
  // [-pad, kernel - pad), so it is all padding iff pad >= kernel; and when pad < kernel the
  // last one is valid too (its start (E-1)*stride - pad <= H + pad - kernel < H).
  if (p.pad_h >= p.kernel_h) {
    fail(op, "pad_h " + num(p.pad_h) + " >= kernel_h " + num(p.kernel_h) +
                 ": the first window covers only padding");
  }
  if (p.pad_w >= p.kernel_w) {
    fail(op, "pad_w " + num(p.pad_w) + " >= kernel_w " + num(p.kernel_w) +
                 ": the first window covers only padding");
  }

  Tensor4<T> out(Shape4{in.shape.n, in.shape.c, E, F});
  for (int n = 0; n < in.shape.n; ++n) {
    for (int c = 0; c < in.shape.c; ++c) {
      for (int e = 0; e < E; ++e) {
        const int h0 = std::max(e * p.stride_h - p.pad_h, 0);
        const int h1 = std::min(e * p.stride_h - p.pad_h + p.kernel_h, in.shape.h);
        for (int f = 0; f < F; ++f) {
          const int w0 = std::max(f * p.stride_w - p.pad_w, 0);
          const int w1 = std::min(f * p.stride_w - p.pad_w + p.kernel_w, in.shape.w);
          T best = in.at(n, c, h0, w0);
          for (int h = h0; h < h1; ++h) {
            for (int w = w0; w < w1; ++w) best = std::max(best, in.at(n, c, h, w));
          }
          out.at(n, c, e, f) = best;
        }
      }
    }
  }
  return out;
}

template <typename T>
Tensor4<T> relu_impl(const Tensor4<T>& in) {
  check_tensor("relu", "input", in.shape, in.data.size());
  Tensor4<T> out = in;
  for (T& v : out.data) v = std::max(v, T{0});
  return out;
}

}  // namespace

Shape4 conv_output_shape(const Shape4& in, const Shape4& weights, const ConvParams& p) {
  return conv_shape("conv2d", in, in.size(), weights, weights.size(), p);
}

AccTensor conv2d_acc(const WordTensor& in, const WordTensor& weights,
                     const std::vector<int64_t>& bias, const ConvParams& p, Precision prec,
                     int acc_bits) {
  const char* op = "conv2d";
  const Shape4 out_shape =
      conv_shape(op, in.shape, in.data.size(), weights.shape, weights.data.size(), p);
  check_bias(op, bias, weights.shape.n);
  check_acc_bits(op, acc_bits);
  AccTensor acc = conv_sums<int64_t>(in.shape, operands(in.data, prec), weights.shape,
                                     operands(weights.data, prec), p, out_shape);
  add_bias_and_wrap(acc, bias, acc_bits);
  return acc;
}

AccTensor fc_acc(const WordTensor& in, const WordTensor& weights, const std::vector<int64_t>& bias,
                 Precision prec, int acc_bits) {
  const char* op = "fc";
  check_fc(op, in.shape, in.data.size(), weights.shape, weights.data.size());
  check_bias(op, bias, weights.shape.n);
  check_acc_bits(op, acc_bits);
  AccTensor acc = fc_sums<int64_t>(in.shape, operands(in.data, prec), weights.shape.n,
                                   operands(weights.data, prec));
  add_bias_and_wrap(acc, bias, acc_bits);
  return acc;
}

void add_residual(AccTensor& acc, const WordTensor& res, int shift, int acc_bits) {
  check_acc_bits("add_residual", acc_bits);
  if (!(res.shape == acc.shape) || res.data.size() != acc.data.size()) {
    throw std::invalid_argument("add_residual: residual " + res.shape.str() +
                                " does not match the accumulators " + acc.shape.str());
  }
  if (shift < 0 || shift > 31) {
    throw std::invalid_argument("add_residual: shift " + std::to_string(shift) +
                                " outside [0, 31]");
  }
  for (std::size_t i = 0; i < acc.data.size(); ++i) {
    acc.data[i] = wrap(acc.data[i] + int64_t(res.data[i]) * (int64_t{1} << shift), acc_bits);
  }
}

WordTensor requantize(const AccTensor& acc, const Requant& rq) {
  check_tensor("requantize", "input", acc.shape, acc.data.size());
  WordTensor out(acc.shape);
  std::transform(acc.data.begin(), acc.data.end(), out.data.begin(),
                 [&rq](int64_t a) { return requantize(a, rq); });
  return out;
}

WordTensor maxpool(const WordTensor& in, const PoolParams& p) { return maxpool_impl(in, p); }
WordTensor relu(const WordTensor& in) { return relu_impl(in); }

FloatTensor conv2d(const FloatTensor& in, const FloatTensor& weights,
                   const std::vector<float>& bias, const ConvParams& p) {
  const char* op = "conv2d";
  const Shape4 out_shape =
      conv_shape(op, in.shape, in.data.size(), weights.shape, weights.data.size(), p);
  check_bias(op, bias, weights.shape.n);
  FloatTensor out = conv_sums<float>(in.shape, in.data, weights.shape, weights.data, p, out_shape);
  add_bias(out, bias);
  return out;
}

FloatTensor fc(const FloatTensor& in, const FloatTensor& weights, const std::vector<float>& bias) {
  const char* op = "fc";
  check_fc(op, in.shape, in.data.size(), weights.shape, weights.data.size());
  check_bias(op, bias, weights.shape.n);
  FloatTensor out = fc_sums<float>(in.shape, in.data, weights.shape.n, weights.data);
  add_bias(out, bias);
  return out;
}

FloatTensor maxpool(const FloatTensor& in, const PoolParams& p) { return maxpool_impl(in, p); }
FloatTensor relu(const FloatTensor& in) { return relu_impl(in); }

}  // namespace rsnpu::golden
