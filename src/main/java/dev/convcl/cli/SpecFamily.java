package dev.convcl.cli;

import dev.convcl.Activation;
import dev.convcl.Conv2d;
import dev.convcl.ConvBuilder;
import dev.convcl.Convolution;
import dev.convcl.DataType;
import dev.convcl.DeformConv2d;
import dev.convcl.Direction;
import dev.convcl.PostOps;
import java.util.SplittableRandom;

/**
 * The kinds of convolution the library promises, each with a generator of random small valid
 * problems of that kind (sizes a few to 17, odd sizes likely, batch 1 or 2, bias and ReLU
 * sometimes), for {@code convcl verify}.
 */
enum SpecFamily {
    DENSE("dense") {
        @Override
        Convolution random(SplittableRandom r) {
            int k = r.nextInt(1, 6);
            return shaped(r, Conv2d.builder(), r.nextInt(1, 13), r.nextInt(1, 13), 1, k, k, r.nextInt(1, 4), 1, 1);
        }
    },
    DILATED("dilated") {
        @Override
        Convolution random(SplittableRandom r) {
            int k = r.nextInt(2, 5);
            return shaped(r, Conv2d.builder(), r.nextInt(1, 9), r.nextInt(1, 9), 1, k, k, r.nextInt(1, 3),
                    r.nextInt(2, 5), r.nextInt(2, 5));
        }
    },
    GROUPED("grouped") {
        @Override
        Convolution random(SplittableRandom r) {
            int g = r.nextInt(2, 5);
            return shaped(r, Conv2d.builder(), g * r.nextInt(2, 5), g * r.nextInt(1, 5), g, 3, 3, r.nextInt(1, 3), 1, 1);
        }
    },
    DEPTHWISE("depthwise") {
        @Override
        Convolution random(SplittableRandom r) {
            int c = r.nextInt(1, 17);
            int k = r.nextBoolean() ? 3 : 5;
            return shaped(r, Conv2d.builder(), c, c, c, k, k, r.nextInt(1, 3), 1, 1);
        }
    },
    DEPTHWISE_MULTIPLIER("depthwise multiplier") {
        @Override
        Convolution random(SplittableRandom r) {
            int c = r.nextInt(1, 9);
            return shaped(r, Conv2d.builder(), c, c * r.nextInt(2, 4), c, 3, 3, r.nextInt(1, 3), 1, 1);
        }
    },
    POINTWISE("1x1") {
        @Override
        Convolution random(SplittableRandom r) {
            return shaped(r, Conv2d.builder(), r.nextInt(1, 17), r.nextInt(1, 17), 1, 1, 1, r.nextInt(1, 3), 1, 1);
        }
    },
    ASYMMETRIC("asymmetric") {
        @Override
        Convolution random(SplittableRandom r) {
            int[][] kernels = {{1, 7}, {7, 1}, {1, 3}, {3, 1}, {3, 5}, {5, 2}};
            int[] k = kernels[r.nextInt(kernels.length)];
            return shaped(r, Conv2d.builder(), r.nextInt(1, 9), r.nextInt(1, 9), 1, k[0], k[1], r.nextInt(1, 4),
                    r.nextInt(1, 3), r.nextInt(1, 3));
        }
    },
    LARGE_KERNEL("large kernel") {
        @Override
        Convolution random(SplittableRandom r) {
            int k = 2 * r.nextInt(4, 16) + 1; // 9 .. 31, odd as in RepLKNet
            int c = r.nextInt(1, 5);
            boolean depthwise = r.nextBoolean();
            return shaped(r, Conv2d.builder(), c, depthwise ? c : r.nextInt(1, 4), depthwise ? c : 1, k, k, 1, 1, 1);
        }
    },
    DEFORM_V1("deform v1") {
        @Override
        Convolution random(SplittableRandom r) {
            return deform(r, false);
        }
    },
    DEFORM_V2("deform v2") {
        @Override
        Convolution random(SplittableRandom r) {
            return deform(r, true);
        }
    };

    private final String label;

    SpecFamily(String label) {
        this.label = label;
    }

    String label() {
        return label;
    }

    abstract Convolution random(SplittableRandom r);

    private static Convolution deform(SplittableRandom r, boolean mask) {
        int og = r.nextInt(1, 4);
        int groups = r.nextInt(1, 3);
        int c = og * groups * r.nextInt(1, 3); // divisible by both
        int k = r.nextInt(1, 4);
        return shaped(r, DeformConv2d.builder().offsetGroups(og).mask(mask), c, groups * r.nextInt(1, 4), groups, k,
                r.nextInt(1, 4), r.nextInt(1, 3), r.nextInt(1, 3), r.nextInt(1, 3));
    }

    /**
     * Completes a builder with a random batch, padding, a spatial size the (dilated) kernel fits
     * in, the given stride on both axes, and a random bias and ReLU.
     */
    private static Convolution shaped(SplittableRandom r, ConvBuilder<?> b, int c, int k, int groups, int kh, int kw,
                                      int stride, int dilH, int dilW) {
        int padH = r.nextInt(0, kh / 2 * dilH + 2);
        int padW = r.nextInt(0, kw / 2 * dilW + 2);
        int spanH = dilH * (kh - 1) + 1;
        int spanW = dilW * (kw - 1) + 1;
        int h = Math.max(1, spanH - 2 * padH) + r.nextInt(0, 12);
        int w = Math.max(1, spanW - 2 * padW) + r.nextInt(0, 12);
        int sh = stride, sw = r.nextInt(4) == 0 ? r.nextInt(1, 4) : stride;
        b.input(r.nextInt(1, 3), c, h, w).output(k).kernel(kh, kw).stride(sh, sw).padding(padH, padW)
                .dilation(dilH, dilW).groups(groups).bias(r.nextBoolean())
                .postOps(r.nextInt(4) == 0 ? PostOps.of(Activation.relu()) : PostOps.none());
        return b instanceof DeformConv2d.Builder d ? d.build() : ((Conv2d.Builder) b).build();
    }

    /**
     * A bundled-suite problem made small enough for the reference, keeping its structure:
     * batch 1; height and width at most {@value #SHRUNK_SPATIAL} (more only where the dilated
     * kernel needs it); at most {@value #SHRUNK_GROUPS} groups of at most
     * {@value #SHRUNK_CHANNELS} input and output channels (depthwise stays depthwise); offset
     * groups reduced until they divide the channels.
     */
    static Convolution shrink(Convolution s) {
        int groups = Math.min(s.groups(), SHRUNK_GROUPS);
        int c = groups * Math.min(s.cPerGroup(), SHRUNK_CHANNELS);
        int k = groups * Math.min(s.kPerGroup(), SHRUNK_CHANNELS);
        int h = Math.max(Math.min(s.h(), SHRUNK_SPATIAL), s.dilH() * (s.kh() - 1) + 1 - s.padTop() - s.padBottom());
        int w = Math.max(Math.min(s.w(), SHRUNK_SPATIAL), s.dilW() * (s.kw() - 1) + 1 - s.padLeft() - s.padRight());
        if (s instanceof DeformConv2d d) {
            int og = Math.min(d.offsetGroups(), c);
            while (c % og != 0) {
                og--;
            }
            return new DeformConv2d(1, c, h, w, k, s.window(), groups, og, d.mask(), s.bias(), s.postOps(), DataType.F32,
                    Direction.FORWARD);
        }
        return new Conv2d(1, c, h, w, k, s.window(), groups, s.bias(), s.postOps(), DataType.F32, Direction.FORWARD);
    }

    static final int SHRUNK_SPATIAL = 12;
    static final int SHRUNK_GROUPS = 4;
    static final int SHRUNK_CHANNELS = 8;
}
