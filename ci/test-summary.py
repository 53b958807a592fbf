#!/usr/bin/env python3
"""The test summary of a Maven run: counts the surefire reports of every execution (each writes
its own folder, target/surefire-reports*), checks them against the totals Maven itself printed
for each execution, and checks that the OpenCL tests ran where required.

usage: ci/test-summary.py MAVEN_LOG [TARGET_DIR]

An OpenCL test is a case of a class whose name contains "OpenCl" (OpenClLeakTest, ...) or a
case parameterised by backend whose name carries "[opencl]" (dev.convcl.testing.Target names
them so; the surefire reports name cases by their display names, see pom.xml).

Exit 1 if the report counts differ from Maven's totals (a report folder the summary does not
read, or stale reports of an earlier run), or if CONVCL_REQUIRE_OPENCL=1 and an OpenCL test was
skipped or none ran. Failing tests themselves are Maven's to report (its exit status)."""
import glob, os, re, sys, xml.etree.ElementTree as ET

# Maven's per-execution total, printed after "Results:", unlike the per-class lines that end
# in "-- in <class>".
TOTAL = re.compile(r"^\[(?:INFO|WARNING|ERROR)\] Tests run: (\d+), Failures: (\d+), Errors: (\d+), Skipped: (\d+)\s*$")


def maven_totals(log_text):
    runs = [tuple(int(g) for g in m.groups()) for m in map(TOTAL.match, log_text.splitlines()) if m]
    return [sum(r[i] for r in runs) for i in range(4)], len(runs)


def is_opencl(case):
    """Whether a report's testcase element is an OpenCL test (see the module comment)."""
    return "OpenCl" in case.get("classname", "") or "[opencl]" in case.get("name", "")


def report_counts(target):
    total = failures = errors = skipped = ocl_run = ocl_skipped = 0
    folders = sorted(glob.glob(os.path.join(target, "surefire-reports*")))
    for f in sorted(glob.glob(os.path.join(target, "surefire-reports*", "TEST-*.xml"))):
        for case in ET.parse(f).getroot().iter("testcase"):
            total += 1
            sk = case.find("skipped") is not None
            failures += case.find("failure") is not None
            errors += case.find("error") is not None
            skipped += sk
            if is_opencl(case):
                ocl_run += not sk
                ocl_skipped += sk
    return [total, failures, errors, skipped], ocl_run, ocl_skipped, folders


def main():
    log_text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
    target = sys.argv[2] if len(sys.argv) > 2 else "target"
    (total, failures, errors, skipped), ocl_run, ocl_skipped, folders = report_counts(target)
    print(f"tests: {total - skipped - failures - errors} passed, {failures + errors} failed, {skipped} skipped"
          f" ({total} in all, from {', '.join(os.path.basename(f) for f in folders) or 'no report folder'})")
    print(f"OpenCL tests: {ocl_run} ran, {ocl_skipped} skipped")
    ok = True
    mvn, executions = maven_totals(log_text)
    if mvn != [total, failures, errors, skipped]:
        print(f"FAIL: the reports count {total} tests, {failures} failures, {errors} errors, {skipped} skipped, but "
              f"Maven's {executions} test executions ran {mvn[0]}, {mvn[1]}, {mvn[2]}, {mvn[3]}: a report folder "
              f"is not read, or reports of an earlier run are left over")
        ok = False
    if os.environ.get("CONVCL_REQUIRE_OPENCL") == "1" and (ocl_run == 0 or ocl_skipped):
        print("FAIL: CONVCL_REQUIRE_OPENCL=1: the OpenCL tests must run on an OpenCL device, none skipped")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
