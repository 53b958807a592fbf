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
"""
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
    a = p.parse_args()
    models = sorted(glob.glob(os.path.join(a.folder, "*.onnx")))
    if not models:
        raise SystemExit(f"{a.folder}: no .onnx files")
    bad = 0
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
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
