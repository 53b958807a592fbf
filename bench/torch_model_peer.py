#!/usr/bin/python3
"""Times a whole network in PyTorch on the CPU: the peer of `convcl bench --model` for the networks that
scripts/onnx/make_models.py builds (--full: the torchvision models and the seed networks of issue 13).

PyTorch cannot run an ONNX file, so this builds the network again from make_models.py's list, with the
weight seed make_models.py gave it (the base seed plus the model's index in the list), and, with --check
FOLDER, first proves that it is the same network as FOLDER/NAME.onnx: its output on FOLDER/NAME.input.npy
must be within 1e-4 relative L2 of FOLDER/NAME.expected.npy (make_models.py's float64 output).

  /usr/bin/python3 bench/torch_model_peer.py --name mobilenet_v2 --batch 8 --check target/perf/models

Timing: the input is `batch` photographs (common.photos) at the model's own size or --size; untimed calls
until 2 have run and 0.5 s has passed, then at least 3 timed calls, up to --iters, while --seconds last,
under torch.no_grad() with --threads intra-op threads (default: the number of cores). One JSON object on
stdout: name, batch, size, threads, median_ms, min_ms, calls, check_rel_l2 (null without --check), torch.
--name and --batch take comma-separated lists (one JSON line each, one process); --device cuda times the
network on the GPU (scripts/gpu/run-bundle), --random-input replaces the photographs.
Needs Debian's python3-torchvision (and python3-onnx, python3-skimage, which make_models.py imports).
"""
import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "scripts", "onnx"))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--name", required=True, help="a model of make_models.py's --full list, or several, comma-separated")
    p.add_argument("--batch", default="1", help="batch size, or several, comma-separated (default 1)")
    p.add_argument("--size", type=int, help="input height and width (default: the model's own)")
    p.add_argument("--seed", type=int, default=1000, help="make_models.py's base seed (default 1000)")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--seconds", type=float, default=2.0)
    p.add_argument("--check", metavar="FOLDER", help="prove the network is FOLDER/NAME.onnx's (see above)")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                   help="cuda: on the GPU in strict fp32 (TF32 off), cudnn.benchmark on, each call timed to its end")
    p.add_argument("--random-input", action="store_true",
                   help="seeded random input instead of photographs (where python3-skimage has no photographs)")
    a = p.parse_args()
    try:
        batches = [int(b) for b in a.batch.split(",")]
    except ValueError:
        sys.exit(f"torch_model_peer: --batch {a.batch}: comma-separated positive integers expected")
    if min(batches) < 1 or a.iters < 3 or a.seconds <= 0 or a.threads < 1:
        sys.exit("torch_model_peer: --batch and --threads must be at least 1, --iters at least 3, --seconds positive")

    import numpy as np
    import torch
    import common
    import make_models

    names = a.name.split(",")
    unknown = [n for n in names if n not in make_models.FULL]
    if unknown:
        sys.exit(f"torch_model_peer: unknown model {', '.join(unknown)}; known: {', '.join(make_models.FULL)}")
    torch.set_num_threads(a.threads)
    cuda = a.device == "cuda"
    if cuda:
        if not torch.cuda.is_available():
            sys.exit("torch_model_peer: --device cuda, but torch.cuda.is_available() is False")
        torch.backends.cudnn.benchmark = True
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
    for name in names:
        for batch in batches:
            print(json.dumps(run(a, name, batch, np, torch, common, make_models, cuda)), flush=True)


def run(a, name, batch, np, torch, common, make_models, cuda):
    """One network at one batch size: built, checked with --check, timed; its JSON object."""
    ctor, size, _, _ = make_models.FULL[name]
    size = a.size or size
    seed = a.seed + list(make_models.FULL).index(name)
    torch.manual_seed(seed)
    model = common.randomize(ctor(), seed)

    rel = None
    if a.check:
        x = torch.from_numpy(np.load(os.path.join(a.check, name + ".input.npy")))
        expected = torch.from_numpy(np.load(os.path.join(a.check, name + ".expected.npy")))
        with torch.no_grad():
            y = model(x).double()
        rel = (torch.linalg.vector_norm(y - expected) / torch.linalg.vector_norm(expected)).item()
        if not rel <= 1e-4:
            sys.exit(f"torch_model_peer: {name} is {rel:.3g} relative L2 from {a.check}/{name}.expected.npy"
                     " (at most 1e-4): not the network of the ONNX file (other seed or size?)")

    if a.random_input:
        x = torch.randn(batch, 3, size, size, generator=torch.Generator().manual_seed(seed))
    else:
        x = common.photos(size, batch=batch)
    if cuda:
        model, x = model.cuda(), x.cuda()

    def call():
        model(x)
        if cuda:
            torch.cuda.synchronize()

    times = []
    with torch.no_grad():
        start, warm = time.perf_counter(), 0
        while warm < 2 or time.perf_counter() - start < 0.5:
            call()
            warm += 1
        begin = time.perf_counter()
        while len(times) < 3 or (len(times) < a.iters and time.perf_counter() - begin < a.seconds):
            t0 = time.perf_counter()
            call()
            times.append((time.perf_counter() - t0) * 1e3)
    where = f"cuda {torch.cuda.get_device_name()}, fp32, cudnn.benchmark" if cuda else "cpu"
    return dict(name=name, batch=batch, size=size, threads=a.threads, device=where,
                median_ms=statistics.median(times), min_ms=min(times), calls=len(times),
                check_rel_l2=rel, torch=torch.__version__)


if __name__ == "__main__":
    main()
