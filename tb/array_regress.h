// Array regression: one convolution mapped onto the PE array RTL in one pass, run with
// seeded random data and checked psum for psum against the golden model; and seeded random
// layers for a whole regression. Shared by the tests and `rsnpu array-regress`.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "array_harness.h"
#include "array_pass.h"

namespace rsnpu::tb {

struct LayerOutcome {
  uint64_t seed = 0;
  std::string layer;    // ConvLayer::str()
  std::string mapping;  // ArrayPass::str()
  std::string diff;     // empty: bit-exact
  uint64_t cycles = 0;
  uint64_t mac_slots = 0;  // executed + zero-gated MACs of the pass
  int pes_used = 0;
  double wall_seconds = 0;  // simulation only
  bool pass() const { return diff.empty(); }
};

// Seeded stall pattern around the array.
ArrayKnobs random_array_knobs(uint64_t seed);

// Runs layer 'l' with data from 'seed' on the array model of configuration 'config'
// (std::invalid_argument for an unknown configuration, MapError if it does not fit).
LayerOutcome run_array_layer(const std::string& config, const ConvLayer& l, uint64_t seed,
                             const ArrayKnobs& k, const std::string& wave_dir = {});

// count random layers, seeds first_seed.., progress(i, n) after each (may be empty).
std::vector<LayerOutcome> run_array_regression(
    const std::string& config, uint64_t first_seed, uint64_t count,
    const std::string& wave_dir = {}, const std::function<void(uint64_t, uint64_t)>& progress = {});

}  // namespace rsnpu::tb
