#include "rsnpu/ml/idx.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>

namespace rsnpu::ml {
namespace {

// The whole (decompressed) content of a file; zlib passes plain files through unchanged.
std::vector<uint8_t> read_all(const std::string& path) {
  std::unique_ptr<gzFile_s, int (*)(gzFile)> f(gzopen(path.c_str(), "rb"), gzclose);
  if (!f) throw DataError(fmt::format("{}: cannot open", path));
  std::vector<uint8_t> out;
  std::array<uint8_t, 1 << 16> buf{};
  for (;;) {
    const int n = gzread(f.get(), buf.data(), unsigned(buf.size()));
    if (n < 0) {
      int code = 0;
      const char* msg = gzerror(f.get(), &code);
      throw DataError(fmt::format("{}: corrupt gzip stream ({})", path, msg ? msg : "?"));
    }
    if (n == 0) break;
    out.insert(out.end(), buf.begin(), buf.begin() + n);
  }
  // A gzip file cut short reads as a short stream; zlib reports it only through gzerror.
  int code = 0;
  const char* msg = gzerror(f.get(), &code);
  if (code != Z_OK && code != Z_STREAM_END) {
    throw DataError(fmt::format("{}: corrupt gzip stream ({})", path, msg ? msg : "?"));
  }
  return out;
}

uint32_t big_endian32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  const std::vector<uint8_t> bytes = read_all(path);
  if (bytes.size() < 4) {
    throw DataError(fmt::format("{}: {} bytes, too short for an IDX header", path, bytes.size()));
  }
  if (bytes[0] != 0 || bytes[1] != 0) {
    throw DataError(fmt::format("{}: not an IDX file (magic {:02x}{:02x}{:02x}{:02x})", path,
                                bytes[0], bytes[1], bytes[2], bytes[3]));
  }
  if (bytes[2] != 0x08) {
    throw DataError(
        fmt::format("{}: IDX element type 0x{:02x}; only unsigned bytes (0x08) are "
                    "supported",
                    path, bytes[2]));
  }
  const int ndims = bytes[3];
  if (ndims < 1 || ndims > 4) {
    throw DataError(fmt::format("{}: IDX header gives {} dimensions (1-4 supported)", path, ndims));
  }
  const std::size_t header = 4 + 4 * std::size_t(ndims);
  if (bytes.size() < header) {
    throw DataError(
        fmt::format("{}: truncated IDX header ({} of {} bytes)", path, bytes.size(), header));
  }
  IdxArray a;
  uint64_t payload = 1;
  for (int d = 0; d < ndims; ++d) {
    const uint32_t n = big_endian32(bytes.data() + 4 + 4 * d);
    if (n == 0) throw DataError(fmt::format("{}: dimension {} is 0", path, d));
    a.dims.push_back(n);
    payload *= n;
    if (payload > (uint64_t(1) << 34)) {
      throw DataError(fmt::format("{}: IDX header sizes overflow ({} dims)", path, ndims));
    }
  }
  const uint64_t have = bytes.size() - header;
  if (have < payload) {
    throw DataError(
        fmt::format("{}: truncated: the header promises {} data bytes, the file has "
                    "{}",
                    path, payload, have));
  }
  if (have > payload) {
    throw DataError(
        fmt::format("{}: {} unexpected bytes after the {} data bytes the header "
                    "promises",
                    path, have - payload, payload));
  }
  a.data.assign(bytes.begin() + long(header), bytes.end());
  return a;
}

LabeledImages read_labeled_images(const std::string& images_path, const std::string& labels_path,
                                  int classes) {
  const IdxArray im = read_idx(images_path);
  if (im.dims.size() != 3) {
    throw DataError(fmt::format("{}: {} dimensions; an image file has 3 (count, rows, cols)",
                                images_path, im.dims.size()));
  }
  const IdxArray lb = read_idx(labels_path);
  if (lb.dims.size() != 1) {
    throw DataError(
        fmt::format("{}: {} dimensions; a label file has 1", labels_path, lb.dims.size()));
  }
  if (lb.dims[0] != im.dims[0]) {
    throw DataError(fmt::format("{}: {} labels for {} images in {}", labels_path, lb.dims[0],
                                im.dims[0], images_path));
  }
  for (std::size_t i = 0; i < lb.data.size(); ++i) {
    if (lb.data[i] >= classes) {
      throw DataError(fmt::format("{}: label {} of item {} is not a class (0-{})", labels_path,
                                  lb.data[i], i, classes - 1));
    }
  }
  LabeledImages s;
  s.count = int(im.dims[0]);
  s.rows = int(im.dims[1]);
  s.cols = int(im.dims[2]);
  s.pixels = im.data;
  s.labels = lb.data;
  return s;
}

LabeledImages LabeledImages::slice(int first, int n) const {
  first = std::clamp(first, 0, count);
  n = std::clamp(n, 0, count - first);
  const std::size_t px = std::size_t(rows) * cols;
  LabeledImages s;
  s.count = n;
  s.rows = rows;
  s.cols = cols;
  s.pixels.assign(pixels.begin() + long(px * first), pixels.begin() + long(px * (first + n)));
  s.labels.assign(labels.begin() + first, labels.begin() + first + n);
  return s;
}

std::string fashion_mnist_dir(const std::string& dir) {
  if (!dir.empty()) return dir;
  if (const char* env = std::getenv("RSNPU_FASHION_MNIST"); env && *env) return env;
  return "/usr/share/datasets/fashion-mnist";
}

LabeledImages load_fashion_mnist(Split split, const std::string& dir) {
  const std::string d = fashion_mnist_dir(dir);
  const char* stem = split == Split::kTrain ? "train" : "t10k";
  LabeledImages s = read_labeled_images(fmt::format("{}/{}-images-idx3-ubyte.gz", d, stem),
                                        fmt::format("{}/{}-labels-idx1-ubyte.gz", d, stem));
  if (s.rows != 28 || s.cols != 28) {
    throw DataError(
        fmt::format("{}: Fashion-MNIST images are 28x28, these are {}x{}", d, s.rows, s.cols));
  }
  return s;
}

const char* fashion_mnist_class(int label) {
  static const char* const kNames[] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                       "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return label >= 0 && label < 10 ? kNames[label] : "?";
}

}  // namespace rsnpu::ml
