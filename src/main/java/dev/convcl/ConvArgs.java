package dev.convcl;

import java.util.Arrays;

/**
 * The tensors of one convolution call. {@code input}, {@code weight}, {@code bias},
 * {@code offset} and {@code mask} are read; {@code output} is written, every element.
 * {@code bias}, {@code offset} and {@code mask} are null when the spec does not use them.
 */
public record ConvArgs(Tensor input, Tensor weight, Tensor bias, Tensor offset, Tensor mask, Tensor output) {

    /** Arguments of an ordinary convolution. */
    public static ConvArgs conv2d(Tensor input, Tensor weight, Tensor bias, Tensor output) {
        return new ConvArgs(input, weight, bias, null, null, output);
    }

    /** Arguments of a deformable convolution ({@code mask} null for v1). */
    public static ConvArgs deform2d(Tensor input, Tensor offset, Tensor mask, Tensor weight, Tensor bias,
                                    Tensor output) {
        return new ConvArgs(input, weight, bias, offset, mask, output);
    }

    /**
     * Checks every tensor against the spec: present exactly when the spec uses it, with the
     * spec's shape, and an output that is not also an input.
     *
     * @throws IllegalArgumentException naming the tensor, its shape and the expected shape
     */
    public void validateFor(ConvSpec spec) {
        check("input", input, spec.inputShape(), "[N, C, H, W]");
        check("weight", weight, spec.weightShape(), "[K, C/groups, kh, kw]");
        check("output", output, spec.outputShape(), "[N, K, OH, OW]");
        if (spec.bias()) {
            check("bias", bias, spec.biasShape(), "[K]");
        } else if (bias != null) {
            throw new IllegalArgumentException("a bias tensor was given but the spec says bias=0: " + spec);
        }
        if (spec.isDeformable()) {
            check("offset", offset, spec.offsetShape(), "[N, 2*og*kh*kw, OH, OW]");
        } else if (offset != null) {
            throw new IllegalArgumentException("an offset tensor was given but op=conv2d takes none: " + spec);
        }
        if (spec.mask()) {
            check("mask", mask, spec.maskShape(), "[N, og*kh*kw, OH, OW]");
        } else if (mask != null) {
            throw new IllegalArgumentException("a mask tensor was given but the spec says mask=0: " + spec);
        }
        for (Tensor in : new Tensor[] {input, weight, bias, offset, mask}) {
            if (output.sharesArrayWith(in)) {
                throw new IllegalArgumentException("output must not share its array with an input tensor");
            }
        }
    }

    private static void check(String name, Tensor t, int[] expected, String layout) {
        if (t == null) {
            throw new IllegalArgumentException(name + " tensor is missing; expected shape "
                    + Arrays.toString(expected) + " " + layout);
        }
        if (!Arrays.equals(t.shape(), expected)) {
            throw new IllegalArgumentException(name + " shape " + Arrays.toString(t.shape())
                    + " does not match the spec: expected " + Arrays.toString(expected) + " " + layout);
        }
    }
}
