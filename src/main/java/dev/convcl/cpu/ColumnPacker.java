package dev.convcl.cpu;

import java.util.concurrent.ForkJoinPool;

/**
 * Fills a tile of the column matrix ("B") that {@link GemmConv} multiplies the weights with: row
 * r = (input channel within the group, kernel row, kernel column) in the weight's own order,
 * column = output pixel. How the rows are made is what distinguishes the GEMM algorithms.
 */
interface ColumnPacker {

    /** The algorithm name reported by the plan, e.g. {@code cpu-gemm}. */
    String algorithm();

    /** Per-call preparation shared by all tiles (e.g. padded input planes); null when none. */
    default Object prepare(CallData call, ForkJoinPool pool) {
        return null;
    }

    /** Floats {@link #prepare} allocates per call (scratch accounting). */
    default long preparedFloats() {
        return 0;
    }

    /** Floats {@link #tile} allocates per column of a tile (scratch accounting). */
    default long tileFloatsPerColumn() {
        return 0;
    }

    /**
     * Per-tile preparation shared by the row chunks of one tile (e.g. sampling coordinates);
     * null when none.
     */
    default Object tile(CallData call, Object prepared, int n, int p0, int valid) {
        return null;
    }

    /**
     * Writes rows {@code [r0, r1)} of the column matrix of image {@code n}, group {@code g}, for
     * output pixels {@code [p0, p0+valid)} into panel row {@code row0 + r - r0}, which starts at
     * {@code panel[(row0 + r - r0) * ld]}. Columns from {@code valid} to {@code ld} are never read
     * back into the output and may hold anything.
     */
    void pack(CallData call, Object prepared, Object tile, int n, int g, int p0, int valid, int r0, int r1,
              float[] panel, int ld, int row0);
}
