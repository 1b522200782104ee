#!/usr/bin/env bash
# Checks that every Debian package rsnpu needs is installed; installs the missing ones with
# apt-get when run as root, otherwise prints the exact command and fails.
# usage: scripts/deps.sh [extra-package...]
set -euo pipefail

packages=(
  build-essential cmake make        # C++ toolchain and build
  verilator                         # RTL -> C++ model (5.006 on Debian 12)
  yosys                             # RTL parse/structural checks, synthesis
  libeigen3-dev                     # golden model
  libfmt-dev libcli11-dev nlohmann-json3-dev  # CLI, tables, JSON reports
  libgtest-dev                      # unit and RTL tests
  zlib1g-dev                        # FST waveforms (Verilator's FST writer)
  python3                           # small helper scripts
  opensta qflow-tech-osu018 iverilog  # synth/ flow: static timing, OSU 0.18 um cells, gate-level sim
  z3                                # formal proofs (yosys-smtbmc -s z3)
  gtkwave                           # fst2vcd: switching activity for the power analysis (synth/)
  nextpnr-ice40 fpga-icestorm       # make fpga: iCE40 place and route, timing (icetime)
  dataset-fashion-mnist gnuplot-nox # quantization studies: the data set and the plots
)
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#packages[@]} packages present"
  exit 0
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing Debian packages: ${missing[*]}" >&2
  echo "deps: run as root:  apt-get update && $cmd" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "deps: installed ${#missing[@]} package(s)"
