#!/usr/bin/python3
"""Runs every ONNX model of a folder through `convcl run --model` on each device and compares the output
with the float64 expected output that make_models.py wrote beside it (NAME.onnx, NAME.input.npy,
NAME.expected.npy). This is how models that are not in the repo are checked (the full-size torchvision
models, or the families rebuilt with other weights):

  /usr/bin/python3 scripts/onnx/make_models.py --full --only resnet18,mobilenet_v2 --out /tmp/full
  /usr/bin/python3 scripts/onnx/make_models.py --seed 77 --out /tmp/other     # the families, new weights
  /usr/bin/python3 scripts/onnx/check_models.py /tmp/full [--devices opencl,cpu] [--tol 1e-4]

Prints one line per (model, device) with the relative L2 error and the time the command took, and exits 1
if any is above the tolerance or any run failed.

With --bench it also times each model with `convcl bench --model` (the model's input shape, from
NAME.input.npy) on the first of --devices and on the CPU path, and prints a Markdown table of the
whole-network latencies (median ms of a call on device tensors, and of a call on host arrays); --table
FILE writes that table to FILE too. --iters and --seconds are passed to bench.

  /usr/bin/python3 scripts/onnx/check_models.py /tmp/full --bench --table /tmp/full/latency.md
"""
import json
import argparse
import glob
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder")
    p.add_argument("--devices", default="opencl,cpu")
    p.add_argument("--tol", type=float, default=1e-4)
    p.add_argument("--bench", action="store_true", help="also time each model with `convcl bench --model`")
    p.add_argument("--table", help="--bench: also write the latency table (Markdown) to this file")
    p.add_argument("--iters", type=int, default=10, help="--bench: bench's --iters (default 10)")
    p.add_argument("--seconds", type=float, default=2, help="--bench: bench's --seconds (default 2)")
    a = p.parse_args()
    if a.table and not a.bench:
        raise SystemExit("--table is for --bench")
    models = sorted(glob.glob(os.path.join(a.folder, "*.onnx")))
    if not models:
        raise SystemExit(f"{a.folder}: no .onnx files")
    bad = 0
    table = []
    with tempfile.TemporaryDirectory() as tmp:
        for m in models:
            name = os.path.basename(m)[:-len(".onnx")]
            x = os.path.join(a.folder, name + ".input.npy")
            want = np.load(os.path.join(a.folder, name + ".expected.npy")).astype(np.float64)
            for dev in a.devices.split(","):
                out = os.path.join(tmp, f"{name}.{dev}.npy")
                t = time.time()
                r = subprocess.run([os.path.join(ROOT, "scripts/convcl"), "run", "--model", m, "--input", x,
                                    "--out", out, "--device", dev], capture_output=True, text=True)
                dt = time.time() - t
                if r.returncode != 0:
                    print(f"FAIL {name} on {dev}: exit {r.returncode}: {(r.stderr or r.stdout).strip()}")
                    bad += 1
                    continue
                got = np.load(out).astype(np.float64)
                if got.shape != want.shape:
                    print(f"FAIL {name} on {dev}: output shape {got.shape}, expected {want.shape}")
                    bad += 1
                    continue
                rel = np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-300)
                ok = rel <= a.tol
                bad += not ok
                print(f"{'ok  ' if ok else 'FAIL'} {name} on {dev}: rel L2 {rel:.2e} (tolerance {a.tol:g}), "
                      f"{dt:.1f} s for the whole command", flush=True)
            if a.bench:
                row = bench(m, name, np.load(x).shape, a.devices.split(",")[0], a, tmp)
                bad += row[-1] is not None
                table.append(row)
    if a.bench:
        text = latency_table(table)
        print(text, end="")
        if a.table:
            with open(a.table, "w") as f:
                f.write(text)
    sys.exit(1 if bad else 0)


def bench(model, name, shape, dev, a, tmp):
    """One table row: `convcl bench --model` on dev (and the CPU path), from its JSON report."""
    report = os.path.join(tmp, name + ".bench.json")
    cmd = [os.path.join(ROOT, "scripts/convcl"), "bench", "--model", model, "--device", dev,
           "--input-shape", ",".join(str(d) for d in shape), "--iters", str(a.iters), "--seconds", str(a.seconds),
           "--json", report]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0 or not os.path.exists(report):
        why = f"bench exit {r.returncode}: {(r.stderr or r.stdout).strip().splitlines()[-1:]}"
        print(f"FAIL {name} bench on {dev}: {why}", flush=True)
        return name, shape, None, None, why
    with open(report) as f:
        rows = {row["backend"]: row for row in json.load(f)["rows"]}
    failed = [f"{b}: {row['error']}" for b, row in rows.items() if not row["ok"]]
    device, cpu = rows.get("opencl"), rows.get("cpu")
    print(f"{'ok  ' if not failed else 'FAIL'} {name} bench: " + ", ".join(
        f"{b} {row['median_ms']:.1f} ms" for b, row in rows.items() if row["ok"]) + "".join(
        f"; {x}" for x in failed), flush=True)
    return name, shape, device, cpu, "; ".join(failed) or None


def latency_table(rows):
    ms = lambda row, key: "-" if row is None or not row["ok"] else f"{row[key]:.1f}"  # noqa: E731
    lines = ["| model | input | device ms | device ms (host arrays) | steps on CPU | host transfers | CPU path ms "
             "| CPU / device |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    for name, shape, device, cpu, error in rows:
        ratio = "-"
        if device and cpu and device["ok"] and cpu["ok"]:
            ratio = f"{cpu['median_ms'] / device['median_ms']:.2f}x"
        steps = ("-" if device is None or not device["ok"] or device.get("steps_on_cpu_path") is None
                 else f"{device['steps_on_cpu_path']} of {device['steps']}")
        transfers = "-" if device is None or not device["ok"] else str(device["host_transfers"])
        lines.append(f"| {name} | {'x'.join(str(d) for d in shape)} | {ms(device, 'median_ms')} | "
                     f"{ms(device, 'host_array_median_ms')} | {steps} | {transfers} | {ms(cpu, 'median_ms')} | {ratio}"
                     + (f" (FAIL: {error})" if error else "") + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
