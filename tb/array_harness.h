// Testbench of the PE array: setup (reset, configuration check), program (routing writes),
// per-cycle run of one pass with tagged network traffic and per-column psum streams, finish.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "array_pass.h"
#include "layer_map.h"  // kFltLanes, kNocTagBits
#include "pe_harness.h"
#include "rsnpu/golden/golden.h"
#include "rsnpu/hw_enums.h"
#include "rsnpu/sim/run_status.h"
#include "rsnpu/sim/simulation.h"
#include "rsnpu/sim/stream.h"
#include "rsnpu/sim/wide.h"

namespace rsnpu::tb {

struct ArrayKnobs {
  double flt_valid = 1.0, ifm_valid = 1.0, psum_in_valid = 1.0, psum_out_ready = 1.0;
  std::string str() const {
    return fmt::format("valid flt/ifm/psum_in {:.2f}/{:.2f}/{:.2f} ready psum_out {:.2f}",
                       flt_valid, ifm_valid, psum_in_valid, psum_out_ready);
  }
};

struct ArrayRunResult : sim::RunStatus {
  std::vector<std::vector<int64_t>> psum_out;  // per column
  uint64_t macs = 0, skipped = 0;              // summed PE activity
};

template <typename Traits>
class ArrayHarness {
 public:
  using Model = typename Traits::Model;
  static constexpr const cfg::HwConfig& kCfg = Traits::kCfg;

  explicit ArrayHarness(sim::SimOptions opt)
      : sim_(sim::with_default_name(opt, std::string("array_") + kCfg.name)), seed_(opt.seed) {
    Model& d = dut();
    d.route_we_i = 0;
    d.start_i = 0;
    d.flt_valid_i = 0;
    d.ifm_valid_i = 0;
    d.psum_in_valid_i = 0;
    d.psum_out_ready_i = 0;
    sim_.reset();
    require_signature("array", d.cfg_sig_o, kCfg);
  }

  Model& dut() { return sim_.dut(); }

  // Program phase: write every PE's routing, one PE per cycle.
  void program(const std::vector<PeRoute>& routes) {
    Model& d = dut();
    for (const PeRoute& r : routes) {
      d.route_we_i = 1;
      d.route_row_i = r.row;
      d.route_col_i = r.col;
      d.route_en_i = r.en;
      d.route_flt_id_i = r.flt_id;
      d.route_ifm_id_i = r.ifm_id;
      d.route_psum_port_i = r.psum_port;
      d.route_acc_in_i = r.acc_in;
      sim_.tick();
    }
    d.route_we_i = 0;
    sim_.eval();
  }

  // Per-cycle phase: one pass with the PE program of 'a' and the traffic of 'st'.
  ArrayRunResult run(const ConvLayer& l, const ArrayPass& a, const ArrayStimulus& st,
                     const ArrayKnobs& k, uint64_t max_cycles = 20'000'000) {
    Model& d = dut();
    ArrayRunResult res;
    const int cols = kCfg.pe_cols;
    const int acc = kCfg.acc_bits;
    const uint64_t acc_mask = acc >= 64 ? ~uint64_t{0} : (uint64_t{1} << acc) - 1;
    ++runs_;
    const uint64_t seed = seed_ * 104729 + runs_;
    sim::StreamSource<TaggedWord> flt(k.flt_valid, seed * 8 + 1), ifm(k.ifm_valid, seed * 8 + 2);
    flt.push(st.filters);
    ifm.push(st.ifmaps);
    std::vector<sim::StreamSource<int64_t>> pin;
    std::vector<sim::StreamSink> pout;
    for (int c = 0; c < cols; ++c) {
      pin.emplace_back(k.psum_in_valid, seed * 8 + 3 + uint64_t(c) * 131);
      pin.back().push(st.psum_in[c]);
      pout.emplace_back(k.psum_out_ready, seed * 8 + 4 + uint64_t(c) * 131);
    }
    res.psum_out.assign(std::size_t(cols), {});
    std::vector<int64_t> pout_data(std::size_t(cols), 0);  // reused every cycle

    d.cfg_s_i = l.s;
    d.cfg_p_i = a.p;
    d.cfg_q_i = a.q;
    d.cfg_stride_i = l.stride;
    d.cfg_e_i = a.f_out;
    d.cfg_rows_i = a.folds;
    d.cfg_prec_i = hw_prec(l.prec);
    d.cfg_flt_load_i = 1;
    for (uint64_t cyc = 0;; ++cyc) {
      d.start_i = cyc == 0;
      const bool offer = cyc > 0;  // never offer to a program that may be refused
      TaggedWord fw, iw;
      // One filter word per transfer, in the lane of its PE row (the routing gives PE row r
      // flt_id r, so the tag is the row): lane tag % kFltLanes reaches rows r = tag mod lanes.
      d.flt_valid_i = offer && flt.drive(fw);
      const int lane = fw.tag % kFltLanes;
      d.flt_lanes_i = d.flt_valid_i ? (1u << lane) : 0u;
      d.flt_tag_i = uint64_t(fw.tag) << (lane * kNocTagBits);
      d.flt_data_i = uint64_t(uint16_t(fw.data)) << (lane * kCfg.word_bits);
      d.ifm_valid_i = offer && ifm.drive(iw);
      d.ifm_tag_i = iw.tag;
      d.ifm_data_i = uint16_t(iw.data);
      uint32_t pin_valid = 0, pout_ready = 0;
      for (int c = 0; c < cols; ++c) {
        int64_t v = 0;
        if (offer && pin[c].drive(v)) pin_valid |= 1u << c;
        sim::wide_set(d.psum_in_data_i, c * acc, acc, uint64_t(v) & acc_mask);
        if (pout[c].drive()) pout_ready |= 1u << c;
      }
      d.psum_in_valid_i = pin_valid;
      d.psum_out_ready_i = pout_ready;
      sim_.eval();
      const bool flt_fire = d.flt_valid_i && d.flt_ready_o;
      const bool ifm_fire = d.ifm_valid_i && d.ifm_ready_o;
      const uint32_t pin_fire = uint32_t(d.psum_in_valid_i) & uint32_t(d.psum_in_ready_o);
      const uint32_t pout_fire = uint32_t(d.psum_out_valid_o) & uint32_t(d.psum_out_ready_i);
      for (int c = 0; c < cols; ++c) {  // data of the columns whose psum moves at this edge
        if (pout_fire & (1u << c)) {
          pout_data[c] = golden::wrap(int64_t(sim::wide_get(d.psum_out_data_o, c * acc, acc)), acc);
        }
      }
      res.macs += d.evt_mac_o;
      res.skipped += d.evt_skip_o;
      sim_.tick();
      if (flt_fire) flt.commit_fire();
      if (ifm_fire) ifm.commit_fire();
      for (int c = 0; c < cols; ++c) {
        if (pin_fire & (1u << c)) pin[c].commit_fire();
        if (pout_fire & (1u << c)) res.psum_out[c].push_back(pout_data[c]);
      }
      if (sim::end_of_cycle(res, cyc, sim_.assertion_failed(), d.done_o, d.err_code_o,
                            max_cycles)) {
        break;
      }
    }
    d.start_i = 0;
    d.flt_valid_i = 0;
    d.ifm_valid_i = 0;
    d.psum_in_valid_i = 0;
    d.psum_out_ready_i = 0;
    sim_.eval();
    if (res.err_code == 0 && (!flt.empty() || !ifm.empty())) {
      res.failure +=
          fmt::format("{}network words left: filter {} ifmap {}",
                      res.failure.empty() ? "done with " : "; ", flt.pending(), ifm.pending());
    }
    return res;
  }

  void finish() { sim_.finish(); }

 private:
  sim::Simulation<Model> sim_;
  uint64_t seed_;
  uint64_t runs_ = 0;
};

// Empty if the run matches the stimulus' expectations exactly.
inline std::string compare_array_run(const ArrayStimulus& st, const ArrayRunResult& got) {
  if (!got.failure.empty()) return got.failure;
  if (!got.done) return "array never signalled done";
  if (got.err_code != 0) return fmt::format("array refused the program: error {}", got.err_code);
  for (std::size_t c = 0; c < st.expect_out.size(); ++c) {
    const auto& want = st.expect_out[c];
    const auto& have = got.psum_out[c];
    for (std::size_t i = 0; i < std::min(want.size(), have.size()); ++i) {
      if (want[i] != have[i]) {
        return fmt::format("column {} psum {}: rtl {} golden {}", c, i, have[i], want[i]);
      }
    }
    if (want.size() != have.size()) {
      return fmt::format("column {}: rtl emitted {} psums, golden {}", c, have.size(), want.size());
    }
  }
  if (got.macs + got.skipped != st.mac_slots) {
    return fmt::format("MAC slots: rtl {} + {} gated, mapping implies {}", got.macs, got.skipped,
                       st.mac_slots);
  }
  return {};
}

}  // namespace rsnpu::tb
