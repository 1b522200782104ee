// The co-design models (label unit): IDX reader and its refusals, float CNN gradients and
// training, weights files, fixed-point formats, the exact fixed-point evaluator against the
// golden network model, and the per-layer precision search.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "network.h"
#include "rsnpu/hw_configs.h"
#include "rsnpu/ml/cnn.h"
#include "rsnpu/ml/idx.h"
#include "rsnpu/ml/quant.h"

namespace {

namespace fs = std::filesystem;
using rsnpu::ml::DataError;
using rsnpu::ml::ModelError;

const std::string kSrc = RSNPU_SOURCE_DIR;

fs::path temp_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path d = fs::temp_directory_path() /
               (std::string("rsnpu_ml_") + info->test_suite_name() + "_" + info->name());
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::vector<uint8_t> idx_bytes(uint8_t type, std::vector<uint32_t> dims,
                               const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> b{0, 0, type, uint8_t(dims.size())};
  for (uint32_t d : dims) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(d >> s));
  }
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

void write_plain(const fs::path& p, const std::vector<uint8_t>& b) {
  std::ofstream f(p, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

void write_gz(const fs::path& p, const std::vector<uint8_t>& b) {
  gzFile f = gzopen(p.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, b.data(), unsigned(b.size())), int(b.size()));
  gzclose(f);
}

std::vector<uint8_t> read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

// Expects 'fn' to throw E whose message contains every fragment.
template <typename E, typename Fn>
void expect_error(Fn fn, const std::vector<std::string>& fragments) {
  try {
    fn();
    ADD_FAILURE() << "no exception; expected one mentioning " << fragments.front();
  } catch (const E& e) {
    for (const auto& f : fragments) {
      EXPECT_NE(std::string(e.what()).find(f), std::string::npos)
          << "message \"" << e.what() << "\" lacks \"" << f << "\"";
    }
  }
}

std::vector<uint8_t> pattern(std::size_t n) {
  std::vector<uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = uint8_t(i * 37 + 11);
  return v;
}

TEST(Idx, ReadsPlainAndGzip) {
  const fs::path d = temp_dir();
  const std::vector<uint8_t> px = pattern(3 * 4 * 5);
  write_plain(d / "a.idx", idx_bytes(0x08, {3, 4, 5}, px));
  write_gz(d / "a.idx.gz", idx_bytes(0x08, {3, 4, 5}, px));
  for (const char* name : {"a.idx", "a.idx.gz"}) {
    const rsnpu::ml::IdxArray a = rsnpu::ml::read_idx((d / name).string());
    EXPECT_EQ(a.dims, (std::vector<uint32_t>{3, 4, 5})) << name;
    EXPECT_EQ(a.data, px) << name;
  }
}

TEST(Idx, RejectsBadFiles) {
  const fs::path d = temp_dir();
  const std::vector<uint8_t> good = idx_bytes(0x08, {2, 3, 3}, pattern(18));
  // Truncated payload, plain and gzip.
  std::vector<uint8_t> cut(good.begin(), good.end() - 5);
  write_plain(d / "cut.idx", cut);
  write_gz(d / "cut.idx.gz", cut);
  expect_error<DataError>([&] { rsnpu::ml::read_idx((d / "cut.idx").string()); },
                          {"cut.idx", "truncated", "18", "13"});
  expect_error<DataError>([&] { rsnpu::ml::read_idx((d / "cut.idx.gz").string()); },
                          {"cut.idx.gz", "truncated"});
  // A gzip file cut in the middle of its compressed stream.
  write_gz(d / "big.gz", idx_bytes(0x08, {64, 64}, pattern(64 * 64)));
  std::vector<uint8_t> z = read_file(d / "big.gz");
  z.resize(z.size() / 2);
  write_plain(d / "halfz.gz", z);
  expect_error<DataError>([&] { rsnpu::ml::read_idx((d / "halfz.gz").string()); }, {"halfz.gz"});
  // Corrupted compressed bytes (the CRC or the stream itself fails).
  z = read_file(d / "big.gz");
  for (std::size_t i = z.size() / 3; i < z.size() / 3 + 8; ++i) z[i] ^= 0x5a;
  write_plain(d / "flip.gz", z);
  expect_error<DataError>([&] { rsnpu::ml::read_idx((d / "flip.gz").string()); },
                          {"flip.gz", "corrupt"});
  // Trailing bytes, bad magic, element type, dimension count, a zero dimension.
  std::vector<uint8_t> extra = good;
  extra.push_back(7);
  write_plain(d / "extra.idx", extra);
  expect_error<DataError>([&] { rsnpu::ml::read_idx((d / "extra.idx").string()); },
                          {"extra.idx", "1 unexpected bytes"});
  write_plain(d / "magic.idx", {0x1f, 0x00, 0x08, 0x01, 0, 0, 0, 1, 9});
  expect_error<DataError>([&] { rsnpu::ml::read_idx((d / "magic.idx").string()); },
                          {"magic.idx", "not an IDX file"});
  write_plain(d / "type.idx", idx_bytes(0x0d, {1}, {1, 2, 3, 4}));
  expect_error<DataError>([&] { rsnpu::ml::read_idx((d / "type.idx").string()); },
                          {"type.idx", "element type 0x0d"});
  write_plain(d / "dims.idx", {0, 0, 8, 9});
  expect_error<DataError>([&] { rsnpu::ml::read_idx((d / "dims.idx").string()); },
                          {"dims.idx", "9 dimensions"});
  write_plain(d / "zero.idx", idx_bytes(0x08, {2, 0}, {}));
  expect_error<DataError>([&] { rsnpu::ml::read_idx((d / "zero.idx").string()); },
                          {"zero.idx", "dimension 1 is 0"});
  expect_error<DataError>([&] { rsnpu::ml::read_idx((d / "missing.idx").string()); },
                          {"missing.idx", "cannot open"});
}

TEST(Idx, PairsImagesWithLabels) {
  const fs::path d = temp_dir();
  write_gz(d / "im.gz", idx_bytes(0x08, {3, 2, 2}, pattern(12)));
  write_gz(d / "lb.gz", idx_bytes(0x08, {3}, {0, 9, 4}));
  write_gz(d / "lb2.gz", idx_bytes(0x08, {2}, {0, 9}));
  write_gz(d / "lb10.gz", idx_bytes(0x08, {3}, {0, 10, 4}));
  const auto s = rsnpu::ml::read_labeled_images((d / "im.gz").string(), (d / "lb.gz").string());
  EXPECT_EQ(s.count, 3);
  EXPECT_EQ(s.rows, 2);
  EXPECT_EQ(s.image(2)[3], pattern(12)[11]);
  expect_error<DataError>(
      [&] { rsnpu::ml::read_labeled_images((d / "im.gz").string(), (d / "lb2.gz").string()); },
      {"lb2.gz", "2 labels for 3 images"});
  expect_error<DataError>(
      [&] { rsnpu::ml::read_labeled_images((d / "im.gz").string(), (d / "lb10.gz").string()); },
      {"lb10.gz", "label 10 of item 1"});
  expect_error<DataError>(
      [&] { rsnpu::ml::read_labeled_images((d / "lb.gz").string(), (d / "lb.gz").string()); },
      {"lb.gz", "1 dimensions"});
}

// The installed data set (make deps installs dataset-fashion-mnist).
TEST(FashionMnist, LoadsBothSplits) {
  const auto tr = rsnpu::ml::load_fashion_mnist(rsnpu::ml::Split::kTrain);
  const auto te = rsnpu::ml::load_fashion_mnist(rsnpu::ml::Split::kTest);
  EXPECT_EQ(tr.count, 60000);
  EXPECT_EQ(te.count, 10000);
  EXPECT_EQ(te.rows, 28);
  EXPECT_EQ(te.cols, 28);
  std::vector<int> hist(10, 0);
  for (uint8_t l : te.labels) ++hist[l];
  for (int c = 0; c < 10; ++c) EXPECT_EQ(hist[std::size_t(c)], 1000) << "class " << c;
}

// A small chain that exercises every layer kind the float model trains.
rsnpu::net::Network small_net() {
  return rsnpu::net::parse_network_string(R"({
    "format": "rsnpu-net", "version": 1, "name": "small",
    "input": {"c": 1, "h": 6, "w": 6, "frac": 6}, "precision": "int16",
    "layers": [
      {"name": "c1", "type": "conv", "m": 3, "kernel": 3, "pad": 1, "relu": true,
       "frac_w": 10, "frac_out": 8},
      {"name": "p1", "type": "maxpool", "kernel": 2, "stride": 2},
      {"name": "c2", "type": "conv", "m": 4, "kernel": 2, "relu": true,
       "frac_w": 10, "frac_out": 8},
      {"name": "fc", "type": "fc", "m": 3, "frac_w": 10, "frac_out": 8}]})",
                                          "small.json");
}

rsnpu::ml::Act<float> random_input(int b, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  rsnpu::ml::Act<float> x{1, 6, 6, b, Eigen::MatrixXf(1, b * 36)};
  for (long i = 0; i < x.m.size(); ++i) x.m(0, i) = u(g);
  return x;
}

TEST(FloatCnn, GradientsMatchFiniteDifferences) {
  const auto net = small_net();
  rsnpu::ml::FloatParams p = rsnpu::ml::init_params(net, 3);
  for (auto& l : p.layers) {
    for (float& b : l.bias) b = 0.05f;  // keep ReLUs away from their kink at 0
  }
  const auto x = random_input(4, 9);
  const std::vector<uint8_t> y{0, 2, 1, 2};
  const auto g = rsnpu::ml::loss_and_gradients(net, p, x, y);
  int checked = 0;
  for (std::size_t l = 0; l < p.layers.size(); ++l) {
    for (int which = 0; which < 2; ++which) {
      std::vector<float>& v = which ? p.layers[l].bias : p.layers[l].weights;
      const std::vector<float>& gv = which ? g.grad.layers[l].bias : g.grad.layers[l].weights;
      for (std::size_t k = 0; k < v.size(); k += 3) {
        const float keep = v[k], h = 1e-2f;
        v[k] = keep + h;
        const double lp = rsnpu::ml::loss_and_gradients(net, p, x, y).loss;
        v[k] = keep - h;
        const double lm = rsnpu::ml::loss_and_gradients(net, p, x, y).loss;
        v[k] = keep;
        const double num = (lp - lm) / (2 * h);
        EXPECT_NEAR(gv[k], num, 2e-3 + 0.05 * std::fabs(num))
            << "layer " << l << " " << (which ? "bias" : "weight") << k;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 30);
}

TEST(FloatCnn, RefusesWhatItCannotTrain) {
  auto net = small_net();
  net.layers.back().relu = true;
  expect_error<ModelError>([&] { rsnpu::ml::check_trainable(net); }, {"layer 3 \"fc\"", "logits"});
  net = small_net();
  net.layers[2].conv.groups = 2;
  expect_error<ModelError>([&] { rsnpu::ml::check_trainable(net); }, {"\"c2\"", "groups 2"});
}

// One short epoch on real data: the loss falls and the model beats chance by far.
TEST(FloatCnn, TrainingLearnsFashionMnist) {
  const auto net = rsnpu::net::parse_network_file(kSrc + "/networks/fmnist_cnn.json");
  const auto tr = rsnpu::ml::load_fashion_mnist(rsnpu::ml::Split::kTrain);
  auto te = rsnpu::ml::load_fashion_mnist(rsnpu::ml::Split::kTest);
  te.count = 500;  // evaluate on the first 500 test images
  rsnpu::ml::TrainOptions o;
  o.epochs = 1;
  o.train_images = 3000;
  o.batch = 32;
  const auto r = rsnpu::ml::train(net, tr, te, o);
  ASSERT_EQ(r.epochs.size(), 1u);
  EXPECT_LT(r.epochs[0].loss, std::log(10.0) * 0.6);  // chance is ln 10
  EXPECT_GT(r.test_top1, 0.6);
}

TEST(Weights, RoundTripAndRefusals) {
  const fs::path d = temp_dir();
  const auto net = small_net();
  const auto p = rsnpu::ml::init_params(net, 5);
  const std::string path = (d / "w.json").string();
  rsnpu::ml::save_weights(path, net, p, {{"note", "test"}});
  const auto q = rsnpu::ml::load_weights(path, net);
  for (std::size_t l = 0; l < p.layers.size(); ++l) {
    EXPECT_EQ(q.layers[l].weights, p.layers[l].weights) << "layer " << l;  // bit-exact floats
    EXPECT_EQ(q.layers[l].bias, p.layers[l].bias) << "layer " << l;
  }
  nlohmann::json j;
  std::ifstream(path) >> j;
  auto variant = [&](const std::string& name, auto edit) {
    nlohmann::json k = j;
    edit(k);
    std::ofstream((d / name).string()) << k.dump();
    return (d / name).string();
  };
  expect_error<ModelError>(
      [&] {
        rsnpu::ml::load_weights(variant("n.json", [](auto& k) { k["network"] = "other"; }), net);
      },
      {"n.json", "\"other\""});
  expect_error<ModelError>(
      [&] {
        rsnpu::ml::load_weights(variant("s.json",
                                        [](auto& k) {
                                          k["layers"]["c2"]["shape"] = {4, 3, 3, 3};
                                        }),
                                net);
      },
      {"s.json", "layer \"c2\"", "shape"});
  expect_error<ModelError>(
      [&] {
        rsnpu::ml::load_weights(
            variant("v.json", [](auto& k) { k["layers"]["fc"]["weights"][7] = "NaN"; }), net);
      },
      {"v.json", "layer \"fc\"", "weights[7]"});
  expect_error<ModelError>(
      [&] {
        rsnpu::ml::load_weights(variant("m.json", [](auto& k) { k["layers"].erase("c1"); }), net);
      },
      {"m.json", "layer \"c1\": missing"});
  expect_error<ModelError>(
      [&] {
        rsnpu::ml::load_weights(variant("x.json", [](auto& k) { k["layers"]["c9"] = 1; }), net);
      },
      {"x.json", "layers the network does not have"});
  std::ofstream((d / "bad.json").string()) << "{\"format\": \"rsnpu-weights\", ";
  expect_error<ModelError>([&] { rsnpu::ml::load_weights((d / "bad.json").string(), net); },
                           {"bad.json", "not valid JSON"});
}

TEST(Quant, FracForIsTheLargestUnsaturatedLength) {
  EXPECT_EQ(rsnpu::ml::frac_for(1.0, 8), 6);    // 1.0 * 2^6 = 64 <= 127 < 128
  EXPECT_EQ(rsnpu::ml::frac_for(0.99, 8), 7);   // 126.7 <= 127
  EXPECT_EQ(rsnpu::ml::frac_for(20.0, 8), 2);   // 80 <= 127 < 160
  EXPECT_EQ(rsnpu::ml::frac_for(20.0, 4), -2);  // 5 <= 7 < 10
  EXPECT_EQ(rsnpu::ml::frac_for(0.3, 16), 16);  // 19660.8 <= 32767 < 39321.6
  EXPECT_EQ(rsnpu::ml::frac_for(0.0, 8), 7);
}

struct ShippedModel {
  rsnpu::net::Network net;
  rsnpu::ml::FloatParams params;
  rsnpu::ml::LabeledImages train, test;
  rsnpu::ml::Ranges ranges;
};
const ShippedModel& shipped() {
  static const ShippedModel m = [] {
    ShippedModel s;
    s.net = rsnpu::net::parse_network_file(kSrc + "/networks/fmnist_cnn.json");
    s.params = rsnpu::ml::load_weights(kSrc + "/networks/fmnist_cnn.weights.json", s.net);
    s.train = rsnpu::ml::load_fashion_mnist(rsnpu::ml::Split::kTrain);
    s.test = rsnpu::ml::load_fashion_mnist(rsnpu::ml::Split::kTest);
    s.ranges = rsnpu::ml::measure_ranges(s.net, s.params, s.train, 2000);
    return s;
  }();
  return m;
}

// The shipped weights are what the issue asks for: >= 90% top-1 on the 10k test images.
TEST(Quant, ShippedWeightsReachNinetyPercent) {
  const auto& m = shipped();
  EXPECT_GE(rsnpu::ml::float_top1(m.net, m.params, m.test), 0.90);
}

// Dynamic formats saturate no calibrated tensor and keep the accumulator's guard bit.
TEST(Quant, DynamicFormatsFitTheirRanges) {
  const auto& m = shipped();
  for (int bits : {16, 8, 4}) {
    const auto f = rsnpu::ml::dynamic_format(m.net, m.ranges, 32, bits);
    EXPECT_LE(m.ranges.input_max * std::ldexp(1.0, f.in_frac), std::ldexp(1.0, bits - 1) - 1);
    for (const auto& L : m.net.layers) {
      if (!L.has_weights()) continue;
      const auto& lf = f.layers[std::size_t(L.index)];
      const std::size_t i = std::size_t(L.index);
      EXPECT_LE(m.ranges.act_max[i] * std::ldexp(1.0, lf.frac_out), std::ldexp(1.0, bits - 1))
          << L.name << " " << bits;
      EXPECT_LE(m.ranges.weight_max[i] * std::ldexp(1.0, lf.frac_w), std::ldexp(1.0, bits - 1))
          << L.name << " " << bits;
      EXPECT_LT(m.ranges.acc_max[i] * std::ldexp(1.0, f.frac_in(m.net, L.index) + lf.frac_w),
                std::ldexp(1.0, 30))
          << L.name << " " << bits;
    }
  }
  // Static: one length everywhere.
  const auto s = rsnpu::ml::static_format(m.net, m.ranges, 32, 8);
  for (const auto& L : m.net.layers) {
    if (!L.has_weights()) continue;
    EXPECT_EQ(s.layers[std::size_t(L.index)].frac_w, s.in_frac);
    EXPECT_EQ(s.layers[std::size_t(L.index)].frac_out, s.in_frac);
  }
}

// The fast evaluator is the golden model: at 8 and 16 bits its outputs equal net::run_golden
// on the hardware network, word for word, for every image.
TEST(Quant, FixedEvaluatorEqualsGoldenNetwork) {
  const auto& m = shipped();
  for (auto prec : {rsnpu::golden::Precision::kInt8, rsnpu::golden::Precision::kInt16}) {
    const int bits = rsnpu::golden::word_bits(prec);
    const auto f = rsnpu::ml::dynamic_format(m.net, m.ranges, 32, bits);
    const auto hnet = rsnpu::ml::hardware_network(m.net, f, prec);
    const auto q = rsnpu::ml::quantize_params(m.net, m.params, f);
    const auto in = rsnpu::ml::quantize_input(m.net, f, m.test, 100, 40);
    const auto gold = rsnpu::net::run_golden(hnet, q, in, 32);
    const Eigen::MatrixXd fast = rsnpu::ml::fixed_forward(m.net, q, f, in, 32);
    const auto& out = gold.back();
    ASSERT_EQ(long(out.shape.n), fast.cols());
    ASSERT_EQ(long(out.shape.c), fast.rows());
    int diffs = 0;
    for (int n = 0; n < out.shape.n; ++n) {
      for (int c = 0; c < out.shape.c; ++c) diffs += double(out.at(n, c, 0, 0)) != fast(c, n);
    }
    EXPECT_EQ(diffs, 0) << "INT" << bits;
    // Both precisions stay close to float on these images.
    EXPECT_GT(rsnpu::ml::fixed_top1(m.net, q, f, m.test, 32, 0, 1000), 0.85) << "INT" << bits;
  }
}

TEST(Quant, HardwareNetworkRefusesWhatTheHardwareCannotRun) {
  const auto& m = shipped();
  auto f = rsnpu::ml::dynamic_format(m.net, m.ranges, 32, 8);
  expect_error<ModelError>(
      [&] { rsnpu::ml::hardware_network(m.net, f, rsnpu::golden::Precision::kInt16); },
      {"input width 8 is not 16"});
  f.layers[2].frac_out = f.layers[0].frac_out + f.layers[2].frac_w + 1;  // negative shift
  expect_error<ModelError>(
      [&] { rsnpu::ml::hardware_network(m.net, f, rsnpu::golden::Precision::kInt8); },
      {"layer 2 \"conv2\"", "shift"});
  f = rsnpu::ml::dynamic_format(m.net, m.ranges, 32, 4);
  f.in_bits = 8;
  expect_error<ModelError>(
      [&] { rsnpu::ml::hardware_network(m.net, f, rsnpu::golden::Precision::kInt8); },
      {"layer 0 \"conv1\"", "w4/a4"});
}

// The search on a synthetic score: each tensor t costs pen(t, bits), the score is 1 minus the
// sum; the answer is known.
TEST(Quant, PrecisionSearchFindsSmallestWidths) {
  const auto net = small_net();
  rsnpu::ml::Ranges r;
  r.input_max = 1.0;
  r.weight_max.assign(net.layers.size(), 0.5);
  r.act_max.assign(net.layers.size(), 4.0);
  r.acc_max.assign(net.layers.size(), 4.0);
  // Each tensor needs at least need[t] bits to cost nothing; below, each missing bit costs 1%.
  const std::vector<int> need{6, 5, 9, 4, 7, 3, 8};  // input, c1 w/a, c2 w/a, fc w/a
  auto score = [&](const rsnpu::ml::QuantFormat& f) {
    std::vector<int> bits{f.in_bits};
    for (const auto& L : net.layers) {
      if (!L.has_weights()) continue;
      bits.push_back(f.layers[std::size_t(L.index)].w_bits);
      bits.push_back(f.layers[std::size_t(L.index)].a_bits);
    }
    double s = 0.9;
    for (std::size_t t = 0; t < bits.size(); ++t) s -= 0.01 * std::max(0, need[t] - bits[t]);
    return s;
  };
  // Tolerance 0: exactly the needed widths.
  auto res = rsnpu::ml::search_precision(net, r, 32, 0.9, 0.9, score);
  EXPECT_DOUBLE_EQ(res.score, 0.9);
  EXPECT_EQ(res.format.in_bits, 6);
  EXPECT_EQ(res.format.layers[0].w_bits, 5);
  EXPECT_EQ(res.format.layers[2].w_bits, 4);
  EXPECT_EQ(res.format.layers[2].a_bits, 7);
  EXPECT_EQ(res.format.layers[3].a_bits, 8);
  // Tolerance 2%: phase 1 allows 1% per tensor alone (one bit less each), phase 2 gives back
  // bits until the sum of losses is within 2%.
  res = rsnpu::ml::search_precision(net, r, 32, 0.9, 0.88, score);
  EXPECT_GE(res.score, 0.88 - 1e-12);
  std::vector<int> got{res.format.in_bits};
  for (const auto& L : net.layers) {
    if (!L.has_weights()) continue;
    got.push_back(res.format.layers[std::size_t(L.index)].w_bits);
    got.push_back(res.format.layers[std::size_t(L.index)].a_bits);
  }
  int lost = 0;
  for (std::size_t t = 0; t < got.size(); ++t) {
    EXPECT_GE(got[t], need[t] - 1) << "tensor " << t;  // phase 1 floor: 1% alone
    lost += need[t] - got[t];
  }
  EXPECT_EQ(lost, 2);  // exactly the 2% the tolerance allows
}

}  // namespace
