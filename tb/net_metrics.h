// Algorithm metrics of a network description, in the layout of the DNN-hardware tutorial
// tables (Sze et al., CICC 2017, Table I): layer counts, filter sizes, channel and filter
// ranges, strides, weights and MACs (CONV and FC separately), activation sizes. Every number
// is computed from the description. Conventions: a MAC is one multiply-accumulate of a conv
// or fc layer (pooling, ReLU and bias additions are not MACs); weights exclude biases; a
// grouped conv counts its real MACs (C/groups channels per filter).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "network.h"

namespace rsnpu::tb {

struct NetMetrics {
  std::string network;
  int conv_layers = 0, fc_layers = 0, pool_layers = 0;
  int64_t conv_weights = 0, conv_macs = 0, fc_weights = 0, fc_macs = 0;
  int64_t total_weights() const { return conv_weights + fc_weights; }
  int64_t total_macs() const { return conv_macs + fc_macs; }
  std::vector<std::string> filter_sizes;   // conv "RxS", distinct, in order of appearance
  int channels_min = 0, channels_max = 0;  // conv input channels
  int filters_min = 0, filters_max = 0;    // conv filters (M)
  std::vector<int> strides;                // conv strides, distinct, sorted
  int64_t input_values = 0;                // per image
  int64_t activations_max = 0;             // largest layer output, values per image
  int64_t activations_total = 0;           // sum of every layer's output, values per image
};

NetMetrics compute_metrics(const net::Network& net);

// Per-layer rows and totals as JSON ({"network", "layers": [...], "totals": {...}}).
nlohmann::json metrics_json(const net::Network& net, const NetMetrics& m);

// Prints the per-layer table and the summary table to stdout.
void print_metrics(const net::Network& net, const NetMetrics& m);

}  // namespace rsnpu::tb
