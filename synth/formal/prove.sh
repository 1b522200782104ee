#!/usr/bin/env bash
# Formal proof of a harness' assertions with Yosys + yosys-smtbmc (z3): bounded model check
# from reset (DEPTH cycles) and k-induction (unbounded). Exits non-zero naming the log if a
# property fails or cannot be proved.
# usage: synth/formal/prove.sh CONFIG HARNESS DEPTH OUTDIR [PARAM=VALUE]
#        (HARNESS: a module in synth/formal/; PARAM overrides one of its parameters)
set -euo pipefail
if [ $# -lt 4 ] || [ $# -gt 5 ]; then
  echo "usage: $0 CONFIG HARNESS DEPTH OUTDIR [PARAM=VALUE]" >&2
  exit 2
fi
cfg=$1; harness=$2; depth=$3; out=$4
chparam=""
tag=$harness
if [ $# -eq 5 ]; then
  chparam="chparam -set ${5%%=*} ${5#*=} $harness;"
  tag="${harness}_${5%%=*}${5#*=}"
fi
here=$(cd "$(dirname "$0")" && pwd)
build=${RSNPU_BUILD_DIR:-$(cd "$here/../.." && pwd)/build}
rtl_list=$build/gen/rtl_sources.txt
[ -f "$rtl_list" ] || { echo "prove: $rtl_list missing: configure the build first" >&2; exit 1; }
mkdir -p "$out"
smt=$out/$tag.smt2
srcs="$build/gen/$cfg/rsnpu_pkg.sv $(tr '\n' ' ' < "$rtl_list") $here/$harness.sv"
if ! yosys -q -l "$out/$tag.yosys.log" -p "read_verilog -sv -formal $srcs; $chparam prep -top $harness; \
    async2sync; dffunmap; write_smt2 -wires $smt" > /dev/null 2>&1; then
  echo "prove: Yosys failed for $tag (log: $out/$tag.yosys.log)" >&2
  exit 1
fi
for mode in bmc induction; do
  flags="-t $depth"
  [ "$mode" = induction ] && flags="-i -t $depth"
  log=$out/$tag.$mode.log
  if ! yosys-smtbmc -s z3 $flags "$smt" > "$log" 2>&1; then
    echo "prove: $tag $mode FAILED (log: $log)" >&2
    grep -E 'Assert failed|FAILED|failed' "$log" | head -5 >&2 || true
    exit 1
  fi
  grep -q 'Status: PASSED' "$log" || { echo "prove: $tag $mode: no PASSED status ($log)" >&2; exit 1; }
done
echo "prove: $tag: BMC $depth cycles and $depth-induction PASSED ($out)"
