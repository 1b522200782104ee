#include "accel_run.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <atomic>
#include <cstring>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "accel_harness.h"
#include "rsnpu/csr_map.h"
#include "rsnpu/rtl_models.h"

namespace rsnpu::tb {

namespace {

constexpr uint8_t kCanary = 0xa5;  // DRAM bytes nobody should write
constexpr uint32_t kAlign = 4096;  // regions start on their own 4 KiB page, with a guard page

uint32_t align_up(uint64_t v) { return uint32_t((v + kAlign - 1) / kAlign * kAlign); }

// Calls f with the traits of the top model 'opt' asks for: the fast model when opt.fast and
// no waveform is wanted (it has no tracing), else the checking model.
template <typename F>
void visit_top(const cfg::HwConfig& hw, const RunOptions& opt, F&& f) {
  const bool waves = !opt.wave_path.empty() || !sim::wave_dir_from_env().empty();
  if (opt.fast && !waves) {
    model::visit_top_fast_model(hw.name, f);
  } else {
    model::visit_top_model(hw.name, f);
  }
}

const cfg::HwConfig& find_config(const std::string& name) {
  const cfg::HwConfig* hw = cfg::find(name);
  if (hw == nullptr) throw std::invalid_argument(fmt::format("unknown configuration '{}'", name));
  return *hw;
}

sim::AxiDram::Config dram_config(const DramKnobs& k, uint64_t bytes, uint64_t seed) {
  sim::AxiDram::Config c;
  c.size_bytes = (bytes + kAlign - 1) / kAlign * kAlign;
  c.read_latency = k.read_latency;
  c.write_latency = k.write_latency;
  c.bytes_per_cycle = k.bytes_per_cycle;
  c.ready_prob = k.ready_prob;
  c.seed = seed;
  return c;
}

// Seeded layer data: words of the layer's precision, a third of the activations zero (zero
// gating), magnitudes that keep most results inside the output range.
golden::WordTensor random_words(golden::Shape4 shape, golden::Precision prec, int mag,
                                double zero_share, std::mt19937_64& rng) {
  golden::WordTensor t(shape, 0);
  std::uniform_int_distribution<int> val(-mag, mag);
  std::bernoulli_distribution zero(zero_share);
  const int lim = prec == golden::Precision::kInt8 ? 127 : 32767;
  for (int16_t& v : t.data) {
    v = zero(rng) ? int16_t(0) : int16_t(std::clamp(val(rng), -lim - 1, lim));
  }
  return t;
}

void fill_canary(sim::AxiDram& dram) {
  const std::vector<uint8_t> canary(dram.config().size_bytes, kCanary);
  dram.write_bytes(0, canary.data(), canary.size());
}

template <typename T>
void store(sim::AxiDram& dram, uint32_t addr, const std::vector<T>& v) {
  if (!v.empty()) dram.write_bytes(addr, v.data(), v.size() * sizeof(T));
}

std::vector<uint16_t> load_words(const sim::AxiDram& dram, uint32_t addr, uint64_t bytes) {
  std::vector<uint16_t> w(bytes / 2);
  dram.read_bytes(addr, w.data(), bytes);
  return w;
}

// Compares an output window with the golden tensor's DRAM image (padding words included).
// The window holds images ctot channels apart (ctot 0: the tensor's own channels; more:
// the layer writes part of a concatenation); with 'gaps_untouched', the channels between
// the layer's must still hold the canary.
void compare_output(const std::vector<uint16_t>& got, const golden::WordTensor& expect,
                    LayerReport& rep, int ctot = 0, bool gaps_untouched = false) {
  const golden::Shape4 s = expect.shape;
  if (ctot == 0) ctot = s.c;
  const std::vector<uint16_t> packed = pack_activations(expect);
  const std::size_t wp = std::size_t(s.w + 3) / 4 * 4, plane = wp * std::size_t(s.h);
  const std::size_t len = (std::size_t(s.n - 1) * std::size_t(ctot) + std::size_t(s.c)) * plane;
  std::vector<uint16_t> want(len, uint16_t(kCanary * 0x101));
  std::vector<bool> ours(len, false);
  for (std::size_t i = 0; i < packed.size(); ++i) {
    const std::size_t n = i / plane / std::size_t(s.c), rest = i - n * plane * std::size_t(s.c);
    const std::size_t at = n * std::size_t(ctot) * plane + rest;
    want[at] = packed[i];
    ours[at] = true;
  }
  rep.mismatches = 0;
  for (std::size_t i = 0; i < len; ++i) {
    if (!ours[i] && !gaps_untouched) continue;
    if (i < got.size() && got[i] == want[i]) continue;
    if (rep.mismatches++ == 0 && rep.failure.empty()) {
      const std::size_t x = i % wp, y = i / wp % std::size_t(s.h);
      const std::size_t c = i / plane % std::size_t(ctot), n = i / plane / std::size_t(ctot);
      rep.failure = fmt::format("output [n={} c={} h={} w={}]{}: got {} expected {}", n, c, y, x,
                                !ours[i] ? " (between the layer's channels)"
                                : x >= std::size_t(s.w) ? " (row padding)" : "",
                                i < got.size() ? int16_t(got[i]) : 0, int16_t(want[i]));
    }
  }
  if (rep.mismatches > 1) {
    rep.failure += fmt::format(" ({} of {} words differ)", rep.mismatches, len);
  }
}

// The first DRAM range written outside the union of the output windows [wr_lo, wr_hi) in
// 'windows', if any. The DRAM model merges adjacent writes, and the layers of a
// concatenation write adjacent windows, so a written range is checked against the merged
// windows, not against each one alone.
std::optional<std::pair<uint64_t, uint64_t>> write_outside(const sim::AxiDram& dram,
                                                           const std::vector<DramAddrs>& windows) {
  std::vector<std::pair<uint64_t, uint64_t>> merged;
  for (const DramAddrs& a : windows) merged.emplace_back(a.wr_lo, a.wr_hi);
  std::sort(merged.begin(), merged.end());
  std::size_t k = 0;
  for (std::size_t i = 1; i < merged.size(); ++i) {
    if (merged[i].first <= merged[k].second) {
      merged[k].second = std::max(merged[k].second, merged[i].second);
    } else {
      merged[++k] = merged[i];
    }
  }
  if (!merged.empty()) merged.resize(k + 1);
  for (const auto& [lo, hi] : dram.written_ranges()) {
    const bool inside = std::any_of(merged.begin(), merged.end(), [lo = lo, hi = hi](auto& w) {
      return lo >= w.first && hi <= w.second;
    });
    if (!inside) return std::make_pair(lo, hi);
  }
  return std::nullopt;
}

// Fills the report from a run and checks that every DRAM write so far landed in one of
// 'windows'. A refused layer (err_code) is a failure unless 'refusal_expected'.
template <typename Harness>
void finish_report(Harness& h, const LayerRunResult& r, const std::vector<DramAddrs>& windows,
                   bool refusal_expected, LayerReport& rep, const cfg::HwConfig& hw) {
  rep.cycles = r.cycles;
  rep.pe_macs = r.macs;
  rep.pe_skipped = r.skipped;
  rep.dram_read_bytes = r.dram_read_bytes;
  rep.dram_write_bytes = r.dram_write_bytes;
  rep.err_code = r.err_code;
  rep.counters = r.perf;
  rep.utilization =
      r.cycles == 0 ? 0.0 : double(rep.macs) / (double(r.cycles) * hw.pe_rows * hw.pe_cols);
  if (!r.failure.empty()) {
    rep.failure = r.failure;
  } else if (const auto out = write_outside(h.dram(), windows)) {
    rep.failure = fmt::format("DRAM written outside the output window(s): [0x{:x}, 0x{:x})",
                              out->first, out->second);
  } else if (r.err_code != 0 && !refusal_expected) {
    rep.failure = fmt::format("hardware refused the layer: err_code {} ({})", r.err_code,
                              hw::to_string(hw::CtrlErr(r.err_code)));
  } else if (r.err_code == 0 && rep.macs > 0 &&
             r.macs + r.skipped != uint64_t(mac_slots(rep.desc, rep.map))) {
    rep.failure = fmt::format("PE MACs executed {} + gated {} != the {} MAC slots the mapping "
                              "implies ({} useful MACs)",
                              r.macs, r.skipped, mac_slots(rep.desc, rep.map), rep.macs);
  }
}

// Splits the layers [start, end) over at most 'jobs' simulations: longest estimated layer
// first, each to the simulation with the least estimated work so far (LPT). Each list is in
// network order; no list is empty.
std::vector<std::vector<std::size_t>> assign_layers(const std::vector<int64_t>& est_cycles,
                                                    std::size_t start, int jobs) {
  const std::size_t n = est_cycles.size() - start;
  const std::size_t bins = std::clamp<std::size_t>(std::size_t(std::max(jobs, 1)), 1,
                                                   std::max<std::size_t>(n, 1));
  std::vector<std::vector<std::size_t>> work(bins);
  std::vector<int64_t> load(bins, 0);
  std::vector<std::pair<int64_t, std::size_t>> by_cost;
  for (std::size_t i = start; i < est_cycles.size(); ++i) by_cost.emplace_back(est_cycles[i], i);
  std::stable_sort(by_cost.begin(), by_cost.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (const auto& [cost, i] : by_cost) {
    const std::size_t b = std::size_t(std::min_element(load.begin(), load.end()) - load.begin());
    work[b].push_back(i);
    load[b] += cost;
  }
  for (std::vector<std::size_t>& w : work) std::sort(w.begin(), w.end());
  std::erase_if(work, [](const std::vector<std::size_t>& w) { return w.empty(); });
  if (work.empty()) work.emplace_back();
  return work;
}

}  // namespace

std::string DramKnobs::str() const {
  return fmt::format("DRAM latency {}/{} cycles, {:.1f} B/cycle, ready {:.2f}", read_latency,
                     write_latency, bytes_per_cycle, ready_prob);
}

DramKnobs DramKnobs::random(std::mt19937_64& rng) {
  DramKnobs k;
  auto uni = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  k.read_latency = uni(1, 60);
  k.write_latency = uni(1, 40);
  const double bw[] = {8.0, 8.0, 4.0, 2.4};
  k.bytes_per_cycle = bw[uni(0, 3)];
  const double ready[] = {1.0, 1.0, 0.7, 0.3};
  k.ready_prob = ready[uni(0, 3)];
  return k;
}

LayerPlacement place_layer(const LayerDesc& d, const LayerMap& m, uint32_t base) {
  const DramSizes sz = dram_sizes(d, m);
  LayerPlacement p;
  DramAddrs& a = p.addrs;
  a.ifmap = align_up(base);
  a.weight = align_up(uint64_t(a.ifmap) + sz.ifmap + kAlign);
  a.bias = align_up(uint64_t(a.weight) + sz.weight + kAlign);
  a.residual = align_up(uint64_t(a.bias) + sz.bias + kAlign);
  a.ofmap = align_up(uint64_t(a.residual) + sz.residual + kAlign);
  a.rd_lo = a.ifmap;
  a.rd_hi = uint32_t(a.residual + sz.residual);
  a.wr_lo = a.ofmap;
  a.wr_hi = uint32_t(a.ofmap + sz.ofmap);
  p.dram_bytes = uint64_t(a.wr_hi) + kAlign;
  return p;
}

std::vector<std::pair<uint32_t, uint32_t>> encode_descriptor(const LayerDesc& d, const LayerMap& m,
                                                             const DramAddrs& a) {
  namespace c = csr;
  std::vector<std::pair<uint32_t, uint32_t>> w;
  uint32_t v = 0;
  v = c::channels::c.put(0, uint32_t(d.cg));
  v = c::channels::m.put(v, uint32_t(d.mg));
  w.emplace_back(c::kChannels, v);
  w.emplace_back(c::kOutChannels, c::out_channels::total.put(0, uint32_t(d.out_channels)));
  w.emplace_back(c::kResAddr, a.residual);
  v = c::in_shape::h.put(0, uint32_t(d.h));
  v = c::in_shape::w.put(v, uint32_t(d.w));
  w.emplace_back(c::kInShape, v);
  v = c::flt_shape::r.put(0, uint32_t(d.r));
  v = c::flt_shape::s.put(v, uint32_t(d.s));
  v = c::flt_shape::batch.put(v, uint32_t(d.n));
  w.emplace_back(c::kFltShape, v);
  v = c::conv::stride.put(0, uint32_t(d.stride));
  v = c::conv::pad.put(v, uint32_t(d.pad));
  v = c::conv::groups.put(v, uint32_t(d.groups));
  v = c::conv::int8.put(v, d.prec == golden::Precision::kInt8 ? 1 : 0);
  v = c::conv::bias.put(v, d.bias ? 1 : 0);
  v = c::conv::res.put(v, d.residual ? 1 : 0);
  w.emplace_back(c::kConv, v);
  v = c::output::shift.put(0, uint32_t(d.shift));
  v = c::output::relu.put(v, d.relu ? 1 : 0);
  v = c::output::pool_k.put(v, uint32_t(d.pool_k));
  v = c::output::pool_s.put(v, uint32_t(d.pool_s));
  v = c::output::res_shift.put(v, uint32_t(d.res_shift));
  w.emplace_back(c::kOutput, v);
  v = c::out_shape::e.put(0, uint32_t(m.e));
  v = c::out_shape::f.put(v, uint32_t(m.f));
  w.emplace_back(c::kOutShape, v);
  v = c::pool_shape::ho.put(0, uint32_t(m.ho));
  v = c::pool_shape::wo.put(v, uint32_t(m.wo));
  w.emplace_back(c::kPoolShape, v);
  w.emplace_back(c::kIfmapAddr, a.ifmap);
  w.emplace_back(c::kWeightAddr, a.weight);
  w.emplace_back(c::kBiasAddr, a.bias);
  w.emplace_back(c::kOfmapAddr, a.ofmap);
  w.emplace_back(c::kRdWinLo, a.rd_lo);
  w.emplace_back(c::kRdWinHi, a.rd_hi);
  w.emplace_back(c::kWrWinLo, a.wr_lo);
  w.emplace_back(c::kWrWinHi, a.wr_hi);
  v = c::map0::p.put(0, uint32_t(m.p));
  v = c::map0::q.put(v, uint32_t(m.q));
  v = c::map0::sets.put(v, uint32_t(m.sets));
  v = c::map0::cols.put(v, uint32_t(m.cols));
  w.emplace_back(c::kMap0, v);
  v = c::map1::folds.put(0, uint32_t(m.folds));
  v = c::map1::strip_rows.put(v, uint32_t(m.strip_rows));
  w.emplace_back(c::kMap1, v);
  v = c::map2::n_mt.put(0, uint32_t(m.n_mt));
  v = c::map2::n_ct.put(v, uint32_t(m.n_ct));
  w.emplace_back(c::kMap2, v);
  w.emplace_back(c::kMap3, c::map3::n_strips.put(0, uint32_t(m.n_strips)));
  return w;
}

namespace {

// Watchdog budget: generous against the mapper's estimate, never unbounded. The estimate
// misses the serial psum drain and write back of layers with many outputs per pass (fmnist
// conv1 on eyeriss runs 5.2x its estimate), hence the factor 16.
uint64_t watchdog_cycles(const cfg::HwConfig& hw, const LayerDesc& d, const LayerMap& m,
                         const DramKnobs& k) {
  const double slow = 8.0 / std::min(k.bytes_per_cycle, 8.0) / k.ready_prob;
  return uint64_t(double(estimated_cycles(hw, d, m)) * 16.0 * slow) + 20000 +
         uint64_t(m.passes(d)) * uint64_t(k.read_latency + k.write_latency) * 40;
}

struct LayerData {
  golden::WordTensor x, w, res;  // res: empty without a residual
  std::vector<int64_t> bias;
};

LayerData random_layer_data(const LayerDesc& d, uint64_t seed) {
  std::mt19937_64 rng(seed * 0x9e3779b97f4a7c15ull + 17);
  const bool i8 = d.prec == golden::Precision::kInt8;
  LayerData ld;
  ld.x = random_words(golden::Shape4{d.n, d.groups * d.cg, d.h, d.w}, d.prec, i8 ? 127 : 2048, 0.3,
                      rng);
  ld.w = random_words(golden::Shape4{d.groups * d.mg, d.cg, d.r, d.s}, d.prec, i8 ? 127 : 1024, 0.1,
                      rng);
  if (d.bias) {
    std::uniform_int_distribution<int64_t> b(-(int64_t{1} << 20), int64_t{1} << 20);
    for (int i = 0; i < d.groups * d.mg; ++i) ld.bias.push_back(b(rng));
  }
  if (d.residual) {
    ld.res = random_words(golden::Shape4{d.n, d.groups * d.mg, d.conv_e(), d.conv_f()}, d.prec,
                          i8 ? 127 : 4096, 0.2, rng);
  }
  return ld;
}

}  // namespace

LayerReport run_layer_rtl(const LayerDesc& d, const RunOptions& opt) {
  const cfg::HwConfig& hw = find_config(opt.config);
  LayerReport rep;
  rep.desc = d;
  rep.map = map_layer(hw, d);
  rep.macs = d.macs();
  rep.active_pes = rep.map.active_pes(d);
  const LayerData ld = random_layer_data(d, opt.seed);
  const golden::WordTensor expect = golden_layer(d, ld.x, ld.w, ld.bias, ld.res, hw.acc_bits);
  const LayerPlacement pl = place_layer(d, rep.map);
  const DramSizes sz = dram_sizes(d, rep.map);
  const auto t0 = std::chrono::steady_clock::now();
  visit_top(hw, opt, [&](auto traits) {
    using Traits = decltype(traits);
    // RSNPU_WAVES=dir writes dir/<name>.fst.
    AccelHarness<Traits> h(sim::SimOptions{fmt::format("layer_{}_seed{}", hw.name, opt.seed),
                                           opt.wave_path, opt.seed, 5000},
                           dram_config(opt.dram, pl.dram_bytes, opt.seed));
    fill_canary(h.dram());
    store(h.dram(), pl.addrs.ifmap, pack_activations(ld.x));
    store(h.dram(), pl.addrs.weight, pack_weight_blobs(d, rep.map, ld.w));
    store(h.dram(), pl.addrs.bias, pack_bias_blobs(d, rep.map, ld.bias));
    if (d.residual) store(h.dram(), pl.addrs.residual, pack_activations(ld.res));
    const LayerRunResult r = h.run_layer(encode_descriptor(d, rep.map, pl.addrs),
                                         watchdog_cycles(hw, d, rep.map, opt.dram));
    finish_report(h, r, {pl.addrs}, false, rep, hw);
    compare_output(load_words(h.dram(), pl.addrs.ofmap, sz.ofmap), expect, rep, d.out_ctot(),
                   true);
  });
  rep.sim_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  rep.bitexact = rep.failure.empty() && rep.mismatches == 0;
  return rep;
}

RawRun run_descriptor_rtl(const LayerDesc& d, const LayerMap& m, const DramAddrs& a,
                          const RunOptions& opt) {
  const cfg::HwConfig& hw = find_config(opt.config);
  RawRun raw;
  raw.report.desc = d;
  raw.report.map = m;
  const uint64_t top = std::max<uint64_t>({a.ifmap, a.weight, a.bias, a.ofmap, a.rd_hi, a.wr_hi});
  visit_top(hw, opt, [&](auto traits) {
    using Traits = decltype(traits);
    // RSNPU_WAVES=dir writes dir/<name>.fst.
    AccelHarness<Traits> h(sim::SimOptions{fmt::format("descriptor_{}_seed{}", hw.name, opt.seed),
                                           opt.wave_path, opt.seed, 5000},
                           dram_config(opt.dram, top + 2 * kAlign, opt.seed));
    fill_canary(h.dram());
    const LayerRunResult r = h.run_layer(encode_descriptor(d, m, a), 2'000'000);
    finish_report(h, r, {a}, true, raw.report, hw);
    raw.dram_written = !h.dram().written_ranges().empty() || r.dram_write_bytes != 0;
    raw.outside_window = write_outside(h.dram(), {a}).has_value();
  });
  return raw;
}

std::vector<int64_t> NetworkPlan::sim_est_cycles() const {
  std::vector<int64_t> load;
  for (const std::vector<std::size_t>& w : work) {
    int64_t sum = 0;
    for (std::size_t i : w) sum += est_cycles[i];
    load.push_back(sum);
  }
  return load;
}

double remaining_seconds(const std::vector<int64_t>& load, const std::vector<int64_t>& done,
                         const std::vector<double>& last_s, double elapsed_s) {
  const std::size_t n = load.size();
  if (done.size() != n || last_s.size() != n) {
    throw std::invalid_argument("remaining_seconds: one load, done and last_s per simulation");
  }
  auto finished = [&](std::size_t w) { return done[w] > 0 && last_s[w] > 0; };
  double rate_sum = 0;  // estimated cycles per second, over the simulations that finished some
  int rated = 0;
  for (std::size_t w = 0; w < n; ++w) {
    if (finished(w)) {
      rate_sum += double(done[w]) / last_s[w];
      ++rated;
    }
  }
  if (rated == 0) return -1.0;
  double left = 0;
  for (std::size_t w = 0; w < n; ++w) {
    const double rate = finished(w) ? double(done[w]) / last_s[w] : rate_sum / rated;
    const double since = elapsed_s - (finished(w) ? last_s[w] : 0.0);  // in the running layer
    const double rest = double(std::max<int64_t>(load[w] - done[w], 0)) / rate;
    left = std::max(left, std::max(rest - since, 0.0));
  }
  return left;
}

NetworkPlan plan_network(const net::Network& net, int batch, const RunOptions& opt) {
  const cfg::HwConfig& hw = find_config(opt.config);
  NetworkPlan plan;
  std::vector<LoweredLayer>& lowered = plan.lowered;
  std::vector<LayerMap>& maps = plan.maps;
  // A fully connected layer over an input of more than one row lowers two ways (FcLowering):
  // one filter over the whole input, or one channel per input row. Both read the same DRAM
  // images, so each such layer takes the lowering that maps with fewer estimated cycles (the
  // whole input on a tie); every other layer lowers the same either way.
  const std::vector<LoweredLayer> whole = lower_network(net, batch, FcLowering::kWholeInput);
  const std::vector<LoweredLayer> rows = lower_network(net, batch, FcLowering::kRowsAsChannels);
  auto map_named = [&hw, &net](const LoweredLayer& l) {
    try {
      return map_layer(hw, l.desc);
    } catch (const MapError& e) {
      throw MapError(
          fmt::format("{} on {}: layer \"{}\": {}", net.name, hw.name, l.name, e.what()));
    }
  };
  for (std::size_t i = 0; i < whole.size(); ++i) {
    const bool two_ways = whole[i].desc.h != rows[i].desc.h;
    std::optional<LayerMap> map_whole;
    try {
      map_whole = map_named(whole[i]);
    } catch (const MapError&) {
      if (!two_ways) throw;
    }
    const int64_t est_whole = map_whole ? estimated_cycles(hw, whole[i].desc, *map_whole)
                                        : std::numeric_limits<int64_t>::max();
    if (two_ways) {
      const LayerMap map_rows = map_named(rows[i]);  // the error names the layer if neither maps
      const int64_t est_rows = estimated_cycles(hw, rows[i].desc, map_rows);
      if (est_rows < est_whole) {
        lowered.push_back(rows[i]);
        maps.push_back(map_rows);
        plan.est_cycles.push_back(est_rows);
        continue;
      }
    }
    lowered.push_back(whole[i]);
    maps.push_back(*map_whole);
    plan.est_cycles.push_back(est_whole);
  }
  // The first layer to simulate, checked before the golden run.
  std::size_t& start = plan.start;
  if (!opt.first_layer.empty()) {
    const net::Layer* first = net.find(opt.first_layer);
    if (first == nullptr) {
      throw MapError(fmt::format("{}: no layer named '{}'", net.name, opt.first_layer));
    }
    while (start < lowered.size() && lowered[start].weight_layer() != first->index) ++start;
    if (start == lowered.size()) {
      throw MapError(fmt::format("{}: layer '{}' runs fused into another hardware layer or as "
                                 "no hardware layer; start at a conv, fc or standalone pool",
                                 net.name, opt.first_layer));
    }
  }
  plan.work = assign_layers(plan.est_cycles, start, opt.jobs);
  return plan;
}

NetworkReport run_network_rtl(const net::Network& net, int batch, const RunOptions& opt,
                              const Progress& progress) {
  return run_network_rtl(net, net::make_random_data(net, opt.seed),
                         net::make_random_input(net, batch, opt.seed), opt, progress);
}

NetworkReport run_network_rtl(const net::Network& net, const net::NetworkData& data,
                              const golden::WordTensor& input, const RunOptions& opt,
                              const Progress& progress) {
  const int batch = input.shape.n;
  const cfg::HwConfig& hw = find_config(opt.config);
  NetworkReport nr;
  nr.network = net.name;
  nr.config = hw.name;
  nr.batch = batch;
  nr.seed = opt.seed;
  const NetworkPlan plan = plan_network(net, batch, opt);
  const std::vector<LoweredLayer>& lowered = plan.lowered;
  const std::vector<LayerMap>& maps = plan.maps;
  const std::size_t start = plan.start;
  const std::vector<golden::WordTensor> gold = net::run_golden(net, data, input, hw.acc_bits);

  // DRAM plan: the tensors (0: the input; a concatenation is one tensor that several
  // layers write at channel offsets), then per layer its weights and biases, each on its own
  // pages. A layer may read all of DRAM and writes only its channels of its output tensor.
  uint64_t next = kAlign;
  auto alloc = [&next](uint64_t bytes) {
    const uint64_t at = next;
    next = align_up(next + std::max<uint64_t>(bytes, 8) + kAlign);
    return uint32_t(at);
  };
  auto tensor_bytes = [](const golden::Shape4& t) {
    return uint64_t(t.n) * t.c * t.h * ((uint64_t(t.w) + 3) / 4 * 4) * 2;
  };
  const std::vector<uint16_t> input_image = pack_activations(input);
  std::vector<golden::Shape4> tensors{input.shape};
  for (const LoweredLayer& l : lowered) {
    if (std::size_t(l.out_tensor) >= tensors.size()) tensors.resize(std::size_t(l.out_tensor) + 1);
    tensors[std::size_t(l.out_tensor)] = l.tensor_shape;
  }
  std::vector<uint32_t> tensor_addr;
  for (const golden::Shape4& t : tensors) tensor_addr.push_back(alloc(tensor_bytes(t)));
  std::vector<DramAddrs> addrs(lowered.size());
  std::vector<uint64_t> out_bytes(lowered.size());
  for (std::size_t i = 0; i < lowered.size(); ++i) {
    const LoweredLayer& l = lowered[i];
    const DramSizes sz = dram_sizes(l.desc, maps[i]);
    DramAddrs& a = addrs[i];
    a.ifmap = tensor_addr[std::size_t(l.in_tensor)];
    a.weight = alloc(sz.weight);
    a.bias = alloc(sz.bias);
    a.residual = l.res_tensor < 0 ? 0 : tensor_addr[std::size_t(l.res_tensor)];
    const golden::Shape4& t = tensors[std::size_t(l.out_tensor)];
    a.ofmap = uint32_t(tensor_addr[std::size_t(l.out_tensor)] +
                       uint64_t(l.out_offset) * t.h * ((uint64_t(t.w) + 3) / 4 * 4) * 2);
    out_bytes[i] = sz.ofmap;
    a.wr_lo = a.ofmap;
    a.wr_hi = uint32_t(a.ofmap + sz.ofmap);
  }
  for (DramAddrs& a : addrs) {
    a.rd_lo = kAlign;
    a.rd_hi = uint32_t(next);
  }
  const uint32_t in_addr = tensor_addr[0];
  DramKnobs knobs = opt.dram;
  // Which worker simulates which layers (each worker: its own simulation, its layers in
  // network order). One worker: all layers, each reading its predecessors' RTL output.
  const std::vector<std::vector<std::size_t>>& work = plan.work;
  const std::vector<int64_t> sim_load = plan.sim_est_cycles();
  std::vector<int64_t> sim_done(work.size(), 0);
  std::vector<double> sim_last_s(work.size(), 0.0);  // when each finished its latest layer
  if (work.size() > 1 && !opt.wave_path.empty()) {
    throw std::invalid_argument("a waveform needs one simulation: run with --jobs 1");
  }
  std::vector<LayerReport> reports(lowered.size());
  std::vector<char> ran(lowered.size(), 0);
  std::atomic<bool> hung{false};
  std::mutex progress_mu;
  int done = 0;
  const int to_run = int(lowered.size() - start);
  const auto t0 = std::chrono::steady_clock::now();
  auto worker = [&](std::size_t w) {
    const std::vector<std::size_t>& mine = work[w];
    visit_top(hw, opt, [&](auto traits) {
      using Traits = decltype(traits);
      // RSNPU_WAVES=dir writes dir/<name>.fst.
      const std::string sim_name =
          work.size() > 1 ? fmt::format("{}_{}_seed{}_w{}", net.name, hw.name, opt.seed, w)
                          : fmt::format("{}_{}_seed{}", net.name, hw.name, opt.seed);
      AccelHarness<Traits> h(sim::SimOptions{sim_name, opt.wave_path, opt.seed, 5000},
                             dram_config(knobs, next + kAlign, opt.seed));
      fill_canary(h.dram());
      store(h.dram(), in_addr, input_image);
      // Weights and biases of the layers this simulation runs (no other layer reads them).
      for (std::size_t i : mine) {
        const LoweredLayer& l = lowered[i];
        store(h.dram(), addrs[i].weight, pack_weight_blobs(l.desc, maps[i], l.weights(data)));
        store(h.dram(), addrs[i].bias, pack_bias_blobs(l.desc, maps[i], l.bias(data)));
      }
      // Layers this simulation does not run: their golden outputs where the RTL writes them,
      // image by image (channel offset and stride of the output tensor, rows padded to 4
      // words), before the first layer that reads them. A layer this simulation runs is
      // never preloaded, so its output window holds the canary until the RTL writes it.
      std::vector<char> present(lowered.size(), 0);
      for (std::size_t i : mine) present[i] = 1;
      std::size_t preloaded = 0;
      auto preload_before = [&](std::size_t upto) {
        for (; preloaded < upto; ++preloaded) {
          if (present[preloaded]) continue;
          const LoweredLayer& l = lowered[preloaded];
          const golden::WordTensor& out = gold[std::size_t(l.last())];
          const golden::Shape4& t = tensors[std::size_t(l.out_tensor)];
          const uint64_t plane = uint64_t(t.h) * ((uint64_t(t.w) + 3) / 4 * 4) * 2;
          for (int n = 0; n < out.shape.n; ++n) {
            golden::WordTensor img(golden::Shape4{1, out.shape.c, out.shape.h, out.shape.w});
            const auto from = out.data.begin() + long(out.index(n, 0, 0, 0));
            std::copy(from, from + long(img.data.size()), img.data.begin());
            store(h.dram(), uint32_t(addrs[preloaded].ofmap + uint64_t(n) * t.c * plane),
                  pack_activations(img));
          }
        }
      };
      // Every write so far must sit in the output window of a layer this simulation ran.
      std::vector<DramAddrs> windows;
      for (std::size_t i : mine) {
        if (hung) break;
        preload_before(i);
        const LoweredLayer& l = lowered[i];
        LayerReport& rep = reports[i];
        rep.name = l.name;
        rep.desc = l.desc;
        rep.map = maps[i];
        rep.macs = l.desc.macs();
        rep.active_pes = maps[i].active_pes(l.desc);
        rep.sim = int(w);
        const auto l0 = std::chrono::steady_clock::now();
        const LayerRunResult r = h.run_layer(encode_descriptor(l.desc, maps[i], addrs[i]),
                                             watchdog_cycles(hw, l.desc, maps[i], knobs));
        windows.push_back(addrs[i]);
        finish_report(h, r, windows, false, rep, hw);
        const std::vector<uint16_t> out_words = load_words(h.dram(), addrs[i].ofmap, out_bytes[i]);
        compare_output(out_words, gold[std::size_t(l.last())], rep, l.tensor_shape.c);
        if (i + 1 == lowered.size()) {
          const golden::Shape4 t = l.tensor_shape;
          nr.output = unpack_activations(
              load_words(h.dram(), tensor_addr[std::size_t(l.out_tensor)], tensor_bytes(t)), t);
        }
        rep.sim_seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - l0).count();
        rep.bitexact = rep.failure.empty() && rep.mismatches == 0;
        ran[i] = 1;
        {
          const std::lock_guard<std::mutex> lock(progress_mu);
          const double elapsed =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          sim_done[w] += plan.est_cycles[i];
          sim_last_s[w] = elapsed;
          if (progress) {
            progress(rep, done, to_run, remaining_seconds(sim_load, sim_done, sim_last_s, elapsed));
          }
          ++done;
        }
        if (!rep.failure.empty() && r.err_code == 0 && !r.done) {  // the RTL hung
          hung = true;
          break;
        }
      }
    });
  };
  if (work.size() == 1) {
    worker(0);
  } else {
    // A worker's exception is rethrown here once every worker has stopped.
    std::vector<std::exception_ptr> errors(work.size());
    std::vector<std::thread> threads;
    for (std::size_t w = 0; w < work.size(); ++w) {
      threads.emplace_back([&, w] {
        try {
          worker(w);
        } catch (...) {
          errors[w] = std::current_exception();
          hung = true;
        }
      });
    }
    for (std::thread& t : threads) t.join();
    for (const std::exception_ptr& e : errors) {
      if (e) std::rethrow_exception(e);
    }
  }
  for (std::size_t i = start; i < lowered.size(); ++i) {
    if (ran[i]) {
      nr.cycles += reports[i].cycles;
      nr.layers.push_back(std::move(reports[i]));
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nr.sim_seconds = secs;
  nr.sim_cycles_per_s = secs > 0 ? uint64_t(double(nr.cycles) / secs) : 0;
  nr.bitexact = !nr.layers.empty() && nr.layers.size() == lowered.size() - start &&
                std::all_of(nr.layers.begin(), nr.layers.end(),
                            [](const LayerReport& r) { return r.bitexact; });
  return nr;
}

}  // namespace rsnpu::tb
