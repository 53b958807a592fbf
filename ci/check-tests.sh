#!/usr/bin/env bash
# Runs the test command that README.md shows, then reads the surefire reports: fails if no
# OpenCL test ran, or if any test that needs OpenCL was skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -ntp verify
python3 - <<'PY'
import glob, sys, xml.etree.ElementTree as ET
total = skipped = ocl_run = ocl_skipped = 0
for f in glob.glob("target/surefire-reports/TEST-*.xml"):
    for case in ET.parse(f).getroot().iter("testcase"):
        total += 1
        is_ocl = "OpenCl" in case.get("classname", "") or "OpenCl" in case.get("name", "")
        sk = case.find("skipped") is not None
        skipped += sk
        if is_ocl:
            ocl_run += not sk
            ocl_skipped += sk
print(f"ci: {total} tests, {skipped} skipped; OpenCL tests: {ocl_run} ran, {ocl_skipped} skipped")
if ocl_run == 0 or ocl_skipped:
    print("ci: FAIL: the OpenCL tests must run on the POCL device, none skipped")
    sys.exit(1)
PY
