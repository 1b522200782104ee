// Report plumbing shared by the rsnpu subcommands: JSON report files and progress lines.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "rsnpu/hw_enums.h"

namespace rsnpu::tb {

// Writes 'j' (indented) to 'path', creating its directory; prints where. Throws on failure.
void write_json_file(const std::string& path, const nlohmann::json& j);

// Progress on stderr: "<what> i/n <unit>", rewritten in place on a terminal; otherwise one line
// every 'every' steps and at the end (logs stay short).
void print_progress(const std::string& what, uint64_t i, uint64_t n, const std::string& unit,
                    uint64_t every);

// "45 s", "12 min", "2 h 05 min" ("?" when negative): a wall-time estimate.
std::string duration_str(double seconds);

// The activity counters by name: PerfCtr::kCycMac -> "cyc_mac".
nlohmann::json counters_json(const std::array<uint64_t, hw::kPerfCtrCount>& counters);

}  // namespace rsnpu::tb
