// The whole accelerator (rsnpu_top) DRAM to DRAM against the golden model: seeded random
// layers under random DRAM timing, a few layers on the eyeriss configuration, a network, and
// every class of illegal descriptor (error code, interrupt, DRAM untouched).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "accel_run.h"
#include "layer_map.h"
#include "network.h"
#include "rsnpu/hw_configs.h"
#include "rsnpu/hw_enums.h"
#include "rsnpu/rtl_models.h"
#include "rsnpu/sim/simulation.h"

namespace {

using namespace rsnpu;
using namespace rsnpu::tb;

constexpr int kLayersPerShard = 25;  // 8 shards x 25 = 200 random layers on tiny

std::string replay(const std::string& config, uint64_t seed) {
  bool can_trace = true;
  model::visit_top_model(
      config, [&](auto t) { can_trace = sim::kCanTrace<typename decltype(t)::Model>; });
  return fmt::format(
      "build/rsnpu layer-regress --config {} --seed {} --count 1 --waves build/waves{}", config,
      seed, can_trace ? "" : " (after `make waves`)");
}

void run_random(const std::string& config, uint64_t seed) {
  const cfg::HwConfig& hw = *cfg::find(config);
  std::mt19937_64 rng(seed);
  RunOptions ro;
  ro.config = config;
  ro.seed = seed;
  ro.dram = DramKnobs::random(rng);
  const LayerDesc d = random_layer(hw, seed);
  const LayerReport r = run_layer_rtl(d, ro);
  EXPECT_TRUE(r.bitexact) << "seed " << seed << ": " << r.failure << "\n  layer: " << d.str()
                          << "\n  mapping: " << r.map.str() << "\n  " << ro.dram.str()
                          << "\n  replay: " << replay(config, seed);
  EXPECT_EQ(r.err_code, 0);
  EXPECT_GT(r.pe_macs, 0u);
}

class RandomLayersTiny : public ::testing::TestWithParam<int> {};

TEST_P(RandomLayersTiny, BitExact) {
  for (int i = 0; i < kLayersPerShard; ++i) {
    run_random("tiny", uint64_t(GetParam()) * kLayersPerShard + uint64_t(i) + 1);
  }
}
INSTANTIATE_TEST_SUITE_P(Shard, RandomLayersTiny, ::testing::Range(0, 8));

TEST(Accel, RandomLayersEyeriss) {
  for (uint64_t seed = 1001; seed <= 1003; ++seed) run_random("eyeriss", seed);
}

// A multi-tile layer on eyeriss: several filter tiles, channel tiles and strips.
TEST(Accel, EyerissMultiPassLayer) {
  LayerDesc d;
  d.cg = 20, d.h = 18, d.w = 18, d.mg = 30, d.r = 3, d.s = 3, d.pad = 1, d.bias = true;
  d.relu = true, d.shift = 8, d.pool_k = 2, d.pool_s = 2;
  RunOptions ro;
  ro.config = "eyeriss";
  const LayerReport r = run_layer_rtl(d, ro);
  EXPECT_TRUE(r.bitexact) << r.failure << " mapping " << r.map.str();
  EXPECT_GT(r.map.passes(d), 1);
}

TEST(Accel, TinyCnnOnTiny) {
  const net::Network n =
      net::parse_network_file(std::string(RSNPU_SOURCE_DIR) + "/networks/tiny_cnn.json");
  RunOptions ro;
  ro.config = "tiny";
  ro.seed = 3;
  const NetworkReport nr = run_network_rtl(n, 1, ro);
  ASSERT_EQ(nr.layers.size(), 3u);
  for (const LayerReport& r : nr.layers) EXPECT_TRUE(r.bitexact) << r.name << ": " << r.failure;
}

// Layers split over parallel simulations give the serial run's cycles, DRAM traffic and
// output: zoo_blocks has branches, a concatenation and residual adds, so some layers read
// tensors (or concatenation slices) that the other simulation produced.
TEST(Accel, ParallelRunMatchesSerial) {
  const net::Network n =
      net::parse_network_file(std::string(RSNPU_SOURCE_DIR) + "/networks/zoo_blocks.json");
  RunOptions ro;
  ro.config = "eyeriss";
  ro.fast = true;
  const NetworkReport serial = run_network_rtl(n, 1, ro);
  ro.jobs = 2;
  const NetworkReport parallel = run_network_rtl(n, 1, ro);
  ASSERT_TRUE(serial.bitexact);
  ASSERT_TRUE(parallel.bitexact);
  ASSERT_EQ(parallel.layers.size(), serial.layers.size());
  int on_second = 0, reads_other = 0;
  for (std::size_t i = 0; i < serial.layers.size(); ++i) {
    const LayerReport& a = serial.layers[i];
    const LayerReport& b = parallel.layers[i];
    EXPECT_EQ(a.sim, 0);
    EXPECT_EQ(b.name, a.name);
    EXPECT_EQ(b.cycles, a.cycles) << a.name;
    EXPECT_EQ(b.dram_read_bytes, a.dram_read_bytes) << a.name;
    EXPECT_EQ(b.dram_write_bytes, a.dram_write_bytes) << a.name;
    EXPECT_EQ(b.counters, a.counters) << a.name;
    on_second += b.sim == 1;
    if (i > 0 && b.sim != parallel.layers[i - 1].sim) ++reads_other;
  }
  EXPECT_GT(on_second, 0);
  EXPECT_LT(on_second, int(serial.layers.size()));
  EXPECT_GT(reads_other, 0);
  EXPECT_EQ(parallel.cycles, serial.cycles);
  EXPECT_EQ(parallel.output.data, serial.output.data);
  // The run followed the plan that rsnpu run --plan prints.
  const NetworkPlan plan = plan_network(n, 1, ro);
  std::size_t k = 0;
  for (std::size_t w = 0; w < plan.work.size(); ++w) {
    for (std::size_t i : plan.work[w]) {
      ASSERT_LT(i, parallel.layers.size());
      EXPECT_EQ(parallel.layers[i].sim, int(w)) << parallel.layers[i].name;
      EXPECT_EQ(parallel.layers[i].map.str(), plan.maps[i].str());
      ++k;
    }
  }
  EXPECT_EQ(k, parallel.layers.size());
}

// The plan of a run (nothing simulated): every hardware layer from the first one simulated
// lies in exactly one simulation, in network order; the estimates are the mapper's; the
// longest-first split leaves no simulation more than one layer above an even share.
TEST(Accel, PlanSplitsEveryLayerOnce) {
  const net::Network n =
      net::parse_network_file(std::string(RSNPU_SOURCE_DIR) + "/networks/vgg16.json");
  const cfg::HwConfig& hw = *cfg::find("eyeriss");
  RunOptions ro;
  ro.config = "eyeriss";
  for (const int jobs : {1, 2, 3}) {
    for (const std::string first : {"", "conv4_2"}) {
      SCOPED_TRACE(fmt::format("jobs {} first '{}'", jobs, first));
      ro.jobs = jobs;
      ro.first_layer = first;
      const NetworkPlan plan = plan_network(n, 4, ro);
      ASSERT_EQ(plan.lowered.size(), 16u);  // 13 convs (5 with their pool fused), 3 fc
      ASSERT_EQ(plan.maps.size(), plan.lowered.size());
      ASSERT_EQ(plan.est_cycles.size(), plan.lowered.size());
      if (first.empty()) {
        EXPECT_EQ(plan.start, 0u);
      } else {
        ASSERT_GT(plan.start, 0u);
        EXPECT_EQ(plan.lowered[plan.start].name, first);
      }
      std::vector<int> seen(plan.lowered.size(), 0);
      int64_t total = 0, largest = 0;
      for (std::size_t i = 0; i < plan.lowered.size(); ++i) {
        const LoweredLayer& l = plan.lowered[i];
        EXPECT_EQ(l.desc.n, 4);
        EXPECT_EQ(plan.est_cycles[i], estimated_cycles(hw, l.desc, plan.maps[i])) << l.name;
        EXPECT_GT(plan.est_cycles[i], 0) << l.name;
        if (i >= plan.start) {
          total += plan.est_cycles[i];
          largest = std::max(largest, plan.est_cycles[i]);
        }
      }
      ASSERT_EQ(plan.work.size(), std::size_t(jobs));
      for (const std::vector<std::size_t>& w : plan.work) {
        ASSERT_FALSE(w.empty());
        EXPECT_TRUE(std::is_sorted(w.begin(), w.end()));
        for (std::size_t i : w) {
          ASSERT_LT(i, seen.size());
          ASSERT_GE(i, plan.start);
          ++seen[i];
        }
      }
      for (std::size_t i = 0; i < seen.size(); ++i) {
        EXPECT_EQ(seen[i], i < plan.start ? 0 : 1) << plan.lowered[i].name;
      }
      const std::vector<int64_t> load = plan.sim_est_cycles();
      int64_t sum = 0;
      for (const int64_t l : load) {
        sum += l;
        EXPECT_LE(l, total / jobs + largest);
      }
      EXPECT_EQ(sum, total);
    }
  }
}

// Each fc over an input of more than one row takes, of its two lowerings (whole input; one
// channel per input row), the one that maps with fewer estimated cycles, the whole input on a
// tie; the reference here maps both lowerings of every layer independently of plan_network.
TEST(Accel, PlanLowersEachFcTheCheaperWay) {
  int took_rows = 0, took_whole = 0;
  for (const auto& [file, config] : std::vector<std::pair<std::string, std::string>>{
           {"vgg16", "eyeriss"}, {"alexnet", "eyeriss"}, {"tiny_cnn", "tiny"},
           {"tiny_cnn", "eyeriss"}, {"fmnist_cnn", "tiny"}}) {
    SCOPED_TRACE(file + " on " + config);
    const net::Network n =
        net::parse_network_file(std::string(RSNPU_SOURCE_DIR) + "/networks/" + file + ".json");
    const cfg::HwConfig& hw = *cfg::find(config);
    RunOptions ro;
    ro.config = config;
    const NetworkPlan plan = plan_network(n, 2, ro);
    const std::vector<LoweredLayer> whole = lower_network(n, 2, FcLowering::kWholeInput);
    const std::vector<LoweredLayer> rows = lower_network(n, 2, FcLowering::kRowsAsChannels);
    ASSERT_EQ(plan.lowered.size(), whole.size());
    ASSERT_EQ(rows.size(), whole.size());
    auto estimate = [&hw](const LayerDesc& d) {
      try {
        return estimated_cycles(hw, d, map_layer(hw, d));
      } catch (const MapError&) {
        return std::numeric_limits<int64_t>::max();  // does not map
      }
    };
    for (std::size_t i = 0; i < whole.size(); ++i) {
      const LayerDesc& got = plan.lowered[i].desc;
      EXPECT_EQ(plan.est_cycles[i], estimated_cycles(hw, got, plan.maps[i]));
      if (whole[i].desc.h == rows[i].desc.h) {  // not an fc over several rows: one lowering
        EXPECT_EQ(got.cg, whole[i].desc.cg) << whole[i].name;
        EXPECT_EQ(got.h, whole[i].desc.h) << whole[i].name;
        continue;
      }
      const int64_t est_whole = estimate(whole[i].desc), est_rows = estimate(rows[i].desc);
      const bool want_rows = est_rows < est_whole;
      const LayerDesc& want = want_rows ? rows[i].desc : whole[i].desc;
      EXPECT_EQ(got.cg, want.cg) << whole[i].name;
      EXPECT_EQ(got.h, want.h) << whole[i].name;
      EXPECT_EQ(got.r, want.r) << whole[i].name;
      EXPECT_EQ(plan.est_cycles[i], std::min(est_whole, est_rows)) << whole[i].name;
      ++(want_rows ? took_rows : took_whole);
    }
  }
  // Both outcomes come up (VGG-16's fc6 on eyeriss takes rows, AlexNet's the whole input).
  EXPECT_GT(took_rows, 0);
  EXPECT_GT(took_whole, 0);
}

// The wall time left: each simulation's remaining estimated cycles at the pace of its
// finished layers, less the time it has already spent in the layer it is running (or at the
// mean pace of the others before it has finished a layer); the slowest simulation decides.
TEST(Accel, RemainingSecondsFromTheEstimates) {
  // Nothing finished: unknown.
  EXPECT_LT(remaining_seconds({100, 100}, {0, 0}, {0, 0}, 10.0), 0.0);
  // Simulation 0 finished 50 of 100 at 10 s (5 per s): 10 s more. Simulation 1 at that pace
  // needs 20 s from the start, 10 of which have passed.
  EXPECT_DOUBLE_EQ(remaining_seconds({100, 100}, {50, 0}, {10, 0}, 10.0), 10.0);
  // The same 4 s later: simulation 0 has spent 4 of its 10 s in its running layer.
  EXPECT_DOUBLE_EQ(remaining_seconds({100, 100}, {50, 0}, {10, 0}, 14.0), 6.0);
  // A long layer in flight: simulation 1 finished 20 at 10 s (2 per s) and has spent the 80 s
  // since on its remaining 180: 90 - 80 = 10 s left, not the 180 / (20 / 90 s) = 810 s that a
  // pace over the whole elapsed time gives. Simulation 0 finished its 100 at 50 s.
  EXPECT_DOUBLE_EQ(remaining_seconds({100, 200}, {100, 20}, {50, 10}, 90.0), 10.0);
  // All done.
  EXPECT_DOUBLE_EQ(remaining_seconds({100, 30}, {100, 30}, {8, 10}, 10.0), 0.0);
  // A layer running over its estimate: nothing left, not a negative time.
  EXPECT_DOUBLE_EQ(remaining_seconds({100, 100}, {100, 50}, {10, 5}, 60.0), 0.0);
  EXPECT_THROW(remaining_seconds({100, 100}, {100}, {10, 5}, 60.0), std::invalid_argument);
}

// The check phase of the layer controller: at most 55 steps of the sequential multiplier,
// each at most 16 + 2 cycles (docs/accelerator.md), plus start, verdict and done.
constexpr uint64_t kCheckCyclesMax = 55 * 18 + 16;

// Illegal descriptors: each check of docs/accelerator.md gets its code, the interrupt fires,
// and DRAM is not touched.
class IllegalDescriptor : public ::testing::Test {
 protected:
  void SetUp() override {
    d_.cg = 4, d_.h = 8, d_.w = 8, d_.mg = 5, d_.r = 3, d_.s = 3, d_.pad = 1;
    m_ = map_layer(hw_, d_);
    a_ = place_layer(d_, m_).addrs;
    ASSERT_EQ(check_layer_map(hw_, d_, m_, a_), hw::CtrlErr::kNone);
  }
  void expect_refused(hw::CtrlErr code) {
    ASSERT_EQ(check_layer_map(hw_, d_, m_, a_), code) << "the C++ mirror disagrees";
    RunOptions ro;
    ro.config = "tiny";
    const RawRun r = run_descriptor_rtl(d_, m_, a_, ro);
    EXPECT_TRUE(r.report.failure.empty()) << r.report.failure;
    EXPECT_EQ(r.report.err_code, int(code)) << hw::to_string(code);
    EXPECT_FALSE(r.dram_written);
    EXPECT_FALSE(r.outside_window);
    EXPECT_EQ(r.report.dram_read_bytes, 0u) << "a refused layer must not read DRAM either";
    EXPECT_LT(r.report.cycles, kCheckCyclesMax) << "refused in the check phase";
  }
  const cfg::HwConfig& hw_ = cfg::k_tiny;
  LayerDesc d_;
  LayerMap m_;
  DramAddrs a_;
};

TEST_F(IllegalDescriptor, ZeroField) {
  m_.folds = 0;
  expect_refused(hw::CtrlErr::kZeroField);
}
TEST_F(IllegalDescriptor, Shape) {
  m_.e += 1;
  expect_refused(hw::CtrlErr::kShape);
}
TEST_F(IllegalDescriptor, PadNotBelowKernel) {
  d_.pad = 3;
  m_.e = d_.conv_e();
  m_.f = m_.wo = d_.conv_f();
  m_.ho = m_.e;
  expect_refused(hw::CtrlErr::kShape);
}
TEST_F(IllegalDescriptor, Array) {
  m_.cols = hw_.pe_cols + 1;
  expect_refused(hw::CtrlErr::kArray);
}
TEST_F(IllegalDescriptor, Tiling) {
  m_.n_mt += 1;
  expect_refused(hw::CtrlErr::kTiling);
}
TEST_F(IllegalDescriptor, Glb) {
  d_.w = 300;  // one row of 300 words x in_rows x ctile exceeds the 1024-word ifmap buffer
  m_.f = m_.wo = d_.conv_f();
  a_ = place_layer(d_, m_).addrs;
  expect_refused(hw::CtrlErr::kGlb);
}
TEST_F(IllegalDescriptor, OutputOutsideWindow) {
  a_.wr_hi -= 8;
  expect_refused(hw::CtrlErr::kWindow);
}
TEST_F(IllegalDescriptor, Misaligned) {
  a_.ifmap += 2;
  expect_refused(hw::CtrlErr::kWindow);
}

// Random descriptors against the C++ mirror of the checks: random legal layers with one or two
// fields changed (to 0, by one, to a random value up to twice the field, folds multiplied,
// windows cut or moved), run on the tiny RTL. Every descriptor the mirror refuses must be
// refused by the hardware with the same code, before any DRAM access; each of the six classes
// must come up.
TEST(Accel, RandomIllegalDescriptorsMatchTheMirror) {
  const cfg::HwConfig& hw = cfg::k_tiny;
  const uint64_t base_seed = 7000;
  const int trials = 400;
  std::map<hw::CtrlErr, int> seen;
  for (int t = 0; t < trials; ++t) {
    const uint64_t seed = base_seed + uint64_t(t);
    std::mt19937_64 rng(seed);
    auto uni = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    LayerDesc d = random_layer(hw, seed);
    LayerMap m = map_layer(hw, d);
    DramAddrs a = place_layer(d, m).addrs;
    int* fields[] = {&d.cg,  &d.h,    &d.w,     &d.mg,     &d.r,          &d.s,    &d.n,
                     &d.stride, &d.pad, &d.groups, &d.pool_k, &d.out_channels, &m.e,
                     &m.f,   &m.ho,   &m.wo,    &m.p,      &m.q,          &m.sets, &m.cols,
                     &m.folds, &m.strip_rows, &m.n_mt, &m.n_ct, &m.n_strips};
    const int changes = uni(1, 2);
    for (int c = 0; c < changes; ++c) {
      const int k = uni(0, int(std::size(fields)) + 2);
      if (k == int(std::size(fields)) + 2) {
        m.folds *= uni(4, 16);  // passes that read more input rows than the ifmap buffer holds
      } else if (k == int(std::size(fields))) {
        a.wr_hi -= 8u * uint32_t(uni(1, 4));  // output window too small
      } else if (k == int(std::size(fields)) + 1) {
        a.weight += 8u * uint32_t(uni(1, 64));  // weights past the read window or misaligned
        if (uni(0, 1) == 1) a.weight += 2;
      } else {
        int& v = *fields[k];
        switch (uni(0, 3)) {
          case 0: v = 0; break;
          case 1: v += 1; break;
          case 2: v = std::max(0, v - 1); break;
          default: v = uni(0, 2 * v + 2); break;
        }
      }
    }
    const hw::CtrlErr want = check_layer_map(hw, d, m, a);
    if (want == hw::CtrlErr::kNone) continue;  // still legal: the random layers run elsewhere
    ++seen[want];
    RunOptions ro;
    ro.config = "tiny";
    ro.seed = seed;
    const RawRun r = run_descriptor_rtl(d, m, a, ro);
    const std::string what = fmt::format("seed {}: {} | {}", seed, d.str(), m.str());
    ASSERT_EQ(r.report.err_code, int(want))
        << what << ": hardware " << r.report.err_code << ", mirror " << hw::to_string(want);
    EXPECT_FALSE(r.dram_written) << what;
    EXPECT_EQ(r.report.dram_read_bytes, 0u) << what;
    EXPECT_LT(r.report.cycles, kCheckCyclesMax) << what;
  }
  for (hw::CtrlErr e : {hw::CtrlErr::kZeroField, hw::CtrlErr::kShape, hw::CtrlErr::kArray,
                        hw::CtrlErr::kTiling, hw::CtrlErr::kGlb, hw::CtrlErr::kWindow}) {
    EXPECT_GT(seen[e], 0) << hw::to_string(e) << " never came up in " << trials << " trials";
  }
}

TEST(Accel, MapperRejectsWithAClearMessage) {
  LayerDesc d;
  d.cg = 2, d.h = 8, d.w = 8, d.mg = 2, d.r = 5, d.s = 5;
  try {
    map_layer(cfg::k_tiny, d);
    FAIL() << "R=5 on 3 PE rows must not map";
  } catch (const MapError& e) {
    EXPECT_NE(std::string(e.what()).find("PE rows"), std::string::npos) << e.what();
  }
}

// A network that cannot map is refused before any simulation, naming the network, the
// configuration and the lowered layer (a 13-row filter on eyeriss's 12 PE rows).
TEST(Accel, UnmappableNetworkNamesItsLayer) {
  const auto net = rsnpu::net::parse_network_string(
      R"({"format": "rsnpu-net", "version": 1, "name": "tall", "precision": "int16",
          "input": {"c": 1, "h": 32, "w": 32, "frac": 8},
          "layers": [{"name": "ok", "type": "conv", "m": 4, "kernel": 3, "frac_w": 8,
                      "frac_out": 8},
                     {"name": "tall13", "type": "conv", "m": 4, "r": 13, "s": 3, "frac_w": 8,
                      "frac_out": 8}]})",
      "tall.json");
  RunOptions o;
  o.config = "eyeriss";
  try {
    run_network_rtl(net, 1, o);
    FAIL() << "a 13-row filter must not map on eyeriss";
  } catch (const MapError& e) {
    const std::string msg = e.what();
    for (const char* part : {"tall on eyeriss", "\"tall13\"", "R=13", "12 PE rows"}) {
      EXPECT_NE(msg.find(part), std::string::npos) << msg;
    }
  }
}

}  // namespace
