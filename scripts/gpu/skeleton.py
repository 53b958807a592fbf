#!/usr/bin/python3
"""ONNX networks without their weights, and back: how the seed networks travel to a GPU machine.

The device machine that a session is sometimes lent takes at most 64 MiB of files, and the seed networks'
ONNX files are 1 to 100 MB each, almost all of it float32 weights. For timing, a network needs its graph and
weights of the right shapes and scale, not the committed values, so:

  skeleton.py strip IN.onnx OUT.onnx [--min-bytes 4096]
      every float32 initializer of more than --min-bytes loses its values; its doc_string keeps what
      refilling needs: {"convcl_skeleton": {"mean": M, "std": S, "seed": I}}. Smaller initializers
      (biases, shapes, scales) stay as they are. A skeleton of ResNet-50 is a few tens of kilobytes.
  skeleton.py fill IN.onnx OUT.onnx
      every stripped initializer gets float32 values drawn from a normal distribution with its recorded
      mean and standard deviation (numpy's default_rng seeded with its index): the same shapes and about
      the same activations as the original network, other values. Deterministic.

The refilled network computes other numbers than the committed one, so it is timed and checked against the
CPU path on the same machine (`convcl bench --model` does that), never against a stored expected output.
Needs numpy and onnx (any version that reads the file: Debian's python3-onnx 1.12 here, 1.2x there).
"""
import argparse
import json
import sys

import numpy as np
import onnx
from onnx import numpy_helper

TAG = "convcl_skeleton"


def strip(src, dst, min_bytes):
    model = onnx.load(src)
    stripped = kept = 0
    for i, t in enumerate(model.graph.initializer):
        if t.data_type != onnx.TensorProto.FLOAT or t.HasField("data_location") and t.data_location != 0:
            kept += 1
            continue
        values = numpy_helper.to_array(t)
        if values.nbytes <= min_bytes:
            kept += 1
            continue
        v64 = values.astype(np.float64)
        t.doc_string = json.dumps({TAG: {"mean": float(v64.mean()), "std": float(v64.std()), "seed": i}})
        t.ClearField("raw_data")
        t.ClearField("float_data")
        stripped += 1
    onnx.save(model, dst)
    print(f"{src} -> {dst}: {stripped} initializers stripped, {kept} kept", file=sys.stderr)


def fill(src, dst):
    model = onnx.load(src)
    filled = 0
    for t in model.graph.initializer:
        if TAG not in t.doc_string:
            continue
        info = json.loads(t.doc_string)[TAG]
        rng = np.random.default_rng(info["seed"])
        values = rng.normal(info["mean"], info["std"], size=tuple(t.dims)).astype(np.float32)
        t.raw_data = values.tobytes()
        t.doc_string = ""
        filled += 1
    onnx.save(model, dst)
    print(f"{src} -> {dst}: {filled} initializers filled", file=sys.stderr)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="verb", required=True)
    s = sub.add_parser("strip", help="drop the values of the large float32 initializers")
    s.add_argument("src")
    s.add_argument("dst")
    s.add_argument("--min-bytes", type=int, default=4096, help="initializers up to this size keep their values")
    f = sub.add_parser("fill", help="give the stripped initializers values again")
    f.add_argument("src")
    f.add_argument("dst")
    a = p.parse_args()
    if a.verb == "strip":
        strip(a.src, a.dst, a.min_bytes)
    else:
        fill(a.src, a.dst)


if __name__ == "__main__":
    main()
