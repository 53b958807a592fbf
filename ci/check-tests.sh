#!/usr/bin/env bash
# Runs the Maven build with all tests, then reads the surefire reports of every test execution
# (ci/test-summary.py): prints the counts, and fails if they differ from Maven's own totals, if
# no OpenCL test ran, or if OpenCL is required (CONVCL_REQUIRE_OPENCL=1) and any OpenCL test was
# skipped (a test of a class named OpenCl..., or a case of a backend-parameterised test named
# "[opencl] ..."). The summary is printed even when Maven fails.
set -euo pipefail
cd "$(dirname "$0")/.."
# Reports of an earlier run (a class run alone, a renamed test) would be counted again.
rm -rf target/surefire-reports*
mkdir -p target
set +e
mvn -B -ntp -Dstyle.color=never verify 2>&1 | tee target/mvn-verify.log
mvn_status=${PIPESTATUS[0]}
set -e
echo
summary_status=0
python3 ci/test-summary.py target/mvn-verify.log target || summary_status=$?
if [ "$mvn_status" != 0 ]; then
  echo "FAIL: Maven exited with $mvn_status (a failed test, a crashed test JVM or a build error: see above);" \
    "the counts above cover only the tests that reported"
  exit "$mvn_status"
fi
exit "$summary_status"
