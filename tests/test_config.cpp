// The configuration source of truth reaches the C++ side and the RTL identically.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>

#include "pe_harness.h"
#include "rsnpu/hw_configs.h"
#include "rsnpu/rtl_models.h"

namespace {

using rsnpu::cfg::HwConfig;

TEST(Config, NamesAreUniqueAndFindable) {
  std::set<std::string> names;
  for (const HwConfig* c : rsnpu::cfg::kAll) {
    EXPECT_TRUE(names.insert(c->name).second) << c->name;
    EXPECT_EQ(rsnpu::cfg::find(c->name), c);
  }
  EXPECT_EQ(rsnpu::cfg::find("no_such_config"), nullptr);
  EXPECT_NE(rsnpu::cfg::find("tiny"), nullptr);
  EXPECT_NE(rsnpu::cfg::find("eyeriss"), nullptr);
}

TEST(Config, SignaturesDiffer) {
  std::set<uint32_t> sigs;
  for (const HwConfig* c : rsnpu::cfg::kAll) EXPECT_TRUE(sigs.insert(c->signature).second);
}

// The eyeriss entry must carry the published Eyeriss v1 shape (../shared/REFERENCE.md).
TEST(Config, EyerissHasThePublishedShape) {
  const HwConfig& c = rsnpu::cfg::k_eyeriss;
  EXPECT_EQ(c.pe_rows, 12);
  EXPECT_EQ(c.pe_cols, 14);
  EXPECT_EQ(c.filter_spad_words, 224);
  EXPECT_EQ(c.ifmap_spad_words, 12);
  EXPECT_EQ(c.psum_spad_words, 24);
  EXPECT_EQ(c.word_bits, 16);
}

// Every Verilated model drives the signature of the configuration it is bound to.
TEST(Config, EveryModelMatchesItsConstants) {
  // One harness at a time: the constructor throws on a signature mismatch.
  int built = 0;
  auto check = [&built](auto traits) {
    rsnpu::tb::PeHarness<decltype(traits)> h(rsnpu::sim::SimOptions{});
    EXPECT_EQ(uint32_t(h.dut().cfg_sig_o), decltype(traits)::kCfg.signature);
    ++built;
  };
  std::apply([&](auto... traits) { (check(traits), ...); }, rsnpu::model::AllPeModels{});
  EXPECT_EQ(built, int(std::tuple_size_v<rsnpu::model::AllPeModels>));
}

// Two simulations alive at once, of different and of the same configuration, destroyed in
// either order (Verilator 5.006 deadlocked here before Simulation's destructor workaround).
TEST(Config, SimulationsCoexist) {
  {
    rsnpu::tb::PeHarness<rsnpu::model::Pe_tiny> a(rsnpu::sim::SimOptions{});
    rsnpu::tb::PeHarness<rsnpu::model::Pe_eyeriss> b(rsnpu::sim::SimOptions{});
    EXPECT_NE(uint32_t(a.dut().cfg_sig_o), uint32_t(b.dut().cfg_sig_o));
  }
  auto a = std::make_unique<rsnpu::tb::PeHarness<rsnpu::model::Pe_tiny>>(rsnpu::sim::SimOptions{});
  auto b = std::make_unique<rsnpu::tb::PeHarness<rsnpu::model::Pe_tiny>>(rsnpu::sim::SimOptions{});
  a.reset();  // the older one first
  b.reset();
  SUCCEED();
}

// A model driven with another configuration's constants is refused at setup.
struct TinyModelEyerissConstants {
  using Model = rsnpu::model::Pe_tiny::Model;
  static constexpr const HwConfig& kCfg = rsnpu::cfg::k_eyeriss;
};

TEST(Config, MismatchedModelIsRefused) {
  EXPECT_THROW(rsnpu::tb::PeHarness<TinyModelEyerissConstants>(rsnpu::sim::SimOptions{}),
               std::runtime_error);
}

}  // namespace
