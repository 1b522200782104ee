// Valid/ready stream drivers for the C++ testbench, with seeded random stalls.
//
// Per cycle, before the rising edge: drive() sets valid/data (source) or ready (sink); after
// Simulation::eval() the harness calls fired() to see whether the handshake happens at this
// edge, and commit() after the edge. A source keeps valid and data stable until its word is
// taken, as the protocol requires.
#pragma once

#include <cstdint>
#include <deque>
#include <random>
#include <vector>

namespace rsnpu::sim {

template <typename Word>
class StreamSource {
 public:
  // valid_prob: chance per cycle that an idle source offers its next word.
  StreamSource(double valid_prob, uint64_t seed) : valid_prob_(valid_prob), rng_(seed) {}

  void push(Word w) { queue_.push_back(w); }
  void push(const std::vector<Word>& ws) { queue_.insert(queue_.end(), ws.begin(), ws.end()); }
  bool empty() const { return queue_.empty(); }
  std::size_t pending() const { return queue_.size(); }
  void clear() {
    queue_.clear();
    offering_ = false;
  }

  // Returns (valid, data) to drive this cycle.
  bool drive(Word& data) {
    if (!offering_ && !queue_.empty()) {
      offering_ = coin_(rng_) < valid_prob_;
    }
    data = queue_.empty() ? Word{} : queue_.front();
    return offering_;
  }
  // The word offered this cycle was accepted.
  void commit_fire() {
    queue_.pop_front();
    offering_ = false;
  }
  bool offering() const { return offering_; }

 private:
  double valid_prob_;
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> coin_{0.0, 1.0};
  std::deque<Word> queue_;
  bool offering_ = false;
};

class StreamSink {
 public:
  StreamSink(double ready_prob, uint64_t seed) : ready_prob_(ready_prob), rng_(seed) {}
  bool drive() { return coin_(rng_) < ready_prob_; }

 private:
  double ready_prob_;
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> coin_{0.0, 1.0};
};

}  // namespace rsnpu::sim
