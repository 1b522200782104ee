// Scalar rules of the numeric contract (docs/numerics.md sections 1-3 and 7) and Shape4.
#include "rsnpu/golden/golden.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace rsnpu::golden {

int word_bits(Precision prec) { return prec == Precision::kInt8 ? 8 : 16; }

const char* to_string(Precision prec) { return prec == Precision::kInt8 ? "int8" : "int16"; }

int32_t word_min(Precision prec) { return -(int32_t{1} << (word_bits(prec) - 1)); }

int32_t word_max(Precision prec) { return (int32_t{1} << (word_bits(prec) - 1)) - 1; }

// Section 1: INT16 uses the whole word, INT8 the low byte sign-extended.
int32_t operand(int16_t word, Precision prec) {
  if (prec == Precision::kInt8) return static_cast<int8_t>(word & 0xff);
  return word;
}

// Section 2: the unique value congruent to v modulo 2^acc_bits in the signed range.
// Done on uint64_t so that no step can overflow a signed type.
int64_t wrap(int64_t v, int acc_bits) {
  if (acc_bits < 1 || acc_bits > 64) {
    throw std::invalid_argument("wrap: acc_bits " + std::to_string(acc_bits) + " outside [1, 64]");
  }
  if (acc_bits == 64) return v;
  const uint64_t mask = (uint64_t{1} << acc_bits) - 1;
  const uint64_t sign = uint64_t{1} << (acc_bits - 1);
  uint64_t u = static_cast<uint64_t>(v) & mask;
  if (u & sign) u |= ~mask;        // sign-extend bit acc_bits-1
  return static_cast<int64_t>(u);  // modular conversion (C++20)
}

// Section 3: round half up by 'shift' bits (one bit wider than the accumulator, here in
// 128 bits), saturate to the word range, then ReLU.
int16_t requantize(int64_t acc, const Requant& rq) {
  // The contract allows shift in [0, A-1]; A is not known here, so the widest shift any
  // accumulator up to 63 bits can use is accepted.
  if (rq.shift < 0 || rq.shift > 62) {
    throw std::invalid_argument("requantize: shift " + std::to_string(rq.shift) +
                                " outside [0, 62]");
  }
  __int128 r = acc;
  if (rq.shift > 0) r = (r + (__int128{1} << (rq.shift - 1))) >> rq.shift;  // arithmetic
  r = std::clamp<__int128>(r, word_min(rq.prec), word_max(rq.prec));
  if (rq.relu && r < 0) r = 0;
  return static_cast<int16_t>(r);
}

// Section 7: round to nearest, ties away from zero (std::round), then saturate.
int16_t quantize(float x, int frac_bits, Precision prec) {
  if (std::isnan(x)) throw std::invalid_argument("quantize: input is NaN");
  const double scaled = std::ldexp(static_cast<double>(x), frac_bits);
  const double r = std::round(scaled);  // same rule as std::lround, without its overflow
  const double lo = word_min(prec), hi = word_max(prec);
  return static_cast<int16_t>(std::clamp(r, lo, hi));
}

float dequantize(int16_t word, int frac_bits) {
  return static_cast<float>(std::ldexp(static_cast<double>(word), -frac_bits));
}

std::string Shape4::str() const {
  return std::to_string(n) + "x" + std::to_string(c) + "x" + std::to_string(h) + "x" +
         std::to_string(w);
}

}  // namespace rsnpu::golden
