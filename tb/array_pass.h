// Single-pass row-stationary mapping of one convolution onto the PE array, and the network
// traffic it implies (routing, tagged filter and ifmap words, column psums).
//
// Logical PE set (Eyeriss RS): PE (r, c) holds filter row r and computes ofmap row e = c
// (+ folds * cols for later rows of its job) from ifmap row e*U + r; psums add up each
// column. Channel groups of q channels are stacked as sets of R rows in the same columns, so
// the column's psum chain also sums over channel groups. The whole layer (M filters = p) runs
// in one pass; layers that need several passes are refused (the full mapper is later work).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "rsnpu/golden/golden.h"
#include "rsnpu/hw_configs.h"

namespace rsnpu::tb {

// One convolution of one image, groups 1, same stride and padding in both directions.
struct ConvLayer {
  int c = 1, h = 1, w = 1;  // input
  int m = 1, r = 1, s = 1;  // filters
  int stride = 1, pad = 0;
  golden::Precision prec = golden::Precision::kInt16;
  bool bias = false;  // initial psums enter through the column ports
  std::string str() const;
};

class MapError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

struct ArrayPass {
  int e_out = 0, f_out = 0;  // ofmap height and width
  int p = 0, q = 0;          // filters and channels per PE
  int chan_groups = 0;       // sets of R rows stacked in each column
  int rows_used = 0;         // R * chan_groups
  int folds = 0;             // ofmap rows each column computes (PE job rows)
  int cols_used = 0;         // columns; folds * cols_used >= e_out
  int hspan = 0;             // ifmap rows one set spans in one fold
  int row_width = 0;         // ifmap columns per PE row: (f_out - 1) * U + S
  std::string str() const;
};

// Throws MapError naming the limit when the layer cannot run in one pass.
ArrayPass map_single_pass(const cfg::HwConfig& hw, const ConvLayer& l);

struct PeRoute {
  int row = 0, col = 0;
  bool en = false;
  int flt_id = 0, ifm_id = 0;
  bool psum_port = false, acc_in = false;
};

struct TaggedWord {
  int tag = 0;
  int16_t data = 0;
};

struct ArrayStimulus {
  std::vector<PeRoute> routes;                   // one per PE of the array
  std::vector<TaggedWord> filters;               // filter network, in order
  std::vector<TaggedWord> ifmaps;                // ifmap network, in order
  std::vector<std::vector<int64_t>> psum_in;     // per column
  std::vector<std::vector<int64_t>> expect_out;  // per column, in output order
  uint64_t mac_slots = 0;                        // executed + gated MACs the pass implies
};

// Traffic and expected outputs (from golden::conv2d_acc) of layer 'l' mapped as 'pass'.
ArrayStimulus make_stimulus(const cfg::HwConfig& hw, const ConvLayer& l, const ArrayPass& pass,
                            const golden::WordTensor& input, const golden::WordTensor& weights,
                            const std::vector<int64_t>& bias);

// Seeded random layer that fits one pass of configuration 'hw'.
ConvLayer random_single_pass_layer(const cfg::HwConfig& hw, uint64_t seed);

}  // namespace rsnpu::tb
