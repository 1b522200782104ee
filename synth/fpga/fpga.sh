#!/usr/bin/env bash
# FPGA flows (make fpga):
#   tiny    synth_ice40 -dsp of rsnpu_top and of one PE, each in a serial test wrapper (wrap.py),
#           then nextpnr-ice40 --up5k (SG48): LUT4, flops, SB_MAC16, EBR, routed fmax; a design
#           that does not fit is reported with its numbers and nextpnr's message
#   eyeriss synth_xilinx (7 series) of rsnpu_top: LUT, FF, DSP48E1, BRAM estimates (no place
#           and route)
# Writes build/reports/fpga/{fpga.json,fpga.md} and one log per step; prints the table.
# usage: synth/fpga/fpga.sh   (env RSNPU_BUILD_DIR)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${RSNPU_BUILD_DIR:-$root/build}
out=$build/reports/fpga
mkdir -p "$out"
rtl_list=$build/gen/rtl_sources.txt
[ -f "$rtl_list" ] || { echo "fpga: $rtl_list missing: configure the build first" >&2; exit 1; }
rtl=$(tr '\n' ' ' < "$rtl_list")
for tool in yosys nextpnr-ice40; do
  command -v $tool > /dev/null || { echo "fpga: $tool not found (make deps)" >&2; exit 1; }
done
fail() { echo "fpga: step '$1' failed; log: $2" >&2; exit 1; }
clock_mhz() { sed -nE 's/.*localparam int unsigned ClockMhz = ([0-9]+);.*/\1/p' "$build/gen/$1/rsnpu_pkg.sv"; }

fresh() {  # file: exists and is newer than the RTL, the package and these scripts
  [ -f "$1" ] && [ -z "$(find $rtl "$build/gen" "$here" -newer "$1" -name '*.sv' -o -newer "$1" \
    -name '*.sh' -o -newer "$1" -name '*.py' 2>/dev/null | head -1)" ]
}

ice40() {  # name top: wrapper, synth_ice40, nextpnr-ice40 on the UP5K
  local name=$1 top=$2 pkg=$build/gen/tiny/rsnpu_pkg.sv d=$out/$1 t0
  mkdir -p "$d"
  t0=$(date +%s)
  # Synthesis is reused while up to date (the tiny top takes about 30 minutes).
  if fresh "$d/flow.txt" && [ -f "$d/net.json" ] && [ -f "$d/stat.txt" ]; then
    echo "fpga: $name: synthesis up to date"
  else
    ice40_synth "$name" "$top" "$pkg" "$d"
  fi
  local pnr_rc=0
  nice -n 10 nextpnr-ice40 --up5k --package sg48 --json "$d/net.json" --asc "$d/out.asc" \
    --freq "$(clock_mhz tiny)" --timing-allow-fail --report "$d/pnr.json" \
    > "$d/nextpnr.log" 2>&1 || pnr_rc=$?
  echo "$pnr_rc $(( $(date +%s) - t0 ))" > "$d/status"
}

ice40_synth() {  # name top pkg dir
  local name=$1 top=$2 pkg=$3 d=$4
  yosys -q -l "$d/ports.log" -p "read_verilog -sv $pkg $rtl; hierarchy -top $top; proc; \
      write_json $d/ports.json" > /dev/null 2>&1 || fail "$name ports" "$d/ports.log"
  python3 "$here/wrap.py" --json "$d/ports.json" --top "$top" --out "$d/fpga_wrap.v" \
    > "$d/wrap.log" 2>&1 || fail "$name wrapper" "$d/wrap.log"
  local dsp=-dsp
  rm -f "$d/dsp_note.txt"
  if ! yosys -q -l "$d/yosys.log" -p "read_verilog -sv $pkg $rtl $d/fpga_wrap.v; \
      hierarchy -top fpga_wrap; chformal -remove; synth_ice40 -dsp -top fpga_wrap -json $d/net.json; \
      tee -o $d/stat.txt stat" > /dev/null 2>&1; then
    # Yosys 0.23's DSP inference (ice40_dsp) can die on an assertion; then the multipliers
    # stay in LUTs, and the report says so.
    grep -q "Assert.*ice40_dsp" "$d/yosys.log" || fail "$name synth_ice40" "$d/yosys.log"
    grep -m1 "Assert.*ice40_dsp" "$d/yosys.log" > "$d/dsp_note.txt"
    mv "$d/yosys.log" "$d/yosys_dsp_failed.log"
    dsp=""
    yosys -q -l "$d/yosys.log" -p "read_verilog -sv $pkg $rtl $d/fpga_wrap.v; \
        hierarchy -top fpga_wrap; chformal -remove; synth_ice40 -top fpga_wrap -json $d/net.json; \
        tee -o $d/stat.txt stat" > /dev/null 2>&1 || fail "$name synth_ice40 (no -dsp)" "$d/yosys.log"
  fi
  echo "synth_ice40 $dsp" > "$d/flow.txt"
}

xilinx() {  # name cfg top: synth_xilinx estimates
  local name=$1 cfg=$2 top=$3 d=$out/$1 t0
  mkdir -p "$d"
  if fresh "$d/status"; then
    echo "fpga: $name: synthesis up to date"
    return
  fi
  t0=$(date +%s)
  nice -n 10 yosys -q -l "$d/yosys.log" -p "read_verilog -sv $build/gen/$cfg/rsnpu_pkg.sv $rtl; \
      hierarchy -top $top; chformal -remove; synth_xilinx -family xc7 -top $top; \
      tee -o $d/stat.txt stat" > /dev/null 2>&1 || fail "$name synth_xilinx" "$d/yosys.log"
  echo "0 $(( $(date +%s) - t0 ))" > "$d/status"
}

ice40 tiny_top rsnpu_top
ice40 tiny_pe rsnpu_pe
xilinx eyeriss_top eyeriss rsnpu_top
pes() { local f=$build/gen/$1/rsnpu_pkg.sv r c
  r=$(sed -nE 's/.*localparam int unsigned PeRows = ([0-9]+);.*/\1/p' "$f")
  c=$(sed -nE 's/.*localparam int unsigned PeCols = ([0-9]+);.*/\1/p' "$f")
  echo $(( r * c )); }
python3 "$here/fpga_report.py" --out-dir "$out" --tiny-mhz "$(clock_mhz tiny)" \
  --eyeriss-mhz "$(clock_mhz eyeriss)" --tiny-pes "$(pes tiny)" --eyeriss-pes "$(pes eyeriss)"
