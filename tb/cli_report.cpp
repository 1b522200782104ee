#include "cli_report.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace rsnpu::tb {

void write_json_file(const std::string& path, const nlohmann::json& j) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  std::ofstream f(path);
  if (!f) throw std::runtime_error(fmt::format("cannot write {}", path));
  f << j.dump(2) << "\n";
  fmt::print("JSON report: {}\n", path);
}

void print_progress(const std::string& what, uint64_t i, uint64_t n, const std::string& unit,
                    uint64_t every) {
  if (isatty(fileno(stderr))) {
    fmt::print(stderr, "\r{} {}/{} {}", what, i, n, unit);
    if (i == n) fmt::print(stderr, "\n");
  } else if (i == n || (every > 0 && i % every == 0)) {
    fmt::print(stderr, "{} {}/{} {}\n", what, i, n, unit);
  }
}

nlohmann::json counters_json(const std::array<uint64_t, hw::kPerfCtrCount>& counters) {
  nlohmann::json j = nlohmann::json::object();
  for (int k = 0; k < hw::kPerfCtrCount; ++k) {
    std::string key;
    for (const char ch : std::string(hw::to_string(hw::PerfCtr(k)))) {
      if (std::isupper(static_cast<unsigned char>(ch))) {
        if (!key.empty()) key += '_';
        key += char(std::tolower(static_cast<unsigned char>(ch)));
      } else {
        key += ch;
      }
    }
    j[key] = counters[std::size_t(k)];
  }
  return j;
}

std::string duration_str(double seconds) {
  if (seconds < 0) return "?";
  if (seconds < 90) return fmt::format("{:.0f} s", seconds);
  const int64_t min = int64_t(seconds / 60 + 0.5);
  if (min < 60) return fmt::format("{} min", min);
  return fmt::format("{} h {:02} min", min / 60, min % 60);
}

}  // namespace rsnpu::tb
