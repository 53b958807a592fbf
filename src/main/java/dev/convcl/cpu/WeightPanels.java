package dev.convcl.cpu;

import dev.convcl.Convolution;

/**
 * Bound GEMM weights ({@code [K][depth]} row-major, {@code groups} groups of {@code m} output
 * channels) and, made once when they are bound, each group's whole blocks of
 * {@link Kernels#panelRows()} channels as panels {@code [depth][rows]} for
 * {@link Kernels#gemmPanels}: group g's block starting at channel {@code k0} (a multiple of
 * {@code rows}) at {@code panels[(g * whole + k0) * depth]}, {@code whole} = m rounded down to
 * {@code rows}. A GEMM's depth step then broadcasts {@code rows} adjacent floats instead of one from
 * each of {@code rows} weight rows {@code depth} floats apart (8 streams through a 2.4 MB weight on
 * a 3x3 conv of 256 channels): 8-28% more multiply-adds a second in the 8-row blocks on one core of
 * the AVX-512 machine (the implicit GEMM's calls on ResNet's 3x3 shapes, 14x14 to 56x56), 6-9% on
 * the whole layers (docs/performance-notes.md, "Weight panels"). The channels past the last whole
 * block are read from {@code source}.
 *
 * <p>A call is taken to pass the bound weights when it passes the bound array itself ({@code Plan}
 * binds a private copy that nothing changes), as with the other layouts made at bind time. The
 * panels double the bound weights' memory on the CPU path, as the channel-lane GEMM's transpose does.
 *
 * @param source the bound weights, compared by identity with a call's
 * @param panels the whole blocks of every group as panels
 * @param rows   channels in a panel
 */
record WeightPanels(float[] source, float[] panels, int rows) {

    /**
     * Panels of {@code weights}, or null where none pay: kernels without them ({@link Kernels#panelRows()}
     * 0) or groups of fewer than {@code rows} channels.
     */
    static WeightPanels of(float[] weights, Convolution spec, Kernels kernels) {
        int rows = kernels.panelRows(), m = spec.kPerGroup(), depth = spec.cPerGroup() * spec.kh() * spec.kw();
        if (rows == 0 || m < rows) {
            return null;
        }
        return new WeightPanels(weights, layOut(weights, spec.groups(), m, depth, rows), rows); // no larger than weights
    }

    /** The panels of {@code weights} ({@code [groups * m][depth]}), as described above. */
    static float[] layOut(float[] weights, int groups, int m, int depth, int rows) {
        int whole = m / rows * rows;
        float[] panels = new float[groups * whole * depth];
        for (int g = 0; g < groups; g++) {
            for (int k = 0; k < whole; k++) {
                int src = (g * m + k) * depth, dst = (g * whole + k / rows * rows) * depth + k % rows;
                for (int r = 0; r < depth; r++) {
                    panels[dst + r * rows] = weights[src + r];
                }
            }
        }
        return panels;
    }

    /**
     * {@code c += W[g*m + k0 .. + rowsOut][r0 .. r0 + depthRows] x B}, W the weights {@code wt}
     * ({@code [K][depth]}, groups of {@code m} channels) and B, C as {@link Kernels#gemm} reads and
     * writes them ({@code b}, {@code rowOffsets}, {@code colOffset}, {@code c}): from the panels of
     * {@code panels} when it is not null and {@code wt} is its source, else from {@code wt}'s rows.
     * Where the panels are used, {@code k0} is a multiple of their rows (else
     * IllegalArgumentException): the output-channel parts of a GEMM start at multiples of 8.
     */
    static void gemm(WeightPanels panels, Kernels kernels, float[] wt, int m, int depth, int g, int k0, int r0,
                     int rowsOut, int depthRows, int cols, float[] b, int[] rowOffsets, int colOffset, float[][] c) {
        int aOff = (g * m + k0) * depth + r0;
        if (panels == null || wt != panels.source) {
            kernels.gemm(rowsOut, depthRows, cols, wt, aOff, depth, b, rowOffsets, colOffset, c);
            return;
        }
        int rows = panels.rows;
        if (k0 % rows != 0) {
            throw new IllegalArgumentException("a block of weight panels starts at channel " + k0
                    + ", not a multiple of " + rows);
        }
        int whole = m / rows * rows;
        kernels.gemmPanels(rowsOut, depthRows, cols, panels.panels, (g * whole + k0) * depth + r0 * rows,
                rows * depth, wt, aOff, depth, b, rowOffsets, colOffset, c);
    }
}
