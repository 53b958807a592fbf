#!/usr/bin/env bash
# Runs the Maven build with all tests, then reads the surefire reports: fails if no OpenCL test
# ran, or if OpenCL is required (CONVCL_REQUIRE_OPENCL=1) and any OpenCL test was skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -ntp -Dstyle.color=never verify
echo
python3 - <<'PY'
import glob, os, sys, xml.etree.ElementTree as ET
total = skipped = failed = ocl_run = ocl_skipped = 0
for f in glob.glob("target/surefire-reports/TEST-*.xml"):
    for case in ET.parse(f).getroot().iter("testcase"):
        total += 1
        is_ocl = "OpenCl" in case.get("classname", "")
        sk = case.find("skipped") is not None
        bad = case.find("failure") is not None or case.find("error") is not None
        skipped += sk
        failed += bad
        if is_ocl:
            ocl_run += not sk
            ocl_skipped += sk
print(f"tests: {total - skipped - failed} passed, {failed} failed, {skipped} skipped")
print(f"OpenCL tests: {ocl_run} ran, {ocl_skipped} skipped")
if os.environ.get("CONVCL_REQUIRE_OPENCL") == "1" and (ocl_run == 0 or ocl_skipped):
    print("FAIL: CONVCL_REQUIRE_OPENCL=1: the OpenCL tests must run on an OpenCL device, none skipped")
    sys.exit(1)
PY
