#include "ml_cmds.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "accel_run.h"
#include "cli_report.h"
#include "network.h"
#include "rsnpu/hw_configs.h"
#include "rsnpu/ml/cnn.h"
#include "rsnpu/ml/idx.h"
#include "rsnpu/ml/quant.h"

namespace rsnpu::tb {
namespace {

struct TrainCmd {
  std::string network = "networks/fmnist_cnn.json";
  std::string out = "networks/fmnist_cnn.weights.json";
  std::string data_dir, json_path;
  ml::TrainOptions train;
  bool quiet = false;
};

int cmd_train(const TrainCmd& o) {
  const net::Network net = net::parse_network_file(o.network);
  ml::check_trainable(net);
  const ml::LabeledImages tr = ml::load_fashion_mnist(ml::Split::kTrain, o.data_dir);
  const ml::LabeledImages te = ml::load_fashion_mnist(ml::Split::kTest, o.data_dir);
  fmt::print(
      "train {} on Fashion-MNIST ({}): {} training images, {} validation, {} test; "
      "{} epochs, batch {}, Adam lr {}, seed {}\n",
      net.name, ml::fashion_mnist_dir(o.data_dir), o.train.train_images,
      tr.count - o.train.train_images, te.count, o.train.epochs, o.train.batch, o.train.lr,
      o.train.seed);
  auto progress = [&](int epoch, int done, int total, double loss) {
    if (o.quiet) return;
    print_progress(fmt::format("epoch {}/{} loss {:.4f}", epoch, o.train.epochs, loss),
                   uint64_t(done), uint64_t(total), "batches", uint64_t(total / 4));
  };
  auto on_epoch = [&](const ml::EpochStats& e) {
    fmt::print(
        "epoch {:>2}: loss {:.4f}  train top-1 {:.2f}%  validation top-1 {:.2f}%  {:.1f} s\n",
        e.epoch, e.loss, 100 * e.train_top1, 100 * e.val_top1, e.seconds);
  };
  const ml::TrainResult r = ml::train(net, tr, te, o.train, progress, on_epoch);
  fmt::print("test top-1 {:.2f}% ({} images), training took {:.1f} s\n", 100 * r.test_top1,
             te.count, r.seconds);
  nlohmann::json epochs = nlohmann::json::array();
  for (const auto& e : r.epochs) {
    epochs.push_back({{"epoch", e.epoch},
                      {"loss", e.loss},
                      {"train_top1", e.train_top1},
                      {"val_top1", e.val_top1},
                      {"seconds", e.seconds}});
  }
  const nlohmann::json training = {
      {"command", fmt::format("rsnpu train --network {} --seed {} --epochs {} --batch {} --lr {}",
                              o.network, o.train.seed, o.train.epochs, o.train.batch, o.train.lr)},
      {"data", "Fashion-MNIST (Debian dataset-fashion-mnist)"},
      {"seed", o.train.seed},
      {"epochs", o.train.epochs},
      {"batch", o.train.batch},
      {"optimizer", "Adam"},
      {"lr", o.train.lr},
      {"lr_halve_epochs", o.train.lr_halve_epochs},
      {"train_images", o.train.train_images},
      {"test_top1", r.test_top1},
      {"seconds", r.seconds}};
  ml::save_weights(o.out, net, r.params, training);
  fmt::print("weights: {}\n", o.out);
  if (!o.json_path.empty()) {
    nlohmann::json j = training;
    j["per_epoch"] = epochs;
    j["weights"] = o.out;
    write_json_file(o.json_path, j);
  }
  return 0;
}

// What the studies and the RTL run share: the network, its float weights, the data and the
// ranges measured on calibration images (the first kCalibImages training images).
constexpr int kCalibImages = 2000;
constexpr int kValFirst = 55000;  // validation: training images 55,000-59,999 (not trained on)

struct ModelSetup {
  std::string network = "networks/fmnist_cnn.json";
  std::string weights = "networks/fmnist_cnn.weights.json";
  std::string data_dir;
  std::string config = "eyeriss";
};

struct Loaded {
  net::Network net;
  ml::FloatParams params;
  ml::LabeledImages train, test;
  ml::Ranges ranges;
  const cfg::HwConfig* hw = nullptr;  // the configuration (never null after load_model)
  int acc_bits = 32;
};

Loaded load_model(const ModelSetup& s) {
  Loaded l;
  l.hw = cfg::find(s.config);
  if (!l.hw) throw std::runtime_error(fmt::format("unknown configuration \"{}\"", s.config));
  l.net = net::parse_network_file(s.network);
  ml::check_trainable(l.net);
  l.params = ml::load_weights(s.weights, l.net);
  l.test = ml::load_fashion_mnist(ml::Split::kTest, s.data_dir);
  l.train = ml::load_fashion_mnist(ml::Split::kTrain, s.data_dir);
  l.ranges = ml::measure_ranges(l.net, l.params, l.train, kCalibImages);
  l.acc_bits = l.hw->acc_bits;
  return l;
}

std::string format_str(const net::Network& net, const ml::QuantFormat& f) {
  std::string out = fmt::format("in {}b/f{}", f.in_bits, f.in_frac);
  for (const net::Layer& L : net.layers) {
    if (!L.has_weights()) continue;
    const ml::LayerFormat& lf = f.layers[std::size_t(L.index)];
    out +=
        fmt::format("  {} w{}b/f{} a{}b/f{}", L.name, lf.w_bits, lf.frac_w, lf.a_bits, lf.frac_out);
  }
  return out;
}

nlohmann::json format_json(const net::Network& net, const ml::QuantFormat& f) {
  nlohmann::json layers = nlohmann::json::array();
  for (const net::Layer& L : net.layers) {
    if (!L.has_weights()) continue;
    const ml::LayerFormat& lf = f.layers[std::size_t(L.index)];
    layers.push_back({{"layer", L.name},
                      {"w_bits", lf.w_bits},
                      {"frac_w", lf.frac_w},
                      {"a_bits", lf.a_bits},
                      {"frac_out", lf.frac_out}});
  }
  return {{"scheme", f.scheme}, {"in_bits", f.in_bits}, {"in_frac", f.in_frac}, {"layers", layers}};
}

// Runs gnuplot on a script; throws naming the script and its log on failure.
void run_gnuplot(const std::string& script) {
  const std::string log = script + ".log";
  const int rc = std::system(fmt::format("gnuplot '{}' > '{}' 2>&1", script, log).c_str());
  if (rc != 0) {
    throw std::runtime_error(
        fmt::format("gnuplot failed on {} (exit {}): see {}", script, rc, log));
  }
}

struct StudyCmd {
  ModelSetup setup;
  std::string out_dir = "build/reports/quant";
  std::vector<int> bits{16, 12, 10, 8, 6, 4, 2};
  int test_images = 0;  // 0: all 10,000
  double tolerance = 0.01;
  bool quiet = false;
};

int cmd_quant_study(const StudyCmd& o) {
  const auto t0 = std::chrono::steady_clock::now();
  const Loaded m = load_model(o.setup);
  const int n_test = o.test_images > 0 ? std::min(o.test_images, m.test.count) : m.test.count;
  const net::Network& net = m.net;
  const double float_test = ml::float_top1(net, m.params, m.test, n_test);
  // Validation top-1 of the float model (the per-layer search's reference).
  const ml::LabeledImages val = m.train.slice(kValFirst, m.train.count - kValFirst);
  const int n_val = o.test_images > 0 ? std::min(o.test_images, val.count) : val.count;
  const double float_val = ml::float_top1(net, m.params, val, n_val);
  fmt::print("{}: float top-1 {:.2f}% on {} test images ({:.2f}% on {} validation images)\n",
             net.name, 100 * float_test, n_test, 100 * float_val, n_val);

  auto top1 = [&](const ml::QuantFormat& f, const ml::LabeledImages& d, int n) {
    return ml::fixed_top1(net, ml::quantize_params(net, m.params, f), f, d, m.acc_bits, 0, n);
  };

  // Static and dynamic fixed point at each width.
  fmt::print("\n{:>5}  {:>12}  {:>12}\n", "bits", "static top-1", "dynamic top-1");
  nlohmann::json sweep = nlohmann::json::array();
  for (int b : o.bits) {
    const ml::QuantFormat fs = ml::static_format(net, m.ranges, m.acc_bits, b);
    const ml::QuantFormat fd = ml::dynamic_format(net, m.ranges, m.acc_bits, b);
    const double ts = top1(fs, m.test, n_test), td = top1(fd, m.test, n_test);
    fmt::print("{:>5}  {:>11.2f}%  {:>11.2f}%\n", b, 100 * ts, 100 * td);
    sweep.push_back({{"bits", b},
                     {"static_top1", ts},
                     {"dynamic_top1", td},
                     {"static_format", format_json(net, fs)},
                     {"dynamic_format", format_json(net, fd)}});
  }

  // Per-layer precision: the smallest width per tensor whose validation top-1 stays within
  // the tolerance of float (ml::search_precision).
  const double floor_val = float_val - o.tolerance;
  const ml::PrecisionSearch ps =
      ml::search_precision(net, m.ranges, m.acc_bits, float_val, floor_val,
                           [&](const ml::QuantFormat& f) { return top1(f, val, n_val); });
  const ml::QuantFormat& fpl = ps.format;
  const int evals = ps.evaluations;
  const int in_bits = fpl.in_bits;
  std::vector<int> wb, ab;
  for (const auto& lf : fpl.layers) {
    wb.push_back(lf.w_bits);
    ab.push_back(lf.a_bits);
  }
  const double pl_val = top1(fpl, val, n_val), pl_test = top1(fpl, m.test, n_test);
  const double d8_test = top1(ml::dynamic_format(net, m.ranges, m.acc_bits, 8), m.test, n_test);
  int64_t weights = 0, weight_bits = 0, acts = 0, act_bits = 0;
  nlohmann::json per_layer = nlohmann::json::array();
  fmt::print("\nper-layer precision (top-1 within {:.1f}% of float on validation):\n",
             100 * o.tolerance);
  fmt::print("{:<8} {:>9} {:>7} {:>12} {:>7}\n", "layer", "weights", "w bits", "activations",
             "a bits");
  fmt::print("{:<8} {:>9} {:>7} {:>12} {:>7}\n", "input", "-", "-", net.input.size(), in_bits);
  acts += net.input.size();
  act_bits += net.input.size() * in_bits;
  for (const net::Layer& Ly : net.layers) {
    if (!Ly.has_weights()) continue;
    const std::size_t i = std::size_t(Ly.index);
    fmt::print("{:<8} {:>9} {:>7} {:>12} {:>7}\n", Ly.name, Ly.weights, wb[i], Ly.out.size(),
               ab[i]);
    weights += Ly.weights;
    weight_bits += Ly.weights * wb[i];
    acts += Ly.out.size();
    act_bits += Ly.out.size() * ab[i];
    per_layer.push_back({{"layer", Ly.name},
                         {"weights", Ly.weights},
                         {"w_bits", wb[i]},
                         {"activations", Ly.out.size()},
                         {"a_bits", ab[i]}});
  }
  const double avg_w = double(weight_bits) / double(weights);
  const double avg_a = double(act_bits) / double(acts);
  fmt::print(
      "average bits: weights {:.2f}, activations {:.2f}; weight storage {:.1f} KiB "
      "(16-bit: {:.1f} KiB, 8-bit: {:.1f} KiB)\n",
      avg_w, avg_a, double(weight_bits) / 8 / 1024, double(weights) * 2 / 1024,
      double(weights) / 1024);
  fmt::print(
      "top-1: validation {:.2f}% (float {:.2f}%), test {:.2f}% (float {:.2f}%, dynamic "
      "8-bit {:.2f}%); {} evaluations\n",
      100 * pl_val, 100 * float_val, 100 * pl_test, 100 * float_test, 100 * d8_test, evals);

  // Reports: JSON, Markdown, the plot.
  namespace fs = std::filesystem;
  fs::create_directories(o.out_dir);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::json j = {{"network", net.name},
                      {"weights", o.setup.weights},
                      {"acc_bits", m.acc_bits},
                      {"test_images", n_test},
                      {"validation_images", n_val},
                      {"calibration_images", kCalibImages},
                      {"float_top1", float_test},
                      {"float_val_top1", float_val},
                      {"sweep", sweep},
                      {"per_layer",
                       {{"tolerance", o.tolerance},
                        {"input_bits", in_bits},
                        {"layers", per_layer},
                        {"avg_weight_bits", avg_w},
                        {"avg_activation_bits", avg_a},
                        {"weight_bytes", double(weight_bits) / 8},
                        {"weight_bytes_16bit", weights * 2},
                        {"val_top1", pl_val},
                        {"test_top1", pl_test},
                        {"format", format_json(net, fpl)}}},
                      {"wall_seconds", secs}};
  write_json_file(o.out_dir + "/quant_study.json", j);
  {
    std::ofstream dat(o.out_dir + "/top1_vs_bits.dat");
    dat << "# bits static_top1% dynamic_top1%\n";
    for (const auto& e : sweep) {
      dat << fmt::format("{} {:.2f} {:.2f}\n", e["bits"].get<int>(),
                         100 * e["static_top1"].get<double>(),
                         100 * e["dynamic_top1"].get<double>());
    }
    std::ofstream gp(o.out_dir + "/top1_vs_bits.gp");
    gp << "set terminal pngcairo size 800,500 noenhanced\n"
       << "set output '" << o.out_dir << "/top1_vs_bits.png'\n"
       << "set title '" << net.name << ": top-1 on Fashion-MNIST test vs. bit width'\n"
       << "set xlabel 'bits (weights and activations)'\nset ylabel 'top-1 (%)'\n"
       << "set yrange [0:100]\nset xrange [1:17]\nset xtics (2,4,6,8,10,12,16)\nset grid\n"
       << "set key bottom right\n"
       << fmt::format(
              "plot '{0}/top1_vs_bits.dat' using 1:3 with linespoints lw 2 pt 7 title "
              "'dynamic fixed point', '{0}/top1_vs_bits.dat' using 1:2 with linespoints "
              "lw 2 pt 5 title 'static fixed point', {1:.2f} with lines dt 2 title "
              "'float32'\n",
              o.out_dir, 100 * float_test);
  }
  run_gnuplot(o.out_dir + "/top1_vs_bits.gp");
  {
    std::ofstream md(o.out_dir + "/quant_study.md");
    md << "# Quantization study: " << net.name << " on Fashion-MNIST\n\n"
       << fmt::format(
              "Float32 top-1: **{:.2f}%** on {} test images. Weights: `{}`. "
              "Accumulator: {} bits (configuration `{}`). Fractional lengths come from "
              "the largest magnitudes over the first {} training images.\n\n",
              100 * float_test, n_test, o.setup.weights, m.acc_bits, o.setup.config, kCalibImages)
       << "## Impact on accuracy: static vs dynamic fixed point\n\n"
       << "Static: one fractional length for every tensor. Dynamic: one per tensor (weights "
          "and activations of each layer).\n\n"
       << "| bits | static top-1 | dynamic top-1 |\n|---:|---:|---:|\n";
    for (const auto& e : sweep) {
      md << fmt::format("| {} | {:.2f}% | {:.2f}% |\n", e["bits"].get<int>(),
                        100 * e["static_top1"].get<double>(),
                        100 * e["dynamic_top1"].get<double>());
    }
    md << "\n![top-1 vs bits](top1_vs_bits.png)\n\n"
       << fmt::format("## Precision per layer (validation top-1 within {:.1f}% of float)\n\n",
                      100 * o.tolerance)
       << "| tensor | values | bits |\n|---|---:|---:|\n"
       << fmt::format("| input | {} | {} |\n", net.input.size(), in_bits);
    for (const auto& e : per_layer) {
      md << fmt::format("| {} weights | {} | {} |\n| {} output | {} | {} |\n",
                        e["layer"].get<std::string>(), e["weights"].get<int64_t>(),
                        e["w_bits"].get<int>(), e["layer"].get<std::string>(),
                        e["activations"].get<int64_t>(), e["a_bits"].get<int>());
    }
    md << fmt::format(
        "\nAverage bits: weights {:.2f}, activations {:.2f}. Weight storage "
        "{:.1f} KiB (16-bit {:.1f} KiB). Top-1: validation {:.2f}% (float "
        "{:.2f}%), test {:.2f}% (float {:.2f}%).\n",
        avg_w, avg_a, double(weight_bits) / 8 / 1024, double(weights) * 2 / 1024, 100 * pl_val,
        100 * float_val, 100 * pl_test, 100 * float_test);
  }
  fmt::print(
      "reports: {0}/quant_study.md, {0}/quant_study.json, {0}/top1_vs_bits.png "
      "({1:.1f} s)\n",
      o.out_dir, secs);
  return 0;
}

struct HwRunCmd {
  ModelSetup setup;
  std::vector<int> bits{8, 16};
  int first = 0, count = 16, batch = 1;
  std::string json_path;
  bool quiet = false, list = true;
  bool checked = false;  // the model with RTL assertions (default: the fast model)
};

// The quantized Fashion-MNIST CNN on the accelerator RTL, image batch by image batch: every
// layer bit-exact with the golden model, and the RTL's predictions equal to the exact
// fixed-point evaluator's.
int cmd_fmnist(const HwRunCmd& o) {
  const Loaded m = load_model(o.setup);
  const net::Network& net = m.net;
  if (o.first < 0 || o.first >= m.test.count) {
    throw std::runtime_error(
        fmt::format("--first {} outside the {} test images", o.first, m.test.count));
  }
  const int count = std::min(o.count, m.test.count - o.first);
  const cfg::HwConfig* hw = m.hw;
  const int pes = hw->pe_rows * hw->pe_cols;
  bool all_ok = true;
  nlohmann::json runs = nlohmann::json::array();
  for (int bits : o.bits) {
    if (bits != 8 && bits != 16) throw std::runtime_error("--bits: the hardware runs 8 or 16");
    const golden::Precision prec = bits == 8 ? golden::Precision::kInt8 : golden::Precision::kInt16;
    const ml::QuantFormat f = ml::dynamic_format(net, m.ranges, m.acc_bits, bits);
    const net::Network hnet = ml::hardware_network(net, f, prec);
    const net::NetworkData q = ml::quantize_params(net, m.params, f);
    fmt::print(
        "{} INT{} dynamic fixed point on {} RTL ({} model): test images {}-{}, batch {}\n"
        "  format: {}\n",
        net.name, bits, hw->name, o.checked ? "checking" : "fast", o.first, o.first + count - 1,
        o.batch, format_str(net, f));
    if (o.list) fmt::print("  {:>6}  {:<12} {:<12} {:<12}\n", "image", "label", "golden", "RTL");
    int gold_hits = 0, rtl_hits = 0, disagree = 0, failed_batches = 0;
    uint64_t cycles = 0, dram_bytes = 0;
    int64_t macs = 0;
    double sim_s = 0.0;
    std::string first_failure;
    for (int b0 = o.first; b0 < o.first + count; b0 += o.batch) {
      const int nb = std::min(o.batch, o.first + count - b0);
      const golden::WordTensor in = ml::quantize_input(net, f, m.test, b0, nb);
      const Eigen::MatrixXd want = ml::fixed_forward(net, q, f, in, m.acc_bits);
      tb::RunOptions ro;
      ro.config = hw->name;
      ro.seed = uint64_t(b0) + 1;
      ro.fast = !o.checked;
      const tb::NetworkReport r = tb::run_network_rtl(hnet, q, in, ro);
      sim_s += r.sim_seconds;
      cycles += r.cycles;
      for (const auto& lr : r.layers) {
        macs += lr.macs;
        dram_bytes += lr.dram_read_bytes + lr.dram_write_bytes;
        if (!lr.bitexact && first_failure.empty()) {
          first_failure =
              fmt::format("images {}-{}, layer {}: {}", b0, b0 + nb - 1, lr.name, lr.failure);
        }
      }
      if (!r.bitexact) ++failed_batches;
      // The RTL's logits (N x M x 1 x 1 words) as an M x N matrix, like the evaluator's.
      const bool shaped = r.output.shape.n == nb && r.output.shape.c == int(want.rows()) &&
                          r.output.data.size() == std::size_t(want.size());
      Eigen::MatrixXd got = Eigen::MatrixXd::Constant(want.rows(), nb, -1e9);
      if (shaped) {
        for (int j = 0; j < nb; ++j) {
          for (int k = 0; k < int(want.rows()); ++k) got(k, j) = r.output.at(j, k, 0, 0);
        }
      }
      const std::vector<int> gold_pred = ml::argmax_columns(want),
                             rtl_pred = ml::argmax_columns(got);
      for (int j = 0; j < nb; ++j) {
        const bool same = shaped && got.col(j) == want.col(j);
        const int g = gold_pred[std::size_t(j)], h = rtl_pred[std::size_t(j)];
        if (!same && first_failure.empty()) {
          first_failure =
              fmt::format("image {}: RTL logits differ from the fixed-point model", b0 + j);
        }
        const int label = m.test.labels[std::size_t(b0 + j)];
        gold_hits += g == label;
        rtl_hits += same && h == label;
        disagree += !same || g != h;
        if (o.list) {
          fmt::print("  {:>6}  {:<12} {:<12} {:<12}{}\n", b0 + j, ml::fashion_mnist_class(label),
                     ml::fashion_mnist_class(g), ml::fashion_mnist_class(h),
                     h == label ? "" : "  x");
        }
      }
      if (!o.quiet && !o.list)
        print_progress(fmt::format("INT{} images", bits), uint64_t(b0 + nb - o.first),
                       uint64_t(count), "images", 16);
    }
    const bool ok = failed_batches == 0 && disagree == 0;
    all_ok = all_ok && ok;
    const double util = cycles ? double(macs) / (double(cycles) * pes) : 0.0;
    fmt::print(
        "  INT{}: top-1 RTL {}/{} = {:.2f}%, golden {}/{} = {:.2f}%; {} bit-exact; "
        "{} cycles/image, utilization {:.1f}%, {:.0f} DRAM bytes/image; "
        "{:.2f} images/s, {:.0f} cycles/s simulated\n",
        bits, rtl_hits, count, 100.0 * rtl_hits / count, gold_hits, count,
        100.0 * gold_hits / count, ok ? "every layer" : "NOT", cycles / uint64_t(count), 100 * util,
        double(dram_bytes) / count, count / sim_s, double(cycles) / sim_s);
    if (!ok) fmt::print("  FAIL: {}\n", first_failure);
    runs.push_back({{"bits", bits},
                    {"format", format_json(net, f)},
                    {"first", o.first},
                    {"images", count},
                    {"batch", o.batch},
                    {"model", o.checked ? "checking" : "fast"},
                    {"rtl_top1", double(rtl_hits) / count},
                    {"golden_top1", double(gold_hits) / count},
                    {"bitexact", ok},
                    {"failure", first_failure},
                    {"cycles", cycles},
                    {"cycles_per_image", double(cycles) / count},
                    {"macs", macs},
                    {"utilization", util},
                    {"dram_bytes", dram_bytes},
                    {"sim_seconds", sim_s},
                    {"images_per_second", count / sim_s},
                    {"sim_cycles_per_second", double(cycles) / sim_s}});
  }
  if (!o.json_path.empty()) {
    write_json_file(o.json_path, {{"network", net.name},
                                  {"config", hw->name},
                                  {"weights", o.setup.weights},
                                  {"runs", runs},
                                  {"pass", all_ok}});
  }
  fmt::print("{}\n", all_ok ? "PASS: RTL bit-exact, RTL top-1 equals the golden model's" : "FAIL");
  return all_ok ? 0 : 1;
}

}  // namespace

std::function<int()> add_ml_commands(CLI::App& app) {
  auto tr = std::make_shared<TrainCmd>();
  auto* train = app.add_subcommand(
      "train",
      "Train the float CNN of a network description on Fashion-MNIST (seeded) and "
      "write its weights file");
  train->add_option("--network", tr->network, "Network description")
      ->capture_default_str()
      ->check(CLI::ExistingFile);
  train->add_option("-o,--out", tr->out, "Weights file to write")->capture_default_str();
  train->add_option("--data", tr->data_dir,
                    "Fashion-MNIST directory (default $RSNPU_FASHION_MNIST or "
                    "/usr/share/datasets/fashion-mnist)");
  train->add_option("-s,--seed", tr->train.seed, "Seed")->capture_default_str();
  train->add_option("-e,--epochs", tr->train.epochs, "Epochs")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  train->add_option("-b,--batch", tr->train.batch, "Mini-batch size")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  train->add_option("--lr", tr->train.lr, "Adam step size")->capture_default_str();
  train
      ->add_option("--train-images", tr->train.train_images,
                   "Training images (the next 5,000 validate)")
      ->capture_default_str()
      ->check(CLI::Range(1, 60000));
  train->add_option("--json", tr->json_path, "Write the training report as JSON");
  train->add_flag("-q,--quiet", tr->quiet, "No progress output");

  auto st = std::make_shared<StudyCmd>();
  auto* study = app.add_subcommand(
      "quant-study",
      "Fixed-point studies of the trained CNN on Fashion-MNIST: static vs dynamic "
      "fixed point at 16-2 bits, and the smallest precision per layer");
  auto model_options = [](CLI::App* c, ModelSetup& s) {
    c->add_option("--network", s.network, "Network description")
        ->capture_default_str()
        ->check(CLI::ExistingFile);
    c->add_option("-w,--weights", s.weights, "Float weights file (rsnpu train)")
        ->capture_default_str()
        ->check(CLI::ExistingFile);
    c->add_option("--data", s.data_dir, "Fashion-MNIST directory");
    c->add_option("-c,--config", s.config, "Configuration (its accumulator width)")
        ->capture_default_str();
  };
  model_options(study, st->setup);
  study->add_option("-o,--out-dir", st->out_dir, "Report directory")->capture_default_str();
  study->add_option("--bits", st->bits, "Widths of the sweep")
      ->capture_default_str()
      ->check(CLI::Range(2, 16));
  study
      ->add_option("--test-images", st->test_images,
                   "Evaluate on the first N test and validation images (0: all)")
      ->capture_default_str();
  study->add_option("--tolerance", st->tolerance, "Per-layer search: allowed top-1 loss")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  study->add_flag("-q,--quiet", st->quiet, "No progress output");

  auto hr = std::make_shared<HwRunCmd>();
  auto* fm = app.add_subcommand(
      "fmnist",
      "Run the quantized Fashion-MNIST CNN (INT8/INT16 dynamic fixed point) on the "
      "accelerator RTL, image by image, bit-exact with the golden model");
  model_options(fm, hr->setup);
  fm->add_option("--bits", hr->bits, "Word widths to run (8, 16)")->capture_default_str();
  fm->add_option("--first", hr->first, "First test image")->capture_default_str();
  fm->add_option("-n,--count", hr->count, "Number of test images")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  fm->add_option("-b,--batch", hr->batch, "Images per hardware layer run (N)")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  fm->add_option("--json", hr->json_path, "Write the report as JSON");
  fm->add_flag("--checked", hr->checked,
               "Simulate the model with RTL assertions (slower; default: the fast model)");
  fm->add_flag("-q,--quiet", hr->quiet, "No per-image list, no progress");
  fm->callback([hr]() { hr->list = !hr->quiet && hr->count <= 100; });

  return [=]() -> int {
    if (*train) return cmd_train(*tr);
    if (*fm) return cmd_fmnist(*hr);
    if (*study) return cmd_quant_study(*st);
    return -1;
  };
}

}  // namespace rsnpu::tb
