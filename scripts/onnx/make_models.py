#!/usr/bin/python3
"""Builds the ONNX test models of convcl's importer, with inputs and float64 expected outputs.

Each network family of issue 11 is built in PyTorch with fixed-seed weights and non-trivial batch-norm
statistics (common.randomize), exported with torch.onnx, and run in float64 on two real photographs
(skimage.data, resized, cropped and normalised like ImageNet) to give the expected output. The script
checks its own numbers: the float32 run must be within 1e-4 relative L2 of the float64 run.

  /usr/bin/python3 scripts/onnx/make_models.py              # the small committed models
                                                            #   -> src/test/resources/onnx/
  /usr/bin/python3 scripts/onnx/make_models.py --full       # full-size torchvision models (about 600 MB)
                                                            #   -> target/onnx-full/, not committed
  /usr/bin/python3 scripts/onnx/make_models.py --only resnet_tiny,dcnv2_tiny
  /usr/bin/python3 scripts/onnx/make_models.py --seed 77 --out /tmp/other   # other weights, not committed
  /usr/bin/python3 scripts/onnx/make_models.py --full --only resnet18 --size 128 --out /tmp/small  # other input size
Then scripts/onnx/check_models.py FOLDER runs a folder of models through `convcl run --model`.

Needs Debian's python3-torchvision, python3-onnx and python3-skimage.
"""
import argparse
import os
import sys

import onnx
import torch
import torch.nn as nn
import torchvision
from torchvision.models.resnet import BasicBlock, Bottleneck

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ----------------------------------------------------------------------------------------------
# DeformConv: torch 1.13's exporter has no symbolic for torchvision::deform_conv2d and stops at
# opset 17. The symbolic below writes DeformConv in a temporary domain; to_standard_deform_conv then
# moves the nodes to the standard domain and the model to opset 19, where ONNX defines DeformConv
# (inputs X, W, offset, B, mask; torchvision's offset layout). The checker is not run (onnx 1.12
# does not know opset 19).

TMP_DOMAIN = "convcl_tmp"


def _deform_conv2d_symbolic(g, input, weight, offset, mask, bias, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w,
                            n_weight_grps, n_offset_grps, use_mask):
    i = lambda v, name: symbolic_helper._get_const(v, "i", name)  # noqa: E731
    ph, pw = i(pad_h, "pad_h"), i(pad_w, "pad_w")
    inputs = [input, weight, offset, bias]
    if symbolic_helper._get_const(use_mask, "b", "use_mask"):
        inputs.append(mask)
    return g.op(TMP_DOMAIN + "::DeformConv", *inputs,
                strides_i=[i(stride_h, "stride_h"), i(stride_w, "stride_w")], pads_i=[ph, pw, ph, pw],
                dilations_i=[i(dil_h, "dil_h"), i(dil_w, "dil_w")], group_i=i(n_weight_grps, "groups"),
                offset_group_i=i(n_offset_grps, "offset_groups"))


# The exporter this symbolic is written for (TorchScript's) is deprecated in newer PyTorch releases; the
# networks themselves are still wanted there (bench/torch_model_peer.py times them on a GPU machine with
# torch 2.x), so a missing exporter API only stops an export of the DCN network, at export time.
try:
    from torch.onnx import symbolic_helper
    torch.onnx.register_custom_op_symbolic("torchvision::deform_conv2d", _deform_conv2d_symbolic, 11)
except (ImportError, AttributeError) as _e:  # pragma: no cover - newer torch only
    print(f"make_models: no DeformConv export on torch {torch.__version__}: {_e}", file=sys.stderr)


def to_standard_deform_conv(model):
    for node in model.graph.node:
        if node.domain == TMP_DOMAIN:
            node.domain = ""
    imports = [o for o in model.opset_import if o.domain not in (TMP_DOMAIN,)]
    del model.opset_import[:]
    for o in imports:
        if o.domain in ("", "ai.onnx"):
            o.version = 19
        model.opset_import.append(o)
    return model


# ----------------------------------------------------------------------------------------------
# Small networks of each family (committed)

def bn(c):
    return nn.BatchNorm2d(c)


class TinyResNet(nn.Module):
    """ResNet with torchvision's blocks at small widths: stem 7x7/2 + max pool, then one stage per
    width. block=Bottleneck with groups > 1 is ResNeXt; dilate[i] replaces stage i's stride by dilation
    (torchvision's replace_stride_with_dilation)."""

    def __init__(self, block, widths, groups=1, base_width=64, dilate=None, classes=10):
        super().__init__()
        dilate = dilate or [False] * len(widths)
        self.inplanes, self.dilation = 16, 1
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 7, 2, 3, bias=False), bn(16), nn.ReLU(inplace=True),
                                  nn.MaxPool2d(3, 2, 1))
        layers = []
        for i, w in enumerate(widths):
            stride = 1 if i == 0 else 2
            prev = self.dilation
            if dilate[i]:
                self.dilation *= stride
                stride = 1
            down = None
            if stride != 1 or self.inplanes != w * block.expansion:
                down = nn.Sequential(nn.Conv2d(self.inplanes, w * block.expansion, 1, stride, bias=False),
                                     bn(w * block.expansion))
            kw = dict(groups=groups, base_width=base_width) if block is Bottleneck else {}
            layers.append(block(self.inplanes, w, stride, down, dilation=prev, **kw))
            self.inplanes = w * block.expansion
            layers.append(block(self.inplanes, w, dilation=self.dilation, **kw))
        self.layers = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(self.inplanes, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.layers(self.stem(x))), 1))


class SqueezeExcite(nn.Module):
    """SENet's squeeze-excitation with linear layers: on [N, C] (Gemm in ONNX) or on [N, 1, C]
    (MatMul + Add), scaling x by sigmoid weights of shape [N, C, 1, 1]."""

    def __init__(self, c, r=4, three_d=False):
        super().__init__()
        self.fc1, self.fc2, self.three_d = nn.Linear(c, c // r), nn.Linear(c // r, c), three_d

    def forward(self, x):
        b, c = x.shape[0], x.shape[1]
        y = x.mean((2, 3))
        if self.three_d:
            y = y.view(b, 1, c)
        y = torch.sigmoid(self.fc2(torch.relu(self.fc1(y))))
        return x * y.view(b, c, 1, 1)


class SEBlock(nn.Module):
    def __init__(self, cin, cout, stride, three_d):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), bn(cout), nn.ReLU(inplace=True),
                                  nn.Conv2d(cout, cout, 3, 1, 1, bias=False), bn(cout))
        self.se = SqueezeExcite(cout, three_d=three_d)
        self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), bn(cout)) \
            if stride != 1 or cin != cout else nn.Identity()

    def forward(self, x):
        return torch.relu(self.se(self.body(x)) + self.short(x))


class TinySENet(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), bn(16), nn.ReLU(inplace=True))
        self.blocks = nn.Sequential(SEBlock(16, 16, 1, False), SEBlock(16, 32, 2, True))
        self.fc = nn.Linear(32, classes)

    def forward(self, x):
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(self.blocks(self.stem(x)), 1), 1))


class DrnBlock(nn.Module):
    def __init__(self, cin, cout, stride=1, dilation=1, residual=True):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, dilation, dilation, bias=False)
        self.b1 = bn(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, dilation, dilation, bias=False)
        self.b2 = bn(cout)
        self.residual = residual
        self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), bn(cout)) \
            if residual and (stride != 1 or cin != cout) else None

    def forward(self, x):
        y = self.b2(self.c2(torch.relu(self.b1(self.c1(x)))))
        if self.residual:
            y = y + (self.down(x) if self.down is not None else x)
        return torch.relu(y)


class TinyDRN(nn.Module):
    """DRN-C: strided stages to 1/8, dilated stages (2, 4) instead of further striding, the degridding
    tail (dilation 2 then 1, no residual), and a 1x1 classifier giving a dense [N, classes, H/8, W/8]."""

    def __init__(self, classes=5):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 8, 7, 1, 3, bias=False), bn(8), nn.ReLU(inplace=True),
            DrnBlock(8, 8, 2), DrnBlock(8, 16, 2), DrnBlock(16, 16, 2),
            DrnBlock(16, 16, 1, 2), DrnBlock(16, 24, 1, 4),
            DrnBlock(24, 24, 1, 2, residual=False), DrnBlock(24, 24, 1, 1, residual=False),
            nn.Conv2d(24, classes, 1))

    def forward(self, x):
        return self.net(x)


class DeformBlock(nn.Module):
    """DCNv2: offsets and a sigmoid mask predicted by an ordinary 3x3 conv on the same input."""

    def __init__(self, cin, cout, offset_groups=1, stride=1, dilation=1):
        super().__init__()
        self.og, self.stride, self.dil = offset_groups, stride, dilation
        self.offset = nn.Conv2d(cin, 3 * offset_groups * 9, 3, stride, dilation, dilation)
        self.weight = nn.Parameter(torch.randn(cout, cin, 3, 3) * 0.1)
        self.bias = nn.Parameter(torch.randn(cout) * 0.1)
        self.norm = bn(cout)

    def forward(self, x):
        om = self.offset(x)
        n = 2 * self.og * 9
        offset, mask = om[:, :n], torch.sigmoid(om[:, n:])
        y = torchvision.ops.deform_conv2d(x, offset, self.weight, self.bias, stride=self.stride, padding=self.dil,
                                          dilation=self.dil, mask=mask)
        return torch.relu(self.norm(y))


class TinyDCNv2(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), bn(16), nn.ReLU(inplace=True))
        self.d1 = DeformBlock(16, 16)
        self.d2 = DeformBlock(16, 32, offset_groups=2, stride=2, dilation=2)
        self.fc = nn.Linear(32, classes)

    def forward(self, x):
        y = self.d2(self.d1(self.stem(x)))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(y, 1), 1))


class DeformConv3x3(nn.Module):
    """A DCNv2 3x3 convolution without bias, in place of a plain one: offsets and a sigmoid mask predicted
    by an ordinary 3x3 conv on the same input (Zhu et al. 2019, "Deformable ConvNets v2")."""

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.stride = stride
        self.offset = nn.Conv2d(cin, 27, 3, stride, 1)
        self.weight = nn.Parameter(torch.randn(cout, cin, 3, 3) * (2.0 / (9 * cin)) ** 0.5)
        self.bias = nn.Parameter(torch.zeros(cout))

    def forward(self, x):
        om = self.offset(x)
        return torchvision.ops.deform_conv2d(x, om[:, :18], self.weight, self.bias, stride=self.stride, padding=1,
                                             mask=torch.sigmoid(om[:, 18:]))


def dcnv2_resnet18():
    """ResNet-18 with DCNv2 in place of the 3x3 convs of its last three stages, as the DCNv2 paper does
    for conv3-conv5; the plain ResNet-18 ("resnet18") is the same network without them."""
    model = torchvision.models.resnet18()
    for layer in (model.layer2, model.layer3, model.layer4):
        for block in layer:
            block.conv2 = DeformConv3x3(block.conv2.in_channels, block.conv2.out_channels)
    return model


def drn_c26(classes=19):
    """DRN-C-26's layout (Yu et al. 2017) at its real widths: strided stages to 1/8, stages at dilation 2
    and 4 instead of further striding, the degridding tail (dilation 2 then 1, no residual) and a 1x1
    classifier giving a dense [N, classes, H/8, W/8] (19 classes, as for Cityscapes)."""
    return nn.Sequential(
        nn.Conv2d(3, 16, 7, 1, 3, bias=False), bn(16), nn.ReLU(inplace=True),
        DrnBlock(16, 16, 1), DrnBlock(16, 32, 2), DrnBlock(32, 64, 2), DrnBlock(64, 64, 1),
        DrnBlock(64, 128, 2), DrnBlock(128, 128, 1), DrnBlock(128, 256, 1, 2), DrnBlock(256, 256, 1, 2),
        DrnBlock(256, 512, 1, 4), DrnBlock(512, 512, 1, 4),
        DrnBlock(512, 512, 1, 2, residual=False), DrnBlock(512, 512, 1, 1, residual=False),
        nn.Conv2d(512, classes, 1))


def conv_bn(cin, cout, k, stride=1, groups=1, dilation=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, dilation * (k - 1) // 2, dilation, groups, bias=False), bn(cout))


class ReparamLargeKernel(nn.Module):
    """RepLKNet's large-kernel depthwise conv: a 31x31 branch and a parallel 5x5, each with BN, summed."""

    def __init__(self, c, k=31, small=5):
        super().__init__()
        self.large = conv_bn(c, c, k, groups=c)
        self.small = conv_bn(c, c, small, groups=c)

    def forward(self, x):
        return self.large(x) + self.small(x)


class RepLKStage(nn.Module):
    """One RepLKNet stage: RepLK block (BN, 1x1 + BN + ReLU, large kernel, ReLU, 1x1 + BN, residual)
    and ConvFFN (BN, 1x1 + BN, GELU, 1x1 + BN, residual), after a stride-2 stem (24x24 from 48x48: the 31x31
    kernel is larger than the feature map, as in RepLKNet's later stages)."""

    def __init__(self, c=16):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(3, c, 3, 2), nn.ReLU())
        self.pre = bn(c)
        self.pw1 = nn.Sequential(conv_bn(c, c, 1), nn.ReLU())
        self.lk = ReparamLargeKernel(c)
        self.pw2 = conv_bn(c, c, 1)
        self.ffn_pre = bn(c)
        self.ffn1 = conv_bn(c, 2 * c, 1)
        self.ffn2 = conv_bn(2 * c, c, 1)

    def forward(self, x):
        x = self.stem(x)
        x = x + self.pw2(torch.relu(self.lk(self.pw1(self.pre(x)))))
        return x + self.ffn2(nn.functional.gelu(self.ffn1(self.ffn_pre(x))))


class DilatedReparamBlock(nn.Module):
    """UniRepLKNet's dilated re-param block for kernel 13: a 13x13 depthwise conv + BN, and parallel
    depthwise branches k=5,7,3,3,3 at dilation 1,2,3,4,5 (each + BN), summed."""

    def __init__(self, c, k=13, kernels=(5, 7, 3, 3, 3), dilations=(1, 2, 3, 4, 5)):
        super().__init__()
        self.lk = conv_bn(c, c, k, groups=c)
        self.branches = nn.ModuleList([conv_bn(c, c, kk, groups=c, dilation=d) for kk, d in zip(kernels, dilations)])

    def forward(self, x):
        y = self.lk(x)
        for b in self.branches:
            y = y + b(x)
        return y


class UniRepLKBlock(nn.Module):
    """A UniRepLKNet block (the FFN as 1x1 convs): dilated re-param block, BN, SE, 1x1 conv, GELU, 1x1 conv,
    residual; after a stride-2 stem."""

    def __init__(self, c=16):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(3, c, 3, 2), nn.ReLU())
        self.dw = DilatedReparamBlock(c)
        self.norm = bn(c)
        self.se = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(c, c // 4, 1), nn.ReLU(), nn.Conv2d(c // 4, c, 1),
                                nn.Sigmoid())
        self.pw1 = nn.Conv2d(c, 4 * c, 1)
        self.pw2 = nn.Conv2d(4 * c, c, 1)

    def forward(self, x):
        x = self.stem(x)
        y = self.norm(self.dw(x))
        y = y * self.se(y)
        return x + self.pw2(nn.functional.gelu(self.pw1(y)))


class TinyInception(nn.Module):
    """Inception-v3's structures at small widths: Inception-A (1x1, 5x5, double 3x3, 3x3 average pool
    counting the padding), a grid reduction (3x3/2 conv and max pool, concatenated), Inception-C with
    factorized 1x7 / 7x1 convs."""

    def __init__(self, classes=10):
        super().__init__()
        b = lambda i, o, k, s=1, p=0: nn.Sequential(nn.Conv2d(i, o, k, s, p, bias=False), bn(o), nn.ReLU())  # noqa
        self.stem = nn.Sequential(b(3, 16, 3, 2), b(16, 16, 3), nn.MaxPool2d(3, 2))
        self.a1, self.a5 = b(16, 8, 1), nn.Sequential(b(16, 6, 1), b(6, 8, 5, p=2))
        self.a3 = nn.Sequential(b(16, 8, 1), b(8, 12, 3, p=1), b(12, 12, 3, p=1))
        self.ap = b(16, 4, 1)
        self.r3, self.r33 = b(32, 16, 3, 2), nn.Sequential(b(32, 8, 1), b(8, 12, 3, p=1), b(12, 12, 3, 2))
        self.c1 = b(60, 16, 1)
        self.c7 = nn.Sequential(b(60, 8, 1), b(8, 8, (1, 7), p=(0, 3)), b(8, 16, (7, 1), p=(3, 0)))
        self.c77 = nn.Sequential(b(60, 8, 1), b(8, 8, (7, 1), p=(3, 0)), b(8, 8, (1, 7), p=(0, 3)),
                                 b(8, 16, (7, 1), p=(3, 0)))
        self.cp = b(60, 16, 1)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        F = nn.functional
        x = self.stem(x)
        x = torch.cat([self.a1(x), self.a5(x), self.a3(x), self.ap(F.avg_pool2d(x, 3, 1, 1))], 1)
        x = torch.cat([self.r3(x), self.r33(x), F.max_pool2d(x, 3, 2)], 1)
        x = torch.cat([self.c1(x), self.c7(x), self.c77(x), self.cp(F.avg_pool2d(x, 3, 1, 1))], 1)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def tiny_mobilenet_v2():
    return torchvision.models.MobileNetV2(num_classes=10, width_mult=0.5,
                                          inverted_residual_setting=[[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 2, 2]])


def tiny_mobilenet_v3_small():
    return torchvision.models.mobilenet_v3_small(num_classes=10, width_mult=0.25, reduced_tail=True)


def tiny_shufflenet_v2():
    return torchvision.models.ShuffleNetV2([2, 2, 1], [8, 16, 32, 64, 128], num_classes=10)


def tiny_regnet():
    from torchvision.models.regnet import BlockParams, RegNet
    return RegNet(BlockParams.from_init_params(depth=4, w_0=16, w_a=8.0, w_m=2.0, group_width=8, se_ratio=0.25),
                  num_classes=10, stem_width=16)


# ----------------------------------------------------------------------------------------------
# Model list: name -> (constructor, input size, opset, export options, what the IR must show)

def is_conv(m):
    return isinstance(m, nn.Conv2d)


TINY = {
    "resnet_tiny": (lambda: TinyResNet(BasicBlock, [16, 32]), 48, 11, {}),
    "resnext_tiny": (lambda: TinyResNet(Bottleneck, [16, 32], groups=4, base_width=16), 48, 13, {}),
    "resnet_dilated_tiny": (lambda: TinyResNet(Bottleneck, [8, 16, 16], dilate=[False, True, True]), 48, 13, {}),
    "mobilenet_v2_tiny": (tiny_mobilenet_v2, 48, 13, {}),
    "mobilenet_v3_small_tiny": (lambda: tiny_mobilenet_v3_small(), 48, 14, {}),
    "mobilenet_v3_small_tiny_opset13": (lambda: tiny_mobilenet_v3_small(), 48, 13, {}),
    "shufflenet_v2_tiny": (tiny_shufflenet_v2, 48, 17, {"dynamic_batch": True, "keep_batchnorm": True}),
    "inception_tiny": (TinyInception, 63, 11, {}),
    "regnet_y_tiny": (tiny_regnet, 48, 13, {}),
    "senet_tiny": (TinySENet, 48, 11, {}),
    "drn_tiny": (TinyDRN, 48, 13, {}),
    "dcnv2_tiny": (TinyDCNv2, 40, 17, {"deform": True}),
    "replknet_stage_tiny": (lambda: RepLKStage(8), 48, 17, {"keep_batchnorm": True}),
    "unireplknet_block_tiny": (lambda: UniRepLKBlock(8), 48, 17, {"keep_batchnorm": True}),
}

FULL = {
    "resnet18": (lambda: torchvision.models.resnet18(), 224, 13, {}),
    "resnext50_32x4d": (lambda: torchvision.models.resnext50_32x4d(), 224, 13, {}),
    "resnet50_dilated": (lambda: torchvision.models.resnet50(replace_stride_with_dilation=[False, True, True]), 224,
                         13, {}),
    "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(), 224, 13, {}),
    "mobilenet_v3_small": (lambda: torchvision.models.mobilenet_v3_small(), 224, 14, {}),
    "shufflenet_v2_x1_0": (lambda: torchvision.models.shufflenet_v2_x1_0(), 224, 17, {}),
    "inception_v3": (lambda: torchvision.models.inception_v3(aux_logits=False, init_weights=False), 299, 13, {}),
    "regnet_y_400mf": (lambda: torchvision.models.regnet_y_400mf(), 224, 13, {}),
    # the seed networks of issue 13 that torchvision does not have, at their papers' widths
    "drn_c26": (drn_c26, 224, 13, {}),
    "replknet31b_stage1": (lambda: RepLKStage(128), 112, 17, {"keep_batchnorm": True}),
    "dcnv2_resnet18": (dcnv2_resnet18, 224, 17, {"deform": True}),
}
# Full-size models take any batch: their batch dimension is symbolic (a Reshape of ShuffleNet's channel
# shuffle would otherwise hold the export's batch of 2).
for _spec in FULL.values():
    _spec[3]["dynamic_batch"] = True


def build(name, spec, out_dir, seed):
    ctor, size, opset, opts = spec
    torch.manual_seed(seed)
    model = common.randomize(ctor(), seed)
    x = common.photos(size, batch=2)
    onnx_model = common.export(model, x, opset, keep_batchnorm=opts.get("keep_batchnorm", False),
                               dynamic_batch=opts.get("dynamic_batch", False),
                               custom_opsets={TMP_DOMAIN: 1} if opts.get("deform") else None)
    if opts.get("deform"):
        onnx_model = to_standard_deform_conv(onnx_model)
    y64, rel = common.expectations(model, x)
    if not rel < 1e-4:
        raise SystemExit(f"{name}: float32 is {rel:.3g} relative L2 from float64; the model is ill-conditioned")
    counts, shapes = common.count_modules(model, x, {
        "conv": is_conv, "batchnorm": nn.BatchNorm2d, "linear": nn.Linear,
        "deform": lambda m: isinstance(m, DeformBlock)})
    entry = {
        "name": name, "opset": max(o.version for o in onnx_model.opset_import if o.domain in ("", "ai.onnx")),
        "float32_rel_l2": rel,
        "batchnorm_kept": bool(opts.get("keep_batchnorm")),
        "symbolic_batch": bool(opts.get("dynamic_batch")),
        "modules": counts,
        "conv_output_shapes": sorted(shapes["conv"]),
    }
    entry = common.save(out_dir, name, onnx_model, x, y64, entry)
    print(f"{name}: opset {entry['opset']}, {entry['bytes']} bytes, output {entry['output_shape']}, "
          f"float32 vs float64 rel L2 {rel:.2e}, modules {counts}", flush=True)
    return entry


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--full", action="store_true", help="full-size torchvision models into target/onnx-full")
    p.add_argument("--out", help="output folder")
    p.add_argument("--only", help="comma-separated model names")
    p.add_argument("--seed", type=int, default=1000,
                   help="base of the weight seeds (default 1000, the committed models); another value gives"
                        " models that are not in the repo")
    p.add_argument("--size", type=int,
                   help="input height and width for every model built (default: each model's own, e.g. 224)")
    a = p.parse_args()
    models = FULL if a.full else TINY
    out = a.out or os.path.join(ROOT, "target/onnx-full" if a.full else "src/test/resources/onnx")
    names = a.only.split(",") if a.only else list(models)
    entries = []
    for i, name in enumerate(names):
        if name not in models:
            raise SystemExit(f"unknown model {name}; known: {', '.join(models)}")
        ctor, size, opset, opts = models[name]
        entries.append(build(name, (ctor, a.size or size, opset, opts), out, seed=a.seed + list(models).index(name)))
    if not a.only:
        common.write_manifest(out, entries)


if __name__ == "__main__":
    main()
