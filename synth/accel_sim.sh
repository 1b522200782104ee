#!/usr/bin/env bash
# Builds a Verilator simulation of the whole accelerator for the implementation flow, driven by
# the unmodified host code of the rsnpu CLI (tb/accel_cmds.cpp, tb/accel_run.cpp: seeded random
# layers and networks, bit-exact comparison with the golden model); see synth/gls/.
#   KIND gls: the mapped netlist OUTDIR/rsnpu_top.netlist.v (from synth.sh) with Verilog models
#             of the OSU 0.18 um cells written by Yosys from the liberty's cell functions
#             (osu018_stdcells.v uses UDPs, which Verilator rejects) and the SRAM macro models
#   KIND rtl: the RTL with FST waveforms (activity for the power analysis)
#   KIND hybrid: the RTL with the instances named in RSNPU_GLS_INSTANCES (`u_array u_dma` in
#             the top, `rsnpu_pe_array.u_pe` deeper) replaced by their netlists from
#             OUTDIR/rsnpu_top.netlist.v: bisects a gate-level mismatch to a block
#             (synth/gls/hybrid.py); with RSNPU_GLS_LOCKSTEP=1 the netlist runs beside the
#             RTL instead and every output difference is printed with its time
# Writes OUTDIR/accel_<KIND> and OUTDIR/accel_<KIND>.build.log.
# usage: synth/accel_sim.sh CONFIG gls|rtl|hybrid OUTDIR
set -euo pipefail
if [ $# -ne 3 ]; then
  echo "usage: $0 CONFIG gls|rtl|hybrid OUTDIR" >&2
  exit 2
fi
cfg=$1; kind=$2; out=$(mkdir -p "$3" && cd "$3" && pwd)
source "$(dirname "$0")/common.sh"
log=$out/accel_$kind.build.log
mkdir -p "$out"
touch "$log"
fail() { echo "accel_sim: $1 ($cfg, $kind); log: $log" >&2; exit 1; }

for f in "$build/tb/librsnpu_host.a" "$build/sim/librsnpu_axi_dram.a" \
         "$build/golden/librsnpu_golden.a" "$build/gen/include/rsnpu/hw_configs.h"; do
  [ -f "$f" ] || { echo "missing $f: build the targets rsnpu_host rsnpu_axi_dram" >> "$log";
                   fail "missing $f"; }
done
command -v verilator > /dev/null || fail "verilator not found (make deps)"

case "$kind" in
  gls|hybrid)
    net=$out/rsnpu_top.netlist.v
    [ -f "$net" ] || fail "missing netlist $net (synth/synth.sh $cfg rsnpu_top $out)"
    lib_cell_models "$out" >> "$log" 2>&1 \
      || fail "yosys could not write the cell models ($out/osu018_cells.yosys.log)"
    vsrcs="$net $out/osu018_cells.v $out/sram_macros.v"
    if [ "$kind" = hybrid ]; then
      [ -n "${RSNPU_GLS_INSTANCES:-}" ] || fail "RSNPU_GLS_INSTANCES is empty (e.g. 'u_array')"
      hyb=$out/hybrid
      mkdir -p "$hyb"
      rm -f "$hyb"/*.sv
      # shellcheck disable=SC2086
      python3 "$here/gls/hybrid.py" ${RSNPU_GLS_LOCKSTEP:+--lockstep} "$net" "$root/rtl" "$hyb" \
        $RSNPU_GLS_INSTANCES || fail "hybrid.py failed"
      vsrcs=""
      for f in $srcs; do
        [ -f "$hyb/$(basename "$f")" ] && f=$hyb/$(basename "$f")
        vsrcs="$vsrcs $f"
      done
      vsrcs="$vsrcs $hyb/gl_netlist.v"
      [ -f "$hyb/lockstep.sv" ] && vsrcs="$vsrcs $hyb/lockstep.sv"
      vsrcs="$vsrcs $out/osu018_cells.v $out/sram_macros.v $root/rtl/verilator.vlt"
      vsrcs="$vsrcs $root/rtl/lint.vlt"
    fi
    vflags=$gls_vflags  # common.sh: with -fno-const-bit-op-tree (a Verilator 5.006 bug)
    # About 100 MB of C++ for the tiny netlist: -O0 compiles it several times faster than
    # Verilator's default -Os, and the gate-level runs are short.
    mflags="OPT_FAST=-O0 OPT_SLOW=-O0"
    # The harness (sim/include/rsnpu/sim/simulation.h) refers to Verilator's FST writer even
    # when the model has no tracing: link it.
    extra="$(verilator --getenv VERILATOR_ROOT)/include/verilated_fst_c.cpp"
    extra_ld="-lz"
    ;;
  rtl)
    vsrcs=$srcs
    vflags="-Wno-fatal --trace-fst --trace-structs $root/rtl/verilator.vlt $root/rtl/lint.vlt"
    mflags=""
    extra=""
    extra_ld=""
    ;;
  *) fail "unknown kind '$kind'" ;;
esac

# Up to date: nothing it is built from is newer than the executable.
exe=$out/accel_$kind
# A hybrid build always rebuilds: its sources are regenerated for each instance list.
if [ "$kind" != hybrid ] && [ -x "$exe" ] && [ -z "$(find $vsrcs "$here/gls" "$root/tb" \
     "$root/sim/include" "$build/tb/librsnpu_host.a" "$build/golden/librsnpu_golden.a" \
     -newer "$exe" 2>/dev/null)" ]; then
  echo "accel_sim: $exe is up to date"
  exit 0
fi
obj=$out/obj_$kind
prefix=Vaccel_${kind}_$cfg
cflags="-std=c++20 -O1 -DRSNPU_SIM_MODEL=$prefix -DRSNPU_SIM_MODEL_HEADER=\\\"$prefix.h\\\""
cflags="$cflags -DRSNPU_SIM_CONFIG_CONST=k_$cfg -DRSNPU_SIM_CONFIG_NAME=\\\"$cfg\\\""
# synth/gls/include first: its rsnpu/rtl_models.h replaces the generated one.
cflags="$cflags -I$here/gls/include -I$root/tb -I$root/sim/include -I$root/golden/include"
cflags="$cflags -I$build/gen/include -I/usr/include/eigen3"
ldflags="$build/tb/librsnpu_host.a $build/sim/librsnpu_axi_dram.a $build/golden/librsnpu_golden.a"
ldflags="$ldflags -lfmt $extra_ld"
t0=$(date +%s)
: > "$log"
# shellcheck disable=SC2086
nice -n 10 verilator --cc --exe --build -j 1 --top-module rsnpu_top --prefix "$prefix" \
  -Mdir "$obj" -o "$out/accel_$kind" --x-assign unique --x-initial unique -O3 $vflags \
  ${mflags:+-MAKEFLAGS "$mflags"} \
  -CFLAGS "$cflags" -LDFLAGS "$ldflags" $vsrcs \
  "$here/gls/accel_sim_main.cpp" "$root/tb/accel_cmds.cpp" "$root/tb/accel_run.cpp" \
  "$root/tb/cli_report.cpp" $extra >> "$log" 2>&1 || fail "verilator build failed"
[ -x "$out/accel_$kind" ] || fail "no executable $out/accel_$kind"
echo "accel_sim: $out/accel_$kind built in $(( $(date +%s) - t0 )) s (log $log)"
