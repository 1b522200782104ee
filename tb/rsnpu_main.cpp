// rsnpu: command-line front end of the rsnpu verification harness.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "accel_cmds.h"
#include "array_regress.h"
#include "bench_cmd.h"
#include "cli_report.h"
#include "ml_cmds.h"
#include "net_metrics.h"
#include "network.h"
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
    const RegressReport rep = rsnpu::tb::run_pe_regression(o, [&](uint64_t i, uint64_t n) {
      if (!quiet) rsnpu::tb::print_progress("[" + config + "] PE regression", i, n, "cases", 50);
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
  if (!json_path.empty()) rsnpu::tb::write_json_file(json_path, nlohmann::json(rows));
  if (!waves.empty()) fmt::print("waveforms: {}/*.fst (open with gtkwave)\n", waves);
  fmt::print("{}\n", all_pass ? "PE regression PASSED: every psum bit-exact with the golden model"
                              : "PE regression FAILED");
  return all_pass ? 0 : 1;
}

int cmd_array_regress(const std::vector<std::string>& configs, uint64_t seed, uint64_t count,
                      const std::string& waves, const std::string& json_path, bool quiet) {
  nlohmann::json report = nlohmann::json::array();
  bool all_pass = true;
  std::vector<std::string> lines;
  for (const std::string& config : configs) {
    const rsnpu::cfg::HwConfig* hw = rsnpu::cfg::find(config);
    if (!hw) {
      fmt::print(stderr, "error: unknown configuration '{}' (see 'rsnpu configs')\n", config);
      return 2;
    }
    const auto outcomes =
        rsnpu::tb::run_array_regression(config, seed, count, waves, [&](uint64_t i, uint64_t n) {
          if (!quiet) {
            rsnpu::tb::print_progress("[" + config + "] array regression", i, n, "layers", 10);
          }
        });
    uint64_t cycles = 0, slots = 0, pe_cycles = 0, passed = 0;
    double wall = 0;
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& o : outcomes) {
      cycles += o.cycles;
      slots += o.mac_slots;
      pe_cycles += o.cycles * uint64_t(o.pes_used);
      wall += o.wall_seconds;
      passed += o.pass();
      layers.push_back({{"seed", o.seed},
                        {"layer", o.layer},
                        {"mapping", o.mapping},
                        {"pass", o.pass()},
                        {"message", o.diff},
                        {"cycles", o.cycles},
                        {"mac_slots", o.mac_slots},
                        {"pes_used", o.pes_used}});
      if (!o.pass()) {
        all_pass = false;
        fmt::print(
            "FAIL [{}] seed {}: {} [{}]: {}\n  replay: build/rsnpu array-regress "
            "--config {} --seed {} --count 1 --waves build/waves\n",
            config, o.seed, o.layer, o.mapping, o.diff, config, o.seed);
      }
    }
    const double util = cycles ? double(slots) / (double(cycles) * hw->pe_rows * hw->pe_cols) : 0;
    const double util_map = pe_cycles ? double(slots) / double(pe_cycles) : 0;
    lines.push_back(
        fmt::format("{:<9} {:>6} {:>5} {:>5} {:>11} {:>12} {:>9.1f} {:>10.1f} {:>8.0f} {:>7.2f}\n",
                    config, outcomes.size(), passed, outcomes.size() - passed, cycles, slots,
                    100 * util, 100 * util_map, wall > 0 ? double(cycles) / wall : 0.0, wall));
    report.push_back({{"config", config},
                      {"layers", outcomes.size()},
                      {"passed", passed},
                      {"failed", outcomes.size() - passed},
                      {"cycles", cycles},
                      {"mac_slots", slots},
                      {"mac_utilization", util},
                      {"mac_utilization_mapped", util_map},
                      {"sim_wall_seconds", wall},
                      {"sim_cycles_per_second", wall > 0 ? double(cycles) / wall : 0.0},
                      {"results", layers}});
  }
  fmt::print("\n{:<9} {:>6} {:>5} {:>5} {:>11} {:>12} {:>9} {:>10} {:>8} {:>7}\n", "config",
             "layers", "pass", "fail", "cycles", "MAC slots", "util%", "util_map%", "cyc/s",
             "wall_s");
  for (const std::string& l : lines) fmt::print("{}", l);
  fmt::print(
      "util% = MAC slots / (cycles x all PEs); util_map% = over the PEs the mapping uses;\n"
      "random layers, random back-pressure, single-pass mappings.\n");
  if (!json_path.empty()) rsnpu::tb::write_json_file(json_path, report);
  if (!waves.empty()) fmt::print("waveforms: {}/*.fst (open with gtkwave)\n", waves);
  fmt::print("{}\n", all_pass
                         ? "Array regression PASSED: every psum bit-exact with the golden model"
                         : "Array regression FAILED");
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

  std::vector<std::string> arr_configs{"tiny", "eyeriss"};
  uint64_t arr_seed = 1, arr_count = 10;
  std::string arr_waves, arr_json;
  bool arr_quiet = false;
  auto* arr = app.add_subcommand(
      "array-regress",
      "Seeded random convolutions on the PE array RTL (one pass each), every psum checked "
      "against the golden model");
  arr->add_option("-c,--config", arr_configs, "Configuration(s) to run")->capture_default_str();
  arr->add_option("-s,--seed", arr_seed, "First seed; layer i uses seed+i")->capture_default_str();
  arr->add_option("-n,--count", arr_count, "Layers per configuration")->capture_default_str();
  arr->add_option("--waves", arr_waves,
                  "Write an FST waveform per layer into this directory (eyeriss: after "
                  "`make waves`)");
  arr->add_option("--json", arr_json, "Write the report as JSON to this file");
  arr->add_flag("-q,--quiet", arr_quiet, "No progress output");

  rsnpu::tb::RunCmdOptions run_o;
  auto* run = app.add_subcommand(
      "run",
      "Run a network (rsnpu-net JSON) layer after layer on the accelerator RTL, DRAM to DRAM, "
      "every layer checked against the golden model");
  run->add_option("network", run_o.network, "Network description (docs/network_format.md)")
      ->required()
      ->check(CLI::ExistingFile);
  run->add_option("-c,--config", run_o.config, "Configuration")->capture_default_str();
  run->add_option("-b,--batch", run_o.batch, "Images per layer (N)")
      ->capture_default_str()
      ->check(CLI::Range(1, 255));
  run->add_option("-s,--seed", run_o.seed, "Seed of weights, biases and input")
      ->capture_default_str();
  run->add_option("-p,--precision", run_o.precision,
                  "Run every layer in this precision (default: as the description says)")
      ->check(CLI::IsMember({"int8", "int16"}));
  run->add_option("--last-layer", run_o.last_layer,
                  "Run the layers up to this one (e.g. conv5: AlexNet CONV1-5)");
  run->add_option("--first-layer", run_o.first_layer,
                  "Start at this layer; the layers before it are not simulated, their golden "
                  "outputs are placed in DRAM (splits a long run into parts)");
  run->add_option("--dram-latency", run_o.dram.read_latency, "DRAM read latency, cycles")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  run->add_option("--dram-bw", run_o.dram.bytes_per_cycle, "DRAM bandwidth, bytes per cycle")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 8.0));
  run->add_option("--json", run_o.json_path, "Write the report as JSON to this file");
  run->add_option("--trace", run_o.trace_path,
                  "Write an FST waveform of the run to this file (eyeriss: after `make waves`)");
  run->add_flag("--checked", run_o.checked,
                "Simulate with the RTL assertions (slower model; also used with --trace)");
  run->add_option("-j,--jobs", run_o.jobs,
                  "Parallel simulations, one thread each; the layers are split between them "
                  "by estimated cycles (same cycles and results, less wall time)")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  run->add_flag("-q,--quiet", run_o.quiet, "No progress output");
  run->add_flag("--plan", run_o.plan,
                "Simulate nothing: print each layer's mapping and estimated cycles and how "
                "--jobs splits the layers (with --json: as JSON)");

  rsnpu::tb::LayerRegressOptions lr;
  auto* lreg = app.add_subcommand(
      "layer-regress",
      "Seeded random layers (multi-pass, groups, batch, pooling, INT8/INT16) DRAM to DRAM on the "
      "accelerator RTL under random DRAM timing, every output word checked");
  lreg->add_option("-c,--config", lr.config, "Configuration")->capture_default_str();
  lreg->add_option("-s,--seed", lr.seed, "First seed; layer i uses seed+i")->capture_default_str();
  lreg->add_option("-n,--count", lr.count, "Number of layers")->capture_default_str();
  lreg->add_option("--waves", lr.waves_dir,
                   "Write an FST waveform per layer into this directory (eyeriss: after "
                   "`make waves`)");
  lreg->add_option("--json", lr.json_path, "Write the report as JSON to this file");
  lreg->add_flag("-q,--quiet", lr.quiet, "No progress output");

  std::vector<std::string> metric_nets;
  std::string metrics_json_path;
  auto* metrics = app.add_subcommand(
      "metrics",
      "Algorithm metrics of network descriptions (layers, filter sizes, channels, "
      "strides, weights and MACs, CONV and FC separately), computed from the file");
  metrics->add_option("network", metric_nets, "Network description(s)")
      ->required()
      ->check(CLI::ExistingFile);
  metrics->add_option("--json", metrics_json_path, "Write the metrics of all networks as JSON");

  rsnpu::tb::BenchOptions bo;
  auto* bench = app.add_subcommand(
      "bench",
      "Benchmark a network on the accelerator RTL (default: AlexNet CONV1-5, batch 4, INT16, "
      "eyeriss, Eyeriss's 480 MB/s DRAM link): per-layer power, time, utilization, GLB and DRAM "
      "traffic, energy by level from the activity counters, physical limits and Eyeriss's "
      "published figures beside ours -> bench.json, bench.md, PNG plots");
  bench->add_option("network", bo.network, "Network description")
      ->capture_default_str()
      ->check(CLI::ExistingFile);
  bench->add_option("--last-layer", bo.last_layer, "Run up to this layer (\"\": all)")
      ->capture_default_str();
  bench->add_option("-c,--config", bo.config, "Configuration")->capture_default_str();
  bench->add_option("-b,--batch", bo.batch, "Images per layer")
      ->capture_default_str()
      ->check(CLI::Range(1, 255));
  bench->add_option("-p,--precision", bo.precision, "Word precision")
      ->capture_default_str()
      ->check(CLI::IsMember({"int8", "int16"}));
  bench->add_option("-s,--seed", bo.seed, "Seed of weights and inputs")->capture_default_str();
  bench->add_option("-j,--jobs", bo.jobs,
                    "Parallel simulations (as rsnpu run --jobs; same figures, less wall time)")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  bench->add_option("--dram-mbps", bo.dram_mbytes_per_s, "DRAM link bandwidth, MB/s")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e5));
  bench->add_option("--dram-latency-ns", bo.dram_latency_ns, "DRAM read/write latency, ns")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e4));
  bench->add_option("--ert", bo.erts,
                    "Energy reference table(s) (default: config/ert/eyeriss_normalized.json "
                    "and config/ert/osu018_<config>.json)")
      ->check(CLI::ExistingFile);
  bench->add_option("--reference", bo.reference,
                    "Published figures to print beside ours (\"\": none)")
      ->capture_default_str();
  bench->add_option("--area", bo.area_json,
                    "Area report of rsnpu_top (default: build/reports/synth/<config>/top/"
                    "area.json when make synth has run)");
  bench->add_option("-o,--out-dir", bo.out_dir, "Where bench.json, bench.md and the plots go")
      ->capture_default_str();
  bench->add_flag("--no-plots", [&bo](int64_t) { bo.plots = false; }, "Skip the gnuplot PNGs");
  bench->add_flag("--checked", bo.checked, "Simulate with the RTL assertions (slower)");
  bench->add_flag("-q,--quiet", bo.quiet, "No progress output");

  const auto run_ml = rsnpu::tb::add_ml_commands(app);

  CLI11_PARSE(app, argc, argv);
  try {
    if (const int rc = run_ml(); rc >= 0) return rc;
    if (*metrics) {
      nlohmann::json all = nlohmann::json::array();
      for (const auto& path : metric_nets) {
        const rsnpu::net::Network net = rsnpu::net::parse_network_file(path);
        const rsnpu::tb::NetMetrics m = rsnpu::tb::compute_metrics(net);
        rsnpu::tb::print_metrics(net, m);
        fmt::print("\n");
        all.push_back(rsnpu::tb::metrics_json(net, m));
      }
      if (!metrics_json_path.empty()) rsnpu::tb::write_json_file(metrics_json_path, all);
      return 0;
    }
    if (*configs) return cmd_configs(configs_json);
    if (*pe) return cmd_pe_regress(pe_configs, seed, count, waves, json_path, quiet);
    if (*arr)
      return cmd_array_regress(arr_configs, arr_seed, arr_count, arr_waves, arr_json, arr_quiet);
    if (*run) return rsnpu::tb::cmd_run(run_o);
    if (*lreg) return rsnpu::tb::cmd_layer_regress(lr);
    if (*bench) return rsnpu::tb::cmd_bench(bo);
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  }
  return 0;
}
