// PE regression: seeded random cases on the RTL of one configuration, each checked
// bit-exactly against the golden model.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pe_harness.h"
#include "pe_job.h"
#include "pe_scoreboard.h"

namespace rsnpu::tb {

struct CaseOutcome {
  uint64_t seed = 0;
  bool pass = false;
  std::string message;  // first failure; empty on pass
  std::string summary;  // the case's programs and knobs
  uint64_t jobs = 0;
  uint64_t cycles = 0;
  uint64_t macs = 0;     // executed
  uint64_t skipped = 0;  // zero-gated
};

// Runs one case on the model of configuration 'config'. Throws std::invalid_argument for
// an unknown configuration.
CaseOutcome run_pe_case(const std::string& config, const PeCase& c, const sim::SimOptions& opt);

struct RegressOptions {
  std::string config = "tiny";
  uint64_t first_seed = 1;
  uint64_t count = 100;
  std::string wave_dir;  // empty: no waveforms (RSNPU_WAVES still applies)
};

struct RegressReport {
  std::string config;
  std::vector<CaseOutcome> cases;
  double wall_seconds = 0;
  uint64_t passed() const;
  uint64_t failed() const { return cases.size() - passed(); }
};

// progress(i, n) is called after each case (may be empty).
RegressReport run_pe_regression(const RegressOptions& o,
                                const std::function<void(uint64_t, uint64_t)>& progress = {});

}  // namespace rsnpu::tb
