// The DMA engine against the C++ AXI4 DRAM model: random read and write commands (random
// sizes, addresses, 4 KiB crossings, DRAM latency, bandwidth and back-pressure), data checked
// byte for byte through the DRAM backdoor; refused commands cause no bus traffic at all.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "rsnpu/hw_enums.h"
#include "rsnpu/rtl_models.h"
#include "rsnpu/sim/axi_bind.h"
#include "rsnpu/sim/axi_dram.h"
#include "rsnpu/sim/run_status.h"
#include "rsnpu/sim/simulation.h"
#include "rsnpu/sim/stream.h"

namespace {

using namespace rsnpu;
using Traits = model::Dma_tiny;  // the DMA does not depend on the array configuration
using Model = Traits::Model;

constexpr uint64_t kDramBytes = 1 << 20;

// Error codes of rsnpu_pkg::dma_err_e, generated from the package.
constexpr int kNone = int(hw::DmaErr::kNone), kAlign = int(hw::DmaErr::kAlign),
              kLength = int(hw::DmaErr::kLength), kReadWindow = int(hw::DmaErr::kReadWindow),
              kWriteWindow = int(hw::DmaErr::kWriteWindow), kAxiResp = int(hw::DmaErr::kAxiResp);

struct Window {
  uint32_t lo = 0, hi = kDramBytes;
};

struct CmdResult : sim::RunStatus {
  std::vector<uint64_t> read_beats;  // beats delivered on the rd stream
};

// Testbench of the DMA: setup (reset), per-cycle command execution, finish.
class DmaBench {
 public:
  DmaBench(const sim::AxiDram::Config& dc, uint64_t seed)
      : sim_(sim::SimOptions{"dma", "", seed, 5000}), dram_(dc), rng_(seed) {
    Model& d = sim_.dut();
    d.cmd_valid_i = 0;
    d.rd_ready_i = 0;
    d.wr_valid_i = 0;
    set_windows({}, {});
    sim_.reset();
  }

  sim::AxiDram& dram() { return dram_; }
  Model& dut() { return sim_.dut(); }

  void set_windows(Window rd, Window wr) {
    Model& d = sim_.dut();
    d.rd_win_lo_i = rd.lo;
    d.rd_win_hi_i = rd.hi;
    d.wr_win_lo_i = wr.lo;
    d.wr_win_hi_i = wr.hi;
  }

  // Runs one command; for writes, 'data' is the beat stream offered to the DMA.
  CmdResult run(bool write, uint32_t addr, uint32_t beats, const std::vector<uint64_t>& data,
                double stream_prob, uint64_t max_cycles = 2'000'000) {
    Model& d = sim_.dut();
    CmdResult res;
    sim::StreamSource<uint64_t> wsrc(stream_prob, rng_());
    sim::StreamSink rsink(stream_prob, rng_());
    if (write) wsrc.push(data);
    bool cmd_pending = true;
    for (uint64_t cyc = 0;; ++cyc) {
      dram_.drive(pins_);
      sim::slave_to_master(pins_, d);
      d.cmd_valid_i = cmd_pending;
      d.cmd_write_i = write;
      d.cmd_addr_i = addr;
      d.cmd_beats_i = beats;
      uint64_t w = 0;
      d.wr_valid_i = cyc > 0 && wsrc.drive(w);
      d.wr_data_i = w;
      d.rd_ready_i = rsink.drive();
      sim_.eval();
      sim::master_to_pins(d, pins_);
      const bool cmd_fire = d.cmd_valid_i && d.cmd_ready_o;
      const bool wr_fire = d.wr_valid_i && d.wr_ready_o;
      const bool rd_fire = d.rd_valid_o && d.rd_ready_i;
      const uint64_t rd_data = d.rd_data_o;
      dram_.edge(pins_);
      sim_.tick();
      if (cmd_fire) cmd_pending = false;
      if (wr_fire) wsrc.commit_fire();
      if (rd_fire) res.read_beats.push_back(rd_data);
      if (sim::end_of_cycle(res, cyc, sim_.assertion_failed(), d.done_o, d.err_code_o,
                            max_cycles)) {
        break;
      }
    }
    d.cmd_valid_i = 0;
    d.wr_valid_i = 0;
    d.rd_ready_i = 0;
    if (res.failure.empty() && !dram_.violations().empty()) {
      res.failure = "AXI protocol violation: " + dram_.violations().front();
    }
    return res;
  }

 private:
  sim::Simulation<Model> sim_;
  sim::AxiDram dram_;
  sim::AxiPins pins_;
  std::mt19937_64 rng_;
};

std::vector<uint8_t> random_bytes(std::mt19937_64& rng, std::size_t n) {
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = uint8_t(rng());
  return v;
}

TEST(Dma, RandomCommandsMoveExactBytes) {
  const uint64_t first =
      std::getenv("RSNPU_SEED") ? std::strtoull(std::getenv("RSNPU_SEED"), nullptr, 10) : 1;
  for (uint64_t seed = first; seed < first + 40; ++seed) {
    SCOPED_TRACE(fmt::format("seed {}", seed));
    std::mt19937_64 rng(seed);
    sim::AxiDram::Config dc;
    dc.size_bytes = kDramBytes;
    dc.read_latency = int(rng() % 40);
    dc.write_latency = int(rng() % 20);
    const double bws[] = {8.0, 2.4, 0.9};
    dc.bytes_per_cycle = bws[rng() % 3];
    const double rps[] = {1.0, 0.6, 0.25};
    dc.ready_prob = rps[rng() % 3];
    dc.seed = seed;
    DmaBench b(dc, seed);
    const std::vector<uint8_t> init = random_bytes(rng, kDramBytes);
    b.dram().write_bytes(0, init.data(), init.size());
    std::vector<uint8_t> shadow = init;
    for (int c = 0; c < 6; ++c) {
      const bool write = rng() % 2;
      const uint32_t beats = 1 + uint32_t(rng() % (rng() % 4 == 0 ? 700 : 40));
      const uint32_t addr = uint32_t(rng() % ((kDramBytes - beats * 8) / 8)) * 8;
      const double sp = rps[rng() % 3];
      std::vector<uint64_t> data;
      for (uint32_t i = 0; i < beats && write; ++i) data.push_back(rng());
      const CmdResult r = b.run(write, addr, beats, data, sp);
      ASSERT_EQ(r.failure, "") << (write ? "write" : "read") << " addr " << addr << " beats "
                               << beats;
      ASSERT_TRUE(r.done);
      ASSERT_EQ(r.err_code, kNone);
      if (write) {
        for (uint32_t i = 0; i < beats; ++i) {
          for (int k = 0; k < 8; ++k) shadow[addr + i * 8 + k] = uint8_t(data[i] >> (8 * k));
        }
      } else {
        ASSERT_EQ(r.read_beats.size(), beats);
        for (uint32_t i = 0; i < beats; ++i) {
          uint64_t want = 0;
          for (int k = 0; k < 8; ++k) want |= uint64_t(shadow[addr + i * 8 + k]) << (8 * k);
          ASSERT_EQ(r.read_beats[i], want) << "beat " << i << " addr " << addr;
        }
      }
    }
    std::vector<uint8_t> now(kDramBytes);
    b.dram().read_bytes(0, now.data(), now.size());
    EXPECT_TRUE(now == shadow) << "DRAM differs from the expected image";
  }
}

TEST(Dma, RefusedCommandsCauseNoBusTraffic) {
  sim::AxiDram::Config dc;
  dc.size_bytes = kDramBytes;
  DmaBench b(dc, 3);
  b.set_windows(Window{0x1000, 0x3000}, Window{0x8000, 0x9000});
  auto refused = [&](bool write, uint32_t addr, uint32_t beats, int code) {
    const auto before = b.dram().stats();
    const CmdResult r = b.run(write, addr, beats, std::vector<uint64_t>(beats, 0xdead), 1.0);
    EXPECT_EQ(r.failure, "");
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.err_code, code) << (write ? "write" : "read") << " " << addr << " " << beats;
    EXPECT_LE(r.cycles, 3u);  // accept, check, done
    EXPECT_EQ(b.dram().stats().read_bursts, before.read_bursts);
    EXPECT_EQ(b.dram().stats().write_bursts, before.write_bursts);
    EXPECT_TRUE(b.dram().written_ranges().empty());
  };
  refused(false, 0x1004, 4, kAlign);
  refused(true, 0x8000, 0, kLength);
  refused(false, 0x0ff8, 2, kReadWindow);  // starts below the window
  refused(false, 0x2ff8, 2, kReadWindow);  // ends past it
  refused(true, 0x8ff8, 2, kWriteWindow);  // one beat past the output window
  refused(true, 0x7ff8, 1, kWriteWindow);
  refused(true, 0x1000, 4, kWriteWindow);  // readable is not writable
  // Exactly the window is fine, and only the window is written.
  const CmdResult ok = b.run(true, 0x8000, 512, std::vector<uint64_t>(512, 7), 0.7);
  EXPECT_EQ(ok.failure, "");
  EXPECT_EQ(ok.err_code, kNone);
  const auto ranges = b.dram().written_ranges();
  ASSERT_EQ(ranges.size(), 1u);
  EXPECT_EQ(ranges[0].first, 0x8000u);
  EXPECT_EQ(ranges[0].second, 0x9000u);
}

TEST(Dma, BusErrorIsReported) {
  sim::AxiDram::Config dc;
  dc.size_bytes = 0x4000;  // the window reaches past the end of the DRAM
  DmaBench b(dc, 5);
  b.set_windows(Window{0, 0x10000}, Window{0, 0x10000});
  const CmdResult r = b.run(false, 0x3fc0, 32, {}, 1.0);
  EXPECT_EQ(r.failure, "");
  EXPECT_EQ(r.err_code, kAxiResp);
  EXPECT_EQ(r.read_beats.size(), 32u);  // every beat still delivered
}

TEST(Dma, BandwidthFollowsTheLink) {
  // Reported and loosely bounded: a long read is limited by the DRAM link, not the DMA.
  sim::AxiDram::Config dc;
  dc.size_bytes = kDramBytes;
  dc.read_latency = 30;
  dc.bytes_per_cycle = 2.4;  // Eyeriss: 64-bit DRAM link at 60 MHz seen from 200 MHz
  DmaBench b(dc, 9);
  const uint32_t beats = 8192;
  const CmdResult r = b.run(false, 0, beats, {}, 1.0);
  ASSERT_EQ(r.failure, "");
  const double bpc = double(beats) * 8 / double(r.cycles);
  std::cout << fmt::format(
      "[ info ] DMA read of {} KiB: {} cycles, {:.2f} bytes/cycle "
      "(link 2.40)\n",
      beats * 8 / 1024, r.cycles, bpc);
  EXPECT_GT(bpc, 2.4 * 0.95);
  EXPECT_LE(bpc, 2.4 * 1.01);
}

}  // namespace
