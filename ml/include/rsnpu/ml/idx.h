// IDX files (the MNIST / Fashion-MNIST container format), gzip-compressed or plain, and the
// Fashion-MNIST data set as Debian's dataset-fashion-mnist package installs it.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace rsnpu::ml {

// Every problem with a data file: the message starts with the path and says what is wrong
// (bad gzip stream, wrong magic number, truncated or oversized payload, bad label value).
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One IDX array of unsigned bytes (element type 0x08): dims as the header gives them.
struct IdxArray {
  std::vector<uint32_t> dims;
  std::vector<uint8_t> data;  // product(dims) bytes, row-major
};

// Reads a whole IDX file (gzip or plain: zlib reads both). Rejects a file whose header is
// not an unsigned-byte IDX array of 1-4 dimensions, or whose payload is shorter or longer
// than the header says.
IdxArray read_idx(const std::string& path);

// Images (N x rows x cols bytes) with their labels (N bytes, each in [0, classes)).
struct LabeledImages {
  int count = 0, rows = 0, cols = 0;
  std::vector<uint8_t> pixels;  // count * rows * cols
  std::vector<uint8_t> labels;  // count
  const uint8_t* image(int i) const { return pixels.data() + std::size_t(i) * rows * cols; }
  // Images [first, first + n) as a set of their own (clamped to the images there are).
  LabeledImages slice(int first, int n) const;
};

// Pairs an images file (3 dims) with a labels file (1 dim) of the same count; rejects label
// values >= classes.
LabeledImages read_labeled_images(const std::string& images_path, const std::string& labels_path,
                                  int classes = 10);

enum class Split { kTrain, kTest };

// Fashion-MNIST: 60,000 training or 10,000 test images of 28 x 28, 10 classes. dir: the
// directory with {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz; empty means
// $RSNPU_FASHION_MNIST, else /usr/share/datasets/fashion-mnist.
LabeledImages load_fashion_mnist(Split split, const std::string& dir = "");
std::string fashion_mnist_dir(const std::string& dir = "");

// Class names of Fashion-MNIST, by label.
const char* fashion_mnist_class(int label);

}  // namespace rsnpu::ml
