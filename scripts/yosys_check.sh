#!/usr/bin/env bash
# Yosys parse and structural check of the RTL, as a quality gate.
# Fails on any Yosys error, on "implicitly declared" or "no driver" warnings (Yosys 0.23
# silently mis-reads some constructs and only warns, see ../shared/TOOLCHAIN.md), on latches,
# and on any problem `check -assert` finds (multiple drivers, combinational loops).
# usage: yosys_check.sh TOP LOGFILE file.sv...
set -euo pipefail
top=$1; log=$2; shift 2
mkdir -p "$(dirname "$log")"
# Yosys 0.23 reads a unary operator right before a size cast as applying to the size:
# ~N'(x) becomes (~N)'(x) and -N'(x) becomes (-N)'(x), silently (measured: 16'(~48'(3)) is 3).
# Refuse the construct in the sources; write ~(N'(x)) or a literal mask instead.
unary_cast=$(grep -nE "(^|[^A-Za-z0-9_)[:space:]]|[(=,?:&|^][[:space:]]*)[~!-][[:space:]]*[A-Za-z0-9_]+'\(" \
  $(printf '%s\n' "$@" | grep -E '\.sv$') 2>/dev/null | grep -vE "^[^:]+:[0-9]+:[[:space:]]*//" || true)
if [ -n "$unary_cast" ]; then
  echo "yosys_check: a unary operator before a size cast (Yosys 0.23 applies it to the size):" >&2
  echo "$unary_cast" >&2
  exit 1
fi
if ! yosys -l "$log" -q -p "read_verilog -sv $*; hierarchy -check -top $top; proc; opt_clean; check -assert" \
    >/dev/null 2>&1; then
  echo "yosys_check: Yosys failed on top '$top'; log: $log" >&2
  grep -E 'ERROR|Error' "$log" | head -20 >&2 || true
  exit 1
fi
bad=$(grep -nE 'implicitly declared|no driver|^Latch inferred' "$log" || true)
if [ -n "$bad" ]; then
  echo "yosys_check: forbidden warnings for top '$top' (log: $log):" >&2
  echo "$bad" >&2
  exit 1
fi
# Every other warning fails too, except Yosys' note that an internal unpacked wire array
# (e.g. the per-PE psum wires of the array) becomes a list of wires: that is the intent.
allowed='Replacing memory .* with list of registers'
nwarn=$(grep -E '^Warning:' "$log" | grep -cvE "$allowed" || true)
if [ "$nwarn" != "0" ]; then
  echo "yosys_check: $nwarn Yosys warning(s) for top '$top' (log: $log):" >&2
  grep -A2 -E '^Warning:' "$log" | grep -vE "$allowed" >&2
  exit 1
fi
echo "yosys_check: $top clean (log: $log)"
