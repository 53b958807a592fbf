#!/usr/bin/env bash
# Installs what scripts/perf-report needs beyond the test command's OpenCL runtime, where it is
# missing, with apt (Debian): the OpenCL headers and loader link (ocl-icd-opencl-dev) that
# bench/pocl_split.c, the kernel-floor probe, builds against; a C compiler for it and for
# bench/fma_limit.c (gcc); and the Python packages of the PyTorch peer and of the networks'
# models (python3-torchvision with the threaded OpenBLAS it wants, python3-onnx, python3-skimage
# for the real photos). Each package is named before it is installed; nothing is removed.
# --no-networks: not the models' packages (python3-onnx, python3-skimage), for a report without
# whole networks (scripts/perf-report --networks none).
set -euo pipefail
networks=1
case "${1:-}" in
  "") ;;
  --no-networks) networks=0 ;;
  *) echo "ci/install-report-tools.sh: unknown argument $1 (only --no-networks)" >&2; exit 2 ;;
esac
need=()
have_header() {
  local d
  for d in /usr/include /usr/local/include; do
    [ -r "$d/CL/cl.h" ] && return 0
  done
  return 1
}
have_loader_link() {
  local f
  for f in /usr/lib/*/libOpenCL.so /usr/lib64/libOpenCL.so /usr/lib/libOpenCL.so; do
    [ -e "$f" ] && return 0
  done
  return 1
}
{ have_header && have_loader_link; } || need+=(ocl-icd-opencl-dev)
command -v cc >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || need+=(gcc libc6-dev)
# The interpreter the PyTorch peer and scripts/perf-report run: Debian's, not whichever python3 a
# virtual environment or pyenv puts first on the PATH.
py=/usr/bin/python3
if [ -x "$py" ]; then
  "$py" -c 'import torch, torchvision' >/dev/null 2>&1 || need+=(python3-torchvision libopenblas0-pthread)
  if [ "$networks" = 1 ]; then
    "$py" -c 'import onnx' >/dev/null 2>&1 || need+=(python3-onnx)
    "$py" -c 'import skimage' >/dev/null 2>&1 || need+=(python3-skimage)
  fi
else
  need+=(python3 python3-torchvision libopenblas0-pthread)
  [ "$networks" = 0 ] || need+=(python3-onnx python3-skimage)
fi
if [ ${#need[@]} -gt 0 ]; then
  bash "$(dirname "$0")/apt-install.sh" ci/install-report-tools.sh "${need[@]}"
fi
