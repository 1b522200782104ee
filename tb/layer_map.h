// Host-side mapper of one convolution layer onto rsnpu_top (docs/accelerator.md): the layer
// descriptor as the hardware sees it, the multi-pass row-stationary mapping (tile counts,
// strips, folds) that the host writes into MAP0..MAP3, the hardware's descriptor checks
// mirrored in C++, and a seeded generator of random layers that map.
//
// The mapping generalizes the single-pass mapper of array_pass.h: a layer is cut into
// passes (n, g, filter tile mt, output strip st, channel tile ct); each pass runs p filters
// x ctile = sets*q channels x e_pass = folds*cols convolution rows on the array.
#pragma once

#include <cstdint>
#include <string>

#include "array_pass.h"  // MapError
#include "rsnpu/golden/golden.h"
#include "rsnpu/hw_configs.h"
#include "rsnpu/hw_enums.h"

namespace rsnpu::tb {

// Filter network lanes (rsnpu_pkg::FltLanes): the same in every configuration.
inline constexpr int kFltLanes = 4;
static_assert([] {
  for (const cfg::HwConfig* c : cfg::kAll) {
    if (c->flt_lanes() != kFltLanes) return false;
  }
  return true;
}());
// PE rows rounded up to whole row groups of the filter network (one 64-bit line carries a
// word for each of the kFltLanes rows of a group): the rows a weight blob and the filter
// buffer hold.
constexpr int flt_row_slots(int rows) { return (rows + kFltLanes - 1) / kFltLanes * kFltLanes; }
// Tag width of the on-chip networks (rsnpu_pkg::NocTagW).
inline constexpr int kNocTagBits = 10;

// One hardware layer exactly as the descriptor (IN_SHAPE, FLT_SHAPE, CONV, OUTPUT) sees it.
// The input holds G*Cg channels, the output G*Mg channels; group g's filters read only the
// channels [g*Cg, (g+1)*Cg).
struct LayerDesc {
  int cg = 1, h = 1, w = 1;  // input channels per group, input height and width (words)
  int mg = 1, r = 1, s = 1;  // filters per group, filter height and width
  int n = 1;                 // images (batch)
  int stride = 1, pad = 0;   // U and P, the same in both directions
  int groups = 1;            // G
  golden::Precision prec = golden::Precision::kInt16;
  bool bias = false;           // add one accumulator-scale bias per filter
  int shift = 0;               // requantization shift: fractional bits dropped
  bool relu = false;           // ReLU after saturation
  int pool_k = 0, pool_s = 0;  // max pooling window and stride; pool_k 0: no pooling
  // Concatenation: the output tensor has out_channels channels per image, of which the layer
  // writes the first G*Mg from its base address (the host places it at a channel offset).
  // 0: G*Mg.
  int out_channels = 0;
  // Residual: a N x G*Mg x E x F tensor whose words, shifted left by res_shift, are added
  // to the accumulators before requantization (no pooling).
  bool residual = false;
  int res_shift = 0;

  int out_ctot() const { return out_channels == 0 ? groups * mg : out_channels; }

  int pk() const { return pool_k == 0 ? 1 : pool_k; }  // effective window (1: none)
  int ps() const { return pool_k == 0 ? 1 : pool_s; }  // effective stride
  // Convolution output size (numerics.md section 5); <= 0 when the filter does not fit.
  int conv_e() const { return h + 2 * pad < r ? 0 : (h + 2 * pad - r) / stride + 1; }
  int conv_f() const { return w + 2 * pad < s ? 0 : (w + 2 * pad - s) / stride + 1; }
  // Multiply-accumulates of the whole layer (all images and groups), without padding waste.
  int64_t macs() const;
  std::string str() const;  // "N=1 G=1 Cg=3 HxW=8x8 Mg=4 RxS=3x3 U=1 P=1 int16 bias ..."
};

// The mapping fields (MAP0..MAP3) and the output shape fields (OUT_SHAPE, POOL_SHAPE) of a
// layer. The derived helpers are the table of docs/accelerator.md, word for word.
struct LayerMap {
  int e = 0, f = 0;    // convolution output height and width (OUT_SHAPE)
  int ho = 0, wo = 0;  // written output height and width (POOL_SHAPE; E x F without pooling)
  int p = 0;           // filters per PE (filter tile)
  int q = 0;           // channels per PE
  int sets = 0;        // PE sets of R rows stacked in each column (channel groups of q)
  int cols = 0;        // PE columns used
  int folds = 0;       // convolution rows each column computes per pass
  int strip_rows = 0;  // written output rows per strip
  int n_mt = 0;        // filter tiles of p filters per group
  int n_ct = 0;        // channel tiles of ctile channels per group
  int n_strips = 0;    // output strips of strip_rows rows

  int ctile() const { return sets * q; }                          // channels per channel tile
  int rows_used(const LayerDesc& d) const { return sets * d.r; }  // PE rows used
  int hspan(const LayerDesc& d) const { return (cols - 1) * d.stride + d.r; }  // rows per set
  int e_pass() const { return folds * cols; }  // convolution rows one pass computes
  int es_max(const LayerDesc& d) const { return (strip_rows - 1) * d.ps() + d.pk(); }
  int in_rows_max(const LayerDesc& d) const { return (e_pass() - 1) * d.stride + d.r; }
  int wp_in(const LayerDesc& d) const { return (d.w + 3) / 4 * 4; }  // words per input row
  int wp_out() const { return (wo + 3) / 4 * 4; }                    // words per output row
  int row_groups(const LayerDesc& d) const { return flt_row_slots(rows_used(d)) / kFltLanes; }
  int blob_words(const LayerDesc& d) const {  // 16-bit words of one pass's filters
    return flt_row_slots(rows_used(d)) * p * q * d.s;
  }
  int bias_words() const { return (p + 1) / 2 * 2; }  // 32-bit biases of one filter tile
  int64_t passes(const LayerDesc& d) const {          // N*G*n_mt*n_strips*n_ct
    return int64_t(d.n) * d.groups * n_mt * n_strips * n_ct;
  }
  int active_pes(const LayerDesc& d) const { return rows_used(d) * cols; }
  // GLB use of one pass: ifmap words (ctile * in_rows_max * wp_in), psum entries
  // (es_max * F * p).
  int64_t glb_ifmap_words(const LayerDesc& d) const {
    return int64_t(ctile()) * in_rows_max(d) * wp_in(d);
  }
  int64_t glb_psum_words(const LayerDesc& d) const { return int64_t(es_max(d)) * f * p; }
  std::string str() const;  // "E=.. F=.. Ho=.. Wo=.. p=.. q=.. sets=.. cols=.. folds=.. ..."
};

// DRAM byte sizes of a layer's four regions (docs/accelerator.md check 6). 64-bit: a layer
// may describe more than 4 GiB, which the window check then refuses.
struct DramSizes {
  uint64_t ifmap = 0;   // N*G*Cg*H*wp_in*2
  uint64_t weight = 0;  // G*n_mt*n_ct*blob_words*2
  uint64_t bias = 0;    // G*n_mt*bias_words*4 when the layer has a bias, else 0
  uint64_t ofmap = 0;     // ((N-1)*out_ctot + G*Mg)*Ho*wp_out*2
  uint64_t residual = 0;  // N*G*Mg*Ho*wp_out*2 when the layer has a residual, else 0
};
DramSizes dram_sizes(const LayerDesc& d, const LayerMap& m);

// The DRAM fields of the descriptor: base byte addresses and the read/write windows
// ([lo, hi), byte addresses).
struct DramAddrs {
  uint32_t ifmap = 0, weight = 0, bias = 0, ofmap = 0, residual = 0;
  uint32_t rd_lo = 0, rd_hi = 0, wr_lo = 0, wr_hi = 0;
};

// Chooses a legal mapping (check_layer_map(...) == kNone for addresses inside their
// windows) with the smallest estimated_cycles(); ties go to fewer passes, then fewer active
// PEs. It searches every p, q, sets and cols that fit the PE array and the spads, and every
// strip size up to the largest that fits the global buffers. Tiles are balanced
// (p = ceil(Mg/n_mt), strip_rows = ceil(Ho/n_strips)) and folds is the fewest that covers a
// strip. The largest strip usually wins; a smaller one can when U > R (a pass loads every
// input row of its range, including rows no PE reads). Throws MapError naming the limit
// when no mapping exists (a field wider than its register, R > PE rows, S > ifmap spad,
// pad >= R or S, one output row that does not fit a global buffer, ...).
LayerMap map_layer(const cfg::HwConfig& hw, const LayerDesc& d);

// The hardware's descriptor checks 1-6, in order (first failure wins), on the values the
// registers would hold: every field is first truncated to its CSR width (config/csr.json),
// as writing it would. kNone when the layer would run. BIAS_ADDR is checked (alignment and
// window) only when the layer has a bias: the contract attaches "(if CONV.bias)" to the bias
// range only, and this is the reading the tests pin.
hw::CtrlErr check_layer_map(const cfg::HwConfig& hw, const LayerDesc& d, const LayerMap& m,
                            const DramAddrs& a);

// Estimated cycles of the whole layer on 'hw', the mapper's cost function. Model: passes run
// one after another; per pass the DMA moves the input rows at one 64-bit beat per cycle plus
// a fixed latency per command (one command when the pass reads whole channel planes, else
// one per channel), routing writes one PE per cycle, the filter bus sends one word to each of
// kFltLanes rows per cycle, then the PEs run at one MAC per cycle while the ifmap bus sends
// one word per cycle and the psum unit moves two psums per cycle (the slowest of the three),
// and the DMA prefetches the next pass's weight blob (one command; the pass lasts at least as
// long as that load); every strip's output stage reads one accumulator per cycle (pk x pk
// per pooled word). An estimate to rank mappings, not a timing promise.
int64_t estimated_cycles(const cfg::HwConfig& hw, const LayerDesc& d, const LayerMap& m);

// MAC slots the mapped layer occupies on its active PEs (passes * active PEs * folds * F *
// p * q * S): d.macs() / mac_slots() is the share of useful work; the rest is tile waste
// (filters past Mg, channels past Cg, convolution rows a strip drops).
int64_t mac_slots(const LayerDesc& d, const LayerMap& m);

// Seeded constrained-random layer that map_layer(hw, .) accepts, with at most
// kRandomLayerMaxMacs MACs (meant to simulate well under 0.2 s on the tiny configuration):
// R, S 1-5, stride mostly 1 (else 2-4), pad < R and S, groups mostly 1 (else 2-3), batch
// 1-2, INT8/INT16, bias, ReLU, pooling none / 2x2 stride 2 / 3x3 stride 2, shift 0-12, Cg
// up to 3 * PE rows, Mg up to 3 * psum spad words; one layer in eight is "wide" (1-2
// channels, rows of several hundred outputs on eyeriss). On tiny, several filter tiles,
// channel tiles and strips are each common (tests/test_layer_map.cpp counts them).
inline constexpr int64_t kRandomLayerMaxMacs = 20000;
LayerDesc random_layer(const cfg::HwConfig& hw, uint64_t seed);

}  // namespace rsnpu::tb
