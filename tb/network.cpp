// Network descriptions: parser and validator of docs/network_format.md (version 1), seeded
// random data, and the golden model run of a whole network.
#include "network.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <utility>

namespace rsnpu::net {

using golden::Precision;
using json = nlohmann::json;

const char* to_string(LayerType type) {
  switch (type) {
    case LayerType::kConv:
      return "conv";
    case LayerType::kFc:
      return "fc";
    case LayerType::kMaxPool:
      return "maxpool";
    case LayerType::kAvgPool:
      return "avgpool";
    case LayerType::kConcat:
      return "concat";
  }
  return "?";
}

std::string Shape3::str() const { return fmt::format("{}x{}x{}", c, h, w); }

golden::Shape4 Layer::weight_shape() const {
  switch (type) {
    case LayerType::kConv:
      return {m, in.c / conv.groups, r, s};
    case LayerType::kFc:
      return {m, int(in.size()), 1, 1};
    default:
      break;
  }
  return {0, 0, 0, 0};
}

const Layer* Network::find(const std::string& layer_name) const {
  for (const Layer& l : layers) {
    if (l.name == layer_name) return &l;
  }
  return nullptr;
}

int64_t Network::total_macs() const {
  int64_t t = 0;
  for (const Layer& l : layers) t += l.macs;
  return t;
}

int64_t Network::total_weights() const {
  int64_t t = 0;
  for (const Layer& l : layers) t += l.weights;
  return t;
}

namespace {

// Limits that keep every size and count in range of the golden model's int shapes.
constexpr int64_t kMaxDim = int64_t{1} << 20;           // any single size, stride or pad
constexpr int64_t kMaxTensor = (int64_t{1} << 31) - 1;  // values in one tensor (per image)
constexpr int kMaxFrac = 31;
constexpr int kMaxShift = 31;  // acc_bits - 1 of a 32-bit accumulator

const std::vector<std::string> kTopFields = {"format", "version",   "name",  "description",
                                             "input",  "precision", "layers"};
const std::vector<std::string> kInputFields = {"c", "h", "w", "frac"};
const std::vector<std::string> kCommonFields = {"name", "type", "input", "description"};
const std::vector<std::string> kConvFields = {
    "m",     "kernel", "r",      "s",    "stride", "stride_h", "stride_w", "pad",
    "pad_h", "pad_w",  "groups", "relu", "bias",   "frac_w",   "frac_out", "precision",
    "residual"};
const std::vector<std::string> kFcFields = {"m",        "relu",      "bias",    "frac_w",
                                            "frac_out", "precision", "residual"};
const std::vector<std::string> kPoolFields = {
    "kernel", "kernel_h", "kernel_w", "stride", "stride_h", "stride_w", "pad", "pad_h", "pad_w"};
const std::vector<std::string> kAvgPoolFields = {"kernel", "kernel_h", "kernel_w",
                                                 "stride", "stride_h", "stride_w"};
const std::vector<std::string> kConcatFields = {"inputs"};
const std::vector<std::string> kReservedTypes = {"add"};
const std::vector<std::string> kTypes = {"conv", "fc", "maxpool", "avgpool", "concat"};

std::string jquote(const std::string& s) { return json(s).dump(); }

std::string join(const std::vector<std::string>& xs, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < xs.size(); ++i) out += (i ? sep : "") + xs[i];
  return out;
}

// A JSON value for a message: its type and (short) text.
std::string describe(const json& v) {
  std::string text = v.dump();
  if (v.is_null()) return text;
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return fmt::format("{} {}", v.type_name(), text);
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// " (did you mean "x"?)" for the closest candidate within edit distance 2 (and shorter
// than both words, so "x" does not suggest "c"), else "". 'exclude': words not to suggest.
std::string suggestion(const std::string& word, const std::vector<std::string>& candidates,
                       const std::set<std::string>& exclude = {}) {
  std::string best;
  std::size_t best_d = 3;
  for (const auto& c : candidates) {
    if (exclude.count(c)) continue;
    const std::size_t d = edit_distance(word, c);
    if (d < best_d && d < std::min(word.size(), c.size())) {
      best_d = d;
      best = c;
    }
  }
  return best.empty() ? "" : fmt::format(" (did you mean {}?)", jquote(best));
}

// Where an error is: the origin plus "", "input" or 'layer 3 "conv2"'.
struct Ctx {
  std::string origin;
  std::string where;
  int layer = -1;

  [[noreturn]] void fail(const std::string& field, const std::string& reason) const {
    std::string msg = origin + ": ";
    if (!where.empty()) msg += where + ": ";
    throw NetworkError(msg + reason, layer, field);
  }
};

Ctx layer_ctx(const std::string& origin, int index, const std::string& name) {
  const std::string where = name.empty() ? fmt::format("layer {}", index)
                                         : fmt::format("layer {} {}", index, jquote(name));
  return Ctx{origin, where, index};
}

// Typed access to the fields of one JSON object.
class Fields {
 public:
  Fields(const json& obj, const Ctx& ctx) : obj_(obj), ctx_(ctx) {}

  bool has(const std::string& key) const { return obj_.contains(key); }
  const Ctx& ctx() const { return ctx_; }

  // Every key must be in 'allowed'; 'what' names the object ("a maxpool layer").
  void check_known(const std::vector<std::string>& allowed, const std::string& what,
                   const std::vector<std::pair<std::string, const std::vector<std::string>*>>&
                       elsewhere = {}) const {
    std::set<std::string> present;  // fields given correctly are no suggestion
    for (const auto& item : obj_.items()) present.insert(item.key());
    for (const auto& item : obj_.items()) {
      const std::string& key = item.key();
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      std::vector<std::string> owners;
      for (const auto& [type, fields] : elsewhere) {
        if (std::find(fields->begin(), fields->end(), key) != fields->end()) owners.push_back(type);
      }
      if (!owners.empty()) {
        ctx_.fail(key, fmt::format("field {} is not used by {} (it belongs to {} layers)",
                                   jquote(key), what, join(owners, ", ")));
      }
      ctx_.fail(key, fmt::format("unknown field {} in {}{}; allowed: {}", jquote(key), what,
                                 suggestion(key, allowed, present), join(allowed, ", ")));
    }
  }

  [[noreturn]] void missing(const std::string& key, const std::string& extra = "") const {
    ctx_.fail(key, fmt::format("missing required field {}{}", jquote(key), extra));
  }

  const json& require(const std::string& key) const {
    if (!has(key)) missing(key);
    return obj_.at(key);
  }

  int integer(const std::string& key, int64_t lo, int64_t hi,
              std::optional<int> fallback = std::nullopt) const {
    if (!has(key)) {
      if (fallback) return *fallback;
      missing(key);
    }
    return integer_value(key, obj_.at(key), lo, hi);
  }

  int integer_value(const std::string& key, const json& v, int64_t lo, int64_t hi) const {
    if (!v.is_number_integer()) {
      ctx_.fail(key, fmt::format("field {} must be an integer, got {}", jquote(key), describe(v)));
    }
    // Unsigned values above INT64_MAX are certainly out of range.
    const bool huge = v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX);
    const int64_t x = huge ? INT64_MAX : v.get<int64_t>();
    if (x < lo || x > hi) {
      const std::string text = huge ? v.dump() : std::to_string(x);
      if (x < lo && lo == 1) ctx_.fail(key, fmt::format("{} {} must be >= 1", key, text));
      if (x < lo && lo == 0) ctx_.fail(key, fmt::format("{} {} must be >= 0", key, text));
      ctx_.fail(key, fmt::format("{} {} outside [{}, {}]", key, text, lo, hi));
    }
    return int(x);
  }

  bool boolean(const std::string& key, bool fallback) const {
    if (!has(key)) return fallback;
    const json& v = obj_.at(key);
    if (!v.is_boolean()) {
      ctx_.fail(key,
                fmt::format("field {} must be true or false, got {}", jquote(key), describe(v)));
    }
    return v.get<bool>();
  }

  std::string string(const std::string& key, std::optional<std::string> fallback = {}) const {
    if (!has(key)) {
      if (fallback) return *fallback;
      missing(key);
    }
    const json& v = obj_.at(key);
    if (!v.is_string()) {
      ctx_.fail(key, fmt::format("field {} must be a string, got {}", jquote(key), describe(v)));
    }
    return v.get<std::string>();
  }

  Precision precision(const std::string& key, std::optional<Precision> fallback = {}) const {
    if (!has(key) && fallback) return *fallback;
    const std::string p = string(key);
    if (p == "int16") return Precision::kInt16;
    if (p == "int8") return Precision::kInt8;
    ctx_.fail(key, fmt::format("{} {} is not one of \"int16\", \"int8\"", key, jquote(p)));
  }

  // A value given either as 'both' (square / symmetric) or as the pair 'h' and 'w'.
  std::pair<int, int> pair(const std::string& both, const std::string& h, const std::string& w,
                           int64_t lo, int64_t hi, std::optional<int> fallback) const {
    const bool hb = has(both), hh = has(h), hw = has(w);
    if (hb && (hh || hw)) {
      ctx_.fail(both, fmt::format("give either {} or {}/{}, not both", jquote(both), jquote(h),
                                  jquote(w)));
    }
    if (hb) {
      const int v = integer(both, lo, hi);
      return {v, v};
    }
    if (hh != hw) {
      ctx_.fail(hh ? w : h,
                fmt::format("{} given without {}", jquote(hh ? h : w), jquote(hh ? w : h)));
    }
    if (hh) return {integer(h, lo, hi), integer(w, lo, hi)};
    if (fallback) return {*fallback, *fallback};
    missing(both, fmt::format(" (or {} and {})", jquote(h), jquote(w)));
  }

 private:
  const json& obj_;
  const Ctx& ctx_;
};

// Finds the first duplicate key of any object while parsing (nlohmann keeps the last value
// silently, which would let a repeated field pass unnoticed).
class DuplicateKeys {
 public:
  bool found() const { return found_; }
  const std::vector<std::string>& path() const { return path_; }  // to the object
  const std::string& key() const { return key_; }

  bool on_event(json::parse_event_t ev, const json& parsed) {
    using E = json::parse_event_t;
    switch (ev) {
      case E::object_start:
        stack_.push_back(Frame{true, {}, {}, 0});
        break;
      case E::array_start:
        stack_.push_back(Frame{false, {}, {}, 0});
        break;
      case E::key: {
        Frame& f = stack_.back();
        f.key = parsed.get<std::string>();
        if (!f.keys.insert(f.key).second && !found_) {
          found_ = true;
          key_ = f.key;
          for (std::size_t i = 0; i + 1 < stack_.size(); ++i) {
            path_.push_back(stack_[i].object ? stack_[i].key : std::to_string(stack_[i].index));
          }
        }
        break;
      }
      case E::object_end:
      case E::array_end:
        stack_.pop_back();
        child_done();
        break;
      case E::value:
        child_done();
        break;
    }
    return true;
  }

 private:
  struct Frame {
    bool object;
    std::set<std::string> keys;
    std::string key;    // object: key of the member being parsed
    std::size_t index;  // array: index of the element being parsed
  };
  void child_done() {
    if (!stack_.empty() && !stack_.back().object) ++stack_.back().index;
  }
  std::vector<Frame> stack_;
  bool found_ = false;
  std::vector<std::string> path_;
  std::string key_;
};

json parse_json(const std::string& text, const std::string& origin) {
  DuplicateKeys dups;
  json doc;
  try {
    doc = json::parse(text, [&dups](int, json::parse_event_t ev, json& parsed) {
      return dups.on_event(ev, parsed);
    });
  } catch (const json::parse_error& e) {
    // nlohmann reports "... parse error at line L, column C: reason".
    const std::string what = e.what();
    static const std::regex pos_re(R"(line (\d+), column (\d+): )");
    std::smatch m;
    if (std::regex_search(what, m, pos_re)) {
      throw NetworkError(fmt::format("{}:{}:{}: JSON syntax error: {}", origin, m[1].str(),
                                     m[2].str(), m.suffix().str()));
    }
    throw NetworkError(fmt::format("{}: JSON syntax error at byte {}: {}", origin, e.byte, what));
  }
  if (dups.found()) {
    const auto& p = dups.path();
    const std::string reason = fmt::format("duplicate key {}", jquote(dups.key()));
    if (p.size() == 2 && p[0] == "layers") {
      const int i = std::stoi(p[1]);
      const json& l = doc.at("layers").at(std::size_t(i));
      const std::string name =
          l.contains("name") && l.at("name").is_string() ? l.at("name").get<std::string>() : "";
      layer_ctx(origin, i, name).fail(dups.key(), reason);
    }
    Ctx{origin, p.empty() ? "" : join(p, "/")}.fail(dups.key(), reason);
  }
  return doc;
}

// What a layer reads: the network input or an earlier layer's output.
struct Source {
  Shape3 shape;
  int frac;
  Precision prec;
  std::string what;  // "the network input" / 'layer 1 "pool1"'
};

// Checks one window dimension against the padded input (numerics.md section 5) and returns
// the output length. kfield is the field the kernel came from, kname its name in messages.
int window_len(const Ctx& ctx, const std::string& kfield, const std::string& kname, int k, int in,
               int stride, int pad, const char* axis) {
  const int64_t padded = int64_t(in) + 2 * int64_t(pad);
  if (k > padded) {
    ctx.fail(kfield, fmt::format("{} {} larger than padded input {} {} ({} {} + 2*pad_{} {})",
                                 kname, k, axis[0] == 'h' ? "height" : "width", padded,
                                 axis[0] == 'h' ? "H" : "W", in, axis, pad));
  }
  return int((padded - k) / stride + 1);
}

void check_tensor_size(const Ctx& ctx, const std::string& field, const std::string& what,
                       long double count) {
  if (count > (long double)kMaxTensor) {
    ctx.fail(field,
             fmt::format("{} has {:.0Lf} values, more than the limit {}", what, count, kMaxTensor));
  }
}

void check_frac_and_shift(const Ctx& ctx, Layer& L, const Source& src) {
  L.shift = L.frac_in + L.frac_w - L.frac_out;
  if (L.shift < 0 || L.shift > kMaxShift) {
    ctx.fail("frac_out",
             fmt::format("requantization shift frac_in {} + frac_w {} - frac_out {} = {} outside "
                         "[0, {}] (frac_in is the frac of {}); {}",
                         L.frac_in, L.frac_w, L.frac_out, L.shift, kMaxShift, src.what,
                         L.shift < 0 ? "lower frac_out or raise frac_w"
                                     : "raise frac_out or lower frac_w"));
  }
}

void check_precision_chain(const Ctx& ctx, const Layer& L, const Source& src) {
  if (L.precision == Precision::kInt8 && src.prec == Precision::kInt16) {
    ctx.fail("precision",
             fmt::format("int8 layer reads int16 words from {}; an int8 layer uses only the low "
                         "byte of each word, so its input must be int8 too",
                         src.what));
  }
}

void parse_conv(const Fields& f, Layer& L, const Source& src, Precision def_prec) {
  const Ctx& ctx = f.ctx();
  L.m = f.integer("m", 1, kMaxDim);
  std::tie(L.r, L.s) = f.pair("kernel", "r", "s", 1, kMaxDim, std::nullopt);
  std::tie(L.conv.stride_h, L.conv.stride_w) =
      f.pair("stride", "stride_h", "stride_w", 1, kMaxDim, 1);
  std::tie(L.conv.pad_h, L.conv.pad_w) = f.pair("pad", "pad_h", "pad_w", 0, kMaxDim, 0);
  L.conv.groups = f.integer("groups", 1, kMaxDim, 1);
  L.relu = f.boolean("relu", false);
  L.bias = f.boolean("bias", true);
  L.frac_w = f.integer("frac_w", 0, kMaxFrac);
  L.frac_out = f.integer("frac_out", 0, kMaxFrac);
  L.precision = f.precision("precision", def_prec);

  const int g = L.conv.groups;
  if (L.in.c % g != 0) {
    ctx.fail("groups", fmt::format("groups {} does not divide the input channels {} (from {})", g,
                                   L.in.c, src.what));
  }
  if (L.m % g != 0) {
    ctx.fail("groups", fmt::format("groups {} does not divide the filters m {}", g, L.m));
  }
  const bool square = f.has("kernel");
  const int e = window_len(ctx, square ? "kernel" : "r", square ? "kernel r" : "r", L.r, L.in.h,
                           L.conv.stride_h, L.conv.pad_h, "h");
  const int fw = window_len(ctx, square ? "kernel" : "s", square ? "kernel s" : "s", L.s, L.in.w,
                            L.conv.stride_w, L.conv.pad_w, "w");
  check_tensor_size(ctx, "m", "the output", (long double)L.m * e * fw);
  check_tensor_size(ctx, "m", "the weight tensor", (long double)L.m * (L.in.c / g) * L.r * L.s);
  // The golden model's own shape function, so the two can never disagree.
  const golden::Shape4 out =
      golden::conv_output_shape(L.in.with_batch(1), L.weight_shape(), L.conv);
  L.out = Shape3{out.c, out.h, out.w};
  L.weights = int64_t(L.m) * (L.in.c / g) * L.r * L.s;
  L.macs = L.weights * L.out.h * L.out.w;
}

void parse_fc(const Fields& f, Layer& L, Precision def_prec) {
  L.m = f.integer("m", 1, kMaxDim);
  L.relu = f.boolean("relu", false);
  L.bias = f.boolean("bias", true);
  L.frac_w = f.integer("frac_w", 0, kMaxFrac);
  L.frac_out = f.integer("frac_out", 0, kMaxFrac);
  L.precision = f.precision("precision", def_prec);
  check_tensor_size(f.ctx(), "m", "the weight tensor", (long double)L.m * L.in.size());
  L.out = Shape3{L.m, 1, 1};
  L.weights = int64_t(L.m) * L.in.size();
  L.macs = L.weights;
}

// The window, stride and (when 'padded') pad of a pooling layer into L.pool, and the output
// shape into L.out. No default stride: frameworks disagree (Caffe 1, PyTorch the kernel).
void parse_pool_window(const Fields& f, Layer& L, bool padded) {
  const Ctx& ctx = f.ctx();
  golden::PoolParams& p = L.pool;
  std::tie(p.kernel_h, p.kernel_w) =
      f.pair("kernel", "kernel_h", "kernel_w", 1, kMaxDim, std::nullopt);
  std::tie(p.stride_h, p.stride_w) =
      f.pair("stride", "stride_h", "stride_w", 1, kMaxDim, std::nullopt);
  p.pad_h = p.pad_w = 0;
  if (padded) std::tie(p.pad_h, p.pad_w) = f.pair("pad", "pad_h", "pad_w", 0, kMaxDim, 0);
  const bool square = f.has("kernel");
  const int e = window_len(ctx, square ? "kernel" : "kernel_h", "kernel_h", p.kernel_h, L.in.h,
                           p.stride_h, p.pad_h, "h");
  const int fw = window_len(ctx, square ? "kernel" : "kernel_w", "kernel_w", p.kernel_w, L.in.w,
                            p.stride_w, p.pad_w, "w");
  L.out = Shape3{L.in.c, e, fw};
}

void parse_maxpool(const Fields& f, Layer& L) {
  const Ctx& ctx = f.ctx();
  parse_pool_window(f, L, true);
  const golden::PoolParams& p = L.pool;
  // numerics.md section 4: a window with no valid position is illegal.
  const bool sym = f.has("pad");
  if (p.pad_h >= p.kernel_h) {
    ctx.fail(sym ? "pad" : "pad_h",
             fmt::format("pad_h {} >= kernel_h {}: the first window would cover only padding",
                         p.pad_h, p.kernel_h));
  }
  if (p.pad_w >= p.kernel_w) {
    ctx.fail(sym ? "pad" : "pad_w",
             fmt::format("pad_w {} >= kernel_w {}: the first window would cover only padding",
                         p.pad_w, p.kernel_w));
  }
}

// numerics.md section 4b: the multiplier and shift of an average over 'window' values: the
// largest k <= 30 whose multiplier is a word of the precision and cannot overflow the 32-bit
// accumulator (window * word_max * mult < 2^31). k = 0, mult = 1 always qualifies for a
// window of 1 or 2 values; a larger window finds a k first.
void avgpool_scale(Layer& L) {
  const int64_t window = int64_t(L.pool.kernel_h) * L.pool.kernel_w;
  const int64_t wmax = golden::word_max(L.precision);
  for (int k = 30; k >= 0; --k) {
    const int64_t mult = ((int64_t{1} << k) + window / 2) / window;
    if (mult >= 1 && mult <= wmax && window * wmax * mult <= (int64_t{1} << 31) - 1) {
      L.shift = k;
      L.avg_mult = int(mult);
      return;
    }
  }
  L.shift = 0;
  L.avg_mult = 1;
}

// Looks up a layer reference ("input" or an earlier layer's name) of field 'field'.
int resolve_ref(const Ctx& ctx, const std::string& field, const std::string& ref,
                const std::string& self, const std::map<std::string, int>& seen,
                const std::vector<std::string>& seen_list,
                const std::map<std::string, int>& all_names) {
  if (ref == "input") return -1;
  if (auto it = seen.find(ref); it != seen.end()) return it->second;
  if (ref == self) {
    ctx.fail(field, fmt::format("{} {} refers to the layer itself", field, jquote(ref)));
  }
  if (auto fwd = all_names.find(ref); fwd != all_names.end()) {
    ctx.fail(field, fmt::format("{} {} refers to a later layer (layer {}); a layer must come "
                                "after the layers it reads",
                                field, jquote(ref), fwd->second));
  }
  std::vector<std::string> cands = seen_list;
  cands.push_back("input");
  ctx.fail(field, fmt::format("{} {} is not the name of an earlier layer nor \"input\"{}", field,
                              jquote(ref), suggestion(ref, cands)));
}

Network build_network(const json& doc, const std::string& origin) {
  const Ctx top{origin, ""};
  if (!doc.is_object()) {
    top.fail("", fmt::format("the top level must be a JSON object, got {}", describe(doc)));
  }
  const Fields tf(doc, top);
  const std::string format = tf.string("format");
  if (format != "rsnpu-net") {
    top.fail("format", fmt::format("format {} is not \"rsnpu-net\"", jquote(format)));
  }
  const int version = tf.integer("version", INT32_MIN, INT32_MAX);
  if (version < 1 || version > kFormatVersion) {
    top.fail("version", fmt::format("version {} not supported (this build reads versions 1 to {})",
                                    version, kFormatVersion));
  }
  tf.check_known(kTopFields, "the top level");

  Network net;
  net.origin = origin;
  net.name = tf.string("name");
  if (net.name.empty()) top.fail("name", "name must not be empty");
  net.description = tf.string("description", "");
  net.precision = tf.precision("precision");

  {
    const json& in = tf.require("input");
    const Ctx ictx{origin, "input"};
    if (!in.is_object()) {
      top.fail("input", fmt::format("field \"input\" must be an object {{\"c\", \"h\", \"w\", "
                                    "\"frac\"}}, got {}",
                                    describe(in)));
    }
    const Fields inf(in, ictx);
    inf.check_known(kInputFields, "the input");
    net.input.c = inf.integer("c", 1, kMaxDim);
    net.input.h = inf.integer("h", 1, kMaxDim);
    net.input.w = inf.integer("w", 1, kMaxDim);
    net.input_frac = inf.integer("frac", 0, kMaxFrac);
    check_tensor_size(ictx, "c", "the input", (long double)net.input.size());
  }

  const json& layers = tf.require("layers");
  if (!layers.is_array()) {
    top.fail("layers", fmt::format("field \"layers\" must be an array, got {}", describe(layers)));
  }
  if (layers.empty()) {
    top.fail("layers", "\"layers\" is empty; a network needs at least one layer");
  }

  // Names of all layers, to tell a forward reference from an unknown one.
  std::map<std::string, int> all_names;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const json& l = layers[i];
    if (l.is_object() && l.contains("name") && l["name"].is_string()) {
      all_names.emplace(l["name"].get<std::string>(), int(i));
    }
  }

  std::map<std::string, int> seen;  // name -> index of layers parsed so far
  std::vector<std::string> seen_list;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const json& lj = layers[i];
    Layer L;
    L.index = int(i);
    if (!lj.is_object()) {
      layer_ctx(origin, L.index, "")
          .fail("", fmt::format("must be an object, got {}", describe(lj)));
    }
    if (lj.contains("name") && lj["name"].is_string()) L.name = lj["name"].get<std::string>();
    const Ctx ctx = layer_ctx(origin, L.index, L.name);
    const Fields f(lj, ctx);

    // Type first: it decides which fields are allowed.
    const std::string type = f.string("type");
    if (std::find(kReservedTypes.begin(), kReservedTypes.end(), type) != kReservedTypes.end()) {
      ctx.fail("type", fmt::format("type {} is reserved; a residual addition is the field "
                                   "\"residual\" of a conv or fc layer (version 2)",
                                   jquote(type)));
    }
    if ((type == "concat" || type == "avgpool") && version < 2) {
      ctx.fail("type", fmt::format("type {} needs \"version\": 2 (the file says {})",
                                   jquote(type), version));
    }
    if (f.has("residual") && version < 2) {
      ctx.fail("residual", fmt::format("field \"residual\" needs \"version\": 2 (the file says "
                                       "{})",
                                       version));
    }
    const std::vector<std::string>* own = nullptr;
    if (type == "conv") {
      L.type = LayerType::kConv;
      own = &kConvFields;
    } else if (type == "fc") {
      L.type = LayerType::kFc;
      own = &kFcFields;
    } else if (type == "maxpool") {
      L.type = LayerType::kMaxPool;
      own = &kPoolFields;
    } else if (type == "avgpool") {
      L.type = LayerType::kAvgPool;
      own = &kAvgPoolFields;
    } else if (type == "concat") {
      L.type = LayerType::kConcat;
      own = &kConcatFields;
    } else {
      ctx.fail("type", fmt::format("unknown type {}{}; types: {}", jquote(type),
                                   suggestion(type, kTypes), join(kTypes, ", ")));
    }
    std::vector<std::string> allowed = kCommonFields;
    allowed.insert(allowed.end(), own->begin(), own->end());
    std::vector<std::pair<std::string, const std::vector<std::string>*>> elsewhere;
    if (own != &kConvFields) elsewhere.emplace_back("conv", &kConvFields);
    if (own != &kFcFields) elsewhere.emplace_back("fc", &kFcFields);
    if (own != &kPoolFields) elsewhere.emplace_back("maxpool", &kPoolFields);
    if (own != &kAvgPoolFields) elsewhere.emplace_back("avgpool", &kAvgPoolFields);
    if (own != &kConcatFields) elsewhere.emplace_back("concat", &kConcatFields);
    if (L.type == LayerType::kConcat) {
      allowed.erase(std::find(allowed.begin(), allowed.end(), "input"));
    }
    f.check_known(allowed, fmt::format("a {} layer", type), elsewhere);

    // Name: unique, not the reserved "input".
    L.name = f.string("name");
    if (L.name.empty()) ctx.fail("name", "name must not be empty");
    if (L.name == "input") {
      ctx.fail("name", "name \"input\" is reserved for the network input");
    }
    if (auto it = seen.find(L.name); it != seen.end()) {
      ctx.fail("name",
               fmt::format("duplicate name {} (also layer {})", jquote(L.name), it->second));
    }
    (void)f.string("description", "");

    // Input references: default the previous layer; a concat lists its inputs.
    if (L.type == LayerType::kConcat) {
      const json& ins = f.require("inputs");
      if (!ins.is_array() || ins.size() < 2) {
        ctx.fail("inputs", fmt::format("field \"inputs\" must be an array of at least two layer "
                                       "names, got {}",
                                       describe(ins)));
      }
      for (const json& r : ins) {
        if (!r.is_string()) {
          ctx.fail("inputs", fmt::format("\"inputs\" must hold layer names, got {}", describe(r)));
        }
        L.inputs.push_back(resolve_ref(ctx, "inputs", r.get<std::string>(), L.name, seen,
                                       seen_list, all_names));
      }
      L.input = L.inputs.front();
    } else {
      L.input = f.has("input") ? resolve_ref(ctx, "input", f.string("input"), L.name, seen,
                                             seen_list, all_names)
                               : L.index - 1;
      L.inputs = {L.input};
    }

    auto source_of = [&](int ref) {
      if (ref < 0) return Source{net.input, net.input_frac, net.precision, "the network input"};
      const Layer& p = net.layers[std::size_t(ref)];
      return Source{p.out, p.frac_out, p.precision,
                    fmt::format("layer {} {}", p.index, jquote(p.name))};
    };
    Source src = source_of(L.input);
    L.in = src.shape;
    L.frac_in = src.frac;

    switch (L.type) {
      case LayerType::kConv:
        parse_conv(f, L, src, net.precision);
        break;
      case LayerType::kFc:
        parse_fc(f, L, net.precision);
        break;
      case LayerType::kMaxPool:
        parse_maxpool(f, L);
        L.precision = src.prec;
        L.frac_out = L.frac_in;
        break;
      case LayerType::kAvgPool:
        parse_pool_window(f, L, false);
        L.precision = src.prec;
        L.frac_out = L.frac_in;
        avgpool_scale(L);
        break;
      case LayerType::kConcat: {
        // Same height, width, fractional bits and precision; channels add up.
        int64_t channels = 0;
        bool any16 = false;
        for (int ref : L.inputs) {
          const Source s = source_of(ref);
          if (s.shape.h != src.shape.h || s.shape.w != src.shape.w) {
            ctx.fail("inputs", fmt::format("{} is {} but {} is {}: concatenated tensors need the "
                                           "same height and width",
                                           s.what, s.shape.str(), src.what, src.shape.str()));
          }
          if (s.frac != src.frac) {
            ctx.fail("inputs", fmt::format("{} has frac {} but {} has frac {}: concatenated "
                                           "tensors need the same fractional bits",
                                           s.what, s.frac, src.what, src.frac));
          }
          any16 = any16 || s.prec == Precision::kInt16;
          channels += s.shape.c;
        }
        if (channels > kMaxDim) {
          ctx.fail("inputs", fmt::format("{} channels, more than {}", channels, kMaxDim));
        }
        // An int8 word is also an int16 word, not the other way round.
        L.precision = any16 ? Precision::kInt16 : Precision::kInt8;
        L.frac_out = L.frac_in;
        L.out = Shape3{int(channels), src.shape.h, src.shape.w};
        check_tensor_size(ctx, "inputs", "the output", (long double)L.out.size());
        break;
      }
    }
    if (L.has_weights()) {
      check_precision_chain(ctx, L, src);
      check_frac_and_shift(ctx, L, src);
      if (f.has("residual")) {
        L.residual = resolve_ref(ctx, "residual", f.string("residual"), L.name, seen, seen_list,
                                 all_names);
        const Source r = source_of(L.residual);
        if (!(r.shape == L.out)) {
          ctx.fail("residual", fmt::format("residual {} is {}, the layer's output is {}", r.what,
                                           r.shape.str(), L.out.str()));
        }
        L.res_shift = L.frac_in + L.frac_w - r.frac;
        if (L.res_shift < 0 || L.res_shift > kMaxShift) {
          ctx.fail("residual", fmt::format("residual shift frac_in {} + frac_w {} - frac {} of {} "
                                           "= {} outside [0, {}]",
                                           L.frac_in, L.frac_w, r.frac, r.what, L.res_shift,
                                           kMaxShift));
        }
      }
    }

    seen.emplace(L.name, L.index);
    seen_list.push_back(L.name);
    net.layers.push_back(std::move(L));
  }
  return net;
}

// ---------------------------------------------------------------------------------------
// Random data. mt19937_64 is fully specified; the uniform mapping below is ours, so the
// values are the same with every standard library.
// ---------------------------------------------------------------------------------------
uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::mt19937_64 stream(uint64_t seed, uint64_t tag) {
  return std::mt19937_64(splitmix64(seed ^ splitmix64(tag)));
}

// Uniform in [lo, hi] (hi - lo < 2^63).
int64_t uniform(std::mt19937_64& g, int64_t lo, int64_t hi) {
  const uint64_t range = uint64_t(hi - lo) + 1;
  return lo + int64_t(uint64_t((static_cast<unsigned __int128>(g()) * range) >> 64));
}

constexpr uint64_t kInputTag = ~uint64_t{0};

[[noreturn]] void data_fail(const Network& net, const Layer* L, const std::string& reason) {
  const Ctx ctx = L ? layer_ctx(net.origin, L->index, L->name) : Ctx{net.origin, ""};
  ctx.fail("", reason);
}

}  // namespace

Network parse_network_string(const std::string& text, const std::string& origin) {
  return build_network(parse_json(text, origin), origin);
}

Network parse_network_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw NetworkError(path + ": cannot open the network description");
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) throw NetworkError(path + ": cannot read the network description");
  return parse_network_string(ss.str(), path);
}

Network parse_network_file_as(const std::string& path, golden::Precision prec) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw NetworkError(path + ": cannot open the network description");
  std::ostringstream ss;
  ss << f.rdbuf();
  const std::string origin = fmt::format("{} (as {})", path, golden::to_string(prec));
  json doc = parse_json(ss.str(), path);
  if (doc.is_object()) {
    doc["precision"] = golden::to_string(prec);
    if (doc.contains("layers") && doc["layers"].is_array()) {
      for (json& l : doc["layers"]) {
        if (l.is_object()) l.erase("precision");
      }
    }
  }
  return build_network(doc, origin);
}

NetworkData make_random_data(const Network& net, uint64_t seed) {
  NetworkData d;
  d.layers.resize(net.layers.size());
  for (const Layer& L : net.layers) {
    LayerData& ld = d.layers[std::size_t(L.index)];
    ld.weights = golden::WordTensor(L.weight_shape());
    if (!L.has_weights()) continue;
    std::mt19937_64 g = stream(seed, uint64_t(L.index));
    const golden::Shape4 ws = L.weight_shape();
    const double fan_in = double(ws.c) * ws.h * ws.w;
    const int64_t a =
        std::clamp<int64_t>(std::llround(std::ldexp(2.0, L.frac_w) / std::sqrt(fan_in)), 1,
                            golden::word_max(L.precision));
    for (int16_t& w : ld.weights.data) w = int16_t(uniform(g, -a, a));
    if (L.bias) {
      const int fb = L.frac_in + L.frac_w;
      const int64_t b = fb == 0 ? 0 : int64_t{1} << std::min(fb - 1, 30);
      ld.bias.resize(std::size_t(L.m));
      for (int64_t& v : ld.bias) v = uniform(g, -b, b);
    }
  }
  return d;
}

golden::WordTensor make_random_input(const Network& net, int batch, uint64_t seed) {
  if (batch < 1) data_fail(net, nullptr, fmt::format("batch {} must be >= 1", batch));
  golden::WordTensor t(net.input.with_batch(batch));
  std::mt19937_64 g = stream(seed, kInputTag);
  const int64_t lim =
      std::min<int64_t>(int64_t{1} << net.input_frac, golden::word_max(net.precision));
  for (int16_t& x : t.data) x = int16_t(uniform(g, -lim, lim));
  return t;
}

golden::WordTensor avgpool_golden(const Layer& L, const golden::WordTensor& in, int acc_bits) {
  golden::ConvParams cp;
  cp.stride_h = L.pool.stride_h;
  cp.stride_w = L.pool.stride_w;
  cp.groups = L.in.c;
  const golden::WordTensor w(golden::Shape4{L.in.c, 1, L.pool.kernel_h, L.pool.kernel_w},
                             int16_t(L.avg_mult));
  return golden::requantize(golden::conv2d_acc(in, w, {}, cp, L.precision, acc_bits),
                            golden::Requant{L.shift, L.precision, false});
}

std::vector<golden::WordTensor> run_golden(const Network& net, const NetworkData& data,
                                           const golden::WordTensor& input, int acc_bits) {
  if (acc_bits < 1 || acc_bits > 64) {
    data_fail(net, nullptr, fmt::format("acc_bits {} outside [1, 64]", acc_bits));
  }
  if (data.layers.size() != net.layers.size()) {
    data_fail(
        net, nullptr,
        fmt::format("data has {} layers, the network {}", data.layers.size(), net.layers.size()));
  }
  const golden::Shape4& is = input.shape;
  if (is.n < 1 || !(Shape3{is.c, is.h, is.w} == net.input) || input.data.size() != is.size()) {
    data_fail(net, nullptr,
              fmt::format("input tensor {} ({} values) does not match the network "
                          "input Nx{}",
                          is.str(), input.data.size(), net.input.str()));
  }
  const int n = is.n;
  std::vector<golden::WordTensor> outs;
  outs.reserve(net.layers.size());
  for (const Layer& L : net.layers) {
    const golden::WordTensor& in = L.input < 0 ? input : outs[std::size_t(L.input)];
    const LayerData& ld = data.layers[std::size_t(L.index)];
    golden::WordTensor out;
    try {
      if (L.has_weights()) {
        if (!(ld.weights.shape == L.weight_shape()) ||
            ld.weights.data.size() != ld.weights.shape.size()) {
          data_fail(net, &L,
                    fmt::format("weights {} ({} values), expected {}", ld.weights.shape.str(),
                                ld.weights.data.size(), L.weight_shape().str()));
        }
        if (ld.bias.size() != (L.bias ? std::size_t(L.m) : 0)) {
          data_fail(net, &L,
                    fmt::format("{} bias values, expected {}", ld.bias.size(), L.bias ? L.m : 0));
        }
        if (L.shift > acc_bits - 1) {
          data_fail(net, &L,
                    fmt::format("shift {} exceeds acc_bits - 1 = {}", L.shift, acc_bits - 1));
        }
        golden::AccTensor acc =
            L.type == LayerType::kConv
                ? golden::conv2d_acc(in, ld.weights, ld.bias, L.conv, L.precision, acc_bits)
                : golden::fc_acc(in, ld.weights, ld.bias, L.precision, acc_bits);
        if (L.has_residual()) {
          const golden::WordTensor& res =
              L.residual < 0 ? input : outs[std::size_t(L.residual)];
          golden::add_residual(acc, res, L.res_shift, acc_bits);
        }
        out = golden::requantize(acc, L.requant());
      } else if (L.type == LayerType::kMaxPool) {
        out = golden::maxpool(in, L.pool);
      } else if (L.type == LayerType::kAvgPool) {
        out = avgpool_golden(L, in, acc_bits);
      } else {  // concat
        out = golden::WordTensor(L.out.with_batch(n));
        const std::size_t plane = std::size_t(L.out.h) * std::size_t(L.out.w);
        int c0 = 0;
        for (int ref : L.inputs) {
          const golden::WordTensor& part = ref < 0 ? input : outs[std::size_t(ref)];
          for (int b = 0; b < n; ++b) {
            std::copy_n(&part.data[part.index(b, 0, 0, 0)], std::size_t(part.shape.c) * plane,
                        &out.data[out.index(b, c0, 0, 0)]);
          }
          c0 += part.shape.c;
        }
      }
    } catch (const std::invalid_argument& e) {
      data_fail(net, &L, std::string("golden model: ") + e.what());
    }
    if (!(out.shape == L.out.with_batch(n))) {
      data_fail(net, &L,
                fmt::format("golden output {} differs from the computed shape Nx{}",
                            out.shape.str(), L.out.str()));
    }
    outs.push_back(std::move(out));
  }
  return outs;
}

}  // namespace rsnpu::net
