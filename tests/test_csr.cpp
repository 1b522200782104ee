// The CSR block against the register map it was generated from (config/csr.json via
// rsnpu/csr_map.h): every register and access class over AXI4-Lite, byte strobes, SLVERR for
// addresses outside the map, w1c set/clear races, w1p pulses.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "rsnpu/csr_map.h"
#include "rsnpu/rtl_models.h"
#include "rsnpu/sim/axil_master.h"
#include "rsnpu/sim/simulation.h"
#include "rsnpu/sim/wide.h"

namespace {

using namespace rsnpu;
using Model = model::Csr_tiny::Model;
constexpr int kNumRegs = int(csr::kRegisters.size());

// Testbench: an AXI4-Lite master with random response back-pressure.
class CsrBench {
 public:
  explicit CsrBench(uint64_t seed) : sim_(sim::SimOptions{"csr", "", seed, 5000}), rng_(seed) {
    Model& d = sim_.dut();
    d.s_awvalid_i = 0;
    d.s_wvalid_i = 0;
    d.s_bready_i = 0;
    d.s_arvalid_i = 0;
    d.s_rready_i = 0;
    for (int r = 0; r < kNumRegs; ++r) {  // inputs start random (--x-initial unique)
      sim::wide_set(d.hw_ro_i, r * 32, 32, 0);
      sim::wide_set(d.hw_set_i, r * 32, 32, 0);
    }
    sim_.reset();
  }
  Model& dut() { return sim_.dut(); }

  // Returns the write response (-1: none).
  int write(uint32_t addr, uint32_t data, uint32_t strb = 0xf) {
    const auto resp = sim::axil_write(
        sim_.dut(), [this] { sim_.eval(); }, [this] { tick(); }, [this] { return coin(); }, addr,
        data, strb);
    if (!resp) ADD_FAILURE() << "no write response";
    return resp.value_or(-1);
  }

  // Returns (data, response); response -1: none.
  std::pair<uint32_t, int> read(uint32_t addr) {
    const auto r = sim::axil_read(
        sim_.dut(), [this] { sim_.eval(); }, [this] { tick(); }, [this] { return coin(); }, addr);
    if (!r) ADD_FAILURE() << "no read response";
    return r.value_or(std::make_pair(0u, -1));
  }

  void set_hw_ro(int reg, uint32_t v) { sim::wide_set(sim_.dut().hw_ro_i, reg * 32, 32, v); }
  // One-cycle hardware set pulse of w1c bits.
  void hw_set(int reg, uint32_t v) {
    sim::wide_set(sim_.dut().hw_set_i, reg * 32, 32, v);
    sim_.eval();
    tick();
    sim::wide_set(sim_.dut().hw_set_i, reg * 32, 32, 0);
  }
  uint32_t reg_out(int reg) {
    sim_.eval();
    return uint32_t(sim::wide_get(sim_.dut().reg_o, reg * 32, 32));
  }
  // Bits of register 'reg' that pulsed since the last call.
  uint32_t take_pulses(int reg) {
    const uint32_t p = pulses_[std::size_t(reg)];
    pulses_.assign(pulses_.size(), 0);
    return p;
  }

 private:
  bool coin() { return (rng_() & 3) != 0; }
  void tick() {
    sim_.tick();
    sim_.eval();
    // pulse_o is registered: collect it after every edge too.
    for (int r = 0; r < kNumRegs; ++r) {
      pulses_[std::size_t(r)] |= uint32_t(sim::wide_get(sim_.dut().pulse_o, r * 32, 32));
    }
    ASSERT_FALSE(sim_.assertion_failed()) << "RTL assertion failed";
  }

  sim::Simulation<Model> sim_;
  std::mt19937_64 rng_;
  std::vector<uint32_t> pulses_ = std::vector<uint32_t>(kNumRegs, 0);  // pulse_o seen, per register
};

uint32_t strb_mask(uint32_t strb) {
  uint32_t m = 0;
  for (int b = 0; b < 4; ++b) m |= ((strb >> b) & 1u) ? (0xffu << (8 * b)) : 0u;
  return m;
}

TEST(Csr, EveryRegisterFollowsItsAccessClass) {
  CsrBench b(11);
  std::mt19937_64 rng(11);
  std::vector<uint32_t> rw(kNumRegs, 0), ro(kNumRegs, 0);
  for (int i = 0; i < kNumRegs; ++i) {
    ro[i] = uint32_t(rng());
    b.set_hw_ro(i, ro[i]);
  }
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < kNumRegs; ++i) {
      const csr::Register& r = csr::kRegisters[i];
      SCOPED_TRACE(fmt::format("round {} register {} @0x{:02x}", round, r.name, r.offset));
      const uint32_t v = uint32_t(rng());
      const uint32_t strb = round == 0 ? 0xf : uint32_t(rng() & 0xf);
      const uint32_t w = strb_mask(strb) & csr::kRwMask[i];
      // Keep w1c bits clear in this test (writing 1 to them clears, covered below).
      EXPECT_EQ(b.write(r.offset, v & ~csr::kW1cMask[i], strb), 0);
      rw[i] = (rw[i] & ~w) | (v & w);
      EXPECT_EQ(b.take_pulses(i), v & csr::kW1pMask[i] & ~csr::kW1cMask[i]) << "w1p pulse";
      const auto [data, resp] = b.read(r.offset);
      EXPECT_EQ(resp, 0);
      EXPECT_EQ(data, rw[i] | (ro[i] & csr::kRoMask[i])) << "read back";
      EXPECT_EQ(b.reg_out(i), rw[i]) << "reg_o";
    }
  }
}

TEST(Csr, W1cSetByHardwareClearedBySoftware) {
  CsrBench b(12);
  const int st = int(csr::kStatus / 4);
  const uint32_t done = csr::status::done.mask(), err = csr::status::err.mask();
  b.hw_set(st, done | err | 0xffff0000u);  // bits outside w1c fields must not stick
  EXPECT_EQ(b.read(csr::kStatus).first & (done | err), done | err);
  EXPECT_EQ(b.reg_out(st), done | err);
  EXPECT_EQ(b.write(csr::kStatus, done), 0);  // clear done only
  EXPECT_EQ(b.read(csr::kStatus).first & (done | err), err);
  EXPECT_EQ(b.write(csr::kStatus, 0), 0);  // writing 0 changes nothing
  EXPECT_EQ(b.read(csr::kStatus).first & (done | err), err);
}

TEST(Csr, StartPulsesOnceAndReadsZero) {
  CsrBench b(13);
  const int ctrl = int(csr::kCtrl / 4);
  const uint32_t start = csr::ctrl::start.mask(), irq_en = csr::ctrl::irq_en.mask();
  EXPECT_EQ(b.write(csr::kCtrl, start | irq_en), 0);
  EXPECT_EQ(b.take_pulses(ctrl), start);
  EXPECT_EQ(b.read(csr::kCtrl).first, irq_en);
  EXPECT_EQ(b.take_pulses(ctrl), 0u);  // no second pulse
}

TEST(Csr, AddressesOutsideTheMapAreRefused) {
  CsrBench b(14);
  const uint32_t beyond = uint32_t(kNumRegs) * 4;
  for (uint32_t a : {beyond, beyond + 4, uint32_t(csr::kCtrl + 1), uint32_t(csr::kInShape + 2)}) {
    if (a >= (1u << 7)) continue;  // outside the address bus
    EXPECT_EQ(b.write(a, 0xffffffffu), 2) << a;
    const auto [data, resp] = b.read(a);
    EXPECT_EQ(resp, 2) << a;
    EXPECT_EQ(data, 0u);
  }
  for (int i = 0; i < kNumRegs; ++i) EXPECT_EQ(b.reg_out(i), 0u) << csr::kRegisters[i].name;
}

}  // namespace
