// Host-side layer mapper (tb/layer_map.h), DRAM images and network lowering
// (tb/dram_image.h) against docs/accelerator.md: every mapping of thousands of random layers
// passes the hardware's checks and stays within the buffers, impossible layers are refused
// with a message naming the limit, every check code is reachable, the DRAM images have the
// documented order, and a functional model of the documented loop nest run on those images
// reproduces the golden model exactly.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "dram_image.h"
#include "layer_map.h"
#include "network.h"
#include "rsnpu/csr_map.h"
#include "rsnpu/hw_configs.h"
#include "rsnpu/hw_enums.h"

namespace {

using rsnpu::cfg::HwConfig;
using rsnpu::golden::Precision;
using rsnpu::golden::Shape4;
using rsnpu::golden::WordTensor;
using rsnpu::hw::CtrlErr;
using rsnpu::tb::DramAddrs;
using rsnpu::tb::DramSizes;
using rsnpu::tb::LayerDesc;
using rsnpu::tb::LayerMap;
using rsnpu::tb::LoweredLayer;
using rsnpu::tb::MapError;

namespace golden = rsnpu::golden;
namespace net = rsnpu::net;
namespace tb = rsnpu::tb;
namespace csr = rsnpu::csr;

const std::string kTinyCnn = std::string(RSNPU_SOURCE_DIR) + "/networks/tiny_cnn.json";
const HwConfig* const kConfigs[] = {&rsnpu::cfg::k_tiny, &rsnpu::cfg::k_eyeriss};
constexpr int kRandomLayers = 2000;  // per configuration

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

// Regions laid out one after another from 0x1000 (8-byte aligned), each window exactly
// covering its regions.
DramAddrs layout(const LayerDesc& d, const LayerMap& m) {
  const DramSizes z = tb::dram_sizes(d, m);
  auto up8 = [](uint64_t v) { return uint32_t((v + 7) / 8 * 8); };
  DramAddrs a;
  a.rd_lo = a.ifmap = 0x1000;
  a.weight = up8(a.ifmap + z.ifmap);
  a.bias = up8(a.weight + z.weight);
  a.residual = up8(a.bias + z.bias);
  a.rd_hi = uint32_t(a.residual + z.residual);
  a.wr_lo = a.ofmap = up8(a.rd_hi);
  a.wr_hi = uint32_t(a.ofmap + z.ofmap);
  return a;
}

// The C++ loop-nest model covers the convolution, pooling and tiling only; the residual
// preload and the output channel stride are checked on the RTL (accel tests).
LayerDesc without_concat_and_residual(LayerDesc d) {
  d.out_channels = 0;
  d.residual = false;
  d.res_shift = 0;
  return d;
}

bool fits(int v, const csr::Field& f) { return v >= 0 && int64_t(v) < (int64_t{1} << f.width); }

// Every value of the descriptor and the mapping fits its register field.
void expect_fields_fit(const LayerDesc& d, const LayerMap& m) {
  EXPECT_TRUE(fits(d.cg, csr::channels::c) && fits(d.h, csr::in_shape::h) &&
              fits(d.w, csr::in_shape::w) && fits(d.mg, csr::channels::m) &&
              fits(d.r, csr::flt_shape::r) && fits(d.s, csr::flt_shape::s) &&
              fits(d.n, csr::flt_shape::batch) && fits(d.stride, csr::conv::stride) &&
              fits(d.pad, csr::conv::pad) && fits(d.groups, csr::conv::groups) &&
              fits(d.shift, csr::output::shift) && fits(d.pool_k, csr::output::pool_k) &&
              fits(d.pool_s, csr::output::pool_s))
      << d.str();
  EXPECT_TRUE(fits(m.e, csr::out_shape::e) && fits(m.f, csr::out_shape::f) &&
              fits(m.ho, csr::pool_shape::ho) && fits(m.wo, csr::pool_shape::wo) &&
              fits(m.p, csr::map0::p) && fits(m.q, csr::map0::q) && fits(m.sets, csr::map0::sets) &&
              fits(m.cols, csr::map0::cols) && fits(m.folds, csr::map1::folds) &&
              fits(m.strip_rows, csr::map1::strip_rows) && fits(m.n_mt, csr::map2::n_mt) &&
              fits(m.n_ct, csr::map2::n_ct) && fits(m.n_strips, csr::map3::n_strips))
      << m.str();
}

// Buffer and spad use of one mapping, checked directly (not through check_layer_map).
void expect_within_limits(const HwConfig& hw, const LayerDesc& d, const LayerMap& m) {
  SCOPED_TRACE(d.str() + " -> " + m.str());
  EXPECT_LE(m.rows_used(d), hw.pe_rows);
  EXPECT_LE(m.cols, hw.pe_cols);
  EXPECT_LE(m.p, hw.psum_spad_words);
  EXPECT_LE(m.q * d.s, hw.ifmap_spad_words);
  EXPECT_LE(m.p * m.q * d.s, hw.filter_spad_words);
  EXPECT_LE(m.sets * m.hspan(d), 1024);
  EXPECT_LE(m.glb_ifmap_words(d), hw.glb_ifmap_words);
  EXPECT_LE(m.glb_psum_words(d), hw.glb_psum_words);
  // The filter buffer (rsnpu_pkg::GlbFltLines lines) holds a pass's blob.
  EXPECT_LE(m.blob_words(d), tb::flt_row_slots(hw.pe_rows) * hw.filter_spad_words);
  EXPECT_GE(m.e_pass(), m.es_max(d));
  EXPECT_EQ(m.n_mt, (d.mg + m.p - 1) / m.p);
  EXPECT_EQ(m.n_ct, (d.cg + m.ctile() - 1) / m.ctile());
  EXPECT_EQ(m.n_strips, (m.ho + m.strip_rows - 1) / m.strip_rows);
}

WordTensor random_words(Shape4 shape, Precision prec, std::mt19937_64& rng) {
  WordTensor t(shape);
  std::uniform_int_distribution<int> dist(golden::word_min(prec), golden::word_max(prec));
  for (int16_t& v : t.data) v = int16_t(dist(rng));
  return t;
}

// Functional model of rsnpu_top's loop nest, written from docs/accelerator.md alone: it
// reads the input, weight and bias images through bounded buffers, computes every pass the
// way the PE array does (PE (row, col), fold f: filter row r of set k on convolution row
// e0 + f*cols + col), and returns the output image. Every index it uses is checked against
// the documented region sizes and buffer sizes, and every output word must be written once.
std::vector<uint16_t> run_loop_nest(const HwConfig& hw, const LayerDesc& d, const LayerMap& m,
                                    const std::vector<uint16_t>& ifmap,
                                    const std::vector<uint16_t>& weights,
                                    const std::vector<uint32_t>& bias) {
  const int U = d.stride, P = d.pad, R = d.r, S = d.s, pk = d.pk(), ps = d.ps();
  const int F = m.f, wp_in = m.wp_in(d), wp_out = m.wp_out(), p = m.p, q = m.q;
  const DramSizes z = tb::dram_sizes(d, m);
  EXPECT_EQ(ifmap.size() * 2, z.ifmap);
  EXPECT_EQ(weights.size() * 2, z.weight);
  EXPECT_EQ(bias.size() * 4, z.bias);
  constexpr uint16_t kUnwritten = 0xdead;
  std::vector<uint16_t> out(z.ofmap / 2, kUnwritten);
  std::vector<bool> written(out.size(), false);
  const golden::Requant rq{d.shift, d.prec, d.relu};

  for (int n = 0; n < d.n; ++n) {
    for (int g = 0; g < d.groups; ++g) {
      for (int mt = 0; mt < m.n_mt; ++mt) {
        const int m0 = mt * p, mn = std::min(p, d.mg - m0);
        std::vector<int64_t> bias_buf(std::size_t(p), 0);
        if (d.bias) {
          const std::size_t at = (std::size_t(g) * m.n_mt + mt) * m.bias_words();
          for (int mm = 0; mm < p; ++mm) bias_buf[mm] = int32_t(bias.at(at + mm));
        }
        for (int st = 0; st < m.n_strips; ++st) {
          const int po0 = st * m.strip_rows;
          const int prow = std::min(m.strip_rows, m.ho - po0);
          const int e0 = po0 * ps, es = (prow - 1) * ps + pk;
          std::vector<int64_t> psum(std::size_t(m.es_max(d)) * F * p, 0);
          EXPECT_LE(int64_t(psum.size()), hw.glb_psum_words);
          for (int ct = 0; ct < m.n_ct; ++ct) {
            const int c0 = ct * m.ctile(), cn = std::min(m.ctile(), d.cg - c0);
            const std::size_t blob =
                ((std::size_t(g) * m.n_mt + mt) * m.n_ct + ct) * m.blob_words(d);
            const int hlo = std::max(0, e0 * U - P);
            const int hhi = std::min(d.h, (e0 + m.e_pass() - 1) * U + R - P);
            const int rows = std::max(0, hhi - hlo);
            EXPECT_LE(rows, m.in_rows_max(d));
            std::vector<uint16_t> ifbuf(std::size_t(cn) * rows * wp_in);
            EXPECT_LE(int64_t(ifbuf.size()), hw.glb_ifmap_words);
            for (int c = 0; c < cn; ++c) {
              for (int h = 0; h < rows; ++h) {
                const std::size_t src =
                    ((std::size_t(n * d.groups + g) * d.cg + c0 + c) * d.h + hlo + h) * wp_in;
                std::copy_n(ifmap.begin() + std::ptrdiff_t(src), wp_in,
                            ifbuf.begin() + (std::ptrdiff_t(c) * rows + h) * wp_in);
              }
            }
            // One pass.
            for (int col = 0; col < m.cols; ++col) {
              for (int f = 0; f < m.folds; ++f) {
                const int e_rel = f * m.cols + col;
                if (e_rel >= es) continue;  // computed by the array, dropped by the buffer
                for (int x = 0; x < F; ++x) {
                  for (int mm = 0; mm < p; ++mm) {
                    int64_t acc = 0;
                    for (int row = 0; row < m.rows_used(d); ++row) {
                      const int k = row / R, r = row % R;
                      const int ih = (e0 + f * m.cols) * U + col * U + r - P;
                      for (int qq = 0; qq < q; ++qq) {
                        const int ch = k * q + qq;
                        for (int s = 0; s < S; ++s) {
                          // Row group row / 4, word i of the row, lane row % 4.
                          const std::size_t i = (std::size_t(mm) * q + qq) * S + s;
                          const std::size_t wi =
                              blob + (std::size_t(row / tb::kFltLanes) * p * q * S + i) *
                                         tb::kFltLanes +
                              std::size_t(row % tb::kFltLanes);
                          const int16_t wv = int16_t(weights.at(wi));
                          const int iw = x * U + s - P;
                          int16_t xv = 0;
                          if (ch < cn && ih >= 0 && ih < d.h && iw >= 0 && iw < d.w) {
                            EXPECT_TRUE(ih >= hlo && ih < hhi) << "row " << ih << " not loaded";
                            xv =
                                int16_t(ifbuf.at((std::size_t(ch) * rows + ih - hlo) * wp_in + iw));
                          }
                          acc += int64_t(golden::operand(wv, d.prec)) * golden::operand(xv, d.prec);
                        }
                      }
                    }
                    int64_t& entry = psum.at((std::size_t(e_rel) * F + x) * p + mm);
                    const int64_t start = ct == 0 ? (d.bias ? bias_buf[mm] : 0) : entry;
                    entry = golden::wrap(start + acc, hw.acc_bits);
                  }
                }
              }
            }
          }
          // Write back prow rows of mn channels.
          for (int mm = 0; mm < mn; ++mm) {
            for (int po = 0; po < prow; ++po) {
              const std::size_t row0 =
                  ((std::size_t(n * d.groups + g) * d.mg + m0 + mm) * m.ho + po0 + po) * wp_out;
              for (int xo = 0; xo < wp_out; ++xo) {
                int16_t v = 0;
                if (xo < m.wo) {
                  int64_t best = INT64_MIN;
                  for (int i = 0; i < pk; ++i) {
                    for (int j = 0; j < pk; ++j) {
                      const int er = po * ps + i, xc = xo * ps + j;
                      EXPECT_LT(er, es);
                      best = std::max(best, psum.at((std::size_t(er) * F + xc) * p + mm));
                    }
                  }
                  v = golden::requantize(best, rq);
                }
                EXPECT_FALSE(written.at(row0 + xo)) << "output word written twice";
                written[row0 + xo] = true;
                out[row0 + xo] = uint16_t(v);
              }
            }
          }
        }
      }
    }
  }
  EXPECT_EQ(std::count(written.begin(), written.end(), false), 0) << "output words not written";
  return out;
}

struct LayerData {
  WordTensor x, w;
  std::vector<int64_t> bias;
};

LayerData random_data(const LayerDesc& d, uint64_t seed) {
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ull);
  LayerData t;
  t.x = random_words(Shape4{d.n, d.groups * d.cg, d.h, d.w}, d.prec, rng);
  t.w = random_words(Shape4{d.groups * d.mg, d.cg, d.r, d.s}, d.prec, rng);
  if (d.bias) {
    std::uniform_int_distribution<int64_t> dist(-(int64_t{1} << 20), int64_t{1} << 20);
    for (int i = 0; i < d.groups * d.mg; ++i) t.bias.push_back(dist(rng));
  }
  return t;
}

// The documented loop nest on the packed images equals golden_layer, word for word
// (padding words included).
void expect_loop_nest_matches_golden(const HwConfig& hw, const LayerDesc& d, const LayerMap& m,
                                     const LayerData& t) {
  SCOPED_TRACE(fmt::format("{}: {} -> {}", hw.name, d.str(), m.str()));
  const std::vector<uint16_t> got =
      run_loop_nest(hw, d, m, tb::pack_activations(t.x), tb::pack_weight_blobs(d, m, t.w),
                    tb::pack_bias_blobs(d, m, t.bias));
  const WordTensor want = tb::golden_layer(d, t.x, t.w, t.bias, {}, hw.acc_bits);
  ASSERT_EQ(want.shape, (Shape4{d.n, d.groups * d.mg, m.ho, m.wo}));
  EXPECT_EQ(got, tb::pack_activations(want));
}

// A legal layer, its mapping and addresses, for perturbation.
struct Legal {
  LayerDesc d;
  LayerMap m;
  DramAddrs a;
};

Legal legal_tiny_layer() {
  Legal l;
  l.d.cg = 4;
  l.d.h = l.d.w = 20;
  l.d.mg = 8;
  l.d.r = l.d.s = 3;
  l.d.pad = 1;
  l.d.bias = true;
  l.d.pool_k = l.d.pool_s = 2;
  l.m = tb::map_layer(rsnpu::cfg::k_tiny, l.d);
  l.a = layout(l.d, l.m);
  return l;
}

// ---------------------------------------------------------------------------------------
// Mapper legality over random layers
// ---------------------------------------------------------------------------------------
class MapperRandom : public ::testing::TestWithParam<const HwConfig*> {};

TEST_P(MapperRandom, EveryMappingPassesTheChecksAndFitsTheBuffers) {
  const HwConfig& hw = *GetParam();
  int multi_mt = 0, multi_ct = 0, multi_strip = 0, all_three = 0, pooled = 0, grouped = 0;
  int64_t macs = 0, slots = 0;
  for (int i = 0; i < kRandomLayers; ++i) {
    const LayerDesc d = tb::random_layer(hw, uint64_t(i));
    const LayerMap m = tb::map_layer(hw, d);
    ASSERT_EQ(tb::check_layer_map(hw, d, m, layout(d, m)), CtrlErr::kNone)
        << d.str() << " -> " << m.str();
    expect_within_limits(hw, d, m);
    expect_fields_fit(d, m);
    EXPECT_LE(d.macs(), tb::kRandomLayerMaxMacs);
    EXPECT_EQ(tb::random_layer(hw, uint64_t(i)).str(), d.str()) << "not deterministic";
    multi_mt += m.n_mt > 1;
    multi_ct += m.n_ct > 1;
    multi_strip += m.n_strips > 1;
    all_three += m.n_mt > 1 && m.n_ct > 1 && m.n_strips > 1;
    pooled += d.pool_k > 0;
    grouped += d.groups > 1;
    macs += d.macs();
    slots += tb::mac_slots(d, m);
    if (HasFailure()) break;
  }
  fmt::print(
      "{}: {} random layers: n_mt>1 {}, n_ct>1 {}, n_strips>1 {}, all three {}, pooled {}, "
      "grouped {}; useful MACs / MAC slots of active PEs {:.2f}\n",
      hw.name, kRandomLayers, multi_mt, multi_ct, multi_strip, all_three, pooled, grouped,
      double(macs) / double(slots));
  if (std::string(hw.name) == "tiny") {  // multi-tile cases must be common
    EXPECT_GE(multi_mt, kRandomLayers / 5);
    EXPECT_GE(multi_ct, kRandomLayers / 5);
    EXPECT_GE(multi_strip, kRandomLayers / 5);
  }
}

TEST_P(MapperRandom, LoopNestOnPackedImagesEqualsGolden) {
  const HwConfig& hw = *GetParam();
  for (int i = 0; i < kRandomLayers && !HasFailure(); ++i) {
    const LayerDesc d = without_concat_and_residual(tb::random_layer(hw, uint64_t(i)));
    expect_loop_nest_matches_golden(hw, d, tb::map_layer(hw, d), random_data(d, uint64_t(i)));
  }
}

// The mapper's choice is the cheapest of all legal mappings near it: no single-field change
// of p, q, sets or cols (with the derived fields recomputed) is both legal and cheaper.
TEST_P(MapperRandom, NoLegalNeighbourIsCheaper) {
  const HwConfig& hw = *GetParam();
  for (int i = 0; i < 300 && !HasFailure(); ++i) {
    const LayerDesc d = tb::random_layer(hw, uint64_t(i));
    const LayerMap best = tb::map_layer(hw, d);
    const int64_t cost = tb::estimated_cycles(hw, d, best);
    for (int field = 0; field < 4; ++field) {
      for (int delta : {-1, 1}) {
        LayerMap m = best;
        int* v[] = {&m.p, &m.q, &m.sets, &m.cols};
        *v[field] += delta;
        if (*v[field] < 1) continue;
        m.n_mt = (d.mg + m.p - 1) / m.p;
        m.n_ct = (d.cg + m.ctile() - 1) / m.ctile();
        // Smallest folds for the current strip; shrink the strip until the buffers hold it.
        for (m.strip_rows = best.strip_rows; m.strip_rows >= 1; --m.strip_rows) {
          m.n_strips = (m.ho + m.strip_rows - 1) / m.strip_rows;
          m.folds = (m.es_max(d) + m.cols - 1) / m.cols;
          if (tb::check_layer_map(hw, d, m, layout(d, m)) == CtrlErr::kNone) break;
        }
        if (m.strip_rows < 1) continue;
        EXPECT_GE(tb::estimated_cycles(hw, d, m), cost)
            << d.str() << "\n chosen " << best.str() << "\n cheaper " << m.str();
      }
    }
  }
}

// The checks are sufficient: any mapping that passes them (not only the mapper's choice)
// computes the layer exactly through the documented loop nest.
TEST_P(MapperRandom, AnyMappingPassingTheChecksComputesTheLayer) {
  const HwConfig& hw = *GetParam();
  std::mt19937_64 rng(99);
  auto uni = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  int accepted = 0, tried = 0;
  for (int i = 0; i < 300 && !HasFailure(); ++i) {
    const LayerDesc d = without_concat_and_residual(tb::random_layer(hw, uint64_t(10000 + i)));
    const LayerData t = random_data(d, uint64_t(i));
    for (int trial = 0; trial < 20; ++trial, ++tried) {
      LayerMap m = tb::map_layer(hw, d);  // for E, F, Ho, Wo
      m.p = uni(1, std::min(hw.psum_spad_words, d.mg));
      m.q = uni(1, hw.ifmap_spad_words / d.s);
      m.sets = uni(1, hw.pe_rows / d.r);
      m.cols = uni(1, hw.pe_cols);
      m.strip_rows = uni(1, m.ho);
      m.n_mt = (d.mg + m.p - 1) / m.p;
      m.n_ct = (d.cg + m.ctile() - 1) / m.ctile();
      m.n_strips = (m.ho + m.strip_rows - 1) / m.strip_rows;
      m.folds = (m.es_max(d) + m.cols - 1) / m.cols + uni(0, 1);  // sometimes a spare fold
      if (tb::check_layer_map(hw, d, m, layout(d, m)) != CtrlErr::kNone) continue;
      ++accepted;
      expect_loop_nest_matches_golden(hw, d, m, t);
    }
  }
  fmt::print("{}: {} of {} random mappings pass the checks and compute the layer\n", hw.name,
             accepted, tried);
  EXPECT_GE(accepted, tried / 10);
}

INSTANTIATE_TEST_SUITE_P(Configs, MapperRandom, ::testing::ValuesIn(kConfigs),
                         [](const auto& info) { return std::string(info.param->name); });

// ---------------------------------------------------------------------------------------
// Impossible layers
// ---------------------------------------------------------------------------------------
void expect_map_error(const HwConfig& hw, const LayerDesc& d, const std::string& text) {
  try {
    const LayerMap m = tb::map_layer(hw, d);
    ADD_FAILURE() << "mapped " << d.str() << " -> " << m.str() << "; expected: " << text;
  } catch (const MapError& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos)
        << "message: " << e.what() << "\nexpected to contain: " << text;
  }
}

TEST(MapperErrors, NamesTheLimit) {
  const HwConfig& tiny = rsnpu::cfg::k_tiny;
  LayerDesc d;
  d.cg = 2;
  d.h = d.w = 12;
  d.mg = 4;
  d.r = d.s = 3;

  LayerDesc x = d;
  x.r = 5;
  expect_map_error(tiny, x, "filter height R=5 exceeds the 3 PE rows of configuration tiny");
  x = d;
  x.s = 11;
  expect_map_error(tiny, x,
                   "filter width S=11 exceeds the ifmap spad (10 words) of configuration tiny");
  x = d;
  x.pad = 3;
  expect_map_error(tiny, x, "pad P=3 must be below the filter size R=3 and S=3");
  x = d;
  x.h = 1;
  expect_map_error(tiny, x, "filter 3x3 larger than the padded input 1x12");
  x = d;
  x.h = 1024;
  expect_map_error(tiny, x, "H (input height) = 1024 outside the descriptor's range [1, 1023]");
  x = d;
  x.cg = 65536;
  expect_map_error(tiny, x, "Cg (input channels per group) = 65536 outside");
  x = d;
  x.n = 256;
  expect_map_error(tiny, x, "N (batch) = 256 outside");
  x = d;
  x.stride = 16;
  expect_map_error(tiny, x, "stride = 16 outside");
  x = d;
  x.shift = 32;
  expect_map_error(tiny, x, "shift = 32 outside the descriptor's range [0, 31]");
  x = d;
  x.pool_k = 8;
  x.pool_s = 2;
  expect_map_error(tiny, x, "pool_k = 8 outside");
  x = d;
  x.pool_k = 2;
  x.pool_s = 0;
  expect_map_error(tiny, x, "pool_s = 0 outside the descriptor's range [1, 7]");
  x = d;
  x.pool_k = 7;
  x.pool_s = 1;
  x.h = 6;
  expect_map_error(tiny, x, "pooling window 7 larger than the convolution output 4x10");
  x = d;
  x.w = 1023;
  x.pad = 2;
  x.r = x.s = 3;
  x.h = 3;
  x.pad = 2;
  expect_map_error(tiny, x, "convolution output 5x1025 exceeds the OUT_SHAPE limit 1023");
  // One output row of 3 conv rows x 300 outputs needs 900 psum entries (tiny holds 256).
  x = d;
  x.w = 302;
  x.pool_k = 3;
  x.pool_s = 3;
  expect_map_error(tiny, x,
                   "one output row needs 900 psum entries (3 convolution rows x F=300), more "
                   "than the 256-entry psum buffer of configuration tiny");
  // Stride 4 keeps F = 250 but one row reads 3 input rows of 1000 words.
  x = d;
  x.w = 1000;
  x.stride = 4;
  expect_map_error(tiny, x,
                   "one output row needs 3 input rows of 1000 words (3000 words) of one "
                   "channel, more than the 1024-word ifmap buffer of configuration tiny");
  // The same layer maps on eyeriss.
  EXPECT_NO_THROW(tb::map_layer(rsnpu::cfg::k_eyeriss, x));
}

// ---------------------------------------------------------------------------------------
// check_layer_map: every code, in order
// ---------------------------------------------------------------------------------------
TEST(CheckLayerMap, EveryCodeIsReachable) {
  const HwConfig& hw = rsnpu::cfg::k_tiny;
  const Legal base = legal_tiny_layer();
  ASSERT_EQ(tb::check_layer_map(hw, base.d, base.m, base.a), CtrlErr::kNone) << base.m.str();
  // Multi-tile on every level, so that the Tiling and Glb perturbations below mean something.
  EXPECT_GT(base.m.n_mt, 1) << base.m.str();
  EXPECT_GT(base.m.n_strips, 1) << base.m.str();

  struct Case {
    const char* what;
    std::function<void(Legal&)> change;
    CtrlErr want;
  };
  const HwConfig* t = &hw;
  const std::vector<Case> cases = {
      {"folds 0", [](Legal& l) { l.m.folds = 0; }, CtrlErr::kZeroField},
      {"batch 0", [](Legal& l) { l.d.n = 0; }, CtrlErr::kZeroField},
      {"E 0", [](Legal& l) { l.m.e = 0; }, CtrlErr::kZeroField},
      {"pool_s 0", [](Legal& l) { l.d.pool_s = 0; }, CtrlErr::kZeroField},
      {"cols 256 (8-bit field holds 0)", [](Legal& l) { l.m.cols = 256; }, CtrlErr::kZeroField},
      {"E + 1", [](Legal& l) { l.m.e += 1; }, CtrlErr::kShape},
      {"F - 1", [](Legal& l) { l.m.f -= 1; }, CtrlErr::kShape},
      {"Ho + 1", [](Legal& l) { l.m.ho += 1; }, CtrlErr::kShape},
      {"Wo - 1", [](Legal& l) { l.m.wo -= 1; }, CtrlErr::kShape},
      {"pad = R (E, F adjusted)",
       [](Legal& l) {
         l.d.pad = 3;
         l.m.e = l.m.f = l.d.conv_e();
         l.m.ho = l.m.wo = (l.m.e - 2) / 2 + 1;
       },
       CtrlErr::kShape},
      {"cols > PeCols", [t](Legal& l) { l.m.cols = t->pe_cols + 1; }, CtrlErr::kArray},
      {"p > psum spad", [t](Legal& l) { l.m.p = t->psum_spad_words + 1; }, CtrlErr::kArray},
      {"q*S > ifmap spad", [t](Legal& l) { l.m.q = t->ifmap_spad_words / 3 + 1; }, CtrlErr::kArray},
      {"p*q*S > filter spad",
       [](Legal& l) {
         l.m.p = 6;
         l.m.q = 3;
       },
       CtrlErr::kArray},
      {"rows_used > PeRows", [](Legal& l) { l.m.sets = 2; }, CtrlErr::kArray},
      {"n_mt + 1", [](Legal& l) { l.m.n_mt += 1; }, CtrlErr::kTiling},
      {"n_ct + 1", [](Legal& l) { l.m.n_ct += 1; }, CtrlErr::kTiling},
      {"n_strips - 1", [](Legal& l) { l.m.n_strips -= 1; }, CtrlErr::kTiling},
      {"e_pass < es_max",
       [](Legal& l) {
         l.m.folds = 1;
         l.m.cols = 1;
       },
       CtrlErr::kTiling},
      {"one strip: psum buffer",
       [](Legal& l) {
         l.m.strip_rows = l.m.ho;
         l.m.n_strips = 1;
         l.m.folds = (l.m.es_max(l.d) + l.m.cols - 1) / l.m.cols;
       },
       CtrlErr::kGlb},
      {"wide input: ifmap buffer",
       [](Legal& l) {
         // 2 channels x 3 rows x 172 words > 1024, still 1 psum row of 85 x p = 1 fits.
         l.d.w = 172;
         l.d.stride = 2;
         l.d.pad = 0;
         l.d.h = 3;
         l.d.pool_k = l.d.pool_s = 0;
         l.d.cg = 2;
         l.d.mg = 1;
         l.m.e = l.m.ho = 1;
         l.m.f = l.m.wo = 85;
         l.m.p = 1;
         l.m.q = 2;
         l.m.sets = 1;
         l.m.cols = 1;
         l.m.folds = l.m.strip_rows = l.m.n_mt = l.m.n_ct = l.m.n_strips = 1;
         l.a = layout(l.d, l.m);
       },
       CtrlErr::kGlb},
      {"ifmap address 4", [](Legal& l) { l.a.ifmap += 4; }, CtrlErr::kWindow},
      {"bias address 1", [](Legal& l) { l.a.bias += 1; }, CtrlErr::kWindow},
      {"weights end past RD_WIN_HI", [](Legal& l) { l.a.rd_hi = l.a.bias - 8; }, CtrlErr::kWindow},
      {"bias past RD_WIN_HI", [](Legal& l) { l.a.rd_hi -= 8; }, CtrlErr::kWindow},
      {"input below RD_WIN_LO", [](Legal& l) { l.a.rd_lo += 8; }, CtrlErr::kWindow},
      {"output past WR_WIN_HI", [](Legal& l) { l.a.wr_hi -= 1; }, CtrlErr::kWindow},
      {"output in the read window only", [](Legal& l) { l.a.ofmap = l.a.ifmap; }, CtrlErr::kWindow},
      {"output range wraps 32 bits",
       [](Legal& l) {
         l.a.ofmap = 0xfffffff8u;
         l.a.wr_lo = 0;
         l.a.wr_hi = 0xffffffffu;
       },
       CtrlErr::kWindow},
      // Without bias, BIAS_ADDR is neither aligned nor in a window.
      {"no bias: bias address ignored",
       [](Legal& l) {
         l.d.bias = false;
         l.a.bias = 0xffffffffu;
       },
       CtrlErr::kNone},
      // First failure wins.
      {"zero field and shape", [](Legal& l) { l.m.folds = 0, l.m.e += 1; }, CtrlErr::kZeroField},
      {"shape and array", [t](Legal& l) { l.m.e += 1, l.m.cols = t->pe_cols + 1; },
       CtrlErr::kShape},
      {"array and tiling", [t](Legal& l) { l.m.n_mt += 1, l.m.cols = t->pe_cols + 1; },
       CtrlErr::kArray},
      {"tiling and window", [](Legal& l) { l.m.n_mt += 1, l.a.ifmap += 2; }, CtrlErr::kTiling},
  };
  for (const Case& c : cases) {
    Legal l = base;
    c.change(l);
    EXPECT_EQ(tb::check_layer_map(hw, l.d, l.m, l.a), c.want)
        << c.what << ": " << l.d.str() << " -> " << l.m.str() << " got "
        << rsnpu::hw::to_string(tb::check_layer_map(hw, l.d, l.m, l.a)) << ", want "
        << rsnpu::hw::to_string(c.want);
  }
}

// ---------------------------------------------------------------------------------------
// DRAM images
// ---------------------------------------------------------------------------------------
TEST(DramImage, ActivationsRoundTripWithZeroPadding) {
  std::mt19937_64 rng(7);
  for (const Shape4 shape : {Shape4{2, 3, 5, 6}, Shape4{1, 2, 3, 4}, Shape4{1, 1, 1, 1}}) {
    const WordTensor x = random_words(shape, Precision::kInt16, rng);
    const std::vector<uint16_t> words = tb::pack_activations(x);
    const int wp = (shape.w + 3) / 4 * 4;
    ASSERT_EQ(words.size(), std::size_t(shape.n) * shape.c * shape.h * wp);
    for (std::size_t row = 0; row < words.size() / wp; ++row) {
      for (int w = shape.w; w < wp; ++w) EXPECT_EQ(words[row * wp + w], 0) << "padding word";
    }
    // [n][c][h][wp]: element (1, 2, 4, 5) of the first shape at ((1*3 + 2)*5 + 4)*8 + 5.
    if (shape.n == 2) {
      EXPECT_EQ(words[((1 * 3 + 2) * 5 + 4) * 8 + 5], uint16_t(x.at(1, 2, 4, 5)));
    }
    const WordTensor back = tb::unpack_activations(words, shape);
    EXPECT_EQ(back.shape, shape);
    EXPECT_EQ(back.data, x.data);
  }
  EXPECT_THROW(tb::unpack_activations(std::vector<uint16_t>(10), Shape4{1, 1, 2, 6}),
               std::invalid_argument);
}

// Hand-worked: R=2, S=2, p=2, q=2, sets=1 over Mg=3, Cg=3: 2 filter tiles x 2 channel tiles,
// blob_words = 4 lanes * p*q*S = 4*2*2*2 = 32 (one row group). w[m][c][r][s] = 1000m + 100c +
// 10r + s + 1.
TEST(DramImage, WeightBlobOrderHandChecked) {
  LayerDesc d;
  d.cg = 3;
  d.mg = 3;
  d.r = d.s = 2;
  d.h = d.w = 4;
  LayerMap m;
  m.e = m.f = m.ho = m.wo = 3;
  m.p = m.q = 2;
  m.sets = 1;
  m.cols = 3;
  m.folds = 1;
  m.strip_rows = 3;
  m.n_mt = m.n_ct = 2;
  m.n_strips = 1;
  ASSERT_EQ(tb::check_layer_map(rsnpu::cfg::k_tiny, d, m, layout(d, m)), CtrlErr::kNone);
  WordTensor w(Shape4{3, 3, 2, 2});
  for (int mi = 0; mi < 3; ++mi) {
    for (int c = 0; c < 3; ++c) {
      for (int r = 0; r < 2; ++r) {
        for (int s = 0; s < 2; ++s)
          w.at(mi, c, r, s) = int16_t(1000 * mi + 100 * c + 10 * r + s + 1);
      }
    }
  }
  const std::vector<uint16_t> blobs = tb::pack_weight_blobs(d, m, w);
  // One row group of 4 lanes: line i holds word i of row 0 (lane 0) and of row 1 (lane 1);
  // lanes 2 and 3 (no PE row) are 0. A row's words: filter 0 channels 0,1, filter 1 channels
  // 0,1, each s = 0, 1.
  const std::vector<uint16_t> want = {
      // pass (g0, mt0, ct0): row 0 (r=0) 1 2 101 102 1001 1002 1101 1102, row 1 (r=1) +10
      1, 11, 0, 0, 2, 12, 0, 0, 101, 111, 0, 0, 102, 112, 0, 0,
      1001, 1011, 0, 0, 1002, 1012, 0, 0, 1101, 1111, 0, 0, 1102, 1112, 0, 0,
      // pass (mt0, ct1): channels 2 and 3 (3 does not exist)
      201, 211, 0, 0, 202, 212, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      1201, 1211, 0, 0, 1202, 1212, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      // pass (mt1, ct0): filters 2 and 3 (3 does not exist)
      2001, 2011, 0, 0, 2002, 2012, 0, 0, 2101, 2111, 0, 0, 2102, 2112, 0, 0,
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      // pass (mt1, ct1)
      2201, 2211, 0, 0, 2202, 2212, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(blobs, want);
}

// Sets and groups: R=1, S=1, sets=2, q=1, p=1, G=2: PE row k holds channel k; the blob is one
// line, rows 0 and 1 in lanes 0 and 1, lanes 2 and 3 zero. Bias blobs: bias_words = 2, one per
// (g, mt).
TEST(DramImage, BlobSetsGroupsTailAndBias) {
  LayerDesc d;
  d.groups = 2;
  d.cg = 2;
  d.mg = 1;
  d.h = d.w = 3;
  d.bias = true;
  LayerMap m;
  m.e = m.f = m.ho = m.wo = 3;
  m.p = m.q = 1;
  m.sets = 2;
  m.cols = 3;
  m.folds = 1;
  m.strip_rows = 3;
  m.n_mt = m.n_ct = m.n_strips = 1;
  ASSERT_EQ(tb::check_layer_map(rsnpu::cfg::k_tiny, d, m, layout(d, m)), CtrlErr::kNone);
  WordTensor w(Shape4{2, 2, 1, 1});
  w.data = {11, 12, 21, -22};
  EXPECT_EQ(tb::pack_weight_blobs(d, m, w),
            (std::vector<uint16_t>{11, 12, 0, 0, 21, uint16_t(-22), 0, 0}));
  EXPECT_EQ(tb::pack_bias_blobs(d, m, {-5, 7}), (std::vector<uint32_t>{0xfffffffbu, 0, 7, 0}));
  EXPECT_THROW(tb::pack_bias_blobs(d, m, {1}), std::invalid_argument);
  EXPECT_THROW(tb::pack_weight_blobs(d, m, WordTensor(Shape4{2, 2, 1, 2})), std::invalid_argument);

  // Three filters in tiles of two: the second tile's second value is 0.
  LayerDesc d3 = d;
  d3.groups = 1;
  d3.mg = 3;
  LayerMap m3 = m;
  m3.p = 2;
  m3.n_mt = 2;
  EXPECT_EQ(tb::pack_bias_blobs(d3, m3, {1, 2, 3}), (std::vector<uint32_t>{1, 2, 3, 0}));
  d3.bias = false;
  EXPECT_TRUE(tb::pack_bias_blobs(d3, m3, {}).empty());
}

// ---------------------------------------------------------------------------------------
// Network lowering
// ---------------------------------------------------------------------------------------
net::Network small_fc_net() {
  return net::parse_network_string(R"({
    "format": "rsnpu-net", "version": 1, "name": "fc_only",
    "input": {"c": 2, "h": 3, "w": 5, "frac": 4}, "precision": "int16",
    "layers": [{"name": "fc", "type": "fc", "m": 4, "relu": true, "frac_w": 6, "frac_out": 4}]
  })",
                                   "fc.json");
}

TEST(Lowering, FcBecomesAConvolutionOverTheWholeInput) {
  const net::Network n = small_fc_net();
  const net::NetworkData data = net::make_random_data(n, 3);
  const WordTensor x = net::make_random_input(n, 2, 4);
  const std::vector<WordTensor> gold = net::run_golden(n, data, x, 32);
  for (const tb::FcLowering how : {tb::FcLowering::kWholeInput, tb::FcLowering::kRowsAsChannels}) {
    const std::vector<LoweredLayer> lo = tb::lower_network(n, 2, how);
    ASSERT_EQ(lo.size(), 1u);
    const LayerDesc& d = lo[0].desc;
    if (how == tb::FcLowering::kWholeInput) {
      EXPECT_EQ(d.str(), "N=2 G=1 Cg=2 HxW=3x5 Mg=4 RxS=3x5 U=1 P=0 int16 bias shift=6 relu");
    } else {
      EXPECT_EQ(d.str(), "N=2 G=1 Cg=6 HxW=1x5 Mg=4 RxS=1x5 U=1 P=0 int16 bias shift=6 relu");
    }
    EXPECT_EQ(lo[0].in_shape, (Shape4{2, d.cg, d.h, d.w}));
    EXPECT_EQ(lo[0].out_shape, (Shape4{2, 4, 1, 1}));
    // Same memory order: the weights and the input are relabelled, not moved.
    const WordTensor w = lo[0].weights(data);
    EXPECT_EQ(w.shape, (Shape4{4, d.cg, d.r, d.s}));
    EXPECT_EQ(w.data, data.layers[0].weights.data);
    WordTensor xin = x;
    xin.shape = lo[0].in_shape;
    EXPECT_EQ(tb::pack_activations(xin), tb::pack_activations(x)) << "same DRAM image";
    const WordTensor got = tb::golden_layer(d, xin, w, lo[0].bias(data), {}, 32);
    EXPECT_EQ(got.shape, gold[0].shape);
    EXPECT_EQ(got.data, gold[0].data);
    // Both forms map on both configurations (R = 3 fits tiny's 3 PE rows).
    for (const HwConfig* hw : kConfigs) {
      const LayerMap m = tb::map_layer(*hw, d);
      LayerData t{xin, w, lo[0].bias(data)};
      expect_loop_nest_matches_golden(*hw, d, m, t);
    }
  }
}

TEST(Lowering, TinyCnnIsThreeHardwareLayers) {
  const net::Network n = net::parse_network_file(kTinyCnn);
  const std::vector<LoweredLayer> lo = tb::lower_network(n, 2);
  ASSERT_EQ(lo.size(), 3u);
  EXPECT_EQ(lo[0].name, "conv1+pool1");
  EXPECT_EQ(lo[1].name, "conv2+pool2");
  EXPECT_EQ(lo[2].name, "fc");
  EXPECT_EQ(lo[0].covers, (std::vector<int>{0, 1}));
  EXPECT_EQ(lo[1].covers, (std::vector<int>{2, 3}));
  EXPECT_EQ(lo[2].covers, (std::vector<int>{4}));
  EXPECT_EQ(lo[0].input, -1);
  EXPECT_EQ(lo[1].input, 0);
  EXPECT_EQ(lo[2].input, 1);
  // conv1: 1x28x28, 8 filters 3x3 pad 1 -> 8x28x28, pool 2/2 -> 8x14x14; shift 8+10-8 = 10.
  EXPECT_EQ(lo[0].desc.str(),
            "N=2 G=1 Cg=1 HxW=28x28 Mg=8 RxS=3x3 U=1 P=1 int16 bias shift=10 relu pool 2/2");
  // conv2: 8x14x14, 16 filters 3x3 -> 16x12x12, pool 2/2 -> 16x6x6.
  EXPECT_EQ(lo[1].desc.str(),
            "N=2 G=1 Cg=8 HxW=14x14 Mg=16 RxS=3x3 U=1 P=0 int16 bias shift=10 relu pool 2/2");
  // fc: 16x6x6 -> 10, a 6x6 convolution over 16 channels.
  EXPECT_EQ(lo[2].desc.str(), "N=2 G=1 Cg=16 HxW=6x6 Mg=10 RxS=6x6 U=1 P=0 int16 bias shift=10");
  EXPECT_EQ(lo[0].out_shape, (Shape4{2, 8, 14, 14}));
  EXPECT_EQ(lo[1].in_shape, (Shape4{2, 8, 14, 14}));
  EXPECT_EQ(lo[1].out_shape, (Shape4{2, 16, 6, 6}));
  EXPECT_EQ(lo[2].in_shape, (Shape4{2, 16, 6, 6}));
  EXPECT_EQ(lo[2].out_shape, (Shape4{2, 10, 1, 1}));

  // The fc's 6 filter rows exceed tiny's 3 PE rows; as 96 one-row channels it maps.
  expect_map_error(rsnpu::cfg::k_tiny, lo[2].desc,
                   "filter height R=6 exceeds the 3 PE rows of configuration tiny");
  const std::vector<LoweredLayer> rows = tb::lower_network(n, 2, tb::FcLowering::kRowsAsChannels);
  EXPECT_EQ(rows[2].desc.str(), "N=2 G=1 Cg=96 HxW=1x6 Mg=10 RxS=1x6 U=1 P=0 int16 bias shift=10");
  EXPECT_NO_THROW(tb::map_layer(rsnpu::cfg::k_tiny, rows[2].desc));
}

// Layer by layer, golden_layer on the golden input of each hardware layer equals the network
// golden output of its last covered layer; the loop nest model agrees on both configurations.
TEST(Lowering, TinyCnnGoldenLayerByLayer) {
  const net::Network n = net::parse_network_file(kTinyCnn);
  const net::NetworkData data = net::make_random_data(n, 11);
  const WordTensor x = net::make_random_input(n, 2, 12);
  const std::vector<WordTensor> gold = net::run_golden(n, data, x, 32);
  for (const tb::FcLowering how : {tb::FcLowering::kWholeInput, tb::FcLowering::kRowsAsChannels}) {
    const std::vector<LoweredLayer> lo = tb::lower_network(n, 2, how);
    for (const LoweredLayer& l : lo) {
      SCOPED_TRACE(l.name);
      WordTensor in = l.input < 0 ? x : gold[std::size_t(lo[std::size_t(l.input)].last())];
      ASSERT_EQ(in.data.size(), l.in_shape.size());
      in.shape = l.in_shape;
      const WordTensor w = l.weights(data);
      const WordTensor got = tb::golden_layer(l.desc, in, w, l.bias(data), {}, 32);
      const WordTensor& want = gold[std::size_t(l.last())];
      EXPECT_EQ(got.shape, want.shape);
      EXPECT_EQ(got.data, want.data);
      for (const HwConfig* hw : kConfigs) {
        if (l.desc.r > hw->pe_rows) continue;  // fc over the whole input on tiny
        expect_loop_nest_matches_golden(*hw, l.desc, tb::map_layer(*hw, l.desc),
                                        LayerData{in, w, l.bias(data)});
      }
    }
  }
}

void expect_lowering_error(const std::string& layers, int layer, const std::string& field,
                           const std::string& text) {
  const net::Network n = net::parse_network_string(
      R"({"format": "rsnpu-net", "version": 2, "name": "t",
          "input": {"c": 2, "h": 12, "w": 12, "frac": 4}, "precision": "int16",
          "layers": [)" +
          layers + "]}",
      "t.json");
  try {
    tb::lower_network(n);
    ADD_FAILURE() << "lowered: " << layers;
  } catch (const net::NetworkError& e) {
    EXPECT_EQ(e.layer(), layer) << e.what();
    EXPECT_EQ(e.field(), field) << e.what();
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos)
        << "message: " << e.what() << "\nexpected to contain: " << text;
  }
}

TEST(Lowering, RefusesWhatTheHardwareCannotRun) {
  // A 3x3 conv "c" (fields in 'extra' added) and a maxpool "p" (fields in 'extra').
  auto conv = [](const std::string& extra = "") {
    return R"({"name": "c", "type": "conv", "m": 4, "kernel": 3, "frac_w": 4, "frac_out": 4)" +
           extra + "}";
  };
  auto pool = [](const std::string& name, const std::string& extra) {
    return R"({"name": ")" + name + R"(", "type": "maxpool")" + extra + "}";
  };
  const std::string k2 = R"(, "kernel": 2, "stride": 2)";
  // Padded max pooling runs as zero padding: only on a ReLU output.
  expect_lowering_error(pool("p", k2 + R"(, "pad": 1)"), 0, "pad",
                        "t.json: layer 0 \"p\": pad 1: padded max pooling runs on the accelerator "
                        "as zero padding, which is exact only for a non-negative input (a ReLU "
                        "output); the network input may be negative");
  expect_lowering_error(conv() + "," + pool("p", k2 + R"(, "pad": 1)"), 1, "pad",
                        "layer 0 \"c\" may be negative");
  expect_lowering_error(conv() + "," + pool("p", R"(, "kernel_h": 2, "kernel_w": 3, "stride": 2)"),
                        1, "kernel", "kernel 2x3: the accelerator pools square windows only");
  expect_lowering_error(conv() + "," + pool("p", R"(, "kernel": 2, "stride_h": 1, "stride_w": 2)"),
                        1, "stride", "stride_h 1 != stride_w 2");
  expect_lowering_error(conv(R"(, "stride_h": 2, "stride_w": 1)"), 0, "stride",
                        "t.json: layer 0 \"c\": stride_h 2 != stride_w 1");
  expect_lowering_error(conv(R"(, "pad_h": 1, "pad_w": 0)"), 0, "pad", "pad_h 1 != pad_w 0");
  // A concat input that another layer reads too cannot be placed into the concatenation.
  expect_lowering_error(conv() + "," +
                            R"({"name": "d", "type": "conv", "m": 2, "kernel": 1, "frac_w": 4,
                                "frac_out": 4, "input": "c"},
                               {"name": "e", "type": "conv", "m": 2, "kernel": 1, "frac_w": 4,
                                "frac_out": 4, "input": "c"},
                               {"name": "cat", "type": "concat", "inputs": ["c", "d"]})",
                        3, "inputs", "layer 0 \"c\" cannot write its channels into the "
                                     "concatenation");
  expect_lowering_error(conv(R"(, "pad": 1)") + "," +
                            R"({"name": "cat", "type": "concat", "inputs": ["c", "input"]})",
                        1, "inputs", "the network input cannot write its channels");
}

// Standalone pools, concatenation and residuals: lowered layers, tensors and channel
// offsets, and layer by layer each hardware layer's golden result equals the network's.
TEST(Lowering, ConcatResidualAndPoolLayers) {
  const net::Network n = net::parse_network_string(R"({
    "format": "rsnpu-net", "version": 2, "name": "blocks", "precision": "int16",
    "input": {"c": 4, "h": 9, "w": 9, "frac": 6},
    "layers": [
      {"name": "stem", "type": "conv", "m": 6, "kernel": 3, "pad": 1, "relu": true, "frac_w": 6, "frac_out": 6},
      {"name": "b1", "type": "conv", "m": 3, "kernel": 1, "relu": true, "frac_w": 6, "frac_out": 6},
      {"name": "b2", "type": "conv", "m": 5, "kernel": 3, "pad": 1, "relu": true, "frac_w": 6, "frac_out": 6, "input": "stem"},
      {"name": "bp", "type": "maxpool", "kernel": 3, "stride": 1, "pad": 1, "input": "stem"},
      {"name": "cat", "type": "concat", "inputs": ["b1", "b2", "bp"]},
      {"name": "down", "type": "maxpool", "kernel": 3, "stride": 2, "pad": 1},
      {"name": "g", "type": "conv", "m": 14, "kernel": 1, "groups": 2, "relu": false, "frac_w": 6, "frac_out": 6},
      {"name": "r", "type": "conv", "m": 14, "kernel": 3, "pad": 1, "relu": true, "frac_w": 6, "frac_out": 6, "input": "down", "residual": "g"},
      {"name": "avg", "type": "avgpool", "kernel": 5, "stride": 1},
      {"name": "fc", "type": "fc", "m": 3, "frac_w": 6, "frac_out": 6}
    ]})",
                                                   "blocks.json");
  const std::vector<LoweredLayer> lo = tb::lower_network(n, 2);
  std::vector<std::string> names;
  for (const LoweredLayer& l : lo) names.push_back(l.name);
  EXPECT_EQ(names, (std::vector<std::string>{"stem", "b1", "b2", "bp", "down", "g", "r", "avg",
                                             "fc"}));
  // b1, b2 and bp write channels 0, 3 and 8 of one 14-channel tensor, which "down" reads.
  EXPECT_EQ(lo[1].out_tensor, lo[2].out_tensor);
  EXPECT_EQ(lo[2].out_tensor, lo[3].out_tensor);
  EXPECT_EQ(lo[2].out_offset, 3);
  EXPECT_EQ(lo[3].out_offset, 8);
  EXPECT_EQ(lo[2].desc.out_channels, 14);
  EXPECT_EQ(lo[4].in_tensor, lo[1].out_tensor);
  EXPECT_EQ(lo[3].kind, tb::LoweredKind::kMaxPool);
  EXPECT_EQ(lo[3].desc.str(), "N=2 G=6 Cg=1 HxW=9x9 Mg=1 RxS=3x3 U=1 P=2 int16 shift=0 pool 3/1 "
                              "out_channels=14");
  EXPECT_TRUE(lo[6].desc.residual);
  EXPECT_EQ(lo[6].res_tensor, lo[5].out_tensor);
  EXPECT_EQ(lo[6].desc.res_shift, 6);
  EXPECT_EQ(lo[7].kind, tb::LoweredKind::kAvgPool);
  const net::NetworkData data = net::make_random_data(n, 7);
  const WordTensor x = net::make_random_input(n, 2, 8);
  const std::vector<WordTensor> gold = net::run_golden(n, data, x, 32);
  EXPECT_EQ(gold[4].shape, (Shape4{2, 14, 9, 9}));
  auto tensor = [&](int t) -> WordTensor {
    if (t == 0) return x;
    for (const LoweredLayer& l : lo) {
      if (l.out_tensor == t) {
        for (int i = l.last(); i < int(n.layers.size()); ++i) {
          if (gold[std::size_t(i)].shape == l.tensor_shape) return gold[std::size_t(i)];
        }
      }
    }
    ADD_FAILURE() << "no tensor " << t;
    return x;
  };
  for (const LoweredLayer& l : lo) {
    SCOPED_TRACE(l.name);
    WordTensor in = tensor(l.in_tensor);
    in.shape = l.in_shape;
    const WordTensor res = l.res_tensor < 0 ? WordTensor{} : tensor(l.res_tensor);
    const WordTensor got = tb::golden_layer(l.desc, in, l.weights(data), l.bias(data), res, 32);
    EXPECT_EQ(got.shape, gold[std::size_t(l.last())].shape);
    EXPECT_EQ(got.data, gold[std::size_t(l.last())].data);
  }
}

// Branches: a conv read by two layers is not fused; a pool of the other branch is.
TEST(Lowering, BranchesAndGroups) {
  const net::Network n = net::parse_network_string(R"({
    "format": "rsnpu-net", "version": 1, "name": "branches",
    "input": {"c": 4, "h": 10, "w": 10, "frac": 4}, "precision": "int8",
    "layers": [
      {"name": "a", "type": "conv", "m": 6, "kernel": 3, "pad": 1, "groups": 2,
       "frac_w": 5, "frac_out": 4, "bias": false},
      {"name": "b", "type": "conv", "m": 4, "kernel": 1, "frac_w": 5, "frac_out": 4},
      {"name": "c", "type": "conv", "m": 4, "kernel": 3, "stride": 2, "input": "a",
       "frac_w": 5, "frac_out": 4, "relu": true},
      {"name": "pc", "type": "maxpool", "kernel": 2, "stride": 1},
      {"name": "f", "type": "fc", "m": 3, "input": "b", "frac_w": 5, "frac_out": 4}
    ]})",
                                                   "branches.json");
  const std::vector<LoweredLayer> lo = tb::lower_network(n);
  ASSERT_EQ(lo.size(), 4u);
  EXPECT_EQ(lo[0].name, "a");
  EXPECT_EQ(lo[1].name, "b");
  EXPECT_EQ(lo[2].name, "c+pc");
  EXPECT_EQ(lo[3].name, "f");
  EXPECT_EQ(lo[0].desc.str(), "N=1 G=2 Cg=2 HxW=10x10 Mg=3 RxS=3x3 U=1 P=1 int8 shift=5");
  EXPECT_EQ(lo[1].input, 0);
  EXPECT_EQ(lo[2].input, 0);
  EXPECT_EQ(lo[3].input, 1);
  EXPECT_EQ(lo[2].covers, (std::vector<int>{2, 3}));
  const net::NetworkData data = net::make_random_data(n, 5);
  const WordTensor x = net::make_random_input(n, 1, 6);
  const std::vector<WordTensor> gold = net::run_golden(n, data, x, 32);
  for (const LoweredLayer& l : lo) {
    SCOPED_TRACE(l.name);
    WordTensor in = l.input < 0 ? x : gold[std::size_t(lo[std::size_t(l.input)].last())];
    in.shape = l.in_shape;
    const WordTensor got = tb::golden_layer(l.desc, in, l.weights(data), l.bias(data), {}, 32);
    EXPECT_EQ(got.data, gold[std::size_t(l.last())].data);
    EXPECT_EQ(got.shape, gold[std::size_t(l.last())].shape);
    for (const HwConfig* hw : kConfigs) {
      if (l.desc.r > hw->pe_rows) continue;  // fc "f" (R = 10) on tiny
      expect_loop_nest_matches_golden(*hw, l.desc, tb::map_layer(*hw, l.desc),
                                      LayerData{in, l.weights(data), l.bias(data)});
    }
  }
}

// ---------------------------------------------------------------------------------------
// Mapping quality: AlexNet CONV1..5 on eyeriss (printed for the record; legality checked)
// ---------------------------------------------------------------------------------------
TEST(MappingQuality, AlexNetOnEyeriss) {
  const HwConfig& hw = rsnpu::cfg::k_eyeriss;
  struct Conv {
    const char* name;
    int c, hw_in, m, k, stride, pad, groups;
  };
  const Conv alexnet[] = {
      {"CONV1", 3, 227, 96, 11, 4, 0, 1},  {"CONV2", 96, 27, 256, 5, 1, 2, 2},
      {"CONV3", 256, 13, 384, 3, 1, 1, 1}, {"CONV4", 384, 13, 384, 3, 1, 1, 2},
      {"CONV5", 384, 13, 256, 3, 1, 1, 2},
  };
  fmt::print("{:6} {:>4} {:>3} {:>4} {:>4} {:>5} {:>5} {:>4} {:>4} {:>6} {:>6} {:>4} {:>8} {:>5}\n",
             "layer", "p", "q", "sets", "cols", "folds", "strip", "n_mt", "n_ct", "strips",
             "passes", "PEs", "Mcycles", "eff");
  for (const Conv& c : alexnet) {
    LayerDesc d;
    d.groups = c.groups;
    d.cg = c.c / c.groups;
    d.mg = c.m / c.groups;
    d.h = d.w = c.hw_in;
    d.r = d.s = c.k;
    d.stride = c.stride;
    d.pad = c.pad;
    const LayerMap m = tb::map_layer(hw, d);
    EXPECT_EQ(tb::check_layer_map(hw, d, m, layout(d, m)), CtrlErr::kNone);
    expect_within_limits(hw, d, m);
    fmt::print(
        "{:6} {:>4} {:>3} {:>4} {:>4} {:>5} {:>5} {:>4} {:>4} {:>6} {:>6} {:>4} {:>8.2f} "
        "{:>5.2f}\n",
        c.name, m.p, m.q, m.sets, m.cols, m.folds, m.strip_rows, m.n_mt, m.n_ct, m.n_strips,
        m.passes(d), m.active_pes(d), double(tb::estimated_cycles(hw, d, m)) / 1e6,
        double(d.macs()) / double(tb::mac_slots(d, m)));
  }
}

TEST(MappingQuality, TinyCnnOnBothConfigs) {
  const net::Network n = net::parse_network_file(kTinyCnn);
  for (const HwConfig* hw : kConfigs) {
    const auto fc = hw->pe_rows < 6 ? tb::FcLowering::kRowsAsChannels : tb::FcLowering::kWholeInput;
    for (const LoweredLayer& l : tb::lower_network(n, 1, fc)) {
      const LayerMap m = tb::map_layer(*hw, l.desc);
      EXPECT_EQ(tb::check_layer_map(*hw, l.desc, m, layout(l.desc, m)), CtrlErr::kNone);
      fmt::print("{:8} {:12} {} passes {} PEs {} est. cycles {} eff {:.2f}\n", hw->name, l.name,
                 m.str(), m.passes(l.desc), m.active_pes(l.desc),
                 tb::estimated_cycles(*hw, l.desc, m),
                 double(l.desc.macs()) / double(tb::mac_slots(l.desc, m)));
    }
  }
}

}  // namespace
