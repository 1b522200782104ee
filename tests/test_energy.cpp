// Energy model: the shipped energy tables load, evaluation is counts x energy per action,
// summed per level, and malformed tables are refused with the file and the reason.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "energy_model.h"

namespace {

using rsnpu::energy::Action;
using rsnpu::energy::Level;
namespace energy = rsnpu::energy;
namespace hw = rsnpu::hw;

const std::string kErtDir = std::string(RSNPU_SOURCE_DIR) + "/config/ert/";

nlohmann::json read(const std::string& path) {
  std::ifstream f(path);
  return nlohmann::json::parse(f);
}

std::string write_tmp(const nlohmann::json& j, const std::string& name) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << j.dump(2);
  return path;
}

// The message of the exception load_ert throws, or "" when it loads.
std::string load_error(const nlohmann::json& j, const std::string& name) {
  try {
    energy::load_ert(write_tmp(j, name));
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(Energy, ShippedTablesLoad) {
  for (const char* f : {"eyeriss_normalized.json", "osu018_eyeriss.json", "osu018_tiny.json"}) {
    const energy::Ert e = energy::load_ert(kErtDir + f);
    EXPECT_FALSE(e.source.empty()) << f;
    EXPECT_FALSE(e.technology.empty()) << f;
  }
  const energy::Ert n = energy::load_ert(kErtDir + "eyeriss_normalized.json");
  EXPECT_EQ(n.unit, "MAC");
  // ISCA 2016 Table IV, per 16-bit word: MAC 1, RF 1, NoC 2, GLB 6, DRAM 200.
  EXPECT_EQ(n.energy[std::size_t(Action::kMac)], 1.0);
  EXPECT_EQ(n.energy[std::size_t(Action::kSpadIfmapRead)], 1.0);
  EXPECT_EQ(n.energy[std::size_t(Action::kNocDelivery)], 2.0);
  EXPECT_EQ(n.energy[std::size_t(Action::kGlbIfmapRead)], 4 * 6.0);    // 64-bit line
  EXPECT_EQ(n.energy[std::size_t(Action::kGlbPsumWrite)], 2 * 6.0);    // 32-bit psum
  EXPECT_EQ(n.energy[std::size_t(Action::kDramReadByte)], 200.0 / 2);  // per byte
  const energy::Ert o = energy::load_ert(kErtDir + "osu018_eyeriss.json");
  EXPECT_EQ(o.unit, "pJ");
  EXPECT_GT(o.scale_to_65nm, 0.0);
  EXPECT_GT(o.energy[std::size_t(Action::kCycleSpad)], 0.0);
}

TEST(Energy, CountsFromCounters) {
  std::array<uint64_t, hw::kPerfCtrCount> c{};
  auto set = [&c](hw::PerfCtr k, uint64_t v) { c[std::size_t(k)] = v; };
  set(hw::PerfCtr::kCycles, 1000);
  set(hw::PerfCtr::kMacExec, 700);
  set(hw::PerfCtr::kMacSkip, 300);
  set(hw::PerfCtr::kNocFltDeliv, 50);
  set(hw::PerfCtr::kNocIfmDeliv, 70);
  set(hw::PerfCtr::kNocPsumIn, 1);
  set(hw::PerfCtr::kNocPsumOut, 2);
  set(hw::PerfCtr::kNocPsumHop, 4);
  set(hw::PerfCtr::kDramRdBytes, 800);
  const energy::ActionCounts a = energy::action_counts(c);
  EXPECT_EQ(a[std::size_t(Action::kMac)], 700);
  EXPECT_EQ(a[std::size_t(Action::kMacGated)], 300);
  EXPECT_EQ(a[std::size_t(Action::kNocDelivery)], 120);
  EXPECT_EQ(a[std::size_t(Action::kNocPsum)], 7);
  EXPECT_EQ(a[std::size_t(Action::kDramReadByte)], 800);
  EXPECT_EQ(a[std::size_t(Action::kCycleControl)], 1000);
}

TEST(Energy, EvaluateIsCountsTimesEnergyPerLevel) {
  const energy::Ert n = energy::load_ert(kErtDir + "eyeriss_normalized.json");
  energy::ActionCounts a{};
  a[std::size_t(Action::kMac)] = 10;
  a[std::size_t(Action::kSpadFilterRead)] = 10;
  a[std::size_t(Action::kNocDelivery)] = 3;
  a[std::size_t(Action::kGlbIfmapRead)] = 2;
  a[std::size_t(Action::kDramWriteByte)] = 4;
  const energy::Energy e = energy::evaluate(n, a);
  EXPECT_EQ(e.of(Level::kMac), 10);
  EXPECT_EQ(e.of(Level::kSpad), 10);
  EXPECT_EQ(e.of(Level::kNoc), 6);
  EXPECT_EQ(e.of(Level::kGlb), 48);
  EXPECT_EQ(e.of(Level::kDram), 400);
  EXPECT_EQ(e.of(Level::kControl), 0);
  EXPECT_EQ(e.total, 10 + 10 + 6 + 48 + 400);
}

TEST(Energy, MalformedTablesAreRefused) {
  const nlohmann::json good = read(kErtDir + "eyeriss_normalized.json");
  EXPECT_EQ(load_error(good, "good.json"), "");

  nlohmann::json j = good;
  j["actions"].erase("noc_psum");
  EXPECT_NE(load_error(j, "missing.json").find("action \"noc_psum\" is missing"),
            std::string::npos);
  j = good;
  j["actions"]["warp_drive"] = {{"energy", 1}};
  EXPECT_NE(load_error(j, "unknown.json").find("unknown action \"warp_drive\""), std::string::npos);
  j = good;
  j["actions"]["mac"]["energy"] = -1;
  EXPECT_NE(load_error(j, "negative.json").find("must be finite and >= 0"), std::string::npos);
  j = good;
  j["actions"]["mac"]["energy"] = "one";
  EXPECT_NE(load_error(j, "text.json").find("must be a number"), std::string::npos);
  j = good;
  j["unit"] = "joules";
  EXPECT_NE(load_error(j, "unit.json").find("unit"), std::string::npos);
  j = good;
  j.erase("source");
  EXPECT_NE(load_error(j, "nosource.json").find("\"source\""), std::string::npos);

  const std::string bad = ::testing::TempDir() + "broken.json";
  std::ofstream(bad) << "{ \"name\": ";
  try {
    energy::load_ert(bad);
    ADD_FAILURE() << "a truncated file loaded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
  }
  EXPECT_THROW(energy::load_ert(::testing::TempDir() + "no_such_file.json"), std::runtime_error);
}

}  // namespace
