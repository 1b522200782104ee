// Cycle-level AXI4 DRAM (slave) model for the C++ testbench: one 64-bit AXI4 port in front
// of a sparse byte-addressed memory, with read/write latency, a shared link bandwidth, random
// back-pressure, SLVERR for out-of-range accesses and a protocol checker on the master.
//
// Clocking. Cycle n is the n-th drive()/edge() pair (cycle() == n during it). Per cycle,
// before the rising edge that closes it:
//   1. drive(p): sets the slave outputs (arready, awready, wready, r*, b*) for cycle n from
//      the model's state only, never from cycle n's master inputs, so there is no
//      combinational path through the model. Calling it again in the same cycle is harmless.
//   2. the harness sets the master inputs, evaluates the RTL and samples the handshakes;
//   3. edge(p): p holds the pins as they were just before the edge; every handshake with
//      valid && ready in p happens now (the ready side is taken from what drive() drove).
//
// Timing definitions (cycle numbers as above):
//   - Read latency L = Config::read_latency: an AR accepted in cycle a (ARVALID && ARREADY at
//     the edge closing cycle a) has its first R beat offered (RVALID high) in cycle a + 1 + L,
//     i.e. RVALID rises at the clock edge L cycles after the AR handshake edge. L = 0 is a
//     registered slave answering in the very next cycle. Following beats are offered one per
//     cycle as RREADY takes them; the bursts of several outstanding ARs are pipelined (each
//     has its own a + 1 + L) and returned back to back, in acceptance order.
//   - Write latency: the B response of a burst whose WLAST beat is accepted in cycle w is
//     offered (BVALID high) in cycle w + 1 + Config::write_latency. Bs come in AW order.
//   - Bandwidth: a token bucket of bytes, shared by R and W, full (kBucketBytes = 64) at
//     construction. At the start of a cycle a new R beat may be offered only if the bucket
//     holds >= 8 bytes, and offering it takes 8 (an R beat held while RREADY is low costs
//     nothing more). WREADY is high only if the bucket (after that) still holds >= 8; a W
//     handshake takes 8. At each edge the bucket gains bytes_per_cycle, capped at
//     kBucketBytes. So long-run R+W throughput is min(bytes_per_cycle, what the master
//     sustains), at most one R and one W beat per cycle. When R and W compete for the last
//     8 bytes they take turns.
//   - Back-pressure: each cycle ARREADY, AWREADY and WREADY are each high with probability
//     ready_prob (independent seeded draws), and only if the model can take the transfer.
//
// Behaviour:
//   - Outstanding limit: at most max_outstanding read bursts between AR acceptance and the
//     last R beat taken, and separately max_outstanding write bursts between AW acceptance
//     and the B response taken; beyond that ARREADY / AWREADY stay low.
//   - W beats are accepted only while an accepted AW is waiting for data (AXI lets a slave
//     wait for AW before raising WREADY), so the earliest W handshake of a burst is in the
//     cycle after its AW handshake. A master must therefore not wait for WREADY before raising
//     AWVALID. W beats go to the oldest accepted AW still waiting for data.
//   - Data: byte lane i of WDATA/RDATA is address (beat address + i), little-endian. WSTRB
//     applies per byte. W data is written at its handshake; R data is read from memory when
//     the beat is first offered. AXI orders nothing between the read and write channels: a
//     read overlapping a write sees the new data only if its AR is accepted after that
//     write's B response has been given. Memory starts as zeros.
//   - Errors: a burst any byte of which lies outside [base, base + size_bytes) gets SLVERR
//     (2) on every R beat (data zero) or on B (nothing written). Bursts with a protocol
//     violation of their AR/AW (size != 3, burst != INCR, unaligned address, 4 KiB crossing)
//     are treated the same way. A W burst ending early (WLAST before AWLEN + 1 beats) or late
//     (no WLAST on beat AWLEN + 1; the burst is closed there anyway) gets SLVERR on B; the
//     beats already accepted stay written.
//   - Protocol violations are recorded, never thrown: see violations().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace rsnpu::sim {

// Pins of one AXI4 port as the slave sees them (master outputs are inputs here).
struct AxiPins {
  // AR
  bool arvalid = false;
  bool arready = false;  // arready: slave output
  uint32_t araddr = 0;
  uint8_t arlen = 0, arsize = 0, arburst = 0, arid = 0;
  // R (slave outputs except rready)
  bool rvalid = false;
  bool rready = false;
  uint64_t rdata = 0;
  uint8_t rresp = 0;
  bool rlast = false;
  uint8_t rid = 0;
  // AW
  bool awvalid = false;
  bool awready = false;
  uint32_t awaddr = 0;
  uint8_t awlen = 0, awsize = 0, awburst = 0, awid = 0;
  // W
  bool wvalid = false;
  bool wready = false;
  uint64_t wdata = 0;
  uint8_t wstrb = 0;
  bool wlast = false;
  // B (slave outputs except bready)
  bool bvalid = false;
  bool bready = false;
  uint8_t bresp = 0;
  uint8_t bid = 0;
};

class AxiDram {
 public:
  static constexpr int kBeatBytes = 8;      // 64-bit data bus
  static constexpr uint8_t kSize = 3;       // AxSIZE of a full 8-byte beat
  static constexpr uint8_t kBurstIncr = 1;  // AxBURST INCR
  static constexpr uint8_t kRespOkay = 0;
  static constexpr uint8_t kRespSlvErr = 2;
  static constexpr double kBucketBytes = 64.0;                // token bucket capacity
  static constexpr std::size_t kMaxViolationMessages = 1000;  // further ones only counted

  struct Config {
    uint64_t base = 0;              // first byte address of the memory
    uint64_t size_bytes = 1 << 24;  // memory size
    int read_latency = 20;          // see "Timing definitions" above
    int write_latency = 10;
    double bytes_per_cycle = 8.0;  // shared R+W link bandwidth
    double ready_prob = 1.0;       // chance per cycle of ARREADY/AWREADY/WREADY, in (0, 1]
    uint64_t seed = 1;             // seeds the back-pressure draws
    int max_outstanding = 8;       // per direction, >= 1
  };

  struct Stats {
    uint64_t bytes_read = 0;     // 8 per R beat taken of an OKAY burst
    uint64_t bytes_written = 0;  // bytes with WSTRB set written into memory (OKAY bursts)
    uint64_t read_bursts = 0;    // bursts whose last R beat was taken (OKAY or SLVERR)
    uint64_t write_bursts = 0;   // B responses taken (OKAY or SLVERR)
    uint64_t r_beats = 0;        // R handshakes
    uint64_t w_beats = 0;        // W handshakes
    uint64_t busy_cycles = 0;    // cycles with a burst outstanding or an AR/AW handshake
  };

  // Throws std::invalid_argument on a bad configuration.
  explicit AxiDram(const Config& cfg);

  // Backdoor access, no timing; throws std::out_of_range outside [base, base + size_bytes).
  void write_bytes(uint64_t addr, const void* src, std::size_t n);
  void read_bytes(uint64_t addr, void* dst, std::size_t n) const;
  // Merged [lo, hi) address ranges written through AXI (bytes with WSTRB set, OKAY bursts).
  std::vector<std::pair<uint64_t, uint64_t>> written_ranges() const;

  // Per cycle: drive() before the edge, edge() at the edge (see the top of this file).
  void drive(AxiPins& p);
  void edge(const AxiPins& p);

  // Protocol violations of the master, "cycle N: <channel>: <what>", oldest first; the
  // first kMaxViolationMessages are kept, violation_count() counts all.
  const std::vector<std::string>& violations() const { return violations_; }
  uint64_t violation_count() const { return violation_count_; }

  const Stats& stats() const { return stats_; }
  const Config& config() const { return cfg_; }
  uint64_t cycle() const { return cycle_; }
  // Nothing accepted and unfinished: no read or write burst outstanding.
  bool idle() const;
  std::size_t reads_outstanding() const { return reads_.size(); }
  std::size_t writes_outstanding() const { return writes_.size() + bresps_.size(); }

 private:
  static constexpr uint64_t kPageBytes = 4096;
  using Page = std::array<uint8_t, kPageBytes>;

  struct ReadBurst {
    uint64_t addr = 0;   // address of beat 0 (8-byte aligned unless an error)
    unsigned beats = 0;  // ARLEN + 1
    uint8_t id = 0;
    bool error = false;
    uint64_t first_beat_cycle = 0;  // earliest cycle RVALID may carry beat 0
    unsigned sent = 0;              // beats taken by the master
  };
  struct WriteBurst {
    uint64_t addr = 0;
    unsigned beats = 0;  // AWLEN + 1
    uint8_t id = 0;
    bool error = false;
    unsigned received = 0;  // W beats accepted so far
  };
  struct BResp {
    uint8_t id = 0;
    uint8_t resp = 0;
    uint64_t ready_cycle = 0;  // earliest cycle BVALID may be offered
  };

  void check_range(uint64_t addr, std::size_t n, const char* what) const;
  bool in_range(uint64_t lo, uint64_t n) const;
  uint8_t load(uint64_t addr) const;
  void store(uint64_t addr, uint8_t v);
  void mark_written(uint64_t lo, uint64_t hi);
  void violation(const std::string& msg);
  // One AR or AW request as seen on the pins.
  struct AddrBeat {
    bool valid;
    uint32_t addr;
    uint8_t len, size, burst, id;
    static AddrBeat ar(const AxiPins& p);
    static AddrBeat aw(const AxiPins& p);
  };
  void check_addr_stable(const char* ch, const AddrBeat& prev, bool prev_ready,
                         const AddrBeat& now);
  // Checks an AR/AW request; returns true if the burst must get SLVERR.
  bool check_request(const char* ch, uint32_t addr, uint8_t len, uint8_t size, uint8_t burst);
  void prepare();  // computes this cycle's outputs once

  Config cfg_;
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> coin_{0.0, 1.0};

  std::unordered_map<uint64_t, std::unique_ptr<Page>> pages_;  // by page index from base
  std::map<uint64_t, uint64_t> written_;                       // lo -> hi, disjoint, merged

  std::deque<ReadBurst> reads_;    // accepted, not finished; front is being returned
  std::deque<WriteBurst> writes_;  // accepted, waiting for W data; front gets the next beat
  std::deque<BResp> bresps_;       // W data complete, B not yet taken

  // Outputs of the current cycle (valid once prepared_).
  bool prepared_ = false;
  bool ar_ready_ = false, aw_ready_ = false, w_ready_ = false;
  bool r_valid_ = false;  // an R beat is on the pins (held until taken)
  uint64_t r_data_ = 0;
  uint8_t r_resp_ = 0, r_id_ = 0;
  bool r_last_ = false;
  bool b_valid_ = false;
  bool w_priority_ = false;  // R and W take turns for scarce tokens
  double bucket_ = kBucketBytes;

  // Previous cycle's pins and our readies, for the stability checks.
  AxiPins prev_{};
  bool prev_ar_ready_ = false, prev_aw_ready_ = false, prev_w_ready_ = false;

  uint64_t cycle_ = 0;
  Stats stats_{};
  std::vector<std::string> violations_;
  uint64_t violation_count_ = 0;
};

}  // namespace rsnpu::sim
