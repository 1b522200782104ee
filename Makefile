# rsnpu: the two commands are `make run` and `make test`. See README.md.
BUILD     ?= build
JOBS      ?= 2
CMAKE_ARGS ?= -DCMAKE_BUILD_TYPE=Release
CTEST     := ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

.PHONY: all help deps configure build run regress test test-unit test-rtl lint clean synth

all: build

help:
	@echo "make run        install missing packages, build, run networks/tiny_cnn.json on the eyeriss RTL"
	@echo "make regress    longer regressions: PE jobs, array passes, 500 random layers (tiny)"
	@echo "make test       install missing packages, build, run the test suite (CI): labels unit, rtl, lint, synth, formal"
	@echo "make build      configure and build everything into $(BUILD)/"
	@echo "make lint       Verilator -Wall lint and Yosys structural check of the RTL"
	@echo "make test-unit  golden model and configuration tests only"
	@echo "make test-rtl   PE RTL tests only"
	@echo "make deps       check/install the Debian packages"
	@echo "make synth      PE synthesis, timing and gate-level sim (CONFIG=tiny|eyeriss)"
	@echo "make clean      remove $(BUILD)/"

deps:
	@scripts/deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) $(CMAKE_ARGS)

configure: deps
	cmake -S . -B $(BUILD) $(CMAKE_ARGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

NETWORK ?= networks/tiny_cnn.json
run: build
	$(BUILD)/rsnpu run $(NETWORK) --config eyeriss --json $(BUILD)/reports/run_$(notdir $(basename $(NETWORK))).json

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

lint: build
	$(CTEST) -L lint

clean:
	rm -rf $(BUILD)

# PE implementation flow (synth/README.md): Yosys + OpenSTA + iverilog gate-level simulation.
CONFIG ?= tiny
synth: build
	RSNPU_BUILD_DIR=$(abspath $(BUILD)) synth/run_pe_flow.sh $(CONFIG)
