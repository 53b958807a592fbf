#!/usr/bin/env bash
# Installs an OpenCL CPU device (POCL) and the ICD loader when no OpenCL device is present.
# JOCL opens "libOpenCL.so" by that exact name, which Debian ships in ocl-icd-opencl-dev.
set -euo pipefail
need=()
command -v clinfo >/dev/null 2>&1 || need+=(clinfo)
[ -e /usr/lib/x86_64-linux-gnu/libOpenCL.so ] || [ -e /usr/lib/libOpenCL.so ] || need+=(ocl-icd-opencl-dev ocl-icd-libopencl1)
if ! ls /etc/OpenCL/vendors/*.icd >/dev/null 2>&1; then
  need+=(pocl-opencl-icd)
fi
if [ "${CONVCL_WITH_OCLGRIND:-0}" = 1 ] && ! command -v oclgrind >/dev/null 2>&1; then
  need+=(oclgrind)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "ci/install-opencl.sh: installing ${need[*]}"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
clinfo -l || true
