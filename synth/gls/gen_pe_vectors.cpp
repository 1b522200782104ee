// Stimulus and expected psums for the gate-level simulation of the PE (synth/gls).
// Seeded random legal PE jobs, checked against golden::row_conv1d (docs/numerics.md 6).
//
// usage: gen_pe_vectors SEED JOBS FLT_WORDS IFM_WORDS PSUM_WORDS STIM_FILE EXP_FILE
//
// STIM_FILE (whitespace separated; words in hex):
//   njobs
//   per job: s p q stride e rows int8 flt_load acc_in n_flt n_ifm n_psum_in n_psum_out
//            n_flt filter words (16-bit), n_ifm ifmap words (16-bit),
//            n_psum_in psum words (32-bit)
// EXP_FILE: total psum count, then every expected psum_out word (32-bit hex), jobs in order.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "rsnpu/golden/golden.h"

namespace g = rsnpu::golden;

int main(int argc, char** argv) {
  if (argc != 8) {
    std::fprintf(stderr, "usage: %s SEED JOBS FLT_WORDS IFM_WORDS PSUM_WORDS STIM_FILE EXP_FILE\n",
                 argv[0]);
    return 2;
  }
  const uint64_t seed = std::strtoull(argv[1], nullptr, 0);
  const int njobs = std::atoi(argv[2]);
  const int flt_words = std::atoi(argv[3]);
  const int ifm_words = std::atoi(argv[4]);
  const int psum_words = std::atoi(argv[5]);
  FILE* st = std::fopen(argv[6], "w");
  FILE* ex = std::fopen(argv[7], "w");
  if (!st || !ex || njobs < 1) {
    std::fprintf(stderr, "gen_pe_vectors: cannot open outputs or bad JOBS\n");
    return 1;
  }
  std::mt19937_64 rng(seed);
  auto uni = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  auto word16 = [&]() { return static_cast<int16_t>(uni(-32768, 32767)); };

  std::fprintf(st, "%d\n", njobs);
  std::vector<uint32_t> expected;
  bool held = false;
  int hs = 0, hp = 0, hq = 0;
  g::Precision hprec = g::Precision::kInt16;  // filters are reused in the precision loaded
  std::vector<int16_t> weights;
  for (int j = 0; j < njobs; ++j) {
    g::RowConvProblem pr;
    bool load = !held || uni(0, 3) != 0;  // reuse the held filters in ~1/4 of the jobs
    if (load) {
      pr.s = uni(1, ifm_words);
      pr.q = uni(1, ifm_words / pr.s);
      pr.p = uni(1, psum_words);
      while (pr.p * pr.q * pr.s > flt_words) --pr.p;
      if (pr.p < 1) {  // q*S alone above the filter spad: shrink q
        pr.p = 1;
        while (pr.q * pr.s > flt_words) --pr.q;
      }
      weights.resize(static_cast<size_t>(pr.p * pr.q * pr.s));
      for (auto& w : weights) w = word16();
      held = true;
      hs = pr.s;
      hp = pr.p;
      hq = pr.q;
    } else {
      pr.s = hs;
      pr.p = hp;
      pr.q = hq;
    }
    pr.stride = uni(1, 4);
    pr.e = uni(1, 5);
    const int rows = uni(1, 3);
    const g::Precision drawn = uni(0, 1) ? g::Precision::kInt8 : g::Precision::kInt16;
    pr.prec = load ? drawn : hprec;
    hprec = pr.prec;
    pr.acc_bits = 32;
    pr.acc_in = uni(0, 1) != 0;
    pr.weights = weights;
    const int width = pr.width();
    const int zero_pct = uni(0, 2) * 25;  // 0, 25 or 50 % zero ifmap words

    std::vector<int16_t> ifm_stream;
    std::vector<int64_t> pin_stream;
    std::vector<int64_t> out_stream;
    for (int r = 0; r < rows; ++r) {
      pr.ifmap.assign(static_cast<size_t>(pr.q * width), 0);
      for (auto& x : pr.ifmap) x = (uni(0, 99) < zero_pct) ? int16_t{0} : word16();
      pr.psum_in.assign(static_cast<size_t>(pr.e * pr.p), 0);
      if (pr.acc_in) {
        for (auto& v : pr.psum_in) v = static_cast<int32_t>(rng());
      }
      // Ifmap port order: column by column, q channels per column.
      for (int col = 0; col < width; ++col)
        for (int qq = 0; qq < pr.q; ++qq) ifm_stream.push_back(pr.ifmap[qq * width + col]);
      if (pr.acc_in) pin_stream.insert(pin_stream.end(), pr.psum_in.begin(), pr.psum_in.end());
      const g::RowConvResult res = g::row_conv1d(pr);
      out_stream.insert(out_stream.end(), res.psum_out.begin(), res.psum_out.end());
    }
    const size_t nflt = load ? weights.size() : 0;
    std::fprintf(st, "%d %d %d %d %d %d %d %d %d %zu %zu %zu %zu\n", pr.s, pr.p, pr.q, pr.stride,
                 pr.e, rows, pr.prec == g::Precision::kInt8 ? 1 : 0, load ? 1 : 0,
                 pr.acc_in ? 1 : 0, nflt, ifm_stream.size(), pin_stream.size(), out_stream.size());
    for (size_t i = 0; i < nflt; ++i) std::fprintf(st, "%04x\n", static_cast<uint16_t>(weights[i]));
    for (auto x : ifm_stream) std::fprintf(st, "%04x\n", static_cast<uint16_t>(x));
    for (auto v : pin_stream) std::fprintf(st, "%08x\n", static_cast<uint32_t>(v));
    for (auto v : out_stream) expected.push_back(static_cast<uint32_t>(v));
  }
  std::fprintf(ex, "%zu\n", expected.size());
  for (auto v : expected) std::fprintf(ex, "%08x\n", v);
  std::fclose(st);
  std::fclose(ex);
  std::printf("gen_pe_vectors: seed %llu, %d jobs, %zu psums\n",
              static_cast<unsigned long long>(seed), njobs, expected.size());
  return 0;
}
