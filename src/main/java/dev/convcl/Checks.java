package dev.convcl;

import dev.convcl.text.FieldsException;
import java.util.ArrayList;
import java.util.List;

/** Validation, one-line formatting and the argument list shared by the convolution descriptors. */
final class Checks {
    private Checks() {
    }

    static void convolution(int n, int c, int h, int w, int k, Window2d window, int groups, PostOps postOps,
                            DataType dataType, Direction direction) {
        OneLine.positiveNchw(n, c, h, w);
        OneLine.positive("k", k);
        if (window == null) {
            throw new IllegalArgumentException("window must not be null");
        }
        OneLine.positive("groups", groups);
        if (postOps == null || dataType == null || direction == null) {
            throw new IllegalArgumentException("postOps, dataType and direction must not be null");
        }
        if (c % groups != 0) {
            throw new FieldsException("groups=" + groups + " must divide input channels c=" + c, "groups", "c");
        }
        if (k % groups != 0) {
            throw new FieldsException("groups=" + groups + " must divide output channels k=" + k, "groups", "k");
        }
        window.checkFits(h, w);
        long oh = window.outH(h), ow = window.outW(w);
        OneLine.fits("input", n, c, h, w);
        OneLine.fits("weight", k, c / groups, window.kh(), window.kw());
        OneLine.fits("output", n, k, oh, ow);
    }

    /** {@code n=1 c=64 h=56 w=56 k=64 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1}. */
    static String shapeFields(Convolution v) {
        return "n=" + v.n() + " c=" + v.c() + " h=" + v.h() + " w=" + v.w() + " k=" + v.k() + " " + v.window().oneLine()
                + " groups=" + v.groups();
    }

    /** {@code  bias=0} and, when present, {@code  post=...}. */
    static String tailFields(Convolution v) {
        return " bias=" + (v.bias() ? 1 : 0) + (v.postOps().isEmpty() ? "" : " post=" + v.postOps());
    }

    /**
     * A convolution's arguments in PyTorch's order: the input, then {@code sampling} (a deformable
     * convolution's offsets and mask), the weights, the bias when {@code v.bias()}, the sum
     * post-op's tensor when the chain has one, and the output.
     */
    static List<ArgSpec> convolutionArguments(Convolution v, List<ArgSpec> sampling) {
        List<ArgSpec> a = new ArrayList<>();
        a.add(new ArgSpec(Arg.SRC, v.inputShape(), "[N, C, H, W]"));
        a.addAll(sampling);
        a.add(new ArgSpec(Arg.WEIGHTS, v.weightShape(), "[K, C/groups, kh, kw]"));
        if (v.bias()) {
            a.add(new ArgSpec(Arg.BIAS, v.biasShape(), "[K]"));
        }
        if (v.postOps().hasSum()) {
            a.add(new ArgSpec(Arg.SUM, v.outputShape(), "[N, K, OH, OW]"));
        }
        a.add(new ArgSpec(Arg.DST, v.outputShape(), "[N, K, OH, OW]"));
        return a;
    }
}
