#!/usr/bin/python3
"""Exports torchvision.ops.roi_align to ONNX RoiAlign (opset 16), with inputs and float64 outputs.

torch 1.13's exporter writes the [K, 5] rois as Gather (column 0) -> Squeeze -> Cast(INT64) for the
batch indices and Gather (columns 1..4) for the boxes, then RoiAlign with
no coordinate_transformation_mode: torchvision 0.14 registers its opset-11 symbolic for every
opset, so an opset-16 model means half_pixel (aligned=True) whatever `aligned` was. For aligned=False
this script writes coordinate_transformation_mode=output_half_pixel itself, as torchvision 0.15's
opset-16 symbolic does.

  /usr/bin/python3 scripts/onnx/make_roi_models.py    # -> src/test/resources/onnx/roi/

Each model NAME gets NAME.onnx, NAME.x.npy, NAME.rois.npy (float32) and NAME.expected.npy (float64,
torchvision's roi_align on the float64 inputs). Needs Debian's python3-torchvision and python3-onnx.
"""
import os

import numpy as np
import onnx
import torch
import torchvision

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "src", "test", "resources", "onnx", "roi")


class RoiAlign(torch.nn.Module):
    def __init__(self, size, scale, sampling, aligned):
        super().__init__()
        self.size, self.scale, self.sampling, self.aligned = size, scale, sampling, aligned

    def forward(self, x, rois):
        return torchvision.ops.roi_align(x, rois, self.size, spatial_scale=self.scale, sampling_ratio=self.sampling,
                                         aligned=self.aligned)


def boxes(g, k, n, h, w, scale):
    """k RoIs in input-image coordinates over an h x w map at `scale`, some partly outside."""
    x1 = torch.rand(k, generator=g) * (w / scale) * 1.1 - 0.05 * w / scale
    y1 = torch.rand(k, generator=g) * (h / scale) * 1.1 - 0.05 * h / scale
    bw = torch.rand(k, generator=g) * (w / scale) * 0.6
    bh = torch.rand(k, generator=g) * (h / scale) * 0.6
    b = torch.randint(0, n, (k,), generator=g).float()
    return torch.stack([b, x1, y1, x1 + bw, y1 + bh], 1)


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = [("tv_aligned", (2, 5, 13, 17), 9, (3, 4), 0.25, 2, True),
             ("tv_unaligned_adaptive", (3, 4, 10, 9), 7, (5, 2), 0.5, 0, False)]
    g = torch.Generator().manual_seed(1012)
    for name, (n, c, h, w), k, size, scale, sampling, aligned in cases:
        x = torch.randn(n, c, h, w, generator=g)
        rois = boxes(g, k, n, h, w, scale)
        m = RoiAlign(size, scale, sampling, aligned)
        path = os.path.join(OUT, name + ".onnx")
        torch.onnx.export(m, (x, rois), path, opset_version=16, input_names=["x", "rois"], output_names=["y"])
        model = onnx.load(path)
        for node in model.graph.node:
            if node.op_type == "RoiAlign" and not any(a.name == "coordinate_transformation_mode" for a in node.attribute):
                mode = "half_pixel" if aligned else "output_half_pixel"
                node.attribute.append(onnx.helper.make_attribute("coordinate_transformation_mode", mode))
        onnx.checker.check_model(model)
        onnx.save(model, path)
        y64 = m(x.double(), rois.double()).numpy()
        y32 = m(x, rois).double().numpy()
        rel = np.linalg.norm(y32 - y64) / np.linalg.norm(y64)
        assert rel < 1e-5, (name, rel)
        np.save(os.path.join(OUT, name + ".x.npy"), x.numpy().astype(np.float32))
        np.save(os.path.join(OUT, name + ".rois.npy"), rois.numpy().astype(np.float32))
        np.save(os.path.join(OUT, name + ".expected.npy"), y64.astype(np.float64))
        print(name, path, "float32 vs float64 relative L2", rel)


if __name__ == "__main__":
    main()
