// Independent reference arithmetic for the golden-model tests: written differently from
// golden/ (128-bit modulo, explicit byte decoding) so that a shared mistake is unlikely.
#pragma once

#include <cstdint>

#include "rsnpu/golden/golden.h"

namespace rsnpu::golden::test {

// wrap_A of numerics.md section 2: 128-bit modulo, then move the upper half of the range down.
inline int64_t ref_wrap(__int128 v, int bits) {
  const __int128 m = __int128{1} << bits;
  __int128 r = v % m;
  if (r < 0) r += m;
  if (r >= m / 2) r -= m;
  return static_cast<int64_t>(r);
}

// operand() of numerics.md section 1, decoding the low byte by hand.
inline int32_t ref_operand(int16_t word, Precision prec) {
  if (prec == Precision::kInt16) return word;
  const int low = word & 0xff;
  return low >= 128 ? low - 256 : low;
}

}  // namespace rsnpu::golden::test
