package dev.convcl.cpu;


/**
 * Fills a tile of the column matrix ("B") that {@link GemmConv} multiplies the weights with: row
 * r = (input channel within the group, kernel row, kernel column) in the weight's own order,
 * column = output pixel. How the rows are made is what distinguishes the GEMM algorithms.
 */
interface ColumnPacker {

    /** The algorithm name reported by the plan, e.g. {@code cpu-gemm}. */
    String algorithm();

    /** Per-call preparation shared by all tiles (e.g. padded input planes); null when none. */
    default Object prepare(CallData call, WorkerPool pool) {
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
     * The distance between consecutive rows of the column matrix when its rows already lie in the
     * input unchanged (a 1x1 kernel at stride 1 without padding: row r is an input channel's
     * plane) or in the input {@link #inPlaceCall} gives (a strided 1x1's compact copy), so that the
     * GEMM can read them in place; 0 when rows must be packed.
     */
    default int inPlaceRowStride() {
        return 0;
    }

    /**
     * The call whose input the GEMM reads rows from in place (and {@link #pack} copies from), given
     * what {@link #prepare} made: {@code call} itself unless the packer reads a copy of the input
     * it made (a strided 1x1's compact input).
     */
    default CallData inPlaceCall(CallData call, Object prepared) {
        return call;
    }

    /**
     * Where column 0 of row 0 of the column matrix of image {@code n}, group {@code g} lies in
     * the input, when {@link #inPlaceRowStride()} is not 0.
     */
    default int inPlaceOffset(int n, int g) {
        throw new UnsupportedOperationException(algorithm() + " packs its rows");
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
