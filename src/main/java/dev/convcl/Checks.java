package dev.convcl;

/** Validation and one-line formatting shared by the convolution descriptors. */
final class Checks {
    private Checks() {
    }

    static void convolution(int n, int c, int h, int w, int k, Window2d window, int groups, PostOps postOps,
                            DataType dataType, Direction direction) {
        OneLine.positive("n", n);
        OneLine.positive("c", c);
        OneLine.positive("h", h);
        OneLine.positive("w", w);
        OneLine.positive("k", k);
        if (window == null) {
            throw new IllegalArgumentException("window must not be null");
        }
        OneLine.positive("groups", groups);
        if (postOps == null || dataType == null || direction == null) {
            throw new IllegalArgumentException("postOps, dataType and direction must not be null");
        }
        if (c % groups != 0) {
            throw new IllegalArgumentException("groups=" + groups + " must divide input channels c=" + c);
        }
        if (k % groups != 0) {
            throw new IllegalArgumentException("groups=" + groups + " must divide output channels k=" + k);
        }
        window.checkFits(h, w);
        long oh = window.outH(h), ow = window.outW(w);
        OneLine.fits("input", (long) n * c * h * w);
        OneLine.fits("weight", (long) k * (c / groups) * window.kh() * window.kw());
        OneLine.fits("output", (long) n * k * oh * ow);
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
}
