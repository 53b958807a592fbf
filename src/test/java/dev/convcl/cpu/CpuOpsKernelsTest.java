package dev.convcl.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.HostTensor;
import dev.convcl.NetworkProblems;
import dev.convcl.Operation;
import dev.convcl.Binary;
import dev.convcl.Pool2d;
import dev.convcl.Window2d;
import dev.convcl.reference.Accuracy;
import dev.convcl.reference.ReferenceOps;
import dev.convcl.spi.Primitive;
import dev.convcl.testing.Primitives;
import dev.convcl.testing.Tensors;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code cpu-pool2d} and {@code cpu-binary} on the scalar and (where this JVM has them) the vector
 * kernels, at 1 and 2 threads. Pooling (strides 1 and 2 through {@link Kernels#maxTaps} and
 * {@link Kernels#sumTaps} on planes staged in blocks, split into their stride phases by
 * {@link Kernels#deinterleave2}; larger strides output row by output row): every pooling problem of
 * {@link NetworkProblems} (hand-picked edges and seeded random shapes) plus the 3x3 stride-2 max
 * pools of network stems at odd and even widths, blocks of many planes with a shorter last one, max
 * pools with NaN and infinities among the inputs; max bit for bit, average within 1e-6 relative L2
 * of the reference. Binary ops (rows through {@link Kernels#binaryRow}, dimensions coalesced, rows
 * cut into pieces): every one of {@link NetworkProblems} (broadcasting of every kind) plus
 * per-channel scales whose rows are shorter than a vector and a residual add larger than a piece;
 * bit for bit against the reference (within 1e-6 relative L2 with post-ops).
 */
class CpuOpsKernelsTest {
    @RegisterExtension
    static final CpuBackends BACKENDS = new CpuBackends(new int[] {1, 2}, 1, 2);

    static Stream<Pool2d> pools() {
        Stream<Pool2d> stems = Stream.of("op=pool2d kind=max n=1 c=3 h=147 w=147 kh=3 kw=3 stride=2 pad=0",
                "op=pool2d kind=max n=2 c=3 h=35 w=36 kh=3 kw=3 stride=2 pad=1",
                "op=pool2d kind=max n=1 c=2 h=17 w=17 kh=3 kw=3 stride=2 pad=0 ceil=1",
                "op=pool2d kind=max n=1 c=2 h=9 w=70 kh=2 kw=2 stride=2 pad=0",
                // blocks of planes (cpu-pool2d stages about 4096 floats a block): 11 planes of 19x19
                // padded a block, the last block of a piece shorter; 40 planes of 10x10; a stride-1
                // pool read in place whose last block ends at the input's end; stride-2 max pools of
                // several planes a block at odd and even widths
                "op=pool2d kind=avg n=1 c=25 h=17 w=17 kh=3 kw=3 stride=1 pad=1",
                "op=pool2d kind=max n=2 c=50 h=8 w=8 kh=3 kw=3 stride=1 pad=1",
                "op=pool2d kind=max n=1 c=37 h=9 w=9 kh=3 kw=3 stride=1 pad=0",
                "op=pool2d kind=max n=1 c=29 h=17 w=17 kh=3 kw=3 stride=2 pad=0",
                "op=pool2d kind=max n=2 c=20 h=35 w=36 kh=3 kw=3 stride=2 pad=0",
                "op=pool2d kind=avg n=1 c=30 h=12 w=11 kh=2 kw=2 stride=2 pad=0 ceil=1 cip=0",
                // phases at stride 2 with dilation, an odd left padding and width, a 64-tap average
                "op=pool2d kind=max n=1 c=3 h=11 w=10 kh=3 kw=3 stride=2 pad=1 dil=2 ceil=1",
                "op=pool2d kind=avg n=1 c=9 h=9 w=11 kh=3 kw=3 stride=2 pad=1 cip=0 ceil=1",
                "op=pool2d kind=avg n=1 c=5 h=20 w=19 kh=8 kw=8 stride=2 pad=3 cip=1 ceil=1")
                .map(l -> (Pool2d) Operation.parse(l));
        // one stride per axis (1x2, 2x1), which the one-line form cannot say
        Stream<Pool2d> mixed = Stream.of(
                new Pool2d(Pool2d.Kind.MAX, 1, 4, 9, 12, Window2d.of(3, 3, 1, 2, 1, 1, 1, 1), false, false),
                new Pool2d(Pool2d.Kind.MAX, 1, 4, 12, 9, Window2d.of(3, 2, 2, 1, 1, 0, 1, 2), true, false),
                new Pool2d(Pool2d.Kind.AVG, 2, 3, 10, 7, new Window2d(3, 3, 1, 2, 1, 0, 0, 1, 1, 1), true, false));
        stems = Stream.concat(stems, mixed);
        return Stream.concat(NetworkProblems.all().stream().filter(Pool2d.class::isInstance).map(Pool2d.class::cast),
                stems);
    }

    @ParameterizedTest
    @MethodSource("pools")
    void everyKernelMatchesTheReference(Pool2d op) {
        Args ref = specials(op, NetworkProblems.randomArgs(op, 11));
        ReferenceOps.run(op, ref);
        float[] expected = ((HostTensor) ref.get(Arg.DST)).toArray();
        int backends = 0;
        for (CpuBackend backend : BACKENDS) {
            try (Primitive plan = Primitives.named(backend, "cpu-pool2d").create(op, null)) {
                Args args = specials(op, NetworkProblems.randomArgs(op, 11));
                Primitives.run(backend, plan, args);
                float[] out = ((HostTensor) args.get(Arg.DST)).array();
                String where = backend.kernelName() + " kernels, " + backend.threads() + " threads: " + op;
                compare(expected, out, op.kind() == Pool2d.Kind.MAX, where);
                backends++;
            }
        }
        assertEquals(EXPECTED_BACKENDS, backends, "scalar (and where this JVM has them, vector) kernels at 1 and 2 threads");
    }

    /** Backends {@link #BACKENDS} opens: scalar kernels at 1 and 2 threads, and vector ones where this JVM has them. */
    private static final int EXPECTED_BACKENDS = Kernels.vectorOrNull() == null ? 2 : 4;

    /**
     * For a max pool, puts NaN, +inf and -inf into every 37th, 41st and 43rd input (a max's NaN wins, as
     * Math.max); an average's inputs stay finite (its relative L2 check needs finite outputs).
     */
    private static Args specials(Pool2d op, Args args) {
        if (op.kind() != Pool2d.Kind.MAX) {
            return args;
        }
        float[] x = ((HostTensor) args.get(Arg.SRC)).array();
        for (int i = 5; i < x.length; i += 37) {
            x[i] = Float.NaN;
        }
        for (int i = 7; i < x.length; i += 41) {
            x[i] = Float.POSITIVE_INFINITY;
        }
        for (int i = 11; i < x.length; i += 43) {
            x[i] = Float.NEGATIVE_INFINITY;
        }
        return args;
    }

    static Stream<Binary> binaries() {
        Stream<Binary> scales = Stream.of("op=binary kind=mul a=8,24,7,7 b=8,24,1,1", "op=binary kind=div a=2,3,5,40 b=2,3,5,1",
                "op=binary kind=add a=1,16,14,14 b=1,16,14,14", "op=binary kind=sub a=3,1,17 b=3,9,17",
                "op=binary kind=add a=1,24,33,17 b=1,24,33,17",
                // the broadcast operand first (torchvision's squeeze-and-excitation: scale * input)
                "op=binary kind=mul a=8,24,1,1 b=8,24,7,7", "op=binary kind=sub a=2,3,1,1 b=2,3,9,40",
                "op=binary kind=div a=1,5,1,1 b=1,5,6,50", "op=binary kind=add a=2,16,1,1 b=2,16,28,28")
                .map(l -> (Binary) Operation.parse(l));
        return Stream.concat(NetworkProblems.all().stream().filter(Binary.class::isInstance).map(Binary.class::cast),
                scales);
    }

    @ParameterizedTest
    @MethodSource("binaries")
    void binaryMatchesTheReferenceOnEveryKernel(Binary op) {
        Args ref = NetworkProblems.randomArgs(op, 13);
        ReferenceOps.run(op, ref);
        float[] expected = ((HostTensor) ref.get(Arg.DST)).toArray();
        int backends = 0;
        for (CpuBackend backend : BACKENDS) {
            try (Primitive plan = Primitives.named(backend, "cpu-binary").create(op, null)) {
                Args args = NetworkProblems.randomArgs(op, 13);
                Primitives.run(backend, plan, args);
                float[] out = ((HostTensor) args.get(Arg.DST)).array();
                String where = backend.kernelName() + " kernels, " + backend.threads() + " threads: " + op;
                // without post-ops: one float operation a value, as the reference's double result rounded to float
                compare(expected, out, op.postOps().isEmpty(), where);
                backends++;
            }
        }
        assertEquals(EXPECTED_BACKENDS, backends, "scalar (and where this JVM has them, vector) kernels at 1 and 2 threads");
    }

    /** Bit for bit when {@code exact}, else within 1e-6 relative L2; {@code where} names the kernels and the problem. */
    private static void compare(float[] expected, float[] out, boolean exact, String where) {
        if (exact) {
            int bad = Tensors.firstMismatch(expected, out);
            assertEquals(-1, bad, () -> "element " + bad + " is " + out[bad] + ", reference " + expected[bad]
                    + ", on " + where);
        } else {
            double err = Accuracy.relativeL2(expected, out);
            assertTrue(err <= 1e-6, "relative L2 error " + err + " on " + where);
        }
    }
}
