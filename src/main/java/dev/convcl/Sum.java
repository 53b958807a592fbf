package dev.convcl;

/**
 * The {@code sum} post-op: {@code y = y + scale * s}, where {@code s} is the operation's
 * {@link Arg#SUM} tensor, of the output's shape: the residual connection of ResNet-style blocks
 * fused into the producing convolution (oneDNN's {@code sum} post-op, with its own tensor).
 *
 * @param scale the factor applied to the summed tensor (finite)
 */
public record Sum(float scale) implements PostOp {

    /**
     * Checks the scale.
     *
     * @param scale the factor applied to the summed tensor
     * @throws IllegalArgumentException when {@code scale} is not finite
     */
    public Sum {
        if (!Float.isFinite(scale)) {
            throw new IllegalArgumentException("sum scale=" + scale + " must be finite");
        }
    }

    /**
     * {@inheritDoc}
     *
     * @return {@code sum:scale}, or {@code sum} when the scale is 1
     */
    @Override
    public String token() {
        return scale == 1f ? "sum" : "sum:" + scale;
    }

    @Override
    public String toString() {
        return token();
    }
}
