package dev.convcl.graph;

import dev.convcl.Binary;
import dev.convcl.ChannelAffine;
import dev.convcl.ChannelCopy;
import dev.convcl.ChannelShuffle;
import dev.convcl.Conv2d;
import dev.convcl.Convolution;
import dev.convcl.DataType;
import dev.convcl.DeformConv2d;
import dev.convcl.Direction;
import dev.convcl.Operation;
import dev.convcl.Pad2d;
import dev.convcl.Pool2d;
import dev.convcl.PostOps;
import dev.convcl.RoiAlign;
import dev.convcl.SqueezeExcitation;
import dev.convcl.Value;
import dev.convcl.Window2d;

/** The executable operation of a node, and the 4-D view of a value that layout-free operations use. */
public final class Descriptors {
    private Descriptors() {
    }

    /**
     * A value of rank 1 to 4 as {@code [n, c, h, w]} with channels at dimension 1: {@code [C]} is
     * {@code [1, C, 1, 1]}, {@code [N, C]} is {@code [N, C, 1, 1]}, {@code [N, C, L]} is {@code [N, C, L, 1]}.
     */
    public static int[] as4d(int[] s) {
        return switch (s.length) {
            case 1 -> new int[] {1, s[0], 1, 1};
            case 2 -> new int[] {s[0], s[1], 1, 1};
            case 3 -> new int[] {s[0], s[1], s[2], 1};
            case 4 -> s.clone();
            default -> throw new IllegalArgumentException("rank " + s.length + " is not 1 to 4");
        };
    }

    /**
     * The one operation that computes {@code node}, or null for a node that needs none (a reshape
     * view, a constant) or several (a concatenation: {@link #concatPart}).
     */
    public static Operation of(Node node) {
        Layer l = node.layer();
        int[] x = node.inputs().isEmpty() ? null : node.input(0).shape();
        if (l instanceof Layer.Conv c) {
            return conv(c, x);
        }
        if (l instanceof Layer.BatchNorm) {
            int[] s = as4d(x);
            return new ChannelAffine(s[0], s[1], s[2], s[3], PostOps.none());
        }
        if (l instanceof Layer.Affine a) {
            int[] s = as4d(x);
            return new ChannelAffine(s[0], s[1], s[2], s[3], a.post());
        }
        if (l instanceof Layer.Act a) {
            int[] s = as4d(x);
            return new ChannelAffine(s[0], s[1], s[2], s[3], PostOps.of(a.activation()));
        }
        if (l instanceof Layer.Elementwise e) {
            return new Binary(e.op(), x, node.input(1).shape(), e.post());
        }
        if (l instanceof Layer.Slice s) {
            int[] v = as4d(x);
            return new ChannelCopy(v[0], v[2], v[3], v[1], s.start(), s.count(), 0, s.count());
        }
        if (l instanceof Layer.Shuffle s) {
            int[] v = as4d(x);
            return new ChannelShuffle(v[0], v[1], v[2], v[3], s.groups());
        }
        if (l instanceof Layer.Pool p) {
            return new Pool2d(p.op(), x[0], x[1], x[2], x[3], p.window(), p.ceilMode(), p.countIncludePad());
        }
        if (l instanceof Layer.Pad p) {
            return new Pad2d(x[0], x[1], x[2], x[3], p.top(), p.left(), p.bottom(), p.right(), p.value());
        }
        if (l instanceof Layer.Linear lin) {
            return linear(lin, x[0]);
        }
        if (l instanceof Layer.SqueezeExcite se) {
            return new SqueezeExcitation(x[0], x[1], x[2], x[3], se.squeeze(), se.activation(), se.scaleActivation(),
                    se.apply());
        }
        if (l instanceof Layer.Roi r) {
            return new RoiAlign(RoiAlign.Kind.ROI_ALIGN, x[0], x[1], x[2], x[3], node.input(1).dim(0), r.outH(),
                    r.outW(), r.spatialScale(), r.samplingRatio(), r.aligned(), 0f, false, false, DataType.F32,
                    Direction.FORWARD);
        }
        return null;
    }

    /** The convolution of a {@link Layer.Conv} on an input of shape {@code x}. */
    public static Convolution conv(Layer.Conv c, int[] x) {
        if (c.deformable()) {
            return new DeformConv2d(x[0], x[1], x[2], x[3], c.k(), c.window(), c.groups(), c.offsetGroups(), c.mask(),
                    c.bias() != null, c.post(), DataType.F32, Direction.FORWARD);
        }
        return new Conv2d(x[0], x[1], x[2], x[3], c.k(), c.window(), c.groups(), c.bias() != null, c.post(),
                DataType.F32, Direction.FORWARD);
    }

    /** A linear layer as a 1x1 convolution of {@code [n, in, 1, 1]}. */
    public static Conv2d linear(Layer.Linear lin, int n) {
        return new Conv2d(n, lin.in(), 1, 1, lin.out(), Window2d.of(1, 1, 1, 1, 0, 0, 1, 1), 1, lin.bias() != null,
                lin.post(), DataType.F32, Direction.FORWARD);
    }

    /** The copy of part {@code i} of a concatenation into its output. */
    public static ChannelCopy concatPart(Node concat, int i) {
        return concatPart(concat, i, null, null, 1);
    }

    /**
     * The copy of part {@code i} of a concatenation, read from the source of the slice that
     * computes the part (when {@code slice} is not null) and written to the output of a channel
     * shuffle of {@code groups} groups that follows the concatenation (when {@code groups > 1}):
     * the part's channel {@code c} of the concatenation lands where the shuffle puts it, channel
     * {@code (c mod size) * groups + c / size} with {@code size = channels / groups}; the part
     * must lie within one group.
     *
     * @param concat      the concatenation
     * @param i           the part
     * @param slice       the slice computing the part, or null
     * @param sliceSource the slice's input (when {@code slice} is not null)
     * @param groups      the shuffle's groups, 1 without a shuffle
     * @return the copy
     */
    public static ChannelCopy concatPart(Node concat, int i, Layer.Slice slice, Value sliceSource, int groups) {
        int[] out = as4d(concat.output().shape());
        int start = 0;
        for (int j = 0; j < i; j++) {
            start += concat.input(j).dim(1);
        }
        int count = as4d(concat.input(i).shape())[1];
        int srcChannels = slice == null ? count : as4d(sliceSource.shape())[1];
        int srcStart = slice == null ? 0 : slice.start();
        int size = out[1] / groups;
        int dstStart = (start % size) * groups + start / size;
        // one channel needs no step (and so takes the contiguous copy)
        return new ChannelCopy(out[0], out[2], out[3], srcChannels, srcStart, out[1], dstStart, count,
                count == 1 ? 1 : groups);
    }
}
