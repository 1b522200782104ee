#include "array_pass.h"

#include <fmt/format.h>

#include <algorithm>
#include <random>
#include <set>

namespace rsnpu::tb {

std::string ConvLayer::str() const {
  return fmt::format("C={} H={} W={} M={} R={} S={} U={} pad={} {}{}", c, h, w, m, r, s, stride,
                     pad, golden::to_string(prec), bias ? " bias" : "");
}

std::string ArrayPass::str() const {
  return fmt::format("E={} F={} p={} q={} groups={} rows={} cols={} folds={}", e_out, f_out, p, q,
                     chan_groups, rows_used, cols_used, folds);
}

namespace {
int ceil_div(int a, int b) { return (a + b - 1) / b; }
}  // namespace

ArrayPass map_single_pass(const cfg::HwConfig& hw, const ConvLayer& l) {
  if (l.c < 1 || l.h < 1 || l.w < 1 || l.m < 1 || l.r < 1 || l.s < 1 || l.stride < 1 || l.pad < 0) {
    throw MapError(fmt::format("layer {}: sizes must be positive and padding >= 0", l.str()));
  }
  if (l.h + 2 * l.pad < l.r || l.w + 2 * l.pad < l.s) {
    throw MapError(fmt::format("layer {}: filter larger than the padded input", l.str()));
  }
  if (l.stride > 15) throw MapError(fmt::format("stride {} above the PE limit 15", l.stride));
  ArrayPass a;
  a.e_out = (l.h + 2 * l.pad - l.r) / l.stride + 1;
  a.f_out = (l.w + 2 * l.pad - l.s) / l.stride + 1;
  a.row_width = (a.f_out - 1) * l.stride + l.s;
  if (l.s > hw.ifmap_spad_words) {
    throw MapError(fmt::format("filter width S={} exceeds the ifmap spad ({} words)", l.s,
                               hw.ifmap_spad_words));
  }
  if (l.r > hw.pe_rows) {
    throw MapError(
        fmt::format("filter height R={} exceeds the {} PE rows (needs folding "
                    "across passes, not supported yet)",
                    l.r, hw.pe_rows));
  }
  a.p = l.m;
  if (a.p > hw.psum_spad_words) {
    throw MapError(fmt::format("M={} filters exceed the psum spad ({} words) in one pass", l.m,
                               hw.psum_spad_words));
  }
  // Channels per PE: as many as the ifmap and filter spads hold; the rest in stacked sets.
  const int q_max = std::min(hw.ifmap_spad_words / l.s, hw.filter_spad_words / (a.p * l.s));
  if (q_max < 1) {
    throw MapError(fmt::format("p*S = {} filter words exceed the filter spad ({} words)", a.p * l.s,
                               hw.filter_spad_words));
  }
  const int sets = hw.pe_rows / l.r;
  a.chan_groups = ceil_div(l.c, q_max);
  if (a.chan_groups > sets) {
    throw MapError(fmt::format("C={} channels need {} sets of {} rows; the array has {} rows", l.c,
                               a.chan_groups, l.r, hw.pe_rows));
  }
  a.q = ceil_div(l.c, a.chan_groups);  // balance channels over the sets
  a.rows_used = l.r * a.chan_groups;
  a.folds = ceil_div(a.e_out, hw.pe_cols);
  a.cols_used = ceil_div(a.e_out, a.folds);
  a.hspan = (a.cols_used - 1) * l.stride + l.r;
  if (int64_t(a.chan_groups) * a.hspan > (1 << 10)) {
    throw MapError("ifmap tags exceed the network's 10-bit tag space");
  }
  if (a.f_out > 4095) throw MapError(fmt::format("ofmap width {} above 4095", a.f_out));
  return a;
}

ArrayStimulus make_stimulus(const cfg::HwConfig& hw, const ConvLayer& l, const ArrayPass& a,
                            const golden::WordTensor& x, const golden::WordTensor& wt,
                            const std::vector<int64_t>& bias) {
  ArrayStimulus st;
  const int U = l.stride;
  // Routing: PE (k*R + r, c) holds filter row r of channel group k.
  for (int row = 0; row < hw.pe_rows; ++row) {
    for (int col = 0; col < hw.pe_cols; ++col) {
      PeRoute rt;
      rt.row = row;
      rt.col = col;
      if (row < a.rows_used && col < a.cols_used) {
        const int k = row / l.r, r = row % l.r;
        rt.en = true;
        rt.flt_id = row;
        rt.ifm_id = k * a.hspan + col * U + r;
        const bool bottom = row == a.rows_used - 1;
        rt.psum_port = bottom;
        rt.acc_in = !bottom || l.bias;
      }
      st.routes.push_back(rt);
    }
  }
  // Filters: one filter row per PE row, (p, q, s) order; channels past C are zero.
  for (int row = 0; row < a.rows_used; ++row) {
    const int k = row / l.r, r = row % l.r;
    for (int m = 0; m < a.p; ++m) {
      for (int qq = 0; qq < a.q; ++qq) {
        const int ch = k * a.q + qq;
        for (int s = 0; s < l.s; ++s) {
          st.filters.push_back({row, ch < l.c ? wt.at(m, ch, r, s) : int16_t(0)});
        }
      }
    }
  }
  // Ifmaps: fold by fold, column by column, then every ifmap row some PE of a set needs,
  // then channels. Rows and columns outside the input are zero padding.
  std::set<int> rel_rows;  // rows of a set's span that some PE reads
  for (int col = 0; col < a.cols_used; ++col) {
    for (int r = 0; r < l.r; ++r) rel_rows.insert(col * U + r);
  }
  for (int f = 0; f < a.folds; ++f) {
    for (int wc = 0; wc < a.row_width; ++wc) {
      const int w_in = wc - l.pad;
      for (int k = 0; k < a.chan_groups; ++k) {
        for (int hr : rel_rows) {
          const int h_in = f * a.cols_used * U + hr - l.pad;
          for (int qq = 0; qq < a.q; ++qq) {
            const int ch = k * a.q + qq;
            const bool inside = ch < l.c && h_in >= 0 && h_in < l.h && w_in >= 0 && w_in < l.w;
            st.ifmaps.push_back({k * a.hspan + hr, inside ? x.at(0, ch, h_in, w_in) : int16_t(0)});
          }
        }
      }
    }
  }
  // Expected: the convolution over an input padded explicitly to every row the folds cover
  // (rows past E are computed from zero padding; the output stage will drop them).
  const int rows_cover = (a.folds * a.cols_used - 1) * U + l.r;
  golden::WordTensor xp(golden::Shape4{1, l.c, rows_cover, a.row_width}, 0);
  for (int ch = 0; ch < l.c; ++ch) {
    for (int hh = 0; hh < rows_cover; ++hh) {
      for (int ww = 0; ww < a.row_width; ++ww) {
        const int h_in = hh - l.pad, w_in = ww - l.pad;
        if (h_in >= 0 && h_in < l.h && w_in >= 0 && w_in < l.w) {
          xp.at(0, ch, hh, ww) = x.at(0, ch, h_in, w_in);
        }
      }
    }
  }
  golden::ConvParams cp;
  cp.stride_h = cp.stride_w = U;
  const golden::AccTensor acc = golden::conv2d_acc(xp, wt, bias, cp, l.prec, hw.acc_bits);
  st.psum_in.assign(std::size_t(hw.pe_cols), {});
  st.expect_out.assign(std::size_t(hw.pe_cols), {});
  for (int col = 0; col < a.cols_used; ++col) {
    for (int f = 0; f < a.folds; ++f) {
      const int e = f * a.cols_used + col;
      for (int xo = 0; xo < a.f_out; ++xo) {
        for (int m = 0; m < a.p; ++m) {
          st.expect_out[col].push_back(acc.at(0, m, e, xo));
          if (l.bias) st.psum_in[col].push_back(bias[m]);
        }
      }
    }
  }
  st.mac_slots = uint64_t(a.rows_used) * a.cols_used * a.folds * a.f_out * a.p * a.q * l.s;
  return st;
}

ConvLayer random_single_pass_layer(const cfg::HwConfig& hw, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto uni = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (;;) {
    ConvLayer l;
    l.r = uni(1, std::min(hw.pe_rows, 5));
    l.s = uni(1, std::min(hw.ifmap_spad_words, 5));
    l.stride = uni(0, 3) == 0 ? uni(2, 4) : 1;
    l.pad = uni(0, 2) == 0 ? 0 : uni(0, std::min(l.r, l.s) - 1);
    l.c = uni(1, 2 * hw.pe_rows);
    l.m = uni(1, std::min(hw.psum_spad_words, 16));
    l.h = uni(std::max(1, l.r - 2 * l.pad), l.r + 2 * hw.pe_cols + 6);
    l.w = uni(std::max(1, l.s - 2 * l.pad), l.s + 20);
    l.prec = uni(0, 2) == 0 ? golden::Precision::kInt8 : golden::Precision::kInt16;
    l.bias = uni(0, 1) == 1;
    try {
      map_single_pass(hw, l);
      return l;
    } catch (const MapError&) {
      // draw again: the generator only returns layers that fit one pass
    }
  }
}

}  // namespace rsnpu::tb
