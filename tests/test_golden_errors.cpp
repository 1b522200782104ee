// Every validation path of the golden model throws std::invalid_argument with a message
// that names the operator (and the offending dimension).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "rsnpu/golden/golden.h"

namespace {

using namespace rsnpu::golden;

// Expects fn to throw std::invalid_argument whose message contains every word in 'words'.
void expect_invalid(const std::function<void()>& fn, const std::vector<std::string>& words) {
  try {
    fn();
    ADD_FAILURE() << "no exception; expected one mentioning '" << words.front() << "'";
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    for (const auto& w : words) {
      EXPECT_NE(msg.find(w), std::string::npos) << "message '" << msg << "' lacks '" << w << "'";
    }
  } catch (...) {
    ADD_FAILURE() << "wrong exception type";
  }
}

WordTensor words(const Shape4& s) { return WordTensor(s, int16_t(1)); }

struct ConvSetup {
  WordTensor in = words(Shape4{1, 6, 5, 5});
  WordTensor wt = words(Shape4{4, 3, 3, 3});
  std::vector<int64_t> bias;
  ConvParams p{1, 1, 0, 0, 2};
  int acc_bits = 32;
  void run() const { conv2d_acc(in, wt, bias, p, Precision::kInt16, acc_bits); }
  void run_float() const {
    FloatTensor fi, fw;  // same shapes and data sizes as the word tensors
    fi.shape = in.shape;
    fi.data.assign(in.data.size(), 0.0f);
    fw.shape = wt.shape;
    fw.data.assign(wt.data.size(), 0.0f);
    conv2d(fi, fw, std::vector<float>(bias.size()), p);
  }
};

TEST(GoldenErrors, ConvValidSetupDoesNotThrow) {
  const ConvSetup ok;
  EXPECT_NO_THROW(ok.run());
  EXPECT_NO_THROW(ok.run_float());
}

TEST(GoldenErrors, Conv2d) {
  struct Bad {
    const char* name;
    std::function<void(ConvSetup&)> mutate;
    std::vector<std::string> words;
  };
  const std::vector<Bad> bad = {
      {"zero N",
       [](ConvSetup& s) {
         s.in = words(Shape4{0, 6, 5, 5});
       },
       {"conv2d", "N"}},
      {"negative H", [](ConvSetup& s) { s.in.shape.h = -1; }, {"conv2d", "H"}},
      {"zero weight S",
       [](ConvSetup& s) {
         s.wt = words(Shape4{4, 3, 3, 0});
       },
       {"conv2d", "W"}},
      {"data size", [](ConvSetup& s) { s.in.data.pop_back(); }, {"conv2d", "input"}},
      {"weight data size", [](ConvSetup& s) { s.wt.data.push_back(0); }, {"conv2d", "weights"}},
      {"C not divisible",
       [](ConvSetup& s) { s.p.groups = 4; },
       {"conv2d", "input channels 6 not divisible by groups 4"}},
      {"weights C",
       [](ConvSetup& s) {
         s.wt = words(Shape4{4, 6, 3, 3});
       },
       {"conv2d", "weights C 6"}},
      {"M not divisible",
       [](ConvSetup& s) {
         s.wt = words(Shape4{5, 3, 3, 3});
       },
       {"conv2d", "filters M 5"}},
      {"groups 0", [](ConvSetup& s) { s.p.groups = 0; }, {"conv2d", "groups"}},
      {"bias size",
       [](ConvSetup& s) {
         s.bias = {1, 2, 3};
       },
       {"conv2d", "bias"}},
      {"stride_h 0", [](ConvSetup& s) { s.p.stride_h = 0; }, {"conv2d", "stride_h"}},
      {"stride_w -1", [](ConvSetup& s) { s.p.stride_w = -1; }, {"conv2d", "stride_w"}},
      {"pad_h -1", [](ConvSetup& s) { s.p.pad_h = -1; }, {"conv2d", "pad_h"}},
      {"pad_w -2", [](ConvSetup& s) { s.p.pad_w = -2; }, {"conv2d", "pad_w"}},
      {"R too big",
       [](ConvSetup& s) {
         s.wt = words(Shape4{4, 3, 6, 3});
       },
       {"conv2d", "kernel R 6"}},
      {"S too big",
       [](ConvSetup& s) {
         s.wt = words(Shape4{4, 3, 3, 8});
         s.p.pad_w = 1;
       },
       {"conv2d", "kernel S 8"}},
  };
  for (const auto& b : bad) {
    SCOPED_TRACE(b.name);
    ConvSetup s;
    b.mutate(s);
    expect_invalid([&] { s.run(); }, b.words);
    expect_invalid([&] { s.run_float(); }, b.words);
    const std::string name = b.name;
    const bool shape_problem =
        name.find("data size") == std::string::npos && name.find("bias") == std::string::npos;
    if (shape_problem) {  // conv_output_shape sees shapes only, not data or bias
      expect_invalid([&] { conv_output_shape(s.in.shape, s.wt.shape, s.p); }, b.words);
    }
  }
  ConvSetup s;
  for (int bits : {0, 65}) {
    s.acc_bits = bits;
    expect_invalid([&] { s.run(); }, {"conv2d", "acc_bits"});
  }
  // The padded window exactly fitting is legal.
  s = ConvSetup{};
  s.wt = words(Shape4{4, 3, 7, 7});
  s.p.pad_h = s.p.pad_w = 1;
  EXPECT_NO_THROW(s.run());
}

TEST(GoldenErrors, Fc) {
  const WordTensor in = words(Shape4{2, 3, 2, 2});
  const WordTensor wt = words(Shape4{5, 12, 1, 1});
  EXPECT_NO_THROW(fc_acc(in, wt, {}, Precision::kInt16, 32));
  expect_invalid(
      [&] {
        fc_acc(in, words(Shape4{5, 11, 1, 1}), {}, Precision::kInt16, 32);
      },
      {"fc", "K 11", "12"});
  expect_invalid(
      [&] {
        fc_acc(in, words(Shape4{5, 3, 2, 2}), {}, Precision::kInt16, 32);
      },
      {"fc", "weights"});
  expect_invalid([&] { fc_acc(in, wt, {1, 2}, Precision::kInt16, 32); }, {"fc", "bias"});
  expect_invalid(
      [&] {
        fc_acc(words(Shape4{2, 0, 2, 2}), wt, {}, Precision::kInt16, 32);
      },
      {"fc", "C"});
  expect_invalid([&] { fc_acc(in, wt, {}, Precision::kInt16, 0); }, {"fc", "acc_bits"});
  const FloatTensor fin(Shape4{2, 3, 2, 2}), fwt(Shape4{5, 10, 1, 1});
  expect_invalid([&] { fc(fin, fwt, {}); }, {"fc", "K 10"});
  expect_invalid([&] { fc(fin, FloatTensor(Shape4{5, 12, 1, 1}), {1.0f}); }, {"fc", "bias"});
}

TEST(GoldenErrors, Maxpool) {
  const WordTensor in = words(Shape4{1, 2, 5, 5});
  const FloatTensor fin(Shape4{1, 2, 5, 5});
  auto both = [&](const PoolParams& p, const std::vector<std::string>& w) {
    expect_invalid([&] { maxpool(in, p); }, w);
    expect_invalid([&] { maxpool(fin, p); }, w);
  };
  both(PoolParams{0, 2, 2, 2, 0, 0}, {"maxpool", "kernel_h"});
  both(PoolParams{2, -1, 2, 2, 0, 0}, {"maxpool", "kernel_w"});
  both(PoolParams{2, 2, 0, 2, 0, 0}, {"maxpool", "stride_h"});
  both(PoolParams{2, 2, 2, 0, 0, 0}, {"maxpool", "stride_w"});
  both(PoolParams{2, 2, 2, 2, -1, 0}, {"maxpool", "pad_h"});
  both(PoolParams{2, 2, 2, 2, 0, -1}, {"maxpool", "pad_w"});
  both(PoolParams{6, 2, 2, 2, 0, 0}, {"maxpool", "kernel_h 6"});
  both(PoolParams{2, 8, 2, 2, 0, 1}, {"maxpool", "kernel_w 8"});
  // A window with no valid position is illegal. The first window covers rows
  // [-pad, kernel - pad), so this happens exactly when pad >= kernel (whatever the stride).
  both(PoolParams{2, 2, 1, 1, 2, 0}, {"maxpool", "pad_h 2 >= kernel_h 2", "only padding"});
  both(PoolParams{2, 3, 3, 3, 0, 4}, {"maxpool", "pad_w 4 >= kernel_w 3"});
  expect_invalid(
      [&] {
        maxpool(words(Shape4{1, 1, 3, 3}), PoolParams{3, 3, 3, 3, 3, 3});
      },
      {"maxpool", "only padding"});
  // Legal with pad == kernel - 1 (corner windows hold exactly one valid position).
  EXPECT_NO_THROW(maxpool(in, PoolParams{3, 3, 1, 1, 2, 2}));
  EXPECT_NO_THROW(maxpool(words(Shape4{1, 1, 1, 1}), PoolParams{2, 2, 3, 3, 1, 1}));
  expect_invalid([&] { maxpool(WordTensor(Shape4{1, 0, 5, 5}), PoolParams{}); }, {"maxpool", "C"});
  WordTensor short_data = in;
  short_data.data.pop_back();
  expect_invalid([&] { maxpool(short_data, PoolParams{}); }, {"maxpool", "input"});
}

TEST(GoldenErrors, ReluAndRequantize) {
  WordTensor bad_words = words(Shape4{1, 1, 2, 2});
  bad_words.data.pop_back();
  expect_invalid([&] { relu(bad_words); }, {"relu"});
  FloatTensor bad_floats(Shape4{1, 1, 2, 2});
  bad_floats.shape.w = 0;
  expect_invalid([&] { relu(bad_floats); }, {"relu", "W"});
  const AccTensor acc(Shape4{1, 1, 2, 2});
  expect_invalid(
      [&] {
        requantize(acc, Requant{-1, Precision::kInt16, false});
      },
      {"requantize", "shift"});
  expect_invalid(
      [&] {
        requantize(acc, Requant{63, Precision::kInt8, false});
      },
      {"requantize", "shift"});
  expect_invalid(
      [&] {
        requantize(int64_t{0}, Requant{63, Precision::kInt8, false});
      },
      {"requantize", "shift"});
  AccTensor bad_acc = acc;
  bad_acc.data.push_back(0);
  expect_invalid([&] { requantize(bad_acc, Requant{}); }, {"requantize"});
}

TEST(GoldenErrors, ScalarHelpers) {
  expect_invalid([] { wrap(0, 0); }, {"wrap", "acc_bits"});
  expect_invalid([] { wrap(0, 65); }, {"wrap", "acc_bits"});
}

TEST(GoldenErrors, RowConv1d) {
  auto good = [] {
    RowConvProblem pr;
    pr.s = 3;
    pr.p = 2;
    pr.q = 2;
    pr.stride = 2;
    pr.e = 3;
    pr.acc_in = true;
    pr.weights.assign(12, 1);
    pr.ifmap.assign(2 * 7, 1);
    pr.psum_in.assign(6, 0);
    return pr;
  };
  EXPECT_NO_THROW(row_conv1d(good()));
  struct Bad {
    const char* name;
    std::function<void(RowConvProblem&)> mutate;
    const char* word;
  };
  const std::vector<Bad> bad = {
      {"s 0", [](RowConvProblem& p) { p.s = 0; }, "s 0"},
      {"p 0", [](RowConvProblem& p) { p.p = 0; }, "p 0"},
      {"q -1", [](RowConvProblem& p) { p.q = -1; }, "q -1"},
      {"stride 0", [](RowConvProblem& p) { p.stride = 0; }, "stride"},
      {"e 0", [](RowConvProblem& p) { p.e = 0; }, "e 0"},
      {"acc_bits 0", [](RowConvProblem& p) { p.acc_bits = 0; }, "acc_bits"},
      {"acc_bits 65", [](RowConvProblem& p) { p.acc_bits = 65; }, "acc_bits"},
      {"weights size", [](RowConvProblem& p) { p.weights.pop_back(); }, "weights"},
      {"ifmap size", [](RowConvProblem& p) { p.ifmap.push_back(0); }, "ifmap"},
      {"psum_in size", [](RowConvProblem& p) { p.psum_in.pop_back(); }, "psum_in"},
      {"e changes width", [](RowConvProblem& p) { p.e = 4; }, "ifmap"},
  };
  for (const auto& b : bad) {
    SCOPED_TRACE(b.name);
    RowConvProblem pr = good();
    b.mutate(pr);
    expect_invalid([&] { row_conv1d(pr); }, {"row_conv1d", b.word});
  }
  // psum_in is not used (nor checked) without acc_in.
  RowConvProblem pr = good();
  pr.acc_in = false;
  pr.psum_in.clear();
  EXPECT_NO_THROW(row_conv1d(pr));
}

TEST(GoldenErrors, Quantize) {
  expect_invalid([] { quantize(std::nanf(""), 4, Precision::kInt8); }, {"quantize"});
}

}  // namespace
