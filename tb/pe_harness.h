// Testbench of one PE: a class with setup (construction: reset and configuration check),
// per-cycle work (run_job drives every port cycle by cycle) and finish().
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "pe_job.h"
#include "rsnpu/golden/golden.h"
#include "rsnpu/hw_configs.h"
#include "rsnpu/hw_enums.h"
#include "rsnpu/sim/run_status.h"
#include "rsnpu/sim/simulation.h"
#include "rsnpu/sim/stream.h"

namespace rsnpu::tb {

// Counts of the PE's activity event pulses.
struct PeEvents {
  uint64_t mac = 0, skip = 0, flt_rd = 0, flt_wr = 0, ifm_rd = 0, ifm_wr = 0, psum_rd = 0,
           psum_wr = 0;
  bool operator==(const PeEvents&) const = default;
  PeEvents& operator+=(const PeEvents& o);
  std::string str() const;
};

// done, err_code (err_code_o), cycles and failure (assertion, watchdog, leftovers) come from
// sim::RunStatus.
struct PeJobResult : sim::RunStatus {
  std::vector<int64_t> psum_out;  // every psum the PE emitted, in order
  PeEvents events;
};

// Optional disturbances of a job.
struct PeJobOptions {
  uint64_t max_cycles = 2'000'000;  // watchdog
  int64_t restart_at = -1;          // pulse start_i again at this cycle of the job (>= 1)
};

// Setup check of every harness: the model drives the signature of the configuration whose
// constants the harness uses, or it was built from another configuration.
inline void require_signature(const char* what, uint32_t model_signature,
                              const cfg::HwConfig& cfg) {
  if (model_signature != cfg.signature) {
    throw std::runtime_error(fmt::format(
        "{} model signature {:#010x} does not match configuration '{}' ({:#010x}): the model "
        "was built from another configuration",
        what, model_signature, cfg.name, cfg.signature));
  }
}

// Error codes of rsnpu_pkg::pe_err_e, generated from the package.
using PeErr = hw::PeErr;

// The cfg_prec_i encoding (rsnpu_pkg::prec_e) of a golden precision.
inline int hw_prec(golden::Precision p) {
  return int(p == golden::Precision::kInt8 ? hw::Prec::kInt8 : hw::Prec::kInt16);
}

template <typename Traits>
class PeHarness {
 public:
  using Model = typename Traits::Model;
  static constexpr const cfg::HwConfig& kCfg = Traits::kCfg;

  // Setup: build the model, reset it, check it was built for configuration kCfg.
  explicit PeHarness(sim::SimOptions opt)
      : sim_(sim::with_default_name(opt, std::string("pe_") + kCfg.name)), rng_seed_(opt.seed) {
    idle_inputs();
    sim_.reset();
    require_signature("PE", dut().cfg_sig_o, kCfg);
  }

  Model& dut() { return sim_.dut(); }
  sim::Simulation<Model>& simulation() { return sim_; }

  // Per-cycle phase: run one job to completion (or watchdog) and collect what the PE did.
  PeJobResult run_job(const PeJob& job, const PeKnobs& knobs, const PeJobOptions& o = {}) {
    const PeProgram& pr = job.prog;
    PeJobResult res;
    ++job_index_;
    const uint64_t seed = rng_seed_ * 7919 + job_index_;
    sim::StreamSource<int16_t> flt(knobs.flt_valid, seed * 4 + 0);
    sim::StreamSource<int16_t> ifm(knobs.ifm_valid, seed * 4 + 1);
    sim::StreamSource<int64_t> pin(knobs.psum_in_valid, seed * 4 + 2);
    sim::StreamSink pout(knobs.psum_out_ready, seed * 4 + 3);
    if (pr.flt_load) flt.push(job.weights);
    const int width = (pr.e - 1) * pr.stride + pr.s;
    for (const auto& row : job.ifmap_rows) {
      for (int col = 0; col < width; ++col) {
        for (int ch = 0; ch < pr.q; ++ch) ifm.push(row.at(std::size_t(ch) * width + col));
      }
    }
    if (pr.acc_in) {
      for (const auto& ps : job.psum_in_rows) pin.push(ps);
    }

    Model& d = dut();
    d.cfg_s_i = pr.s;
    d.cfg_p_i = pr.p;
    d.cfg_q_i = pr.q;
    d.cfg_stride_i = pr.stride;
    d.cfg_e_i = pr.e;
    d.cfg_rows_i = pr.rows;
    d.cfg_prec_i = hw_prec(pr.prec);
    d.cfg_flt_load_i = pr.flt_load;
    d.cfg_acc_in_i = pr.acc_in;

    const uint64_t acc_mask =
        kCfg.acc_bits >= 64 ? ~uint64_t{0} : ((uint64_t{1} << kCfg.acc_bits) - 1);
    for (uint64_t cyc = 0;; ++cyc) {
      // Drive this cycle's inputs.
      d.start_i = (cyc == 0) || (o.restart_at >= 0 && cyc == uint64_t(o.restart_at));
      // Sources offer words from the third cycle after start: the PE checks the program
      // in the two cycles after the start, so a refused program is done by then and no word
      // is ever offered to it (offering and withdrawing would break the valid/ready rule,
      // which the RTL asserts).
      int16_t fw = 0, iw = 0;
      int64_t pw = 0;
      const bool offer = cyc > 2;
      d.flt_valid_i = offer && flt.drive(fw);
      d.flt_data_i = uint16_t(fw);
      d.ifm_valid_i = offer && ifm.drive(iw);
      d.ifm_data_i = uint16_t(iw);
      d.psum_in_valid_i = offer && pin.drive(pw);
      d.psum_in_data_i =
          static_cast<std::remove_reference_t<decltype(d.psum_in_data_i)>>(uint64_t(pw) & acc_mask);
      d.psum_out_ready_i = pout.drive();
      sim_.eval();
      // Sample what happens at this rising edge.
      const bool flt_fire = d.flt_valid_i && d.flt_ready_o;
      const bool ifm_fire = d.ifm_valid_i && d.ifm_ready_o;
      const bool pin_fire = d.psum_in_valid_i && d.psum_in_ready_o;
      const bool pout_fire = d.psum_out_valid_o && d.psum_out_ready_i;
      const int64_t pout_data = golden::wrap(int64_t(uint64_t(d.psum_out_data_o)), kCfg.acc_bits);
      count_events(res.events);
      sim_.tick();
      if (flt_fire) flt.commit_fire();
      if (ifm_fire) ifm.commit_fire();
      if (pin_fire) pin.commit_fire();
      if (pout_fire) res.psum_out.push_back(pout_data);
      if (sim::end_of_cycle(res, cyc, sim_.assertion_failed(), d.done_o, d.err_code_o,
                            o.max_cycles)) {
        break;
      }
    }
    idle_inputs();
    if (res.failure.empty()) check_quiet_after_done(res, flt, ifm, pin);
    return res;
  }

  // Finish phase.
  void finish() { sim_.finish(); }

 private:
  void idle_inputs() {
    Model& d = dut();
    d.start_i = 0;
    d.flt_valid_i = 0;
    d.ifm_valid_i = 0;
    d.psum_in_valid_i = 0;
    d.psum_out_ready_i = 0;
  }

  void count_events(PeEvents& ev) {
    Model& d = dut();
    ev.mac += d.evt_mac_o;
    ev.skip += d.evt_skip_o;
    ev.flt_rd += d.evt_flt_rd_o;
    ev.flt_wr += d.evt_flt_wr_o;
    ev.ifm_rd += d.evt_ifm_rd_o;
    ev.ifm_wr += d.evt_ifm_wr_o;
    ev.psum_rd += d.evt_psum_rd_o;
    ev.psum_wr += d.evt_psum_wr_o;
  }

  // After done: every offered word consumed, and the PE idle and silent for a few cycles.
  void check_quiet_after_done(PeJobResult& res, const sim::StreamSource<int16_t>& flt,
                              const sim::StreamSource<int16_t>& ifm,
                              const sim::StreamSource<int64_t>& pin) {
    if (res.err_code == 0) {
      if (!flt.empty() || !ifm.empty() || !pin.empty()) {
        res.failure = fmt::format("done with words unconsumed: filter {} ifmap {} psum_in {}",
                                  flt.pending(), ifm.pending(), pin.pending());
        return;
      }
    }
    Model& d = dut();
    d.psum_out_ready_i = 1;
    for (int i = 0; i < 4; ++i) {
      sim_.eval();
      if (d.busy_o || d.psum_out_valid_o || d.flt_ready_o || d.ifm_ready_o || d.psum_in_ready_o) {
        res.failure = "PE not idle after done";
        return;
      }
      sim_.tick();
    }
    d.psum_out_ready_i = 0;
  }

  sim::Simulation<Model> sim_;
  uint64_t rng_seed_;
  uint64_t job_index_ = 0;
};

}  // namespace rsnpu::tb
