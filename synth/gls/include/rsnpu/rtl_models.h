// Replacement of the generated rsnpu/rtl_models.h for the implementation flow's own
// simulations (synth/accel_sim.sh): binds configuration RSNPU_SIM_CONFIG to one Verilated model,
// RSNPU_SIM_MODEL (the gate-level netlist of rsnpu_top, or the RTL with waveforms), so that
// the unmodified host code of tb/accel_run.cpp and tb/accel_cmds.cpp (seeded random layers,
// networks, bit-exact comparison with the golden model) drives it.
#pragma once
#include <string_view>

#include "rsnpu/hw_configs.h"
#include RSNPU_SIM_MODEL_HEADER

namespace rsnpu::model {

struct SimTop {
  using Model = RSNPU_SIM_MODEL;
  static constexpr const cfg::HwConfig& kCfg = cfg::RSNPU_SIM_CONFIG_CONST;
};

// Both lookups return the one model: accel_run.cpp asks for the fast or the checking top.
template <typename F>
bool visit_top_model(std::string_view name, F&& f) {
  if (name != SimTop::kCfg.name) return false;
  f(SimTop{});
  return true;
}

template <typename F>
bool visit_top_fast_model(std::string_view name, F&& f) {
  return visit_top_model(name, f);
}

}  // namespace rsnpu::model
