package dev.convcl.cpu;

import dev.convcl.ConvArgs;
import dev.convcl.ConvSpec;
import dev.convcl.spi.CompiledConv;
import java.util.concurrent.ForkJoinPool;

/**
 * Depthwise convolution (groups == C, any channel multiplier), one task per (image, input channel).
 *
 * <p>The channel's zero-padded plane is first split into stride phases: phase (a, b) holds padded
 * pixels (yy*sh + a, xx*sw + b). Every kernel tap (i, j) then reads one phase at a constant shift,
 * so the whole output plane, laid out with the phases' row width ("wide" rows whose extra columns
 * are computed and dropped), is a sum of shifted copies of the buffer: one long contiguous loop per
 * tap, which vectorizes whatever the output width. At stride 1 there is one phase, the padded
 * plane. Padding zeros are multiplied like any value, as in the reference.
 */
final class DepthwiseConv implements CompiledConv {
    private final ConvSpec spec;
    private final ForkJoinPool pool;
    private final Kernels kernels;
    private final int multiplier;
    private final int phaseH;     // rows of one phase
    private final int phaseW;     // columns of one phase = row width of the wide output
    private final int[] tapOffsets;
    private final int wideLen;    // OH * phaseW rounded up to the kernels' quantum
    private final int bufferLen;  // phases plus the slack the last wide row reads past them

    DepthwiseConv(ConvSpec spec, ForkJoinPool pool, Kernels kernels) {
        if (!spec.isDepthwise() || spec.isDeformable()) {
            throw new IllegalArgumentException("depthwise path needs op=conv2d with groups == c: " + spec);
        }
        this.spec = spec;
        this.pool = pool;
        this.kernels = kernels;
        this.multiplier = spec.k() / spec.c();
        int sh = spec.strideH(), sw = spec.strideW();
        this.phaseH = ceilDiv(spec.h() + 2 * spec.padH(), sh);
        this.phaseW = ceilDiv(spec.w() + 2 * spec.padW(), sw);
        this.tapOffsets = new int[spec.kh() * spec.kw()];
        int maxOffset = 0;
        for (int i = 0; i < spec.kh(); i++) {
            for (int j = 0; j < spec.kw(); j++) {
                int dy = i * spec.dilH(), dx = j * spec.dilW();
                int phase = (dy % sh) * sw + dx % sw;
                int off = (phase * phaseH + dy / sh) * phaseW + dx / sw;
                tapOffsets[i * spec.kw() + j] = off;
                maxOffset = Math.max(maxOffset, off);
            }
        }
        int q = kernels.quantum();
        this.wideLen = ceilDiv(spec.outH() * phaseW, q) * q;
        this.bufferLen = Math.max(sh * sw * phaseH * phaseW, maxOffset + wideLen);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    @Override
    public String algorithm() {
        return "cpu-depthwise";
    }

    /** The kernels in use, {@code vector} or {@code scalar}. */
    String kernelName() {
        return kernels.name();
    }

    @Override
    public void execute(ConvArgs args) {
        CallData call = CallData.of(spec, args);
        Parallel.forEach(pool, spec.n() * spec.c(), plane -> channel(call, plane / spec.c(), plane % spec.c()));
        call.finish(args);
    }

    private void channel(CallData call, int n, int c) {
        float[] buf = new float[bufferLen];
        fillPhases(call.in(), (n * spec.c() + c) * spec.h() * spec.w(), buf);
        float[] wide = new float[wideLen];
        int kk = spec.kh() * spec.kw(), oh = spec.outH(), ow = spec.outW();
        float[] out = call.out(), bias = call.bias();
        boolean relu = spec.relu();
        for (int j = 0; j < multiplier; j++) {
            int k = c * multiplier + j;
            kernels.taps(wideLen, call.wt(), k * kk, tapOffsets, kk, buf, 0, wide, 0);
            int dst = (n * spec.k() + k) * oh * ow;
            for (int y = 0; y < oh; y++) {
                int src = y * phaseW, d = dst + y * ow;
                for (int x = 0; x < ow; x++) {
                    out[d + x] = CallData.epilogue(wide[src + x], bias, k, relu);
                }
            }
        }
    }

    /** Copies the input plane into its stride phases inside the zero padding. */
    private void fillPhases(float[] in, int plane, float[] buf) {
        int h = spec.h(), w = spec.w(), sh = spec.strideH(), sw = spec.strideW();
        int ph = spec.padH(), pw = spec.padW();
        for (int y = 0; y < h; y++) {
            int py = y + ph;
            int rowBase = (py % sh) * sw * phaseH * phaseW + (py / sh) * phaseW;
            int src = plane + y * w;
            if (sw == 1) {
                System.arraycopy(in, src, buf, rowBase + pw, w);
            } else {
                for (int x = 0; x < w; x++) {
                    int px = x + pw;
                    buf[rowBase + (px % sw) * phaseH * phaseW + px / sw] = in[src + x];
                }
            }
        }
    }

    @Override
    public void close() {
        // nothing held between calls
    }
}
