// Layers and networks on the accelerator RTL (rsnpu_top), DRAM to DRAM, each layer checked
// bit for bit against the golden model: the host side of `rsnpu run` and `rsnpu
// layer-regress`, and of the accelerator tests.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "dram_image.h"
#include "layer_map.h"
#include "network.h"
#include "rsnpu/golden/golden.h"
#include "rsnpu/hw_configs.h"
#include "rsnpu/hw_enums.h"

namespace rsnpu::tb {

// The DRAM model's timing for a run.
struct DramKnobs {
  int read_latency = 20;         // cycles
  int write_latency = 10;        // cycles
  double bytes_per_cycle = 8.0;  // shared read + write bandwidth
  double ready_prob = 1.0;       // chance per cycle of AR/AW/W ready (back-pressure)
  std::string str() const;
  static DramKnobs random(std::mt19937_64& rng);  // latency 1-60, 2-8 B/cycle, ready 0.3-1
};

// Where a layer's four regions sit in DRAM, and the windows the descriptor allows.
struct LayerPlacement {
  DramAddrs addrs;
  uint64_t dram_bytes = 0;  // DRAM size the layout needs
};
LayerPlacement place_layer(const LayerDesc& d, const LayerMap& m, uint32_t base = 0x1000);

// CSR writes of a layer descriptor (docs/accelerator.md), CTRL excluded.
std::vector<std::pair<uint32_t, uint32_t>> encode_descriptor(const LayerDesc& d,
                                                             const LayerMap& m,
                                                             const DramAddrs& a);

// One layer's run on the RTL and its comparison with the golden model.
struct LayerReport {
  std::string name;
  LayerDesc desc;
  LayerMap map;
  int64_t macs = 0;           // useful MACs of the layer (LayerDesc::macs)
  uint64_t cycles = 0;        // CTRL.start write to interrupt
  uint64_t pe_macs = 0;       // MACs the PEs executed (padding and tile waste included)
  uint64_t pe_skipped = 0;    // MACs gated by zero ifmap words
  double utilization = 0.0;   // macs / (cycles * PEs of the configuration)
  int active_pes = 0;         // PEs a pass uses
  uint64_t dram_read_bytes = 0;
  uint64_t dram_write_bytes = 0;
  int err_code = 0;           // STATUS.err_code (hw::CtrlErr)
  bool bitexact = false;      // ran, and every output word (padding included) matched
  int64_t mismatches = 0;     // output words that differ
  std::string failure;        // empty when bitexact; else what went wrong first
  double sim_seconds = 0.0;   // wall time of the simulation
  int sim = 0;                // which of the parallel simulations ran it (RunOptions::jobs)
  // The hardware's activity counters (perf_ctr_e, read over the CSR bus after the layer);
  // checked against the testbench's own counts and, for a mapped layer, macs.
  std::array<uint64_t, hw::kPerfCtrCount> counters{};
  uint64_t counter(hw::PerfCtr c) const { return counters[std::size_t(c)]; }
};

struct RunOptions {
  std::string config = "tiny";
  uint64_t seed = 1;
  DramKnobs dram;
  std::string wave_path;  // FST of the run; empty: none (RSNPU_WAVES still applies)
  // Run the fast model (Vrsnpu_top_fast_<config>: no assertion checks, no waveforms) instead
  // of the checking one. Ignored when a waveform is wanted: that needs the checking model.
  bool fast = false;
  // run_network_rtl: start at this network layer (""/absent: the first). The layers before it
  // are not simulated: their golden outputs are written to DRAM where the RTL would have
  // written them, so the run continues exactly as a whole run would (every layer the RTL ran
  // before is checked bit-exact, so its output equals the golden one).
  std::string first_layer;
  // run_network_rtl: simulations run in parallel threads, each with its own model and DRAM
  // (1: one simulation runs every layer in order). The layers are split by estimated cycles;
  // a layer whose input another simulation produces reads the golden output there, which
  // equals the RTL's since every layer is checked bit-exact. Cycles, DRAM bytes and results
  // per layer do not depend on the split; wall time does.
  int jobs = 1;
};

// Maps 'd' (throws MapError when it does not map), fills DRAM with seeded random data,
// runs the layer on the RTL and compares. Uses a fresh simulation.
LayerReport run_layer_rtl(const LayerDesc& d, const RunOptions& opt);

// Runs a descriptor as given (no mapping), for directed tests of the hardware's checks:
// DRAM is filled with a canary; returns the report (err_code) and whether any byte outside
// [wr_lo, wr_hi) changed or anything was written at all.
struct RawRun {
  LayerReport report;
  bool dram_written = false;       // any write reached DRAM
  bool outside_window = false;     // a write landed outside the descriptor's write window
};
RawRun run_descriptor_rtl(const LayerDesc& d, const LayerMap& m, const DramAddrs& a,
                          const RunOptions& opt);

// A network, layer after layer on one simulation: each hardware layer reads the previous
// one's output where it left it in DRAM (no host work between layers), and every layer's
// output is compared with the golden run of the network.
struct NetworkReport {
  std::string network, config;
  int batch = 1;
  uint64_t seed = 1;
  std::vector<LayerReport> layers;
  bool bitexact = false;  // every layer
  uint64_t cycles = 0, sim_cycles_per_s = 0;
  double sim_seconds = 0.0;
  golden::WordTensor output;  // the last layer's output as the RTL wrote it to DRAM
};
// How run_network_rtl runs a network, decided before anything is simulated: the hardware
// layers with their mappings (each fc lowered the way with fewer estimated cycles, FcLowering),
// the first one simulated (RunOptions::first_layer), the mapper's
// cycle estimate of each (estimated_cycles) and which simulation runs which layers
// (RunOptions::jobs: longest estimated layer first, each to the least loaded simulation).
// Throws MapError when a layer does not map or first_layer names no hardware layer.
struct NetworkPlan {
  std::vector<LoweredLayer> lowered;
  std::vector<LayerMap> maps;                  // one per lowered layer
  std::vector<int64_t> est_cycles;             // one per lowered layer
  std::size_t start = 0;                       // first lowered layer simulated
  std::vector<std::vector<std::size_t>> work;  // per simulation: its layers, network order
  std::vector<int64_t> sim_est_cycles() const;  // per simulation: the sum of its estimates
};
NetworkPlan plan_network(const net::Network& net, int batch, const RunOptions& opt);

// Wall time left in a run, from the estimates. Simulation w has load[w] estimated cycles in
// all; its finished layers hold done[w] of them, the last of which finished last_s[w] seconds
// into the run, and elapsed_s seconds have passed. Its pace is done[w] / last_s[w]; the time
// since last_s[w] went into the layer it is running, so it is subtracted from what the rest
// needs at that pace (never below 0). A simulation that has finished nothing yet is taken at
// the mean pace of those that have. The run ends with its slowest simulation. Negative when
// no simulation has finished anything.
double remaining_seconds(const std::vector<int64_t>& load, const std::vector<int64_t>& done,
                         const std::vector<double>& last_s, double elapsed_s);

// Called after each layer, in completion order: the layer, how many layers finished before
// it, how many the run has, and the estimated wall seconds left (remaining_seconds).
using Progress =
    std::function<void(const LayerReport&, int index, int count, double remaining_s)>;
// Seeded random weights, biases and input (net::make_random_data / make_random_input).
NetworkReport run_network_rtl(const net::Network& net, int batch, const RunOptions& opt,
                              const Progress& progress = {});
// Given weights, biases and input (batch = input.shape.n).
NetworkReport run_network_rtl(const net::Network& net, const net::NetworkData& data,
                              const golden::WordTensor& input, const RunOptions& opt,
                              const Progress& progress = {});

}  // namespace rsnpu::tb
