#!/usr/bin/env bash
# The ONNX Runtime peer's own tests (peers/onnxruntime: each one-node model against convcl's
# reference, bench runs with the peer on layers and whole networks). convcl's suite cannot hold
# them (the library does not depend on ONNX Runtime), and left out of the test command they went
# stale unseen. peers/pom.xml builds convcl (its tests filtered out here) and the peer together;
# the first run fetches ONNX Runtime's jar (about 50 MB) from Maven Central. Fails unless every
# peer test ran and passed.
set -euo pipefail
cd "$(dirname "$0")/.."
reports=peers/onnxruntime/target/surefire-reports
rm -rf "$reports"
mkdir -p target
set +e
mvn -B -ntp -Dstyle.color=never -f peers/pom.xml test -Dtest=OnnxRuntimePeerTest \
  -Dsurefire.failIfNoSpecifiedTests=false > target/mvn-peers.log 2>&1
status=$?
set -e
grep -E 'Tests run:|FAIL|BUILD' target/mvn-peers.log | grep -v '^\[INFO\] *$' || true
ran=$(cat "$reports"/TEST-*.xml 2>/dev/null | grep -o 'tests="[0-9]*"' | head -1 | grep -o '[0-9]*' || echo 0)
if [ "$status" != 0 ] || [ "${ran:-0}" = 0 ]; then
  echo "FAIL: the ONNX Runtime peer's tests (Maven exit $status, ${ran:-0} tests reported; see target/mvn-peers.log)"
  exit 1
fi
echo "peer tests: $ran ran, all passed (peers/onnxruntime)"
