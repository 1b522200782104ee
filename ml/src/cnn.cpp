#include "rsnpu/ml/cnn.h"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>

#include "ops.h"

namespace rsnpu::ml {
namespace {

using net::Layer;
using net::LayerType;
using MatF = ops::Mat<float>;

// Slices of a training batch computed in parallel (fixed, so results do not depend on the
// thread count).
constexpr int kChunks = 4;

[[noreturn]] void model_fail(const net::Network& net, const Layer* L, const std::string& what) {
  if (L) {
    throw ModelError(fmt::format("{}: layer {} \"{}\": {}", net.origin, L->index, L->name, what));
  }
  throw ModelError(fmt::format("{}: {}", net.origin, what));
}

// Adds the bias column to every column, reports the largest |sum| when asked, and applies
// ReLU when the layer has it.
void bias_relu(const Layer& L, const FloatLayer& p, Act<float>& y, double* acc_max) {
  const Eigen::Map<const Eigen::VectorXf> b(p.bias.data(), L.m);
  y.m.colwise() += b;
  if (acc_max) *acc_max = std::max(*acc_max, double(y.m.cwiseAbs().maxCoeff()));
  if (L.relu) y.m = y.m.cwiseMax(0.0f);
}

// What backpropagation needs of one layer's forward pass.
struct LayerCache {
  Act<float> in;             // the layer's input
  MatF cols;                 // conv: im2col of the input; fc: flattened input
  Act<float> out;            // the layer's output (after ReLU)
  std::vector<long> argmax;  // maxpool
};

}  // namespace

void check_trainable(const net::Network& net) {
  if (net.layers.empty()) model_fail(net, nullptr, "no layers");
  for (const Layer& L : net.layers) {
    if (L.input != L.index - 1) {
      model_fail(net, &L, fmt::format("reads layer {}; the float model needs a chain", L.input));
    }
    if (L.type == LayerType::kAvgPool || L.type == LayerType::kConcat || L.has_residual()) {
      model_fail(net, &L,
                 fmt::format("{}: the float model trains chains of conv, fc and maxpool only",
                             L.has_residual() ? "residual" : net::to_string(L.type)));
    }
    if (L.type == LayerType::kConv && L.conv.groups != 1) {
      model_fail(net, &L,
                 fmt::format("groups {}: the float model trains groups = 1 only", L.conv.groups));
    }
    if (L.type == LayerType::kMaxPool && (L.pool.pad_h != 0 || L.pool.pad_w != 0)) {
      model_fail(net, &L, "padded max-pooling is not supported by the float model");
    }
  }
  const Layer& last = net.layers.back();
  if (!last.has_weights() || last.relu) {
    model_fail(net, &last, "the last layer must be a conv or fc without ReLU (the logits)");
  }
}

FloatParams init_params(const net::Network& net, uint64_t seed) {
  check_trainable(net);
  FloatParams p;
  std::mt19937_64 g(seed);
  for (const Layer& L : net.layers) {
    FloatLayer fl;
    if (L.has_weights()) {
      const int64_t fan_in = L.weights / L.m;
      std::normal_distribution<float> nd(0.0f, std::sqrt(2.0f / float(fan_in)));
      fl.weights.resize(std::size_t(L.weights));
      for (float& w : fl.weights) w = nd(g);
      fl.bias.assign(std::size_t(L.m), 0.0f);
    }
    p.layers.push_back(std::move(fl));
  }
  return p;
}

Act<float> float_input(const LabeledImages& data, int first, int count,
                       const std::vector<int>& order) {
  const int hw = data.rows * data.cols;
  Act<float> x{1, data.rows, data.cols, count, MatF(1, long(count) * hw)};
  for (int b = 0; b < count; ++b) {
    const int idx = order.empty() ? first + b : order[std::size_t(first + b)];
    const uint8_t* px = data.image(idx);
    for (int i = 0; i < hw; ++i) x.m(0, long(b) * hw + i) = float(px[i]) / 255.0f;
  }
  return x;
}

namespace {

// The forward pass, keeping what backpropagation needs when 'caches' is given.
MatF forward_impl(const net::Network& net, const FloatParams& p, const Act<float>& in,
                  std::vector<LayerCache>* caches, std::vector<Act<float>>* layer_out,
                  std::vector<double>* acc_max) {
  Act<float> x = in;
  if (x.c != net.input.c || x.h != net.input.h || x.w != net.input.w) {
    model_fail(net, nullptr,
               fmt::format("input {}x{}x{} does not match the network input {}", x.c, x.h, x.w,
                           net.input.str()));
  }
  if (caches) caches->assign(net.layers.size(), {});
  if (acc_max) acc_max->resize(net.layers.size(), 0.0);
  for (const Layer& L : net.layers) {
    LayerCache* lc = caches ? &(*caches)[std::size_t(L.index)] : nullptr;
    if (lc) lc->in = x;
    Act<float> y;
    if (L.type == LayerType::kMaxPool) {
      y = ops::maxpool(x, L, lc ? &lc->argmax : nullptr);
    } else {
      const FloatLayer& fl = p.layers[std::size_t(L.index)];
      y = ops::linear(L, ops::weight_matrix(L, fl.weights), x, lc ? &lc->cols : nullptr);
      bias_relu(L, fl, y, acc_max ? &(*acc_max)[std::size_t(L.index)] : nullptr);
    }
    if (lc) lc->out = y;
    if (layer_out) layer_out->push_back(y);
    x = std::move(y);
  }
  return x.m;
}

}  // namespace

Eigen::MatrixXf forward(const net::Network& net, const FloatParams& p, const Act<float>& in,
                        std::vector<Act<float>>* layer_out, std::vector<double>* acc_max) {
  return forward_impl(net, p, in, nullptr, layer_out, acc_max);
}

double float_top1(const net::Network& net, const FloatParams& p, const LabeledImages& data,
                  int count) {
  const int n = count <= 0 ? data.count : std::min(count, data.count);
  int hits = 0;
#pragma omp parallel for schedule(dynamic) reduction(+ : hits)
  for (int first = 0; first < n; first += 250) {
    const int b = std::min(250, n - first);
    const std::vector<int> pred = argmax_columns(forward(net, p, float_input(data, first, b)));
    for (int i = 0; i < b; ++i) hits += pred[std::size_t(i)] == data.labels[std::size_t(first + i)];
  }
  return n ? double(hits) / n : 0.0;
}

Gradients loss_and_gradients(const net::Network& net, const FloatParams& p, const Act<float>& in,
                             const std::vector<uint8_t>& labels) {
  std::vector<LayerCache> cache;
  const MatF logits = forward_impl(net, p, in, &cache, nullptr, nullptr);
  const long B = logits.cols();
  Gradients g;
  // Softmax cross-entropy, numerically stable; dlogits = (softmax - onehot) / B.
  MatF d(logits.rows(), B);
  for (long j = 0; j < B; ++j) {
    const float mx = logits.col(j).maxCoeff();
    const Eigen::VectorXf e = (logits.col(j).array() - mx).exp().matrix();
    const float sum = e.sum();
    const int y = labels[std::size_t(j)];
    g.loss += -(double(logits(y, j) - mx) - std::log(double(sum)));
    d.col(j) = e / sum;
    d(y, j) -= 1.0f;
  }
  const std::vector<int> pred = argmax_columns(logits);
  for (long j = 0; j < B; ++j) g.correct += pred[std::size_t(j)] == labels[std::size_t(j)];
  g.loss /= double(B);
  d /= float(B);

  g.grad.layers.resize(net.layers.size());
  Act<float> dy{cache.back().out.c, cache.back().out.h, cache.back().out.w, int(B), std::move(d)};
  for (int i = int(net.layers.size()) - 1; i >= 0; --i) {
    const Layer& L = net.layers[std::size_t(i)];
    LayerCache& lc = cache[std::size_t(i)];
    Act<float> dx{lc.in.c, lc.in.h, lc.in.w, lc.in.b, MatF()};
    if (L.type == LayerType::kMaxPool) {
      dx.m = MatF::Zero(lc.in.m.rows(), lc.in.m.cols());
      for (long col = 0; col < dy.m.cols(); ++col) {
        for (long c = 0; c < dy.m.rows(); ++c) {
          dx.m(c, lc.argmax[std::size_t(col * dy.m.rows() + c)]) += dy.m(c, col);
        }
      }
    } else {
      if (L.relu) dy.m = dy.m.cwiseProduct((lc.out.m.array() > 0.0f).cast<float>().matrix());
      const FloatLayer& fl = p.layers[std::size_t(i)];
      FloatLayer& gl = g.grad.layers[std::size_t(i)];
      const MatF w = ops::weight_matrix(L, fl.weights);
      gl.weights = ops::weight_vector<float>(L, dy.m * lc.cols.transpose());
      const Eigen::VectorXf db = dy.m.rowwise().sum();
      gl.bias.assign(db.data(), db.data() + db.size());
      if (i > 0) {
        const MatF dcols = w.transpose() * dy.m;
        dx = L.type == LayerType::kFc ? ops::unflatten(dcols, lc.in) : ops::col2im(dcols, lc.in, L);
      }
    }
    dy = std::move(dx);
  }
  return g;
}

TrainResult train(const net::Network& net, const LabeledImages& train_set,
                  const LabeledImages& test_set, const TrainOptions& opt,
                  const TrainProgress& progress,
                  const std::function<void(const EpochStats&)>& on_epoch) {
  check_trainable(net);
  if (opt.threads > 0) omp_set_num_threads(opt.threads);
  if (opt.train_images < opt.batch || opt.train_images > train_set.count) {
    throw ModelError(fmt::format("train_images {} outside [batch {}, {}]", opt.train_images,
                                 opt.batch, train_set.count));
  }
  const auto t0 = std::chrono::steady_clock::now();
  TrainResult res;
  res.params = init_params(net, opt.seed);
  FloatParams& p = res.params;
  // Adam state.
  FloatParams m1 = p, m2 = p;
  for (auto* s : {&m1, &m2}) {
    for (auto& l : s->layers) {
      std::fill(l.weights.begin(), l.weights.end(), 0.0f);
      std::fill(l.bias.begin(), l.bias.end(), 0.0f);
    }
  }
  const double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  int64_t step = 0;

  // Validation images: the val_images training images after the first train_images.
  const LabeledImages val = train_set.slice(
      opt.train_images, std::clamp(opt.val_images, 0, train_set.count - opt.train_images));

  std::mt19937_64 rng(opt.seed ^ 0x5eed5eedULL);
  std::vector<int> order(std::size_t(opt.train_images));
  std::iota(order.begin(), order.end(), 0);
  const int batches = opt.train_images / opt.batch;
  for (int epoch = 1; epoch <= opt.epochs; ++epoch) {
    const auto e0 = std::chrono::steady_clock::now();
    std::shuffle(order.begin(), order.end(), rng);
    const double lr = opt.lr * std::pow(0.5, (epoch - 1) / std::max(1, opt.lr_halve_epochs));
    double loss_sum = 0.0;
    int64_t correct = 0;
    for (int bi = 0; bi < batches; ++bi) {
      // The batch in kChunks fixed slices computed in parallel, their gradients summed in a
      // fixed order: the result does not depend on the number of threads.
      Gradients g;
      std::vector<Gradients> parts(kChunks);
#pragma omp parallel for schedule(static)
      for (int k = 0; k < kChunks; ++k) {
        const int lo = bi * opt.batch + k * opt.batch / kChunks;
        const int hi = bi * opt.batch + (k + 1) * opt.batch / kChunks;
        if (hi <= lo) continue;
        const Act<float> x = float_input(train_set, lo, hi - lo, order);
        std::vector<uint8_t> y;
        for (int i = lo; i < hi; ++i)
          y.push_back(train_set.labels[std::size_t(order[std::size_t(i)])]);
        parts[std::size_t(k)] = loss_and_gradients(net, p, x, y);
        // Each slice's mean over its own images, reweighted to the batch mean.
        const float wgt = float(hi - lo) / float(opt.batch);
        parts[std::size_t(k)].loss *= wgt;
        for (auto& l : parts[std::size_t(k)].grad.layers) {
          for (float& v : l.weights) v *= wgt;
          for (float& v : l.bias) v *= wgt;
        }
      }
      for (int k = 0; k < kChunks; ++k) {
        Gradients& part = parts[std::size_t(k)];
        if (part.grad.layers.empty()) continue;
        if (g.grad.layers.empty()) {
          g = std::move(part);
          continue;
        }
        g.loss += part.loss;
        g.correct += part.correct;
        for (std::size_t l = 0; l < g.grad.layers.size(); ++l) {
          auto& a = g.grad.layers[l];
          const auto& b = part.grad.layers[l];
          for (std::size_t i = 0; i < a.weights.size(); ++i) a.weights[i] += b.weights[i];
          for (std::size_t i = 0; i < a.bias.size(); ++i) a.bias[i] += b.bias[i];
        }
      }
      loss_sum += g.loss;
      correct += g.correct;
      ++step;
      const double c1 = 1.0 - std::pow(beta1, double(step)),
                   c2 = 1.0 - std::pow(beta2, double(step));
      auto adam = [&](std::vector<float>& w, const std::vector<float>& gw, std::vector<float>& a,
                      std::vector<float>& v) {
        for (std::size_t k = 0; k < w.size(); ++k) {
          a[k] = float(beta1 * a[k] + (1.0 - beta1) * gw[k]);
          v[k] = float(beta2 * v[k] + (1.0 - beta2) * double(gw[k]) * gw[k]);
          w[k] -= float(lr * (a[k] / c1) / (std::sqrt(v[k] / c2) + eps));
        }
      };
      for (std::size_t l = 0; l < p.layers.size(); ++l) {
        if (p.layers[l].weights.empty()) continue;
        adam(p.layers[l].weights, g.grad.layers[l].weights, m1.layers[l].weights,
             m2.layers[l].weights);
        if (net.layers[l].bias) {
          adam(p.layers[l].bias, g.grad.layers[l].bias, m1.layers[l].bias, m2.layers[l].bias);
        }
      }
      if (progress) progress(epoch, bi + 1, batches, loss_sum / (bi + 1));
    }
    EpochStats es;
    es.epoch = epoch;
    es.loss = loss_sum / batches;
    es.train_top1 = double(correct) / (double(batches) * opt.batch);
    es.val_top1 = val.count > 0 ? float_top1(net, p, val) : 0.0;
    es.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - e0).count();
    res.epochs.push_back(es);
    if (on_epoch) on_epoch(es);
  }
  res.test_top1 = float_top1(net, p, test_set);
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

void save_weights(const std::string& path, const net::Network& net, const FloatParams& p,
                  const nlohmann::json& training) {
  nlohmann::ordered_json j;
  j["format"] = "rsnpu-weights";
  j["version"] = 1;
  j["network"] = net.name;
  j["training"] = training;
  nlohmann::ordered_json layers = nlohmann::ordered_json::object();
  for (const Layer& L : net.layers) {
    if (!L.has_weights()) continue;
    const golden::Shape4 s = L.weight_shape();
    const FloatLayer& fl = p.layers[std::size_t(L.index)];
    // Shortest decimal that reads back as the same float.
    auto floats = [](const std::vector<float>& v) {
      nlohmann::ordered_json a = nlohmann::ordered_json::array();
      for (float x : v) a.push_back(std::stod(fmt::format("{}", x)));
      return a;
    };
    layers[L.name] = {{"shape", {s.n, s.c, s.h, s.w}},
                      {"weights", floats(fl.weights)},
                      {"bias", floats(fl.bias)}};
  }
  j["layers"] = layers;
  std::ofstream f(path);
  if (!f) throw ModelError(fmt::format("{}: cannot write", path));
  f << j.dump(1) << "\n";
  if (!f) throw ModelError(fmt::format("{}: write failed", path));
}

FloatParams load_weights(const std::string& path, const net::Network& net) {
  std::ifstream f(path);
  if (!f) throw ModelError(fmt::format("{}: cannot open", path));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(f);
  } catch (const nlohmann::json::parse_error& e) {
    throw ModelError(fmt::format("{}: not valid JSON: {}", path, e.what()));
  }
  auto fail = [&](const std::string& what) { throw ModelError(fmt::format("{}: {}", path, what)); };
  if (!j.is_object() || j.value("format", "") != "rsnpu-weights") {
    fail("not an rsnpu-weights file (\"format\": \"rsnpu-weights\" missing)");
  }
  if (j.value("version", 0) != 1) fail("unsupported version (this reader reads 1)");
  if (j.value("network", "") != net.name) {
    fail(fmt::format("weights for network \"{}\", not \"{}\"", j.value("network", ""), net.name));
  }
  if (!j.contains("layers") || !j["layers"].is_object()) fail("\"layers\" object missing");
  const nlohmann::json& layers = j["layers"];
  FloatParams p;
  std::size_t used = 0;
  for (const Layer& L : net.layers) {
    FloatLayer fl;
    if (L.has_weights()) {
      const std::string where = fmt::format("layer \"{}\"", L.name);
      if (!layers.contains(L.name)) fail(where + ": missing");
      ++used;
      const nlohmann::json& e = layers[L.name];
      const golden::Shape4 s = L.weight_shape();
      const std::vector<int> want{s.n, s.c, s.h, s.w};
      if (!e.contains("shape") || e["shape"] != nlohmann::json(want)) {
        fail(fmt::format("{}: shape {} does not match the network's [{}, {}, {}, {}]", where,
                         e.contains("shape") ? e["shape"].dump() : "missing", s.n, s.c, s.h, s.w));
      }
      auto read = [&](const char* key, std::size_t n) {
        if (!e.contains(key) || !e[key].is_array() || e[key].size() != n) {
          fail(fmt::format("{}: \"{}\" must be an array of {} numbers", where, key, n));
        }
        std::vector<float> v;
        v.reserve(n);
        for (std::size_t k = 0; k < n; ++k) {
          const nlohmann::json& x = e[key][k];
          if (!x.is_number() || !std::isfinite(x.get<double>())) {
            fail(fmt::format("{}: {}[{}] is not a finite number", where, key, k));
          }
          v.push_back(x.get<float>());
        }
        return v;
      };
      fl.weights = read("weights", std::size_t(L.weights));
      fl.bias = read("bias", std::size_t(L.m));
    }
    p.layers.push_back(std::move(fl));
  }
  if (used != layers.size()) fail("has layers the network does not have");
  return p;
}

}  // namespace rsnpu::ml
