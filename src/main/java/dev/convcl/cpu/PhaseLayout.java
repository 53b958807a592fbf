package dev.convcl.cpu;

import dev.convcl.Convolution;
import java.util.Arrays;

/**
 * An input plane, zero-padded and split into stride phases: phase (a, b) holds the padded pixels
 * (yy*sh + a, xx*sw + b). Kernel tap (i, j) then reads a single phase at a constant shift, so the
 * output plane, laid out with the phases' row width ("wide" rows whose last columns are computed
 * and dropped), is a sum of shifted windows of the buffer: long contiguous loops whatever the
 * stride, dilation or output width. At stride 1 there is one phase, the padded plane.
 *
 * <p>A layout holds either whole phases ({@link #PhaseLayout(Convolution)}) or a band of
 * {@link #rows} phase rows of each ({@link #band}): the rows that a band of output rows reads,
 * so that a tall padded plane need not be held at once.
 */
final class PhaseLayout {
    private final Convolution spec;
    /** Rows of one whole phase. */
    final int phaseH;
    /** Rows of each phase this layout holds: {@link #phaseH}, or a band's. */
    final int rows;
    /** Columns of one phase: the row width of the wide output. */
    final int phaseW;
    /** Floats of one plane's phases (of the rows held). */
    final int planeLen;
    /** Where tap i*kw + j reads, relative to the wide output index. */
    final int[] tapOffsets;
    final int maxTapOffset;

    /** Whole phases. */
    PhaseLayout(Convolution spec) {
        this(spec, phaseRows(spec));
    }

    private PhaseLayout(Convolution spec, int rows) {
        this.spec = spec;
        int sh = spec.strideH(), sw = spec.strideW();
        this.phaseH = phaseRows(spec);
        this.rows = rows;
        this.phaseW = phaseCols(spec);
        this.planeLen = Scratch.length((long) sh * sw * rows * phaseW, "a padded, stride-phased input plane", spec);
        this.tapOffsets = new int[spec.kh() * spec.kw()];
        int max = 0;
        for (int i = 0; i < spec.kh(); i++) {
            for (int j = 0; j < spec.kw(); j++) {
                int dy = i * spec.dilH(), dx = j * spec.dilW();
                int phase = (dy % sh) * sw + dx % sw;
                int off = (phase * rows + dy / sh) * phaseW + dx / sw;
                tapOffsets[i * spec.kw() + j] = off;
                max = Math.max(max, off);
            }
        }
        this.maxTapOffset = max;
    }

    /**
     * The phase rows that {@code outRows} consecutive output rows read: output row y reads phase
     * rows y .. y + (kh-1)*dilH/sh.
     */
    static PhaseLayout band(Convolution spec, int outRows) {
        return new PhaseLayout(spec, (int) Math.min(phaseRows(spec), bandRows(spec, outRows)));
    }

    static long bandRows(Convolution spec, int outRows) {
        return outRows + (long) (spec.kh() - 1) * spec.dilH() / spec.strideH();
    }

    static int phaseRows(Convolution spec) {
        return (int) ((spec.h() + ((long) spec.padTop() + spec.padBottom()) + spec.strideH() - 1) / spec.strideH());
    }

    /**
     * Columns of a phase row. At stride 1 a row holds {@code padLeft} zeros then the W pixels, and
     * the gap of zeros up to the next row's pixels serves both as this row's right padding and as
     * the next row's left padding: a tap reads at most padLeft before and padRight after the
     * pixels, so W + max(padLeft, padRight) columns suffice (not W + padLeft + padRight), as long
     * as a wide row still holds OW columns (a kernel narrower than the padding: 1x1 with pad 1).
     * The wide output then drops fewer columns (14x14 pad 1: 15 instead of 16; 17x17 pad 3: 20
     * instead of 23).
     */
    static int phaseCols(Convolution spec) {
        if (spec.strideW() == 1) {
            return (int) Math.max(spec.outW(), spec.w() + (long) Math.max(spec.padLeft(), spec.padRight()));
        }
        return (int) ((spec.w() + ((long) spec.padLeft() + spec.padRight()) + spec.strideW() - 1) / spec.strideW());
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** OH * phaseW: the wide output's length (at most planeLen of whole phases, as OH <= phaseH). */
    int wideLen() {
        return spec.outH() * phaseW;
    }

    /**
     * Copies input plane {@code in[inPlane..]} into its whole phases at {@code buf[bufPlane..]},
     * whose padding must already be zero.
     */
    void fill(float[] in, int inPlane, float[] buf, int bufPlane, Kernels kernels) {
        int h = spec.h(), w = spec.w(), sh = spec.strideH(), sw = spec.strideW();
        int ph = spec.padTop();
        int phaseLen = rows * phaseW;
        for (int y = 0; y < h; y++) {
            int py = y + ph;
            int rowBase = bufPlane + (py % sh) * sw * phaseLen + (py / sh) * phaseW;
            copyRow(in, inPlane + y * w, buf, rowBase, phaseLen, kernels);
        }
    }

    /**
     * Writes phase rows {@code firstRow .. firstRow + rows - 1} of input plane {@code in[inPlane..]}
     * at {@code buf[bufPlane..]}: rows of the image are copied (their padding columns must already
     * be zero, as after any earlier call), rows of padding or past the phases' end are zeroed.
     */
    void fillRows(float[] in, int inPlane, float[] buf, int bufPlane, int firstRow, Kernels kernels) {
        int h = spec.h(), w = spec.w(), sh = spec.strideH(), sw = spec.strideW();
        int ph = spec.padTop();
        int phaseLen = rows * phaseW;
        for (int a = 0; a < sh; a++) {
            for (int yy = 0; yy < rows; yy++) {
                int y = (firstRow + yy) * sh + a - ph;
                int rowBase = bufPlane + a * sw * phaseLen + yy * phaseW;
                if (y >= 0 && y < h) {
                    copyRow(in, inPlane + y * w, buf, rowBase, phaseLen, kernels);
                } else {
                    for (int b = 0; b < sw; b++) {
                        Arrays.fill(buf, rowBase + b * phaseLen, rowBase + b * phaseLen + phaseW, 0f);
                    }
                }
            }
        }
    }

    /** Input row {@code in[src..src+w)} into its sw phase rows, phase b's at {@code rowBase + b*phaseLen}. */
    private void copyRow(float[] in, int src, float[] buf, int rowBase, int phaseLen, Kernels kernels) {
        int w = spec.w(), sw = spec.strideW(), pw = spec.padLeft();
        if (sw == 1) {
            System.arraycopy(in, src, buf, rowBase + pw, w);
            return;
        }
        if (sw == 2) {
            // Input column x is padded column x + pw: phase (x + pw) & 1, index (x + pw) >> 1. Pairs
            // start at the first x with x + pw even; a leading odd one and a trailing one go alone.
            int x0 = pw & 1, pairs = (w - x0) / 2;
            if (x0 == 1) {
                buf[rowBase + phaseLen + (pw >> 1)] = in[src];
            }
            int at = rowBase + ((x0 + pw) >> 1);
            kernels.deinterleave2(in, src + x0, pairs, buf, at, at + phaseLen);
            for (int x = x0 + 2 * pairs; x < w; x++) {
                buf[rowBase + ((x + pw) & 1) * phaseLen + ((x + pw) >> 1)] = in[src + x];
            }
            return;
        }
        for (int b = 0; b < sw; b++) {
            // Phase b holds padded columns xx*sw + b, i.e. input columns xx*sw + b - pw.
            int xxLo = Math.max(0, Math.floorDiv(pw - b + sw - 1, sw));
            int xxHi = Math.floorDiv(w - 1 + pw - b, sw); // inclusive
            int dst = rowBase + b * phaseLen, from = src + b - pw;
            for (int xx = xxLo; xx <= xxHi; xx++) {
                buf[dst + xx] = in[from + xx * sw];
            }
        }
    }
}
