#include "pe_scoreboard.h"

#include <fmt/format.h>

namespace rsnpu::tb {

PeEvents& PeEvents::operator+=(const PeEvents& o) {
  mac += o.mac;
  skip += o.skip;
  flt_rd += o.flt_rd;
  flt_wr += o.flt_wr;
  ifm_rd += o.ifm_rd;
  ifm_wr += o.ifm_wr;
  psum_rd += o.psum_rd;
  psum_wr += o.psum_wr;
  return *this;
}

std::string PeEvents::str() const {
  return fmt::format(
      "mac={} skip={} flt_rd={} flt_wr={} ifm_rd={} ifm_wr={} psum_rd={} "
      "psum_wr={}",
      mac, skip, flt_rd, flt_wr, ifm_rd, ifm_wr, psum_rd, psum_wr);
}

std::vector<JobExpect> expect_case(const PeCase& c, const cfg::HwConfig& cfg) {
  std::vector<JobExpect> out;
  std::vector<int16_t> held;  // filters in the filter spad
  for (const PeJob& job : c.jobs) {
    const PeProgram& pr = job.prog;
    if (pr.flt_load) held = job.weights;
    JobExpect ex;
    for (int r = 0; r < pr.rows; ++r) {
      const golden::RowConvResult rr = golden::row_conv1d(row_problem(job, held, r, cfg.acc_bits));
      ex.psum_out.insert(ex.psum_out.end(), rr.psum_out.begin(), rr.psum_out.end());
      ex.events.mac += rr.macs_executed;
      ex.events.skip += rr.macs_skipped;
    }
    const uint64_t rows = uint64_t(pr.rows);
    const uint64_t pqs = uint64_t(pr.p) * pr.q * pr.s;
    // Columns stored per row: all of them unless U > S drops the unused ones.
    const uint64_t width = uint64_t(pr.e - 1) * pr.stride + pr.s;
    const uint64_t kept_cols = pr.stride > pr.s ? uint64_t(pr.e) * pr.s : width;
    ex.events.flt_rd = ex.events.mac;
    ex.events.flt_wr = pr.flt_load ? pqs : 0;
    ex.events.ifm_rd = rows * pr.e * pqs;
    ex.events.ifm_wr = rows * pr.q * kept_cols;
    ex.events.psum_wr = rows * pr.e * pr.p;
    ex.events.psum_rd = ex.events.psum_wr;
    out.push_back(std::move(ex));
  }
  return out;
}

std::string compare_job(const PeJob& job, const JobExpect& want, const PeJobResult& got) {
  if (!got.failure.empty()) return got.failure;
  if (!got.done) return "PE never signalled done";
  if (got.err_code != 0)
    return fmt::format("PE refused a legal program: error code {}", got.err_code);
  const int p = job.prog.p;
  const int e = job.prog.e;
  const std::size_t n = std::min(want.psum_out.size(), got.psum_out.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (want.psum_out[i] != got.psum_out[i]) {
      const std::size_t per_row = std::size_t(e) * p;
      return fmt::format("psum mismatch at row {} e={} p={}: rtl {} golden {}", i / per_row,
                         (i % per_row) / p, i % p, got.psum_out[i], want.psum_out[i]);
    }
  }
  if (want.psum_out.size() != got.psum_out.size()) {
    return fmt::format("psum count: rtl {} golden {}", got.psum_out.size(), want.psum_out.size());
  }
  if (!(want.events == got.events)) {
    return fmt::format("activity counts differ:\n  rtl    {}\n  golden {}", got.events.str(),
                       want.events.str());
  }
  return {};
}

}  // namespace rsnpu::tb
