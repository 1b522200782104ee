#include "rsnpu/ml/quant.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cmath>

#include "ops.h"

namespace rsnpu::ml {
namespace {

using net::Layer;
using net::LayerType;
using MatD = ops::Mat<double>;

double word_lo(int bits) { return -std::ldexp(1.0, bits - 1); }
double word_hi(int bits) { return std::ldexp(1.0, bits - 1) - 1.0; }

// golden::quantize's rule for any width: round to nearest, ties away from zero, saturate.
double quantize_value(double x, int frac, int bits) {
  return std::clamp(std::round(std::ldexp(x, frac)), word_lo(bits), word_hi(bits));
}

void check_bits(const net::Network& net, int layer, int bits, const char* what) {
  if (bits < 2 || bits > 16) {
    throw ModelError(
        fmt::format("{}: layer {}: {} width {} outside 2-16", net.name, layer, what, bits));
  }
}

}  // namespace

int QuantFormat::frac_in(const net::Network& net, int layer) const {
  const int src = net.layers[std::size_t(layer)].input;
  return src < 0 ? in_frac : out_frac(net, src);
}
int QuantFormat::out_frac(const net::Network& net, int layer) const {
  const Layer& L = net.layers[std::size_t(layer)];
  return L.has_weights() ? layers[std::size_t(layer)].frac_out : frac_in(net, layer);
}
int QuantFormat::out_bits(const net::Network& net, int layer) const {
  const Layer& L = net.layers[std::size_t(layer)];
  if (L.has_weights()) return layers[std::size_t(layer)].a_bits;
  return L.input < 0 ? in_bits : out_bits(net, L.input);
}

Ranges measure_ranges(const net::Network& net, const FloatParams& p, const LabeledImages& calib,
                      int count) {
  Ranges r;
  r.act_max.assign(net.layers.size(), 0.0);
  r.weight_max.assign(net.layers.size(), 0.0);
  for (const Layer& L : net.layers) {
    for (float w : p.layers[std::size_t(L.index)].weights) {
      r.weight_max[std::size_t(L.index)] =
          std::max(r.weight_max[std::size_t(L.index)], double(std::fabs(w)));
    }
  }
  r.acc_max.assign(net.layers.size(), 0.0);
  const int n = std::min(count, calib.count);
  for (int first = 0; first < n; first += 250) {
    const int b = std::min(250, n - first);
    const Act<float> x = float_input(calib, first, b);
    r.input_max = std::max(r.input_max, double(x.m.cwiseAbs().maxCoeff()));
    std::vector<Act<float>> outs;
    std::vector<double> acc;
    forward(net, p, x, &outs, &acc);
    for (std::size_t i = 0; i < outs.size(); ++i) {
      r.act_max[i] = std::max(r.act_max[i], double(outs[i].m.cwiseAbs().maxCoeff()));
      r.acc_max[i] = std::max(r.acc_max[i], acc[i]);
    }
  }
  return r;
}

int frac_for(double max_abs, int bits) {
  if (!(max_abs > 0.0)) return bits - 1;
  return int(std::floor(std::log2(word_hi(bits) / max_abs)));
}

namespace {

// Largest accumulator fractional length at which 'acc_max' keeps a guard bit.
int acc_frac_limit(double acc_max, int acc_bits) {
  if (!(acc_max > 0.0)) return INT_MAX / 2;
  return int(std::floor(std::log2(std::ldexp(1.0, acc_bits - 2) / acc_max)));
}

}  // namespace

QuantFormat dynamic_format(const net::Network& net, const Ranges& r, int acc_bits, int in_bits,
                           const std::vector<int>& w_bits, const std::vector<int>& a_bits) {
  QuantFormat f;
  f.scheme = "dynamic";
  f.in_bits = in_bits;
  f.in_frac = frac_for(r.input_max, in_bits);
  f.layers.resize(net.layers.size());
  for (const Layer& L : net.layers) {
    if (!L.has_weights()) continue;
    const std::size_t i = std::size_t(L.index);
    LayerFormat& lf = f.layers[i];
    lf.w_bits = w_bits[i];
    lf.a_bits = a_bits[i];
    lf.frac_w = frac_for(r.weight_max[i], lf.w_bits);
    // The output range a layer must hold is that of its (pooled) consumer too: pooling takes
    // maxima, so the layer's own output range bounds it.
    lf.frac_out = frac_for(r.act_max[i], lf.a_bits);
    lf.frac_w =
        std::min(lf.frac_w, acc_frac_limit(r.acc_max[i], acc_bits) - f.frac_in(net, L.index));
  }
  return f;
}

QuantFormat dynamic_format(const net::Network& net, const Ranges& r, int acc_bits, int bits) {
  const std::vector<int> b(net.layers.size(), bits);
  return dynamic_format(net, r, acc_bits, bits, b, b);
}

QuantFormat static_format(const net::Network& net, const Ranges& r, int acc_bits, int bits) {
  int frac = frac_for(r.input_max, bits);
  for (const Layer& L : net.layers) {
    if (!L.has_weights()) continue;
    const std::size_t i = std::size_t(L.index);
    frac = std::min({frac, frac_for(r.weight_max[i], bits), frac_for(r.act_max[i], bits)});
    // The accumulator has 2 * frac fractional bits.
    frac = std::min(frac, acc_frac_limit(r.acc_max[i], acc_bits) / 2);
  }
  QuantFormat f;
  f.scheme = "static";
  f.in_bits = bits;
  f.in_frac = frac;
  f.layers.assign(net.layers.size(), LayerFormat{bits, frac, bits, frac});
  return f;
}

net::NetworkData quantize_params(const net::Network& net, const FloatParams& p,
                                 const QuantFormat& f) {
  net::NetworkData d;
  for (const Layer& L : net.layers) {
    net::LayerData ld;
    if (L.has_weights()) {
      const std::size_t i = std::size_t(L.index);
      const LayerFormat& lf = f.layers[i];
      check_bits(net, L.index, lf.w_bits, "weight");
      ld.weights = golden::WordTensor(L.weight_shape());
      const std::vector<float>& w = p.layers[i].weights;
      for (std::size_t k = 0; k < w.size(); ++k) {
        ld.weights.data[k] = int16_t(quantize_value(w[k], lf.frac_w, lf.w_bits));
      }
      if (L.bias) {
        const int acc_frac = f.frac_in(net, L.index) + lf.frac_w;
        for (float b : p.layers[i].bias) {
          ld.bias.push_back(int64_t(quantize_value(b, acc_frac, 32)));
        }
      }
    }
    d.layers.push_back(std::move(ld));
  }
  return d;
}

golden::WordTensor quantize_input(const net::Network& net, const QuantFormat& f,
                                  const LabeledImages& data, int first, int count) {
  check_bits(net, -1, f.in_bits, "input");
  golden::WordTensor t(net.input.with_batch(count));
  const std::size_t hw = std::size_t(data.rows) * data.cols;
  for (int b = 0; b < count; ++b) {
    const uint8_t* px = data.image(first + b);
    for (std::size_t i = 0; i < hw; ++i) {
      // The float model's input value, pixel / 255 in float, then the fixed-point rule.
      const float x = float(px[i]) / 255.0f;
      t.data[std::size_t(b) * hw + i] = int16_t(quantize_value(x, f.in_frac, f.in_bits));
    }
  }
  return t;
}

Eigen::MatrixXd fixed_forward(const net::Network& net, const net::NetworkData& q,
                              const QuantFormat& f, const golden::WordTensor& input, int acc_bits) {
  const golden::Shape4& s = input.shape;
  Act<double> x{s.c, s.h, s.w, s.n, MatD(s.c, long(s.n) * s.h * s.w)};
  for (int n = 0; n < s.n; ++n) {
    for (int c = 0; c < s.c; ++c) {
      for (int i = 0; i < s.h * s.w; ++i) {
        x.m(c, long(n) * s.h * s.w + i) = input.data[input.index(n, c, 0, 0) + std::size_t(i)];
      }
    }
  }
  for (const Layer& L : net.layers) {
    if (L.type == LayerType::kMaxPool) {
      x = ops::maxpool(x, L);
      continue;
    }
    const std::size_t i = std::size_t(L.index);
    const LayerFormat& lf = f.layers[i];
    check_bits(net, L.index, lf.a_bits, "activation");
    const net::LayerData& ld = q.layers[i];
    std::vector<double> w(ld.weights.data.begin(), ld.weights.data.end());
    Act<double> y = ops::linear(L, ops::weight_matrix(L, w), x);
    const int shift = f.frac_in(net, L.index) + lf.frac_w - lf.frac_out;
    const double lo = word_lo(lf.a_bits), hi = word_hi(lf.a_bits);
    for (long col = 0; col < y.m.cols(); ++col) {
      for (long m = 0; m < y.m.rows(); ++m) {
        // Products and sums are integers below 2^53: the double GEMM result is exact.
        int64_t acc = int64_t(y.m(m, col));
        if (L.bias) acc += ld.bias[std::size_t(m)];
        acc = golden::wrap(acc, acc_bits);
        double r;
        if (shift > 0) {
          r = double((acc + (int64_t{1} << (shift - 1))) >> shift);  // round half up
        } else {
          r = std::ldexp(double(acc), -shift);
        }
        r = std::clamp(r, lo, hi);
        if (L.relu && r < 0) r = 0;
        y.m(m, col) = r;
      }
    }
    x = std::move(y);
  }
  return x.m;
}

double fixed_top1(const net::Network& net, const net::NetworkData& q, const QuantFormat& f,
                  const LabeledImages& data, int acc_bits, int first, int count) {
  const int end = count <= 0 ? data.count : std::min(data.count, first + count);
  // Everything that can throw is checked here, outside the parallel loop.
  check_bits(net, -1, f.in_bits, "input");
  for (const Layer& L : net.layers) {
    if (L.has_weights())
      check_bits(net, L.index, f.layers[std::size_t(L.index)].a_bits, "activation");
  }
  int hits = 0;
#pragma omp parallel for schedule(dynamic) reduction(+ : hits)
  for (int b0 = first; b0 < end; b0 += 250) {
    const int b = std::min(250, end - b0);
    const Eigen::MatrixXd out =
        fixed_forward(net, q, f, quantize_input(net, f, data, b0, b), acc_bits);
    const std::vector<int> pred = argmax_columns(out);
    for (int j = 0; j < b; ++j) hits += pred[std::size_t(j)] == data.labels[std::size_t(b0 + j)];
  }
  return end > first ? double(hits) / (end - first) : 0.0;
}

PrecisionSearch search_precision(const net::Network& net, const Ranges& r, int acc_bits,
                                 double reference, double floor,
                                 const std::function<double(const QuantFormat&)>& score) {
  PrecisionSearch res;
  // Tensor t: 0 = input, then 2 per conv/fc layer (weights, output).
  std::vector<int*> tensors;
  int in_bits = 16;
  std::vector<int> wb(net.layers.size(), 16), ab(net.layers.size(), 16);
  tensors.push_back(&in_bits);
  for (const Layer& L : net.layers) {
    if (!L.has_weights()) continue;
    tensors.push_back(&wb[std::size_t(L.index)]);
    tensors.push_back(&ab[std::size_t(L.index)]);
  }
  auto eval = [&]() {
    ++res.evaluations;
    return score(dynamic_format(net, r, acc_bits, in_bits, wb, ab));
  };
  // Phase 1: each tensor alone.
  const double alone_floor = floor + (reference - floor) / 2;
  std::vector<int> alone(tensors.size(), 16);
  for (std::size_t t = 0; t < tensors.size(); ++t) {
    int lo = 2, hi = 16;  // hi always passes (or is 16)
    while (lo < hi) {
      const int mid = (lo + hi) / 2;
      *tensors[t] = mid;
      if (eval() >= alone_floor) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    alone[t] = hi;
    *tensors[t] = 16;
  }
  // Phase 2: all together, widened until the floor holds.
  for (std::size_t t = 0; t < tensors.size(); ++t) *tensors[t] = alone[t];
  double s = eval();
  while (s < floor) {
    double best = -1.0;
    std::size_t best_t = tensors.size();
    for (std::size_t t = 0; t < tensors.size(); ++t) {
      if (*tensors[t] >= 16) continue;
      ++*tensors[t];
      const double v = eval();
      --*tensors[t];
      if (v > best) {
        best = v;
        best_t = t;
      }
    }
    if (best_t == tensors.size()) break;  // everything at 16 bits
    ++*tensors[best_t];
    s = best;
  }
  res.format = dynamic_format(net, r, acc_bits, in_bits, wb, ab);
  res.format.scheme = "per-layer dynamic";
  res.score = s;
  return res;
}

net::Network hardware_network(const net::Network& net, const QuantFormat& f,
                              golden::Precision prec) {
  const int bits = golden::word_bits(prec);
  auto fail = [&](const Layer* L, const std::string& what) -> void {
    throw ModelError(L ? fmt::format("{}: layer {} \"{}\": {}", net.name, L->index, L->name, what)
                       : fmt::format("{}: {}", net.name, what));
  };
  if (f.in_bits != bits) fail(nullptr, fmt::format("input width {} is not {}", f.in_bits, bits));
  if (f.in_frac < 0 || f.in_frac > 31) {
    fail(nullptr, fmt::format("input fractional bits {} outside 0-31", f.in_frac));
  }
  net::Network h = net;
  h.precision = prec;
  h.input_frac = f.in_frac;
  for (Layer& L : h.layers) {
    L.precision = prec;
    L.frac_in = f.frac_in(net, L.index);
    if (!L.has_weights()) {
      L.frac_w = L.shift = 0;
      L.frac_out = L.frac_in;
      continue;
    }
    const LayerFormat& lf = f.layers[std::size_t(L.index)];
    if (lf.w_bits != bits || lf.a_bits != bits) {
      fail(&L, fmt::format("widths w{}/a{} are not the hardware's {}", lf.w_bits, lf.a_bits, bits));
    }
    if (lf.frac_w < 0 || lf.frac_w > 31 || lf.frac_out < 0 || lf.frac_out > 31) {
      fail(&L, fmt::format("fractional bits w {} / out {} outside 0-31", lf.frac_w, lf.frac_out));
    }
    L.frac_w = lf.frac_w;
    L.frac_out = lf.frac_out;
    L.shift = L.frac_in + L.frac_w - L.frac_out;
    if (L.shift < 0) fail(&L, fmt::format("requantization shift {} is negative", L.shift));
  }
  return h;
}

}  // namespace rsnpu::ml
