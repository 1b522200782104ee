// Testbench of the whole accelerator (rsnpu_top): an AXI4-Lite master for the CSRs (the
// host driver), the AXI4 DRAM model on the DMA port, activity counting, and a watchdog.
// Phases: setup (reset, signature check), per-cycle step(), run_layer() = program the
// descriptor, start, wait for the interrupt, read STATUS, clear it.
#pragma once

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "pe_harness.h"
#include "rsnpu/csr_map.h"
#include "rsnpu/hw_enums.h"
#include "rsnpu/sim/axi_bind.h"
#include "rsnpu/sim/axi_dram.h"
#include "rsnpu/sim/axil_master.h"
#include "rsnpu/sim/run_status.h"
#include "rsnpu/sim/simulation.h"

namespace rsnpu::tb {

// One CSR write: byte offset and value.
using CsrWrite = std::pair<uint32_t, uint32_t>;

struct LayerRunResult : sim::RunStatus {
  bool irq = false;              // the interrupt fired (done with CTRL.irq_en)
  uint32_t status = 0;           // STATUS as read after the interrupt
  uint64_t macs = 0;             // PE MACs executed
  uint64_t skipped = 0;          // PE MACs gated by a zero ifmap word
  uint64_t dram_read_bytes = 0;  // during this layer
  uint64_t dram_write_bytes = 0;
  uint64_t dram_r_beats = 0;     // AXI R and W handshakes the DRAM model saw
  uint64_t dram_w_beats = 0;
  // The activity counters (perf_ctr_e) read over the CSR bus after the layer.
  std::array<uint64_t, hw::kPerfCtrCount> perf{};

  uint64_t counter(hw::PerfCtr c) const { return perf[std::size_t(c)]; }
};

// Consistency of the activity counters with what the testbench saw: the cycle classes sum to
// the layer's cycles (which end within the testbench's start-to-interrupt window), MACs and
// DRAM beats equal the testbench's own counts, every filter word delivered is a scratchpad
// write, no PE keeps more ifmap words than it was sent. Returns the first disagreement, or "".
inline std::string check_counters(const LayerRunResult& r) {
  using hw::PerfCtr;
  auto eq = [&r](PerfCtr c, uint64_t expect, const char* what) -> std::string {
    if (r.counter(c) == expect) return "";
    return fmt::format("activity counter {} = {}, but {} = {}", hw::to_string(c), r.counter(c),
                       what, expect);
  };
  const PerfCtr classes[] = {PerfCtr::kCycMac,   PerfCtr::kCycNoc, PerfCtr::kCycGlb,
                             PerfCtr::kCycArray, PerfCtr::kCycOut, PerfCtr::kCycDram,
                             PerfCtr::kCycCtrl};
  uint64_t class_sum = 0;
  for (const PerfCtr c : classes) class_sum += r.counter(c);
  const uint64_t beat_bytes = 8;  // AxiDataW / 8
  const std::string checks[] = {
      eq(PerfCtr::kCycles, class_sum, "the sum of the cycle classes"),
      eq(PerfCtr::kMacExec, r.macs, "the testbench's count of PE MACs"),
      eq(PerfCtr::kMacSkip, r.skipped, "the testbench's count of gated MACs"),
      eq(PerfCtr::kDramRdBytes, r.dram_r_beats * beat_bytes, "8 x the DRAM model's R beats"),
      eq(PerfCtr::kDramWrBytes, r.dram_w_beats * beat_bytes, "8 x the DRAM model's W beats"),
      eq(PerfCtr::kNocFltDeliv, r.counter(PerfCtr::kFltSpadWr), "filter spad writes"),
  };
  for (const std::string& c : checks) {
    if (!c.empty()) return c;
  }
  // A PE drops the ifmap columns a stride > S skips, so it keeps at most what it received.
  if (r.counter(PerfCtr::kIfmSpadWr) > r.counter(PerfCtr::kNocIfmDeliv)) {
    return fmt::format("activity counter IfmSpadWr = {} > NocIfmDeliv = {}",
                       r.counter(PerfCtr::kIfmSpadWr), r.counter(PerfCtr::kNocIfmDeliv));
  }
  if (r.counter(PerfCtr::kCycles) == 0 || r.counter(PerfCtr::kCycles) > r.cycles) {
    return fmt::format("activity counter Cycles = {} outside (0, {}] (start to interrupt)",
                       r.counter(PerfCtr::kCycles), r.cycles);
  }
  return "";
}

template <typename Traits>
class AccelHarness {
 public:
  using Model = typename Traits::Model;
  static constexpr const cfg::HwConfig& kCfg = Traits::kCfg;

  AccelHarness(sim::SimOptions opt, const sim::AxiDram::Config& dram_cfg)
      : sim_(sim::with_default_name(opt, std::string("top_") + kCfg.name)),
        dram_(dram_cfg),
        rng_(opt.seed ^ 0x5eedull) {
    Model& d = dut();
    d.s_awvalid_i = 0;
    d.s_awaddr_i = 0;
    d.s_wvalid_i = 0;
    d.s_wdata_i = 0;
    d.s_wstrb_i = 0;
    d.s_bready_i = 0;
    d.s_arvalid_i = 0;
    d.s_araddr_i = 0;
    d.s_rready_i = 0;
    dram_.drive(pins_);
    sim::slave_to_master(pins_, d);
    sim_.reset();
    require_signature("top", d.cfg_sig_o, kCfg);
  }

  Model& dut() { return sim_.dut(); }
  sim::AxiDram& dram() { return dram_; }
  uint64_t cycle() const { return sim_.cycle(); }
  const std::string& wave_path() const { return sim_.wave_path(); }

  // Per-cycle phase: DRAM and CSR pins in, evaluate, DRAM sees the master's pins, clock edge.
  void step() {
    Model& d = dut();
    dram_.drive(pins_);
    sim::slave_to_master(pins_, d);
    sim_.eval();
    sim::master_to_pins(d, pins_);
    macs_ += d.evt_mac_o;
    skipped_ += d.evt_skip_o;
    dram_.edge(pins_);
    sim_.tick();
  }

  // AXI4-Lite write; returns BRESP. The response channel sees random back-pressure.
  int csr_write(uint32_t addr, uint32_t data) {
    const auto resp = sim::axil_write(
        dut(), [this] { sim_.eval(); }, [this] { step(); }, [this] { return coin(); }, addr,
        data);
    if (!resp) throw std::runtime_error(fmt::format("CSR write 0x{:02x}: no response", addr));
    return *resp;
  }

  // AXI4-Lite read; throws on SLVERR or no response.
  uint32_t csr_read(uint32_t addr) {
    const auto r = sim::axil_read(
        dut(), [this] { sim_.eval(); }, [this] { step(); }, [this] { return coin(); }, addr);
    if (!r) throw std::runtime_error(fmt::format("CSR read 0x{:02x}: no response", addr));
    if (r->second != 0) throw std::runtime_error(fmt::format("CSR read 0x{:02x}: SLVERR", addr));
    return r->first;
  }

  // Host driver for one layer: writes the descriptor, starts with the interrupt enabled,
  // waits for irq_o (watchdog: max_cycles), reads and clears STATUS.
  LayerRunResult run_layer(const std::vector<CsrWrite>& descriptor, uint64_t max_cycles) {
    LayerRunResult res;
    for (const CsrWrite& w : descriptor) {
      if (csr_write(w.first, w.second) != 0) {
        res.failure = fmt::format("CSR write 0x{:02x} refused", w.first);
        return res;
      }
    }
    const sim::AxiDram::Stats before = dram_.stats();
    const uint64_t macs0 = macs_, skipped0 = skipped_;
    uint32_t ctrl = 0;
    ctrl = csr::ctrl::start.put(ctrl, 1);
    ctrl = csr::ctrl::irq_en.put(ctrl, 1);
    const uint64_t start_cycle = cycle();
    csr_write(csr::kCtrl, ctrl);
    for (uint64_t c = 0;; ++c) {
      if (sim_.assertion_failed()) {
        res.failure = fmt::format("RTL assertion failed at cycle {}", cycle());
        return res;
      }
      if (dut().irq_o) break;
      if (c >= max_cycles) {
        res.failure = fmt::format("watchdog: no interrupt after {} cycles", c);
        return res;
      }
      step();
    }
    res.cycles = cycle() - start_cycle;
    res.irq = true;
    res.status = csr_read(csr::kStatus);
    res.done = csr::status::done.get(res.status) != 0;
    res.err_code = int(csr::status::err_code.get(res.status));
    if (csr::status::err.get(res.status) != (res.err_code != 0 ? 1u : 0u)) {
      res.failure = fmt::format("STATUS 0x{:08x}: err flag and err_code disagree", res.status);
    }
    // Clear done/err (w1c); the interrupt must drop.
    csr_write(csr::kStatus, res.status);
    step();
    if (dut().irq_o) res.failure = "irq_o still high after STATUS.done was cleared";
    if (dut().busy_o) res.failure = "busy after the interrupt";
    const sim::AxiDram::Stats& after = dram_.stats();
    res.dram_read_bytes = after.bytes_read - before.bytes_read;
    res.dram_write_bytes = after.bytes_written - before.bytes_written;
    res.dram_r_beats = after.r_beats - before.r_beats;
    res.dram_w_beats = after.w_beats - before.w_beats;
    res.macs = macs_ - macs0;
    res.skipped = skipped_ - skipped0;
    read_counters(res);
    if (res.failure.empty()) res.failure = check_counters(res);
    if (res.failure.empty() && sim_.assertion_failed()) res.failure = "RTL assertion failed";
    if (res.failure.empty() && !dram_.violations().empty()) {
      res.failure = "AXI protocol violation: " + dram_.violations().front();
    }
    return res;
  }

  // Reads every activity counter: select it in PERF_SEL, read PERF_LO and PERF_HI.
  void read_counters(LayerRunResult& res) {
    for (int k = 0; k < hw::kPerfCtrCount; ++k) {
      csr_write(csr::kPerfSel, csr::perf_sel::idx.put(0, uint32_t(k)));
      const uint64_t lo = csr::perf_lo::value.get(csr_read(csr::kPerfLo));
      const uint64_t hi = csr::perf_hi::value.get(csr_read(csr::kPerfHi));
      res.perf[std::size_t(k)] = (hi << 32) | lo;
    }
  }

 private:
  bool coin() { return (rng_() & 1u) != 0; }

  sim::Simulation<Model> sim_;
  sim::AxiDram dram_;
  sim::AxiPins pins_{};
  std::mt19937_64 rng_;
  uint64_t macs_ = 0, skipped_ = 0;
};

}  // namespace rsnpu::tb
