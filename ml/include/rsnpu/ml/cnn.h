// Float CNN on a network description (tb/network.h): parameters, batched forward pass,
// backpropagation and Adam training, and the weights file (docs/quantization.md).
//
// The architecture is the network description itself (conv, fc, maxpool layers in a chain),
// so the float model that is trained, the fixed-point model that is studied and the layers
// that run on the RTL are the same network. Training supports what the small CNNs here need:
// a chain of layers, groups = 1, ReLU, bias.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "network.h"
#include "rsnpu/ml/idx.h"

namespace rsnpu::ml {

// A network or weights file the float model cannot use (names the file or layer).
class ModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Checks that 'net' is a chain (each layer reads the one before) of conv/fc/maxpool layers
// with groups = 1 whose last layer is an fc or conv without ReLU (the logits).
void check_trainable(const net::Network& net);

// Float parameters, one entry per layer (maxpool: empty). weights in weight_shape() order
// (M x C x R x S; fc M x K), bias M values (zeros when the layer has no bias).
struct FloatLayer {
  std::vector<float> weights;
  std::vector<float> bias;
};
struct FloatParams {
  std::vector<FloatLayer> layers;
};

// He-normal initial weights, zero biases, from a seed.
FloatParams init_params(const net::Network& net, uint64_t seed);

// Activations of a batch in channel-major layout: rows = channels, columns = (image, y, x)
// with x fastest. An fc output is M x B (h = w = 1), the same layout.
template <typename S>
struct Act {
  int c = 0, h = 0, w = 0, b = 0;
  Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic> m;
};

// Float input of a batch: pixel / 255, images [first, first + count) of 'data' in the order
// 'order' gives (empty: natural order).
Act<float> float_input(const LabeledImages& data, int first, int count,
                       const std::vector<int>& order = {});

// Forward pass of a float model over a batch. layer_out, when given, receives every layer's
// output (after ReLU and pooling); acc_max, when given, the largest |products + bias| (before
// ReLU) of each conv/fc layer over the batch (maxpool: 0). Returns the logits (classes x B).
Eigen::MatrixXf forward(const net::Network& net, const FloatParams& p, const Act<float>& in,
                        std::vector<Act<float>>* layer_out = nullptr,
                        std::vector<double>* acc_max = nullptr);

// Index of the largest value in each column (ties: the lowest index).
template <typename Derived>
std::vector<int> argmax_columns(const Eigen::MatrixBase<Derived>& m) {
  std::vector<int> out(std::size_t(m.cols()));
  for (Eigen::Index j = 0; j < m.cols(); ++j) {
    Eigen::Index best = 0;
    m.col(j).maxCoeff(&best);
    out[std::size_t(j)] = int(best);
  }
  return out;
}

// Top-1 of the float model on images [0, count) of 'data' (count <= 0: all), batched.
double float_top1(const net::Network& net, const FloatParams& p, const LabeledImages& data,
                  int count = 0);

// Loss and gradients of a batch (mean softmax cross-entropy).
struct Gradients {
  double loss = 0.0;
  int correct = 0;  // top-1 hits in the batch
  FloatParams grad;
};
Gradients loss_and_gradients(const net::Network& net, const FloatParams& p, const Act<float>& in,
                             const std::vector<uint8_t>& labels);

struct TrainOptions {
  uint64_t seed = 1;
  int epochs = 10;
  int batch = 64;
  double lr = 1e-3;  // Adam step size, halved every lr_halve_epochs epochs
  int lr_halve_epochs = 3;
  int train_images = 55000;  // the first ones of the training split
  int val_images = 5000;     // the next ones validate (at most what is left)
  int threads = 0;           // OpenMP threads (0: OpenMP's default, all cores)
};
struct EpochStats {
  int epoch = 0;
  double loss = 0.0, train_top1 = 0.0, val_top1 = 0.0, seconds = 0.0;
};
struct TrainResult {
  FloatParams params;
  std::vector<EpochStats> epochs;
  double test_top1 = 0.0, seconds = 0.0;
};
// progress(epoch, batches done, batches per epoch, running loss) after every batch.
using TrainProgress = std::function<void(int, int, int, double)>;
TrainResult train(const net::Network& net, const LabeledImages& train_set,
                  const LabeledImages& test_set, const TrainOptions& opt,
                  const TrainProgress& progress = {},
                  const std::function<void(const EpochStats&)>& on_epoch = {});

// Weights file: JSON {"format": "rsnpu-weights", "version": 1, "network": name, "layers":
// {name: {"shape": [...], "weights": [...], "bias": [...]}}, "training": {...}}.
// 'training' (any JSON) records how the weights were made.
void save_weights(const std::string& path, const net::Network& net, const FloatParams& p,
                  const nlohmann::json& training);
// Throws ModelError naming the file and layer for a wrong format, missing or extra layer,
// shape mismatch, wrong value count or a non-finite value.
FloatParams load_weights(const std::string& path, const net::Network& net);

}  // namespace rsnpu::ml
