// `rsnpu run` and `rsnpu layer-regress`: networks and random layers on the accelerator RTL.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "accel_run.h"

namespace rsnpu::tb {

// Parses a network description for a run: every layer in 'precision' ("int8"/"int16"; "":
// as described), cut after 'last_layer' ("": all; the name gets "_to_<last_layer>"). Throws on
// a malformed file; prints the error and returns nullopt for an unknown layer name.
std::optional<net::Network> load_run_network(const std::string& path,
                                             const std::string& precision,
                                             const std::string& last_layer);

struct RunCmdOptions {
  std::string network;  // rsnpu-net JSON file
  std::string config = "eyeriss";
  int batch = 1;
  uint64_t seed = 1;
  std::string precision;  // "int8"/"int16": every layer in that precision; "": as described
  std::string last_layer;  // run the layers up to this one only; "": all
  std::string first_layer;  // start at this layer (earlier outputs from the golden model)
  DramKnobs dram;
  std::string json_path;   // write the report here
  std::string trace_path;  // FST waveform of the whole run
  bool checked = false;    // the model with RTL assertions (default: the fast model)
  bool quiet = false;
  int jobs = 1;            // parallel simulations (RunOptions::jobs)
  bool plan = false;       // print the mappings, estimates and split; simulate nothing
};
int cmd_run(const RunCmdOptions& o);

// One line on stderr per finished layer of rsnpu run / bench: the layer's cycles,
// utilization, simulation seconds, verdict and the estimated wall time left in the run.
void print_layer_progress(const LayerReport& r, int index, int count, double remaining_s);

struct LayerRegressOptions {
  std::string config = "tiny";
  uint64_t seed = 1, count = 50;
  std::string waves_dir;  // one FST per layer
  std::string json_path;
  bool quiet = false;
};
int cmd_layer_regress(const LayerRegressOptions& o);

}  // namespace rsnpu::tb
