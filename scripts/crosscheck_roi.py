#!/usr/bin/python3
"""Cross-checks `convcl run --op roi_align | ps_roi_align | deform_roi_pool` against the peers, in
float64: torchvision.ops.roi_align and ps_roi_align, and mmcv's deform_roi_pool, which is not
installed here and is computed by `mmcv_deform_roi_pool` below, written from mmcv's public CUDA
kernel (mmcv/ops/csrc/common/cuda/deform_roi_pool_cuda_kernel.cuh and the bilinear_interpolate of
common_cuda_helper.hpp). Problems are drawn here from the seeds given (not taken from the
project's tests); inputs are written as .npy, run through scripts/convcl on each device, and
pass when the relative L2 error is at most 1e-4 (NaN in the same places).

Also: deform_roi_pool with zero offsets against torchvision's roi_align(aligned=True) (the two
peers agree: same geometry, grid and border rule); RoIs with x2 < x1 under adaptive sampling,
where torchvision's CPU kernel raises and convcl gives 0 as the CUDA kernels do; an empty RoI
set; and bad inputs, which must exit 2 with one line on stderr and write no output.

Set-up (Debian packages; the system python): apt-get install -y python3-torchvision python3-numpy
Run:  /usr/bin/python3 scripts/crosscheck_roi.py [--seed 1] [--count 8] [--devices cpu opencl]
Prints one line a check, then `N passed, M failed`; exits 1 on any failure.
"""
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torchvision
from torchvision.ops import ps_roi_align, roi_align

from crosscheck_common import LAUNCHER, TOLERANCE, Tally, err_text, parse_args, rel_l2, run_and_compare


def bilinear(plane, y, x):
    """mmcv's (and torchvision's) bilinear_interpolate on a [C, H, W] array: 0 beyond one pixel
    outside, clamped to the edge otherwise."""
    h, w = plane.shape[1:]
    if y < -1.0 or y > h or x < -1.0 or x > w:
        return np.zeros(plane.shape[0])
    y, x = max(y, 0.0), max(x, 0.0)
    yl, xl = int(y), int(x)
    if yl >= h - 1:
        yh = yl = h - 1
        y = float(yl)
    else:
        yh = yl + 1
    if xl >= w - 1:
        xh = xl = w - 1
        x = float(xl)
    else:
        xh = xl + 1
    ly, lx = y - yl, x - xl
    hy, hx = 1 - ly, 1 - lx
    return hy * hx * plane[:, yl, xl] + hy * lx * plane[:, yl, xh] + ly * hx * plane[:, yh, xl] + ly * lx * plane[:, yh, xh]


def mmcv_deform_roi_pool(x, rois, offset, ph, pw, scale, sr, gamma, mask=None):
    """deform_roi_pool_forward_cuda_kernel in float64; the modulated variant multiplies by mask."""
    k_count, c = rois.shape[0], x.shape[1]
    out = np.zeros((k_count, c, ph, pw))
    for k in range(k_count):
        r = rois[k]
        b = int(r[0])
        start_w, start_h = r[1] * scale - 0.5, r[2] * scale - 0.5
        end_w, end_h = r[3] * scale - 0.5, r[4] * scale - 0.5
        roi_w, roi_h = end_w - start_w, end_h - start_h
        bin_h, bin_w = roi_h / ph, roi_w / pw
        gh = sr if sr > 0 else int(math.ceil(roi_h / ph))
        gw = sr if sr > 0 else int(math.ceil(roi_w / pw))
        count = max(gh * gw, 1)
        for i in range(ph):
            for j in range(pw):
                sw, sh = start_w, start_h
                if offset is not None:
                    sw += gamma * roi_w * offset[k, 0, i, j]
                    sh += gamma * roi_h * offset[k, 1, i, j]
                acc = np.zeros(c)
                for iy in range(gh):
                    yy = sh + i * bin_h + (iy + 0.5) * bin_h / gh
                    for ix in range(gw):
                        xx = sw + j * bin_w + (ix + 0.5) * bin_w / gw
                        acc += bilinear(x[b], yy, xx)
                out[k, :, i, j] = acc / count
    if mask is not None:
        out = out * mask
    return out


def random_rois(rng, k, n, h, w, scale, allow_reversed=False):
    ih, iw = h / scale, w / scale
    x1 = rng.uniform(-0.2, 1.1, k) * iw
    y1 = rng.uniform(-0.2, 1.1, k) * ih
    lo = -0.3 if allow_reversed else 0.0
    x2 = x1 + rng.uniform(lo, 0.9, k) * iw
    y2 = y1 + rng.uniform(lo, 0.9, k) * ih
    return np.stack([rng.integers(0, n, k).astype(np.float64), x1, y1, x2, y2], axis=1)


def random_problem(rng, kind):
    n = int(rng.integers(1, 3))
    ph, pw = int(rng.integers(1, 8)), int(rng.integers(1, 8))
    c = int(rng.integers(1, 4)) * (ph * pw if kind == "ps_roi_align" else 1) * (1 if kind == "ps_roi_align" else 3)
    h, w = int(rng.integers(1, 30)) | 1, int(rng.integers(1, 30)) | 1  # odd sizes
    scale = float(rng.choice([1.0, 0.25, 0.0625]))
    sr = int(rng.choice([0, 1, 2] + ([-1] if kind != "deform_roi_pool" else [])))
    k = int(rng.choice([1, 7, 60, 300]))
    return dict(kind=kind, n=n, c=c, h=h, w=w, ph=ph, pw=pw, scale=scale, sr=sr, k=k,
                aligned=bool(rng.integers(0, 2)) if kind == "roi_align" else False,
                offset=kind == "deform_roi_pool" and bool(rng.integers(0, 4)),
                mask=kind == "deform_roi_pool" and bool(rng.integers(0, 2)),
                gamma=float(rng.choice([0.1, 0.5, 2.0])), far=bool(rng.integers(0, 3) == 0))


def describe(p):
    s = f"{p['kind']} n={p['n']} c={p['c']} h={p['h']} w={p['w']} rois={p['k']} ph={p['ph']} pw={p['pw']} " \
        f"scale={p['scale']} sr={p['sr']}"
    if p["kind"] == "roi_align":
        s += f" aligned={int(p['aligned'])}"
    if p["kind"] == "deform_roi_pool":
        s += f" gamma={p['gamma']} offset={int(p['offset'])} mask={int(p['mask'])}" + (" far" if p["far"] else "")
    return s


def peer_output(p, x, rois, off, m):
    t = lambda a: torch.from_numpy(a)
    if p["kind"] == "roi_align":
        return roi_align(t(x), t(rois), (p["ph"], p["pw"]), p["scale"], p["sr"], p["aligned"]).numpy()
    if p["kind"] == "ps_roi_align":
        return ps_roi_align(t(x), t(rois), (p["ph"], p["pw"]), p["scale"], p["sr"]).numpy()
    return mmcv_deform_roi_pool(x, rois, off, p["ph"], p["pw"], p["scale"], p["sr"], p["gamma"], m)


class Runner(Tally):
    def __init__(self, tmp, devices):
        super().__init__()
        self.tmp, self.devices = tmp, devices
        self.serial = 0

    def save(self, name, a):
        self.serial += 1
        path = os.path.join(self.tmp, f"{self.serial}-{name}.npy")
        np.save(path, a)
        return path

    def command(self, p, files, dev, out):
        cmd = [LAUNCHER, "run", "--op", p["kind"], "--device", dev, "--out", out,
               "--output-size", f"{p['ph']},{p['pw']}", "--spatial-scale", repr(p["scale"]),
               "--sampling-ratio", str(p["sr"])]
        if p.get("aligned"):
            cmd.append("--aligned")
        if p["kind"] == "deform_roi_pool":
            cmd += ["--gamma", repr(p["gamma"])]
        for name, path in files.items():
            cmd += [f"--{name}", path]
        return cmd

    def compare(self, label, p, files, ref):
        for dev in self.devices:
            out = os.path.join(self.tmp, f"{self.serial}-{dev.replace(':', '_')}-out.npy")
            err, why = run_and_compare(self.command(p, files, dev, out), out, ref, same_nan=True)
            self.record(err <= TOLERANCE, f"{dev:7s} {label}: {describe(p)}  {err_text(err)} {why}".rstrip())

    def refuse(self, label, p, files, fragment):
        """A bad input: exit 2, one line on stderr containing fragment, no output file."""
        for dev in self.devices:
            out = os.path.join(self.tmp, f"{self.serial}-{dev.replace(':', '_')}-bad.npy")
            r = subprocess.run(self.command(p, files, dev, out), capture_output=True, text=True)
            lines = r.stderr.strip().splitlines()
            ok = r.returncode == 2 and len(lines) == 1 and fragment in lines[0] and not os.path.exists(out)
            self.record(ok, f"{dev:7s} bad input, {label}: exit {r.returncode}, {lines}")


def main():
    a, devices = parse_args(__doc__, 8)
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}; seeds {a.seed}..{a.seed + a.count - 1}; pass: relative L2 <= {TOLERANCE:g} "
          f"against the peers in float64")
    with tempfile.TemporaryDirectory(prefix="convcl-crosscheck-roi-") as tmp:
        run = Runner(tmp, devices)
        for i in range(a.count):
            seed = a.seed + i
            rng = np.random.default_rng(seed)
            # the operators in turn, roi_align twice as often (aligned and not)
            p = random_problem(rng, ["roi_align", "ps_roi_align", "roi_align", "deform_roi_pool"][seed % 4])
            x = rng.standard_normal((p["n"], p["c"], p["h"], p["w"]))
            rois = random_rois(rng, p["k"], p["n"], p["h"], p["w"], p["scale"])
            off = m = None
            if p["offset"]:
                off = rng.uniform(-1, 1, (p["k"], 2, p["ph"], p["pw"])) * (4.0 if p["far"] else 1.0)
            if p["mask"]:
                m = rng.uniform(0, 1, (p["k"], 1, p["ph"], p["pw"]))
            ref = peer_output(p, x, rois, off, m)
            dtype = np.float64 if seed % 3 == 0 else np.float32
            # the peers see what convcl reads: the float32 values when the files are float32
            if dtype == np.float32:
                x, rois = x.astype(np.float32).astype(np.float64), rois.astype(np.float32).astype(np.float64)
                off = None if off is None else off.astype(np.float32).astype(np.float64)
                m = None if m is None else m.astype(np.float32).astype(np.float64)
                ref = peer_output(p, x, rois, off, m)
            files = {"input": run.save("x", x.astype(dtype)), "rois": run.save("rois", rois.astype(dtype))}
            if off is not None:
                files["offset"] = run.save("offset", off.astype(dtype))
            if m is not None:
                files["mask"] = run.save("mask", m.astype(dtype))
            run.compare(f"seed={seed}", p, files, ref)

        # deform_roi_pool with zero offsets is roi_align(aligned=True): the two peers agree, and convcl with them
        rng = np.random.default_rng(1000 + a.seed)
        p = dict(kind="deform_roi_pool", n=2, c=5, h=19, w=23, ph=7, pw=5, scale=0.25, sr=0, k=40, gamma=0.1,
                 offset=True, mask=False, far=False)
        x = rng.standard_normal((2, 5, 19, 23)).astype(np.float32).astype(np.float64)
        rois = random_rois(rng, 40, 2, 19, 23, 0.25).astype(np.float32).astype(np.float64)
        zeros = np.zeros((40, 2, 7, 5))
        tv = roi_align(torch.from_numpy(x), torch.from_numpy(rois), (7, 5), 0.25, 0, True).numpy()
        mm = mmcv_deform_roi_pool(x, rois, zeros, 7, 5, 0.25, 0, 0.1)
        run.record(rel_l2(tv, mm, same_nan=True) == 0.0 or rel_l2(tv, mm, same_nan=True) < 1e-15,
                   f"peers: mmcv deform_roi_pool with zero offsets vs torchvision roi_align(aligned=True): "
                   f"rel L2 {rel_l2(tv, mm, same_nan=True):.1e}")
        files = {"input": run.save("x", x.astype(np.float32)), "rois": run.save("rois", rois.astype(np.float32)),
                 "offset": run.save("zeros", zeros.astype(np.float32))}
        run.compare("zero offsets vs torchvision roi_align(aligned=True)", p, files, tv)

        # x2 < x1 under adaptive sampling: torchvision's CPU kernel raises; convcl gives 0, as the CUDA kernels
        rev = np.array([[0, 10, 2, 4, 9], [1, 3, 8, 12, 1]], dtype=np.float64)
        p = dict(kind="roi_align", n=2, c=3, h=12, w=14, ph=2, pw=2, scale=1.0, sr=0, k=2, aligned=True)
        x = rng.standard_normal((2, 3, 12, 14)).astype(np.float32).astype(np.float64)
        try:
            roi_align(torch.from_numpy(x), torch.from_numpy(rev), (2, 2), 1.0, 0, True)
            tv_raises = "does not raise"
        except Exception as e:  # noqa: BLE001 (any error: we record that it raised)
            tv_raises = f"raises ({str(e).splitlines()[0][:60]})"
        print(f"note: torchvision {torchvision.__version__} CPU roi_align for x2 < x1, adaptive, aligned: {tv_raises}")
        ref = mmcv_deform_roi_pool(x, rev, None, 2, 2, 1.0, 0, 0.0)
        files = {"input": run.save("x", x.astype(np.float32)), "rois": run.save("rois", rev.astype(np.float32))}
        run.compare("x2 < x1, against the CUDA kernels' rule (0)", p, files, ref)
        assert np.all(ref == 0)

        # an empty RoI set: an empty output of the peers' shape
        for kind, c in (("roi_align", 4), ("ps_roi_align", 8), ("deform_roi_pool", 4)):
            p = dict(kind=kind, n=1, c=c, h=5, w=5, ph=2, pw=2, scale=1.0, sr=0, k=0, aligned=False, gamma=0.1)
            x = np.ones((1, c, 5, 5), dtype=np.float32)
            files = {"input": run.save("x", x), "rois": run.save("rois", np.zeros((0, 5), dtype=np.float32))}
            want = (0, c // 4 if kind == "ps_roi_align" else c, 2, 2)
            for dev in devices:
                out = os.path.join(tmp, f"empty-{kind}-{dev.replace(':', '_')}.npy")
                r = subprocess.run(run.command(p, files, dev, out), capture_output=True, text=True)
                got = np.load(out).shape if r.returncode == 0 else r.stderr.strip()
                run.record(got == want, f"{dev:7s} empty RoI set, {kind}: {got} (want {want})")

        # bad inputs: exit 2, one line, nothing written
        x = np.ones((2, 4, 6, 6), dtype=np.float32)
        good = np.array([[0, 0, 0, 3, 3]], dtype=np.float32)
        base = dict(kind="roi_align", n=2, c=4, h=6, w=6, ph=2, pw=2, scale=1.0, sr=0, k=1, aligned=True, gamma=0.1)
        xf = run.save("x", x)
        cases = [
            ("batch index 2 of 2", base, {"rois": np.array([[2, 0, 0, 3, 3]], np.float32)}, "batch index must be in [0, 2)"),
            ("batch index -1", base, {"rois": np.array([[-1, 0, 0, 3, 3]], np.float32)}, "batch index must be in"),
            ("NaN coordinate", base, {"rois": np.array([[0, np.nan, 0, 3, 3]], np.float32)}, "must be finite"),
            ("rois [1, 4]", base, {"rois": np.zeros((1, 4), np.float32)}, "expected [K, 5]"),
            ("spatial scale 0", dict(base, scale=0.0), {"rois": good}, "--spatial-scale"),
            ("ps_roi_align channels 4 for 3x3 bins", dict(base, kind="ps_roi_align", ph=3, pw=3, aligned=False),
             {"rois": good}, "multiple of ph*pw=9"),
            ("deform_roi_pool negative sampling ratio", dict(base, kind="deform_roi_pool", sr=-1, aligned=False),
             {"rois": good}, "--sampling-ratio -1"),
            ("deform_roi_pool offset [1, 2, 3, 2]", dict(base, kind="deform_roi_pool", aligned=False),
             {"rois": good, "offset": np.zeros((1, 2, 3, 2), np.float32)}, "[1, 2, 2, 2]"),
            ("deform_roi_pool mask [1, 2, 2, 2]", dict(base, kind="deform_roi_pool", aligned=False),
             {"rois": good, "mask": np.zeros((1, 2, 2, 2), np.float32)}, "[1, 1, 2, 2]"),
        ]
        for label, p, arrays, fragment in cases:
            files = {"input": xf}
            for name, arr in arrays.items():
                files[name] = run.save(name, arr)
            run.refuse(label, p, files, fragment)
    print(f"{run.passed} passed, {run.failed} failed")
    sys.exit(1 if run.failed else 0)


if __name__ == "__main__":
    main()
