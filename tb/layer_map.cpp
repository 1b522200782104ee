#include "layer_map.h"

#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "rsnpu/csr_map.h"

namespace rsnpu::tb {

namespace {

int ceil_div(int a, int b) { return (a + b - 1) / b; }

// Largest value a CSR field holds.
constexpr int field_max(const csr::Field& f) { return int((uint32_t{1} << f.width) - 1); }

// The value a register field holds after writing v (two's complement bits, truncated).
int truncate(int v, const csr::Field& f) { return int(uint32_t(v) & uint32_t(field_max(f))); }

// Tag space of the ifmap network.
constexpr int kTagSpace = 1 << kNocTagBits;

// Fixed cycles per pass besides the data movement the cost model counts (DMA latency,
// controller turnarounds, pipeline drain).
constexpr int64_t kPassOverhead = 32;
// Cycles of one DMA read command besides its beats (DRAM latency and turnarounds).
constexpr double kDmaCmdCycles = 30.0;

}  // namespace

int64_t LayerDesc::macs() const {
  return int64_t(n) * groups * mg * cg * r * s * std::max(conv_e(), 0) * std::max(conv_f(), 0);
}

std::string LayerDesc::str() const {
  std::string pool = pool_k == 0 ? "" : fmt::format(" pool {}/{}", pool_k, pool_s);
  std::string extra = out_channels == 0 ? "" : fmt::format(" out_channels={}", out_channels);
  if (residual) extra += fmt::format(" residual<<{}", res_shift);
  return fmt::format("N={} G={} Cg={} HxW={}x{} Mg={} RxS={}x{} U={} P={} {}{} shift={}{}{}{}", n,
                     groups, cg, h, w, mg, r, s, stride, pad, golden::to_string(prec),
                     bias ? " bias" : "", shift, relu ? " relu" : "", pool, extra);
}

std::string LayerMap::str() const {
  return fmt::format(
      "E={} F={} Ho={} Wo={} p={} q={} sets={} cols={} folds={} strip_rows={} n_mt={} n_ct={} "
      "n_strips={}",
      e, f, ho, wo, p, q, sets, cols, folds, strip_rows, n_mt, n_ct, n_strips);
}

DramSizes dram_sizes(const LayerDesc& d, const LayerMap& m) {
  DramSizes z;
  z.ifmap = uint64_t(d.n) * d.groups * d.cg * d.h * m.wp_in(d) * 2;
  z.weight = uint64_t(d.groups) * m.n_mt * m.n_ct * m.blob_words(d) * 2;
  z.bias = d.bias ? uint64_t(d.groups) * m.n_mt * m.bias_words() * 4 : 0;
  const uint64_t plane = uint64_t(m.ho) * m.wp_out() * 2;  // bytes of one channel
  z.ofmap = (uint64_t(d.n - 1) * d.out_ctot() + uint64_t(d.groups) * d.mg) * plane;
  z.residual = d.residual ? uint64_t(d.n) * d.groups * d.mg * plane : 0;
  return z;
}

hw::CtrlErr check_layer_map(const cfg::HwConfig& hw, const LayerDesc& desc, const LayerMap& map,
                            const DramAddrs& a) {
  using hw::CtrlErr;
  // The descriptor as the registers hold it.
  LayerDesc d = desc;
  d.cg = truncate(d.cg, csr::channels::c);
  d.h = truncate(d.h, csr::in_shape::h);
  d.w = truncate(d.w, csr::in_shape::w);
  d.mg = truncate(d.mg, csr::channels::m);
  d.out_channels = truncate(d.out_channels, csr::out_channels::total);
  d.res_shift = truncate(d.res_shift, csr::output::res_shift);
  d.r = truncate(d.r, csr::flt_shape::r);
  d.s = truncate(d.s, csr::flt_shape::s);
  d.n = truncate(d.n, csr::flt_shape::batch);
  d.stride = truncate(d.stride, csr::conv::stride);
  d.pad = truncate(d.pad, csr::conv::pad);
  d.groups = truncate(d.groups, csr::conv::groups);
  d.pool_k = truncate(d.pool_k, csr::output::pool_k);
  d.pool_s = truncate(d.pool_s, csr::output::pool_s);
  LayerMap m = map;
  m.e = truncate(m.e, csr::out_shape::e);
  m.f = truncate(m.f, csr::out_shape::f);
  m.ho = truncate(m.ho, csr::pool_shape::ho);
  m.wo = truncate(m.wo, csr::pool_shape::wo);
  m.p = truncate(m.p, csr::map0::p);
  m.q = truncate(m.q, csr::map0::q);
  m.sets = truncate(m.sets, csr::map0::sets);
  m.cols = truncate(m.cols, csr::map0::cols);
  m.folds = truncate(m.folds, csr::map1::folds);
  m.strip_rows = truncate(m.strip_rows, csr::map1::strip_rows);
  m.n_mt = truncate(m.n_mt, csr::map2::n_mt);
  m.n_ct = truncate(m.n_ct, csr::map2::n_ct);
  m.n_strips = truncate(m.n_strips, csr::map3::n_strips);

  // 1. ZeroField
  for (int v : {d.cg,     d.h,     d.w,          d.mg,   d.r,    d.s,       d.n, d.stride,
                d.groups, m.e,     m.f,          m.ho,   m.wo,   m.p,       m.q, m.sets,
                m.cols,   m.folds, m.strip_rows, m.n_mt, m.n_ct, m.n_strips}) {
    if (v == 0) return CtrlErr::kZeroField;
  }
  if (d.pool_k != 0 && d.pool_s == 0) return CtrlErr::kZeroField;

  // 2. Shape (all products fit int64: every factor is below 2^12)
  const int64_t U = d.stride, P = d.pad, R = d.r, S = d.s;
  const int64_t pk = d.pk(), ps = d.ps();
  auto window_ok = [](int64_t out, int64_t step, int64_t k, int64_t in) {
    return (out - 1) * step + k <= in && in < out * step + k;
  };
  if (!window_ok(m.e, U, R, d.h + 2 * P) || !window_ok(m.f, U, S, d.w + 2 * P) ||
      !window_ok(m.ho, ps, pk, m.e) || !window_ok(m.wo, ps, pk, m.f) || P >= R || P >= S ||
      d.out_ctot() < d.groups * d.mg || (d.residual && d.pool_k != 0)) {
    return CtrlErr::kShape;
  }

  // 3. Array
  const int64_t rows_used = int64_t(m.sets) * R;
  const int64_t hspan = int64_t(m.cols - 1) * U + R;
  if (rows_used > hw.pe_rows || m.cols > hw.pe_cols || m.p > hw.psum_spad_words ||
      int64_t(m.q) * S > hw.ifmap_spad_words || int64_t(m.p) * m.q * S > hw.filter_spad_words ||
      int64_t(m.sets) * hspan > kTagSpace) {
    return CtrlErr::kArray;
  }

  // 4. Tiling
  const int64_t e_pass = int64_t(m.folds) * m.cols;
  const int64_t es_max = int64_t(m.strip_rows - 1) * ps + pk;
  const int64_t ctile = int64_t(m.sets) * m.q;
  auto covers = [](int64_t count, int64_t tile, int64_t total) {
    return (count - 1) * tile < total && total <= count * tile;
  };
  if (e_pass < es_max || !covers(m.n_mt, m.p, d.mg) || !covers(m.n_ct, ctile, d.cg) ||
      !covers(m.n_strips, m.strip_rows, m.ho)) {
    return CtrlErr::kTiling;
  }

  // 5. Glb
  const int64_t in_rows_max = (e_pass - 1) * U + R;
  if (ctile * in_rows_max * m.wp_in(d) > hw.glb_ifmap_words ||
      es_max * m.f * m.p > hw.glb_psum_words) {
    return CtrlErr::kGlb;
  }

  // 6. Window
  const DramSizes z = dram_sizes(d, m);
  auto misaligned = [](uint32_t addr) { return (addr & 7u) != 0; };
  auto inside = [](uint32_t base, uint64_t len, uint32_t lo, uint32_t hi) {
    return base >= lo && uint64_t(base) + len <= hi;
  };
  if (misaligned(a.ifmap) || misaligned(a.weight) || misaligned(a.ofmap) ||
      (d.bias && misaligned(a.bias)) || (d.residual && misaligned(a.residual))) {
    return CtrlErr::kWindow;
  }
  if (!inside(a.ifmap, z.ifmap, a.rd_lo, a.rd_hi) ||
      !inside(a.weight, z.weight, a.rd_lo, a.rd_hi) ||
      (d.bias && !inside(a.bias, z.bias, a.rd_lo, a.rd_hi)) ||
      !inside(a.ofmap, z.ofmap, a.wr_lo, a.wr_hi) ||
      (d.residual && !inside(a.residual, z.residual, a.rd_lo, a.rd_hi))) {
    return CtrlErr::kWindow;
  }
  return CtrlErr::kNone;
}

int64_t estimated_cycles(const cfg::HwConfig& hw, const LayerDesc& d, const LayerMap& m) {
  const int64_t U = d.stride, R = d.r, S = d.s;
  const int64_t pqs = int64_t(m.p) * m.q * S;
  const int64_t width = int64_t(m.f - 1) * U + S;           // ifmap columns per row
  const int64_t hr_cnt = U <= R ? m.hspan(d) : m.cols * R;  // ifmap rows a set receives
  const int64_t mac = int64_t(m.folds) * m.f * pqs;         // per PE
  const int64_t ifm_bus = int64_t(m.folds) * width * m.sets * hr_cnt * m.q;
  const int64_t flt_bus = m.row_groups(d) * pqs;  // one line of kFltLanes rows per cycle
  // The psum unit moves two psums per cycle between the buffer and all columns (each way):
  // one per buffer lane (even and odd entries), when columns waiting on both lanes exist.
  const int64_t psum_bus = (int64_t(m.folds) * m.cols * m.f * m.p + 1) / 2;
  // Average channel and filter tiles (the last tiles may be smaller).
  const double c_avg = double(d.cg) / m.n_ct, m_avg = double(d.mg) / m.n_mt;
  const double in_rows = std::min<int64_t>(d.h, m.in_rows_max(d));
  // DMA: the words, plus one command latency for the ifmaps when the pass reads whole
  // channel planes, else one per channel. The filter blob (one command) is prefetched while
  // the previous pass computes, after its filter load: it costs only what the computing
  // does not hide.
  const double dma_ifm = c_avg * in_rows * m.wp_in(d) / 4.0 +
                         (in_rows >= d.h ? 1.0 : c_avg) * kDmaCmdCycles;
  const double dma_wgt = m.blob_words(d) / 4.0 + kDmaCmdCycles;
  const double compute = double(std::max({mac, ifm_bus, psum_bus}));
  const double pass = dma_ifm + double(hw.pe_rows) * hw.pe_cols + double(flt_bus) +
                      std::max(compute, dma_wgt) + double(kPassOverhead);
  // The output stage reads one accumulator per cycle: pk x pk per written word, one cycle per
  // row padding word; one DMA command per filter.
  const double pk2 = d.pool_k > 0 ? double(d.pool_k) * d.pool_k : 1.0;
  const double prow_avg = double(m.ho) / m.n_strips;
  const double writeback =
      m_avg * (prow_avg * (m.wo * pk2 + double(m.wp_out() - m.wo)) + kDmaCmdCycles);
  const double strips = double(d.n) * d.groups * m.n_mt * m.n_strips;
  return int64_t(double(m.passes(d)) * pass + strips * writeback);
}

int64_t mac_slots(const LayerDesc& d, const LayerMap& m) {
  return m.passes(d) * m.active_pes(d) * m.folds * m.f * m.p * m.q * d.s;
}

namespace {

// Descriptor fields, shape and array limits that no mapping can work around.
void validate(const cfg::HwConfig& hw, const LayerDesc& d) {
  struct Range {
    const char* name;
    int value, lo, hi;
  };
  const Range ranges[] = {
      {"Cg (input channels per group)", d.cg, 1, field_max(csr::channels::c)},
      {"H (input height)", d.h, 1, field_max(csr::in_shape::h)},
      {"W (input width)", d.w, 1, field_max(csr::in_shape::w)},
      {"Mg (filters per group)", d.mg, 1, field_max(csr::channels::m)},
      {"output channels per image", d.out_channels, d.out_channels == 0 ? 0 : d.groups * d.mg,
       field_max(csr::out_channels::total)},
      {"residual shift", d.res_shift, 0, field_max(csr::output::res_shift)},
      {"R (filter height)", d.r, 1, field_max(csr::flt_shape::r)},
      {"S (filter width)", d.s, 1, field_max(csr::flt_shape::s)},
      {"N (batch)", d.n, 1, field_max(csr::flt_shape::batch)},
      {"stride", d.stride, 1, field_max(csr::conv::stride)},
      {"pad", d.pad, 0, field_max(csr::conv::pad)},
      {"groups", d.groups, 1, field_max(csr::conv::groups)},
      {"shift", d.shift, 0, std::min(field_max(csr::output::shift), hw.acc_bits - 1)},
      {"pool_k", d.pool_k, 0, field_max(csr::output::pool_k)},
      {"pool_s", d.pool_s, d.pool_k == 0 ? 0 : 1, field_max(csr::output::pool_s)},
  };
  for (const Range& f : ranges) {
    if (f.value < f.lo || f.value > f.hi) {
      throw MapError(fmt::format("layer {}: {} = {} outside the descriptor's range [{}, {}]",
                                 d.str(), f.name, f.value, f.lo, f.hi));
    }
  }
  if (d.residual && d.pool_k != 0) {
    throw MapError(fmt::format("layer {}: a residual layer cannot pool (the residual is added "
                               "to the convolution output)", d.str()));
  }
  if (d.pad >= d.r || d.pad >= d.s) {
    throw MapError(fmt::format("layer {}: pad P={} must be below the filter size R={} and S={}",
                               d.str(), d.pad, d.r, d.s));
  }
  if (d.h + 2 * d.pad < d.r || d.w + 2 * d.pad < d.s) {
    throw MapError(fmt::format("layer {}: filter {}x{} larger than the padded input {}x{}", d.str(),
                               d.r, d.s, d.h + 2 * d.pad, d.w + 2 * d.pad));
  }
  const int e = d.conv_e(), f = d.conv_f();
  if (e > field_max(csr::out_shape::e) || f > field_max(csr::out_shape::f)) {
    throw MapError(fmt::format("layer {}: convolution output {}x{} exceeds the OUT_SHAPE limit {}",
                               d.str(), e, f, field_max(csr::out_shape::e)));
  }
  if (e < d.pk() || f < d.pk()) {
    throw MapError(
        fmt::format("layer {}: pooling window {} larger than the convolution output "
                    "{}x{}",
                    d.str(), d.pk(), e, f));
  }
  if (d.r > hw.pe_rows) {
    throw MapError(
        fmt::format("layer {}: filter height R={} exceeds the {} PE rows of "
                    "configuration {}",
                    d.str(), d.r, hw.pe_rows, hw.name));
  }
  const int s_max = std::min(hw.ifmap_spad_words, hw.filter_spad_words);
  if (d.s > s_max) {
    throw MapError(fmt::format(
        "layer {}: filter width S={} exceeds the {} ({} words) of "
        "configuration {}",
        d.str(), d.s, hw.ifmap_spad_words <= hw.filter_spad_words ? "ifmap spad" : "filter spad",
        s_max, hw.name));
  }
}

// Largest strip (written output rows) that one (p, q, sets, cols) choice fits into the
// global buffers and the tag space; 0 when not even one output row fits.
int max_strip_rows(const cfg::HwConfig& hw, const LayerDesc& d, const LayerMap& m) {
  const int64_t U = d.stride, R = d.r, pk = d.pk(), ps = d.ps();
  if (int64_t(m.sets) * m.hspan(d) > kTagSpace) return 0;
  // Psum buffer: es_max * F * p entries.
  const int64_t es_psum = hw.glb_psum_words / (int64_t(m.f) * m.p);
  // Ifmap buffer: ctile * in_rows_max * wp_in words, in_rows_max = (folds*cols - 1)*U + R.
  const int64_t rows_lim = hw.glb_ifmap_words / (int64_t(m.ctile()) * m.wp_in(d));
  if (rows_lim < R) return 0;
  const int64_t folds_lim =
      std::min<int64_t>(((rows_lim - R) / U + 1) / m.cols, field_max(csr::map1::folds));
  const int64_t es_lim = std::min(es_psum, folds_lim * m.cols);
  if (es_lim < pk) return 0;
  return int(std::min<int64_t>(m.ho, (es_lim - pk) / ps + 1));
}

[[noreturn]] void no_mapping(const cfg::HwConfig& hw, const LayerDesc& d, int e, int f) {
  // The smallest mapping: one filter, one channel, one column, one output row per strip.
  const int64_t psum = int64_t(d.pk()) * f;
  if (psum > hw.glb_psum_words) {
    throw MapError(
        fmt::format("layer {}: one output row needs {} psum entries ({} convolution "
                    "rows x F={}), more than the {}-entry psum buffer of "
                    "configuration {}",
                    d.str(), psum, d.pk(), f, hw.glb_psum_words, hw.name));
  }
  const int64_t rows = int64_t(d.pk() - 1) * d.stride + d.r;
  const int64_t words = rows * ((d.w + 3) / 4 * 4);
  if (words > hw.glb_ifmap_words) {
    throw MapError(
        fmt::format("layer {}: one output row needs {} input rows of {} words "
                    "({} words) of one channel, more than the {}-word ifmap buffer "
                    "of configuration {}",
                    d.str(), rows, (d.w + 3) / 4 * 4, words, hw.glb_ifmap_words, hw.name));
  }
  throw MapError(fmt::format("layer {}: no legal mapping on configuration {} (E={} F={})", d.str(),
                             hw.name, e, f));
}

}  // namespace

LayerMap map_layer(const cfg::HwConfig& hw, const LayerDesc& d) {
  validate(hw, d);
  LayerMap base;
  base.e = d.conv_e();
  base.f = d.conv_f();
  base.ho = (base.e - d.pk()) / d.ps() + 1;
  base.wo = (base.f - d.pk()) / d.ps() + 1;

  LayerMap best;
  int64_t best_cost = 0;
  bool found = false;
  const int p_max =
      std::min({hw.psum_spad_words, d.mg, hw.filter_spad_words / d.s, field_max(csr::map0::p)});
  for (int p = 1; p <= p_max; ++p) {
    LayerMap m = base;
    m.n_mt = ceil_div(d.mg, p);
    if (p != ceil_div(d.mg, m.n_mt)) continue;  // a smaller p gives the same filter tiles
    m.p = p;
    const int q_max = std::min({hw.ifmap_spad_words / d.s, hw.filter_spad_words / (p * d.s), d.cg,
                                field_max(csr::map0::q)});
    for (int q = 1; q <= q_max; ++q) {
      m.q = q;
      const int sets_max =
          std::min({hw.pe_rows / d.r, ceil_div(d.cg, q), field_max(csr::map0::sets)});
      for (int sets = 1; sets <= sets_max; ++sets) {
        m.sets = sets;
        m.n_ct = ceil_div(d.cg, m.ctile());
        for (int cols = 1; cols <= std::min(hw.pe_cols, field_max(csr::map0::cols)); ++cols) {
          m.cols = cols;
          const int sr_max = max_strip_rows(hw, d, m);
          if (sr_max == 0) continue;
          // Every distinct strip size from the largest that fits down, each balanced (the
          // smallest strip_rows giving its strip count), with the fewest folds that cover it.
          for (int ns = ceil_div(m.ho, sr_max);;) {
            m.strip_rows = ceil_div(m.ho, ns);
            m.n_strips = ns;
            m.folds = ceil_div(m.es_max(d), cols);
            const int64_t cost = estimated_cycles(hw, d, m);
            const bool better =
                !found || cost < best_cost ||
                (cost == best_cost &&
                 (m.passes(d) < best.passes(d) ||
                  (m.passes(d) == best.passes(d) && m.active_pes(d) < best.active_pes(d))));
            if (better) {
              best = m;
              best_cost = cost;
              found = true;
            }
            if (m.strip_rows == 1) break;
            ns = ceil_div(m.ho, m.strip_rows - 1);  // the next smaller strip
          }
        }
      }
    }
  }
  if (!found) no_mapping(hw, d, base.e, base.f);
  return best;
}

LayerDesc random_layer(const cfg::HwConfig& hw, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto uni = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (;;) {
    LayerDesc d;
    d.r = uni(1, std::min(hw.pe_rows, 5));
    d.s = uni(1, std::min({hw.ifmap_spad_words, hw.filter_spad_words, 5}));
    d.stride = uni(0, 3) == 0 ? uni(2, 4) : 1;
    d.pad = uni(0, 2) == 0 ? 0 : uni(0, std::min(d.r, d.s) - 1);
    d.groups = uni(0, 4) == 0 ? uni(2, 3) : 1;
    d.n = uni(0, 3) == 0 ? 2 : 1;
    d.prec = uni(0, 2) == 0 ? golden::Precision::kInt8 : golden::Precision::kInt16;
    d.bias = uni(0, 1) == 1;
    d.relu = uni(0, 1) == 1;
    d.shift = uni(0, 12);
    switch (uni(0, 5)) {
      case 0:
      case 1:
        d.pool_k = d.pool_s = 2;
        break;
      case 2:
        d.pool_k = 3;
        d.pool_s = 2;
        break;
      default:
        break;
    }
    // One layer in eight is wide: few channels and filter rows, rows long enough that the
    // psum buffer holds only a few of them (strips on large configurations too).
    const bool wide = uni(0, 7) == 0;
    if (wide) {
      d.r = uni(1, std::min(hw.pe_rows, 2));
      d.stride = 1;
      d.pad = 0;
      d.groups = 1;
      d.cg = uni(1, 2);
      d.mg = uni(std::max(1, hw.psum_spad_words / 2), 2 * hw.psum_spad_words);
    } else {  // channels and filters around a few tiles of the configuration
      d.cg = uni(1, 3 * hw.pe_rows);
      d.mg = uni(1, 3 * hw.psum_spad_words);
    }
    // Output size from the remaining MAC budget, at least one pooling window.
    const int64_t per_pixel = int64_t(d.n) * d.groups * d.mg * d.cg * d.r * d.s;
    const int64_t pixels = kRandomLayerMaxMacs / per_pixel;
    const int pk = d.pk();
    const int f_lo = wide ? std::max(pk, hw.glb_psum_words / hw.psum_spad_words) : pk;
    const int f_hi = wide ? std::min(1000, 3 * f_lo) : 40;
    if (pixels < int64_t(pk) * f_lo) continue;
    const int e = uni(pk, int(std::min<int64_t>(2 * hw.pe_cols + 12, pixels / f_lo)));
    const int f = uni(f_lo, int(std::min<int64_t>(f_hi, pixels / e)));
    // Input size giving that output; the extra rows/columns (< U) are never read.
    d.h = std::max(1, (e - 1) * d.stride + d.r - 2 * d.pad + uni(0, d.stride - 1));
    d.w = std::max(1, (f - 1) * d.stride + d.s - 2 * d.pad + uni(0, d.stride - 1));
    if (d.conv_e() < pk || d.conv_f() < pk) continue;
    if (d.macs() > kRandomLayerMaxMacs) continue;
    // Concatenation and residual from their own stream, so the draws above stay as they were.
    std::mt19937_64 extra(seed ^ 0xc0ffee5eedull);
    auto x_uni = [&extra](int lo, int hi) {
      return std::uniform_int_distribution<int>(lo, hi)(extra);
    };
    if (x_uni(0, 3) == 0) d.out_channels = d.groups * d.mg + x_uni(1, 5);
    if (d.pool_k == 0 && x_uni(0, 2) == 0) {
      d.residual = true;
      d.res_shift = x_uni(0, 8);
    }
    try {
      map_layer(hw, d);
      return d;
    } catch (const MapError&) {
      // draw again: the generator only returns layers that map
    }
  }
}

}  // namespace rsnpu::tb
