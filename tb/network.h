// Network descriptions (docs/network_format.md): the versioned, hardware-independent JSON
// format that lists a network's layers, its parser and validator, seeded random weights and
// inputs for it, and the golden model run of a whole network, layer after layer.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "rsnpu/golden/golden.h"

namespace rsnpu::net {

// The newest format version this parser reads (it reads every version from 1 up).
// Version 2 adds concat, avgpool and the residual field of conv/fc.
inline constexpr int kFormatVersion = 2;

// Every problem with a network description (and with data handed to run_golden). The
// message names the origin, the layer (0-based index and name) and the field, e.g.
//   alexnet.json: layer 3 "conv2": kernel r 7 larger than padded input height 5 (...)
class NetworkError : public std::runtime_error {
 public:
  explicit NetworkError(const std::string& message, int layer = -1, std::string field = "")
      : std::runtime_error(message), layer_(layer), field_(std::move(field)) {}
  int layer() const { return layer_; }                 // -1: not about one layer
  const std::string& field() const { return field_; }  // "" when no single field
 private:
  int layer_;
  std::string field_;
};

enum class LayerType { kConv, kFc, kMaxPool, kAvgPool, kConcat };
const char* to_string(LayerType type);  // "conv" / "fc" / "maxpool" / "avgpool" / "concat"

// Shape of one image's activations (batch N is a run option, not part of a network).
struct Shape3 {
  int c = 1, h = 1, w = 1;
  int64_t size() const { return int64_t(c) * h * w; }
  golden::Shape4 with_batch(int n) const { return golden::Shape4{n, c, h, w}; }
  bool operator==(const Shape3& o) const { return c == o.c && h == o.h && w == o.w; }
  std::string str() const;  // "CxHxW"
};

struct Layer {
  std::string name;
  LayerType type = LayerType::kConv;
  int index = 0;   // position in Network::layers
  int input = -1;  // index of the layer whose output this layer reads; -1: the network input
  // concat: every input, in channel order (input = inputs.front()); other types: {input}.
  std::vector<int> inputs;
  Shape3 in, out;  // per image

  // conv: m filters of r x s over in.c / conv.groups channels. fc: m outputs (r = s = 1).
  int m = 0, r = 1, s = 1;
  golden::ConvParams conv;  // conv only (fc and maxpool: defaults)
  golden::PoolParams pool;  // maxpool and avgpool
  // conv, fc: index of the layer (-1: the network input; -2: none) whose output, shifted left
  // by res_shift = frac_in + frac_w - its frac, is added to the accumulators before
  // requantization (a ResNet shortcut).
  int residual = -2;
  int res_shift = 0;
  // avgpool: the sum of a window times avg_mult, requantized by 'shift' (numerics.md
  // section 4b): avg_mult = round(2^shift / window), shift the largest (at most 30) that
  // keeps avg_mult a word of the precision and window * word_max * avg_mult below 2^31.
  int avg_mult = 0;

  // Operand and output precision. maxpool: the precision of its input (it passes words).
  golden::Precision precision = golden::Precision::kInt16;
  bool relu = false;  // conv, fc
  bool bias = false;  // conv, fc: one accumulator-scale bias per filter/output
  // Fractional bits of the input words, the weights and the output words, and the
  // requantization shift frac_in + frac_w - frac_out. maxpool: frac_w = shift = 0 and
  // frac_out = frac_in.
  int frac_in = 0, frac_w = 0, frac_out = 0, shift = 0;

  int64_t weights = 0;  // conv: m * (in.c/groups) * r * s; fc: m * in.size(); others: 0
  int64_t macs = 0;     // per image. conv: weights * out.h * out.w; fc: weights; others: 0

  bool has_weights() const { return type == LayerType::kConv || type == LayerType::kFc; }
  bool has_residual() const { return residual != -2; }
  // Weight tensor shape: conv M x C/groups x R x S, fc M x K x 1 x 1 (K = in.size()).
  golden::Shape4 weight_shape() const;
  golden::Requant requant() const { return {shift, precision, relu}; }
};

struct Network {
  std::string name;
  std::string description;  // free text, may be empty
  std::string origin;       // file path or the origin given to parse_network_string
  Shape3 input;
  int input_frac = 0;
  // Default precision of conv/fc layers; also the precision of the input words.
  golden::Precision precision = golden::Precision::kInt16;
  std::vector<Layer> layers;  // in order; the last one is the network's output

  const Layer* find(const std::string& layer_name) const;  // nullptr if absent
  int64_t total_macs() const;
  int64_t total_weights() const;
};

// Parse and validate. Throws NetworkError: JSON syntax errors as "origin:line:column: ...",
// everything else naming the layer and field. parse_network_file uses the path as origin.
Network parse_network_file(const std::string& path);
Network parse_network_string(const std::string& text, const std::string& origin);

// The same file with every layer in 'prec' (the top-level precision set, per-layer
// "precision" fields removed), parsed and validated again; the origin says so.
Network parse_network_file_as(const std::string& path, golden::Precision prec);

// Weights and biases of a network, one entry per layer (maxpool: empty).
struct LayerData {
  golden::WordTensor weights;  // Layer::weight_shape()
  std::vector<int64_t> bias;   // m values at accumulator scale, or empty when !Layer::bias
};
struct NetworkData {
  std::vector<LayerData> layers;
};

// Seeded random weights and biases (deterministic for a seed on every platform; layer i's
// values depend only on the seed, i and the layer's own parameters). Weights are words of
// the layer's precision (INT8 sign-extended), uniform in [-a, a] with
// a = clamp(round(2^frac_w * 2 / sqrt(fan_in)), 1, word_max), so activations keep a
// realistic magnitude layer after layer instead of saturating; bias is uniform with
// |bias| <= min(2^(frac_in+frac_w-1), 2^30) (at most 0.5 in real terms; fits 32 bits).
NetworkData make_random_data(const Network& net, uint64_t seed);

// Seeded random input, batch x C x H x W words of the network precision, uniform in
// [-L, L] with L = min(2^input_frac, word_max) (about [-1, 1] in real terms).
golden::WordTensor make_random_input(const Network& net, int batch, uint64_t seed);

// Runs the network on the golden model: conv -> conv2d_acc (+ residual) + requantize, fc ->
// fc_acc (+ residual) + requantize (with the layer's shift, precision and ReLU), maxpool ->
// golden::maxpool, avgpool -> avgpool_golden, concat -> channels of the inputs in order.
// Returns every layer's output (N x C x H x W), in layer order. Throws NetworkError if the
// input or the data do not fit the network or a shift exceeds acc_bits - 1.
// Average pooling as the format defines it: a depthwise convolution with every weight
// avg_mult (stride, no padding), requantized by the layer's shift without ReLU.
golden::WordTensor avgpool_golden(const Layer& L, const golden::WordTensor& in, int acc_bits);

std::vector<golden::WordTensor> run_golden(const Network& net, const NetworkData& data,
                                           const golden::WordTensor& input, int acc_bits);

}  // namespace rsnpu::net
