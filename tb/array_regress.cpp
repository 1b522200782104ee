#include "array_regress.h"

#include <fmt/format.h>

#include <chrono>
#include <random>
#include <stdexcept>

#include "rsnpu/rtl_models.h"

namespace rsnpu::tb {

namespace {

struct LayerData {
  golden::WordTensor input, weights;
  std::vector<int64_t> bias;
};

LayerData random_data(const ConvLayer& l, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const bool i8 = l.prec == golden::Precision::kInt8;
  std::uniform_int_distribution<int> word(i8 ? -128 : -32768, i8 ? 127 : 32767);
  std::uniform_int_distribution<int> zero(0, 3);
  LayerData d;
  d.input = golden::WordTensor(golden::Shape4{1, l.c, l.h, l.w});
  d.weights = golden::WordTensor(golden::Shape4{l.m, l.c, l.r, l.s});
  for (auto& v : d.input.data) v = zero(rng) == 0 ? 0 : int16_t(word(rng));  // ~25% zeros
  for (auto& v : d.weights.data) v = int16_t(word(rng));
  if (l.bias) {
    std::uniform_int_distribution<int64_t> b(-(int64_t{1} << 30), int64_t{1} << 30);
    for (int m = 0; m < l.m; ++m) d.bias.push_back(b(rng));
  }
  return d;
}

template <typename Traits>
LayerOutcome run_layer(const ConvLayer& l, uint64_t seed, const ArrayKnobs& k,
                       const std::string& wave_dir) {
  LayerOutcome out;
  out.seed = seed;
  out.layer = l.str();
  const ArrayPass pass = map_single_pass(Traits::kCfg, l);
  out.mapping = pass.str();
  out.pes_used = pass.rows_used * pass.cols_used;
  const LayerData d = random_data(l, seed);
  const ArrayStimulus st = make_stimulus(Traits::kCfg, l, pass, d.input, d.weights, d.bias);
  // The explicitly padded expectation agrees with the plain layer on the real rows.
  golden::ConvParams cp;
  cp.stride_h = cp.stride_w = l.stride;
  cp.pad_h = cp.pad_w = l.pad;
  const golden::AccTensor ref =
      golden::conv2d_acc(d.input, d.weights, d.bias, cp, l.prec, Traits::kCfg.acc_bits);
  for (int e = 0; e < pass.e_out; ++e) {
    const int col = e % pass.cols_used, fold = e / pass.cols_used;
    for (int x = 0; x < pass.f_out; ++x) {
      for (int m = 0; m < l.m; ++m) {
        const std::size_t i = (std::size_t(fold) * pass.f_out + x) * pass.p + m;
        if (st.expect_out[col].at(i) != ref.at(0, m, e, x)) {
          out.diff = "stimulus expectation broken";
          return out;
        }
      }
    }
  }
  sim::SimOptions so;
  so.name = fmt::format("array_{}_seed{}", Traits::kCfg.name, seed);
  so.seed = seed;
  if (!wave_dir.empty()) so.wave_path = fmt::format("{}/{}.fst", wave_dir, so.name);
  ArrayHarness<Traits> h(so);
  h.program(st.routes);
  const auto t0 = std::chrono::steady_clock::now();
  const ArrayRunResult got = h.run(l, pass, st, k);
  out.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  h.finish();
  out.diff = compare_array_run(st, got);
  out.cycles = got.cycles;
  out.mac_slots = st.mac_slots;
  return out;
}

}  // namespace

ArrayKnobs random_array_knobs(uint64_t seed) {
  std::mt19937_64 rng(seed ^ 0x5eed);
  const double opts[] = {1.0, 1.0, 0.7, 0.3};
  auto pick = [&]() { return opts[std::uniform_int_distribution<int>(0, 3)(rng)]; };
  ArrayKnobs k;
  k.flt_valid = pick();
  k.ifm_valid = pick();
  k.psum_in_valid = pick();
  k.psum_out_ready = pick();
  return k;
}

LayerOutcome run_array_layer(const std::string& config, const ConvLayer& l, uint64_t seed,
                             const ArrayKnobs& k, const std::string& wave_dir) {
  LayerOutcome out;
  const bool found = model::visit_array_model(
      config, [&](auto traits) { out = run_layer<decltype(traits)>(l, seed, k, wave_dir); });
  if (!found) throw std::invalid_argument(fmt::format("unknown configuration '{}'", config));
  return out;
}

std::vector<LayerOutcome> run_array_regression(
    const std::string& config, uint64_t first_seed, uint64_t count, const std::string& wave_dir,
    const std::function<void(uint64_t, uint64_t)>& progress) {
  const cfg::HwConfig* hw = cfg::find(config);
  if (!hw) throw std::invalid_argument(fmt::format("unknown configuration '{}'", config));
  std::vector<LayerOutcome> out;
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t seed = first_seed + i;
    out.push_back(run_array_layer(config, random_single_pass_layer(*hw, seed), seed,
                                  random_array_knobs(seed), wave_dir));
    if (progress) progress(i + 1, count);
  }
  return out;
}

}  // namespace rsnpu::tb
