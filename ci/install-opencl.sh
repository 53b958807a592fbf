#!/usr/bin/env bash
# Installs an OpenCL CPU device (POCL) and the ICD loader when no OpenCL device is present.
# The loader's runtime package (libOpenCL.so.1) is enough: the library reaches it under the name
# JOCL opens, libOpenCL.so, by itself, so the development package (ocl-icd-opencl-dev) is not needed.
set -euo pipefail
need=()
command -v clinfo >/dev/null 2>&1 || need+=(clinfo)
has_loader() {
  local ldc
  for ldc in "$(command -v ldconfig 2>/dev/null || true)" /sbin/ldconfig /usr/sbin/ldconfig; do
    if [ -n "$ldc" ] && [ -x "$ldc" ]; then
      "$ldc" -p 2>/dev/null | grep -q 'libOpenCL\.so\.1 '
      return
    fi
  done
  # any one of them (ls of several paths fails when one is missing, even if another is there)
  local f
  for f in /usr/lib/*/libOpenCL.so.1 /usr/lib64/libOpenCL.so.1 /usr/lib/libOpenCL.so.1; do
    [ -e "$f" ] && return 0
  done
  return 1
}
has_loader || need+=(ocl-icd-libopencl1)
if ! ls /etc/OpenCL/vendors/*.icd >/dev/null 2>&1; then
  need+=(pocl-opencl-icd)
fi
if [ "${CONVCL_WITH_OCLGRIND:-0}" = 1 ] && ! command -v oclgrind >/dev/null 2>&1; then
  need+=(oclgrind)
fi
if [ ${#need[@]} -gt 0 ]; then
  bash "$(dirname "$0")/apt-install.sh" ci/install-opencl.sh "${need[@]}"
fi
clinfo -l || true
