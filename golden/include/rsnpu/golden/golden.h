// Golden reference model of rsnpu arithmetic. Readable first, fast second.
// The numeric contract it implements is docs/numerics.md; section numbers below refer to it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace rsnpu::golden {

// ---------------------------------------------------------------------------------------
// Precision and scalar rules (numerics.md sections 1-3)
// ---------------------------------------------------------------------------------------
enum class Precision { kInt16, kInt8 };

int word_bits(Precision prec);          // 16 or 8
const char* to_string(Precision prec);  // "int16" / "int8"
int32_t word_min(Precision prec);       // -2^(W-1)
int32_t word_max(Precision prec);       // 2^(W-1) - 1

// Operand seen by the multiplier for a 16-bit word (INT8: low byte, sign-extended).
int32_t operand(int16_t word, Precision prec);

// wrap_A: reduce v modulo 2^acc_bits into the signed acc_bits range (1 <= acc_bits <= 64).
int64_t wrap(int64_t v, int acc_bits);

// Requantize one accumulator: round half up by 'shift' bits, saturate to the precision,
// optional ReLU. shift in [0, acc_bits-1]; throws std::invalid_argument otherwise.
struct Requant {
  int shift = 0;
  Precision prec = Precision::kInt16;
  bool relu = false;
};
int16_t requantize(int64_t acc, const Requant& rq);

// Host-side float <-> fixed helpers (section 7).
int16_t quantize(float x, int frac_bits, Precision prec);
float dequantize(int16_t word, int frac_bits);

// ---------------------------------------------------------------------------------------
// Tensors: NCHW, dense, row-major (w fastest).
// ---------------------------------------------------------------------------------------
struct Shape4 {
  int n = 1, c = 1, h = 1, w = 1;
  std::size_t size() const { return std::size_t(n) * c * h * w; }
  bool operator==(const Shape4& o) const { return n == o.n && c == o.c && h == o.h && w == o.w; }
  std::string str() const;  // "NxCxHxW"
};

template <typename T>
struct Tensor4 {
  Shape4 shape;
  std::vector<T> data;

  Tensor4() = default;
  explicit Tensor4(const Shape4& s, T fill = T{}) : shape(s), data(s.size(), fill) {}
  std::size_t index(int n, int c, int h, int w) const {
    return ((std::size_t(n) * shape.c + c) * shape.h + h) * shape.w + w;
  }
  T& at(int n, int c, int h, int w) { return data[index(n, c, h, w)]; }
  const T& at(int n, int c, int h, int w) const { return data[index(n, c, h, w)]; }
};

using WordTensor = Tensor4<int16_t>;  // activations and weights (INT16 or INT8 words)
using AccTensor = Tensor4<int64_t>;   // accumulators, already wrapped to acc_bits
using FloatTensor = Tensor4<float>;

// ---------------------------------------------------------------------------------------
// Layer operators (sections 4-5). Shapes are validated; a bad shape throws
// std::invalid_argument with a message naming the offending dimension.
// ---------------------------------------------------------------------------------------
struct ConvParams {
  int stride_h = 1, stride_w = 1;
  int pad_h = 0, pad_w = 0;
  int groups = 1;
};

// Output spatial size for a conv/pool window; throws if the window does not fit.
Shape4 conv_output_shape(const Shape4& in, const Shape4& weights, const ConvParams& p);

// in: N x C x H x W; weights: M x C/groups x R x S; bias: empty or M values.
AccTensor conv2d_acc(const WordTensor& in, const WordTensor& weights,
                     const std::vector<int64_t>& bias, const ConvParams& p, Precision prec,
                     int acc_bits);

// in: N x C x H x W (flattened per image in C,H,W order); weights: M x K x 1 x 1 with
// K = C*H*W; result: N x M x 1 x 1.
AccTensor fc_acc(const WordTensor& in, const WordTensor& weights, const std::vector<int64_t>& bias,
                 Precision prec, int acc_bits);

// Residual addition before requantization: acc += res << shift (res: words of the same
// shape, taken as 16-bit values; INT8 words are sign-extended), wrapped to acc_bits.
// shift in [0, 31]; throws std::invalid_argument on a shape mismatch.
void add_residual(AccTensor& acc, const WordTensor& res, int shift, int acc_bits);

WordTensor requantize(const AccTensor& acc, const Requant& rq);

struct PoolParams {
  int kernel_h = 2, kernel_w = 2;
  int stride_h = 2, stride_w = 2;
  int pad_h = 0, pad_w = 0;
};
WordTensor maxpool(const WordTensor& in, const PoolParams& p);
WordTensor relu(const WordTensor& in);

// Float references of the same operators (weights/bias in float).
FloatTensor conv2d(const FloatTensor& in, const FloatTensor& weights,
                   const std::vector<float>& bias, const ConvParams& p);
FloatTensor fc(const FloatTensor& in, const FloatTensor& weights, const std::vector<float>& bias);
FloatTensor maxpool(const FloatTensor& in, const PoolParams& p);
FloatTensor relu(const FloatTensor& in);

// ---------------------------------------------------------------------------------------
// The PE primitive (section 6): one ifmap row, p filters, q channels.
// ---------------------------------------------------------------------------------------
struct RowConvProblem {
  int s = 1;       // filter width S
  int p = 1;       // filters
  int q = 1;       // channels
  int stride = 1;  // U
  int e = 1;       // outputs in the row
  Precision prec = Precision::kInt16;
  int acc_bits = 32;
  bool acc_in = false;           // add psum_in
  std::vector<int16_t> weights;  // p*q*s, index (p*q + q)*s + s
  std::vector<int16_t> ifmap;    // q x width, index qq*width + col; width = (e-1)*stride+s
  std::vector<int64_t> psum_in;  // e*p, index e*p + p (used when acc_in)

  int width() const { return (e - 1) * stride + s; }
};

struct RowConvResult {
  std::vector<int64_t> psum_out;  // e*p, index e*p + p, wrapped to acc_bits
  uint64_t macs_executed = 0;     // terms whose ifmap operand is non-zero
  uint64_t macs_skipped = 0;      // terms gated because the ifmap operand is zero
};

RowConvResult row_conv1d(const RowConvProblem& prob);

}  // namespace rsnpu::golden
