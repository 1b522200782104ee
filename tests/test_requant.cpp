// The requantization unit against golden::requantize (docs/numerics.md section 3): targeted
// values (exact halves, saturation boundaries, extremes of the accumulator) and random ones,
// every shift, both precisions, ReLU on and off, random back-pressure.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <random>
#include <vector>

#include "pe_harness.h"
#include "rsnpu/golden/golden.h"
#include "rsnpu/hw_enums.h"
#include "rsnpu/rtl_models.h"
#include "rsnpu/sim/run_status.h"
#include "rsnpu/sim/simulation.h"
#include "rsnpu/sim/stream.h"

namespace {

using namespace rsnpu;

template <typename Traits>
void check_requant(uint64_t seed) {
  using Model = typename Traits::Model;
  const int acc_bits = Traits::kCfg.acc_bits;
  std::mt19937_64 rng(seed);
  sim::Simulation<Model> s(sim::SimOptions{"requant", "", seed, 5000});
  Model& d = s.dut();
  d.in_valid_i = 0;
  d.out_ready_i = 0;
  d.flush_i = 0;
  s.reset();
  const int64_t acc_min = -(int64_t{1} << (acc_bits - 1)), acc_max = -(acc_min + 1);
  for (int shift = 0; shift < acc_bits; ++shift) {
    for (int mode = 0; mode < 4; ++mode) {
      golden::Requant rq;
      rq.shift = shift;
      rq.prec = (mode & 1) ? golden::Precision::kInt8 : golden::Precision::kInt16;
      rq.relu = (mode & 2) != 0;
      // Targeted accumulators around the rounding and saturation points of this shift.
      std::vector<int64_t> accs = {0, 1, -1, acc_min, acc_max, acc_min + 1, acc_max - 1};
      const int64_t lsb = int64_t{1} << shift;
      for (int64_t k : {-32769, -32768, -129, -128, -3, -2, -1, 0, 1, 2, 127, 128, 32767, 32768}) {
        for (int64_t off : {-lsb / 2 - 1, -lsb / 2, int64_t{0}, lsb / 2 - 1, lsb / 2}) {
          const __int128 v = __int128(k) * lsb + off;
          if (v >= acc_min && v <= acc_max) accs.push_back(int64_t(v));
        }
      }
      for (int i = 0; i < 40; ++i) accs.push_back(golden::wrap(int64_t(rng()), acc_bits));
      std::deque<int16_t> want;
      for (int64_t a : accs) want.push_back(golden::requantize(a, rq));

      d.cfg_shift_i = shift;
      d.cfg_prec_i = tb::hw_prec(rq.prec);
      d.cfg_relu_i = rq.relu;
      sim::StreamSource<int64_t> src(0.7, rng());
      sim::StreamSink sink(0.6, rng());
      src.push(accs);
      sim::RunStatus st;
      std::size_t got = 0;
      const uint64_t mask = acc_bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << acc_bits) - 1;
      for (uint64_t cyc = 0; got < accs.size(); ++cyc) {
        int64_t a = 0;
        d.in_valid_i = src.drive(a);
        d.in_data_i = uint32_t(uint64_t(a) & mask);
        d.out_ready_i = sink.drive();
        s.eval();
        const bool in_fire = d.in_valid_i && d.in_ready_o;
        const bool out_fire = d.out_valid_o && d.out_ready_i;
        const int16_t out = int16_t(d.out_data_o);
        s.tick();
        if (in_fire) src.commit_fire();
        if (out_fire) {
          ASSERT_EQ(out, want.front())
              << fmt::format("seed {} shift {} {} relu {} acc {}", seed, shift,
                             golden::to_string(rq.prec), rq.relu, accs[got]);
          want.pop_front();
          ++got;
        }
        ASSERT_FALSE(sim::end_of_cycle(st, cyc, s.assertion_failed(), false, 0, 100000))
            << st.failure;
      }
    }
  }
}

TEST(Requant, MatchesGoldenTiny) { check_requant<model::Requant_tiny>(1); }
TEST(Requant, MatchesGoldenEyeriss) { check_requant<model::Requant_eyeriss>(2); }

}  // namespace
