#include "dram_image.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace rsnpu::tb {

namespace {

int round_up4(int v) { return (v + 3) / 4 * 4; }

}  // namespace

std::vector<uint16_t> pack_activations(const golden::WordTensor& x) {
  const golden::Shape4& sh = x.shape;
  const int wp = round_up4(sh.w);
  std::vector<uint16_t> out(std::size_t(sh.n) * sh.c * sh.h * wp, 0);
  std::size_t row = 0;  // [n][c][h] row index
  for (int n = 0; n < sh.n; ++n) {
    for (int c = 0; c < sh.c; ++c) {
      for (int h = 0; h < sh.h; ++h, ++row) {
        for (int w = 0; w < sh.w; ++w) out[row * wp + w] = uint16_t(x.at(n, c, h, w));
      }
    }
  }
  return out;
}

golden::WordTensor unpack_activations(const std::vector<uint16_t>& words, golden::Shape4 shape) {
  const int wp = round_up4(shape.w);
  const std::size_t rows = std::size_t(shape.n) * shape.c * shape.h;
  if (words.size() != rows * wp) {
    throw std::invalid_argument(fmt::format("{} words do not hold activations {} ({} rows of {})",
                                            words.size(), shape.str(), rows, wp));
  }
  golden::WordTensor x(shape);
  std::size_t row = 0;
  for (int n = 0; n < shape.n; ++n) {
    for (int c = 0; c < shape.c; ++c) {
      for (int h = 0; h < shape.h; ++h, ++row) {
        for (int w = 0; w < shape.w; ++w) x.at(n, c, h, w) = int16_t(words[row * wp + w]);
      }
    }
  }
  return x;
}

std::vector<uint16_t> pack_weight_blobs(const LayerDesc& d, const LayerMap& m,
                                        const golden::WordTensor& w) {
  const golden::Shape4 want{d.groups * d.mg, d.cg, d.r, d.s};
  if (!(w.shape == want) || w.data.size() != want.size()) {
    throw std::invalid_argument(
        fmt::format("weights {} for layer {}, expected {}", w.shape.str(), d.str(), want.str()));
  }
  const std::size_t blob = std::size_t(m.blob_words(d));
  const std::size_t pqs = std::size_t(m.p) * m.q * d.s;
  std::vector<uint16_t> out(std::size_t(d.groups) * m.n_mt * m.n_ct * blob, 0);
  for (int g = 0; g < d.groups; ++g) {
    for (int mt = 0; mt < m.n_mt; ++mt) {
      for (int ct = 0; ct < m.n_ct; ++ct) {
        const std::size_t base = ((std::size_t(g) * m.n_mt + mt) * m.n_ct + ct) * blob;
        // Row group rg, word i of each row (p, q, s order), lane l = row rg*kFltLanes + l:
        // blob word (rg*pqs + i)*kFltLanes + l. Rows past rows_used are zero.
        for (int row = 0; row < m.rows_used(d); ++row) {
          const int k = row / d.r, r = row % d.r;
          const std::size_t rg = std::size_t(row / kFltLanes), lane = std::size_t(row % kFltLanes);
          std::size_t i = 0;
          for (int mm = 0; mm < m.p; ++mm) {
            const int filt = mt * m.p + mm;  // within the group
            for (int qq = 0; qq < m.q; ++qq) {
              const int ch = ct * m.ctile() + k * m.q + qq;  // within the group
              for (int s = 0; s < d.s; ++s, ++i) {
                const std::size_t at = base + (rg * pqs + i) * kFltLanes + lane;
                if (filt < d.mg && ch < d.cg) out[at] = uint16_t(w.at(g * d.mg + filt, ch, r, s));
              }
            }
          }
        }
      }
    }
  }
  return out;
}

std::vector<uint32_t> pack_bias_blobs(const LayerDesc& d, const LayerMap& m,
                                      const std::vector<int64_t>& bias) {
  const std::size_t want = d.bias ? std::size_t(d.groups) * d.mg : 0;
  if (bias.size() != want) {
    throw std::invalid_argument(
        fmt::format("{} bias values for layer {}, expected {}", bias.size(), d.str(), want));
  }
  if (!d.bias) return {};
  const std::size_t words = std::size_t(m.bias_words());
  std::vector<uint32_t> out(std::size_t(d.groups) * m.n_mt * words, 0);
  for (int g = 0; g < d.groups; ++g) {
    for (int mt = 0; mt < m.n_mt; ++mt) {
      for (int mm = 0; mm < m.p && mt * m.p + mm < d.mg; ++mm) {
        out[(std::size_t(g) * m.n_mt + mt) * words + mm] =
            uint32_t(bias[std::size_t(g) * d.mg + mt * m.p + mm]);
      }
    }
  }
  return out;
}

golden::WordTensor golden_layer(const LayerDesc& d, const golden::WordTensor& x,
                                const golden::WordTensor& w, const std::vector<int64_t>& bias,
                                const golden::WordTensor& res, int acc_bits) {
  golden::ConvParams cp;
  cp.stride_h = cp.stride_w = d.stride;
  cp.pad_h = cp.pad_w = d.pad;
  cp.groups = d.groups;
  golden::AccTensor acc = golden::conv2d_acc(x, w, bias, cp, d.prec, acc_bits);
  if (d.residual) golden::add_residual(acc, res, d.res_shift, acc_bits);
  golden::WordTensor out = golden::requantize(acc, golden::Requant{d.shift, d.prec, d.relu});
  if (d.pool_k == 0) return out;
  golden::PoolParams pp;
  pp.kernel_h = pp.kernel_w = d.pool_k;
  pp.stride_h = pp.stride_w = d.pool_s;
  pp.pad_h = pp.pad_w = 0;
  return golden::maxpool(out, pp);
}

golden::WordTensor LoweredLayer::weights(const net::NetworkData& data) const {
  const golden::Shape4 want{desc.groups * desc.mg, desc.cg, desc.r, desc.s};
  if (kind == LoweredKind::kAvgPool) return golden::WordTensor(want, int16_t(pool_weight));
  if (kind == LoweredKind::kMaxPool) {
    golden::WordTensor w(want, 0);
    for (int c = 0; c < want.n; ++c) w.at(c, 0, desc.r / 2, desc.s / 2) = int16_t(pool_weight);
    return w;
  }
  if (std::size_t(weight_layer()) >= data.layers.size() ||
      data.layers[std::size_t(weight_layer())].weights.data.size() != want.size()) {
    throw std::invalid_argument(fmt::format("{}: the network data has no {} weights for layer {}",
                                            name, want.str(), weight_layer()));
  }
  golden::WordTensor w = data.layers[std::size_t(weight_layer())].weights;
  w.shape = want;  // conv: unchanged; fc: M x K x 1 x 1 -> M x Cg x R x S, same order
  return w;
}

std::vector<int64_t> LoweredLayer::bias(const net::NetworkData& data) const {
  if (kind != LoweredKind::kConvFc) return {};
  if (std::size_t(weight_layer()) >= data.layers.size()) {
    throw std::invalid_argument(
        fmt::format("{}: the network data has no layer {}", name, weight_layer()));
  }
  return data.layers[std::size_t(weight_layer())].bias;
}

namespace {

[[noreturn]] void fail(const net::Network& net, const net::Layer& l, const std::string& field,
                       const std::string& reason) {
  throw net::NetworkError(
      fmt::format("{}: layer {} \"{}\": {}", net.origin, l.index, l.name, reason), l.index, field);
}

LayerDesc lower_conv(const net::Network& net, const net::Layer& l, int batch, FcLowering fc) {
  LayerDesc d;
  d.n = batch;
  d.prec = l.precision;
  d.bias = l.bias;
  d.shift = l.shift;
  d.relu = l.relu;
  d.mg = l.m;
  if (l.type == net::LayerType::kFc) {
    if (fc == FcLowering::kWholeInput) {
      d.cg = l.in.c;
      d.h = d.r = l.in.h;
      d.w = d.s = l.in.w;
    } else {
      d.cg = l.in.c * l.in.h;
      d.h = d.r = 1;
      d.w = d.s = l.in.w;
    }
    return d;
  }
  const golden::ConvParams& c = l.conv;
  if (c.stride_h != c.stride_w) {
    fail(net, l, "stride",
         fmt::format("stride_h {} != stride_w {}: the accelerator uses one stride in both "
                     "directions",
                     c.stride_h, c.stride_w));
  }
  if (c.pad_h != c.pad_w) {
    fail(net, l, "pad",
         fmt::format("pad_h {} != pad_w {}: the accelerator pads both directions alike", c.pad_h,
                     c.pad_w));
  }
  d.groups = c.groups;
  d.cg = l.in.c / c.groups;
  d.mg = l.m / c.groups;
  d.h = l.in.h;
  d.w = l.in.w;
  d.r = l.r;
  d.s = l.s;
  d.stride = c.stride_h;
  d.pad = c.pad_h;
  return d;
}

// The square window and single stride of the output stage; throws naming the field.
void check_square_pool(const net::Network& net, const net::Layer& pool) {
  const golden::PoolParams& p = pool.pool;
  if (p.kernel_h != p.kernel_w) {
    fail(net, pool, "kernel",
         fmt::format("kernel {}x{}: the accelerator pools square windows only", p.kernel_h,
                     p.kernel_w));
  }
  if (p.stride_h != p.stride_w) {
    fail(net, pool, "stride",
         fmt::format("stride_h {} != stride_w {}: the accelerator pools with one stride",
                     p.stride_h, p.stride_w));
  }
  if (p.pad_h != p.pad_w) {
    fail(net, pool, "pad",
         fmt::format("pad_h {} != pad_w {}: the accelerator pads both directions alike",
                     p.pad_h, p.pad_w));
  }
}

// True when every word of layer i's output is >= 0 (ReLU, or pooling/concatenation of such).
bool non_negative(const net::Network& net, int i) {
  if (i < 0) return false;
  const net::Layer& l = net.layers[std::size_t(i)];
  switch (l.type) {
    case net::LayerType::kConv:
    case net::LayerType::kFc:
      return l.relu;
    case net::LayerType::kMaxPool:
    case net::LayerType::kAvgPool:
      return non_negative(net, l.input);
    case net::LayerType::kConcat:
      return std::all_of(l.inputs.begin(), l.inputs.end(),
                         [&net](int r) { return non_negative(net, r); });
  }
  return false;
}

// A standalone pooling layer as a depthwise convolution over its input's C channels.
LayerDesc lower_pool(const net::Network& net, const net::Layer& l, int batch) {
  check_square_pool(net, l);
  LayerDesc d;
  d.n = batch;
  d.prec = l.precision;
  d.groups = l.in.c;
  d.cg = d.mg = 1;
  d.h = l.in.h;
  d.w = l.in.w;
  if (l.type == net::LayerType::kAvgPool) {
    d.r = d.s = l.pool.kernel_h;
    d.stride = l.pool.stride_h;
    d.shift = l.shift;
    return d;
  }
  const int pad = l.pool.pad_h;
  if (pad > 0 && !non_negative(net, l.input)) {
    fail(net, l, "pad",
         fmt::format("pad {}: padded max pooling runs on the accelerator as zero padding, which "
                     "is exact only for a non-negative input (a ReLU output); {} may be negative",
                     pad,
                     l.input < 0 ? std::string("the network input")
                                 : fmt::format("layer {} \"{}\"", l.input,
                                               net.layers[std::size_t(l.input)].name)));
  }
  d.r = d.s = 2 * pad + 1;  // identity filter; conv pad 2*pad yields the input padded by pad
  d.pad = 2 * pad;
  d.pool_k = l.pool.kernel_h;
  d.pool_s = l.pool.stride_h;
  return d;
}

}  // namespace

std::vector<LoweredLayer> lower_network(const net::Network& net, int batch, FcLowering fc) {
  if (batch < 1)
    throw net::NetworkError(fmt::format("{}: batch {} must be >= 1", net.origin, batch));
  using net::LayerType;
  const std::size_t count = net.layers.size();
  std::vector<int> readers(count, 0), concat_of(count, -1);
  for (const net::Layer& l : net.layers) {
    for (int r : l.inputs) {
      if (r < 0) continue;
      ++readers[std::size_t(r)];
      if (l.type == LayerType::kConcat) concat_of[std::size_t(r)] = l.index;
    }
    if (l.has_residual() && l.residual >= 0) ++readers[std::size_t(l.residual)];
  }
  // pool_of[i]: the maxpool fused into conv/fc layer i, or -1. The output stage pools square
  // windows with one stride, without padding, and not on top of a residual.
  std::vector<int> pool_of(count, -1);
  for (const net::Layer& l : net.layers) {
    if (l.type != LayerType::kMaxPool || l.input < 0) continue;
    const net::Layer& src = net.layers[std::size_t(l.input)];
    const golden::PoolParams& p = l.pool;
    if (src.has_weights() && !src.has_residual() && readers[std::size_t(src.index)] == 1 &&
        p.pad_h == 0 && p.pad_w == 0 && p.kernel_h == p.kernel_w && p.stride_h == p.stride_w) {
      pool_of[std::size_t(src.index)] = l.index;
    }
  }
  // DRAM tensors: 0 the network input; tensor_of[i] holds layer i's output (at a channel
  // offset when it is part of a concatenation).
  std::vector<int> tensor_of(count, -1), lowered_of(count, -1);
  std::vector<golden::Shape4> tensors{net.input.with_batch(batch)};
  auto tensor_for = [&](int layer) {  // the tensor a lowered layer ending at 'layer' writes
    const int cat = concat_of[std::size_t(layer)];
    if (cat >= 0 && readers[std::size_t(layer)] == 1) {
      if (tensor_of[std::size_t(cat)] < 0) {
        tensor_of[std::size_t(cat)] = int(tensors.size());
        tensors.push_back(net.layers[std::size_t(cat)].out.with_batch(batch));
      }
      int off = 0;
      for (int r : net.layers[std::size_t(cat)].inputs) {
        if (r == layer) break;
        off += net.layers[std::size_t(r)].out.c;
      }
      return std::make_pair(tensor_of[std::size_t(cat)], off);
    }
    tensors.push_back(net.layers[std::size_t(layer)].out.with_batch(batch));
    return std::make_pair(int(tensors.size()) - 1, 0);
  };
  auto src_tensor = [&](int layer) { return layer < 0 ? 0 : tensor_of[std::size_t(layer)]; };
  std::vector<LoweredLayer> out;
  for (const net::Layer& l : net.layers) {
    if (lowered_of[std::size_t(l.index)] >= 0) continue;  // a maxpool fused into its conv/fc
    if (l.type == LayerType::kConcat) {
      for (int r : l.inputs) {
        const bool placed = r >= 0 && tensor_of[std::size_t(r)] >= 0 &&
                            tensor_of[std::size_t(r)] == tensor_of[std::size_t(l.index)];
        if (!placed) {
          fail(net, l, "inputs",
               fmt::format("{} cannot write its channels into the concatenation: the accelerator "
                           "concatenates by placing the outputs of layers that nothing else reads "
                           "(not the network input, not another concat)",
                           r < 0 ? std::string("the network input")
                                 : fmt::format("layer {} \"{}\"", r,
                                               net.layers[std::size_t(r)].name)));
        }
      }
      continue;
    }
    LoweredLayer lo;
    lo.name = l.name;
    lo.covers.push_back(l.index);
    if (l.has_weights()) {
      lo.desc = lower_conv(net, l, batch, fc);
    } else {
      lo.desc = lower_pool(net, l, batch);
      lo.kind = l.type == LayerType::kAvgPool ? LoweredKind::kAvgPool : LoweredKind::kMaxPool;
      lo.pool_weight = l.type == LayerType::kAvgPool ? l.avg_mult : 1;
    }
    lo.in_tensor = src_tensor(l.input);
    lo.input = l.input < 0 ? -1 : lowered_of[std::size_t(l.input)];
    if (l.input >= 0 && lo.input < 0 && net.layers[std::size_t(l.input)].type == LayerType::kConcat) {
      lo.input = lowered_of[std::size_t(net.layers[std::size_t(l.input)].inputs.front())];
    }
    if (l.has_residual()) {
      lo.desc.residual = true;
      lo.desc.res_shift = l.res_shift;
      lo.res_tensor = src_tensor(l.residual);
    }
    const int pool = pool_of[std::size_t(l.index)];
    if (pool >= 0) {
      const net::Layer& pl = net.layers[std::size_t(pool)];
      lo.desc.pool_k = pl.pool.kernel_h;
      lo.desc.pool_s = pl.pool.stride_h;
      lo.name += "+" + pl.name;
      lo.covers.push_back(pool);
    }
    const net::Layer& last = net.layers[std::size_t(lo.last())];
    const auto [t, off] = tensor_for(lo.last());
    lo.out_tensor = t;
    lo.out_offset = off;
    lo.tensor_shape = tensors[std::size_t(t)];
    LayerDesc& d = lo.desc;
    if (lo.tensor_shape.c != d.groups * d.mg) d.out_channels = lo.tensor_shape.c;
    lo.in_shape = golden::Shape4{batch, d.groups * d.cg, d.h, d.w};
    lo.out_shape = last.out.with_batch(batch);
    for (int i : lo.covers) {
      lowered_of[std::size_t(i)] = int(out.size());
      tensor_of[std::size_t(i)] = t;
    }
    out.push_back(std::move(lo));
  }
  return out;
}

}  // namespace rsnpu::tb
