// The cycle-level AXI4 DRAM model (sim/include/rsnpu/sim/axi_dram.h) against a C++ AXI4
// master that issues random legal bursts and checks every response against a shadow memory;
// directed tests of the timing definitions (latency, bandwidth), SLVERR on out-of-range
// accesses and each class of protocol violation.
//
// Environment: RSNPU_SEED=S moves the seeds of the random tests.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "rsnpu/sim/axi_dram.h"

namespace {

using rsnpu::sim::AxiDram;
using rsnpu::sim::AxiPins;
using Ranges = std::vector<std::pair<uint64_t, uint64_t>>;

constexpr uint8_t kOkay = AxiDram::kRespOkay;
constexpr uint8_t kSlvErr = AxiDram::kRespSlvErr;

uint64_t first_seed() {
  const char* v = std::getenv("RSNPU_SEED");
  return v ? std::strtoull(v, nullptr, 10) : 1;
}

bool contains(const std::vector<std::string>& v, const std::string& what) {
  return std::any_of(v.begin(), v.end(),
                     [&](const std::string& s) { return s.find(what) != std::string::npos; });
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += "\n  " + x;
  return s.empty() ? " (none)" : s;
}

// -----------------------------------------------------------------------------------------
// Shadow memory: what the DRAM must hold, and which bytes AXI wrote.
// -----------------------------------------------------------------------------------------
struct Shadow {
  uint64_t base = 0;
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> written;

  bool in_range(uint64_t lo, uint64_t n) const {
    return lo >= base && lo - base + n <= bytes.size();
  }
  Ranges written_ranges() const {
    Ranges r;
    for (std::size_t i = 0; i < written.size();) {
      if (!written[i]) {
        ++i;
        continue;
      }
      const std::size_t lo = i;
      while (i < written.size() && written[i]) ++i;
      r.emplace_back(base + lo, base + i);
    }
    return r;
  }
};

// -----------------------------------------------------------------------------------------
// AXI4 master: runs a program of bursts in order through the AR/AW/W channels with random
// valid delays and random RREADY/BREADY, keeping payloads stable while stalled. A read waits
// while an overlapping write is unanswered and vice versa (AXI orders nothing between the
// channels), so the expected data of a read is the shadow memory when it is issued. Checks
// every R beat (data, RRESP, RID, RLAST) and B (BID, BRESP) in acceptance order, and that the
// slave holds R and B stable while stalled.
// -----------------------------------------------------------------------------------------
struct Op {
  bool write = false;
  uint32_t addr = 0;
  unsigned beats = 1;
  uint8_t id = 0;
  std::vector<uint64_t> data;  // writes
  std::vector<uint8_t> strb;   // writes
};

class Master {
 public:
  struct Knobs {
    double ar = 1.0, aw = 1.0, w = 1.0;  // chance per cycle that an idle channel offers
    double rready = 1.0, bready = 1.0;
  };

  Master(Knobs k, uint64_t seed, Shadow& shadow) : k_(k), rng_(seed), shadow_(shadow) {}

  void add(Op op) { program_.push_back(std::move(op)); }
  bool done() const {
    return program_.empty() && ar_q_.empty() && aw_q_.empty() && w_q_.empty() &&
           r_inflight_.empty() && b_inflight_.empty();
  }
  const std::vector<std::string>& errors() const { return errors_; }

  // Observations for the timing tests (cycle numbers of this master, = AxiDram::cycle()).
  std::vector<uint64_t> ar_accept_cycles, r_beat_cycles, rvalid_rise_cycles;
  std::vector<uint64_t> w_beat_cycles, wlast_cycles, bvalid_rise_cycles;
  uint64_t reads_done = 0, writes_done = 0, r_beats = 0, w_beats = 0, bytes_strobed = 0;
  uint64_t cycle = 0;

  // Master outputs for this cycle (never looks at this cycle's slave outputs).
  void drive(AxiPins& p) {
    issue();
    if (!ar_off_ && !ar_q_.empty()) ar_off_ = coin() < k_.ar;
    if (!aw_off_ && !aw_q_.empty()) aw_off_ = coin() < k_.aw;
    if (!w_off_ && !w_q_.empty()) w_off_ = coin() < k_.w;
    p.arvalid = ar_off_;
    if (ar_off_) {
      const Req& r = ar_q_.front();
      p.araddr = r.addr, p.arlen = r.len, p.arsize = 3, p.arburst = 1, p.arid = r.id;
    } else {  // don't-care payload: garbage
      p.araddr = uint32_t(rng_()), p.arlen = uint8_t(rng_()), p.arsize = 7, p.arburst = 3;
    }
    p.awvalid = aw_off_;
    if (aw_off_) {
      const Req& r = aw_q_.front();
      p.awaddr = r.addr, p.awlen = r.len, p.awsize = 3, p.awburst = 1, p.awid = r.id;
    } else {
      p.awaddr = uint32_t(rng_()), p.awlen = uint8_t(rng_()), p.awsize = 0, p.awburst = 0;
    }
    p.wvalid = w_off_;
    if (w_off_) {
      const WBeat& b = w_q_.front();
      p.wdata = b.data, p.wstrb = b.strb, p.wlast = b.last;
    } else {
      p.wdata = rng_(), p.wstrb = uint8_t(rng_()), p.wlast = rng_() & 1;
    }
    p.rready = coin() < k_.rready;
    p.bready = coin() < k_.bready;
  }

  // Called with the pins just before the edge (after the slave's drive()).
  void sample(const AxiPins& p) {
    // The slave must hold R and B while stalled.
    if (prev_.rvalid && !prev_.rready &&
        (!p.rvalid || p.rdata != prev_.rdata || p.rresp != prev_.rresp || p.rlast != prev_.rlast ||
         p.rid != prev_.rid))
      error("R changed or dropped while RVALID && !RREADY");
    if (prev_.bvalid && !prev_.bready &&
        (!p.bvalid || p.bresp != prev_.bresp || p.bid != prev_.bid))
      error("B changed or dropped while BVALID && !BREADY");
    if (p.rvalid && !(prev_.rvalid && !prev_.rready)) rvalid_rise_cycles.push_back(cycle);
    if (p.bvalid && !(prev_.bvalid && !prev_.bready)) bvalid_rise_cycles.push_back(cycle);

    if (p.rvalid && p.rready) on_r(p);
    if (p.bvalid && p.bready) on_b(p);
    if (p.arvalid && p.arready) {
      r_inflight_.push_back(std::move(ar_q_.front()));
      ar_q_.pop_front();
      ar_off_ = false;
      ar_accept_cycles.push_back(cycle);
    }
    if (p.awvalid && p.awready) {
      b_inflight_.push_back(std::move(aw_q_.front()));
      aw_q_.pop_front();
      aw_off_ = false;
    }
    if (p.wvalid && p.wready) {
      w_beat_cycles.push_back(cycle);
      if (w_q_.front().last) wlast_cycles.push_back(cycle);
      w_q_.pop_front();
      w_off_ = false;
      ++w_beats;
    }
    prev_ = p;
    ++cycle;
  }

 private:
  struct Req {
    uint32_t addr = 0;
    uint8_t len = 0, id = 0;
    uint8_t resp = kOkay;
    std::vector<uint64_t> expect;  // reads
    unsigned got = 0;
    std::size_t serial = 0;
  };
  struct WBeat {
    uint64_t data;
    uint8_t strb;
    bool last;
  };
  struct Busy {
    uint64_t lo, hi;
    bool write;
    std::size_t serial;
  };

  double coin() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }
  void error(const std::string& what) {
    if (errors_.size() < 20) errors_.push_back(fmt::format("master cycle {}: {}", cycle, what));
  }

  // Moves the head of the program to the channel queues unless it overlaps an unanswered
  // burst of the other direction.
  void issue() {
    if (program_.empty()) return;
    const Op& op = program_.front();
    const uint64_t lo = op.addr, hi = lo + uint64_t(op.beats) * 8;
    for (const Busy& b : busy_)
      if (b.write != op.write && b.lo < hi && lo < b.hi) return;
    Req r;
    r.addr = op.addr;
    r.len = uint8_t(op.beats - 1);
    r.id = op.id;
    r.serial = serial_++;
    const bool ok = shadow_.in_range(lo, hi - lo);
    r.resp = ok ? kOkay : kSlvErr;
    if (op.write) {
      for (unsigned i = 0; i < op.beats; ++i) {
        w_q_.push_back({op.data[i], op.strb[i], i + 1 == op.beats});
        if (!ok) continue;
        for (int k = 0; k < 8; ++k) {
          if (!((op.strb[i] >> k) & 1)) continue;
          const uint64_t a = lo + i * 8 + k - shadow_.base;
          shadow_.bytes[a] = uint8_t(op.data[i] >> (8 * k));
          shadow_.written[a] = 1;
          ++bytes_strobed;
        }
      }
      aw_q_.push_back(std::move(r));
    } else {
      for (unsigned i = 0; i < op.beats; ++i) {
        uint64_t v = 0;
        for (int k = 0; ok && k < 8; ++k)
          v |= uint64_t(shadow_.bytes[lo + i * 8 + k - shadow_.base]) << (8 * k);
        r.expect.push_back(v);
      }
      ar_q_.push_back(std::move(r));
    }
    busy_.push_back({lo, hi, op.write, serial_ - 1});
    program_.pop_front();
  }

  void retire(std::size_t serial) {
    busy_.erase(std::find_if(busy_.begin(), busy_.end(),
                             [&](const Busy& b) { return b.serial == serial; }));
  }

  void on_r(const AxiPins& p) {
    r_beat_cycles.push_back(cycle);
    ++r_beats;
    if (r_inflight_.empty()) return error("R beat without an accepted AR");
    Req& r = r_inflight_.front();
    const unsigned i = r.got++;
    if (p.rid != r.id) error(fmt::format("RID {} but the oldest read has ID {}", p.rid, r.id));
    if (p.rresp != r.resp)
      error(fmt::format("RRESP {} expected {} (ARADDR {:#x} beat {})", p.rresp, r.resp, r.addr, i));
    if (p.rdata != r.expect[i])
      error(fmt::format("RDATA {:#018x} expected {:#018x} (ARADDR {:#x} beat {})", p.rdata,
                        r.expect[i], r.addr, i));
    const bool last = r.got == unsigned(r.len) + 1;
    if (p.rlast != last) error(fmt::format("RLAST {} on beat {} of {}", p.rlast, i, r.len + 1));
    if (last) {
      retire(r.serial);
      r_inflight_.pop_front();
      ++reads_done;
    }
  }

  void on_b(const AxiPins& p) {
    if (b_inflight_.empty()) return error("B without an accepted AW");
    const Req& r = b_inflight_.front();
    if (p.bid != r.id) error(fmt::format("BID {} but the oldest write has ID {}", p.bid, r.id));
    if (p.bresp != r.resp)
      error(fmt::format("BRESP {} expected {} (AWADDR {:#x})", p.bresp, r.resp, r.addr));
    retire(r.serial);
    b_inflight_.pop_front();
    ++writes_done;
  }

  Knobs k_;
  std::mt19937_64 rng_;
  Shadow& shadow_;
  std::deque<Op> program_;
  std::deque<Req> ar_q_, aw_q_, r_inflight_, b_inflight_;
  std::deque<WBeat> w_q_;
  std::vector<Busy> busy_;
  std::size_t serial_ = 0;
  bool ar_off_ = false, aw_off_ = false, w_off_ = false;
  AxiPins prev_{};
  std::vector<std::string> errors_;
};

// Runs master and DRAM until the master's program is done; returns the cycles taken.
uint64_t run(AxiDram& d, Master& m, uint64_t max_cycles = 2'000'000) {
  AxiPins p;
  const uint64_t start = d.cycle();
  while (!m.done()) {
    if (d.cycle() - start >= max_cycles) {
      ADD_FAILURE() << "watchdog: master not done after " << max_cycles << " cycles";
      break;
    }
    m.drive(p);
    d.drive(p);
    m.sample(p);
    d.edge(p);
  }
  return d.cycle() - start;
}

// A random legal burst inside the shadow's window (whole 4 KiB pages from its base).
Op random_op(std::mt19937_64& rng, const Shadow& sh, bool write, bool partial_strobes) {
  Op op;
  op.write = write;
  op.beats = 1 + unsigned(rng() % 16);
  const uint64_t pages = sh.bytes.size() / 4096;
  const uint64_t page = rng() % pages;
  const uint64_t slot = rng() % (512 - op.beats + 1);
  op.addr = uint32_t(sh.base + page * 4096 + slot * 8);
  op.id = uint8_t(rng() % 16);
  for (unsigned i = 0; write && i < op.beats; ++i) {
    op.data.push_back(rng());
    op.strb.push_back(partial_strobes && rng() % 2 ? uint8_t(rng()) : uint8_t(0xff));
  }
  return op;
}

Shadow make_shadow(AxiDram& d, std::mt19937_64& rng) {
  Shadow sh;
  sh.base = d.config().base;
  sh.bytes.resize(d.config().size_bytes);
  for (auto& b : sh.bytes) b = uint8_t(rng());
  sh.written.assign(sh.bytes.size(), 0);
  d.write_bytes(sh.base, sh.bytes.data(), sh.bytes.size());
  return sh;
}

// Everything the random tests check after a run.
void check_final(const AxiDram& d, const Master& m, const Shadow& sh, std::size_t reads,
                 std::size_t writes) {
  EXPECT_TRUE(m.errors().empty()) << "master saw:" << joined(m.errors());
  EXPECT_TRUE(d.violations().empty()) << "DRAM recorded:" << joined(d.violations());
  EXPECT_TRUE(d.idle());
  std::vector<uint8_t> now(sh.bytes.size());
  d.read_bytes(sh.base, now.data(), now.size());
  for (std::size_t i = 0; i < now.size(); ++i)
    if (now[i] != sh.bytes[i]) {
      ADD_FAILURE() << fmt::format("memory differs at {:#x}: {:#04x} expected {:#04x}", sh.base + i,
                                   now[i], sh.bytes[i]);
      break;
    }
  EXPECT_EQ(d.written_ranges(), sh.written_ranges());
  EXPECT_EQ(m.reads_done, reads);
  EXPECT_EQ(m.writes_done, writes);
  EXPECT_EQ(d.stats().read_bursts, reads);
  EXPECT_EQ(d.stats().write_bursts, writes);
  EXPECT_EQ(d.stats().r_beats, m.r_beats);
  EXPECT_EQ(d.stats().w_beats, m.w_beats);
  EXPECT_EQ(d.stats().bytes_read, 8 * m.r_beats);
  EXPECT_EQ(d.stats().bytes_written, m.bytes_strobed);
  EXPECT_EQ(d.cycle(), m.cycle);
}

// Random mixed traffic with partial strobes over many seeds and configurations.
void random_traffic(uint64_t seed, double ready_prob, double master_prob) {
  std::mt19937_64 rng(seed);
  AxiDram::Config c;
  c.base = 0x4000'0000ull + (rng() % 64) * 0x1000;
  c.size_bytes = 4096 * (1 + rng() % 4);
  c.read_latency = int(rng() % 31);
  c.write_latency = int(rng() % 16);
  const double bws[] = {64.0, 8.0, 2.4, 0.7};
  c.bytes_per_cycle = bws[rng() % 4];
  c.ready_prob = ready_prob;
  c.max_outstanding = 1 + int(rng() % 8);
  c.seed = seed;
  SCOPED_TRACE(
      fmt::format("seed {} (RSNPU_SEED={} replays it first): base {:#x} size {} "
                  "latency {}/{} bw {} ready {} outstanding {} master {}",
                  seed, seed, c.base, c.size_bytes, c.read_latency, c.write_latency,
                  c.bytes_per_cycle, c.ready_prob, c.max_outstanding, master_prob));
  AxiDram d(c);
  Shadow sh = make_shadow(d, rng);
  Master::Knobs k;
  k.ar = k.aw = k.w = k.rready = k.bready = master_prob;
  Master m(k, seed ^ 0x5eed, sh);
  std::size_t reads = 0, writes = 0;
  for (int i = 0; i < 120; ++i) {
    const bool w = rng() % 2;
    (w ? writes : reads)++;
    m.add(random_op(rng, sh, w, true));
  }
  run(d, m);
  check_final(d, m, sh, reads, writes);
}

// -----------------------------------------------------------------------------------------
// Directed bench: the test sets master pins by hand, one cycle at a time.
// -----------------------------------------------------------------------------------------
struct Bench {
  AxiDram d;
  AxiPins p;
  explicit Bench(const AxiDram::Config& c) : d(c) {}
  // One cycle with the current master pins; returns the pins as they were at the edge.
  AxiPins step() {
    d.drive(p);
    const AxiPins s = p;
    d.edge(p);
    return s;
  }
};

struct RBeat {
  uint64_t data;
  uint8_t resp, id;
  bool last;
};

std::vector<RBeat> read_burst(Bench& b, uint32_t addr, uint8_t len, uint8_t size = 3,
                              uint8_t burst = 1, uint8_t id = 0) {
  b.p.arvalid = true;
  b.p.araddr = addr, b.p.arlen = len, b.p.arsize = size, b.p.arburst = burst, b.p.arid = id;
  b.p.rready = true;
  std::vector<RBeat> out;
  for (int i = 0; i < 10000; ++i) {
    const AxiPins s = b.step();
    if (s.arvalid && s.arready) b.p.arvalid = false;
    if (s.rvalid && s.rready) {
      out.push_back({s.rdata, s.rresp, s.rid, s.rlast});
      if (s.rlast) return out;
    }
  }
  ADD_FAILURE() << "no RLAST";
  return out;
}

// Sends beats 0..wlast_at (WLAST on beat wlast_at, or on none if wlast_at > len, in which case
// len + 1 beats go out); returns BRESP.
uint8_t write_burst(Bench& b, uint32_t addr, uint8_t len, const std::vector<uint64_t>& data,
                    uint8_t size = 3, uint8_t burst = 1, int wlast_at = -1, uint8_t strb = 0xff,
                    uint8_t id = 0) {
  if (wlast_at < 0) wlast_at = len;
  const int n = std::min<int>(wlast_at, len) + 1;
  b.p.awvalid = true;
  b.p.awaddr = addr, b.p.awlen = len, b.p.awsize = size, b.p.awburst = burst, b.p.awid = id;
  b.p.bready = true;
  int sent = 0;
  for (int i = 0; i < 10000; ++i) {
    b.p.wvalid = sent < n;
    if (sent < n) {
      b.p.wdata = data[std::size_t(sent)];
      b.p.wstrb = strb;
      b.p.wlast = sent == wlast_at;
    }
    const AxiPins s = b.step();
    if (s.awvalid && s.awready) b.p.awvalid = false;
    if (s.wvalid && s.wready) ++sent;
    if (s.bvalid && s.bready) {
      b.p.wvalid = false;
      EXPECT_EQ(s.bid, id);
      EXPECT_EQ(sent, n);
      return s.bresp;
    }
  }
  ADD_FAILURE() << "no B";
  return 0xff;
}

AxiDram::Config small_config() {
  AxiDram::Config c;
  c.base = 0x1000'0000;
  c.size_bytes = 0x10000;
  c.read_latency = 3;
  c.write_latency = 2;
  return c;
}

// =========================================================================================
// Configuration and backdoor
// =========================================================================================
TEST(AxiDramConfig, BadConfigurationsAreRejected) {
  auto bad = [](auto change) {
    AxiDram::Config c;
    change(c);
    EXPECT_THROW(AxiDram{c}, std::invalid_argument);
  };
  bad([](AxiDram::Config& c) { c.size_bytes = 0; });
  bad([](AxiDram::Config& c) { c.bytes_per_cycle = 0.0; });
  bad([](AxiDram::Config& c) { c.bytes_per_cycle = -1.0; });
  bad([](AxiDram::Config& c) { c.bytes_per_cycle = std::nan(""); });
  bad([](AxiDram::Config& c) { c.read_latency = -1; });
  bad([](AxiDram::Config& c) { c.write_latency = -1; });
  bad([](AxiDram::Config& c) { c.ready_prob = 0.0; });
  bad([](AxiDram::Config& c) { c.ready_prob = 1.01; });
  bad([](AxiDram::Config& c) { c.ready_prob = -0.5; });
  bad([](AxiDram::Config& c) { c.max_outstanding = 0; });
  bad([](AxiDram::Config& c) {
    c.base = ~0ull - 10;
    c.size_bytes = 100;
  });
  AxiDram::Config ok;
  ok.read_latency = 0;
  ok.write_latency = 0;
  ok.ready_prob = 1e-6;
  ok.bytes_per_cycle = 0.01;
  EXPECT_NO_THROW(AxiDram{ok});
}

TEST(AxiDramBackdoor, RoundTripAndBounds) {
  AxiDram d(small_config());
  const uint64_t base = d.config().base, end = base + d.config().size_bytes;
  std::vector<uint8_t> v(10000), back(10000);
  std::mt19937_64 rng(3);
  for (auto& x : v) x = uint8_t(rng());
  d.write_bytes(base + 4093, v.data(), v.size());  // straddles pages
  d.read_bytes(base + 4093, back.data(), back.size());
  EXPECT_EQ(back, v);
  uint8_t z[16];
  d.read_bytes(end - 16, z, 16);  // never written: zeros
  for (uint8_t x : z) EXPECT_EQ(x, 0);
  EXPECT_THROW(d.read_bytes(base - 1, z, 1), std::out_of_range);
  EXPECT_THROW(d.read_bytes(end - 8, z, 9), std::out_of_range);
  EXPECT_THROW(d.write_bytes(end, z, 1), std::out_of_range);
  EXPECT_THROW(d.write_bytes(base - 8, z, 16), std::out_of_range);
  EXPECT_NO_THROW(d.read_bytes(end - 1, z, 1));
  EXPECT_TRUE(d.written_ranges().empty()) << "backdoor writes are not AXI writes";
  EXPECT_TRUE(d.idle());
  EXPECT_EQ(d.cycle(), 0u);
}

// =========================================================================================
// Random traffic
// =========================================================================================
TEST(AxiDramRandom, ReadAfterWriteMatchesShadowMemory) {
  const uint64_t first = first_seed();
  for (uint64_t seed = first; seed < first + 150; ++seed) {
    std::mt19937_64 pick(seed * 7919);
    const double master_probs[] = {1.0, 0.7, 0.4};
    random_traffic(seed, 1.0, master_probs[pick() % 3]);
    if (HasFailure()) break;
  }
}

TEST(AxiDramRandom, HeavyBackPressureCompletesCorrectly) {
  const uint64_t first = first_seed() + 1000;
  for (uint64_t seed = first; seed < first + 80; ++seed) {
    random_traffic(seed, 0.3, 0.3);
    if (HasFailure()) break;
  }
}

TEST(AxiDramRandom, RandomReadyProbabilities) {
  const uint64_t first = first_seed() + 2000;
  for (uint64_t seed = first; seed < first + 80; ++seed) {
    std::mt19937_64 pick(seed);
    const double rp = 0.05 + 0.95 * std::uniform_real_distribution<double>(0, 1)(pick);
    const double mp = 0.05 + 0.95 * std::uniform_real_distribution<double>(0, 1)(pick);
    random_traffic(seed, rp, mp);
    if (HasFailure()) break;
  }
}

// =========================================================================================
// Timing definitions
// =========================================================================================
AxiDram::Config fast_config(int rl, int wl) {
  AxiDram::Config c;
  c.size_bytes = 0x10000;
  c.read_latency = rl;
  c.write_latency = wl;
  c.bytes_per_cycle = 64.0;  // never the limit
  return c;
}

TEST(AxiDramTiming, ReadLatencyIsExact) {
  for (int L : {0, 1, 2, 5, 20, 37}) {
    SCOPED_TRACE(fmt::format("read_latency {}", L));
    AxiDram d(fast_config(L, 4));
    std::mt19937_64 rng(L);
    Shadow sh = make_shadow(d, rng);
    Master m({}, 1, sh);
    // Idle cycles first, so the AR is not in cycle 0.
    for (int i = 0; i < 3; ++i) {
      AxiPins p;
      m.drive(p);  // nothing to issue yet
      d.drive(p);
      m.sample(p);
      d.edge(p);
    }
    Op op;
    op.addr = 0x100;
    op.beats = 16;
    m.add(op);
    run(d, m);
    EXPECT_TRUE(m.errors().empty()) << joined(m.errors());
    ASSERT_EQ(m.ar_accept_cycles.size(), 1u);
    const uint64_t a = m.ar_accept_cycles[0];
    EXPECT_EQ(a, 3u) << "ARREADY is high when idle: the AR is taken in the cycle it is offered";
    ASSERT_EQ(m.r_beat_cycles.size(), 16u);
    // First RVALID in cycle a + 1 + L; then one beat per cycle.
    EXPECT_EQ(m.rvalid_rise_cycles.front(), a + 1 + uint64_t(L));
    for (unsigned i = 0; i < 16; ++i) EXPECT_EQ(m.r_beat_cycles[i], a + 1 + uint64_t(L) + i);
  }
}

TEST(AxiDramTiming, WriteLatencyIsExact) {
  for (int WL : {0, 1, 3, 10, 25}) {
    SCOPED_TRACE(fmt::format("write_latency {}", WL));
    AxiDram d(fast_config(7, WL));
    std::mt19937_64 rng(WL);
    Shadow sh = make_shadow(d, rng);
    Master m({}, 2, sh);
    m.add(random_op(rng, sh, true, false));
    run(d, m);
    EXPECT_TRUE(m.errors().empty()) << joined(m.errors());
    ASSERT_EQ(m.wlast_cycles.size(), 1u);
    ASSERT_EQ(m.bvalid_rise_cycles.size(), 1u);
    EXPECT_EQ(m.bvalid_rise_cycles[0], m.wlast_cycles[0] + 1 + uint64_t(WL));
    // AW in cycle 0, W beats from cycle 1 (W waits for the AW), one per cycle.
    EXPECT_EQ(m.wlast_cycles[0], uint64_t(m.w_beats));
  }
}

TEST(AxiDramTiming, SlaveHoldsRAndBUnderStall) {
  // The master's stability checks with RREADY/BREADY mostly low.
  AxiDram::Config c = fast_config(2, 2);
  AxiDram d(c);
  std::mt19937_64 rng(11);
  Shadow sh = make_shadow(d, rng);
  Master::Knobs k;
  k.rready = k.bready = 0.1;
  Master m(k, 11, sh);
  for (int i = 0; i < 60; ++i) m.add(random_op(rng, sh, i % 2, false));
  run(d, m);
  check_final(d, m, sh, 30, 30);
}

TEST(AxiDramTiming, BackToBackBurstsAtFullRate) {
  // bytes_per_cycle = 8 and enough outstanding bursts: one R beat every cycle, no bubbles
  // between bursts; the first at a + 1 + L.
  AxiDram::Config c = fast_config(20, 5);
  c.bytes_per_cycle = 8.0;
  AxiDram d(c);
  std::mt19937_64 rng(5);
  Shadow sh = make_shadow(d, rng);
  Master m({}, 5, sh);
  for (int i = 0; i < 64; ++i) {
    Op op;
    op.addr = uint32_t((i % 16) * 4096 / 2);
    op.beats = 16;
    m.add(op);
  }
  run(d, m);
  EXPECT_TRUE(m.errors().empty()) << joined(m.errors());
  ASSERT_EQ(m.r_beat_cycles.size(), 1024u);
  EXPECT_EQ(m.r_beat_cycles.front(), m.ar_accept_cycles.front() + 21);
  EXPECT_EQ(m.r_beat_cycles.back() - m.r_beat_cycles.front(), 1023u);
}

TEST(AxiDramTiming, OutstandingLimit) {
  AxiDram::Config c = small_config();
  c.max_outstanding = 3;
  c.read_latency = 0;
  Bench b(c);
  // Reads: RREADY low, AR offered continuously.
  b.p.arvalid = true, b.p.arsize = 3, b.p.arburst = 1, b.p.arlen = 1;
  b.p.araddr = uint32_t(c.base);
  int accepted = 0, rlasts = 0;
  for (int i = 0; i < 80; ++i) {
    if (i == 40) {  // the 4th AR is still offered (as AXI requires); now let R drain
      EXPECT_EQ(accepted, 3);
      EXPECT_EQ(b.d.reads_outstanding(), 3u);
      b.p.rready = true;
    }
    const AxiPins s = b.step();
    rlasts += s.rvalid && s.rready && s.rlast;
    if (s.arvalid && s.arready) {
      b.p.arvalid = ++accepted < 4;
      b.p.araddr += 16;
    }
  }
  EXPECT_EQ(accepted, 4);
  EXPECT_EQ(rlasts, 4);
  // Writes: AW offered continuously, no W data: AWREADY falls after 3.
  b.p.awvalid = true, b.p.awsize = 3, b.p.awburst = 1, b.p.awlen = 0;
  b.p.awaddr = uint32_t(c.base);
  accepted = 0;
  int bs = 0, wbeats = 0;
  for (int i = 0; i < 80; ++i) {
    if (i == 40) {  // 4th AW still offered; now send the W data
      EXPECT_EQ(accepted, 3);
      EXPECT_EQ(b.d.writes_outstanding(), 3u);
      EXPECT_FALSE(b.d.idle());
      b.p.wvalid = true, b.p.wstrb = 0xff, b.p.wlast = true, b.p.bready = true;
    }
    const AxiPins s = b.step();
    bs += s.bvalid && s.bready;
    if (s.wvalid && s.wready) b.p.wvalid = ++wbeats < 4;
    if (s.awvalid && s.awready) {
      b.p.awvalid = ++accepted < 4;
      b.p.awaddr += 8;
    }
  }
  EXPECT_EQ(accepted, 4);
  EXPECT_EQ(bs, 4);
  EXPECT_EQ(b.d.written_ranges(), (Ranges{{c.base, c.base + 32}}));
  EXPECT_TRUE(b.d.idle());
  EXPECT_TRUE(b.d.violations().empty()) << joined(b.d.violations());
}

// =========================================================================================
// Bandwidth
// =========================================================================================
TEST(AxiDramBandwidth, ReadStreamAt2p4BytesPerCycle) {
  AxiDram::Config c;
  c.size_bytes = 1 << 16;
  c.bytes_per_cycle = 2.4;
  AxiDram d(c);
  std::mt19937_64 rng(24);
  Shadow sh = make_shadow(d, rng);
  Master m({}, 24, sh);
  for (int i = 0; i < 1500; ++i) m.add(random_op(rng, sh, false, false));
  run(d, m);
  EXPECT_TRUE(m.errors().empty()) << joined(m.errors());
  const uint64_t span = m.r_beat_cycles.back() + 1 - m.ar_accept_cycles.front();
  const double bpc = double(d.stats().bytes_read) / double(span);
  RecordProperty("bytes_per_cycle", fmt::format("{:.4f}", bpc));
  std::cout << fmt::format("[ info ] {} bytes read in {} cycles: {:.4f} bytes/cycle (link 2.4)\n",
                           d.stats().bytes_read, span, bpc);
  EXPECT_NEAR(bpc, 2.4, 2.4 * 0.02) << d.stats().bytes_read << " bytes in " << span << " cycles";
}

TEST(AxiDramBandwidth, ReadsAndWritesShareTheLink) {
  for (const double bw : {2.4, 16.0}) {
    SCOPED_TRACE(fmt::format("bytes_per_cycle {}", bw));
    AxiDram::Config c;
    c.size_bytes = 1 << 16;
    c.bytes_per_cycle = bw;
    AxiDram d(c);
    std::mt19937_64 rng(7);
    Shadow sh = make_shadow(d, rng);
    Master m({}, 7, sh);
    // Reads in the lower half, writes in the upper: no hazards, both streams flow.
    Shadow lower = sh, upper = sh;
    lower.bytes.resize(sh.bytes.size() / 2);
    upper.base += sh.bytes.size() / 2;
    upper.bytes.resize(sh.bytes.size() / 2);
    const int n = bw > 8 ? 600 : 400;
    for (int i = 0; i < n; ++i) {
      Op r = random_op(rng, lower, false, false);
      Op w = random_op(rng, upper, true, false);
      r.beats = w.beats = 16;
      r.addr &= ~0xfffu;
      w.addr &= ~0xfffu;
      w.data.resize(16, 1);
      w.strb.resize(16, 0xff);
      m.add(r);
      m.add(w);
    }
    const uint64_t cycles = run(d, m);
    EXPECT_TRUE(m.errors().empty()) << joined(m.errors());
    const double total = double(d.stats().bytes_read + d.stats().bytes_written);
    // Time from the first AR to the last transfer; the B latency tail does not count.
    const uint64_t last = std::max(m.r_beat_cycles.back(), m.wlast_cycles.back());
    const double bpc = total / double(last + 1 - m.ar_accept_cycles.front());
    EXPECT_NEAR(bpc, bw, bw * 0.02) << total << " bytes, " << cycles << " cycles";
    std::cout << fmt::format("[ info ] R+W {} bytes: {:.4f} bytes/cycle (link {})\n", total, bpc,
                             bw);
    // Neither direction is starved while both compete: the R share of the beats up to the
    // end of the shorter stream.
    const uint64_t both = std::min(m.r_beat_cycles.back(), m.w_beat_cycles.back());
    const auto upto = [&](const std::vector<uint64_t>& v) {
      return double(std::upper_bound(v.begin(), v.end(), both) - v.begin());
    };
    const double r = upto(m.r_beat_cycles), w = upto(m.w_beat_cycles);
    EXPECT_NEAR(r / (r + w), 0.5, 0.02)
        << r << " R beats and " << w << " W beats by cycle " << both;
  }
}

// =========================================================================================
// Out-of-range accesses
// =========================================================================================
TEST(AxiDramErrors, OutOfRangeGetsSlvErrAndWritesNothing) {
  AxiDram::Config c = small_config();
  // Neither end on a 4 KiB boundary, so a legal burst can straddle either.
  c.base = 0x1000'0800;
  c.size_bytes = 0xf000;
  Bench b(c);
  const uint32_t base = uint32_t(c.base), end = uint32_t(c.base + c.size_bytes);
  std::vector<uint8_t> init(c.size_bytes, 0xa5);
  b.d.write_bytes(base, init.data(), init.size());
  // One legal write first: the written ranges must stay exactly this one.
  EXPECT_EQ(write_burst(b, base + 0x100, 1, {1, 2}), kOkay);
  const Ranges ranges = b.d.written_ranges();
  ASSERT_EQ(ranges, (Ranges{{base + 0x100, base + 0x110}}));
  std::vector<uint8_t> snap(c.size_bytes);
  b.d.read_bytes(base, snap.data(), snap.size());

  const std::vector<uint64_t> junk(16, 0xdeadbeefcafef00dull);
  EXPECT_EQ(write_burst(b, end - 16, 3, junk), kSlvErr);  // straddles the end
  EXPECT_EQ(write_burst(b, end, 0, junk), kSlvErr);       // just past it
  EXPECT_EQ(write_burst(b, base - 8, 1, junk), kSlvErr);  // straddles the base
  EXPECT_EQ(write_burst(b, 0, 15, junk), kSlvErr);        // far below
  EXPECT_EQ(b.d.written_ranges(), ranges);
  std::vector<uint8_t> now(c.size_bytes);
  b.d.read_bytes(base, now.data(), now.size());
  EXPECT_EQ(now, snap);

  for (auto [addr, len] :
       {std::pair<uint32_t, uint8_t>{end - 16, 3}, {end, 0}, {base - 8, 1}, {0xfffff000u, 15}}) {
    SCOPED_TRACE(fmt::format("read {:#x} len {}", addr, len));
    const std::vector<RBeat> beats = read_burst(b, addr, len, 3, 1, 5);
    ASSERT_EQ(beats.size(), std::size_t(len) + 1);
    for (std::size_t i = 0; i < beats.size(); ++i) {
      EXPECT_EQ(beats[i].resp, kSlvErr);
      EXPECT_EQ(beats[i].data, 0u) << "even the in-range beats of a failing burst are zero";
      EXPECT_EQ(beats[i].id, 5);
      EXPECT_EQ(beats[i].last, i == std::size_t(len));
    }
  }
  // The last legal beat of the memory still works.
  const std::vector<RBeat> ok = read_burst(b, end - 8, 0);
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0].resp, kOkay);
  EXPECT_EQ(ok[0].data, 0xa5a5a5a5a5a5a5a5ull);
  EXPECT_TRUE(b.d.violations().empty())
      << "out of range is an error, not a protocol violation:" << joined(b.d.violations());
  EXPECT_EQ(b.d.stats().bytes_read, 8u);
  EXPECT_EQ(b.d.stats().bytes_written, 16u);
  EXPECT_TRUE(b.d.idle());
}

// =========================================================================================
// Protocol violations: recorded with their cycle, the burst gets SLVERR, nothing is written.
// =========================================================================================
void expect_violation(const AxiDram& d, const std::string& what) {
  EXPECT_TRUE(contains(d.violations(), what))
      << "expected \"" << what << "\" in:" << joined(d.violations());
  for (const std::string& v : d.violations()) EXPECT_EQ(v.rfind("cycle ", 0), 0u) << v;
}

void expect_all_slverr(const std::vector<RBeat>& beats, std::size_t n) {
  ASSERT_EQ(beats.size(), n);
  for (const RBeat& r : beats) {
    EXPECT_EQ(r.resp, kSlvErr);
    EXPECT_EQ(r.data, 0u);
  }
}

TEST(AxiDramViolations, UnalignedAddress) {
  Bench b(small_config());
  const uint32_t base = uint32_t(b.d.config().base);
  expect_all_slverr(read_burst(b, base + 4, 1), 2);
  expect_violation(b.d, "AR: ARADDR 0x10000004 is not 8-byte aligned");
  EXPECT_EQ(write_burst(b, base + 0x21, 0, {7}), kSlvErr);
  expect_violation(b.d, "AW: AWADDR 0x10000021 is not 8-byte aligned");
  EXPECT_TRUE(b.d.written_ranges().empty());
  EXPECT_EQ(b.d.violation_count(), 2u);
}

TEST(AxiDramViolations, SizeNotEightBytes) {
  Bench b(small_config());
  const uint32_t base = uint32_t(b.d.config().base);
  expect_all_slverr(read_burst(b, base, 3, 2), 4);
  expect_violation(b.d, "AR: ARSIZE=2");
  EXPECT_EQ(write_burst(b, base, 0, {7}, 4), kSlvErr);
  expect_violation(b.d, "AW: AWSIZE=4");
  EXPECT_TRUE(b.d.written_ranges().empty());
  EXPECT_EQ(b.d.violation_count(), 2u);
}

TEST(AxiDramViolations, BurstTypeNotIncr) {
  Bench b(small_config());
  const uint32_t base = uint32_t(b.d.config().base);
  expect_all_slverr(read_burst(b, base, 3, 3, 2), 4);  // WRAP
  expect_violation(b.d, "AR: ARBURST=2");
  EXPECT_EQ(write_burst(b, base, 0, {7}, 3, 0), kSlvErr);  // FIXED
  expect_violation(b.d, "AW: AWBURST=0");
  EXPECT_TRUE(b.d.written_ranges().empty());
  EXPECT_EQ(b.d.violation_count(), 2u);
}

TEST(AxiDramViolations, FourKiBCrossing) {
  Bench b(small_config());
  const uint32_t base = uint32_t(b.d.config().base);
  // Exactly up to the boundary is legal.
  EXPECT_EQ(read_burst(b, base + 0xf80, 15).front().resp, kOkay);
  EXPECT_TRUE(b.d.violations().empty()) << joined(b.d.violations());
  expect_all_slverr(read_burst(b, base + 0xf88, 15), 16);
  expect_violation(b.d, "AR: burst ARADDR 0x10000f88 ARLEN 15 (128 bytes) crosses a 4 KiB");
  EXPECT_EQ(write_burst(b, base + 0x1ff8, 1, {1, 2}), kSlvErr);
  expect_violation(b.d, "AW: burst AWADDR 0x10001ff8 AWLEN 1 (16 bytes) crosses a 4 KiB");
  EXPECT_TRUE(b.d.written_ranges().empty());
  EXPECT_EQ(b.d.violation_count(), 2u);
}

TEST(AxiDramViolations, EarlyAndMissingWlast) {
  Bench b(small_config());
  const uint32_t base = uint32_t(b.d.config().base);
  // AWLEN 3, WLAST on the second beat: the burst ends there with SLVERR.
  EXPECT_EQ(write_burst(b, base, 3, {1, 2, 3, 4}, 3, 1, 1), kSlvErr);
  expect_violation(b.d, "W: early WLAST on beat 2 of a 4-beat burst");
  // AWLEN 1, no WLAST: closed after 2 beats with SLVERR.
  EXPECT_EQ(write_burst(b, base + 0x40, 1, {5, 6}, 3, 1, 99), kSlvErr);
  expect_violation(b.d, "W: WLAST missing on beat 2 of a 2-beat burst");
  EXPECT_EQ(b.d.violation_count(), 2u);
  // The model stays in step: a following legal burst is fine.
  EXPECT_EQ(write_burst(b, base + 0x80, 1, {7, 8}), kOkay);
  EXPECT_EQ(read_burst(b, base + 0x80, 1)[1].data, 8u);
  EXPECT_EQ(b.d.violation_count(), 2u);
  EXPECT_TRUE(b.d.idle());
}

TEST(AxiDramViolations, PayloadChangeOrValidDropWhileStalled) {
  AxiDram::Config c = small_config();
  c.ready_prob = 1e-12;  // ARREADY/AWREADY/WREADY (practically) never high
  Bench b(c);
  const uint32_t base = uint32_t(c.base);
  b.p.arvalid = true, b.p.araddr = base, b.p.arsize = 3, b.p.arburst = 1;
  b.p.awvalid = true, b.p.awaddr = base, b.p.awsize = 3, b.p.awburst = 1;
  b.p.wvalid = true, b.p.wdata = 1, b.p.wstrb = 0xff, b.p.wlast = true;
  b.step();  // cycle 0: all three offered, none taken
  b.step();  // cycle 1: held stable: legal
  EXPECT_TRUE(b.d.violations().empty()) << joined(b.d.violations());
  b.p.araddr += 8;
  b.p.awlen = 1;
  b.p.wdata = 2;
  b.step();  // cycle 2: all three changed
  expect_violation(b.d, "cycle 2: AR: payload changed while ARVALID && !ARREADY");
  expect_violation(b.d, "cycle 2: AW: payload changed while AWVALID && !AWREADY");
  expect_violation(b.d, "cycle 2: W: payload changed while WVALID && !WREADY");
  b.p.arvalid = b.p.awvalid = b.p.wvalid = false;
  b.step();  // cycle 3: all three dropped
  expect_violation(b.d, "cycle 3: AR: ARVALID dropped before ARREADY");
  expect_violation(b.d, "cycle 3: AW: AWVALID dropped before AWREADY");
  expect_violation(b.d, "cycle 3: W: WVALID dropped before WREADY");
  b.step();  // cycle 4: idle: legal
  EXPECT_EQ(b.d.violation_count(), 6u);
  EXPECT_TRUE(b.d.idle());
}

TEST(AxiDramViolations, MessagesAreCappedButCounted) {
  AxiDram::Config c = small_config();
  c.ready_prob = 1e-12;
  Bench b(c);
  b.p.arsize = 3, b.p.arburst = 1;
  for (int i = 0; i < 3000; ++i) {
    b.p.arvalid = i % 2 == 0;  // raised, then dropped before ARREADY
    b.step();
  }
  EXPECT_EQ(b.d.violation_count(), 1500u);
  EXPECT_EQ(b.d.violations().size(), AxiDram::kMaxViolationMessages);
}

TEST(AxiDramStats, BusyCyclesAndIdle) {
  AxiDram::Config c = small_config();
  c.read_latency = 4;
  Bench b(c);
  for (int i = 0; i < 5; ++i) b.step();
  EXPECT_EQ(b.d.stats().busy_cycles, 0u);
  // AR in cycle 5, beats in cycles 10 and 11 (5 + 1 + 4): busy in cycles 5..11.
  read_burst(b, uint32_t(c.base), 1);
  EXPECT_EQ(b.d.cycle(), 12u);
  EXPECT_EQ(b.d.stats().busy_cycles, 7u);
  EXPECT_TRUE(b.d.idle());
  for (int i = 0; i < 5; ++i) b.step();
  EXPECT_EQ(b.d.stats().busy_cycles, 7u);
}

}  // namespace
