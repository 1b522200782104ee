// Cycle-level AXI4 DRAM model; the behaviour and timing are specified in axi_dram.h.
#include "rsnpu/sim/axi_dram.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <limits>
#include <stdexcept>

namespace rsnpu::sim {

AxiDram::AxiDram(const Config& cfg) : cfg_(cfg), rng_(cfg.seed) {
  if (cfg.size_bytes == 0) throw std::invalid_argument("AxiDram: size_bytes must be > 0");
  if (cfg.base > std::numeric_limits<uint64_t>::max() - cfg.size_bytes)
    throw std::invalid_argument("AxiDram: base + size_bytes overflows 64 bits");
  if (!(cfg.bytes_per_cycle > 0.0))
    throw std::invalid_argument(
        fmt::format("AxiDram: bytes_per_cycle must be > 0 (got {})", cfg.bytes_per_cycle));
  if (cfg.read_latency < 0 || cfg.write_latency < 0)
    throw std::invalid_argument(fmt::format("AxiDram: latencies must be >= 0 (read {}, write {})",
                                            cfg.read_latency, cfg.write_latency));
  if (!(cfg.ready_prob > 0.0 && cfg.ready_prob <= 1.0))
    throw std::invalid_argument(
        fmt::format("AxiDram: ready_prob must be in (0, 1] (got {})", cfg.ready_prob));
  if (cfg.max_outstanding < 1)
    throw std::invalid_argument(
        fmt::format("AxiDram: max_outstanding must be >= 1 (got {})", cfg.max_outstanding));
}

// ---------------------------------------------------------------------------------------
// Memory
// ---------------------------------------------------------------------------------------
bool AxiDram::in_range(uint64_t lo, uint64_t n) const {
  return lo >= cfg_.base && n <= cfg_.size_bytes && lo - cfg_.base <= cfg_.size_bytes - n;
}

void AxiDram::check_range(uint64_t addr, std::size_t n, const char* what) const {
  if (!in_range(addr, n))
    throw std::out_of_range(
        fmt::format("AxiDram::{}: {} bytes at {:#x} are not all inside the "
                    "memory [{:#x}, {:#x})",
                    what, n, addr, cfg_.base, cfg_.base + cfg_.size_bytes));
}

uint8_t AxiDram::load(uint64_t addr) const {
  const uint64_t off = addr - cfg_.base;
  const auto it = pages_.find(off / kPageBytes);
  return it == pages_.end() ? 0 : (*it->second)[off % kPageBytes];
}

void AxiDram::store(uint64_t addr, uint8_t v) {
  const uint64_t off = addr - cfg_.base;
  std::unique_ptr<Page>& pg = pages_[off / kPageBytes];
  if (!pg) pg = std::make_unique<Page>(Page{});
  (*pg)[off % kPageBytes] = v;
}

void AxiDram::write_bytes(uint64_t addr, const void* src, std::size_t n) {
  check_range(addr, n, "write_bytes");
  const auto* s = static_cast<const uint8_t*>(src);
  while (n > 0) {
    const uint64_t off = addr - cfg_.base;
    const std::size_t chunk = std::min<uint64_t>(n, kPageBytes - off % kPageBytes);
    std::unique_ptr<Page>& pg = pages_[off / kPageBytes];
    if (!pg) pg = std::make_unique<Page>(Page{});
    std::memcpy(pg->data() + off % kPageBytes, s, chunk);
    addr += chunk;
    s += chunk;
    n -= chunk;
  }
}

void AxiDram::read_bytes(uint64_t addr, void* dst, std::size_t n) const {
  check_range(addr, n, "read_bytes");
  auto* d = static_cast<uint8_t*>(dst);
  while (n > 0) {
    const uint64_t off = addr - cfg_.base;
    const std::size_t chunk = std::min<uint64_t>(n, kPageBytes - off % kPageBytes);
    const auto it = pages_.find(off / kPageBytes);
    if (it == pages_.end())
      std::memset(d, 0, chunk);
    else
      std::memcpy(d, it->second->data() + off % kPageBytes, chunk);
    addr += chunk;
    d += chunk;
    n -= chunk;
  }
}

void AxiDram::mark_written(uint64_t lo, uint64_t hi) {
  auto it = written_.upper_bound(lo);
  if (it != written_.begin()) {
    auto before = std::prev(it);
    if (before->second >= lo) {
      lo = before->first;
      hi = std::max(hi, before->second);
      it = written_.erase(before);
    }
  }
  while (it != written_.end() && it->first <= hi) {
    hi = std::max(hi, it->second);
    it = written_.erase(it);
  }
  written_.emplace(lo, hi);
}

std::vector<std::pair<uint64_t, uint64_t>> AxiDram::written_ranges() const {
  return {written_.begin(), written_.end()};
}

// ---------------------------------------------------------------------------------------
// Protocol
// ---------------------------------------------------------------------------------------
void AxiDram::violation(const std::string& msg) {
  ++violation_count_;
  if (violations_.size() < kMaxViolationMessages)
    violations_.push_back(fmt::format("cycle {}: {}", cycle_, msg));
}

bool AxiDram::check_request(const char* ch, uint32_t addr, uint8_t len, uint8_t size,
                            uint8_t burst) {
  bool bad = false;
  if (size != kSize) {
    violation(
        fmt::format("{0}: {0}SIZE={1} at {0}ADDR {2:#x}; this 64-bit port supports only "
                    "{0}SIZE=3 (8-byte beats)",
                    ch, size, addr));
    bad = true;
  }
  if (burst != kBurstIncr) {
    violation(fmt::format("{0}: {0}BURST={1} at {0}ADDR {2:#x}; only INCR (1) is supported", ch,
                          burst, addr));
    bad = true;
  }
  if (addr % kBeatBytes != 0) {
    violation(fmt::format("{0}: {0}ADDR {1:#x} is not 8-byte aligned", ch, addr));
    bad = true;
  }
  const uint64_t first = addr & ~uint64_t(kBeatBytes - 1);
  const uint64_t bytes = (uint64_t(len) + 1) * kBeatBytes;
  if ((first % 4096) + bytes > 4096) {
    violation(
        fmt::format("{0}: burst {0}ADDR {1:#x} {0}LEN {2} ({3} bytes) crosses a 4 KiB "
                    "boundary",
                    ch, addr, len, bytes));
    bad = true;
  }
  return bad;
}

bool AxiDram::idle() const { return reads_.empty() && writes_.empty() && bresps_.empty(); }

void AxiDram::prepare() {
  if (prepared_) return;
  // Three draws every cycle, whatever the state: the back-pressure sequence depends on the
  // seed and the cycle only.
  const bool coin_ar = coin_(rng_) < cfg_.ready_prob;
  const bool coin_aw = coin_(rng_) < cfg_.ready_prob;
  const bool coin_w = coin_(rng_) < cfg_.ready_prob;
  const auto max_out = std::size_t(cfg_.max_outstanding);

  ar_ready_ = coin_ar && reads_.size() < max_out;
  aw_ready_ = coin_aw && writes_.size() + bresps_.size() < max_out;

  const bool r_want = !r_valid_ && !reads_.empty() && reads_.front().first_beat_cycle <= cycle_;
  const bool w_want = coin_w && !writes_.empty();
  const double beat = kBeatBytes;
  bool give_r = false;
  bool give_w = false;
  if (r_want && w_want && bucket_ >= beat && bucket_ < 2 * beat) {
    // One beat's worth of tokens, two takers: take turns.
    (w_priority_ ? give_w : give_r) = true;
  } else {
    give_r = r_want && bucket_ >= beat;
    give_w = w_want && bucket_ - (give_r ? beat : 0.0) >= beat;
  }
  if (give_r) {
    bucket_ -= beat;
    w_priority_ = true;
    const ReadBurst& b = reads_.front();
    const uint64_t addr = b.addr + uint64_t(b.sent) * kBeatBytes;
    r_data_ = 0;
    if (!b.error)
      for (int i = 0; i < kBeatBytes; ++i) r_data_ |= uint64_t(load(addr + i)) << (8 * i);
    r_resp_ = b.error ? kRespSlvErr : kRespOkay;
    r_id_ = b.id;
    r_last_ = b.sent + 1 == b.beats;
    r_valid_ = true;
  }
  w_ready_ = give_w;

  if (!b_valid_ && !bresps_.empty() && bresps_.front().ready_cycle <= cycle_) b_valid_ = true;
  prepared_ = true;
}

void AxiDram::drive(AxiPins& p) {
  prepare();
  p.arready = ar_ready_;
  p.awready = aw_ready_;
  p.wready = w_ready_;
  p.rvalid = r_valid_;
  p.rdata = r_valid_ ? r_data_ : 0;
  p.rresp = r_valid_ ? r_resp_ : 0;
  p.rlast = r_valid_ && r_last_;
  p.rid = r_valid_ ? r_id_ : 0;
  p.bvalid = b_valid_;
  p.bresp = b_valid_ ? bresps_.front().resp : 0;
  p.bid = b_valid_ ? bresps_.front().id : 0;
}

AxiDram::AddrBeat AxiDram::AddrBeat::ar(const AxiPins& p) {
  return {p.arvalid, p.araddr, p.arlen, p.arsize, p.arburst, p.arid};
}

AxiDram::AddrBeat AxiDram::AddrBeat::aw(const AxiPins& p) {
  return {p.awvalid, p.awaddr, p.awlen, p.awsize, p.awburst, p.awid};
}

// A master must hold VALID and the payload of an address channel while VALID && !READY.
void AxiDram::check_addr_stable(const char* ch, const AddrBeat& prev, bool prev_ready,
                                const AddrBeat& now) {
  if (!prev.valid || prev_ready) return;
  if (!now.valid) {
    violation(fmt::format("{0}: {0}VALID dropped before {0}READY", ch));
  } else if (now.addr != prev.addr || now.len != prev.len || now.size != prev.size ||
             now.burst != prev.burst || now.id != prev.id) {
    violation(fmt::format(
        "{0}: payload changed while {0}VALID && !{0}READY ({0}ADDR {1:#x} LEN {2} SIZE {3} "
        "BURST {4} ID {5} -> {0}ADDR {6:#x} LEN {7} SIZE {8} BURST {9} ID {10})",
        ch, prev.addr, prev.len, prev.size, prev.burst, prev.id, now.addr, now.len, now.size,
        now.burst, now.id));
  }
}

void AxiDram::edge(const AxiPins& p) {
  prepare();  // in case the harness skipped drive(): the outputs are what drive() would set
  const bool was_busy = !idle();

  // Stability: a master must hold VALID and the payload while VALID && !READY.
  check_addr_stable("AR", AddrBeat::ar(prev_), prev_ar_ready_, AddrBeat::ar(p));
  check_addr_stable("AW", AddrBeat::aw(prev_), prev_aw_ready_, AddrBeat::aw(p));
  if (prev_.wvalid && !prev_w_ready_) {
    if (!p.wvalid)
      violation("W: WVALID dropped before WREADY");
    else if (p.wdata != prev_.wdata || p.wstrb != prev_.wstrb || p.wlast != prev_.wlast)
      violation(
          fmt::format("W: payload changed while WVALID && !WREADY (WDATA {:#018x} STRB "
                      "{:#04x} LAST {} -> WDATA {:#018x} STRB {:#04x} LAST {})",
                      prev_.wdata, prev_.wstrb, int(prev_.wlast), p.wdata, p.wstrb, int(p.wlast)));
  }

  // R beat taken.
  if (r_valid_ && p.rready) {
    ReadBurst& b = reads_.front();
    ++stats_.r_beats;
    if (!b.error) stats_.bytes_read += kBeatBytes;
    r_valid_ = false;
    if (++b.sent == b.beats) {
      reads_.pop_front();
      ++stats_.read_bursts;
    }
  }
  // B taken.
  if (b_valid_ && p.bready) {
    bresps_.pop_front();
    b_valid_ = false;
    ++stats_.write_bursts;
  }
  // W beat accepted: goes to the oldest AW waiting for data.
  if (w_ready_ && p.wvalid) {
    bucket_ -= kBeatBytes;
    ++stats_.w_beats;
    WriteBurst& b = writes_.front();
    const uint64_t addr = b.addr + uint64_t(b.received) * kBeatBytes;
    ++b.received;
    if (!b.error) {
      int i = 0;
      while (i < kBeatBytes) {
        if (!((p.wstrb >> i) & 1)) {
          ++i;
          continue;
        }
        const int run = i;
        for (; i < kBeatBytes && ((p.wstrb >> i) & 1); ++i)
          store(addr + i, uint8_t(p.wdata >> (8 * i)));
        mark_written(addr + run, addr + i);
        stats_.bytes_written += uint64_t(i - run);
      }
    }
    const bool last_expected = b.received == b.beats;
    bool bad = false;
    if (p.wlast && !last_expected) {
      violation(fmt::format("W: early WLAST on beat {} of a {}-beat burst (AWADDR {:#x} AWID {})",
                            b.received, b.beats, b.addr, b.id));
      bad = true;
    } else if (!p.wlast && last_expected) {
      violation(
          fmt::format("W: WLAST missing on beat {} of a {}-beat burst (AWADDR {:#x} AWID "
                      "{}); burst closed",
                      b.received, b.beats, b.addr, b.id));
      bad = true;
    }
    if (p.wlast || last_expected) {
      bresps_.push_back({b.id, (b.error || bad) ? kRespSlvErr : kRespOkay,
                         cycle_ + 1 + uint64_t(cfg_.write_latency)});
      writes_.pop_front();
    }
  }
  if (w_ready_) w_priority_ = false;

  // New requests.
  const bool ar_fire = ar_ready_ && p.arvalid;
  if (ar_fire) {
    ReadBurst b;
    b.addr = p.araddr;
    b.beats = unsigned(p.arlen) + 1;
    b.id = p.arid;
    b.error = check_request("AR", p.araddr, p.arlen, p.arsize, p.arburst);
    b.error |= !in_range(b.addr & ~uint64_t(kBeatBytes - 1), uint64_t(b.beats) * kBeatBytes);
    b.first_beat_cycle = cycle_ + 1 + uint64_t(cfg_.read_latency);
    reads_.push_back(b);
  }
  const bool aw_fire = aw_ready_ && p.awvalid;
  if (aw_fire) {
    WriteBurst b;
    b.addr = p.awaddr;
    b.beats = unsigned(p.awlen) + 1;
    b.id = p.awid;
    b.error = check_request("AW", p.awaddr, p.awlen, p.awsize, p.awburst);
    b.error |= !in_range(b.addr & ~uint64_t(kBeatBytes - 1), uint64_t(b.beats) * kBeatBytes);
    writes_.push_back(b);
  }

  if (was_busy || ar_fire || aw_fire) ++stats_.busy_cycles;
  bucket_ = std::min(kBucketBytes, bucket_ + cfg_.bytes_per_cycle);
  prev_ = p;
  prev_ar_ready_ = ar_ready_;
  prev_aw_ready_ = aw_ready_;
  prev_w_ready_ = w_ready_;
  ++cycle_;
  prepared_ = false;
}

}  // namespace rsnpu::sim
