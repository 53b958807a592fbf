#!/usr/bin/python3
"""Cross-checks `convcl run` against PyTorch: random conv2d and deform2d problems (drawn here from
the seeds given, not taken from the project's tests), inputs written as .npy, run through
scripts/convcl on each device, and compared to torch.nn.functional.conv2d and
torchvision.ops.deform_conv2d. A result passes when its relative L2 error is at most 1e-4.

Set-up (Debian packages; the system python, not a pyenv one):
  apt-get install -y python3-torchvision python3-numpy
Run:
  /usr/bin/python3 scripts/crosscheck_torch.py [--seed 1] [--count 12] [--devices cpu opencl]

Prints one line a problem and device, then `N passed, M failed`; exits 1 on any failure.
Without an OpenCL device the opencl runs are skipped with a note (not counted as passed).
"""
import os
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.ops import deform_conv2d

from crosscheck_common import LAUNCHER, TOLERANCE, Tally, err_text, parse_args, run_and_compare


def out_size(i, k, s, p, d):
    return (i + 2 * p - d * (k - 1) - 1) // s + 1


def random_problem(rng):
    """One random problem: a family, then sizes a kernel fits in. Returns a dict of ints/bools."""
    family = rng.choice(["dense", "dilated", "grouped", "depthwise", "pointwise", "asymmetric", "large",
                         "deform1", "deform2"])
    n = int(rng.integers(1, 3))
    groups, og, mask = 1, 1, False
    if family == "dense":
        c, k, kh, kw = int(rng.integers(1, 17)), int(rng.integers(1, 17)), 3, 3
        dil = (1, 1)
    elif family == "dilated":
        c, k, kh, kw = int(rng.integers(1, 9)), int(rng.integers(1, 9)), 3, 3
        dil = (int(rng.integers(2, 5)), int(rng.integers(1, 5)))
    elif family == "grouped":
        groups = int(rng.integers(2, 5))
        c, k = groups * int(rng.integers(1, 5)), groups * int(rng.integers(1, 5))
        kh = kw = int(rng.integers(1, 4))
        dil = (1, 1)
    elif family == "depthwise":
        c = int(rng.integers(1, 17))
        groups, k = c, c * int(rng.integers(1, 3))
        kh = kw = int(rng.choice([3, 5, 7]))
        dil = (1, 1)
    elif family == "pointwise":
        c, k, kh, kw = int(rng.integers(1, 33)), int(rng.integers(1, 33)), 1, 1
        dil = (1, 1)
    elif family == "asymmetric":
        c, k = int(rng.integers(1, 9)), int(rng.integers(1, 9))
        kh, kw = [(1, 7), (7, 1), (1, 3), (3, 1), (5, 3)][int(rng.integers(0, 5))]
        dil = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    elif family == "large":
        c = int(rng.integers(1, 5))
        groups, k = c, c
        kh = kw = int(rng.choice([9, 13, 27, 31]))
        dil = (1, 1)
    else:
        og = int(rng.integers(1, 4))
        groups = int(rng.integers(1, 3))
        c = og * groups * int(rng.integers(1, 3))
        k = groups * int(rng.integers(1, 4))
        kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        dil = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        mask = family == "deform2"
    pad = (int(rng.integers(0, kh // 2 * dil[0] + 2)), int(rng.integers(0, kw // 2 * dil[1] + 2)))
    stride = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    span = (dil[0] * (kh - 1) + 1, dil[1] * (kw - 1) + 1)
    h = max(1, span[0] - 2 * pad[0]) + int(rng.integers(0, 16))
    w = max(1, span[1] - 2 * pad[1]) + int(rng.integers(0, 16))
    op = "deform2d" if family.startswith("deform") else "conv2d"
    return dict(family=family, op=op, n=n, c=c, h=h, w=w, k=k, kh=kh, kw=kw, stride=stride, pad=pad, dil=dil,
                groups=groups, og=og, mask=mask, bias=bool(rng.integers(0, 2)))


def one_line(p):
    pair = lambda v: str(v[0]) if v[0] == v[1] else f"{v[0]},{v[1]}"
    s = (f"op={p['op']} n={p['n']} c={p['c']} h={p['h']} w={p['w']} k={p['k']} kh={p['kh']} kw={p['kw']} "
         f"stride={pair(p['stride'])} pad={pair(p['pad'])} dil={pair(p['dil'])} groups={p['groups']}")
    if p["op"] == "deform2d":
        s += f" og={p['og']} mask={int(p['mask'])}"
    return s + f" bias={int(p['bias'])}"


def tensors(p, gen):
    x = torch.randn(p["n"], p["c"], p["h"], p["w"], generator=gen)
    wt = torch.randn(p["k"], p["c"] // p["groups"], p["kh"], p["kw"], generator=gen)
    b = torch.randn(p["k"], generator=gen) if p["bias"] else None
    off = m = None
    if p["op"] == "deform2d":
        oh = out_size(p["h"], p["kh"], p["stride"][0], p["pad"][0], p["dil"][0])
        ow = out_size(p["w"], p["kw"], p["stride"][1], p["pad"][1], p["dil"][1])
        kk = p["kh"] * p["kw"]
        off = torch.randn(p["n"], 2 * p["og"] * kk, oh, ow, generator=gen) * 2.0
        if p["mask"]:
            m = torch.rand(p["n"], p["og"] * kk, oh, ow, generator=gen)
    return x, wt, b, off, m


def torch_output(p, x, wt, b, off, m):
    with torch.no_grad():
        if p["op"] == "conv2d":
            return F.conv2d(x, wt, b, p["stride"], p["pad"], p["dil"], p["groups"])
        return deform_conv2d(x, off, wt, b, p["stride"], p["pad"], p["dil"], m)


def main():
    a, devices = parse_args(__doc__, 12)
    print(f"torch {torch.__version__}, numpy {np.__version__}; seeds {a.seed}..{a.seed + a.count - 1}; "
          f"pass: relative L2 <= {TOLERANCE:g} against torch (float32)")
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="convcl-crosscheck-") as tmp:
        for i in range(a.count):
            seed = a.seed + i
            p = random_problem(np.random.default_rng(seed))
            gen = torch.Generator().manual_seed(seed)
            x, wt, b, off, m = tensors(p, gen)
            ref = torch_output(p, x, wt, b, off, m).numpy()
            # every third problem's files are float64, numpy's default dtype: convcl converts them
            dtype = np.float64 if seed % 3 == 0 else np.float32
            files = {}
            for name, t in (("input", x), ("weight", wt), ("bias", b), ("offset", off), ("mask", m)):
                if t is not None:
                    files[name] = os.path.join(tmp, f"{seed}-{name}.npy")
                    np.save(files[name], t.numpy().astype(dtype))
            for dev in devices:
                out = os.path.join(tmp, f"{seed}-{dev.replace(':', '_')}-out.npy")
                cmd = [LAUNCHER, "run", "--op", p["op"], "--device", dev, "--out", out,
                       "--stride", f"{p['stride'][0]},{p['stride'][1]}", "--padding", f"{p['pad'][0]},{p['pad'][1]}",
                       "--dilation", f"{p['dil'][0]},{p['dil'][1]}"]
                if p["op"] == "conv2d":
                    cmd += ["--groups", str(p["groups"])]  # deform2d: derived from the shapes, as torchvision does
                for name, path in files.items():
                    cmd += [f"--{name}", path]
                err, why = run_and_compare(cmd, out, ref)
                tally.record(err <= TOLERANCE, f"{dev:7s} seed={seed:<4d} {p['family']:10s} {one_line(p)}  "
                             f"{err_text(err)} {np.dtype(dtype).name} {why}".rstrip())
    print(f"{tally.passed} passed, {tally.failed} failed")
    sys.exit(1 if tally.failed else 0)


if __name__ == "__main__":
    main()
