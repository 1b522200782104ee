// DRAM images of one hardware layer (docs/accelerator.md, "DRAM layouts"): activations with
// rows padded to 4 words, weight blobs per pass, bias blobs per filter tile; the golden
// result of a hardware layer; and the lowering of a network description (network.h) to
// hardware layers (conv / fc, each with an optional fused max pooling).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "layer_map.h"
#include "network.h"
#include "rsnpu/golden/golden.h"

namespace rsnpu::tb {

// N x C x H x W words -> [n][c][h][wp] 16-bit words, wp = W rounded up to a multiple of 4,
// padding words 0. The words are stored as they are: INT8 tensors hold sign-extended words.
std::vector<uint16_t> pack_activations(const golden::WordTensor& x);

// The inverse for a tensor of 'shape'; the padding words are ignored. Throws
// std::invalid_argument when 'words' does not hold N*C*H*wp words.
golden::WordTensor unpack_activations(const std::vector<uint16_t>& words, golden::Shape4 shape);

// All weight blobs of the layer, pass (g, mt, ct) at word offset
// ((g*n_mt + mt)*n_ct + ct) * blob_words: G*n_mt*n_ct*blob_words words.
// w: [G*Mg][Cg][R][S]. Throws std::invalid_argument on a shape mismatch.
std::vector<uint16_t> pack_weight_blobs(const LayerDesc& d, const LayerMap& m,
                                        const golden::WordTensor& w);

// All bias blobs, tile (g, mt) at 32-bit offset (g*n_mt + mt) * bias_words: G*n_mt*bias_words
// values (two's complement, accumulator scale). bias: G*Mg values, or empty for a layer
// without bias (the result is then empty). Throws std::invalid_argument on a size mismatch.
std::vector<uint32_t> pack_bias_blobs(const LayerDesc& d, const LayerMap& m,
                                      const std::vector<int64_t>& bias);

// What the hardware writes for the layer, from the golden library: conv2d_acc (groups,
// stride, pad) -> + residual << res_shift when d.residual -> requantize (shift, precision,
// ReLU) -> maxpool (pool_k, pool_s) when pool_k > 0. x: N x G*Cg x H x W; w:
// [G*Mg][Cg][R][S]; bias: G*Mg values or empty; res: N x G*Mg x E x F (ignored without
// d.residual).
golden::WordTensor golden_layer(const LayerDesc& d, const golden::WordTensor& x,
                                const golden::WordTensor& w, const std::vector<int64_t>& bias,
                                const golden::WordTensor& res, int acc_bits);

// How a fully connected layer on an input of C x H x W becomes a convolution. Both use the
// input's DRAM image and the fc weights' memory order unchanged, so each fc layer of a network
// may take either (plan_network takes the one with fewer estimated cycles).
enum class FcLowering {
  kWholeInput,      // Cg = C, H x W input, R = H, S = W (one filter covers the input)
  kRowsAsChannels,  // Cg = C*H, 1 x W input, R = 1, S = W: fits arrays with fewer PE rows
                    // than H, since an activation row is padded on its own ([c][h][wp])
};

// Where a hardware layer's weights come from.
enum class LoweredKind {
  kConvFc,       // a conv or fc layer of the network (its weights and biases)
  kMaxPool,      // a standalone maxpool: depthwise identity conv (weight 1 at the centre of
                 // a (2*pad+1)^2 filter, pad 2*pad: the input padded with zeros) + fused pool
  kAvgPool,      // an avgpool: depthwise conv with every weight avg_mult, shift
};

// One hardware layer of a network. DRAM tensors: 0 is the network input, every other one
// is written by lowered layers (several, at channel offsets, for a concatenation).
struct LoweredLayer {
  std::string name;          // "conv1+pool1"
  LayerDesc desc;            // batch desc.n = the batch given to lower_network
  LoweredKind kind = LoweredKind::kConvFc;
  std::vector<int> covers;   // network layer indices: the conv/fc/pool, then a fused maxpool
  int input = -1;            // lowered layer that writes (the start of) the input; -1: none
  int in_tensor = 0;         // DRAM tensor read
  int out_tensor = 1;        // DRAM tensor written, channels [out_offset, out_offset + G*Mg)
  int out_offset = 0;
  int res_tensor = -1;       // DRAM tensor of the residual, -1: none
  golden::Shape4 in_shape;   // input as the hardware reads it: N x G*Cg x H x W
  golden::Shape4 out_shape;  // output: N x G*Mg x Ho x Wo
  golden::Shape4 tensor_shape;  // out_tensor: N x desc.out_ctot() x Ho x Wo
  int pool_weight = 0;          // kMaxPool: 1 (centre tap); kAvgPool: avg_mult (every tap)

  int weight_layer() const { return covers.front(); }  // the network layer with the weights
  int last() const { return covers.back(); }           // network layer whose output this one equals
  // Weights [G*Mg][Cg][R][S] (fc: reshaped; same memory order) and biases (G*Mg values, or
  // empty) from the network's data; the pooling kinds make theirs.
  golden::WordTensor weights(const net::NetworkData& data) const;
  std::vector<int64_t> bias(const net::NetworkData& data) const;
};

// Lowers every layer: conv -> one hardware layer (with its residual tensor); fc -> a
// convolution (see FcLowering); a maxpool without padding that reads a conv/fc whose output
// no other layer reads is fused into it, any other maxpool and every avgpool become a
// depthwise convolution (LoweredKind); a concat is no layer: its inputs write their
// channels of its tensor. Throws net::NetworkError naming the layer for what the hardware
// cannot run: non-square pooling, padded max pooling of a tensor that may be negative, a
// concat input read by another layer too, a conv with different strides or pads in h and w.
std::vector<LoweredLayer> lower_network(const net::Network& net, int batch = 1,
                                        FcLowering fc = FcLowering::kWholeInput);

}  // namespace rsnpu::tb
