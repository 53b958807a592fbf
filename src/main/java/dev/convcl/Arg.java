package dev.convcl;

/**
 * The role a tensor plays in an operation, as oneDNN names them ({@code DNNL_ARG_SRC},
 * {@code DNNL_ARG_WEIGHTS}, ...). Messages name a role by the PyTorch argument it corresponds to
 * ({@link #displayName()}: {@code input}, {@code weight}, ...).
 */
public enum Arg {
    /** The input activations (PyTorch's {@code input}). Read. */
    SRC("input"),
    /** The filter (PyTorch's {@code weight}). Read. */
    WEIGHTS("weight"),
    /** One value per output channel, added before the post-ops. Read. */
    BIAS("bias"),
    /** Deformable sampling offsets (torchvision's {@code offset}). Read. */
    OFFSET("offset"),
    /** Deformable modulation (torchvision's {@code mask}, DCNv2). Read. */
    MASK("mask"),
    /** The tensor the {@code sum} post-op adds (a residual connection). Read. */
    SUM("sum"),
    /** Regions of interest, one row {@code (batch_index, x1, y1, x2, y2)} each. Read. */
    ROIS("rois"),
    /** One factor per channel ({@link ChannelAffine}: batch norm's folded {@code weight / sqrt(var + eps)}). Read. */
    SCALE("scale"),
    /** One value per channel added after the scale ({@link ChannelAffine}). Read. */
    SHIFT("shift"),
    /** The second operand of an element-wise operation (PyTorch's {@code other} in {@code torch.add(input, other)}). Read. */
    OTHER("other"),
    /** The second layer's filter of a {@link SqueezeExcitation} (torchvision's {@code fc2.weight}); its first layer's are {@link #WEIGHTS} and {@link #BIAS}. Read. */
    FC2_WEIGHTS("fc2.weight"),
    /** The second layer's bias of a {@link SqueezeExcitation} (torchvision's {@code fc2.bias}). Read. */
    FC2_BIAS("fc2.bias"),
    /** The result. Written, every element. */
    DST("output");

    private final String displayName;

    Arg(String displayName) {
        this.displayName = displayName;
    }

    /**
     * The name messages use: PyTorch's argument name.
     *
     * @return {@code input}, {@code weight}, {@code bias}, {@code offset}, {@code mask},
     *         {@code sum}, {@code rois} or {@code output}
     */
    public String displayName() {
        return displayName;
    }

    /**
     * Whether an operation writes this argument rather than reads it.
     *
     * @return true for {@link #DST}
     */
    public boolean isOutput() {
        return this == DST;
    }
}
