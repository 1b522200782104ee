#include "accel_cmds.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli_report.h"
#include "rsnpu/hw_configs.h"

namespace rsnpu::tb {

namespace {

std::string shape_str(const LayerDesc& d, const LayerMap& m) {
  return fmt::format("{}x{}x{} -> {}x{}x{}", d.groups * d.cg, d.h, d.w, d.groups * d.mg, m.ho,
                     m.wo);
}

nlohmann::json layer_json(const LayerReport& r) {
  return {{"name", r.name},
          {"layer", r.desc.str()},
          {"mapping", r.map.str()},
          {"macs", r.macs},
          {"cycles", r.cycles},
          {"utilization", r.utilization},
          {"active_pes", r.active_pes},
          {"pe_macs_executed", r.pe_macs},
          {"pe_macs_zero_gated", r.pe_skipped},
          {"passes", r.map.passes(r.desc)},
          {"dram_read_bytes", r.dram_read_bytes},
          {"dram_write_bytes", r.dram_write_bytes},
          {"err_code", r.err_code},
          {"bitexact", r.bitexact},
          {"mismatches", r.mismatches},
          {"counters", counters_json(r.counters)},
          {"sim_seconds", r.sim_seconds},
          {"sim", r.sim},
          {"message", r.failure}};
}

// rsnpu run --plan: what the run would simulate, from the mapper alone.
constexpr char kPlanRow[] =
    "{:<14} {:<26} {:>3} {:>3} {:>4} {:>4} {:>5} {:>5} {:>6} {:>12} {:>11} {:>6.1f} {:>3}\n";
int print_plan(const RunCmdOptions& o, const cfg::HwConfig& hw, const net::Network& net,
               const RunOptions& ro) {
  const NetworkPlan plan = plan_network(net, o.batch, ro);
  const int pes = hw.pe_rows * hw.pe_cols;
  fmt::print("{} on {} ({} PEs, {} MHz), batch {}: plan (nothing simulated)\n", net.name,
             hw.name, pes, hw.clock_mhz, o.batch);
  fmt::print("{:<14} {:<26} {:>3} {:>3} {:>4} {:>4} {:>5} {:>5} {:>6} {:>12} {:>11} {:>6} {:>3}\n",
             "layer", "shape (CxHxW)", "p", "q", "sets", "cols", "strip", "PEs", "passes",
             "MACs", "est cycles", "util%", "sim");
  std::vector<int> sim_of(plan.lowered.size(), -1);
  for (std::size_t w = 0; w < plan.work.size(); ++w) {
    for (std::size_t i : plan.work[w]) sim_of[i] = int(w);
  }
  int64_t macs = 0, est = 0;
  nlohmann::json layers = nlohmann::json::array();
  for (std::size_t i = plan.start; i < plan.lowered.size(); ++i) {
    const LayerDesc& d = plan.lowered[i].desc;
    const LayerMap& m = plan.maps[i];
    const int64_t c = plan.est_cycles[i];
    const double util = c > 0 ? double(d.macs()) / (double(c) * pes) : 0.0;
    fmt::print(kPlanRow, plan.lowered[i].name, shape_str(d, m), m.p, m.q, m.sets, m.cols,
               m.strip_rows, m.active_pes(d), m.passes(d), d.macs(), c, 100 * util, sim_of[i]);
    macs += d.macs();
    est += c;
    layers.push_back({{"name", plan.lowered[i].name},
                      {"layer", d.str()},
                      {"mapping", m.str()},
                      {"macs", d.macs()},
                      {"active_pes", m.active_pes(d)},
                      {"passes", m.passes(d)},
                      {"est_cycles", c},
                      {"est_utilization", util},
                      {"sim", sim_of[i]}});
  }
  const double util = est > 0 ? double(macs) / (double(est) * pes) : 0.0;
  fmt::print(kPlanRow, "total", "", "", "", "", "", "", "", "", macs, est, 100 * util, "");
  const std::vector<int64_t> load = plan.sim_est_cycles();
  nlohmann::json sims = nlohmann::json::array();
  for (std::size_t w = 0; w < load.size(); ++w) {
    fmt::print("simulation {}: {} layers, {} estimated cycles ({:.1f}% of the total)\n", w,
               plan.work[w].size(), load[w], est > 0 ? 100.0 * double(load[w]) / double(est) : 0);
    sims.push_back({{"layers", plan.work[w].size()}, {"est_cycles", load[w]}});
  }
  fmt::print("est cycles = the mapper's estimate (tb::estimated_cycles), which picks the mapping "
             "and splits the layers over --jobs simulations; the RTL's cycles differ. The run's "
             "wall time follows its largest simulation.\n");
  if (!o.json_path.empty()) {
    write_json_file(o.json_path, {{"network", net.name},
                                  {"config", hw.name},
                                  {"batch", o.batch},
                                  {"jobs", o.jobs},
                                  {"layers", layers},
                                  {"simulations", sims},
                                  {"totals", {{"macs", macs}, {"est_cycles", est},
                                              {"est_utilization", util}}}});
  }
  return 0;
}

}  // namespace

void print_layer_progress(const LayerReport& r, int index, int count, double remaining_s) {
  fmt::print(stderr, "[{}/{}] {:<12} {:>10} cycles {:>6.1f}% util {:>7.1f} s  {}{}\n",
             index + 1, count, r.name, r.cycles, 100 * r.utilization, r.sim_seconds,
             r.bitexact ? "bit-exact" : "MISMATCH",
             index + 1 < count ? fmt::format("  (about {} left)", duration_str(remaining_s))
                               : "");
}

std::optional<net::Network> load_run_network(const std::string& path,
                                             const std::string& precision,
                                             const std::string& last_layer) {
  net::Network net =
      precision.empty()
          ? net::parse_network_file(path)
          : net::parse_network_file_as(path, precision == "int8" ? golden::Precision::kInt8
                                                                 : golden::Precision::kInt16);
  if (!last_layer.empty()) {
    const net::Layer* last = net.find(last_layer);
    if (last == nullptr) {
      fmt::print(stderr, "error: {}: no layer named '{}'\n", path, last_layer);
      return std::nullopt;
    }
    net.layers.resize(std::size_t(last->index) + 1);
    net.name += "_to_" + last_layer;
  }
  return net;
}

int cmd_run(const RunCmdOptions& o) {
  const cfg::HwConfig* hw = cfg::find(o.config);
  if (hw == nullptr) {
    fmt::print(stderr, "error: unknown configuration '{}' (see 'rsnpu configs')\n", o.config);
    return 2;
  }
  std::optional<net::Network> loaded = load_run_network(o.network, o.precision, o.last_layer);
  if (!loaded) return 2;
  if (!o.first_layer.empty()) loaded->name += "_from_" + o.first_layer;
  const net::Network& net = *loaded;
  RunOptions ro;
  ro.config = o.config;
  ro.seed = o.seed;
  ro.dram = o.dram;
  ro.wave_path = o.trace_path;
  ro.fast = !o.checked;
  ro.first_layer = o.first_layer;
  ro.jobs = o.jobs;
  if (o.jobs > 1 && !o.trace_path.empty()) {
    fmt::print(stderr, "error: --trace needs one simulation (--jobs 1)\n");
    return 2;
  }
  if (o.plan) return print_plan(o, *hw, net, ro);
  if (!o.quiet) {
    fmt::print(stderr, "{} on {} ({}x{} PEs), batch {}, seed {}, {}{}\n", net.name, hw->name,
               hw->pe_rows, hw->pe_cols, o.batch, o.seed, o.dram.str(),
               o.jobs > 1 ? fmt::format(", {} parallel simulations", o.jobs) : "");
  }
  const NetworkReport nr = run_network_rtl(
      net, o.batch, ro, [&](const LayerReport& r, int i, int n, double left_s) {
        if (!o.quiet) print_layer_progress(r, i, n, left_s);
      });
  const int pes = hw->pe_rows * hw->pe_cols;
  fmt::print("\n{} on {} ({} PEs, {} MHz), batch {}, seed {}\n", net.name, hw->name, pes,
             hw->clock_mhz, o.batch, o.seed);
  fmt::print("{:<14} {:<26} {:>11} {:>10} {:>6} {:>5} {:>6} {:>10} {:>10} {:>9} {:>7}\n",
             "layer", "shape (CxHxW)", "MACs", "cycles", "util%", "PEs", "passes", "DRAM rd B",
             "DRAM wr B", "bit-exact", "sim s");
  int64_t macs = 0;
  uint64_t rd = 0, wr = 0;
  nlohmann::json layers = nlohmann::json::array();
  for (const LayerReport& r : nr.layers) {
    fmt::print("{:<14} {:<26} {:>11} {:>10} {:>6.1f} {:>5} {:>6} {:>10} {:>10} {:>9} {:>7.1f}\n",
               r.name, shape_str(r.desc, r.map), r.macs, r.cycles, 100 * r.utilization,
               r.active_pes, r.map.passes(r.desc), r.dram_read_bytes, r.dram_write_bytes,
               r.bitexact ? "yes" : "NO", r.sim_seconds);
    if (!r.bitexact) fmt::print("  {}\n", r.failure);
    macs += r.macs;
    rd += r.dram_read_bytes;
    wr += r.dram_write_bytes;
    layers.push_back(layer_json(r));
  }
  const double util = nr.cycles ? double(macs) / (double(nr.cycles) * pes) : 0.0;
  fmt::print("{:<14} {:<26} {:>11} {:>10} {:>6.1f} {:>5} {:>6} {:>10} {:>10} {:>9} {:>7.1f}\n",
             "total", "", macs, nr.cycles, 100 * util, "", "", rd, wr,
             nr.bitexact ? "yes" : "NO", nr.sim_seconds);
  const double ms = double(nr.cycles) / (hw->clock_mhz * 1e3);
  const double macs_per_s = nr.sim_seconds > 0 ? double(macs) / nr.sim_seconds : 0.0;
  fmt::print("{:.3f} ms at {} MHz; simulation {:.1f} s wall, {} cycles/s, {:.1f} M MACs/s{}\n",
             ms, hw->clock_mhz, nr.sim_seconds, nr.sim_cycles_per_s, macs_per_s / 1e6,
             o.jobs > 1 ? fmt::format(" ({} parallel simulations)", o.jobs) : "");
  fmt::print("util% = MACs / (cycles x {} PEs); DRAM bytes as the AXI model counted them; sim s "
             "= wall time of the layer's simulation (the total: of the run).\n",
             pes);
  if (!o.trace_path.empty()) fmt::print("waveform: {} (open with gtkwave)\n", o.trace_path);
  if (!o.json_path.empty()) {
    write_json_file(o.json_path, {{"network", nr.network},
                                  {"config", nr.config},
                                  {"batch", nr.batch},
                                  {"seed", nr.seed},
                                  {"dram", o.dram.str()},
                                  {"layers", layers},
                                  {"totals",
                                   {{"macs", macs},
                                    {"cycles", nr.cycles},
                                    {"utilization", util},
                                    {"dram_read_bytes", rd},
                                    {"dram_write_bytes", wr},
                                    {"time_ms", ms},
                                    {"bitexact", nr.bitexact},
                                    {"sim_wall_seconds", nr.sim_seconds},
                                    {"sim_jobs", o.jobs},
                                    {"sim_cycles_per_second", nr.sim_cycles_per_s},
                                    {"sim_macs_per_second", macs_per_s}}}});
  }
  fmt::print("{}\n", nr.bitexact ? "PASSED: every layer bit-exact with the golden model"
                                 : "FAILED: see the rows marked NO");
  return nr.bitexact ? 0 : 1;
}

int cmd_layer_regress(const LayerRegressOptions& o) {
  const cfg::HwConfig* hw = cfg::find(o.config);
  if (hw == nullptr) {
    fmt::print(stderr, "error: unknown configuration '{}' (see 'rsnpu configs')\n", o.config);
    return 2;
  }
  nlohmann::json results = nlohmann::json::array();
  uint64_t passed = 0, cycles = 0;
  int64_t macs = 0;
  double wall = 0;
  for (uint64_t i = 0; i < o.count; ++i) {
    const uint64_t seed = o.seed + i;
    std::mt19937_64 rng(seed);
    RunOptions ro;
    ro.config = o.config;
    ro.seed = seed;
    ro.dram = DramKnobs::random(rng);
    if (!o.waves_dir.empty()) {
      ro.wave_path = fmt::format("{}/layer_{}_{}.fst", o.waves_dir, o.config, seed);
    }
    const LayerDesc d = random_layer(*hw, seed);
    LayerReport r = run_layer_rtl(d, ro);
    r.name = fmt::format("seed {}", seed);
    passed += r.bitexact;
    cycles += r.cycles;
    macs += r.macs;
    wall += r.sim_seconds;
    nlohmann::json j = layer_json(r);
    j["seed"] = seed;
    j["dram"] = ro.dram.str();
    results.push_back(j);
    if (!r.bitexact) {
      fmt::print(
          "FAIL [{}] seed {}: {}\n  layer: {}\n  mapping: {}\n  {}\n  replay: build/rsnpu "
          "layer-regress --config {} --seed {} --count 1 --waves build/waves\n",
          o.config, seed, r.failure, d.str(), r.map.str(), ro.dram.str(), o.config, seed);
    }
    if (!o.quiet) {
      print_progress("[" + o.config + "] layer regression", i + 1, o.count, "layers", 10);
    }
  }
  const double util = cycles ? double(macs) / (double(cycles) * hw->pe_rows * hw->pe_cols) : 0;
  fmt::print("\n{:<9} {:>6} {:>5} {:>5} {:>12} {:>11} {:>7} {:>9} {:>7}\n", "config", "layers",
             "pass", "fail", "MACs", "cycles", "util%", "cyc/s", "wall_s");
  fmt::print("{:<9} {:>6} {:>5} {:>5} {:>12} {:>11} {:>7.1f} {:>9.0f} {:>7.2f}\n", o.config,
             o.count, passed, o.count - passed, macs, cycles, 100 * util,
             wall > 0 ? double(cycles) / wall : 0.0, wall);
  fmt::print("Random layers DRAM to DRAM on rsnpu_top with random DRAM latency, bandwidth and\n"
             "back-pressure; util% = MACs / (cycles x all PEs).\n");
  if (!o.json_path.empty()) {
    write_json_file(o.json_path, {{"config", o.config},
                                  {"layers", o.count},
                                  {"passed", passed},
                                  {"failed", o.count - passed},
                                  {"macs", macs},
                                  {"cycles", cycles},
                                  {"utilization", util},
                                  {"sim_wall_seconds", wall},
                                  {"results", results}});
  }
  const bool ok = passed == o.count;
  fmt::print("{}\n", ok ? "Layer regression PASSED: every output word bit-exact"
                        : "Layer regression FAILED");
  return ok ? 0 : 1;
}

}  // namespace rsnpu::tb
