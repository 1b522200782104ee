#!/usr/bin/env bash
# Synthesize one rsnpu top to the OSU 0.18 um standard cells (qflow-tech-osu018) with Yosys.
# Keeps the hierarchy (per-module area), removes assertions, maps flops and logic to the
# liberty, writes the netlist, the Yosys log and OUTDIR/area.json.
# usage: synth/synth.sh CONFIG TOP OUTDIR
# Fails (naming the log) on a Yosys error, on "implicitly declared" / "no driver" warnings,
# on latches, and on any other Yosys warning except the allow-list below.
set -euo pipefail
if [ $# -ne 3 ]; then
  echo "usage: $0 CONFIG TOP OUTDIR" >&2
  exit 2
fi
cfg=$1; top=$2; out=$3
source "$(dirname "$0")/common.sh"

for f in $srcs "$lib"; do
  if [ ! -f "$f" ]; then
    echo "synth: missing $f (run 'make build' for the package, 'make deps' for the liberty)" >&2
    exit 1
  fi
done
# Clock of the configuration (ClockMhz in the package): ABC maps for that delay target and
# buffers high-fanout nets (without -D it leaves e.g. a spad address bit driving hundreds of
# mux inputs from one minimum-size cell).
clock_mhz=$(sed -nE 's/.*localparam int unsigned ClockMhz = ([0-9]+);.*/\1/p' "$pkg")
if [ -z "$clock_mhz" ]; then
  echo "synth: no ClockMhz in $pkg" >&2
  exit 1
fi
period_ps=$((1000000 / clock_mhz))
# Yosys 0.23's default liberty script (&nf -D) neither buffers nor sizes; this one adds
# ABC's buffering and gate sizing for the delay target (commas become blanks in ABC), and
# restructures for delay first: &syn2, then DSD and SOP balancing (&dsdb, &sopb), which
# shorten the multiplier's XOR chains (PE at 200 MHz: -1.24 ns WNS without them, -0.56 with).
# No &fraig/scorr: SAT sweeping took tens of minutes on the layer controller's multipliers.
# RSNPU_ABC_SCRIPT replaces the script (experiments).
D=$period_ps
abc_script=${RSNPU_ABC_SCRIPT:-"+strash;&get,-n;&syn2;&dsdb;&sopb;&dch,-f;&nf,-D,$D;&put;buffer,-p;upsize,-D,$D;dnsize,-D,$D"}
mkdir -p "$out"
# ABC sees flop outputs and module inputs as primary inputs; without a driving cell it takes
# them as ideal and leaves e.g. a FIFO read pointer driving its whole read mux (2 pF, 1.8 ns).
# INVX1 is about as strong as the Q output of DFFPOSX1.
printf 'set_driving_cell INVX1\nset_load 0.02\n' > "$out/abc.constr"
log=$out/$top.yosys.log
net=$out/$top.netlist.v

# read without -formal; the immediate assertions still become $assert cells (and $past
# flops) in proc, so chformal -remove drops them before synthesis; opt_clean in synth then
# deletes the logic that only fed them.
# SRAM macros: the derived rsnpu_sram modules (their Words/DataW, via a JSON copy of just
# those modules) go to sram_macros.py, which writes macros.ys: every rsnpu_sram of at least
# min_macro_bits (synth/sram_model.json) becomes a black box rsnpu_sram_<W>x<D> with an
# estimated liberty cell (sram_macros.lib) for stat and STA.
# MAC: the PE's multiplier and accumulator adder (the cells driving s2_prod_d and acc_sum)
# move into their own module rsnpu_pe_mac so the report shows the MAC area.
rm -f "$out/macros.ys" "$out/rename.ys"
mac=""
case "$top" in
  rsnpu_pe|rsnpu_pe_array|rsnpu_top)
    mac="memory -nomap
select -set mac rsnpu_pe/w:s2_prod_d %ci1 rsnpu_pe/t:\$mul %i rsnpu_pe/w:acc_sum %ci1 rsnpu_pe/t:\$add %i %u
select -assert-count 2 @mac
submod -name rsnpu_pe_mac @mac" ;;
esac
script="read_verilog -sv $srcs
hierarchy -check -top $top
design -save rtl
delete A:hdlname=\\rsnpu_sram %n
proc
write_json $out/srams.json
design -load rtl
!python3 $here/sram_macros.py --yosys-json $out/srams.json --model $here/sram_model.json --out-dir $out
script $out/macros.ys
proc
chformal -remove
opt_clean
$mac
synth -top $top -run begin:fine
techmap -autoproc -map +/techmap.v -map $here/techmap/lcu_kogge_stone.v
synth -top $top -run fine:
dfflibmap -liberty $lib
abc -D $period_ps -liberty $lib -constr $out/abc.constr -script $abc_script
opt_clean -purge
tee -q -o $out/modules.txt ls
!python3 $here/rename_modules.py $out/modules.txt $out/rename.ys
script $out/rename.ys
read_liberty -lib $lib
check -assert
tee -o $out/$top.stat.txt stat -liberty $lib -liberty $out/sram_macros.lib
tee -q -o $out/$top.stat.json stat -json
write_verilog -noattr -noexpr -simple-lhs $net"

# A script file (not -p): Yosys runs `!` shell lines only from scripts.
echo "$script" > "$out/$top.ys"
if ! yosys -l "$log" -q -s "$out/$top.ys" >/dev/null 2>&1; then
  echo "synth: Yosys failed for $top ($cfg); log: $log" >&2
  grep -E 'ERROR|Error' "$log" | head -20 >&2 || true
  exit 1
fi
bad=$(grep -nE 'implicitly declared|no driver|^Latch inferred' "$log" || true)
if [ -n "$bad" ]; then
  echo "synth: forbidden warnings for $top ($cfg); log: $log" >&2
  echo "$bad" | head -20 >&2
  exit 1
fi
# Any other Yosys warning fails too. Allowed: Yosys' note that an internal wire array
# becomes a list of registers (the intent), and ABC's informational warnings.
allowed='Replacing memory .* with list of registers'
nwarn=$(grep -E '^Warning:' "$log" | grep -cvE "$allowed" || true)
if [ "$nwarn" != "0" ]; then
  echo "synth: $nwarn Yosys warning(s) for $top ($cfg); log: $log" >&2
  grep -A2 -E '^Warning:' "$log" | grep -vE "$allowed" | head -20 >&2
  exit 1
fi
# A latch cell (library LATCH or a generic $_DLATCH_) in the netlist is an error as well.
if grep -qE '^\s*(LATCH|\\\$_DLATCH)' "$net"; then
  echo "synth: latch cell in the netlist $net" >&2
  exit 1
fi

python3 "$here/area_report.py" --liberty "$lib" --stat "$out/$top.stat.json" --stat-text "$out/$top.stat.txt" \
  --netlist "$net" --top "$top" --config "$cfg" --macros "$out/sram_macros.json" --out "$out/area.json"
echo "synth: $top ($cfg) netlist $net, log $log, area $out/area.json"
