// `rsnpu bench`: a network on the accelerator RTL under a given DRAM link, every layer
// bit-exact, then the benchmark table DNN-hardware papers report (power, time, MACs, active
// PEs, utilization, GLB and DRAM traffic; fps, GMAC/s, GMAC/s/W, energy per image, accesses
// per MAC, storage, area), energy by level of the hierarchy from the activity counters and
// one or more energy tables, the physical limits (ideal cycles, compulsory DRAM traffic) and
// a published column (Eyeriss) beside ours. Writes JSON, Markdown and gnuplot PNGs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rsnpu::tb {

struct BenchOptions {
  std::string network = "networks/alexnet.json";
  std::string last_layer = "conv5";  // "" = the whole network
  std::string config = "eyeriss";
  int batch = 4;
  std::string precision = "int16";
  uint64_t seed = 1;
  double dram_mbytes_per_s = 480.0;  // DRAM link: Eyeriss's 64 bit at 60 MHz
  double dram_latency_ns = 150.0;    // read latency (assumption, docs/energy.md)
  // Energy tables; empty: config/ert/eyeriss_normalized.json and config/ert/osu018_<config>.json
  std::vector<std::string> erts;
  std::string reference = "config/reference/eyeriss_alexnet_conv.json";  // "": none
  std::string area_json;  // rsnpu_top area report (make synth); "": the default path if present
  std::string out_dir = "build/reports";
  bool plots = true;
  bool checked = false;
  bool quiet = false;
  int jobs = 1;  // parallel simulations (RunOptions::jobs)
};

// Returns 0 when every layer ran bit-exact and the reports were written; 1 on a mismatch; 2 on
// bad input (a message names the file and the problem).
int cmd_bench(const BenchOptions& o);

}  // namespace rsnpu::tb
