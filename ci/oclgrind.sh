#!/usr/bin/env bash
# Memory safety of the OpenCL kernels: runs the kernel cross-check (OclgrindKernelCheck: the tiny
# problems of src/test/resources/kernel-coverage.txt, which together reach every file in
# opencl-kernels/) on oclgrind's simulated device with --check-api --data-races, and fails on any
# invalid memory access, OpenCL API error, data race or oclgrind warning in its log, on a wrong
# result, or on a kernel file that no problem reached. Installs oclgrind when it is missing and
# we may install packages. Takes about a minute (oclgrind interprets kernels, ~100x slower).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v oclgrind >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null; then
    CONVCL_WITH_OCLGRIND=1 bash ci/install-opencl.sh
  else
    echo "ci/oclgrind.sh: FAIL: oclgrind is not installed and we may not install it" >&2
    exit 1
  fi
fi
mvn -B -q -ntp test-compile dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile=target/oclgrind-classpath.txt
cp="target/test-classes:target/classes:$(cat target/oclgrind-classpath.txt)"
log=target/oclgrind.log
rm -f "$log"
status=0
# No guard bytes here: oclgrind checks accesses against the allocation, which a guard would widen.
POCL_SIGFPE_HANDLER=0 oclgrind --check-api --data-races --log "$log" \
    java -cp "$cp" -Dconvcl.opencl.guardBytes=0 dev.convcl.opencl.OclgrindKernelCheck || status=$?
touch "$log"
if grep -qiE 'invalid (read|write)|data race|runtime error|out-of-bounds|uninitiali|error|warning' "$log"; then
  echo "ci/oclgrind.sh: FAIL: oclgrind reported problems:" >&2
  head -n 80 "$log" >&2
  exit 1
fi
if [ "$status" != 0 ]; then
  echo "ci/oclgrind.sh: FAIL: the kernel check exited with status $status" >&2
  exit 1
fi
echo "ci/oclgrind.sh: OK: no invalid access, API error or data race reported"
