#include "net_metrics.h"

#include <fmt/format.h>

#include <algorithm>

namespace rsnpu::tb {

NetMetrics compute_metrics(const net::Network& net) {
  NetMetrics m;
  m.network = net.name;
  m.input_values = net.input.size();
  bool first_conv = true;
  for (const net::Layer& L : net.layers) {
    m.activations_max = std::max(m.activations_max, L.out.size());
    m.activations_total += L.out.size();
    switch (L.type) {
      case net::LayerType::kConv: {
        ++m.conv_layers;
        m.conv_weights += L.weights;
        m.conv_macs += L.macs;
        const std::string fs = fmt::format("{}x{}", L.r, L.s);
        if (std::find(m.filter_sizes.begin(), m.filter_sizes.end(), fs) == m.filter_sizes.end()) {
          m.filter_sizes.push_back(fs);
        }
        if (first_conv) {
          m.channels_min = m.channels_max = L.in.c;
          m.filters_min = m.filters_max = L.m;
          first_conv = false;
        }
        m.channels_min = std::min(m.channels_min, L.in.c);
        m.channels_max = std::max(m.channels_max, L.in.c);
        m.filters_min = std::min(m.filters_min, L.m);
        m.filters_max = std::max(m.filters_max, L.m);
        for (int st : {L.conv.stride_h, L.conv.stride_w}) {
          if (std::find(m.strides.begin(), m.strides.end(), st) == m.strides.end()) {
            m.strides.push_back(st);
          }
        }
        break;
      }
      case net::LayerType::kFc:
        ++m.fc_layers;
        m.fc_weights += L.weights;
        m.fc_macs += L.macs;
        break;
      case net::LayerType::kMaxPool:
      case net::LayerType::kAvgPool:
        ++m.pool_layers;
        break;
      case net::LayerType::kConcat:
        break;
    }
  }
  std::sort(m.strides.begin(), m.strides.end());
  return m;
}

nlohmann::json metrics_json(const net::Network& net, const NetMetrics& m) {
  nlohmann::json layers = nlohmann::json::array();
  for (const net::Layer& L : net.layers) {
    nlohmann::json j = {{"name", L.name},
                        {"type", net::to_string(L.type)},
                        {"input", {L.in.c, L.in.h, L.in.w}},
                        {"output", {L.out.c, L.out.h, L.out.w}},
                        {"weights", L.weights},
                        {"macs", L.macs},
                        {"output_values", L.out.size()}};
    if (L.type == net::LayerType::kConv) {
      j["filter"] = {L.r, L.s};
      j["filters"] = L.m;
      j["stride"] = {L.conv.stride_h, L.conv.stride_w};
      j["pad"] = {L.conv.pad_h, L.conv.pad_w};
      j["groups"] = L.conv.groups;
    } else if (L.type == net::LayerType::kMaxPool || L.type == net::LayerType::kAvgPool) {
      j["window"] = {L.pool.kernel_h, L.pool.kernel_w};
      j["stride"] = {L.pool.stride_h, L.pool.stride_w};
    } else if (L.type == net::LayerType::kConcat) {
      nlohmann::json ins = nlohmann::json::array();
      for (int r : L.inputs) ins.push_back(r < 0 ? "input" : net.layers[std::size_t(r)].name);
      j["inputs"] = ins;
    }
    if (L.has_residual()) {
      j["residual"] = L.residual < 0 ? "input" : net.layers[std::size_t(L.residual)].name;
    }
    layers.push_back(j);
  }
  return {{"network", m.network},
          {"conventions",
           "MAC: one multiply-accumulate of a conv or fc layer; weights exclude biases; grouped "
           "convs count C/groups channels per filter"},
          {"layers", layers},
          {"totals",
           {{"conv_layers", m.conv_layers},
            {"fc_layers", m.fc_layers},
            {"pool_layers", m.pool_layers},
            {"filter_sizes", m.filter_sizes},
            {"channels", {m.channels_min, m.channels_max}},
            {"filters", {m.filters_min, m.filters_max}},
            {"strides", m.strides},
            {"conv_weights", m.conv_weights},
            {"conv_macs", m.conv_macs},
            {"fc_weights", m.fc_weights},
            {"fc_macs", m.fc_macs},
            {"total_weights", m.total_weights()},
            {"total_macs", m.total_macs()},
            {"input_values", m.input_values},
            {"activations_max", m.activations_max},
            {"activations_total", m.activations_total}}}};
}

namespace {

// 61.0M, 724M, 1.43G: three significant digits with an SI suffix.
std::string si(int64_t v) {
  const double x = double(v);
  const char* suffix[] = {"", "k", "M", "G", "T"};
  int i = 0;
  double y = x;
  while (y >= 1000.0 && i < 4) {
    y /= 1000.0;
    ++i;
  }
  if (i == 0) return fmt::format("{}", v);
  return y >= 100  ? fmt::format("{:.0f}{}", y, suffix[i])
         : y >= 10 ? fmt::format("{:.1f}{}", y, suffix[i])
                   : fmt::format("{:.2f}{}", y, suffix[i]);
}

}  // namespace

void print_metrics(const net::Network& net, const NetMetrics& m) {
  fmt::print("{}: {} layers\n", m.network, net.layers.size());
  std::size_t nw = 10;
  for (const net::Layer& L : net.layers) nw = std::max(nw, L.name.size());
  fmt::print("{:<{}} {:<7} {:>15} {:>15} {:>7} {:>6} {:>6} {:>5} {:>12} {:>14}\n", "layer", nw,
             "type", "input CxHxW", "output CxHxW", "filter", "stride", "pad", "grp", "weights",
             "MACs");
  for (const net::Layer& L : net.layers) {
    std::string filt = "-", stride = "-", pad = "-", grp = "-";
    if (L.type == net::LayerType::kConv) {
      filt = fmt::format("{}x{}", L.r, L.s);
      stride = fmt::format("{}", L.conv.stride_h);
      pad = fmt::format("{}", L.conv.pad_h);
      grp = fmt::format("{}", L.conv.groups);
    } else if (L.type == net::LayerType::kMaxPool || L.type == net::LayerType::kAvgPool) {
      filt = fmt::format("{}x{}", L.pool.kernel_h, L.pool.kernel_w);
      stride = fmt::format("{}", L.pool.stride_h);
      if (L.type == net::LayerType::kMaxPool) pad = fmt::format("{}", L.pool.pad_h);
    }
    fmt::print("{:<{}} {:<7} {:>15} {:>15} {:>7} {:>6} {:>6} {:>5} {:>12} {:>14}\n", L.name, nw,
               net::to_string(L.type), L.in.str(), L.out.str(), filt, stride, pad, grp, L.weights,
               L.macs);
  }
  auto join = [](const auto& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + fmt::format("{}", x);
    return s.empty() ? std::string("-") : s;
  };
  fmt::print("\n{:<24} {}\n", "metric", m.network);
  fmt::print("{:<24} {}\n", "CONV layers", m.conv_layers);
  fmt::print("{:<24} {}\n", "filter sizes", join(m.filter_sizes));
  fmt::print("{:<24} {}\n", "channels",
             m.conv_layers ? fmt::format("{}-{}", m.channels_min, m.channels_max) : "-");
  fmt::print("{:<24} {}\n", "filters",
             m.conv_layers ? fmt::format("{}-{}", m.filters_min, m.filters_max) : "-");
  fmt::print("{:<24} {}\n", "strides", join(m.strides));
  fmt::print("{:<24} {} ({})\n", "CONV weights", si(m.conv_weights), m.conv_weights);
  fmt::print("{:<24} {} ({})\n", "CONV MACs", si(m.conv_macs), m.conv_macs);
  fmt::print("{:<24} {}\n", "FC layers", m.fc_layers);
  fmt::print("{:<24} {} ({})\n", "FC weights", si(m.fc_weights), m.fc_weights);
  fmt::print("{:<24} {} ({})\n", "FC MACs", si(m.fc_macs), m.fc_macs);
  fmt::print("{:<24} {} ({})\n", "total weights", si(m.total_weights()), m.total_weights());
  fmt::print("{:<24} {} ({})\n", "total MACs", si(m.total_macs()), m.total_macs());
  fmt::print("{:<24} {}\n", "input values", m.input_values);
  fmt::print("{:<24} {}\n", "largest activation", m.activations_max);
  fmt::print("{:<24} {}\n", "all activations", m.activations_total);
  fmt::print(
      "MACs: conv/fc multiply-accumulates (grouped convs: C/groups per filter); weights "
      "exclude biases.\n");
}

}  // namespace rsnpu::tb
