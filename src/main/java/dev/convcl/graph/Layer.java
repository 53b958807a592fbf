package dev.convcl.graph;

import dev.convcl.Activation;
import dev.convcl.Binary;
import dev.convcl.Pool2d;
import dev.convcl.PostOps;
import dev.convcl.Window2d;

/**
 * What a graph node computes, with its constants (weights are copies, never changed after
 * construction). Inputs are the node's {@link Node#inputs()}, in the order each record states.
 * Layers with an epilogue ({@link WithPost}) take the {@code sum} post-op's tensor as their last
 * input.
 */
public sealed interface Layer {

    /** A short name for listings, e.g. {@code conv2d}, {@code batch_norm}. */
    String kind();

    /** A layer with a post-op chain in its epilogue. */
    sealed interface WithPost extends Layer {
        /** The epilogue. */
        PostOps post();

        /** The same layer with another epilogue. */
        WithPost withPost(PostOps post);
    }

    /**
     * {@code conv2d} or, when {@code deformable}, {@code deform_conv2d}. Inputs: x, then for a
     * deformable one the offset and (with {@code mask}) the mask, then the sum tensor when the
     * post-ops sum.
     *
     * @param weight      {@code [k, c/groups, kh, kw]}, row-major
     * @param weightShape the weight's shape
     * @param bias        {@code [k]} or null
     */
    record Conv(Window2d window, int groups, float[] weight, int[] weightShape, float[] bias, boolean deformable,
                int offsetGroups, boolean mask, PostOps post) implements WithPost {
        @Override
        public String kind() {
            return deformable ? "deform_conv2d" : "conv2d";
        }

        /** Output channels. */
        public int k() {
            return weightShape[0];
        }

        @Override
        public Conv withPost(PostOps p) {
            return new Conv(window, groups, weight, weightShape, bias, deformable, offsetGroups, mask, p);
        }

        /** The same convolution with other weights and bias. */
        public Conv withWeights(float[] w, int[] shape, Window2d win, float[] b) {
            return new Conv(win, groups, w, shape, b, deformable, offsetGroups, mask, post);
        }
    }

    /**
     * Inference batch norm over dimension 1: {@code (x - mean) / sqrt(var + eps) * gamma + beta}.
     * Input: x.
     */
    record BatchNorm(float[] mean, float[] var, float[] gamma, float[] beta, float eps) implements Layer {
        @Override
        public String kind() {
            return "batch_norm";
        }

        /** {@code gamma / sqrt(var + eps)} in double. */
        public double scale(int c) {
            return gamma[c] / Math.sqrt((double) var[c] + eps);
        }

        /** {@code beta - mean * scale} in double. */
        public double shift(int c) {
            return beta[c] - mean[c] * scale(c);
        }
    }

    /** {@code post(x * scale[c] + shift[c])} over dimension 1. Inputs: x, then the sum tensor when the post-ops sum. */
    record Affine(float[] scale, float[] shift, PostOps post) implements WithPost {
        @Override
        public String kind() {
            return "channel_affine";
        }

        @Override
        public Affine withPost(PostOps p) {
            return new Affine(scale, shift, p);
        }
    }

    /** An element-wise activation. Input: x. */
    record Act(Activation activation) implements Layer {
        @Override
        public String kind() {
            return activation.kind().token();
        }
    }

    /** {@code post(a op b)} with broadcasting. Inputs: a, b, then the sum tensor when the post-ops sum. */
    record Elementwise(Binary.Kind op, PostOps post) implements WithPost {
        @Override
        public String kind() {
            return op.token();
        }

        @Override
        public Elementwise withPost(PostOps p) {
            return new Elementwise(op, p);
        }
    }

    /** Concatenation along dimension 1. Inputs: the parts, in order. */
    record Concat() implements Layer {
        @Override
        public String kind() {
            return "concat";
        }
    }

    /** Channels {@code [start, start + count)} of dimension 1. Input: x. */
    record Slice(int start, int count) implements Layer {
        @Override
        public String kind() {
            return "slice";
        }
    }

    /** ShuffleNet's channel shuffle. Input: x. */
    record Shuffle(int groups) implements Layer {
        @Override
        public String kind() {
            return "channel_shuffle";
        }
    }

    /** Max or average pooling. Input: x. */
    record Pool(Pool2d.Kind op, Window2d window, boolean ceilMode, boolean countIncludePad) implements Layer {
        @Override
        public String kind() {
            return op == Pool2d.Kind.MAX ? "max_pool2d" : "avg_pool2d";
        }
    }

    /** Constant padding of the spatial axes. Input: x {@code [N, C, H, W]}. */
    record Pad(int top, int left, int bottom, int right, float value) implements Layer {
        @Override
        public String kind() {
            return "pad2d";
        }
    }

    /** The same elements with another shape (flatten, reshape): a view, no copy. Input: x. */
    record Reshape() implements Layer {
        @Override
        public String kind() {
            return "reshape";
        }
    }

    /**
     * {@code torch.nn.functional.linear}: {@code y[n, o] = post(sum_i weight[o, i] * x[n, i] + bias[o])}.
     * Inputs: x {@code [N, in]}, then the sum tensor when the post-ops sum.
     *
     * @param weight {@code [out, in]}, row-major
     * @param bias   {@code [out]} or null
     */
    record Linear(float[] weight, int out, int in, float[] bias, PostOps post) implements WithPost {
        @Override
        public String kind() {
            return "linear";
        }

        @Override
        public Linear withPost(PostOps p) {
            return new Linear(weight, out, in, bias, p);
        }
    }

    /**
     * {@code torchvision.ops.roi_align(x, rois, (outH, outW), spatialScale, samplingRatio, aligned)}.
     * Inputs: x {@code [N, C, H, W]}, rois {@code [K, 5]} rows {@code (batch_index, x1, y1, x2, y2)}.
     */
    record Roi(int outH, int outW, float spatialScale, int samplingRatio, boolean aligned) implements Layer {
        @Override
        public String kind() {
            return "roi_align";
        }
    }

    /**
     * A squeeze-and-excitation block's scale ({@link dev.convcl.SqueezeExcitation}): the means of
     * the input's planes, {@code fc1} ({@code [squeeze, c]}, bias {@code [squeeze]}) and its
     * activation, {@code fc2} ({@code [c, squeeze]}, bias {@code [c]}) and its activation. Input: x
     * {@code [N, C, H, W]}; output {@code [N, C, 1, 1]}, or with {@code apply} x times the scale
     * ({@code [N, C, H, W]}, the block's output).
     *
     * @param activation      after fc1: empty or one activation
     * @param scaleActivation after fc2: empty or one activation
     * @param apply           whether the output is x times the scale
     */
    record SqueezeExcite(float[] w1, float[] b1, float[] w2, float[] b2, int squeeze, PostOps activation,
                         PostOps scaleActivation, boolean apply) implements Layer {
        @Override
        public String kind() {
            return "squeeze_excitation";
        }
    }

    /** A constant tensor (the node's output shape). No inputs. */
    record Constant(float[] values) implements Layer {
        @Override
        public String kind() {
            return "constant";
        }
    }
}
