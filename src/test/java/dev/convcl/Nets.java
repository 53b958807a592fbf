package dev.convcl;

import java.util.List;
import java.util.Random;

/**
 * Small networks built in code with seeded random weights and non-trivial batch-norm statistics,
 * in the layer order of their PyTorch modules (torchvision's ResNet, MobileNetV2, ShuffleNetV2,
 * Inception, SE blocks; DCNv2; RepLKNet and UniRepLKNet blocks).
 */
public final class Nets {
    private final Random r;
    private final Graph.Builder b = Graph.builder();
    /** Parameter count of everything added (weights, biases, batch-norm vectors). */
    private long parameters;

    public Nets(long seed) {
        this.r = new Random(seed);
    }

    public Graph.Builder builder() {
        return b;
    }

    public Random random() {
        return r;
    }

    /** Bytes of all parameters added so far, float32. */
    public long parameterBytes() {
        return parameters * 4;
    }

    public Value input(String name, int... shape) {
        return b.input(name, shape);
    }

    public Graph build(String output, Value v) {
        b.output(output, v);
        return b.build();
    }

    private HostTensor param(HostTensor t) {
        parameters += t.size();
        return t;
    }

    /** A convolution with weights scaled to its fan-in and an optional bias. */
    public Value conv(String name, Value x, int k, int kh, int kw, int stride, int padH, int padW, int dilation,
                      int groups, boolean bias) {
        int cg = x.dim(1) / groups;
        HostTensor w = param(GraphTesting.weights(r, cg * kh * kw, k, cg, kh, kw));
        HostTensor bs = bias ? param(GraphTesting.uniform(r, -0.2f, 0.2f, k)) : null;
        Window2d win = Window2d.of(kh, kw, stride, stride, padH, padW, dilation, dilation);
        return b.conv2d(name, x, w, bs, win, groups);
    }

    /** A square convolution, padding {@code dilation * (k-1) / 2} ("same" at stride 1). */
    public Value conv(String name, Value x, int k, int kernel, int stride, int groups) {
        int pad = (kernel - 1) / 2;
        return conv(name, x, k, kernel, kernel, stride, pad, pad, 1, groups, false);
    }

    /** Batch norm with statistics far from the identity. */
    public Value bn(String name, Value x) {
        int c = x.dim(1);
        return b.batchNorm(name, x, param(GraphTesting.uniform(r, -0.5f, 0.5f, c)),
                param(GraphTesting.uniform(r, 0.5f, 2f, c)), param(GraphTesting.uniform(r, 0.5f, 1.5f, c)),
                param(GraphTesting.uniform(r, -0.5f, 0.5f, c)), 1e-5f);
    }

    /** conv, bn, relu. */
    public Value convBnRelu(String name, Value x, int k, int kernel, int stride, int groups) {
        return b.relu(name + ".relu", bn(name + ".bn", conv(name + ".conv", x, k, kernel, stride, groups)));
    }

    /** torchvision's BasicBlock: conv3x3-bn-relu-conv3x3-bn, + identity (or a 1x1 downsample with bn), relu. */
    public Value basicBlock(String name, Value x, int planes, int stride) {
        Value out = b.relu(name + ".relu1", bn(name + ".bn1", conv(name + ".conv1", x, planes, 3, stride, 1)));
        out = bn(name + ".bn2", conv(name + ".conv2", out, planes, 3, 1, 1));
        Value identity = x;
        if (stride != 1 || x.dim(1) != planes) {
            identity = bn(name + ".downsample.1", conv(name + ".downsample.0", x, planes, 1, stride, 1));
        }
        return b.relu(name + ".relu2", b.add(name + ".add", out, identity));
    }

    /** torchvision's Bottleneck (ResNet-50): 1x1, 3x3 (stride), 1x1 x4, each with bn; + identity or downsample; relu. */
    public Value bottleneck(String name, Value x, int planes, int stride) {
        Value out = b.relu(name + ".relu1", bn(name + ".bn1", conv(name + ".conv1", x, planes, 1, 1, 1)));
        out = b.relu(name + ".relu2", bn(name + ".bn2", conv(name + ".conv2", out, planes, 3, stride, 1)));
        out = bn(name + ".bn3", conv(name + ".conv3", out, planes * 4, 1, 1, 1));
        Value identity = x;
        if (stride != 1 || x.dim(1) != planes * 4) {
            identity = bn(name + ".downsample.1", conv(name + ".downsample.0", x, planes * 4, 1, stride, 1));
        }
        return b.relu(name + ".relu3", b.add(name + ".add", out, identity));
    }

    /** torchvision's ResNet-50 (bottlenecks 3, 4, 6, 3) with a 1000-class head. */
    public Value resnet50(Value x) {
        Value y = b.relu("relu", bn("bn1", conv("conv1", x, 64, 7, 7, 2, 3, 3, 1, 1, false)));
        y = b.maxPool2d("maxpool", y, 3, 2, 1);
        int[] blocks = {3, 4, 6, 3};
        int planes = 64;
        for (int layer = 0; layer < 4; layer++) {
            for (int i = 0; i < blocks[layer]; i++) {
                y = bottleneck("layer" + (layer + 1) + "." + i, y, planes, i == 0 && layer > 0 ? 2 : 1);
            }
            planes *= 2;
        }
        y = b.flatten("flatten", b.globalAvgPool("avgpool", y));
        int in = y.dim(1);
        return b.linear("fc", y, param(GraphTesting.weights(r, in, 1000, in)), param(GraphTesting.uniform(r, -0.1f, 0.1f,
                1000)));
    }

    /**
     * A squeeze-and-excitation block after a conv-bn (SE-ResNet style): s = sigmoid(fc2(relu(fc1(avgpool(x))))),
     * out = relu(x * s + residual); the fully connected layers are 1x1 convolutions with bias, as torchvision's.
     */
    public Value seBlock(String name, Value x, Value residual, int squeeze) {
        int c = x.dim(1);
        Value s = b.globalAvgPool(name + ".avgpool", x);
        s = b.relu(name + ".relu", conv(name + ".fc1", s, squeeze, 1, 1, 1, 0, 0, 1, 1, true));
        s = b.sigmoid(name + ".sigmoid", conv(name + ".fc2", s, c, 1, 1, 1, 0, 0, 1, 1, true));
        Value scaled = b.mul(name + ".scale", x, s);
        return b.relu(name + ".out_relu", b.add(name + ".add", scaled, residual));
    }

    /** MobileNetV2's InvertedResidual: 1x1 expand-bn-relu6, 3x3 depthwise-bn-relu6, 1x1 project-bn, + x at stride 1. */
    public Value invertedResidual(String name, Value x, int out, int stride, int expand) {
        int hidden = x.dim(1) * expand;
        Value y = b.relu6(name + ".0.2", bn(name + ".0.1", conv(name + ".0.0", x, hidden, 1, 1, 1)));
        y = b.relu6(name + ".1.2", bn(name + ".1.1", conv(name + ".1.0", y, hidden, 3, stride, hidden)));
        y = bn(name + ".3", conv(name + ".2", y, out, 1, 1, 1));
        return stride == 1 && x.dim(1) == out ? b.add(name + ".add", x, y) : y;
    }

    /** ShuffleNetV2's unit at stride 1: split in halves, branch2 (1x1-bn-relu, dw3x3-bn, 1x1-bn-relu), concat, shuffle(2). */
    public Value shuffleUnit(String name, Value x) {
        int half = x.dim(1) / 2;
        List<Value> parts = b.split(name + ".chunk", x, half, half);
        Value y = convBnRelu(name + ".branch2.0", parts.get(1), half, 1, 1, 1);
        y = bn(name + ".branch2.4", conv(name + ".branch2.3", y, half, 3, 1, half));
        y = convBnRelu(name + ".branch2.5", y, half, 1, 1, 1);
        return b.channelShuffle(name + ".shuffle", b.concat(name + ".cat", parts.get(0), y), 2);
    }

    /**
     * torchvision's ShuffleNetV2 unit at stride 2: branch1 (3x3 depthwise at stride 2, bn, 1x1,
     * bn, relu) and branch2 (1x1, bn, relu, 3x3 depthwise at stride 2, bn, 1x1, bn, relu) of the
     * whole input, each {@code out / 2} channels, concatenated and shuffled in 2 groups.
     */
    public Value shuffleDownUnit(String name, Value x, int out) {
        int c = x.dim(1);
        int half = out / 2;
        Value y1 = bn(name + ".branch1.1", conv(name + ".branch1.0", x, c, 3, 2, c));
        y1 = convBnRelu(name + ".branch1.2", y1, half, 1, 1, 1);
        Value y2 = convBnRelu(name + ".branch2.0", x, half, 1, 1, 1);
        y2 = bn(name + ".branch2.4", conv(name + ".branch2.3", y2, half, 3, 2, half));
        y2 = convBnRelu(name + ".branch2.5", y2, half, 1, 1, 1);
        return b.channelShuffle(name + ".shuffle", b.concat(name + ".cat", y1, y2), 2);
    }

    /**
     * The network the channel-window tests share: input {@code x} of {@code shape} (6 channels),
     * a ShuffleNetV2 unit at stride 2 to 12 channels, one at stride 1, an Inception block of width
     * 4; output {@code out}.
     */
    public Graph shuffleUnitsAndInception(int... shape) {
        Value x = input("x", shape);
        Value y = shuffleUnit("stage2.1", shuffleDownUnit("stage2.0", x, 12));
        return build("out", inceptionBlock("mixed", y, 4));
    }

    /** An Inception-C-like block: 1x1; 1x1 then 1x7 then 7x1; 3x3 avg pool (count_include_pad=False) then 1x1; concat. */
    public Value inceptionBlock(String name, Value x, int width) {
        Value b1 = b.relu(name + ".b1.relu", bn(name + ".b1.bn", conv(name + ".b1.conv", x, width, 1, 1, 1)));
        Value b2 = b.relu(name + ".b2a.relu", bn(name + ".b2a.bn", conv(name + ".b2a.conv", x, width, 1, 1, 1)));
        b2 = b.relu(name + ".b2b.relu", bn(name + ".b2b.bn",
                conv(name + ".b2b.conv", b2, width, 1, 7, 1, 0, 3, 1, 1, false)));
        b2 = b.relu(name + ".b2c.relu", bn(name + ".b2c.bn",
                conv(name + ".b2c.conv", b2, width, 7, 1, 1, 3, 0, 1, 1, false)));
        Value b3 = b.avgPool2d(name + ".pool", x, 3, 1, 1, false, false);
        b3 = b.relu(name + ".b3.relu", bn(name + ".b3.bn", conv(name + ".b3.conv", b3, width, 1, 1, 1)));
        Value b4 = b.maxPool2d(name + ".maxpool", x, 3, 1, 1, 1, true);
        return b.concat(name + ".cat", b1, b2, b3, b4);
    }

    /**
     * A DCNv2 layer: offsets from a 3x3 conv of the input (2*9 channels), the mask from another
     * (9 channels, sigmoid), then a modulated deformable 3x3 conv with bias, bn, relu.
     */
    public Value dcnv2(String name, Value x, int k) {
        Value offset = conv(name + ".offset", x, 18, 3, 3, 1, 1, 1, 1, 1, true);
        Value mask = b.sigmoid(name + ".mask_sigmoid", conv(name + ".mask", x, 9, 3, 3, 1, 1, 1, 1, 1, true));
        HostTensor w = param(GraphTesting.weights(r, x.dim(1) * 9, k, x.dim(1), 3, 3));
        HostTensor bias = param(GraphTesting.uniform(r, -0.2f, 0.2f, k));
        Value y = b.deformConv2d(name + ".dcn", x, offset, mask, w, bias, 1, 1, 1);
        return b.relu(name + ".relu", bn(name + ".bn", y));
    }

    /** RepLKNet's ReparamLargeKernelConv: depthwise large kernel with bn + depthwise small kernel with bn, summed. */
    public Value repLk(String name, Value x, int large, int small) {
        int c = x.dim(1);
        Value lk = bn(name + ".lkb_origin.bn", conv(name + ".lkb_origin.conv", x, c, large, 1, c));
        Value sk = bn(name + ".small_conv.bn", conv(name + ".small_conv.conv", x, c, small, 1, c));
        return b.add(name + ".add", lk, sk);
    }

    /**
     * UniRepLKNet's DilatedReparamBlock: a depthwise k x k conv with bn plus depthwise dilated
     * branches (kernel k_i at dilation r_i, padding r_i*(k_i-1)/2) with bn each, summed in order.
     */
    public Value dilatedReparam(String name, Value x, int k, int[] kernels, int[] dilations) {
        int c = x.dim(1);
        Value out = bn(name + ".origin_bn", conv(name + ".lk_origin", x, c, k, 1, c));
        for (int i = 0; i < kernels.length; i++) {
            int kk = kernels[i], r = dilations[i], pad = r * (kk - 1) / 2;
            Value br = conv(name + ".dil_conv_k" + kk + "_" + r, x, c, kk, kk, 1, pad, pad, r, c, false);
            out = b.add(name + ".add" + i, out, bn(name + ".dil_bn_k" + kk + "_" + r, br));
        }
        return out;
    }
}
