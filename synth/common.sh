# Shared setup of the synth/ scripts (sourced, not run): paths of the repository, the build
# tree and the liberty, and the RTL file list of a configuration.
# Expects: cfg (configuration name). Sets: here root build lib pkg srcs.
here=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
root=$(cd "$here/.." && pwd)
[ -f "$root/config/hw.json" ] || root=$(cd "$here/../.." && pwd)  # scripts in synth/gls/
build=${RSNPU_BUILD_DIR:-$root/build}  # build tree: generated package, golden library, reports
lib=${RSNPU_LIBERTY:-/usr/share/qflow/tech/osu018/osu018_stdcells.lib}
pkg=$build/gen/$cfg/rsnpu_pkg.sv
# The RTL file list is written by CMake from RSNPU_RTL_SOURCES (one source of truth).
rtl_list=$build/gen/rtl_sources.txt
if [ ! -f "$rtl_list" ]; then
  echo "$(basename "$0"): $rtl_list missing: configure the build first (make build)" >&2
  exit 1
fi
srcs="$pkg $(tr '\n' ' ' < "$rtl_list")"
# Verilator flags of every gate-level build (accel_sim.sh gls/hybrid, the MAC check of
# run_pe_flow.sh). -fno-const-bit-op-tree: Verilator 5.006 (Debian 12) miscompiles XOR/XNOR
# trees of the kind ABC writes (verilator/verilator#4059, fixed upstream in 5.010): the tiny
# top netlist's 16x16 multiplier came out with bit 23 inverted and every gate-level layer
# wrong, while iverilog and Yosys `eval` computed the same netlist correctly.
gls_vflags="-Wno-fatal -Wno-lint -Wno-style -Wno-MULTIDRIVEN -fno-const-bit-op-tree"
# Verilog models of the liberty cells, from their `function` / `ff` groups (qflow's
# osu018_stdcells.v uses UDPs, which Verilator rejects), written to DIR/osu018_cells.v unless
# already newer than the liberty. usage: lib_cell_models DIR (log: DIR/osu018_cells.yosys.log)
lib_cell_models() {
  [ "$1/osu018_cells.v" -nt "$lib" ] || yosys -q -l "$1/osu018_cells.yosys.log" \
    -p "read_liberty -ignore_miss_func $lib; write_verilog -noattr $1/osu018_cells.v" > /dev/null
}
