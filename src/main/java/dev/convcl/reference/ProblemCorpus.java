package dev.convcl.reference;

import dev.convcl.Activation;
import dev.convcl.Conv2d;
import dev.convcl.Convolution;
import dev.convcl.DataType;
import dev.convcl.DeformConv2d;
import dev.convcl.Direction;
import dev.convcl.Operation;
import dev.convcl.PostOps;
import dev.convcl.Window2d;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Convolution problems to check a backend with: hand-picked odd cases, and small random valid
 * specs drawn from a seed. The tests cross-check every backend on them against
 * {@link dev.convcl.reference.ReferenceConv}; a {@code verify} command can do the same on a
 * user's device.
 *
 * <p>The hand-picked cases are written in the one-line form of the shapes files (a name, then
 * {@code key=value} fields), so each is also a copy-paste repro. All problems are small enough
 * for the reference to finish in milliseconds.
 */
public final class ProblemCorpus {

    /** Largest input height and width the random specs use. */
    public static final int RANDOM_MAX_HW = 20;
    /** Largest channel count (input and output) the random specs use. */
    public static final int RANDOM_MAX_CHANNELS = 16;

    private static final String[] CONV2D = {
            // Sizes 1, 7, 13, 33 and the smallest possible problem.
            "tiny.1x1.on.1x1         op=conv2d n=1 c=1 h=1 w=1 k=1 kh=1 kw=1",
            "size1.3x3.pad1          op=conv2d n=2 c=3 h=1 w=1 k=2 kh=3 kw=3 pad=1 bias=1",
            "size7.3x3               op=conv2d n=1 c=4 h=7 w=7 k=5 kh=3 kw=3 pad=1 bias=1 relu=1",
            "size13.5x5.s2           op=conv2d n=3 c=3 h=13 w=13 k=4 kh=5 kw=5 stride=2 pad=2 bias=1",
            "size33.3x3.s3           op=conv2d n=1 c=5 h=33 w=33 k=3 kh=3 kw=3 stride=3 pad=0",
            "rect.13x33.1x1          op=conv2d n=2 c=7 h=13 w=33 k=9 kh=1 kw=1 relu=1",
            "pointwise.s2            op=conv2d n=1 c=16 h=13 w=7 k=8 kh=1 kw=1 stride=2 bias=1",
            // Asymmetric kernels (Inception's 1x7 / 7x1) with matching asymmetric padding.
            "inception.1x7           op=conv2d n=1 c=6 h=13 w=13 k=4 kh=1 kw=7 pad=0,3 bias=1 relu=1",
            "inception.7x1           op=conv2d n=2 c=6 h=13 w=13 k=4 kh=7 kw=1 pad=3,0 bias=1",
            "inception.1x7.s2        op=conv2d n=1 c=3 h=7 w=33 k=2 kh=1 kw=7 stride=2,1 pad=0,4",
            // Very large kernels (RepLKNet's 31x31), dense and depthwise, padded and not.
            "large.31x31.valid       op=conv2d n=1 c=2 h=33 w=33 k=3 kh=31 kw=31 bias=1",
            "large.31x31.dw.same     op=conv2d n=1 c=4 h=33 w=33 k=4 kh=31 kw=31 pad=15 groups=4 bias=1 relu=1",
            "large.31x31.on.13       op=conv2d n=1 c=2 h=13 w=13 k=2 kh=31 kw=31 pad=15 groups=2",
            // Stride 1 to 3, padding 0 to 4, dilation 1 to 4, each axis on its own.
            "asym.stride.pad         op=conv2d n=1 c=3 h=13 w=7 k=4 kh=3 kw=3 stride=1,3 pad=4,0 bias=1",
            "asym.stride.pad.2       op=conv2d n=2 c=2 h=7 w=13 k=3 kh=3 kw=5 stride=3,2 pad=0,4 relu=1",
            "dilated.2               op=conv2d n=1 c=4 h=13 w=13 k=4 kh=3 kw=3 pad=2 dil=2 bias=1",
            "dilated.4.drn           op=conv2d n=1 c=8 h=13 w=13 k=8 kh=3 kw=3 pad=4 dil=4 bias=1 relu=1",
            "dilated.asym.1,4        op=conv2d n=1 c=3 h=13 w=33 k=2 kh=3 kw=3 pad=1,4 dil=1,4",
            "dilated.asym.3,2.s2     op=conv2d n=3 c=2 h=33 w=13 k=3 kh=5 kw=3 stride=2 pad=3,1 dil=3,2 bias=1",
            "dilated.larger.than.in  op=conv2d n=1 c=1 h=7 w=7 k=1 kh=3 kw=3 pad=4 dil=4",
            "pad.only                op=conv2d n=1 c=1 h=1 w=7 k=2 kh=5 kw=5 pad=4,2 bias=1",
            // Groups 2, 3 and 32; depthwise with multiplier 1 and 2.
            "groups2                 op=conv2d n=2 c=6 h=13 w=7 k=4 kh=3 kw=2 stride=2,1 pad=1,0 dil=2,1 groups=2 bias=1 relu=1",
            "groups3                 op=conv2d n=1 c=9 h=7 w=13 k=6 kh=3 kw=3 pad=1 groups=3 bias=1",
            "groups32.resnext        op=conv2d n=1 c=64 h=7 w=7 k=64 kh=3 kw=3 pad=1 groups=32 bias=1 relu=1",
            "groups32.s2             op=conv2d n=2 c=32 h=13 w=13 k=64 kh=3 kw=3 stride=2 pad=1 groups=32",
            "depthwise.3x3           op=conv2d n=1 c=16 h=13 w=13 k=16 kh=3 kw=3 pad=1 groups=16 bias=1 relu=1",
            "depthwise.s2            op=conv2d n=3 c=8 h=33 w=33 k=8 kh=3 kw=3 stride=2 pad=1 groups=8 bias=1",
            "depthwise.5x5.dil2      op=conv2d n=1 c=5 h=13 w=13 k=5 kh=5 kw=5 pad=4 dil=2 groups=5",
            "depthwise.mult2         op=conv2d n=2 c=6 h=13 w=7 k=12 kh=3 kw=3 pad=1 groups=6 bias=1",
            "depthwise.mult2.7x1     op=conv2d n=1 c=3 h=33 w=7 k=6 kh=7 kw=1 stride=2,1 pad=3,0 groups=3 relu=1",
    };

    private static final String[] DEFORM2D = {
            // torchvision's own test problem (test_ops.py, TestDeformConv), batch 33 and 1.
            "torchvision.b33.mask    op=deform2d n=33 c=6 h=5 w=4 k=2 kh=3 kw=2 stride=2,1 pad=1,0 dil=2,1 groups=2 og=3 mask=1 bias=1",
            "torchvision.b33         op=deform2d n=33 c=6 h=5 w=4 k=2 kh=3 kw=2 stride=2,1 pad=1,0 dil=2,1 groups=2 og=3 mask=0 bias=1",
            "torchvision.b1.mask     op=deform2d n=1 c=6 h=5 w=4 k=2 kh=3 kw=2 stride=2,1 pad=1,0 dil=2,1 groups=2 og=3 mask=1 bias=1",
            "torchvision.b1          op=deform2d n=1 c=6 h=5 w=4 k=2 kh=3 kw=2 stride=2,1 pad=1,0 dil=2,1 groups=2 og=3 mask=0 bias=1",
            // DCN in a ResNet stage: 3x3, one offset group, mask (DCNv2), small.
            "dcn.3x3.v2              op=deform2d n=1 c=8 h=13 w=13 k=8 kh=3 kw=3 pad=1 og=1 mask=1 bias=1 relu=1",
            "dcn.3x3.v1.s2           op=deform2d n=2 c=4 h=13 w=7 k=4 kh=3 kw=3 stride=2 pad=1 og=2 mask=0",
            "dcn.depthwise           op=deform2d n=1 c=4 h=7 w=7 k=8 kh=3 kw=3 pad=2 dil=2 groups=4 og=4 mask=1 bias=1",
            "dcn.1x1                 op=deform2d n=1 c=3 h=1 w=7 k=2 kh=1 kw=1 og=3 mask=1",
            "dcn.5x5.asym            op=deform2d n=1 c=2 h=7 w=13 k=3 kh=5 kw=3 stride=1,2 pad=4,0 dil=1,3 og=2 mask=0 bias=1",
    };

    private ProblemCorpus() {
    }

    /** The hand-picked conv2d problems, by name, in a fixed order. */
    public static Map<String, Convolution> conv2d() {
        return parseAll(CONV2D);
    }

    /** The hand-picked deform2d problems (torchvision's test problem first), by name. */
    public static Map<String, Convolution> deform2d() {
        return parseAll(DEFORM2D);
    }

    private static Map<String, Convolution> parseAll(String[] lines) {
        Map<String, Convolution> specs = new LinkedHashMap<>();
        for (String line : lines) {
            String name = line.trim().split("\\s+", 2)[0];
            specs.put(name, (Convolution) Operation.parse(line));
        }
        return Collections.unmodifiableMap(specs);
    }

    /**
     * {@code count} valid random specs of {@code op}, the same for the same seed: batch 1 to 3,
     * channels up to {@value #RANDOM_MAX_CHANNELS}, input sides 1 to {@value #RANDOM_MAX_HW},
     * kernels 1 to 7 per axis, stride 1 to 3, padding 0 to 4, dilation 1 to 4 (each axis on its
     * own), groups among the common divisors of c and k (depthwise included), bias and ReLU on or
     * off; for deform2d also offset groups 1 to 4 dividing c and the mask on or off.
     *
     * <p>About half of the specs are siblings of an earlier one: the same kernel, stride,
     * padding, dilation, channels, groups and epilogue with a new batch and image size. A backend
     * that builds kernels per shape then reuses a build with new run-time sizes, which checks
     * that nothing sized at run time was baked into the build, and the suite builds fewer kernels.
     */
    public static List<Convolution> random(boolean deformable, long seed, int count) {
        if (count < 0) {
            throw new IllegalArgumentException("count=" + count + " must not be negative");
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Convolution> specs = new ArrayList<>(count);
        while (specs.size() < count) {
            Convolution s = specs.isEmpty() || rnd.nextBoolean() ? tryDraw(deformable, rnd)
                    : tryResize(specs.get(rnd.nextInt(specs.size())), rnd);
            if (s != null) {
                specs.add(s);
            }
        }
        return List.copyOf(specs);
    }

    /** {@code s} with a new batch and image size; null when its kernel does not fit them. */
    private static Convolution tryResize(Convolution s, SplittableRandom rnd) {
        int h = 1 + rnd.nextInt(RANDOM_MAX_HW), w = 1 + rnd.nextInt(RANDOM_MAX_HW);
        if (!fits(s.kh(), s.dilH(), s.padTop(), h) || !fits(s.kw(), s.dilW(), s.padLeft(), w)) {
            return null;
        }
        int n = 1 + rnd.nextInt(3);
        if (s instanceof DeformConv2d d) {
            return new DeformConv2d(n, d.c(), h, w, d.k(), d.window(), d.groups(), d.offsetGroups(), d.mask(), d.bias(),
                    d.postOps(), DataType.F32, Direction.FORWARD);
        }
        return new Conv2d(n, s.c(), h, w, s.k(), s.window(), s.groups(), s.bias(), s.postOps(), DataType.F32,
                Direction.FORWARD);
    }

    private static boolean fits(int kernel, int dilation, int pad, int size) {
        return dilation * (kernel - 1) + 1 <= size + 2 * pad;
    }

    /** One draw; null when the kernel does not fit the padded input (drawn again then). */
    private static Convolution tryDraw(boolean deformable, SplittableRandom rnd) {
        int max = RANDOM_MAX_CHANNELS;
        int groups, c, k;
        int mode = rnd.nextInt(10);
        if (mode < 2) { // depthwise, channel multiplier 1 or 2
            c = 1 + rnd.nextInt(max / 2);
            groups = c;
            k = c * (1 + rnd.nextInt(2));
        } else if (mode < 5) { // grouped
            groups = 2 + rnd.nextInt(3);
            c = groups * (1 + rnd.nextInt(max / groups));
            k = groups * (1 + rnd.nextInt(max / groups));
        } else { // dense
            groups = 1;
            c = 1 + rnd.nextInt(max);
            k = 1 + rnd.nextInt(max);
        }
        int kh = smallKernel(rnd), kw = smallKernel(rnd);
        int dilH = 1 + rnd.nextInt(4), dilW = 1 + rnd.nextInt(4);
        int padH = rnd.nextInt(5), padW = rnd.nextInt(5);
        int h = 1 + rnd.nextInt(RANDOM_MAX_HW), w = 1 + rnd.nextInt(RANDOM_MAX_HW);
        if (!fits(kh, dilH, padH, h) || !fits(kw, dilW, padW, w)) {
            return null;
        }
        int og = 1;
        boolean mask = false;
        if (deformable) {
            do {
                og = 1 + rnd.nextInt(4);
            } while (c % og != 0);
            mask = rnd.nextBoolean();
        }
        int n = 1 + rnd.nextInt(3);
        Window2d win = Window2d.of(kh, kw, smallStride(rnd), smallStride(rnd), padH, padW, dilH, dilW);
        boolean bias = rnd.nextBoolean();
        PostOps post = rnd.nextBoolean() ? PostOps.of(Activation.relu()) : PostOps.none();
        return deformable
                ? new DeformConv2d(n, c, h, w, k, win, groups, og, mask, bias, post, DataType.F32, Direction.FORWARD)
                : new Conv2d(n, c, h, w, k, win, groups, bias, post, DataType.F32, Direction.FORWARD);
    }

    /** 1 half of the time, else 2 or 3: larger strides leave too few outputs to check much. */
    private static int smallStride(SplittableRandom rnd) {
        return rnd.nextBoolean() ? 1 : 2 + rnd.nextInt(2);
    }

    /** Mostly 1, 3 and 5 (the common kernels), sometimes any of 1 to 7. */
    private static int smallKernel(SplittableRandom rnd) {
        return rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(7) : 1 + 2 * rnd.nextInt(3);
    }
}
