package dev.convcl.cpu;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.DeviceChoice;
import dev.convcl.Engine;
import dev.convcl.Plan;
import dev.convcl.Tensor;
import dev.convcl.testing.Problems;
import dev.convcl.testing.Tensors;

/**
 * Run by {@link CpuScratchTest} in a JVM with a small heap: 1x1 inputs under a padding given as
 * the argument, on the CPU engine, each output checked against the sum its taps make. Prints
 * {@value #OK} and the number of problems, or the first wrong output and exits 1.
 */
public final class SmallHeapRun {
    static final String OK = "small-heap run ok:";
    /** Problems with PAD for the padding: a depthwise one (one plane) and a dense one (two channels). */
    static final String[] CASES = {
        "op=conv2d n=1 c=1 h=1 w=1 k=1 kh=3 kw=3 pad=PAD bias=1",
        "op=conv2d n=1 c=2 h=1 w=1 k=1 kh=3 kw=3 pad=PAD bias=1",
    };

    private SmallHeapRun() {
    }

    public static void main(String[] argv) {
        int done = 0;
        try (Engine engine = Engine.create(DeviceChoice.CPU)) {
            for (String template : CASES) {
                Convolution spec = Problems.parse(template.replace("PAD", argv[0]));
                Args args = args(spec);
                String algorithm;
                try (Plan plan = engine.plan(spec)) {
                    algorithm = plan.algorithm();
                    plan.execute(args);
                }
                int wrong = firstWrong(spec, args, Tensors.out(args));
                if (wrong >= 0) {
                    System.out.println(algorithm + " on " + spec + ": output " + wrong + " is "
                            + Tensors.out(args)[wrong]);
                    System.exit(1);
                }
                System.out.println(algorithm + " ok on " + spec);
                done++;
            }
        }
        System.out.println(OK + " " + done);
    }

    /** Small integers (exact sums) and a bias of 0.5, with a zeroed output. */
    static Args args(Convolution spec) {
        float[] in = new float[(int) spec.inputSize()];
        for (int i = 0; i < in.length; i++) {
            in[i] = i + 2;
        }
        float[] wt = new float[(int) spec.weightSize()];
        for (int i = 0; i < wt.length; i++) {
            wt[i] = i % 7 - 3;
        }
        float[] bias = new float[spec.k()];
        java.util.Arrays.fill(bias, 0.5f);
        return Args.builder().src(Tensor.of(in, spec.inputShape())).weights(Tensor.of(wt, spec.weightShape()))
                .bias(Tensor.of(bias, spec.biasShape())).dst(Tensor.zeros(spec.outputShape())).build();
    }

    /**
     * The first output (NCHW index) that differs from the sum of weight x pixel over the taps that
     * fall on the 1x1 input, plus the bias; -1 when all match.
     */
    static int firstWrong(Convolution spec, Args args, float[] out) {
        if (spec.h() != 1 || spec.w() != 1 || !spec.postOps().isEmpty() || !spec.bias()) {
            throw new IllegalArgumentException("a 1x1 input with a bias and no post-ops: " + spec);
        }
        float[] in = Tensors.array(args, Arg.SRC), wt = Tensors.array(args, Arg.WEIGHTS), bias = Tensors.array(args, Arg.BIAS);
        int oh = spec.outH(), ow = spec.outW(), cg = spec.cPerGroup();
        for (int n = 0; n < spec.n(); n++) {
            for (int k = 0; k < spec.k(); k++) {
                int g = k / spec.kPerGroup();
                for (int y = 0; y < oh; y++) {
                    int i = tapOnPixel(y, spec.strideH(), spec.padTop(), spec.dilH(), spec.kh());
                    for (int x = 0; x < ow; x++) {
                        int j = i < 0 ? -1 : tapOnPixel(x, spec.strideW(), spec.padLeft(), spec.dilW(), spec.kw());
                        double sum = 0;
                        if (j >= 0) {
                            for (int cl = 0; cl < cg; cl++) {
                                sum += (double) wt[((k * cg + cl) * spec.kh() + i) * spec.kw() + j]
                                        * in[n * spec.c() + g * cg + cl];
                            }
                        }
                        int at = ((n * spec.k() + k) * oh + y) * ow + x;
                        if (out[at] != (float) (sum + bias[k])) {
                            return at;
                        }
                    }
                }
            }
        }
        return -1;
    }

    /** The kernel row (column) whose tap at output row (column) o reads input row (column) 0, or -1. */
    private static int tapOnPixel(int o, int stride, int pad, int dil, int taps) {
        long d = (long) pad - (long) o * stride; // i * dil must equal this
        return d >= 0 && d % dil == 0 && d / dil < taps ? (int) (d / dil) : -1;
    }
}
