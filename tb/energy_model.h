// Energy model in the shape of Timeloop/Accelergy: the architecture's actions (what the
// hardware's activity counters count) in, an energy reference table (ERT: energy per action,
// from a JSON file under config/ert/) in, energy per level of the memory hierarchy out.
//   energy = sum over actions of count x energy per action.
// docs/energy.md describes the actions, the shipped tables and their sources.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "rsnpu/hw_enums.h"

namespace rsnpu::energy {

// Levels of the hierarchy, in report order.
enum class Level : int { kDram, kGlb, kNoc, kSpad, kMac, kControl };
inline constexpr int kLevelCount = 6;
const char* to_string(Level l);

// Actions of the rsnpu architecture. Per-access actions come from the activity counters;
// cycle_* actions are the clock-cycle energy of each level's logic (flops and clock, paid
// every cycle the layer runs: the RTL has no clock gating), counted by PerfCycles.
enum class Action : int {
  kMac,             // a MAC executed (16-bit multiply, 32-bit accumulate)
  kMacGated,        // a MAC skipped by zero gating
  kSpadFilterRead,  // one filter spad word
  kSpadFilterWrite,
  kSpadIfmapRead,  // one ifmap spad word
  kSpadIfmapWrite,
  kSpadPsumRead,  // one psum spad word (AccW bits)
  kSpadPsumWrite,
  kNocDelivery,    // a filter or ifmap word delivered to one PE (multicast: per PE)
  kNocPsum,        // a psum word moved: psum unit <-> column, or PE -> PE above
  kGlbFilterRead,  // one filter buffer line (64 bits)
  kGlbFilterWrite,
  kGlbIfmapRead,  // one ifmap buffer line (64 bits)
  kGlbIfmapWrite,
  kGlbPsumRead,  // one psum buffer word (32 bits)
  kGlbPsumWrite,
  kDramReadByte,
  kDramWriteByte,
  kCycleMac,      // per clock cycle: the MAC units' logic
  kCycleSpad,     // per clock cycle: PE logic and register scratchpads
  kCycleNoc,      // per clock cycle: networks, routing, feeders
  kCycleGlb,      // per clock cycle: buffer control and the psum unit
  kCycleControl,  // per clock cycle: controller, CSRs, DMA, output stage
};
inline constexpr int kActionCount = 23;
const char* name(Action a);  // the ERT key: "mac", "spad_filter_read", ...
Level level(Action a);

using ActionCounts = std::array<double, kActionCount>;

// The action counts of one run, from the hardware's activity counters (perf_ctr_e).
ActionCounts action_counts(const std::array<uint64_t, hw::kPerfCtrCount>& counters);

struct Ert {
  std::string path;        // the file it was read from
  std::string name;        // e.g. "eyeriss_normalized"
  std::string unit;        // "pJ", or "MAC" (multiples of one 16-bit MAC's energy)
  std::string technology;  // e.g. "TSMC 65 nm" or "OSU 0.18 um, 1.8 V"
  std::string source;      // where the figures come from
  // Optional: factor taking this table's logic and SRAM energies to 65 nm, for comparisons
  // with Eyeriss only (0: none given), and the published method it follows.
  double scale_to_65nm = 0.0;
  std::string scale_method;
  std::array<double, kActionCount> energy{};  // per action, in 'unit'
  std::array<std::string, kActionCount> note;
};

// Reads an ERT file. Throws std::runtime_error naming the file and the problem: unreadable or
// malformed JSON, a missing, unknown, negative or non-numeric action, a missing field.
Ert load_ert(const std::string& path);

struct Energy {
  std::array<double, kLevelCount> by_level{};  // in the ERT's unit
  std::array<double, kActionCount> by_action{};
  double total = 0.0;
  double of(Level l) const { return by_level[std::size_t(l)]; }
};

Energy evaluate(const Ert& ert, const ActionCounts& counts);

}  // namespace rsnpu::energy
