#include "bench_cmd.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>

#include "accel_cmds.h"
#include "accel_run.h"
#include "cli_report.h"
#include "energy_model.h"
#include "rsnpu/hw_configs.h"

namespace rsnpu::tb {

namespace {

using hw::PerfCtr;
constexpr double kWordBytes = 2.0;  // DRAM and GLB words are 16 bits (INT8 too)

// One row of the benchmark table: a layer, or the total.
struct BenchRow {
  std::string name;
  int64_t macs = 0;
  int64_t mac_slots = 0;  // executed + gated MACs the mapping implies (tb::mac_slots)
  uint64_t cycles = 0;
  double time_ms = 0;
  double utilization = 0;       // MACs / (cycles x PEs)
  int active_pes = 0;           // PEs a pass uses (total: MAC-weighted mean)
  double glb_bytes = 0;         // global buffer traffic (reads + writes)
  double dram_bytes = 0;        // DRAM traffic (reads + writes)
  double ideal_cycles = 0;      // MACs / PEs
  double compulsory_bytes = 0;  // every weight, input (and residual) and output moved once
  std::array<uint64_t, hw::kPerfCtrCount> counters{};
  std::vector<energy::Energy> energy;  // per ERT
};

double glb_bytes_of(const std::array<uint64_t, hw::kPerfCtrCount>& c) {
  auto k = [&c](PerfCtr p) { return double(c[std::size_t(p)]); };
  const double lines =
      k(PerfCtr::kGlbFltRd) + k(PerfCtr::kGlbFltWr) + k(PerfCtr::kGlbIfmRd) + k(PerfCtr::kGlbIfmWr);
  const double psums = k(PerfCtr::kGlbPsumRd) + k(PerfCtr::kGlbPsumWr);
  return lines * 8.0 + psums * 4.0;  // 64-bit lines, 32-bit psums
}

double compulsory_bytes_of(const LayerDesc& d, const LayerMap& m) {
  const double in = double(d.n) * d.groups * d.cg * d.h * d.w;
  const double wgt = double(d.groups) * d.mg * d.cg * d.r * d.s;
  const double out = double(d.n) * d.groups * d.mg * m.ho * m.wo;
  const double res = d.residual ? double(d.n) * d.groups * d.mg * m.e * m.f : 0.0;
  const double bias_bytes = d.bias ? double(d.groups) * d.mg * 4.0 : 0.0;
  return (in + wgt + out + res) * kWordBytes + bias_bytes;
}

std::optional<nlohmann::json> load_json(const std::string& path, std::string& err) {
  std::ifstream f(path);
  if (!f) {
    err = fmt::format("{}: cannot open", path);
    return std::nullopt;
  }
  try {
    nlohmann::json j;
    f >> j;
    return j;
  } catch (const nlohmann::json::exception& e) {
    err = fmt::format("{}: not valid JSON: {}", path, e.what());
    return std::nullopt;
  }
}

// "1.23x" of ours / theirs, or "-" when either is missing.
std::string ratio(double ours, double theirs) {
  if (!(theirs > 0) || !(ours >= 0)) return "-";
  return fmt::format("{:.2f}x", ours / theirs);
}

std::string num(double v, int prec) {
  if (std::isnan(v)) return "-";
  return fmt::format("{:.{}f}", v, prec);
}

// pJ over ms -> mW: 1e-12 J / 1e-3 s = 1e-9 W = 1e-6 mW.
double mw_of(double pj, double ms) { return ms > 0 ? pj * 1e-6 / ms : 0.0; }

// Energy of a row in an ERT's unit, with the unit written out.
std::string energy_str(double e, const std::string& unit) {
  if (unit == "pJ") return fmt::format("{:.3f} mJ", e * 1e-9);
  return fmt::format("{:.3g} MAC-equivalents", e);
}

int run_gnuplot(const std::string& script, const std::string& log) {
  const std::string cmd = fmt::format("gnuplot '{}' > '{}' 2>&1", script, log);
  return std::system(cmd.c_str());
}

}  // namespace

int cmd_bench(const BenchOptions& o) {
  const cfg::HwConfig* hw = cfg::find(o.config);
  if (hw == nullptr) {
    fmt::print(stderr, "error: unknown configuration '{}' (see 'rsnpu configs')\n", o.config);
    return 2;
  }
  // Inputs first: a bad table must not cost a simulation.
  std::vector<std::string> ert_paths = o.erts;
  if (ert_paths.empty()) {
    ert_paths = {"config/ert/eyeriss_normalized.json",
                 fmt::format("config/ert/osu018_{}.json", o.config)};
  }
  std::vector<energy::Ert> erts;
  try {
    for (const std::string& p : ert_paths) erts.push_back(energy::load_ert(p));
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  }
  std::optional<nlohmann::json> ref;
  if (!o.reference.empty()) {
    std::string err;
    ref = load_json(o.reference, err);
    if (!ref || !ref->contains("layers") || !ref->contains("total")) {
      fmt::print(stderr, "error: reference {}\n",
                 err.empty() ? o.reference + ": needs \"layers\" and \"total\"" : err);
      return 2;
    }
  }
  const std::string area_path = o.area_json.empty()
                                    ? fmt::format("build/reports/synth/{}/top/area.json", o.config)
                                    : o.area_json;
  std::optional<nlohmann::json> area;
  if (std::filesystem::exists(area_path)) {
    std::string err;
    area = load_json(area_path, err);
    if (!area) {
      fmt::print(stderr, "error: area report {}\n", err);
      return 2;
    }
  } else if (!o.area_json.empty()) {
    fmt::print(stderr, "error: area report {}: no such file (make synth CONFIG={})\n", area_path,
               o.config);
    return 2;
  }

  std::optional<net::Network> loaded;
  try {
    loaded = load_run_network(o.network, o.precision, o.last_layer);
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  }
  if (!loaded) return 2;
  const net::Network& net = *loaded;
  // A hardware layer's name without the layers fused into it: "conv1+pool1" -> "conv1".
  auto base = [](const std::string& name) { return name.substr(0, name.find('+')); };
  // The published column only beside the same workload: every layer name found there.
  auto reference_matches = [&](const std::vector<LayerReport>& layers) {
    if (!ref) return false;
    for (const LayerReport& r : layers) {
      bool found = false;
      for (const nlohmann::json& l : (*ref)["layers"]) found |= l.value("name", "") == base(r.name);
      if (!found) return false;
    }
    return !layers.empty();
  };

  RunOptions ro;
  ro.config = o.config;
  ro.seed = o.seed;
  ro.fast = !o.checked;
  ro.jobs = o.jobs;
  ro.dram.bytes_per_cycle = o.dram_mbytes_per_s / hw->clock_mhz;
  ro.dram.read_latency = std::max(1, int(std::lround(o.dram_latency_ns * hw->clock_mhz / 1e3)));
  ro.dram.write_latency = ro.dram.read_latency;
  ro.dram.ready_prob = 1.0;
  if (ro.dram.bytes_per_cycle > 8.0) {
    fmt::print(stderr,
               "error: DRAM link {} MB/s is above the 64-bit AXI port at {} MHz ({} MB/s)\n",
               o.dram_mbytes_per_s, hw->clock_mhz, 8 * hw->clock_mhz);
    return 2;
  }
  const int pes = hw->pe_rows * hw->pe_cols;
  if (!o.quiet) {
    fmt::print(stderr, "bench: {} on {} ({} PEs, {} MHz), batch {}, {}, DRAM {} MB/s ({})\n",
               net.name, hw->name, pes, hw->clock_mhz, o.batch, o.precision, o.dram_mbytes_per_s,
               ro.dram.str());
  }
  NetworkReport nr;
  try {
    nr = run_network_rtl(net, o.batch, ro, [&](const LayerReport& r, int i, int n, double left) {
      if (!o.quiet) print_layer_progress(r, i, n, left);
    });
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  }

  if (ref && !reference_matches(nr.layers)) {
    fmt::print("note: {} has other layers than {}: its column is left out\n", o.reference,
               nr.network);
    ref.reset();
  }

  // Rows.
  std::vector<BenchRow> rows;
  BenchRow total;
  total.name = "total";
  total.energy.assign(erts.size(), energy::Energy{});
  double pe_weighted = 0;
  for (const LayerReport& r : nr.layers) {
    BenchRow row;
    row.name = r.name;
    row.macs = r.macs;
    row.mac_slots = mac_slots(r.desc, r.map);
    row.cycles = r.counter(PerfCtr::kCycles);
    row.time_ms = double(row.cycles) / (hw->clock_mhz * 1e3);
    row.utilization = row.cycles ? double(r.macs) / (double(row.cycles) * pes) : 0.0;
    row.active_pes = r.active_pes;
    row.glb_bytes = glb_bytes_of(r.counters);
    row.dram_bytes = double(r.counter(PerfCtr::kDramRdBytes) + r.counter(PerfCtr::kDramWrBytes));
    row.ideal_cycles = double(r.macs) / pes;
    row.compulsory_bytes = compulsory_bytes_of(r.desc, r.map);
    row.counters = r.counters;
    const energy::ActionCounts ac = energy::action_counts(r.counters);
    for (std::size_t e = 0; e < erts.size(); ++e) {
      row.energy.push_back(energy::evaluate(erts[e], ac));
      for (int l = 0; l < energy::kLevelCount; ++l) {
        total.energy[e].by_level[std::size_t(l)] += row.energy[e].by_level[std::size_t(l)];
      }
      total.energy[e].total += row.energy[e].total;
    }
    total.macs += row.macs;
    total.mac_slots += row.mac_slots;
    total.cycles += row.cycles;
    total.glb_bytes += row.glb_bytes;
    total.dram_bytes += row.dram_bytes;
    total.ideal_cycles += row.ideal_cycles;
    total.compulsory_bytes += row.compulsory_bytes;
    for (std::size_t k = 0; k < total.counters.size(); ++k) total.counters[k] += r.counters[k];
    pe_weighted += double(r.active_pes) * double(r.macs);
    rows.push_back(row);
  }
  total.time_ms = double(total.cycles) / (hw->clock_mhz * 1e3);
  total.utilization = total.cycles ? double(total.macs) / (double(total.cycles) * pes) : 0.0;
  total.active_pes = total.macs ? int(std::lround(pe_weighted / double(total.macs))) : 0;

  // The pJ table gives power; the first one is the power column.
  int pj_ert = -1;
  for (std::size_t e = 0; e < erts.size(); ++e) {
    if (erts[e].unit == "pJ") {
      pj_ert = int(e);
      break;
    }
  }
  // Chip power: the energy table's total without DRAM (the published chip figures exclude it).
  auto power_mw = [&](const BenchRow& r) {
    if (pj_ert < 0) return double(NAN);
    const energy::Energy& e = r.energy[std::size_t(pj_ert)];
    return mw_of(e.total - e.of(energy::Level::kDram), r.time_ms);
  };
  auto ref_layer = [&](const std::string& name) -> const nlohmann::json* {
    if (!ref) return nullptr;
    for (const nlohmann::json& l : (*ref)["layers"]) {
      if (l.value("name", "") == base(name)) return &l;
    }
    return nullptr;
  };

  // Per-layer table.
  const std::string ref_name = ref ? ref->value("name", "reference") : "";
  fmt::print(
      "\nBenchmark: {} on {} ({} PEs, {} MHz), batch {}, {}, DRAM link {} MB/s, latency "
      "{} cycles\n",
      net.name, hw->name, pes, hw->clock_mhz, o.batch, o.precision, o.dram_mbytes_per_s,
      ro.dram.read_latency);
  // The cells of a row, shared by the console and the Markdown table.
  const std::vector<std::string> heads = {"layer",    "power mW", "time ms",    "MACs (M)",
                                          "PEs",      "util%",    "GLB MB",     "DRAM MB",
                                          "ideal ms", "min DRAM", "Eyeriss ms", "ratio"};
  auto cells = [&](const BenchRow& r, const nlohmann::json* rl) {
    const double ref_ms = rl ? rl->value("time_ms", NAN) : NAN;
    return std::vector<std::string>{r.name,
                                    num(power_mw(r), 0),
                                    num(r.time_ms, 2),
                                    num(double(r.macs) / 1e6, 1),
                                    std::to_string(r.active_pes),
                                    num(100 * r.utilization, 1),
                                    num(r.glb_bytes / 1e6, 1),
                                    num(r.dram_bytes / 1e6, 2),
                                    num(r.ideal_cycles / (hw->clock_mhz * 1e3), 2),
                                    num(r.compulsory_bytes / 1e6, 2),
                                    num(ref_ms, 1),
                                    ratio(r.time_ms, ref_ms)};
  };
  auto print_cells = [](const std::vector<std::string>& c) {
    fmt::print("{:<12}", c[0]);
    for (std::size_t i = 1; i < c.size(); ++i) fmt::print(" {:>10}", c[i]);
    fmt::print("\n");
  };
  auto print_row = [&](const BenchRow& r, const nlohmann::json* rl) { print_cells(cells(r, rl)); };
  print_cells(heads);
  for (const BenchRow& r : rows) print_row(r, ref_layer(r.name));
  print_row(total, ref ? &(*ref)["total"] : nullptr);

  // Where the cycles go: the hardware's cycle classes (docs/accelerator.md).
  const std::array<std::pair<PerfCtr, const char*>, 7> classes = {{{PerfCtr::kCycMac, "mac"},
                                                                   {PerfCtr::kCycNoc, "noc"},
                                                                   {PerfCtr::kCycGlb, "glb"},
                                                                   {PerfCtr::kCycArray, "array"},
                                                                   {PerfCtr::kCycOut, "out"},
                                                                   {PerfCtr::kCycDram, "dram"},
                                                                   {PerfCtr::kCycCtrl, "ctrl"}}};
  auto class_pct = [](const BenchRow& r, PerfCtr c) {
    return r.cycles ? 100.0 * double(r.counters[std::size_t(c)]) / double(r.cycles) : 0.0;
  };
  fmt::print(
      "\ncycles by class, % (mac: a PE MAC slot; noc: words on a network; glb: feeders or "
      "psum unit; array: pass running; out: write back; dram: loads; ctrl: the rest)\n");
  fmt::print("{:<12}", "layer");
  for (const auto& c : classes) fmt::print(" {:>7}", c.second);
  fmt::print("\n");
  for (const BenchRow* r : [&] {
         std::vector<const BenchRow*> v;
         for (const BenchRow& x : rows) v.push_back(&x);
         v.push_back(&total);
         return v;
       }()) {
    fmt::print("{:<12}", r->name);
    for (const auto& c : classes) fmt::print(" {:>7.1f}", class_pct(*r, c.first));
    fmt::print("\n");
  }

  // Totals beside the published column.
  const double s = total.time_ms * 1e-3;
  const double fps = s > 0 ? o.batch / s : 0;
  const double gmacs = s > 0 ? double(total.macs) / s / 1e9 : 0;
  const double pw = power_mw(total);
  const double dram_per_mac = total.macs ? total.dram_bytes / kWordBytes / double(total.macs) : 0;
  const double glb_per_mac = total.macs ? total.glb_bytes / kWordBytes / double(total.macs) : 0;
  const double storage_kb = (double(hw->glb_ifmap_words) * 2 + double(hw->glb_psum_words) * 4 +
                             double(flt_row_slots(hw->pe_rows)) * hw->filter_spad_words * 2 +
                             double(pes) * (hw->filter_spad_words * 2 + hw->ifmap_spad_words * 2 +
                                            hw->psum_spad_words * 4)) /
                            1024.0;
  const double area_mm2 = area ? (*area)["total"].value("area_um2", NAN) / 1e6 : NAN;
  const double kgates = area ? (*area)["total"].value("nand2_eq", NAN) / 1e3 : NAN;
  nlohmann::json rt = ref ? (*ref)["total"] : nlohmann::json::object();
  const double ref_s = rt.value("time_ms", NAN) * 1e-3;
  const double ref_batch = ref ? ref->value("batch", 4.0) : NAN;
  const double ref_macs = rt.value("macs_m", NAN) * 1e6;
  const double ref_mw = rt.value("power_mw", NAN);
  const double ref_gmacs = ref_macs / ref_s / 1e9;
  const double ref_dram = rt.value("dram_mb", NAN) * 1e6;
  const double ref_glb = rt.value("glb_mb", NAN) * 1e6;

  struct TotalLine {
    std::string metric, ours, theirs, ratio;
  };
  std::vector<TotalLine> tl;
  auto add = [&tl](const std::string& m, double ours, double theirs, int prec) {
    tl.push_back({m, num(ours, prec), num(theirs, prec), ratio(ours, theirs)});
  };
  add("frames per second", fps, ref_batch / ref_s, 1);
  add("GMAC/s", gmacs, ref_gmacs, 2);
  const double ref_peak_gmacs =
      ref ? ref->value("pes", NAN) * ref->value("clock_mhz", NAN) / 1e3 : NAN;
  add("MAC utilization %", 100 * total.utilization, 100 * ref_gmacs / ref_peak_gmacs, 1);
  add("PE MAC slots per useful MAC (mapping waste)",
      total.macs ? double(total.mac_slots) / double(total.macs) : NAN, NAN, 3);
  add("chip power mW (osu018 0.18 um, no DRAM)", pw, ref_mw, 0);
  double scaled_mw = NAN;
  if (pj_ert >= 0 && erts[std::size_t(pj_ert)].scale_to_65nm > 0) {
    const energy::Energy& e = total.energy[std::size_t(pj_ert)];
    const double f = erts[std::size_t(pj_ert)].scale_to_65nm;
    scaled_mw = mw_of((e.total - e.of(energy::Level::kDram)) * f, total.time_ms);
    add("chip power mW scaled to 65 nm (no DRAM)", scaled_mw, ref_mw, 0);
  }
  add("GMAC/s/W (osu018)", pw > 0 ? gmacs / (pw / 1e3) : NAN, ref_gmacs / (ref_mw / 1e3), 1);
  add("GMAC/s/W scaled to 65 nm", scaled_mw > 0 ? gmacs / (scaled_mw / 1e3) : NAN,
      ref_gmacs / (ref_mw / 1e3), 1);
  add("DRAM MB per image", total.dram_bytes / 1e6 / o.batch, ref_dram / 1e6 / ref_batch, 2);
  add("compulsory DRAM MB per image", total.compulsory_bytes / 1e6 / o.batch, NAN, 2);
  add("DRAM accesses (16 b) per MAC", dram_per_mac, ref_dram / kWordBytes / ref_macs, 4);
  add("GLB accesses (16 b) per MAC", glb_per_mac, ref_glb / kWordBytes / ref_macs, 4);
  add("ideal time ms (MACs / PEs)", total.ideal_cycles / (hw->clock_mhz * 1e3), NAN, 2);
  add("on-chip storage KB", storage_kb, ref ? ref->value("on_chip_storage_kb", NAN) : NAN, 1);
  add("area mm^2 (0.18 um, SRAM estimated)", area_mm2, ref ? ref->value("core_area_mm2", NAN) : NAN,
      1);
  add("logic kGates (NAND2-eq)", kgates, ref ? ref->value("logic_kgates", NAN) : NAN, 0);
  for (std::size_t e = 0; e < erts.size(); ++e) {
    tl.push_back({fmt::format("energy per image, {}", erts[e].name),
                  energy_str(total.energy[e].total / o.batch, erts[e].unit), "-", "-"});
  }
  // The project's targets for this workload (the reference file's "targets"): benchmark goals,
  // shown with the gap, never asserted.
  struct TargetLine {
    std::string target, limit, ours, gap;
    bool at_least, met;  // at_least: value >= bound is the goal, else value <= bound
    double value, bound;
  };
  std::vector<TargetLine> targets;
  // One target: the verdict and the gap's wording in one place for every kind.
  auto add_target = [&targets](const std::string& name, const std::string& limit,
                               const std::string& ours, double value, double bound,
                               bool at_least, const std::string& gap) {
    const bool met = at_least ? value >= bound : value <= bound;
    targets.push_back({name, limit, ours, met ? "-" : gap, at_least, met, value, bound});
  };
  if (ref && ref->contains("targets")) {
    const nlohmann::json& tg = (*ref)["targets"];
    if (tg.contains("min_layer_utilization_pct")) {
      const double lim = tg["min_layer_utilization_pct"].get<double>();
      const BenchRow* worst = nullptr;
      for (const BenchRow& r : rows) {
        if (worst == nullptr || r.utilization < worst->utilization) worst = &r;
      }
      const double v = worst ? 100 * worst->utilization : NAN;
      add_target("MAC utilization in every layer", fmt::format(">= {:.0f}%", lim),
                 fmt::format("{:.1f}% (worst: {})", v, worst ? worst->name : "-"), v, lim, true,
                 fmt::format("{:.1f} points short", lim - v));
    }
    if (tg.contains("max_dram_mb_per_image")) {
      const double lim = tg["max_dram_mb_per_image"].get<double>();
      const double v = total.dram_bytes / 1e6 / o.batch;
      add_target("DRAM traffic per image", fmt::format("<= {:.2f} MB", lim),
                 fmt::format("{:.2f} MB", v), v, lim, false,
                 fmt::format("{:.2f} MB over ({:.2f}x)", v - lim, v / lim));
    }
    if (tg.value("glb_accesses_per_mac_at_most_published", false)) {
      const double lim = ref_glb / kWordBytes / ref_macs;
      add_target("GLB accesses (16 b) per MAC", fmt::format("<= {:.4f} (published)", lim),
                 fmt::format("{:.4f}", glb_per_mac), glb_per_mac, lim, false,
                 fmt::format("{:.2f}x", glb_per_mac / lim));
    }
  }

  fmt::print("\n{:<42} {:>24} {:>10} {:>8}\n", "metric", "rsnpu", ref ? "Eyeriss" : "-", "ratio");
  for (const TotalLine& t : tl) {
    fmt::print("{:<42} {:>24} {:>10} {:>8}\n", t.metric, t.ours, t.theirs, t.ratio);
  }
  if (!targets.empty()) {
    fmt::print("\n{:<32} {:>22}  {:>30} {:>5}  {}\n", "target", "limit", "rsnpu", "met", "gap");
    for (const TargetLine& t : targets) {
      fmt::print("{:<32} {:>22}  {:>30} {:>5}  {}\n", t.target, t.limit, t.ours,
                 t.met ? "yes" : "NO", t.gap);
    }
  }
  // Energy breakdown.
  for (std::size_t e = 0; e < erts.size(); ++e) {
    fmt::print("\nEnergy by level, {} ({}; {}):\n", erts[e].name, erts[e].unit, erts[e].technology);
    for (int l = 0; l < energy::kLevelCount; ++l) {
      const double v = total.energy[e].by_level[std::size_t(l)];
      fmt::print("  {:<8} {:>14.4g} {:>6.1f}%\n", energy::to_string(energy::Level(l)), v,
                 total.energy[e].total > 0 ? 100 * v / total.energy[e].total : 0.0);
    }
  }
  fmt::print(
      "\nutil% = MACs / (cycles x {} PEs); ideal = MACs / PEs; min DRAM = every weight, "
      "input and output moved once (16-bit words); GLB and DRAM MB from the hardware's "
      "activity counters.\n",
      pes);

  // JSON.
  const std::string dir = o.out_dir;
  std::filesystem::create_directories(dir);
  nlohmann::json jl = nlohmann::json::array();
  auto row_json = [&](const BenchRow& r) {
    nlohmann::json j = {{"name", r.name},
                        {"macs", r.macs},
                        {"pe_mac_slots", r.mac_slots},
                        {"cycles", r.cycles},
                        {"time_ms", r.time_ms},
                        {"utilization", r.utilization},
                        {"active_pes", r.active_pes},
                        {"glb_bytes", r.glb_bytes},
                        {"dram_bytes", r.dram_bytes},
                        {"ideal_cycles", r.ideal_cycles},
                        {"compulsory_dram_bytes", r.compulsory_bytes}};
    if (pj_ert >= 0) j["power_mw"] = power_mw(r);
    nlohmann::json en = nlohmann::json::object();
    for (std::size_t e = 0; e < erts.size(); ++e) {
      nlohmann::json lv = {{"unit", erts[e].unit}, {"total", r.energy[e].total}};
      for (int l = 0; l < energy::kLevelCount; ++l) {
        lv[energy::to_string(energy::Level(l))] = r.energy[e].by_level[std::size_t(l)];
      }
      en[erts[e].name] = lv;
    }
    j["energy"] = en;
    j["counters"] = counters_json(r.counters);
    return j;
  };
  for (const BenchRow& r : rows) jl.push_back(row_json(r));
  nlohmann::json jt = nlohmann::json::object();
  for (const TotalLine& t : tl) jt[t.metric] = {{"rsnpu", t.ours}, {"reference", t.theirs}};
  nlohmann::json jtargets = nlohmann::json::array();
  for (const TargetLine& t : targets) {
    jtargets.push_back({{"target", t.target},
                        {"limit", t.limit},
                        {"rsnpu", t.ours},
                        {"met", t.met},
                        {"gap", t.gap},
                        {"value", t.value},
                        {"bound", t.bound},
                        {"kind", t.at_least ? "min" : "max"}});
  }
  nlohmann::json jerts = nlohmann::json::array();
  for (const energy::Ert& e : erts) {
    jerts.push_back({{"name", e.name},
                     {"file", e.path},
                     {"unit", e.unit},
                     {"technology", e.technology},
                     {"source", e.source},
                     {"scale_to_65nm", e.scale_to_65nm},
                     {"scale_method", e.scale_method}});
  }
  const nlohmann::json report = {{"network", nr.network},
                                 {"config", o.config},
                                 {"pes", pes},
                                 {"clock_mhz", hw->clock_mhz},
                                 {"batch", o.batch},
                                 {"precision", o.precision},
                                 {"seed", o.seed},
                                 {"dram",
                                  {{"mbytes_per_s", o.dram_mbytes_per_s},
                                   {"latency_ns", o.dram_latency_ns},
                                   {"model", ro.dram.str()}}},
                                 {"bitexact", nr.bitexact},
                                 {"sim_seconds", nr.sim_seconds},
                                 {"sim_jobs", o.jobs},
                                 {"sim_cycles_per_s", nr.sim_cycles_per_s},
                                 {"layers", jl},
                                 {"total", row_json(total)},
                                 {"summary", jt},
                                 {"targets", jtargets},
                                 {"energy_tables", jerts},
                                 {"reference", ref ? *ref : nlohmann::json()},
                                 {"area_report", area ? area_path : std::string()}};
  write_json_file(dir + "/bench.json", report);

  // Markdown.
  const std::string md_path = dir + "/bench.md";
  {
    std::ofstream md(md_path);
    if (!md) {
      fmt::print(stderr, "error: cannot write {}\n", md_path);
      return 2;
    }
    md << fmt::format("# rsnpu benchmark: {} on {}\n\n", nr.network, o.config);
    md << fmt::format(
        "{} PEs at {} MHz, batch {}, {}, DRAM link {} MB/s and {} ns latency; "
        "every layer bit-exact: {}. Simulated {} cycles in {:.0f} s.\n\n",
        pes, hw->clock_mhz, o.batch, o.precision, o.dram_mbytes_per_s, o.dram_latency_ns,
        nr.bitexact ? "yes" : "NO", nr.cycles, nr.sim_seconds);
    auto md_row = [&md](const std::vector<std::string>& c) {
      for (const std::string& x : c) md << "| " << x << " ";
      md << "|\n";
    };
    md_row(heads);
    md << "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
    for (const BenchRow& r : rows) md_row(cells(r, ref_layer(r.name)));
    md_row(cells(total, ref ? &(*ref)["total"] : nullptr));
    md << "\nCycles by class, % of the layer's cycles (docs/accelerator.md, activity counters):"
          "\n\n| layer |";
    for (const auto& c : classes) md << " " << c.second << " |";
    md << "\n|---|---|---|---|---|---|---|---|\n";
    for (const BenchRow& r : rows) {
      md << "| " << r.name << " |";
      for (const auto& c : classes) md << fmt::format(" {:.1f} |", class_pct(r, c.first));
      md << "\n";
    }
    md << fmt::format("\n| metric | rsnpu | {} | ratio |\n|---|---|---|---|\n",
                      ref_name.empty() ? "-" : ref_name);
    for (const TotalLine& t : tl) {
      md << fmt::format("| {} | {} | {} | {} |\n", t.metric, t.ours, t.theirs, t.ratio);
    }
    if (!targets.empty()) {
      md << "\n## Targets (benchmark goals for this workload, not test assertions)\n\n"
            "| target | limit | rsnpu | met | gap |\n|---|---|---|---|---|\n";
      for (const TargetLine& t : targets) {
        md << fmt::format("| {} | {} | {} | {} | {} |\n", t.target, t.limit, t.ours,
                          t.met ? "yes" : "**no**", t.gap);
      }
    }
    for (std::size_t e = 0; e < erts.size(); ++e) {
      md << fmt::format(
          "\n## Energy by level: {} ({})\n\n{}; {}\n\n| level | energy | share |\n"
          "|---|---|---|\n",
          erts[e].name, erts[e].unit, erts[e].technology, erts[e].source);
      for (int l = 0; l < energy::kLevelCount; ++l) {
        const double v = total.energy[e].by_level[std::size_t(l)];
        md << fmt::format("| {} | {:.4g} | {:.1f}% |\n", energy::to_string(energy::Level(l)), v,
                          total.energy[e].total > 0 ? 100 * v / total.energy[e].total : 0.0);
      }
    }
    if (o.plots) md << "\n![utilization](bench_util.png)\n\n![energy](bench_energy.png)\n";
    md << "\nDefinitions: util = MACs / (cycles x PEs); ideal = MACs / PEs cycles; min DRAM = "
          "every weight, input and output moved once as 16-bit words; GLB and DRAM traffic and "
          "energy from the hardware's activity counters (docs/energy.md).\n";
  }
  fmt::print("Markdown report: {}\n", md_path);

  // Plots.
  if (o.plots) {
    const std::string dat = dir + "/bench_layers.dat";
    {
      std::ofstream f(dat);
      f << "# layer util_pct";
      for (const energy::Ert& e : erts) {
        for (int l = 0; l < energy::kLevelCount; ++l) {
          f << " " << e.name << "_" << energy::to_string(energy::Level(l));
        }
      }
      f << "\n";
      for (const BenchRow& r : rows) {
        f << r.name << " " << 100 * r.utilization;
        for (std::size_t e = 0; e < erts.size(); ++e) {
          for (int l = 0; l < energy::kLevelCount; ++l) {
            const double share =
                r.energy[e].total > 0
                    ? 100 * r.energy[e].by_level[std::size_t(l)] / r.energy[e].total
                    : 0.0;
            f << " " << share;
          }
        }
        f << "\n";
      }
    }
    const std::string gp = dir + "/bench.gp";
    {
      std::ofstream f(gp);
      f << "set terminal pngcairo size 1100,550 noenhanced\nset style data histograms\n"
           "set style fill solid 0.8 border -1\nset grid ytics\n"
           "set key below horizontal\nset xtics rotate by -30\n";
      f << fmt::format("set output '{}/bench_util.png'\n", dir);
      f << fmt::format("set title 'MAC utilization per layer ({} on {})'\n", nr.network, o.config);
      f << "set ylabel 'utilization %'\nset yrange [0:100]\n";
      f << fmt::format("plot '{}' using 2:xtic(1) title 'rsnpu'\n", dat);
      f << fmt::format("set output '{}/bench_energy.png'\n", dir);
      f << "set style histogram rowstacked\nset ylabel 'share of energy %'\nset yrange [0:100]\n";
      f << "set title 'Energy by level per layer (left: ";
      for (std::size_t e = 0; e < erts.size(); ++e) f << (e ? ", " : "") << erts[e].name;
      f << ")'\nset multiplot layout 1," << erts.size() << "\n";
      for (std::size_t e = 0; e < erts.size(); ++e) {
        f << fmt::format("set title '{}'\nplot ", erts[e].name);
        for (int l = 0; l < energy::kLevelCount; ++l) {
          const int col = 3 + int(e) * energy::kLevelCount + l;
          f << (l ? ", " : "")
            << fmt::format("'{}' using {}{} title '{}'", dat, col, l == 0 ? ":xtic(1)" : "",
                           energy::to_string(energy::Level(l)));
        }
        f << "\n";
      }
      f << "unset multiplot\n";
    }
    const std::string log = dir + "/bench_gnuplot.log";
    if (run_gnuplot(gp, log) != 0) {
      fmt::print(stderr, "error: gnuplot failed on {} (log: {})\n", gp, log);
      return 2;
    }
    fmt::print("plots: {}/bench_util.png, {}/bench_energy.png\n", dir, dir);
  }
  fmt::print("{}\n", nr.bitexact ? "PASSED: every layer bit-exact with the golden model"
                                 : "FAILED: a layer's output differs from the golden model");
  return nr.bitexact ? 0 : 1;
}

}  // namespace rsnpu::tb
