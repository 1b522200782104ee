// Scalar rules of docs/numerics.md: operand (1), wrap (2), requantize (3), quantize and
// dequantize (7). Expected values are written by hand from the contract or computed by
// independent reference code in this file, never by the function under test.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>

#include "golden_reference.h"
#include "rsnpu/golden/golden.h"

namespace {

using namespace rsnpu::golden;
using rsnpu::golden::test::ref_operand;
using rsnpu::golden::test::ref_wrap;

constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();

// Reference requantize: floor((acc + 2^(sh-1)) / 2^sh) by explicit floor division.
int16_t ref_requantize(int64_t acc, int sh, Precision prec, bool relu) {
  __int128 r = acc;
  if (sh > 0) {
    const __int128 num = r + (__int128{1} << (sh - 1));
    const __int128 den = __int128{1} << sh;
    r = num / den;                          // truncates toward zero
    if (num % den != 0 && num < 0) r -= 1;  // make it a floor
  }
  const int bits = prec == Precision::kInt8 ? 8 : 16;
  const __int128 lo = -(__int128{1} << (bits - 1)), hi = (__int128{1} << (bits - 1)) - 1;
  if (r < lo) r = lo;
  if (r > hi) r = hi;
  if (relu && r < 0) r = 0;
  return static_cast<int16_t>(r);
}

// A random int64 whose magnitude is spread over all bit lengths.
int64_t random_wide(std::mt19937_64& rng) {
  const int bits = std::uniform_int_distribution<int>(0, 63)(rng);
  const uint64_t u = rng();
  const uint64_t mask = bits == 0 ? 0 : (~uint64_t{0} >> (64 - bits));
  const int64_t mag = static_cast<int64_t>(u & mask);
  return (rng() & 1) ? -mag : mag;
}

int16_t rq(int64_t acc, int shift, Precision prec = Precision::kInt16, bool relu = false) {
  return requantize(acc, Requant{shift, prec, relu});
}

TEST(GoldenScalar, PrecisionBasics) {
  EXPECT_EQ(word_bits(Precision::kInt16), 16);
  EXPECT_EQ(word_bits(Precision::kInt8), 8);
  EXPECT_STREQ(to_string(Precision::kInt16), "int16");
  EXPECT_STREQ(to_string(Precision::kInt8), "int8");
  EXPECT_EQ(word_min(Precision::kInt16), -32768);
  EXPECT_EQ(word_max(Precision::kInt16), 32767);
  EXPECT_EQ(word_min(Precision::kInt8), -128);
  EXPECT_EQ(word_max(Precision::kInt8), 127);
}

TEST(GoldenScalar, ShapeStr) {
  EXPECT_EQ((Shape4{1, 3, 5, 5}.str()), "1x3x5x5");
  EXPECT_EQ((Shape4{2, 64, 13, 7}.str()), "2x64x13x7");
  EXPECT_EQ((Shape4{1, 3, 5, 5}.size()), 75u);
}

TEST(GoldenScalar, Operand) {
  EXPECT_EQ(operand(int16_t(-32768), Precision::kInt16), -32768);
  EXPECT_EQ(operand(int16_t(0x1280), Precision::kInt16), 0x1280);
  // INT8: bits [7:0] sign-extended, bits [15:8] ignored.
  EXPECT_EQ(operand(int16_t(0x1280), Precision::kInt8), -128);
  EXPECT_EQ(operand(int16_t(0x7f01), Precision::kInt8), 1);
  EXPECT_EQ(operand(int16_t(0x00ff), Precision::kInt8), -1);
  EXPECT_EQ(operand(int16_t(-129), Precision::kInt8), 127);  // 0xff7f
  EXPECT_EQ(operand(int16_t(0x0100), Precision::kInt8), 0);
  EXPECT_EQ(operand(int16_t(-128), Precision::kInt8), -128);
}

TEST(GoldenScalar, WrapHandValues) {
  EXPECT_EQ(wrap(int64_t{1} << 31, 32), -(int64_t{1} << 31));
  EXPECT_EQ(wrap((int64_t{1} << 31) - 1, 32), (int64_t{1} << 31) - 1);
  EXPECT_EQ(wrap(-(int64_t{1} << 31) - 1, 32), (int64_t{1} << 31) - 1);
  EXPECT_EQ(wrap(27 * (int64_t{1} << 30), 32), -(int64_t{1} << 30));
  EXPECT_EQ(wrap(0x100000005LL, 32), 5);
  EXPECT_EQ(wrap(5, 1), -1);  // 1-bit range is [-1, 0]
  EXPECT_EQ(wrap(4, 1), 0);
  EXPECT_EQ(wrap(0x8000, 16), -32768);
  EXPECT_EQ(wrap(0x800000, 24), -8388608);
  EXPECT_EQ(wrap(kI64Max, 63), -1);
  EXPECT_EQ(wrap(kI64Min, 63), 0);
  EXPECT_EQ(wrap(kI64Min, 64), kI64Min);
  EXPECT_EQ(wrap(kI64Max, 64), kI64Max);
  EXPECT_THROW(wrap(0, 0), std::invalid_argument);
  EXPECT_THROW(wrap(0, 65), std::invalid_argument);
}

TEST(GoldenScalar, WrapRandom) {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    std::mt19937_64 rng(seed);
    const int bits = 1 + int(seed % 64);
    SCOPED_TRACE(fmt::format("seed={} acc_bits={}", seed, bits));
    for (int i = 0; i < 200; ++i) {
      const int64_t v = random_wide(rng);
      ASSERT_EQ(wrap(v, bits), ref_wrap(v, bits)) << "v=" << v;
    }
  }
}

TEST(GoldenScalar, RequantizeRoundHalfUp) {
  // numerics.md section 3: -2.5 -> -2, -3.5 -> -3, 2.5 -> 3.
  EXPECT_EQ(rq(-5, 1), -2);
  EXPECT_EQ(rq(-7, 1), -3);
  EXPECT_EQ(rq(5, 1), 3);
  EXPECT_EQ(rq(7, 1), 4);
  EXPECT_EQ(rq(-1, 1), 0);   // -0.5 -> 0
  EXPECT_EQ(rq(1, 1), 1);    // 0.5 -> 1
  EXPECT_EQ(rq(6, 2), 2);    // 1.5 -> 2
  EXPECT_EQ(rq(-6, 2), -1);  // -1.5 -> -1
  EXPECT_EQ(rq(-7, 2), -2);  // -1.75 -> -2
  EXPECT_EQ(rq(-5, 2), -1);  // -1.25 -> -1
  EXPECT_EQ(rq(383, 8), 1);  // 1.496 -> 1
  EXPECT_EQ(rq(384, 8), 2);  // 1.5 -> 2
  EXPECT_EQ(rq(-384, 8), -1);
  EXPECT_EQ(rq(123, 0), 123);
  EXPECT_EQ(rq(-123, 0), -123);
}

TEST(GoldenScalar, RequantizeSaturationAndRelu) {
  EXPECT_EQ(rq(40000, 0), 32767);
  EXPECT_EQ(rq(-40000, 0), -32768);
  EXPECT_EQ(rq(40000, 0, Precision::kInt8), 127);
  EXPECT_EQ(rq(-129, 0, Precision::kInt8), -128);
  EXPECT_EQ(rq(128, 0, Precision::kInt8), 127);
  EXPECT_EQ(rq(-128, 0, Precision::kInt8), -128);
  EXPECT_EQ(rq(255, 1, Precision::kInt8), 127);    // 127.5 -> 128 -> 127
  EXPECT_EQ(rq(-257, 1, Precision::kInt8), -128);  // -128.5 -> -128
  EXPECT_EQ(rq(-259, 1, Precision::kInt8), -128);  // -129.5 -> -129 -> -128
  EXPECT_EQ(rq(65535, 1), 32767);                  // 32767.5 -> 32768 -> 32767
  // ReLU after saturation.
  EXPECT_EQ(rq(-5, 1, Precision::kInt16, true), 0);
  EXPECT_EQ(rq(5, 1, Precision::kInt16, true), 3);
  EXPECT_EQ(rq(-40000, 0, Precision::kInt16, true), 0);
  EXPECT_EQ(rq(40000, 0, Precision::kInt8, true), 127);
  EXPECT_EQ(rq(-1, 1, Precision::kInt8, true), 0);
}

TEST(GoldenScalar, RequantizeExtremesDoNotOverflow) {
  // (2^63 - 1 + 2^61) >> 62 = 2 ; (-2^63 + 2^61) >> 62 = floor(-1.5) = -2.
  EXPECT_EQ(rq(kI64Max, 62), 2);
  EXPECT_EQ(rq(kI64Min, 62), -2);
  EXPECT_EQ(rq(kI64Max, 1), 32767);
  EXPECT_EQ(rq(kI64Min, 1), -32768);
  EXPECT_EQ(rq(kI64Max, 0, Precision::kInt8), 127);
  EXPECT_EQ(rq(kI64Min, 0, Precision::kInt8), -128);
  EXPECT_EQ(rq(int64_t{1} << 61, 62), 1);     // exactly 0.5 -> 1
  EXPECT_EQ(rq(-(int64_t{1} << 61), 62), 0);  // exactly -0.5 -> 0
}

TEST(GoldenScalar, RequantizeShiftRange) {
  EXPECT_THROW(rq(0, -1), std::invalid_argument);
  EXPECT_THROW(rq(0, 63), std::invalid_argument);
  EXPECT_NO_THROW(rq(0, 62));
}

TEST(GoldenScalar, RequantizeRandom) {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    std::mt19937_64 rng(seed);
    const Precision prec = seed % 2 ? Precision::kInt8 : Precision::kInt16;
    const bool relu = (seed / 2) % 2;
    const int shift = std::uniform_int_distribution<int>(0, 62)(rng);
    SCOPED_TRACE(
        fmt::format("seed={} shift={} prec={} relu={}", seed, shift, to_string(prec), relu));
    for (int i = 0; i < 300; ++i) {
      // Values near the rounding and saturation boundaries as well as wide ones.
      int64_t acc = random_wide(rng);
      if (i % 3 == 0 && shift < 40) {
        const int64_t lsb = int64_t{1} << shift;
        const int64_t q = std::uniform_int_distribution<int64_t>(-40000, 40000)(rng);
        const int64_t frac = shift == 0 ? 0 : (lsb / 2 + (int64_t(rng() % 3) - 1));
        acc = q * lsb + frac;
      }
      ASSERT_EQ(rq(acc, shift, prec, relu), ref_requantize(acc, shift, prec, relu))
          << "acc=" << acc;
    }
  }
}

TEST(GoldenScalar, QuantizeTiesAwayFromZero) {
  const float lsb = 1.0f / 256.0f;
  EXPECT_EQ(quantize(0.5f * lsb, 8, Precision::kInt16), 1);
  EXPECT_EQ(quantize(-0.5f * lsb, 8, Precision::kInt16), -1);
  EXPECT_EQ(quantize(1.5f * lsb, 8, Precision::kInt16), 2);
  EXPECT_EQ(quantize(-1.5f * lsb, 8, Precision::kInt16), -2);
  EXPECT_EQ(quantize(2.5f * lsb, 8, Precision::kInt16), 3);
  EXPECT_EQ(quantize(-2.5f * lsb, 8, Precision::kInt16), -3);
  EXPECT_EQ(quantize(0.49f * lsb, 8, Precision::kInt16), 0);
  EXPECT_EQ(quantize(-0.49f * lsb, 8, Precision::kInt16), 0);
  EXPECT_EQ(quantize(0.5f, 0, Precision::kInt8), 1);
  EXPECT_EQ(quantize(-0.5f, 0, Precision::kInt8), -1);
  EXPECT_EQ(quantize(1.0f, 8, Precision::kInt16), 256);
  EXPECT_EQ(quantize(-0.75f, 2, Precision::kInt8), -3);
}

TEST(GoldenScalar, QuantizeSaturates) {
  EXPECT_EQ(quantize(1000.0f, 8, Precision::kInt16), 32767);
  EXPECT_EQ(quantize(-1000.0f, 8, Precision::kInt16), -32768);
  EXPECT_EQ(quantize(8.0f, 4, Precision::kInt8), 127);
  EXPECT_EQ(quantize(-8.0f, 4, Precision::kInt8), -128);
  EXPECT_EQ(quantize(-8.1f, 4, Precision::kInt8), -128);
  EXPECT_EQ(quantize(7.9375f, 4, Precision::kInt8), 127);
  EXPECT_EQ(quantize(7.96875f, 4, Precision::kInt8), 127);  // 127.5 -> 128 -> 127
  EXPECT_EQ(quantize(1e30f, 15, Precision::kInt16), 32767);
  EXPECT_EQ(quantize(std::numeric_limits<float>::infinity(), 8, Precision::kInt16), 32767);
  EXPECT_EQ(quantize(-std::numeric_limits<float>::infinity(), 8, Precision::kInt8), -128);
  EXPECT_THROW(quantize(std::nanf(""), 8, Precision::kInt16), std::invalid_argument);
}

TEST(GoldenScalar, Dequantize) {
  EXPECT_EQ(dequantize(256, 8), 1.0f);
  EXPECT_EQ(dequantize(-32768, 15), -1.0f);
  EXPECT_EQ(dequantize(1, 0), 1.0f);
  EXPECT_EQ(dequantize(-3, 2), -0.75f);
  EXPECT_EQ(dequantize(32767, 0), 32767.0f);
}

TEST(GoldenScalar, QuantizeRoundTrip) {
  for (uint64_t seed = 0; seed < 100; ++seed) {
    std::mt19937_64 rng(seed);
    const Precision prec = seed % 2 ? Precision::kInt8 : Precision::kInt16;
    const int frac = std::uniform_int_distribution<int>(0, prec == Precision::kInt8 ? 7 : 15)(rng);
    SCOPED_TRACE(fmt::format("seed={} frac={} prec={}", seed, frac, to_string(prec)));
    const double lo = std::ldexp(word_min(prec), -frac), hi = std::ldexp(word_max(prec), -frac);
    std::uniform_real_distribution<float> dist{float(lo), float(hi)};
    for (int i = 0; i < 200; ++i) {
      const float x = dist(rng);
      const int16_t q = quantize(x, frac, prec);
      ASSERT_LE(std::fabs(dequantize(q, frac) - x), std::ldexp(0.5, -frac) + 1e-6) << "x=" << x;
    }
  }
}

}  // namespace
