#include "pe_job.h"

#include <fmt/format.h>

#include <algorithm>
#include <random>

namespace rsnpu::tb {

std::string PeProgram::str() const {
  return fmt::format("S={} p={} q={} U={} E={} rows={} {}{}{}", s, p, q, stride, e, rows,
                     golden::to_string(prec), flt_load ? " load" : " reuse",
                     acc_in ? " acc_in" : "");
}

std::string PeKnobs::str() const {
  return fmt::format("valid flt/ifm/psum_in {:.2f}/{:.2f}/{:.2f} ready psum_out {:.2f}", flt_valid,
                     ifm_valid, psum_in_valid, psum_out_ready);
}

std::string PeCase::str() const {
  std::string s = fmt::format("seed={} jobs={} [{}]", seed, jobs.size(), knobs.str());
  for (const PeJob& j : jobs) s += " {" + j.prog.str() + "}";
  return s;
}

golden::RowConvProblem row_problem(const PeJob& job, const std::vector<int16_t>& weights, int row,
                                   int acc_bits) {
  golden::RowConvProblem rp;
  rp.s = job.prog.s;
  rp.p = job.prog.p;
  rp.q = job.prog.q;
  rp.stride = job.prog.stride;
  rp.e = job.prog.e;
  rp.prec = job.prog.prec;
  rp.acc_bits = acc_bits;
  rp.acc_in = job.prog.acc_in;
  rp.weights = weights;
  rp.ifmap = job.ifmap_rows.at(row);
  if (job.prog.acc_in) rp.psum_in = job.psum_in_rows.at(row);
  return rp;
}

namespace {

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}
  int uni(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  double real() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }
  bool chance(double p) { return real() < p; }
  template <typename T>
  T pick(std::initializer_list<T> xs) {
    return *(xs.begin() + uni(0, int(xs.size()) - 1));
  }

  // A word for precision 'prec' drawn from a value mode.
  int16_t word(golden::Precision prec, int mode, double zero_frac) {
    if (chance(zero_frac)) {
      // Zero operand; in INT8 sometimes with garbage in the ignored upper byte.
      if (prec == golden::Precision::kInt8 && chance(0.3)) return int16_t(uni(1, 255) << 8);
      return 0;
    }
    int v = 0;
    const bool i8 = prec == golden::Precision::kInt8;
    const int lo = i8 ? -128 : -32768;
    const int hi = i8 ? 127 : 32767;
    switch (mode) {
      case 0:
        v = uni(lo, hi);
        break;  // full range
      case 1:
        v = uni(-8, 8);
        break;  // small
      default:
        v = chance(0.5) ? lo : (chance(0.5) ? hi : lo + 1);
        break;  // extremes
    }
    if (i8) {
      // Only the low byte is an operand: fill the upper byte with garbage half the time.
      const int upper = chance(0.5) ? uni(0, 255) : (v < 0 ? 0xff : 0x00);
      return int16_t(uint16_t((upper << 8) | (v & 0xff)));
    }
    return int16_t(v);
  }

  std::mt19937_64& rng() { return rng_; }

 private:
  std::mt19937_64 rng_;
};

// Legal (S, p, q) for the configuration, biased toward the spad limits.
void pick_shape(Gen& g, const cfg::HwConfig& cfg, PeProgram& prog) {
  const int ifm = cfg.ifmap_spad_words;
  const int flt = cfg.filter_spad_words;
  const int psum = cfg.psum_spad_words;
  const int corner = g.uni(0, 5);
  if (corner == 0) {
    prog.s = 1;  // 1-D "pointwise" rows
  } else if (corner == 1) {
    prog.s = std::min(ifm, flt);  // widest filter the spads hold
  } else {
    prog.s = g.uni(1, std::min({ifm, flt, 11}));
  }
  const int q_max = std::max(1, ifm / prog.s);
  prog.q = (corner == 2) ? q_max : g.uni(1, q_max);
  const int p_max = std::max(1, std::min(psum, flt / (prog.q * prog.s)));
  prog.p = (corner == 3 || corner == 2) ? p_max : g.uni(1, p_max);
  const int stride_kind = g.uni(0, 4);
  if (stride_kind == 0) {
    prog.stride = 1;
  } else if (stride_kind == 1) {
    prog.stride = prog.s;
  } else if (stride_kind == 2) {
    prog.stride = std::min(15, prog.s + g.uni(1, 4));  // U > S: columns dropped
  } else {
    prog.stride = g.uni(1, std::min(15, prog.s + 2));
  }
  prog.e = g.chance(0.15) ? g.uni(20, 60) : g.uni(1, 9);
  prog.rows = g.chance(0.2) ? g.uni(3, 5) : g.uni(1, 2);
}

}  // namespace

PeCase random_case(const cfg::HwConfig& cfg, uint64_t seed) {
  Gen g(seed);
  PeCase c;
  c.seed = seed;
  const auto stall = [&g]() { return g.pick({1.0, 1.0, 0.8, 0.5, 0.2}); };
  c.knobs.flt_valid = stall();
  c.knobs.ifm_valid = stall();
  c.knobs.psum_in_valid = stall();
  c.knobs.psum_out_ready = stall();

  const int n_jobs = g.chance(0.35) ? g.uni(2, 3) : 1;
  PeProgram base;
  pick_shape(g, cfg, base);
  base.prec = g.chance(0.4) ? golden::Precision::kInt8 : golden::Precision::kInt16;
  const int value_mode = g.pick({0, 0, 1, 2});
  const double zero_frac = g.pick({0.0, 0.1, 0.5, 0.9});

  for (int j = 0; j < n_jobs; ++j) {
    PeJob job;
    job.prog = base;
    // Later jobs reuse the loaded filters (same S, p, q) or load new ones.
    job.prog.flt_load = (j == 0) || g.chance(0.3);
    if (j > 0) {
      job.prog.e = g.chance(0.15) ? g.uni(20, 40) : g.uni(1, 9);
      job.prog.rows = g.uni(1, 3);
      // Filters are held in the precision they were loaded in: a reuse keeps it.
      job.prog.prec = !job.prog.flt_load ? c.jobs.back().prog.prec
                      : g.chance(0.4)    ? golden::Precision::kInt8
                                         : golden::Precision::kInt16;
    }
    job.prog.acc_in = g.chance(0.5);
    const PeProgram& pr = job.prog;
    if (pr.flt_load) {
      job.weights.resize(std::size_t(pr.p) * pr.q * pr.s);
      for (auto& w : job.weights) w = g.word(pr.prec, value_mode, 0.1);
    }
    const int width = (pr.e - 1) * pr.stride + pr.s;
    for (int r = 0; r < pr.rows; ++r) {
      std::vector<int16_t> row(std::size_t(pr.q) * width);
      for (auto& x : row) x = g.word(pr.prec, value_mode, zero_frac);
      job.ifmap_rows.push_back(std::move(row));
      if (pr.acc_in) {
        std::vector<int64_t> ps(std::size_t(pr.e) * pr.p);
        for (auto& v : ps) {
          v = g.chance(0.2) ? golden::wrap(int64_t(g.rng()()), cfg.acc_bits)
                            : g.uni(-100000, 100000);
        }
        job.psum_in_rows.push_back(std::move(ps));
      }
    }
    c.jobs.push_back(std::move(job));
  }
  return c;
}

}  // namespace rsnpu::tb
