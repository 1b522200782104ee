// Driver of the implementation flow's accelerator simulations (synth/accel_sim.sh): the
// `rsnpu layer-regress` and `rsnpu run` commands of the rsnpu CLI (tb/accel_cmds.cpp,
// unmodified) on the one model this executable is built with (synth/gls/rtl_models.h).
//   accel_sim layer-regress SEED COUNT JSON
//   accel_sim run NETWORK SEED JSON [FST]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "accel_cmds.h"

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  try {
    if (cmd == "layer-regress" && argc == 5) {
      rsnpu::tb::LayerRegressOptions o;
      o.config = RSNPU_SIM_CONFIG_NAME;
      o.seed = std::strtoull(argv[2], nullptr, 10);
      o.count = std::strtoull(argv[3], nullptr, 10);
      o.json_path = argv[4];
      o.quiet = true;
      return rsnpu::tb::cmd_layer_regress(o);
    }
    if (cmd == "run" && (argc == 5 || argc == 6)) {
      rsnpu::tb::RunCmdOptions o;
      o.network = argv[2];
      o.config = RSNPU_SIM_CONFIG_NAME;
      o.seed = std::strtoull(argv[3], nullptr, 10);
      o.json_path = argv[4];
      if (argc == 6) o.trace_path = argv[5];
      o.checked = true;
      o.quiet = true;
      return rsnpu::tb::cmd_run(o);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "accel_sim: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr,
               "usage: %s layer-regress SEED COUNT JSON | run NETWORK SEED JSON [FST]\n", argv[0]);
  return 2;
}
