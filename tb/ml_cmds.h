// `rsnpu train`, `rsnpu quant-study` and `rsnpu fmnist`: the Fashion-MNIST CNN, its
// fixed-point studies and its run on the accelerator RTL (docs/quantization.md).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace rsnpu::tb {

// Adds the subcommands to 'app'; the returned function runs the one the command line chose
// and returns its exit code, or -1 when none of them was chosen.
std::function<int()> add_ml_commands(CLI::App& app);

}  // namespace rsnpu::tb
