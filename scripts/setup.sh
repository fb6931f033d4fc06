#!/usr/bin/env bash
# Installs what the kit needs that a fresh Debian machine may lack. Idempotent and quiet when
# everything is present. Verilator and yosys are for RTL lint, co-simulation and synthesis.
set -euo pipefail

need=()
command -v verilator >/dev/null 2>&1 || need+=(verilator)
command -v yosys >/dev/null 2>&1 || need+=(yosys)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v make >/dev/null 2>&1 || need+=(make)

if (( ${#need[@]} )); then
  echo "setup: installing ${need[*]} with apt-get" >&2
  SUDO=""
  [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null; }; then
    echo "setup: warning: could not install ${need[*]}; tests that need them will be skipped" >&2
  fi
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: error: the .NET SDK (dotnet, version 10) is required and is not on PATH" >&2
  exit 1
fi
