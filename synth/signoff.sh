#!/usr/bin/env bash
# Sign-off of one configuration (make signoff CONFIG=...): lint and the Yosys structural checks,
# the PE flow (synthesis, STA, iverilog gate-level simulation with the OSU cell models), the
# top flow (synthesis with SRAM macros, STA, power from measured activity), the gate-level
# simulation of the whole accelerator (tiny netlist in Verilator against the RTL and the golden
# model) and a regression smoke on the RTL. Every step runs even when an earlier one failed (a
# step that depends on a failed one is reported as not run); signoff.py prints the checklist
# and writes build/reports/signoff_CONFIG.{json,md}. Exits non-zero on any failure.
# usage: synth/signoff.sh CONFIG   (env RSNPU_BUILD_DIR; RSNPU_GLS_LAYERS, 20)
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 CONFIG" >&2
  exit 2
fi
cfg=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${RSNPU_BUILD_DIR:-$root/build}
export RSNPU_BUILD_DIR=$build
if [ ! -f "$build/gen/$cfg/rsnpu_pkg.sv" ]; then
  known=$(ls "$build/gen" 2>/dev/null | grep -v include | grep -v '\.' | tr '\n' ' ' || true)
  echo "signoff: unknown configuration '$cfg' (known: ${known:-none; configure the build first})" >&2
  exit 2
fi
out=$build/reports/signoff/$cfg
mkdir -p "$out"
steps=$out/steps.tsv
: > "$steps"
layers=${RSNPU_GLS_LAYERS:-20}

run() {  # name log command...: runs the step, records name, exit code, seconds, log
  local name=$1 slog=$2 t0 rc=0
  shift 2
  echo "signoff: $name ..."
  t0=$(date +%s)
  "$@" > "$out/$name.out" 2>&1 || rc=$?
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$rc" "$(( $(date +%s) - t0 ))" "$slog" "$out/$name.out" >> "$steps"
  if [ "$rc" != 0 ]; then
    echo "signoff: step '$name' failed (exit $rc); log: $slog" >&2
    tail -5 "$out/$name.out" >&2 || true
  fi
}

run lint "$build/Testing/Temporary/LastTest.log" \
  ctest --test-dir "$build" --output-on-failure -L lint -R "\\.$cfg\$"
run pe_flow "$build/reports/synth/$cfg/gls.log" "$here/run_pe_flow.sh" "$cfg"
run top_flow "$build/reports/synth/$cfg/top/rsnpu_top.yosys.log" "$here/run_top_flow.sh" "$cfg" --power
run top_gls "$build/reports/synth/tiny/top/gls_top.log" "$here/run_top_gls.sh" tiny 1 "$layers"
act=$build/reports/synth/tiny/activity
run regression "$out/regression.out" bash -c "'$here/accel_sim.sh' tiny rtl '$act' && \
  '$act/accel_rtl' layer-regress 1001 $layers '$out/regression.json'"
python3 "$here/signoff.py" --config "$cfg" --build "$build" --steps "$steps" \
  --json "$build/reports/signoff_$cfg.json" --md "$build/reports/signoff_$cfg.md"
