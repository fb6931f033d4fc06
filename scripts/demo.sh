#!/usr/bin/env bash
# The main job, end to end: import SqueezeNet 1.1, quantize it to int8, run the golden model on
# an image and print top-5 with per-layer figures; then generate the 16x16 engine's RTL for the
# network and run the whole network on it in Verilator (input and weights in simulated DRAM),
# every layer compared bit for bit with the golden model; then compress it (Deep Compression
# pruning and weight sharing, EIE-coded) and run it on the emulated 16x16 board (the board RTL in
# Verilator, its UART behind a pseudo-terminal, driven by the host driver), logits checked element
# by element against the golden model.
#   scripts/demo.sh [MODEL.onnx] [IMAGE]
# With ../shared/data present it uses the real ONNX weights, ImageNet calibration images and
# cat.jpg; otherwise (fresh clone, no data) the built-in network with seeded weights and a
# generated image, and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

data="${ACCEL_SHARED_DATA:-../shared/data}"
model="${1:-}"
image="${2:-}"
if [[ -z $model && -f $data/models/squeezenet1_1.onnx ]]; then model="$data/models/squeezenet1_1.onnx"; fi
if [[ -z $image && -f $data/images/cat.jpg ]]; then image="$data/images/cat.jpg"; fi
mkdir -p out

echo "== network: SqueezeNet 1.1 layers, parameters and MACs"
scripts/accel info squeezenet1_1

if [[ -n $model ]]; then
  echo
  echo "== quantize $model to int8 (calibrated on ImageNet dev images when present)"
  scripts/accel quantize "$model" -o out/demo.q8
  echo
  echo "== int8 golden model (ILGPU) on ${image:-a generated image}, compared layer by layer with the float model"
  scripts/accel golden out/demo.q8 ${image:+--image "$image"} --reference "$model" --dump out/demo-layers
else
  echo
  echo "== no ONNX model given and $data is absent: built-in squeezenet1_1 with seeded weights, synthetic calibration and a generated image"
  scripts/accel quantize squeezenet1_1 -o out/demo.q8 --calibration-count 4
  scripts/accel golden squeezenet1_1 --calibration-count 4 --dump out/demo-layers
fi
echo
echo "per-layer int8 outputs written to out/demo-layers"

echo
echo "== RTL: schedule SqueezeNet 1.1 on a 16x16 engine and emit its Verilog"
scripts/accel gen squeezenet1_1 --rows 16 --cols 16 -o out/rtl-16x16 --report out/rtl-16x16/report.md
echo
echo "== co-simulation: the whole network in Verilator through simulated DRAM, every layer against the golden model"
scripts/accel cosim out/demo.q8 --rows 16 --cols 16 ${image:+--image "$image"}
echo
echo "== compress: prune, share weights and EIE-code the int8 model (SqueezeNet 1.1's default densities)"
scripts/accel compress "${model:-out/demo.q8}" --bits 6 --huffman -o out/demo.eie
echo
echo "== board link: the compressed model on the emulated 16x16 board over a pseudo-terminal (weights stream 4 frames ahead),"
echo "   logits compared element by element with the golden model"
scripts/accel run --board emu --model out/demo.eie ${image:+--image "$image"} --rows 16 --cols 16 --check
