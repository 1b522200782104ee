# rsnpu: the two commands are `make run` and `make test`. See README.md.
BUILD     ?= build
JOBS      ?= 2
CMAKE_ARGS ?= -DCMAKE_BUILD_TYPE=Release
CTEST     := ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

.PHONY: all help deps configure build run run-tiny-cnn regress test test-unit test-rtl test-long \
  lint clean synth synth-prep signoff fpga train quant bench waves

all: build

help:
	@echo "make run        install missing packages, build, run the quantized Fashion-MNIST CNN on the"
	@echo "                eyeriss RTL for $(RUN_IMAGES) test images (INT8 and INT16): labels, top-1, cycles"
	@echo "make run-tiny-cnn  networks/tiny_cnn.json (random weights) on the eyeriss RTL"
	@echo "make train      retrain the Fashion-MNIST CNN -> networks/fmnist_cnn.weights.json"
	@echo "make quant      quantization studies (static/dynamic fixed point, per-layer precision)"
	@echo "                -> build/reports/quant/ (JSON, Markdown, PNG plot)"
	@echo "make bench      AlexNet CONV1-5, batch 4, INT16 on the eyeriss RTL with Eyeriss's 480 MB/s DRAM"
	@echo "                link: per-layer table, energy by level, Eyeriss beside ours"
	@echo "                -> build/reports/bench.{json,md}, bench_*.png (about 20 min)"
	@echo "make test-long  long regressions (CTest label long): all 10k test images on the RTL"
	@echo "make regress    longer regressions: PE jobs, array passes, 500 random layers (tiny)"
	@echo "make test       install missing packages, build, run the test suite (CI): labels unit, rtl, lint, synth, formal"
	@echo "make build      configure and build everything into $(BUILD)/"
	@echo "make waves      rebuild with waveform support in every checking model (the eyeriss array"
	@echo "                and top models have none in a default build: ~40 MB of C++ less)"
	@echo "make lint       Verilator -Wall lint and Yosys structural check of the RTL"
	@echo "make test-unit  golden model and configuration tests only"
	@echo "make test-rtl   PE RTL tests only"
	@echo "make deps       check/install the Debian packages"
	@echo "make synth      synthesis (OSU 0.18 um, SRAM macros) and timing of the PE and of rsnpu_top,"
	@echo "                PE gate-level sim (CONFIG=tiny|eyeriss) -> build/reports/synth/<config>/"
	@echo "make signoff    lint, structural checks, synthesis, STA, power, gate-level sims, regression"
	@echo "                smoke: checklist -> build/reports/signoff_<config>.{json,md} (CONFIG=...)"
	@echo "make fpga       tiny on iCE40 UP5K (synth_ice40 + nextpnr), eyeriss via synth_xilinx"
	@echo "                -> build/reports/fpga/fpga.{json,md}"
	@echo "make clean      remove $(BUILD)/"

deps:
	@scripts/deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) $(CMAKE_ARGS)

configure: deps
	cmake -S . -B $(BUILD) $(CMAKE_ARGS)

# Verilate first: after an RTL change the second step re-reads the generated file lists
# (sim/CMakeLists.txt, rsnpu_verilate).
build: deps $(BUILD)/CMakeCache.txt
	@cmake -S . -B $(BUILD) $(CMAKE_ARGS) > $(BUILD)/configure.log 2>&1 \
	  || { cat $(BUILD)/configure.log; exit 1; }
	cmake --build $(BUILD) -j $(JOBS) --target rsnpu_verilate
	cmake --build $(BUILD) -j $(JOBS)

# Waveform support in the eyeriss array and top models too (kept in the cache: later builds
# keep it; -DRSNPU_FULL_WAVES=OFF in CMAKE_ARGS turns it off again).
waves: deps $(BUILD)/CMakeCache.txt
	cmake -S . -B $(BUILD) $(CMAKE_ARGS) -DRSNPU_FULL_WAVES=ON > $(BUILD)/configure.log 2>&1 \
	  || { cat $(BUILD)/configure.log; exit 1; }
	$(MAKE) build

RUN_IMAGES ?= 8
run: build
	$(BUILD)/rsnpu fmnist --config eyeriss --bits 8 16 --count $(RUN_IMAGES) --batch $(RUN_IMAGES) \
	  --json $(BUILD)/reports/run_fmnist.json

NETWORK ?= networks/tiny_cnn.json
run-tiny-cnn: build
	$(BUILD)/rsnpu run $(NETWORK) --config eyeriss --json $(BUILD)/reports/run_$(notdir $(basename $(NETWORK))).json

train: build
	$(BUILD)/rsnpu train --network networks/fmnist_cnn.json --out networks/fmnist_cnn.weights.json \
	  --epochs 10 --seed 1 --json $(BUILD)/reports/train.json

bench: build
	$(BUILD)/rsnpu bench -j $(JOBS) -o $(BUILD)/reports
	scripts/check_bench_report.py $(BUILD)/reports 5

quant: build
	$(BUILD)/rsnpu quant-study --out-dir $(BUILD)/reports/quant

regress: build
	$(BUILD)/rsnpu pe-regress --config tiny --config eyeriss --count 1000 \
	  --json $(BUILD)/reports/pe_regress.json
	$(BUILD)/rsnpu array-regress --config tiny --config eyeriss --count 20 \
	  --json $(BUILD)/reports/array_regress.json
	$(BUILD)/rsnpu layer-regress --config tiny --seed 10001 --count 500 \
	  --json $(BUILD)/reports/layer_regress.json

test: build
	@mkdir -p $(BUILD)/reports
	$(CTEST) -L 'unit|rtl|lint|synth|formal'

test-unit: build
	$(CTEST) -L unit

test-rtl: build
	$(CTEST) -L rtl

test-long: build
	$(CTEST) -L long

lint: build
	$(CTEST) -L lint

clean:
	rm -rf $(BUILD)

# Implementation flow (synth/README.md): Yosys + OpenSTA + gate-level simulation. Builds only
# the libraries the flows link (golden model, host code, DRAM model), not the Verilator models
# of `make build`.
CONFIG ?= tiny
SYNTH_LIBS := rsnpu_golden rsnpu_host rsnpu_axi_dram
synth-prep: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target $(SYNTH_LIBS)

synth: synth-prep
	RSNPU_BUILD_DIR=$(abspath $(BUILD)) synth/run_pe_flow.sh $(CONFIG)
	RSNPU_BUILD_DIR=$(abspath $(BUILD)) synth/run_top_flow.sh $(CONFIG)

signoff: synth-prep
	RSNPU_BUILD_DIR=$(abspath $(BUILD)) synth/signoff.sh $(CONFIG)

fpga: synth-prep
	RSNPU_BUILD_DIR=$(abspath $(BUILD)) synth/fpga/fpga.sh
