// The PE array and its networks: whole convolutions mapped row-stationary onto the array in
// one pass, every psum of every column bit-exact against golden::conv2d_acc.
//
// Environment: RSNPU_ARRAY_LAYERS=N overrides the layers per chunk, RSNPU_SEED=S the first
// seed, RSNPU_WAVES=dir writes an FST per layer.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>

#include "array_regress.h"
#include "rsnpu/rtl_models.h"
#include "rsnpu/sim/simulation.h"

namespace {

using namespace rsnpu;

uint64_t env_u64(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : fallback;
}

template <typename Traits>
void random_layers(int chunk, uint64_t count) {
  const uint64_t first = env_u64("RSNPU_SEED", 1) + uint64_t(chunk) * 100000;
  const std::string wave_dir = sim::wave_dir_from_env();
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t seed = first + i;
    const tb::ConvLayer l = tb::random_single_pass_layer(Traits::kCfg, seed);
    const tb::ArrayKnobs k = tb::random_array_knobs(seed);
    const tb::LayerOutcome r = tb::run_array_layer(Traits::kCfg.name, l, seed, k, wave_dir);
    EXPECT_TRUE(r.pass()) << "seed " << seed << " layer " << r.layer << " [" << r.mapping << "] "
                          << k.str() << ": " << r.diff << "\n  rerun with waves: build/rsnpu "
                          << "array-regress --config " << Traits::kCfg.name << " --seed " << seed
                          << " --count 1 --waves build/waves"
                          << (sim::kCanTrace<typename Traits::Model> ? ""
                                                                     : " (after `make waves`)");
    EXPECT_GT(r.mac_slots, 0u);
  }
}

TEST(ArrayRandom, tiny_0) {
  random_layers<model::Array_tiny>(0, env_u64("RSNPU_ARRAY_LAYERS", 60));
}
TEST(ArrayRandom, tiny_1) {
  random_layers<model::Array_tiny>(1, env_u64("RSNPU_ARRAY_LAYERS", 60));
}
TEST(ArrayRandom, eyeriss_0) {
  random_layers<model::Array_eyeriss>(0, env_u64("RSNPU_ARRAY_LAYERS", 6));
}

// A 3x3 layer that uses every PE row of eyeriss with stacked channel groups and folds.
TEST(ArrayDirected, EyerissStackedChannelGroupsAndFolds) {
  tb::ConvLayer l;
  l.c = 8;
  l.h = 30;
  l.w = 20;
  l.m = 4;
  l.r = 3;
  l.s = 3;
  l.pad = 1;
  l.bias = true;
  const tb::ArrayPass a = tb::map_single_pass(model::Array_eyeriss::kCfg, l);
  EXPECT_EQ(a.rows_used, 6);  // two channel groups of q = 4 (ifmap spad 12 / S 3)
  EXPECT_EQ(a.folds, 3);      // 30 ofmap rows over 14 columns
  const tb::LayerOutcome r = tb::run_array_layer("eyeriss", l, 7, tb::ArrayKnobs{});
  EXPECT_EQ(r.diff, "");
  // Reported, not asserted: utilization and simulation speed of this layer.
  const auto& hw = model::Array_eyeriss::kCfg;
  std::cout << fmt::format(
      "[ info ] {} [{}]: {} cycles, {} MAC slots, {:.1f}% of {} PEs, {:.0f} cycles/s simulated\n",
      r.layer, r.mapping, r.cycles, r.mac_slots,
      100.0 * double(r.mac_slots) / (double(r.cycles) * hw.pe_rows * hw.pe_cols),
      hw.pe_rows * hw.pe_cols, double(r.cycles) / r.wall_seconds);
}

TEST(ArrayMapper, RejectsLayersThatDoNotFitOnePass) {
  const auto& hw = model::Array_tiny::kCfg;
  auto msg = [&](tb::ConvLayer l) {
    try {
      tb::map_single_pass(hw, l);
    } catch (const tb::MapError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  tb::ConvLayer l;
  l.c = 1;
  l.h = 8;
  l.w = 8;
  l.m = 2;
  l.r = 3;
  l.s = 3;
  EXPECT_EQ(msg(l), "accepted");
  tb::ConvLayer big_r = l;
  big_r.r = 4;
  big_r.h = 10;
  EXPECT_NE(msg(big_r).find("PE rows"), std::string::npos) << msg(big_r);
  tb::ConvLayer many_m = l;
  many_m.m = hw.psum_spad_words + 1;
  EXPECT_NE(msg(many_m).find("psum spad"), std::string::npos) << msg(many_m);
  tb::ConvLayer many_c = l;
  many_c.c = 100;
  EXPECT_NE(msg(many_c).find("channels"), std::string::npos) << msg(many_c);
  tb::ConvLayer wide_s = l;
  wide_s.s = hw.ifmap_spad_words + 1;
  wide_s.w = 20;
  EXPECT_NE(msg(wide_s).find("ifmap spad"), std::string::npos) << msg(wide_s);
  tb::ConvLayer tiny_in = l;
  tiny_in.h = 2;
  EXPECT_NE(msg(tiny_in).find("larger than the padded input"), std::string::npos);
}

TEST(ArrayControl, StartWithNoPeEnabledIsRefused) {
  tb::ArrayHarness<model::Array_tiny> h(sim::SimOptions{});
  tb::ConvLayer l;
  const tb::ArrayPass a = tb::map_single_pass(model::Array_tiny::kCfg, l);
  tb::ArrayStimulus empty;
  empty.psum_in.assign(std::size_t(model::Array_tiny::kCfg.pe_cols), {});
  empty.expect_out = empty.psum_in;
  const tb::ArrayRunResult got = h.run(l, a, empty, tb::ArrayKnobs{});
  EXPECT_TRUE(got.done);
  EXPECT_EQ(got.err_code, int(hw::PeErr::kNoPe));
  EXPECT_EQ(got.failure, "");
}

}  // namespace
