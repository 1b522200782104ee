// How a job-style simulation run ended, and the end-of-cycle check every harness shares.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>

namespace rsnpu::sim {

struct RunStatus {
  bool done = false;    // the DUT pulsed done_o
  int err_code = 0;     // the DUT's error code when it finished (0: none)
  uint64_t cycles = 0;  // cycles from start to done
  std::string failure;  // harness-level failure (assertion, watchdog, protocol); empty if none
};

// Call once per cycle after the clock edge. Returns true when the run must stop: an RTL
// assertion failed (recorded as a failure) or the DUT signalled done (recorded with its error
// code), or the watchdog expired.
inline bool end_of_cycle(RunStatus& st, uint64_t cycle, bool assertion_failed, bool done,
                         int err_code, uint64_t max_cycles) {
  if (assertion_failed) {
    st.failure = fmt::format("RTL assertion failed at cycle {}", cycle);
    return true;
  }
  if (done) {
    st.done = true;
    st.err_code = err_code;
    st.cycles = cycle + 1;
    return true;
  }
  if (cycle + 1 >= max_cycles) {
    st.failure = fmt::format("watchdog: no done after {} cycles", cycle + 1);
    return true;
  }
  return false;
}

}  // namespace rsnpu::sim
