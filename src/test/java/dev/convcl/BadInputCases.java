package dev.convcl;

import dev.convcl.testing.Problems;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The bad-input table: every rule of PyTorch's conv2d argument checks and torchvision's
 * deform_conv2d shape checks, plus tensors that do not match a plan and sizes that overflow 32-bit
 * indexing, each as a call through the public API and a fragment the exception message must
 * contain (the offending value, with its rule). Run by {@link BadInputTest} on each backend (on
 * OpenCL it also proves nothing reached the device).
 */
final class BadInputCases {
    private BadInputCases() {
    }

    /** One row: a call that must throw IllegalArgumentException whose message contains {@code expected}. */
    record Case(String name, String expected, Consumer<Engine> call) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final SplittableRandom RND = new SplittableRandom(7);

    static HostTensor t(int... shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] a = new float[(int) n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) RND.nextDouble(-1, 1);
        }
        return Tensor.of(a, shape);
    }

    /** conv2d input [1,4,6,6] with weight [4,4,3,3]. */
    private static void conv(Engine e, int stride, int padding, int dilation, int groups) {
        e.conv2d(t(1, 4, 6, 6), t(4, 4, 3, 3), null, stride, padding, dilation, groups);
    }

    /**
     * deform_conv2d of input [1,4,6,6] with the given offset, weight and mask (null: none), no bias,
     * stride, padding and dilation 1.
     */
    private static void deform(Engine e, Tensor offset, Tensor weight, Tensor mask) {
        e.deformConv2d(t(1, 4, 6, 6), offset, weight, null, 1, 1, 1, mask);
    }

    /**
     * deform_conv2d of input [1,4,6,6], offset [1,18,6,6] and weight [2,4,3,3] without a mask, with
     * the given stride, padding, dilation and bias (null: none).
     */
    private static void deform(Engine e, int stride, int padding, int dilation, Tensor bias) {
        e.deformConv2d(t(1, 4, 6, 6), t(1, 18, 6, 6), t(2, 4, 3, 3), bias, stride, padding, dilation, null);
    }

    /** The spec the plan rows use, and its matching tensors. */
    static final Convolution PLAN_SPEC = Problems.parse("op=conv2d n=1 c=4 h=6 w=6 k=4 kh=3 kw=3 pad=1 bias=1");
    static final Convolution DEFORM_SPEC = Problems.parse("op=deform2d n=1 c=4 h=6 w=6 k=2 kh=3 kw=3 pad=1 mask=1");

    private static void planCall(Engine e, Convolution spec, Args args) {
        try (Plan plan = e.plan(spec)) {
            plan.execute(args);
        }
    }

    /** {@link #PLAN_SPEC}'s plan run on its matching tensors with the one of {@code role} replaced (null: left out). */
    private static void planWith(Engine e, Arg role, Tensor replacement) {
        planCall(e, PLAN_SPEC, convArgs(t(1, 4, 6, 6), t(4, 4, 3, 3), t(4), t(1, 4, 6, 6)).with(role, replacement));
    }

    private static Args convArgs(Tensor in, Tensor w, Tensor b, Tensor out) {
        return Args.builder().src(in).weights(w).bias(b).dst(out).build();
    }

    private static Args deformArgs(Tensor in, Tensor offset, Tensor mask, Tensor w, Tensor b, Tensor out) {
        return Args.builder().src(in).offset(offset).mask(mask).weights(w).bias(b).dst(out).build();
    }

    static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        // ---- torch.nn.functional.conv2d argument rules, through Engine.conv2d
        c.add(new Case("stride 0", "stride_h=0", e -> conv(e, 0, 1, 1, 1)));
        c.add(new Case("negative stride", "stride_h=-2", e -> conv(e, -2, 1, 1, 1)));
        c.add(new Case("dilation 0", "dil_h=0", e -> conv(e, 1, 1, 0, 1)));
        c.add(new Case("negative dilation", "dil_h=-1", e -> conv(e, 1, 1, -1, 1)));
        c.add(new Case("negative padding", "pad_h=-1", e -> conv(e, 1, -1, 1, 1)));
        c.add(new Case("groups 0", "groups=0", e -> e.conv2d(t(1, 4, 6, 6), t(4, 4, 3, 3), null, 1, 1, 1, 0)));
        c.add(new Case("negative groups", "groups=-2", e -> e.conv2d(t(1, 4, 6, 6), t(4, 2, 3, 3), null, 1, 1, 1, -2)));
        c.add(new Case("groups not dividing in-channels", "groups=4 must divide input channels c=6",
                e -> e.conv2d(t(1, 6, 6, 6), t(4, 2, 3, 3), null, 1, 1, 1, 4)));
        c.add(new Case("groups not dividing out-channels", "groups=2 must divide output channels k=3",
                e -> e.conv2d(t(1, 4, 6, 6), t(3, 2, 3, 3), null, 1, 1, 1, 2)));
        c.add(new Case("weight channels vs groups", "weight [4, 3, 3, 3] has 3 channels per group; with groups=2 the input must have 6",
                e -> e.conv2d(t(1, 8, 6, 6), t(4, 3, 3, 3), null, 1, 1, 1, 2)));
        c.add(new Case("weight channels vs input", "input [1, 4, 6, 6] has 4",
                e -> e.conv2d(t(1, 4, 6, 6), t(2, 3, 3, 3), null, 1, 1, 1, 1)));
        c.add(new Case("input rank 3", "input has rank 3", e -> e.conv2d(t(4, 6, 6), t(4, 4, 3, 3), null, 1, 1, 1, 1)));
        c.add(new Case("input rank 5", "input has rank 5", e -> e.conv2d(t(1, 1, 4, 6, 6), t(4, 4, 3, 3), null, 1, 1, 1, 1)));
        c.add(new Case("weight rank 5", "weight has rank 5", e -> e.conv2d(t(1, 4, 6, 6), t(4, 4, 1, 3, 3), null, 1, 1, 1, 1)));
        c.add(new Case("bias rank 2", "bias has rank 2", e -> e.conv2d(t(1, 4, 6, 6), t(4, 4, 3, 3), t(1, 4), 1, 1, 1, 1)));
        c.add(new Case("bias length", "bias shape [5]", e -> e.conv2d(t(1, 4, 6, 6), t(4, 4, 3, 3), t(5), 1, 1, 1, 1)));
        c.add(new Case("kernel larger than padded input", "kh=5",
                e -> e.conv2d(t(1, 1, 2, 2), t(1, 1, 5, 5), null, 1, 1, 1, 1)));
        c.add(new Case("null input", "input tensor must not be null", e -> e.conv2d(null, t(4, 4, 3, 3), null, 1, 1, 1, 1)));
        c.add(new Case("null weight", "weight tensor must not be null", e -> e.conv2d(t(1, 4, 6, 6), null, null, 1, 1, 1, 1)));
        // ---- sizes beyond 32-bit indexing, from small tensors
        c.add(new Case("output beyond 2^31 elements", "output would have 6400160001 elements",
                e -> e.conv2d(t(1, 1, 1, 1), t(1, 1, 1, 1), null, 1, 40_000, 1, 1)));
        c.add(new Case("padded height beyond 2^31", "h+pad_h+pad_h_end=2200000001",
                e -> e.conv2d(t(1, 1, 1, 1), t(1, 1, 1, 1), null, 2_000_000_000, 1_100_000_000, 1, 1)));
        c.add(new Case("input beyond 2^31 elements (spec)", "input would have 2500000000 elements",
                e -> e.plan(Operation.parse("op=conv2d n=1 c=1 h=50000 w=50000 k=1 kh=1 kw=1")).close()));
        c.add(new Case("offset beyond 2^31 elements (spec)", "offset would have",
                e -> e.plan(Operation.parse("op=deform2d n=1 c=1 h=1200 w=1200 k=1 kh=31 kw=31 pad=15")).close()));
        // products that wrap a long: 65536^4 = 2^64 read as 0 elements, 100000^4 as a wrong count
        c.add(new Case("input of 2^64 elements (spec)", "input would have 18446744073709551616 elements",
                e -> e.plan(Operation.parse("op=conv2d n=65536 c=65536 h=65536 w=65536 k=65536 kh=1 kw=1 groups=65536"))
                        .close()));
        c.add(new Case("input of 10^20 elements (builder)", "input would have 100000000000000000000 elements",
                e -> e.plan(Conv2d.builder().input(100_000, 100_000, 100_000, 100_000).output(8).kernel(3, 3).build())
                        .close()));
        // a pool whose padding makes its output pass 2^31 while its input stays below: 46341^2 outputs
        c.add(new Case("pool output beyond 2^31 elements", "output would have 2147488281 elements",
                e -> e.plan(Operation.parse("op=pool2d kind=max n=1 c=1 h=46340 w=46340 kh=2 kw=2 stride=1 pad=1"))
                        .close()));
        c.add(new Case("binary operand of 2^64 elements", "a=[65536, 65536, 65536, 65536] would have "
                + "18446744073709551616 elements",
                e -> e.plan(Operation.parse("op=binary kind=add a=65536,65536,65536,65536 b=1")).close()));

        // ---- torchvision.ops.deform_conv2d shape rules, through Engine.deformConv2d
        // input [1,4,6,6], weight [2,4,3,3], 3x3 pad 1 stride 1: output 6x6, offset [1,18,6,6], mask [1,9,6,6]
        c.add(new Case("offset channels not 2*kh*kw*og", "offset has 17 channels",
                e -> deform(e, t(1, 17, 6, 6), t(2, 4, 3, 3), null)));
        c.add(new Case("offset batch", "offset shape [2, 18, 6, 6]", e -> deform(e, t(2, 18, 6, 6), t(2, 4, 3, 3), null)));
        c.add(new Case("offset height", "offset shape [1, 18, 5, 6]", e -> deform(e, t(1, 18, 5, 6), t(2, 4, 3, 3), null)));
        c.add(new Case("offset width", "offset shape [1, 18, 6, 7]", e -> deform(e, t(1, 18, 6, 7), t(2, 4, 3, 3), null)));
        c.add(new Case("mask channels", "mask shape [1, 18, 6, 6]",
                e -> deform(e, t(1, 18, 6, 6), t(2, 4, 3, 3), t(1, 18, 6, 6))));
        c.add(new Case("mask batch", "mask shape [2, 9, 6, 6]", e -> deform(e, t(1, 18, 6, 6), t(2, 4, 3, 3), t(2, 9, 6, 6))));
        c.add(new Case("mask spatial", "mask shape [1, 9, 6, 5]", e -> deform(e, t(1, 18, 6, 6), t(2, 4, 3, 3), t(1, 9, 6, 5))));
        c.add(new Case("mask rank", "mask has rank 3", e -> deform(e, t(1, 18, 6, 6), t(2, 4, 3, 3), t(9, 6, 6))));
        c.add(new Case("offset rank", "offset has rank 3", e -> deform(e, t(18, 6, 6), t(2, 4, 3, 3), null)));
        c.add(new Case("channels not divisible by offset groups", "offset_groups=3 must divide input channels c=4",
                e -> deform(e, t(1, 54, 6, 6), t(2, 4, 3, 3), null)));
        c.add(new Case("input channels vs weight channels", "input channels 4 are not a multiple of the weight's channels per group 3",
                e -> deform(e, t(1, 18, 6, 6), t(2, 3, 3, 3), null)));
        c.add(new Case("deform out-channels vs groups", "groups=2 must divide output channels k=3",
                e -> deform(e, t(1, 18, 6, 6), t(3, 2, 3, 3), null)));
        c.add(new Case("deform stride 0", "stride_h=0", e -> deform(e, 0, 1, 1, null)));
        c.add(new Case("deform negative padding", "pad_h=-1",
                e -> e.deformConv2d(t(1, 4, 4, 4), t(1, 18, 2, 2), t(2, 4, 3, 3), null, 1, -1, 1, null)));
        c.add(new Case("deform dilation 0", "dil_h=0", e -> deform(e, 1, 1, 0, null)));
        c.add(new Case("deform bias length", "bias shape [3]", e -> deform(e, 1, 1, 1, t(3))));

        // ---- tensors that do not match a plan's spec, through plan().execute and execute()
        Convolution s = PLAN_SPEC;
        c.add(new Case("input shorter (width)", "input shape [1, 4, 6, 5]", e -> planWith(e, Arg.SRC, t(1, 4, 6, 5))));
        c.add(new Case("input longer (width)", "input shape [1, 4, 6, 7]", e -> planWith(e, Arg.SRC, t(1, 4, 6, 7))));
        c.add(new Case("input longer (batch)", "input shape [2, 4, 6, 6]", e -> planWith(e, Arg.SRC, t(2, 4, 6, 6))));
        c.add(new Case("input flat with the right count", "input shape [144]", e -> planWith(e, Arg.SRC, t(144))));
        c.add(new Case("weight shorter", "weight shape [4, 4, 3, 2]", e -> planWith(e, Arg.WEIGHTS, t(4, 4, 3, 2))));
        c.add(new Case("output shorter", "output shape [1, 4, 6, 5]", e -> planWith(e, Arg.DST, t(1, 4, 6, 5))));
        c.add(new Case("output longer", "output shape [1, 5, 6, 6]", e -> planWith(e, Arg.DST, t(1, 5, 6, 6))));
        c.add(new Case("bias missing", "bias tensor is missing", e -> planWith(e, Arg.BIAS, null)));
        c.add(new Case("bias longer", "bias shape [5]", e -> planWith(e, Arg.BIAS, t(5))));
        c.add(new Case("bias not in spec", "a bias tensor was given but the spec says bias=0",
                e -> planCall(e, s.withBias(false), convArgs(t(1, 4, 6, 6), t(4, 4, 3, 3), t(4), t(1, 4, 6, 6)))));
        c.add(new Case("output aliases input", "output must not share its memory with the input tensor", e -> {
            Tensor x = t(1, 4, 6, 6);
            planCall(e, s.withBias(false), convArgs(x, t(4, 4, 3, 3), null, x));
        }));
        c.add(new Case("offset given to conv2d", "an offset tensor was given but op=conv2d takes none",
                e -> planWith(e, Arg.OFFSET, t(1, 18, 6, 6))));
        c.add(new Case("null args", "args must not be null", e -> planCall(e, s, null)));
        c.add(new Case("execute() with a short input", "input shape [1, 4, 5, 6]",
                e -> e.execute(s, convArgs(t(1, 4, 5, 6), t(4, 4, 3, 3), t(4), t(1, 4, 6, 6)))));
        Convolution d = DEFORM_SPEC;
        c.add(new Case("deform plan: mask missing", "mask tensor is missing",
                e -> planCall(e, d, deformArgs(t(1, 4, 6, 6), t(1, 18, 6, 6), null, t(2, 4, 3, 3), null, t(1, 2, 6, 6)))));
        c.add(new Case("deform plan: offset short", "offset shape [1, 16, 6, 6]",
                e -> planCall(e, d, deformArgs(t(1, 4, 6, 6), t(1, 16, 6, 6), t(1, 9, 6, 6), t(2, 4, 3, 3), null,
                        t(1, 2, 6, 6)))));
        c.add(new Case("deform plan: mask with a spec that has none", "a mask tensor was given but the spec says mask=0",
                e -> planCall(e, Problems.parse("op=deform2d n=1 c=4 h=6 w=6 k=2 kh=3 kw=3 pad=1"),
                        deformArgs(t(1, 4, 6, 6), t(1, 18, 6, 6), t(1, 9, 6, 6), t(2, 4, 3, 3), null, t(1, 2, 6, 6)))));
        // ---- tensor storage shorter or longer than the shape it claims
        c.add(new Case("array shorter than shape", "tensor data has 143 elements but shape [1, 4, 6, 6] needs 144",
                e -> planWith(e, Arg.SRC, Tensor.of(new float[143], 1, 4, 6, 6))));
        c.add(new Case("array longer than shape", "tensor data has 145 elements but shape [1, 4, 6, 6] needs 144",
                e -> planWith(e, Arg.SRC, Tensor.of(new float[145], 1, 4, 6, 6))));
        c.add(new Case("buffer longer than shape", "tensor buffer has 145 elements remaining but shape [1, 4, 6, 6] needs 144",
                e -> planWith(e, Arg.SRC, Tensor.wrap(FloatBuffer.allocate(145), 1, 4, 6, 6))));
        c.add(new Case("zero dimension", "tensor dimension 3 is 0",
                e -> e.conv2d(Tensor.of(new float[0], 1, 4, 6, 0), t(4, 4, 3, 3), null, 1, 1, 1, 1)));
        // ---- shapes of more than 2^32 elements: the refusal names the exact count (it said only
        // "shape [100000, 100000] is too large"), and a count whose bytes wrap a long is refused
        c.add(new Case("array far shorter than a huge shape",
                "tensor data has 10 elements but shape [100000, 100000] needs 10000000000",
                e -> planWith(e, Arg.SRC, Tensor.of(new float[10], 100000, 100000))));
        c.add(new Case("zeros beyond a Java array",
                "shape [100000, 100000] has 10000000000 elements, more than a Java array holds (2^31-9)",
                e -> planWith(e, Arg.SRC, Tensor.zeros(100000, 100000))));
        c.add(new Case("direct zeros whose byte count wraps a long",
                "shape [2147483647, 2147483647] has 4611686014132420609 elements, more than a direct buffer of "
                        + "2^31-1 bytes holds",
                e -> planWith(e, Arg.SRC, Tensor.directZeros(Integer.MAX_VALUE, Integer.MAX_VALUE))));
        c.add(new Case("element count beyond a long",
                "shape [2147483647, 2147483647, 2147483647] has more elements than a long counts (2^63-1)",
                e -> planWith(e, Arg.SRC, Tensor.zeros(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE))));
        return c;
    }
}
