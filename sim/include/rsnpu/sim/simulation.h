// Clocked wrapper around a Verilated model: owns the VerilatedContext and the model, drives
// clk_i / rst_ni, optionally records an FST waveform, and turns RTL assertion failures into
// an error the harness can report (instead of Verilator's default abort).
//
// Waveforms: set RSNPU_WAVES=<directory> (or pass SimOptions::wave_path) and every
// Simulation writes <directory>/<name>.fst, which GTKWave opens.
#pragma once

#include <verilated.h>
#include <verilated_fst_c.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace rsnpu::sim {

struct SimOptions {
  std::string name = "sim";    // used for the waveform file name
  std::string wave_path;       // empty: from RSNPU_WAVES, else no waveform
  uint64_t seed = 1;           // Verilator's random initial values (--x-initial unique)
  int clock_period_ps = 5000;  // 200 MHz
};

// 'opt' with its default name replaced by 'name' (harnesses name their waveforms).
inline SimOptions with_default_name(SimOptions opt, const std::string& name) {
  if (opt.name == SimOptions{}.name) opt.name = name;
  return opt;
}

// Directory from RSNPU_WAVES, or empty.
inline std::string wave_dir_from_env() {
  const char* dir = std::getenv("RSNPU_WAVES");
  return dir ? std::string(dir) : std::string();
}

// Models Verilated without --trace-fst have no trace(): the fast top models, and in a default
// build the checking array and top models of the large configurations (sim/CMakeLists.txt,
// RSNPU_FULL_WAVES; `make waves` adds it).
template <typename Model>
inline constexpr bool kCanTrace = requires(Model& m, VerilatedFstC* t) { m.trace(t, 99); };

template <typename Model>
class Simulation {
  static constexpr bool kCanTrace = sim::kCanTrace<Model>;

 public:
  explicit Simulation(const SimOptions& opt)
      : opt_(opt), ctx_(std::make_unique<VerilatedContext>()) {
    ctx_->fatalOnError(false);  // a failed assertion sets gotError(); the harness reports it
    ctx_->randReset(2);         // randomize uninitialized state: reset bugs show up
    // Verilator wants a seed in [1, 2^31); spread small test seeds over that range.
    ctx_->randSeed(static_cast<int>(1 + (opt.seed * 2654435761ull) % 2147483646ull));
    ctx_->timeunit(-12);
    ctx_->timeprecision(-12);
    std::string wave = opt.wave_path;
    if (wave.empty()) {
      const std::string dir = wave_dir_from_env();
      if (!dir.empty()) wave = (std::filesystem::path(dir) / (opt.name + ".fst")).string();
    }
    if (!wave.empty()) ctx_->traceEverOn(true);
    Verilated::threadContextp(ctx_.get());
    model_ = std::make_unique<Model>(ctx_.get(), "TOP");
    if (!wave.empty()) {
      if constexpr (!kCanTrace) {
        throw std::runtime_error(
            "waveform " + wave + ": this model was built without waveform support (a default "
            "build has none in the array and top models of the large configurations); "
            "`make waves` rebuilds them with it");
      }
      std::filesystem::create_directories(std::filesystem::path(wave).parent_path().empty()
                                              ? std::filesystem::path(".")
                                              : std::filesystem::path(wave).parent_path());
      trace_ = std::make_unique<VerilatedFstC>();
      if constexpr (kCanTrace) model_->trace(trace_.get(), 99);
      trace_->open(wave.c_str());
      wave_path_ = wave;
    }
    model_->clk_i = 0;
    model_->rst_ni = 0;
    eval();
  }

  // Verilator 5.006 unregisters a model's scopes through the thread's current context, not
  // the model's own (verilator/verilator#8265): with two simulations alive, destroying one
  // deadlocks unless its own context is made current first.
  ~Simulation() {
    finish();
    if (trace_) trace_.reset();
    Verilated::threadContextp(ctx_.get());
    model_.reset();
  }
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  Model& dut() { return *model_; }
  uint64_t cycle() const { return cycle_; }
  bool assertion_failed() const { return ctx_->gotError(); }
  const std::string& wave_path() const { return wave_path_; }

  // Settle combinational logic after inputs changed (clock low).
  void eval() {
    model_->eval();
    low_evaluated_ = (model_->clk_i == 0);
  }

  // One clock cycle: rising edge, then falling edge. Inputs must be set before the call.
  // Nothing in the RTL uses the falling edge, so without a waveform the falling edge is
  // folded into the next eval() (one model evaluation less per cycle); with a waveform it is
  // evaluated and dumped so the clock looks right in GTKWave.
  void tick() {
    if (!low_evaluated_) eval();  // the model must see the clock low before the edge
    model_->clk_i = 1;
    model_->eval();
    low_evaluated_ = false;
    ctx_->timeInc(opt_.clock_period_ps / 2);
    if (trace_) trace_->dump(ctx_->time());
    model_->clk_i = 0;
    if (trace_) {
      eval();
      trace_->dump(ctx_->time() + opt_.clock_period_ps / 2);
    }
    ctx_->timeInc(opt_.clock_period_ps / 2);
    ++cycle_;
  }

  // Synchronous active-low reset for 'cycles' clock cycles.
  void reset(int cycles = 4) {
    model_->rst_ni = 0;
    for (int i = 0; i < cycles; ++i) tick();
    model_->rst_ni = 1;
    eval();
  }

  // Final phase: run final blocks, close the waveform. Safe to call twice.
  void finish() {
    if (finished_) return;
    finished_ = true;
    model_->final();
    if (trace_) trace_->close();
  }

 private:
  SimOptions opt_;
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<VerilatedFstC> trace_;
  std::string wave_path_;
  uint64_t cycle_ = 0;
  bool finished_ = false;
  bool low_evaluated_ = false;  // eval() ran since the clock went low
};

}  // namespace rsnpu::sim
