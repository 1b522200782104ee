#include "energy_model.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

namespace rsnpu::energy {

namespace {

struct ActionDef {
  Action action;
  const char* name;
  Level level;
};

// One row per action, in enum order.
constexpr std::array<ActionDef, kActionCount> kActions = {{
    {Action::kMac, "mac", Level::kMac},
    {Action::kMacGated, "mac_gated", Level::kMac},
    {Action::kSpadFilterRead, "spad_filter_read", Level::kSpad},
    {Action::kSpadFilterWrite, "spad_filter_write", Level::kSpad},
    {Action::kSpadIfmapRead, "spad_ifmap_read", Level::kSpad},
    {Action::kSpadIfmapWrite, "spad_ifmap_write", Level::kSpad},
    {Action::kSpadPsumRead, "spad_psum_read", Level::kSpad},
    {Action::kSpadPsumWrite, "spad_psum_write", Level::kSpad},
    {Action::kNocDelivery, "noc_delivery", Level::kNoc},
    {Action::kNocPsum, "noc_psum", Level::kNoc},
    {Action::kGlbFilterRead, "glb_filter_read", Level::kGlb},
    {Action::kGlbFilterWrite, "glb_filter_write", Level::kGlb},
    {Action::kGlbIfmapRead, "glb_ifmap_read", Level::kGlb},
    {Action::kGlbIfmapWrite, "glb_ifmap_write", Level::kGlb},
    {Action::kGlbPsumRead, "glb_psum_read", Level::kGlb},
    {Action::kGlbPsumWrite, "glb_psum_write", Level::kGlb},
    {Action::kDramReadByte, "dram_read_byte", Level::kDram},
    {Action::kDramWriteByte, "dram_write_byte", Level::kDram},
    {Action::kCycleMac, "cycle_mac", Level::kMac},
    {Action::kCycleSpad, "cycle_spad", Level::kSpad},
    {Action::kCycleNoc, "cycle_noc", Level::kNoc},
    {Action::kCycleGlb, "cycle_glb", Level::kGlb},
    {Action::kCycleControl, "cycle_control", Level::kControl},
}};

constexpr bool actions_in_order() {
  for (int i = 0; i < kActionCount; ++i) {
    if (int(kActions[std::size_t(i)].action) != i) return false;
  }
  return true;
}
static_assert(actions_in_order(), "kActions must list the actions in enum order");

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(fmt::format("energy table {}: {}", path, what));
}

std::string text_field(const nlohmann::json& j, const char* key, const std::string& path) {
  if (!j.contains(key) || !j[key].is_string() || j[key].get<std::string>().empty()) {
    fail(path, fmt::format("field \"{}\" (a non-empty string) is missing", key));
  }
  return j[key].get<std::string>();
}

}  // namespace

const char* to_string(Level l) {
  switch (l) {
    case Level::kDram:
      return "DRAM";
    case Level::kGlb:
      return "GLB";
    case Level::kNoc:
      return "NoC";
    case Level::kSpad:
      return "spads";
    case Level::kMac:
      return "MAC";
    case Level::kControl:
      return "control";
  }
  return "?";
}

const char* name(Action a) { return kActions[std::size_t(a)].name; }
Level level(Action a) { return kActions[std::size_t(a)].level; }

ActionCounts action_counts(const std::array<uint64_t, hw::kPerfCtrCount>& counters) {
  auto c = [&counters](hw::PerfCtr k) { return double(counters[std::size_t(k)]); };
  using hw::PerfCtr;
  ActionCounts a{};
  auto set = [&a](Action act, double v) { a[std::size_t(act)] = v; };
  set(Action::kMac, c(PerfCtr::kMacExec));
  set(Action::kMacGated, c(PerfCtr::kMacSkip));
  set(Action::kSpadFilterRead, c(PerfCtr::kFltSpadRd));
  set(Action::kSpadFilterWrite, c(PerfCtr::kFltSpadWr));
  set(Action::kSpadIfmapRead, c(PerfCtr::kIfmSpadRd));
  set(Action::kSpadIfmapWrite, c(PerfCtr::kIfmSpadWr));
  set(Action::kSpadPsumRead, c(PerfCtr::kPsumSpadRd));
  set(Action::kSpadPsumWrite, c(PerfCtr::kPsumSpadWr));
  set(Action::kNocDelivery, c(PerfCtr::kNocFltDeliv) + c(PerfCtr::kNocIfmDeliv));
  set(Action::kNocPsum, c(PerfCtr::kNocPsumIn) + c(PerfCtr::kNocPsumOut) + c(PerfCtr::kNocPsumHop));
  set(Action::kGlbFilterRead, c(PerfCtr::kGlbFltRd));
  set(Action::kGlbFilterWrite, c(PerfCtr::kGlbFltWr));
  set(Action::kGlbIfmapRead, c(PerfCtr::kGlbIfmRd));
  set(Action::kGlbIfmapWrite, c(PerfCtr::kGlbIfmWr));
  set(Action::kGlbPsumRead, c(PerfCtr::kGlbPsumRd));
  set(Action::kGlbPsumWrite, c(PerfCtr::kGlbPsumWr));
  set(Action::kDramReadByte, c(PerfCtr::kDramRdBytes));
  set(Action::kDramWriteByte, c(PerfCtr::kDramWrBytes));
  for (const Action act : {Action::kCycleMac, Action::kCycleSpad, Action::kCycleNoc,
                           Action::kCycleGlb, Action::kCycleControl}) {
    set(act, c(PerfCtr::kCycles));
  }
  return a;
}

Ert load_ert(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(path, "cannot open the file");
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    fail(path, fmt::format("not valid JSON: {}", e.what()));
  }
  if (!j.is_object()) fail(path, "the top level must be an object");
  Ert ert;
  ert.path = path;
  ert.name = text_field(j, "name", path);
  ert.unit = text_field(j, "unit", path);
  if (ert.unit != "pJ" && ert.unit != "MAC") {
    fail(path, fmt::format("unit \"{}\" must be \"pJ\" or \"MAC\"", ert.unit));
  }
  ert.technology = text_field(j, "technology", path);
  ert.source = text_field(j, "source", path);
  if (j.contains("scale_to_65nm")) {
    const nlohmann::json& sc = j["scale_to_65nm"];
    if (!sc.is_object() || !sc.contains("factor") || !sc["factor"].is_number() ||
        !(sc["factor"].get<double>() > 0.0)) {
      fail(path, "\"scale_to_65nm\" needs a positive \"factor\"");
    }
    ert.scale_to_65nm = sc["factor"].get<double>();
    ert.scale_method = text_field(sc, "method", path);
  }
  if (!j.contains("actions") || !j["actions"].is_object()) {
    fail(path, "\"actions\" (an object: action name -> {energy, note}) is missing");
  }
  const nlohmann::json& acts = j["actions"];
  std::set<std::string> known;
  for (const ActionDef& d : kActions) {
    known.insert(d.name);
    if (!acts.contains(d.name)) fail(path, fmt::format("action \"{}\" is missing", d.name));
    const nlohmann::json& a = acts[d.name];
    if (!a.is_object() || !a.contains("energy") || !a["energy"].is_number()) {
      fail(path, fmt::format("action \"{}\": \"energy\" must be a number", d.name));
    }
    const double e = a["energy"].get<double>();
    if (!std::isfinite(e) || e < 0.0) {
      fail(path, fmt::format("action \"{}\": energy {} must be finite and >= 0", d.name, e));
    }
    ert.energy[std::size_t(d.action)] = e;
    if (a.contains("note") && a["note"].is_string()) {
      ert.note[std::size_t(d.action)] = a["note"].get<std::string>();
    }
  }
  for (auto it = acts.begin(); it != acts.end(); ++it) {
    if (known.count(it.key()) == 0) fail(path, fmt::format("unknown action \"{}\"", it.key()));
  }
  return ert;
}

Energy evaluate(const Ert& ert, const ActionCounts& counts) {
  Energy e;
  for (const ActionDef& d : kActions) {
    const double v = counts[std::size_t(d.action)] * ert.energy[std::size_t(d.action)];
    e.by_action[std::size_t(d.action)] = v;
    e.by_level[std::size_t(d.level)] += v;
    e.total += v;
  }
  return e;
}

}  // namespace rsnpu::energy
