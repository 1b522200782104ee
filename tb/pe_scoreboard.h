// Scoreboard of the PE: expected psums and activity counts of a case from the golden model,
// and a bit-exact comparison with what the RTL produced.
#pragma once

#include <string>
#include <vector>

#include "pe_harness.h"
#include "pe_job.h"

namespace rsnpu::tb {

struct JobExpect {
  std::vector<int64_t> psum_out;  // every row's psum_out, in PE output order
  PeEvents events;                // counts the program implies
};

// Expected results of every job of a case (filters carried over between jobs on reuse).
std::vector<JobExpect> expect_case(const PeCase& c, const cfg::HwConfig& cfg);

// Empty string if 'got' matches 'want' exactly; otherwise the first difference, with
// row, output position and filter.
std::string compare_job(const PeJob& job, const JobExpect& want, const PeJobResult& got);

}  // namespace rsnpu::tb
