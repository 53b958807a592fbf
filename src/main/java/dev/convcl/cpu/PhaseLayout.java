package dev.convcl.cpu;

import dev.convcl.ConvSpec;

/**
 * An input plane, zero-padded and split into stride phases: phase (a, b) holds the padded pixels
 * (yy*sh + a, xx*sw + b). Kernel tap (i, j) then reads a single phase at a constant shift, so the
 * output plane, laid out with the phases' row width ("wide" rows whose last columns are computed
 * and dropped), is a sum of shifted windows of the buffer: long contiguous loops whatever the
 * stride, dilation or output width. At stride 1 there is one phase, the padded plane.
 */
final class PhaseLayout {
    private final ConvSpec spec;
    /** Rows of one phase. */
    final int phaseH;
    /** Columns of one phase: the row width of the wide output. */
    final int phaseW;
    /** Floats of one plane's phases. */
    final int planeLen;
    /** Where tap i*kw + j reads, relative to the wide output index. */
    final int[] tapOffsets;
    final int maxTapOffset;

    PhaseLayout(ConvSpec spec) {
        this.spec = spec;
        int sh = spec.strideH(), sw = spec.strideW();
        this.phaseH = ceilDiv(spec.h() + 2 * spec.padH(), sh);
        this.phaseW = ceilDiv(spec.w() + 2 * spec.padW(), sw);
        this.planeLen = Scratch.length((long) sh * sw * phaseH * phaseW, "a padded, stride-phased input plane", spec);
        this.tapOffsets = new int[spec.kh() * spec.kw()];
        int max = 0;
        for (int i = 0; i < spec.kh(); i++) {
            for (int j = 0; j < spec.kw(); j++) {
                int dy = i * spec.dilH(), dx = j * spec.dilW();
                int phase = (dy % sh) * sw + dx % sw;
                int off = (phase * phaseH + dy / sh) * phaseW + dx / sw;
                tapOffsets[i * spec.kw() + j] = off;
                max = Math.max(max, off);
            }
        }
        this.maxTapOffset = max;
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** OH * phaseW: the wide output's length (at most planeLen, as OH <= phaseH). */
    int wideLen() {
        return spec.outH() * phaseW;
    }

    /** The common stride 2 with a constant step, which C2 compiles about twice as fast. */
    private static void stride2(float[] in, int from, float[] buf, int dst, int xxLo, int xxHi) {
        for (int xx = xxLo; xx <= xxHi; xx++) {
            buf[dst + xx] = in[from + 2 * xx];
        }
    }

    /**
     * Copies input plane {@code in[inPlane..]} into its phases at {@code buf[bufPlane..]}, whose
     * padding must already be zero.
     */
    void fill(float[] in, int inPlane, float[] buf, int bufPlane) {
        int h = spec.h(), w = spec.w(), sh = spec.strideH(), sw = spec.strideW();
        int ph = spec.padH(), pw = spec.padW();
        for (int y = 0; y < h; y++) {
            int py = y + ph;
            int rowBase = bufPlane + (py % sh) * sw * phaseH * phaseW + (py / sh) * phaseW;
            int src = inPlane + y * w;
            if (sw == 1) {
                System.arraycopy(in, src, buf, rowBase + pw, w);
                continue;
            }
            for (int b = 0; b < sw; b++) {
                // Phase b holds padded columns xx*sw + b, i.e. input columns xx*sw + b - pw.
                int xxLo = Math.max(0, Math.floorDiv(pw - b + sw - 1, sw));
                int xxHi = Math.floorDiv(w - 1 + pw - b, sw); // inclusive
                int dst = rowBase + b * phaseH * phaseW, from = src + b - pw;
                if (sw == 2) {
                    stride2(in, from, buf, dst, xxLo, xxHi);
                } else {
                    for (int xx = xxLo; xx <= xxHi; xx++) {
                        buf[dst + xx] = in[from + xx * sw];
                    }
                }
            }
        }
    }
}
