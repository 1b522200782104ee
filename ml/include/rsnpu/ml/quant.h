// Fixed-point quantization of a float CNN (docs/quantization.md): static fixed point (one
// Q-format for every tensor) and dynamic fixed point (per-layer fractional bits for weights
// and activations, chosen from measured ranges), an exact fixed-point evaluator for any bit
// width 2-16, and the per-layer precision search.
//
// The arithmetic is the hardware's (docs/numerics.md): integer products summed in an
// accumulator that wraps at acc_bits, plus a bias at accumulator scale, requantized by
// rounding half up, saturating to the word width and applying ReLU. At 8 and 16 bits the
// evaluator equals net::run_golden (tested), and so the RTL.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "network.h"
#include "rsnpu/golden/golden.h"
#include "rsnpu/ml/cnn.h"
#include "rsnpu/ml/idx.h"

namespace rsnpu::ml {

// Bits and fractional bits of a conv/fc layer's weights and output words.
struct LayerFormat {
  int w_bits = 16, frac_w = 0;
  int a_bits = 16, frac_out = 0;
};
// A fixed-point format of a whole network. layers: one per network layer (maxpool entries
// are ignored: a pooled tensor keeps its input's format). Fractional bits may be negative
// (a word x then means x * 2^-frac with -frac > 0) in the studies; the hardware needs 0-31.
struct QuantFormat {
  std::string scheme;  // "static", "dynamic", "per-layer" (free text)
  int in_bits = 16, in_frac = 0;
  std::vector<LayerFormat> layers;
  // Fractional bits of the tensor layer i reads (the input's, or its producer's output's).
  int frac_in(const net::Network& net, int layer) const;
  int out_bits(const net::Network& net, int layer) const;  // word bits of layer i's output
  int out_frac(const net::Network& net, int layer) const;
};

// Largest magnitude of every tensor, measured with the float model on calibration images.
struct Ranges {
  double input_max = 0.0;
  std::vector<double> weight_max;  // per layer (maxpool: 0)
  std::vector<double> act_max;     // per layer output (after ReLU and pooling)
  std::vector<double> acc_max;     // per conv/fc layer: products plus bias, before ReLU
};
Ranges measure_ranges(const net::Network& net, const FloatParams& p, const LabeledImages& calib,
                      int count);

// Largest fractional length f at which max_abs fits a signed 'bits'-bit word unsaturated:
// max_abs * 2^f <= 2^(bits-1) - 1. (max_abs = 0: bits - 1.)
int frac_for(double max_abs, int bits);

// Dynamic fixed point: every weight tensor and every activation tensor gets its own
// fractional length from its range; widths are per layer (w_bits[i], a_bits[i]; maxpool
// entries unused) and in_bits for the input. The accumulator must hold the layer's largest
// sum with one guard bit, acc_max * 2^(frac_in + frac_w) < 2^(acc_bits - 2): where it would
// not, the weights give up fractional bits (16-bit words with a 32-bit accumulator need it).
QuantFormat dynamic_format(const net::Network& net, const Ranges& r, int acc_bits, int in_bits,
                           const std::vector<int>& w_bits, const std::vector<int>& a_bits);
QuantFormat dynamic_format(const net::Network& net, const Ranges& r, int acc_bits,
                           int bits);  // every width 'bits'
// Static fixed point: one fractional length for every tensor of the network (the largest
// at which no tensor saturates and no accumulator overflows), all words 'bits' wide.
QuantFormat static_format(const net::Network& net, const Ranges& r, int acc_bits, int bits);

// Integer weights (saturated to w_bits) and biases (at accumulator scale frac_in + frac_w,
// saturated to 32 bits) of a format, rounding to nearest with ties away from zero.
net::NetworkData quantize_params(const net::Network& net, const FloatParams& p,
                                 const QuantFormat& f);
// Input words of images [first, first + count): round(pixel / 255 * 2^in_frac), saturated to
// in_bits (golden::quantize's rule).
golden::WordTensor quantize_input(const net::Network& net, const QuantFormat& f,
                                  const LabeledImages& data, int first, int count);

// Exact fixed-point inference of a batch: the last layer's output words, M x B (one column
// per image). Throws ModelError on a format the arithmetic cannot use (a width outside 2-16).
Eigen::MatrixXd fixed_forward(const net::Network& net, const net::NetworkData& q,
                              const QuantFormat& f, const golden::WordTensor& input, int acc_bits);
// Top-1 of the fixed-point model over images [first, first + count) (count <= 0: to the end).
double fixed_top1(const net::Network& net, const net::NetworkData& q, const QuantFormat& f,
                  const LabeledImages& data, int acc_bits, int first = 0, int count = 0);

// Per-layer precision search. Tensors: the input, then each conv/fc layer's weights and
// output words. Phase 1 finds, for each tensor alone (all others 16 bits), the smallest width
// whose score stays >= floor + (reference - floor) / 2 (binary search over 2-16, assuming
// the score grows with width). Phase 2 combines them and, while the combination scores below
// 'floor', widens by one bit the tensor whose widening scores best. 'score' evaluates a
// format (e.g. validation top-1).
struct PrecisionSearch {
  QuantFormat format;
  double score = 0.0;
  int evaluations = 0;
};
PrecisionSearch search_precision(const net::Network& net, const Ranges& r, int acc_bits,
                                 double reference, double floor,
                                 const std::function<double(const QuantFormat&)>& score);

// The network description with a format applied for the hardware: every word 'prec' wide
// (all widths of f must equal word_bits(prec)), fractional bits and shifts from f. Throws
// ModelError naming the layer when a fractional length is outside 0-31 or a shift is
// negative.
net::Network hardware_network(const net::Network& net, const QuantFormat& f,
                              golden::Precision prec);

}  // namespace rsnpu::ml
