// Bit fields of Verilator wide values (VlWide: 32-bit words), for ports wider than 64 bits.
#pragma once

#include <cstdint>

namespace rsnpu::sim {

// Bits [lo, lo+n) of a wide value, n <= 64.
template <typename Wide>
uint64_t wide_get(const Wide& w, int lo, int n) {
  if (n == 32 && lo % 32 == 0) return w[lo / 32];  // one whole word (e.g. a 32-bit psum)
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= uint64_t((w[(lo + i) / 32] >> ((lo + i) % 32)) & 1u) << i;
  return v;
}

// Sets bits [lo, lo+n) of a wide value to the low n bits of v, n <= 64.
template <typename Wide>
void wide_set(Wide& w, int lo, int n, uint64_t v) {
  if (n == 32 && lo % 32 == 0) {  // one whole word
    w[lo / 32] = uint32_t(v);
    return;
  }
  for (int i = 0; i < n; ++i) {
    const int b = lo + i;
    w[b / 32] = (w[b / 32] & ~(1u << (b % 32))) | (uint32_t((v >> i) & 1u) << (b % 32));
  }
}

}  // namespace rsnpu::sim
