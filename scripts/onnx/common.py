"""Helpers for the ONNX test models: photographs, batch-norm statistics, export, float64 expectations.

Run with Debian's /usr/bin/python3 (python3-torch 1.13, python3-torchvision 0.14, python3-onnx 1.12,
python3-skimage). Nothing here downloads anything: the photographs are the ones python3-skimage ships.
"""
import copy
import io
import os

import numpy as np
import onnx
import torch
import torch.nn.functional as F

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")


def photos(size, batch=2, first=0):
    """`batch` photographs from skimage.data as a float32 [batch, 3, size, size] tensor: the shorter side
    resized to size * 256 / 224 (antialiased bilinear), the centre cropped to size x size, normalised
    with ImageNet's mean and standard deviation."""
    import skimage.data
    out = []
    for i in range(batch):
        name = PHOTOS[(first + i) % len(PHOTOS)]
        img = torch.from_numpy(getattr(skimage.data, name)()[:, :, :3].copy()).permute(2, 0, 1).float() / 255.0
        h, w = img.shape[1:]
        short = round(size * 256 / 224)
        nh, nw = (short, round(w * short / h)) if h <= w else (round(h * short / w), short)
        img = F.interpolate(img[None], size=(nh, nw), mode="bilinear", align_corners=False, antialias=True)[0]
        top, left = (nh - size) // 2, (nw - size) // 2
        img = img[:, top:top + size, left:left + size]
        mean = torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
        std = torch.tensor(IMAGENET_STD).view(3, 1, 1)
        out.append((img - mean) / std)
    return torch.stack(out).contiguous()


def randomize(model, seed):
    """Fixed-seed weights, and non-trivial batch-norm statistics and affine parameters (running mean
    around 0, running variance in [0.5, 2], gamma in [0.5, 1.5], beta around 0), then eval mode."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * (2.0 / fan_in) ** 0.5)
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
            elif isinstance(m, torch.nn.BatchNorm2d):
                c = m.num_features
                m.running_mean.copy_(torch.randn(c, generator=g) * 0.2)
                m.running_var.copy_(torch.rand(c, generator=g) * 1.5 + 0.5)
                m.weight.copy_(torch.rand(c, generator=g) + 0.5)
                m.bias.copy_(torch.randn(c, generator=g) * 0.1)
    return model.eval()


def export(model, x, opset, keep_batchnorm=False, dynamic_batch=False, custom_opsets=None):
    """The model exported by torch.onnx as an onnx.ModelProto. keep_batchnorm exports in PRESERVE mode
    (the model is in eval mode), so BatchNormalization nodes stay instead of being folded into the
    convolutions; dynamic_batch makes the batch dimension symbolic ('batch')."""
    f = io.BytesIO()
    kwargs = dict(opset_version=opset, input_names=["input"], output_names=["output"], do_constant_folding=True)
    if keep_batchnorm:
        kwargs["training"] = torch.onnx.TrainingMode.PRESERVE
    if dynamic_batch:
        kwargs["dynamic_axes"] = {"input": {0: "batch"}, "output": {0: "batch"}}
    if custom_opsets:
        kwargs["custom_opsets"] = custom_opsets
    torch.onnx.export(model, (x,), f, **kwargs)
    return onnx.load_from_string(f.getvalue())


def expectations(model, x):
    """(float64 output, relative L2 distance of the float32 output from it): the model run in double
    on the same (float32-valued) input, and in float32."""
    with torch.no_grad():
        y32 = model(x).double()
        m64 = copy.deepcopy(model).double()
        y64 = m64(x.double())
    rel = (torch.linalg.vector_norm(y32 - y64) / torch.linalg.vector_norm(y64)).item()
    return y64.numpy(), rel


def count_modules(model, x, types):
    """Per name in `types` (name -> module class or predicate), how many modules of it run in the
    forward pass on x, and the output shapes of those runs."""
    counts = {k: 0 for k in types}
    shapes = {k: [] for k in types}
    hooks = []
    for m in model.modules():
        for k, t in types.items():
            if (isinstance(t, type) and isinstance(m, t)) or (not isinstance(t, type) and t(m)):
                def hook(mod, inp, out, k=k):
                    counts[k] += 1
                    shapes[k].append(list(out.shape))
                hooks.append(m.register_forward_hook(hook))
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return counts, shapes


def save(out_dir, name, onnx_model, x, y64, manifest_entry, external_data=False):
    """Writes name.onnx, name.input.npy (float32) and name.expected.npy (float64), and returns the
    manifest entry with the file names and sizes added."""
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, name + ".onnx")
    if external_data:
        onnx.save_model(onnx_model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=name + ".data", size_threshold=1024)
    else:
        onnx.save_model(onnx_model, path)
    np.save(os.path.join(out_dir, name + ".input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(out_dir, name + ".expected.npy"), y64.astype(np.float64))
    entry = dict(manifest_entry)
    entry.update(file=name + ".onnx", input=name + ".input.npy", expected=name + ".expected.npy",
                 input_shape=list(x.shape), output_shape=list(y64.shape), bytes=os.path.getsize(path))
    return entry


def write_manifest(out_dir, entries):
    """models.txt: one line per model, space-separated key=value fields (lists comma-separated, shapes
    'x'-separated, several shapes ';'-separated), read by the Java tests without a JSON library."""
    def fmt(v):
        if isinstance(v, bool):
            return "1" if v else "0"
        if isinstance(v, dict):
            return ",".join(f"{k}:{fmt(x)}" for k, x in sorted(v.items()))
        if isinstance(v, list):
            if v and isinstance(v[0], list):
                return ";".join("x".join(str(d) for d in s) for s in v)
            return "x".join(str(d) for d in v)
        if isinstance(v, float):
            return f"{v:.3g}"
        return str(v)
    with open(os.path.join(out_dir, "models.txt"), "w") as f:
        f.write("# Written by scripts/onnx/make_models.py; one model per line.\n")
        for e in entries:
            f.write(" ".join(f"{k}={fmt(e[k])}" for k in sorted(e)) + "\n")
