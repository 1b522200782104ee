#include "pe_regress.h"

#include <fmt/format.h>

#include <chrono>
#include <stdexcept>

#include "rsnpu/rtl_models.h"

namespace rsnpu::tb {

namespace {

template <typename Traits>
CaseOutcome run_case(const PeCase& c, const sim::SimOptions& opt) {
  CaseOutcome out;
  out.seed = c.seed;
  out.summary = c.str();
  const std::vector<JobExpect> want = expect_case(c, Traits::kCfg);
  PeHarness<Traits> h(opt);
  for (std::size_t j = 0; j < c.jobs.size(); ++j) {
    const PeJobResult got = h.run_job(c.jobs[j], c.knobs);
    ++out.jobs;
    out.cycles += got.cycles;
    out.macs += got.events.mac;
    out.skipped += got.events.skip;
    const std::string diff = compare_job(c.jobs[j], want[j], got);
    if (!diff.empty()) {
      out.message = fmt::format("job {} ({}): {}", j, c.jobs[j].prog.str(), diff);
      h.finish();
      return out;
    }
  }
  h.finish();
  out.pass = true;
  return out;
}

}  // namespace

CaseOutcome run_pe_case(const std::string& config, const PeCase& c, const sim::SimOptions& opt) {
  CaseOutcome out;
  const bool found =
      model::visit_pe_model(config, [&](auto traits) { out = run_case<decltype(traits)>(c, opt); });
  if (!found) throw std::invalid_argument(fmt::format("unknown configuration '{}'", config));
  return out;
}

uint64_t RegressReport::passed() const {
  uint64_t n = 0;
  for (const CaseOutcome& c : cases) n += c.pass;
  return n;
}

RegressReport run_pe_regression(const RegressOptions& o,
                                const std::function<void(uint64_t, uint64_t)>& progress) {
  const cfg::HwConfig* hw = cfg::find(o.config);
  if (!hw) throw std::invalid_argument(fmt::format("unknown configuration '{}'", o.config));
  RegressReport rep;
  rep.config = o.config;
  const auto t0 = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < o.count; ++i) {
    const uint64_t seed = o.first_seed + i;
    sim::SimOptions so;
    so.name = fmt::format("pe_{}_seed{}", o.config, seed);
    so.seed = seed;
    if (!o.wave_dir.empty()) so.wave_path = fmt::format("{}/{}.fst", o.wave_dir, so.name);
    rep.cases.push_back(run_pe_case(o.config, random_case(*hw, seed), so));
    if (progress) progress(i + 1, o.count);
  }
  rep.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

}  // namespace rsnpu::tb
