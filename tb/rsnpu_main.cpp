// rsnpu: command-line front end of the rsnpu verification harness.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "pe_regress.h"
#include "rsnpu/hw_configs.h"

namespace {

using rsnpu::tb::RegressReport;

int cmd_configs(bool as_json) {
  nlohmann::json j = nlohmann::json::array();
  if (!as_json) {
    fmt::print("{:<10} {:>5} {:>5} {:>6} {:>6} {:>6} {:>5} {:>5} {:>6}  {}\n", "config", "rows",
               "cols", "flt_w", "ifm_w", "psum_w", "word", "acc", "MHz", "signature");
  }
  for (const auto* c : rsnpu::cfg::kAll) {
    if (as_json) {
      j.push_back({{"name", c->name},
                   {"description", c->description},
                   {"signature", fmt::format("{:08x}", c->signature)},
                   {"pe_rows", c->pe_rows},
                   {"pe_cols", c->pe_cols},
                   {"filter_spad_words", c->filter_spad_words},
                   {"ifmap_spad_words", c->ifmap_spad_words},
                   {"psum_spad_words", c->psum_spad_words},
                   {"word_bits", c->word_bits},
                   {"acc_bits", c->acc_bits},
                   {"clock_mhz", c->clock_mhz}});
    } else {
      fmt::print("{:<10} {:>5} {:>5} {:>6} {:>6} {:>6} {:>5} {:>5} {:>6}  {:08x}\n", c->name,
                 c->pe_rows, c->pe_cols, c->filter_spad_words, c->ifmap_spad_words,
                 c->psum_spad_words, c->word_bits, c->acc_bits, c->clock_mhz, c->signature);
    }
  }
  if (as_json) fmt::print("{}\n", j.dump(2));
  return 0;
}

nlohmann::json report_json(const RegressReport& r) {
  nlohmann::json cases = nlohmann::json::array();
  uint64_t cycles = 0, macs = 0, skipped = 0, jobs = 0;
  for (const auto& c : r.cases) {
    cycles += c.cycles;
    macs += c.macs;
    skipped += c.skipped;
    jobs += c.jobs;
    cases.push_back({{"seed", c.seed},
                     {"pass", c.pass},
                     {"message", c.message},
                     {"case", c.summary},
                     {"jobs", c.jobs},
                     {"cycles", c.cycles},
                     {"macs", c.macs},
                     {"macs_skipped", c.skipped}});
  }
  return {{"config", r.config},
          {"cases", r.cases.size()},
          {"passed", r.passed()},
          {"failed", r.failed()},
          {"jobs", jobs},
          {"cycles", cycles},
          {"macs", macs},
          {"macs_skipped", skipped},
          {"mac_slot_utilization", cycles ? double(macs + skipped) / double(cycles) : 0.0},
          {"wall_seconds", r.wall_seconds},
          {"sim_cycles_per_second", r.wall_seconds > 0 ? double(cycles) / r.wall_seconds : 0.0},
          {"results", cases}};
}

void print_table(const std::vector<nlohmann::json>& rows) {
  fmt::print("\n{:<9} {:>6} {:>6} {:>6} {:>6} {:>12} {:>12} {:>11} {:>7} {:>10} {:>7}\n", "config",
             "cases", "pass", "fail", "jobs", "MACs", "zero-gated", "cycles", "util%", "kcyc/s",
             "wall_s");
  for (const auto& j : rows) {
    fmt::print("{:<9} {:>6} {:>6} {:>6} {:>6} {:>12} {:>12} {:>11} {:>7.1f} {:>10.0f} {:>7.2f}\n",
               j["config"].get<std::string>(), j["cases"].get<uint64_t>(),
               j["passed"].get<uint64_t>(), j["failed"].get<uint64_t>(), j["jobs"].get<uint64_t>(),
               j["macs"].get<uint64_t>(), j["macs_skipped"].get<uint64_t>(),
               j["cycles"].get<uint64_t>(), 100.0 * j["mac_slot_utilization"].get<double>(),
               j["sim_cycles_per_second"].get<double>() / 1000.0, j["wall_seconds"].get<double>());
  }
  fmt::print("util% = (executed + zero-gated MAC slots) / cycles, under random back-pressure.\n");
}

int cmd_pe_regress(const std::vector<std::string>& configs, uint64_t seed, uint64_t count,
                   const std::string& waves, const std::string& json_path, bool quiet) {
  std::vector<nlohmann::json> rows;
  bool all_pass = true;
  for (const std::string& config : configs) {
    if (!rsnpu::cfg::find(config)) {
      fmt::print(stderr, "error: unknown configuration '{}' (see 'rsnpu configs')\n", config);
      return 2;
    }
    rsnpu::tb::RegressOptions o;
    o.config = config;
    o.first_seed = seed;
    o.count = count;
    o.wave_dir = waves;
    const bool tty = isatty(fileno(stderr));
    const RegressReport rep = rsnpu::tb::run_pe_regression(o, [&](uint64_t i, uint64_t n) {
      if (quiet) return;
      if (tty) {
        fmt::print(stderr, "\r[{}] PE regression {}/{} cases", config, i, n);
        if (i == n) fmt::print(stderr, "\n");
      } else if (i == n || i % 50 == 0) {
        fmt::print(stderr, "[{}] PE regression {}/{} cases\n", config, i, n);
      }
    });
    for (const auto& c : rep.cases) {
      if (!c.pass) {
        all_pass = false;
        fmt::print(
            "FAIL [{}] seed {}: {}\n  case: {}\n  replay: build/rsnpu pe-regress "
            "--config {} --seed {} --count 1 --waves build/waves\n",
            config, c.seed, c.message, c.summary, config, c.seed);
      }
    }
    rows.push_back(report_json(rep));
  }
  print_table(rows);
  if (!json_path.empty()) {
    const std::filesystem::path parent = std::filesystem::path(json_path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    std::ofstream f(json_path);
    if (!f) {
      fmt::print(stderr, "error: cannot write {}\n", json_path);
      return 2;
    }
    f << nlohmann::json(rows).dump(2) << "\n";
    fmt::print("JSON report: {}\n", json_path);
  }
  if (!waves.empty()) fmt::print("waveforms: {}/*.fst (open with gtkwave)\n", waves);
  fmt::print("{}\n", all_pass ? "PE regression PASSED: every psum bit-exact with the golden model"
                              : "PE regression FAILED");
  return all_pass ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rsnpu: row-stationary DNN accelerator harness (RTL on Verilator vs golden model)"};
  app.require_subcommand(1);

  bool configs_json = false;
  auto* configs =
      app.add_subcommand("configs", "List the hardware configurations (config/hw.json)");
  configs->add_flag("--json", configs_json, "Print JSON instead of a table");

  std::vector<std::string> pe_configs{"tiny", "eyeriss"};
  uint64_t seed = 1, count = 200;
  std::string waves, json_path;
  bool quiet = false;
  auto* pe = app.add_subcommand(
      "pe-regress",
      "Seeded random jobs on the PE RTL, every psum checked against the golden model");
  pe->add_option("-c,--config", pe_configs, "Configuration(s) to run")->capture_default_str();
  pe->add_option("-s,--seed", seed, "First seed; case i uses seed+i")->capture_default_str();
  pe->add_option("-n,--count", count, "Number of cases per configuration")->capture_default_str();
  pe->add_option("--waves", waves, "Write an FST waveform per case into this directory");
  pe->add_option("--json", json_path, "Write the report as JSON to this file");
  pe->add_flag("-q,--quiet", quiet, "No progress output");

  CLI11_PARSE(app, argc, argv);
  try {
    if (*configs) return cmd_configs(configs_json);
    if (*pe) return cmd_pe_regress(pe_configs, seed, count, waves, json_path, quiet);
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  }
  return 0;
}
