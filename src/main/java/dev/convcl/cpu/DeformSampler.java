package dev.convcl.cpu;

import dev.convcl.DeformConv2d;
import java.util.Arrays;

/**
 * Column rows of torchvision's deform_conv2d: each row is one input channel bilinearly sampled at
 * one kernel point's offset positions. The sampling positions and the four corner weights depend
 * only on (offset group, kernel point, pixel), so they are computed once per tile and reused for
 * every channel of the offset group; the sampled tile is then reused for every output channel by
 * the GEMM, which is where this beats sampling inside the output-channel loop.
 *
 * <p>Input planes are copied with a zero border (one row/column around, plus one more zero row
 * below) so that all four neighbours of any sample inside (-1, H) x (-1, W) can be read without a
 * test: a neighbour outside the image reads 0, as in the reference. A sample outside that range
 * points at four border zeros with weights 0, so it is exactly 0 even next to a NaN pixel; a
 * sample at a NaN offset points at the same zeros with NaN weights, so it is NaN. Sample points
 * are split into integer cell and fraction ({@link SampleAxis}), so fractions are exact on any
 * map size.
 *
 * <p>A channels-last sampler ({@link DeformLanesConv}) copies the input an image at a time as
 * [h+3][w+2][c] with the same border and the same sample indices times C, and fills pixel-major tiles a vector of
 * channels at a time ({@link #packPixelMajor}); the planar one fills {@link GemmConv}'s rows.
 */
final class DeformSampler implements ColumnPacker {
    private final DeformConv2d s;
    /** Channels-last copy ({@link #packPixelMajor}): a pixel's channels contiguous; else planes. */
    private final boolean channelsLast;
    private final int planeW;
    /** Floats between horizontally neighbouring pixels of the copy: 1, or C channels-last. */
    private final int pixelStride;
    private final int planeSize;
    private final int zeroIndex;
    private final int paddedLen;

    /** The planar sampler of {@link GemmConv}'s column rows. */
    DeformSampler(DeformConv2d spec) {
        this(spec, false);
    }

    /**
     * With {@code channelsLast}, the call's input is copied an image at a time as [h+3][w+2][c]
     * (the same zero border; {@link #copyImage}) and tiles are filled by {@link #packPixelMajor}, a
     * vector of channels at a time.
     */
    DeformSampler(DeformConv2d spec, boolean channelsLast) {
        this.s = spec;
        this.channelsLast = channelsLast;
        this.planeW = spec.w() + 2;
        this.pixelStride = channelsLast ? spec.c() : 1;
        this.planeSize = Scratch.length((long) (spec.h() + 3) * planeW, "a zero-bordered input plane", spec);
        this.zeroIndex = (spec.h() + 1) * planeW * pixelStride;
        // channels-last: one image at a time ({@link #copyImage}), the copy reused image after image
        this.paddedLen = Scratch.length((long) (channelsLast ? 1 : spec.n()) * spec.c() * planeSize,
                "the zero-bordered input", spec);
    }

    @Override
    public String algorithm() {
        return "cpu-deform-gemm";
    }

    @Override
    public long preparedFloats() {
        return paddedLen;
    }

    /** The neighbour index, four corner weights and (with a mask) the mask of each sample. */
    @Override
    public long tileFloatsPerColumn() {
        return (long) s.offsetGroups() * s.kh() * s.kw() * (s.mask() ? 6 : 5);
    }

    /**
     * A call's zero-bordered input, and whether its mask is folded into the corner weights: decided
     * once for the whole call, so that every tiling of the pixels (the pixel tiles' count depends on
     * the threads, the channel-lane GEMM samples whole images) rounds every sample the same way.
     */
    private record Prepared(float[] padded, boolean foldMask) {
    }

    @Override
    public Object prepare(CallData call, WorkerPool pool) {
        int h = s.h(), w = s.w();
        float[] in = call.in();
        float[] padded;
        if (channelsLast) {
            padded = Workspace.uncleared(Workspace.Slot.BUFFER, paddedLen); // filled by copyImage
        } else {
            padded = Workspace.zeroed(Workspace.Slot.BUFFER, paddedLen);
            Parallel.forEach(pool, s.n() * s.c(), plane -> {
                for (int y = 0; y < h; y++) {
                    System.arraycopy(in, (plane * h + y) * w, padded, plane * planeSize + (y + 1) * planeW + 1, w);
                }
            });
        }
        float[] mask = call.mask();
        int maskLen = s.n() * s.offsetGroups() * s.kh() * s.kw() * s.outH() * s.outW();
        return new Prepared(padded, mask != null && allFinite(mask, 0, maskLen));
    }

    /**
     * A channels-last sampler's copy of image {@code n} into the call's buffer ({@link #prepare}),
     * replacing the last image's: row by row, each input row of every channel into the copy's row,
     * a channel's values C apart (the row's C x W floats stay in L1 while the channels fill it),
     * and the row's border pixels zeroed; the first row zeroes the border row above it, the last
     * row the two below. Nothing else of the copy is read. One image at a time, so that the copy
     * is still in the caches when its tiles are sampled (a batch of 32 ResNet res2 maps is 28 MB).
     */
    void copyImage(CallData call, Object prepared, int n, WorkerPool pool) {
        float[] padded = ((Prepared) prepared).padded(), in = call.in();
        int h = s.h(), w = s.w(), c = s.c();
        Parallel.forEach(pool, h, y -> {
            int rowStart = (y + 1) * planeW * c, dst = rowStart + c;
            Arrays.fill(padded, rowStart, rowStart + c, 0f);
            Arrays.fill(padded, rowStart + (w + 1) * c, rowStart + planeW * c, 0f);
            if (y == 0) {
                Arrays.fill(padded, 0, rowStart, 0f);
            }
            if (y == h - 1) {
                Arrays.fill(padded, rowStart + planeW * c, rowStart + 3 * planeW * c, 0f);
            }
            for (int ch = 0; ch < c; ch++) {
                int src = ((n * c + ch) * h + y) * w;
                for (int x = 0; x < w; x++) {
                    padded[dst + x * c + ch] = in[src + x];
                }
            }
        });
    }

    /**
     * Per (offset group, kernel point, pixel) sample {@code i < size}: the top-left neighbour's index
     * and, in {@code w}, the four corner weights at {@code w[i]}, {@code w[size + i]},
     * {@code w[2*size + i]} and {@code w[3*size + i]}, then the mask at {@code w[4*size + i]} when
     * {@code masked}. Both arrays come from the thread's {@link Workspace} and may be longer.
     */
    private record Coords(int[] index, float[] w, int size, boolean masked) {
    }

    @Override
    public Object tile(CallData call, Object prepared, int n, int p0, int valid) {
        int kk = s.kh() * s.kw(), og = s.offsetGroups();
        int oh = s.outH(), ow = s.outW(), plane = oh * ow;
        int size = og * kk * valid;
        boolean masked = call.mask() != null;
        int[] index = Workspace.zeroedIndices(size);
        float[] w = Workspace.zeroed(Workspace.Slot.SAMPLES, (masked ? 5 : 4) * size);
        int w01 = size, w10 = 2 * size, w11 = 3 * size, m = 4 * size;
        float[] off = call.off();
        for (int o = 0; o < og; o++) {
            for (int pt = 0; pt < kk; pt++) {
                int i = pt / s.kw(), j = pt % s.kw();
                int offBase = (n * 2 * og * kk + o * 2 * kk + 2 * pt) * plane;
                int dst = (o * kk + pt) * valid;
                for (int q = 0; q < valid; q++) {
                    int p = p0 + q, y = p / ow, x = p % ow, e = dst + q;
                    float dy = off[offBase + p], dx = off[offBase + plane + p];
                    if (Float.isNaN(dy) || Float.isNaN(dx)) {
                        index[e] = zeroIndex;
                        w[e] = Float.NaN; // NaN * 0: the sample is NaN
                        continue;
                    }
                    long y0 = SampleAxis.cell((long) y * s.strideH() - s.padTop() + (long) i * s.dilH(), dy);
                    long x0 = SampleAxis.cell((long) x * s.strideW() - s.padLeft() + (long) j * s.dilW(), dx);
                    double ly = SampleAxis.fraction(dy), lx = SampleAxis.fraction(dx);
                    if (!SampleAxis.inside(y0, ly, s.h()) || !SampleAxis.inside(x0, lx, s.w())) {
                        index[e] = zeroIndex;
                        continue; // weights stay 0
                    }
                    index[e] = (((int) y0 + 1) * planeW + (int) x0 + 1) * pixelStride;
                    w[e] = (float) ((1 - ly) * (1 - lx));
                    w[w01 + e] = (float) ((1 - ly) * lx);
                    w[w10 + e] = (float) (ly * (1 - lx));
                    w[w11 + e] = (float) (ly * lx);
                }
                if (masked) {
                    System.arraycopy(call.mask(), (n * og * kk + o * kk + pt) * plane + p0, w, m + dst, valid);
                }
            }
        }
        return masked && ((Prepared) prepared).foldMask() ? foldMask(index, w, size) : new Coords(index, w, size, masked);
    }

    private static boolean allFinite(float[] a, int from, int len) {
        for (int i = from; i < from + len; i++) {
            if (!Float.isFinite(a[i])) {
                return false;
            }
        }
        return true;
    }

    /**
     * Multiplies a finite mask into the corner weights, saving a multiply per sample and channel.
     * Only for a call whose mask is finite throughout: with an infinite one, (w * m) * p turns a zero
     * corner weight into NaN where the reference's (w * p) * m gives an infinity.
     */
    private static Coords foldMask(int[] index, float[] w, int size) {
        int m = 4 * size;
        for (int corner = 0; corner < 4 * size; corner += size) {
            for (int i = 0; i < size; i++) {
                w[corner + i] *= w[m + i];
            }
        }
        return new Coords(index, w, size, false);
    }

    /**
     * Rows r0..r1 of the tile's columns. Kernel point by kernel point, and pixel by pixel within it,
     * the sample's neighbour index and corner weights are read once and applied to every channel of
     * the chunk in the same offset group (each channel's row lies kh*kw rows from the last): the
     * per-pixel loads that were repeated for every channel were most of the sampling's cost.
     */
    @Override
    public void pack(CallData call, Object prepared, Object tile, int n, int g, int p0, int valid, int r0, int r1,
                     float[] panel, int ld, int row0) {
        if (channelsLast) {
            throw new IllegalStateException("a channels-last sampler fills pixel-major tiles (packPixelMajor)");
        }
        float[] padded = ((Prepared) prepared).padded();
        Coords t = (Coords) tile;
        int kk = s.kh() * s.kw(), cPerOg = s.c() / s.offsetGroups(), cFirst = g * s.cPerGroup();
        for (int pt = 0; pt < kk; pt++) {
            // the chunk's rows of this kernel point: channels (of the group) cl0 <= cl < cl1, every
            // kk-th row; none when the chunk ends before this point's first row (checked first:
            // cl1's division truncates toward zero)
            if (r1 - 1 - pt < 0) {
                continue;
            }
            int cl0 = (r0 - pt + kk - 1) / kk, cl1 = (r1 - 1 - pt) / kk + 1;
            for (int cl = cl0; cl < cl1; ) {
                int c = cFirst + cl, o = o(c, cPerOg);
                int clEnd = Math.min(cl1, (o + 1) * cPerOg - cFirst); // the same offset group
                int src = (o * kk + pt) * valid;
                int dst = (row0 + cl * kk + pt - r0) * ld;
                sample(padded, (n * s.c() + c) * planeSize, t, src, valid, clEnd - cl, planeSize, panel, dst, kk * ld);
                cl = clEnd;
            }
        }
    }

    /**
     * Kernel points {@code [pt0, pt1)} of a tile's columns of image n, pixel-major, from the
     * channels-last copy of that image ({@link #copyImage}): pixel q's row starts at {@code panel[q * ld]} and holds, point by point, the group's
     * {@code C/groups} channels (depth row {@code (pt - pt0) * C/groups + channel}, the order
     * {@link DeformLanesConv}'s weights are laid out in). Each sample's neighbour index and corner
     * weights are read once for a run of channels of one offset group, sampled a vector at a time.
     */
    void packPixelMajor(CallData call, Object prepared, Object tile, int n, int g, int valid, int pt0, int pt1,
                        float[] panel, int ld, Kernels kernels) {
        float[] padded = ((Prepared) prepared).padded();
        Coords t = (Coords) tile;
        int[] index = t.index;
        float[] w = t.w;
        int size = t.size, kk = s.kh() * s.kw(), c = s.c(), cpg = s.cPerGroup(), cPerOg = c / s.offsetGroups();
        int cFirst = g * cpg, dy = planeW * c;
        // Point by point, pixel by pixel within it: a point's samples of neighbouring pixels lie
        // next to each other in the copy.
        for (int pt = pt0; pt < pt1; pt++) {
            for (int q = 0; q < valid; q++) {
                int row = q * ld + (pt - pt0) * cpg;
                for (int cl = 0; cl < cpg; ) {
                    int o = o(cFirst + cl, cPerOg);
                    int clEnd = Math.min(cpg, (o + 1) * cPerOg - cFirst); // the same offset group
                    int e = (o * kk + pt) * valid + q;
                    kernels.bilinearChannels(padded, index[e] + cFirst + cl, c, dy, w[e], w[size + e],
                            w[2 * size + e], w[3 * size + e], panel, row + cl, clEnd - cl);
                    if (t.masked) {
                        float mq = w[4 * size + e];
                        for (int j = row + cl; j < row + clEnd; j++) {
                            panel[j] *= mq;
                        }
                    }
                    cl = clEnd;
                }
            }
        }
    }

    private static int o(int c, int cPerOg) {
        return c / cPerOg;
    }

    /**
     * Samples {@code channels} planes ({@code planeStep} floats apart from {@code base}) at the tile's
     * points {@code src ..}, into rows {@code rowStep} floats apart from {@code dst}.
     */
    private void sample(float[] pl, int base, Coords t, int src, int valid, int channels, int planeStep,
                        float[] row, int dst, int rowStep) {
        int[] index = t.index;
        float[] w = t.w;
        int w01 = t.size + src, w10 = 2 * t.size + src, w11 = 3 * t.size + src;
        int pw = planeW, m = 4 * t.size + src;
        boolean masked = t.masked;
        for (int q = 0; q < valid; q++) {
            float a00 = w[src + q], a01 = w[w01 + q], a10 = w[w10 + q], a11 = w[w11 + q];
            int a = base + index[src + q], d = dst + q;
            if (masked) {
                float mq = w[m + q];
                for (int ch = 0; ch < channels; ch++, a += planeStep, d += rowStep) {
                    float v = a00 * pl[a] + a01 * pl[a + 1] + a10 * pl[a + pw] + a11 * pl[a + pw + 1];
                    row[d] = v * mq;
                }
            } else {
                for (int ch = 0; ch < channels; ch++, a += planeStep, d += rowStep) {
                    row[d] = a00 * pl[a] + a01 * pl[a + 1] + a10 * pl[a + pw] + a11 * pl[a + pw + 1];
                }
            }
        }
    }
}
