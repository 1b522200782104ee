// The PE RTL against the golden 1-D row convolution: seeded constrained-random regression
// and directed tests of refused programs, restarts, zero gating and waveforms.
//
// Environment: RSNPU_PE_CASES=N overrides the cases per chunk, RSNPU_SEED=S the first seed;
// RSNPU_WAVES=dir writes an FST per case.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <ostream>
#include <string>
#include <tuple>

#include "pe_regress.h"
#include "rsnpu/rtl_models.h"

namespace {

using namespace rsnpu;
using tb::PeErr;
using tb::PeHarness;
using tb::PeJob;
using tb::PeJobResult;
using tb::PeKnobs;

uint64_t env_u64(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : fallback;
}

// ------------------------------------------------------------------------------------
// Random regression: (configuration, chunk) pairs, each chunk its own CTest test.
// ------------------------------------------------------------------------------------
struct Chunk {
  std::string config;
  int index;
  uint64_t cases;
};

void PrintTo(const Chunk& c, std::ostream* os) {
  *os << c.config << " chunk " << c.index << " (" << c.cases << " cases)";
}

class PeRandom : public ::testing::TestWithParam<Chunk> {};

TEST_P(PeRandom, BitExactAgainstGolden) {
  const Chunk& ch = GetParam();
  tb::RegressOptions o;
  o.config = ch.config;
  o.count = env_u64("RSNPU_PE_CASES", ch.cases);
  o.first_seed = env_u64("RSNPU_SEED", 1) + uint64_t(ch.index) * 100000;
  const tb::RegressReport rep = tb::run_pe_regression(o);
  ASSERT_EQ(rep.cases.size(), o.count);
  uint64_t macs = 0;
  for (const tb::CaseOutcome& c : rep.cases) {
    macs += c.macs + c.skipped;
    EXPECT_TRUE(c.pass) << "seed " << c.seed << ": " << c.message << "\n  case: " << c.summary
                        << "\n  replay: build/rsnpu pe-regress --config " << ch.config << " --seed "
                        << c.seed << " --count 1 --waves build/waves";
  }
  EXPECT_GT(macs, 0u);  // the chunk really exercised the MAC pipeline
  RecordProperty("mac_slots", std::to_string(macs));
}

// 3000 cases in make test: tiny 4 x 500, eyeriss 4 x 250 (a few seconds in all).
INSTANTIATE_TEST_SUITE_P(Regression, PeRandom,
                         ::testing::Values(Chunk{"tiny", 0, 500}, Chunk{"tiny", 1, 500},
                                           Chunk{"tiny", 2, 500}, Chunk{"tiny", 3, 500},
                                           Chunk{"eyeriss", 0, 250}, Chunk{"eyeriss", 1, 250},
                                           Chunk{"eyeriss", 2, 250}, Chunk{"eyeriss", 3, 250}),
                         [](const auto& info) {
                           return fmt::format("{}_{}", info.param.config, info.param.index);
                         });

// ------------------------------------------------------------------------------------
// Directed tests, on every configuration.
// ------------------------------------------------------------------------------------
template <typename Traits>
class PeDirected : public ::testing::Test {
 protected:
  static constexpr const cfg::HwConfig& kCfg = Traits::kCfg;

  // A legal job with deterministic data.
  static PeJob make_job(int s, int p, int q, int stride, int e, int rows, bool load, bool acc_in,
                        int zero_every = 0) {
    PeJob j;
    j.prog = {s, p, q, stride, e, rows, golden::Precision::kInt16, load, acc_in};
    if (load) {
      for (int i = 0; i < p * q * s; ++i) j.weights.push_back(int16_t(i * 37 % 201 - 100));
    }
    const int width = (e - 1) * stride + s;
    for (int r = 0; r < rows; ++r) {
      std::vector<int16_t> row;
      for (int i = 0; i < q * width; ++i) {
        const bool z = zero_every > 0 && (i % zero_every) == 0;
        row.push_back(z ? int16_t(0) : int16_t((i * 53 + r * 11) % 255 - 127));
      }
      j.ifmap_rows.push_back(row);
      if (acc_in) {
        std::vector<int64_t> ps;
        for (int i = 0; i < e * p; ++i) ps.push_back(i * 1000 - 7777);
        j.psum_in_rows.push_back(ps);
      }
    }
    return j;
  }

  // Runs 'jobs' as one case and checks every job bit-exactly.
  static void expect_exact(PeHarness<Traits>& h, const std::vector<PeJob>& jobs,
                           const PeKnobs& k = {}) {
    tb::PeCase c;
    c.jobs = jobs;
    const auto want = tb::expect_case(c, kCfg);
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      const PeJobResult got = h.run_job(jobs[i], k);
      EXPECT_EQ(tb::compare_job(jobs[i], want[i], got), "") << "job " << i;
    }
  }

  // Expects the program to be refused with 'code' and the PE to touch nothing.
  static void expect_refused(PeHarness<Traits>& h, const PeJob& job, PeErr code) {
    const PeJobResult got = h.run_job(job, PeKnobs{});
    EXPECT_EQ(got.failure, "");
    EXPECT_TRUE(got.done);
    EXPECT_EQ(got.err_code, int(code)) << job.prog.str();
    EXPECT_LE(got.cycles, 3u);
    EXPECT_TRUE(got.psum_out.empty());
    EXPECT_EQ(got.events, tb::PeEvents{}) << got.events.str();
    EXPECT_TRUE(h.dut().err_o);
  }
};

using ModelTypes = ::testing::Types<model::Pe_tiny, model::Pe_eyeriss>;
TYPED_TEST_SUITE(PeDirected, ModelTypes);

TYPED_TEST(PeDirected, RefusedProgramsLeaveFiltersIntact) {
  const auto& c = TestFixture::kCfg;
  PeHarness<TypeParam> h(sim::SimOptions{});
  // Load filters with a legal job first.
  const PeJob first = TestFixture::make_job(3, 2, 2, 1, 4, 1, true, false);
  TestFixture::expect_exact(h, {first});

  auto bad = [&](int s, int p, int q, int stride, int e, int rows, PeErr code) {
    PeJob j;  // no data: a refused program must never raise a ready (checked after done)
    j.prog = {s, p, q, stride, e, rows, golden::Precision::kInt16, true, false};
    TestFixture::expect_refused(h, j, code);
  };
  bad(0, 1, 1, 1, 1, 1, PeErr::kZeroField);
  bad(1, 0, 1, 1, 1, 1, PeErr::kZeroField);
  bad(1, 1, 0, 1, 1, 1, PeErr::kZeroField);
  bad(1, 1, 1, 0, 1, 1, PeErr::kZeroField);
  bad(1, 1, 1, 1, 0, 1, PeErr::kZeroField);
  bad(1, 1, 1, 1, 1, 0, PeErr::kZeroField);
  bad(1, c.psum_spad_words + 1, 1, 1, 1, 1, PeErr::kPsumSpad);
  bad(c.ifmap_spad_words + 1, 1, 1, 1, 1, 1, PeErr::kIfmapSpad);
  bad(2, 1, c.ifmap_spad_words / 2 + 1, 1, 1, 1, PeErr::kIfmapSpad);
  // Largest p*q*S the ifmap and psum spads allow, which still overflows the filter spad.
  {
    const int s = 1, q = c.ifmap_spad_words;
    const int p = c.filter_spad_words / (q * s) + 1;
    if (p <= c.psum_spad_words) bad(s, p, q, 1, 1, 1, PeErr::kFilterSpad);
  }
  // Reuse with a shape that is not the loaded one.
  {
    PeJob j = TestFixture::make_job(3, 1, 2, 1, 4, 1, false, false);
    TestFixture::expect_refused(h, j, PeErr::kNoFilters);
  }
  // Reuse in the other precision: the spad holds the filters as loaded (INT16 here).
  {
    PeJob j = TestFixture::make_job(3, 2, 2, 1, 4, 1, false, false);
    j.prog.prec = golden::Precision::kInt8;
    TestFixture::expect_refused(h, j, PeErr::kNoFilters);
  }
  // The filters loaded by the first job are still there: reuse them, bit-exact.
  PeJob reuse = TestFixture::make_job(3, 2, 2, 2, 5, 2, false, true);
  reuse.weights.clear();
  tb::PeCase both;
  both.jobs = {first, reuse};
  const auto want = tb::expect_case(both, c);
  const PeJobResult got = h.run_job(reuse, PeKnobs{});
  EXPECT_EQ(tb::compare_job(reuse, want[1], got), "");
  EXPECT_FALSE(h.dut().err_o);  // an accepted start clears the error
}

TYPED_TEST(PeDirected, ReuseBeforeAnyLoadIsRefused) {
  PeHarness<TypeParam> h(sim::SimOptions{});
  TestFixture::expect_refused(h, TestFixture::make_job(2, 1, 1, 1, 3, 1, false, false),
                              PeErr::kNoFilters);
}

TYPED_TEST(PeDirected, StartWhileBusyIsFlaggedAndIgnored) {
  PeHarness<TypeParam> h(sim::SimOptions{});
  const PeJob j = TestFixture::make_job(3, 2, 2, 1, 6, 2, true, true);
  tb::PeCase c;
  c.jobs = {j};
  const auto want = tb::expect_case(c, TestFixture::kCfg);
  tb::PeJobOptions o;
  o.restart_at = 10;
  const PeJobResult got = h.run_job(j, PeKnobs{}, o);
  EXPECT_EQ(got.failure, "");
  EXPECT_EQ(got.err_code, int(PeErr::kStartBusy));
  EXPECT_EQ(got.psum_out, want[0].psum_out);  // the running job is unharmed
}

TYPED_TEST(PeDirected, AllZeroIfmapIsFullyGated) {
  PeHarness<TypeParam> h(sim::SimOptions{});
  const PeJob j = TestFixture::make_job(3, 2, 2, 1, 5, 2, true, true, /*zero_every=*/1);
  TestFixture::expect_exact(h, {j});
  // And the counts, explicitly: nothing executed, every slot gated.
  const PeJob k = TestFixture::make_job(2, 1, 1, 1, 4, 1, true, false, 1);
  const PeJobResult got = h.run_job(k, PeKnobs{});
  EXPECT_EQ(got.events.mac, 0u);
  EXPECT_EQ(got.events.skip, 4u * 2u);
  EXPECT_EQ(got.events.flt_rd, 0u);
}

TYPED_TEST(PeDirected, HeavyBackPressureEverywhere) {
  PeHarness<TypeParam> h(sim::SimOptions{});
  PeKnobs k;
  k.flt_valid = 0.1;
  k.ifm_valid = 0.15;
  k.psum_in_valid = 0.1;
  k.psum_out_ready = 0.05;
  TestFixture::expect_exact(h, {TestFixture::make_job(2, 3, 2, 3, 7, 2, true, true, 5)}, k);
}

TYPED_TEST(PeDirected, FullThroughputWithoutStalls) {
  // With no back-pressure a long row keeps the MAC busy almost every cycle.
  PeHarness<TypeParam> h(sim::SimOptions{});
  const PeJob j = TestFixture::make_job(3, 2, 2, 1, 50, 1, true, false);
  tb::PeCase c;
  c.jobs = {j};
  const auto want = tb::expect_case(c, TestFixture::kCfg);
  const PeJobResult got = h.run_job(j, PeKnobs{});
  EXPECT_EQ(tb::compare_job(j, want[0], got), "");
  const uint64_t slots = got.events.mac + got.events.skip;
  EXPECT_EQ(slots, 50u * 2 * 2 * 3);
  // Filter load (12 words), window fill and pipeline drain are the only overhead.
  EXPECT_LT(got.cycles, slots + 40) << "cycles " << got.cycles;
}

TYPED_TEST(PeDirected, WaveformOnRequest) {
  // One directory per configuration: CTest runs the typed tests in parallel.
  const auto dir = std::filesystem::temp_directory_path() /
                   fmt::format("rsnpu_wave_test_{}", TestFixture::kCfg.name);
  std::filesystem::remove_all(dir);
  sim::SimOptions o;
  o.name = "pe_wave";
  o.wave_path = (dir / "pe_wave.fst").string();
  {
    PeHarness<TypeParam> h(o);
    TestFixture::expect_exact(h, {TestFixture::make_job(2, 1, 1, 1, 3, 1, true, false)});
    h.finish();
  }
  ASSERT_TRUE(std::filesystem::exists(o.wave_path));
  EXPECT_GT(std::filesystem::file_size(o.wave_path), 100u);
  std::filesystem::remove_all(dir);
}

}  // namespace
