package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.testing.CrossCheck;
import dev.convcl.testing.Engines;
import dev.convcl.testing.Problems;
import dev.convcl.testing.Target;
import dev.convcl.testing.Tensors;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Host tensors over every kind of {@link FloatBuffer} a Java program hands in, on every backend:
 * a heap buffer that starts inside its array (element 0 is the buffer's position, not the
 * array's first element), a direct buffer in the other byte order (Java's default for
 * {@code ByteBuffer.allocateDirect(n).asFloatBuffer()} is big-endian), a view of a byte array, a
 * read-only buffer. Uploads, downloads and plans read and write the tensor's own elements and no
 * others; a read-only buffer is an input, and refused as an output before any work. And a device
 * tensor closed on one thread while another thread's plan uses it: the call either runs or is
 * refused, and the process lives (OpenCL: POCL aborted the JVM on a kernel queued on a released
 * buffer).
 */
class HostBuffersTest {
    @RegisterExtension
    static final Engines ENGINES = new Engines();

    private static final float FENCE = -777f;

    /** A buffer kind: a writable buffer of {@code n} elements whose elements outside it hold {@link #FENCE}. */
    enum Kind {
        HEAP_AT_OFFSET(n -> {
            float[] a = new float[n + 7];
            java.util.Arrays.fill(a, FENCE);
            return FloatBuffer.wrap(a, 4, n).slice();
        }),
        DIRECT_BIG_ENDIAN(n -> ByteBuffer.allocateDirect(4 * n).order(ByteOrder.BIG_ENDIAN).asFloatBuffer()),
        DIRECT_LITTLE_ENDIAN_AT_OFFSET(n -> {
            FloatBuffer b = ByteBuffer.allocateDirect(4 * (n + 5)).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            for (int i = 0; i < n + 5; i++) {
                b.put(i, FENCE);
            }
            return b.position(3).limit(3 + n);
        }),
        BYTE_ARRAY_VIEW(n -> ByteBuffer.wrap(new byte[4 * n]).asFloatBuffer()),
        NATIVE_DIRECT(n -> ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder()).asFloatBuffer());

        private final IntFunction<FloatBuffer> make;

        Kind(IntFunction<FloatBuffer> make) {
            this.make = make;
        }

        /** A tensor of {@code shape} over a new buffer of this kind holding {@code values}. */
        HostTensor holding(float[] values, int... shape) {
            FloatBuffer b = make.apply(values.length);
            b.duplicate().put(values);
            return Tensor.wrap(b, shape);
        }

        /** A tensor of {@code shape} over a new zeroed buffer of this kind. */
        HostTensor zeros(int... shape) {
            int n = 1;
            for (int d : shape) {
                n *= d;
            }
            return holding(new float[n], shape);
        }
    }

    static Stream<Arguments> kinds() {
        return Target.eachOf(() -> Stream.of(Kind.values()));
    }

    @ParameterizedTest(name = "[{0}] {1}")
    @MethodSource("kinds")
    void uploadsAndDownloadsMoveTheTensorsOwnElements(Target target, Kind kind) {
        Engine engine = ENGINES.get(target);
        float[] values = Tensors.floats(new SplittableRandom(3), 2 * 3 * 5, 10);
        HostTensor src = kind.holding(values, 2, 3, 5);
        try (DeviceTensor d = engine.upload(src)) {
            assertArrayEquals(values, d.toArray(), kind + " uploaded");
            HostTensor dst = kind.zeros(2, 3, 5);
            d.download(dst);
            assertArrayEquals(values, dst.toArray(), kind + " downloaded");
        }
        if (kind == Kind.HEAP_AT_OFFSET || kind == Kind.DIRECT_LITTLE_ENDIAN_AT_OFFSET) {
            // the buffer's elements outside the tensor (4 before and 3 after, or 3 before and 2 after) keep the fence
            FloatBuffer whole = kind.make.apply(30);
            HostTensor dst = Tensor.wrap(whole, 30);
            FloatBuffer all;
            int before;
            if (kind == Kind.HEAP_AT_OFFSET) {
                all = FloatBuffer.wrap(whole.array());
                before = 4;
            } else {
                all = whole.duplicate();
                all.limit(all.capacity()).position(0);
                before = 3;
            }
            try (DeviceTensor d = engine.upload(Tensor.of(values.clone(), 30))) {
                d.download(dst);
            }
            for (int i = 0; i < all.limit(); i++) {
                boolean inside = i >= before && i < before + 30;
                if (inside) {
                    assertEquals(values[i - before], all.get(i), kind + ": element " + i + " of the buffer");
                } else {
                    assertEquals(FENCE, all.get(i), kind + ": element " + i + " of the buffer, outside the tensor, was written");
                }
            }
        }
    }

    @ParameterizedTest(name = "[{0}] {1}")
    @MethodSource("kinds")
    void aPlanReadsAndWritesEveryKindOfBuffer(Target target, Kind kind) {
        Engine engine = ENGINES.get(target);
        Convolution op = Problems.parse("op=conv2d n=1 c=3 h=6 w=5 k=4 kh=3 kw=3 pad=1 bias=1");
        Args arrays = Tensors.args(op, 5, false, 1.0);
        float[] expected = CrossCheck.reference(op, arrays);
        Args.Builder b = Args.builder();
        for (var e : arrays.asMap().entrySet()) {
            HostTensor h = (HostTensor) e.getValue();
            b.set(e.getKey(), kind.holding(h.toArray(), h.shape()));
        }
        HostTensor out = kind.zeros(op.outputShape());
        b.set(Arg.DST, out);
        try (Plan plan = engine.plan(op)) {
            plan.execute(b.build());
        }
        CrossCheck.assertClose(op, kind + " buffers on " + target, expected, out.toArray(), CrossCheck.FLOAT_TOLERANCE);
    }

    @ParameterizedTest(name = "[{0}]")
    @EnumSource(Target.class)
    void aReadOnlyBufferIsAnInputAndNeverAnOutput(Target target) {
        Engine engine = ENGINES.get(target);
        Convolution op = Problems.parse("op=conv2d n=1 c=2 h=4 w=4 k=2 kh=1 kw=1");
        Args arrays = Tensors.args(op, 7, false, 1.0);
        float[] expected = CrossCheck.reference(op, arrays);
        HostTensor src = (HostTensor) arrays.get(Arg.SRC);
        HostTensor readOnlySrc = Tensor.wrap(FloatBuffer.wrap(src.toArray()).asReadOnlyBuffer(), src.shape());
        HostTensor out = Tensor.zeros(op.outputShape());
        try (Plan plan = engine.plan(op)) {
            plan.execute(Args.of(Arg.SRC, readOnlySrc, Arg.WEIGHTS, arrays.get(Arg.WEIGHTS), Arg.DST, out));
            CrossCheck.assertClose(op, "a read-only input on " + target, expected, out.toArray(), CrossCheck.FLOAT_TOLERANCE);

            HostTensor readOnlyOut = Tensor.wrap(FloatBuffer.allocate(out.size()).asReadOnlyBuffer(), out.shape());
            long launches = engine.stats().kernelLaunches();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> plan.execute(
                    Args.of(Arg.SRC, src, Arg.WEIGHTS, arrays.get(Arg.WEIGHTS), Arg.DST, readOnlyOut)));
            assertEquals("output tensor wraps a read-only FloatBuffer; an output must be writable", e.getMessage());
            assertEquals(launches, engine.stats().kernelLaunches(), "refused before any work");
            try (DeviceTensor d = engine.upload(src)) {
                HostTensor readOnly = Tensor.wrap(FloatBuffer.allocate(src.size()).asReadOnlyBuffer(), src.shape());
                IllegalArgumentException down = assertThrows(IllegalArgumentException.class, () -> d.download(readOnly));
                assertTrue(down.getMessage().endsWith("(read-only): it must be writable"), down.getMessage());
            }
        }
    }

    /**
     * A thread inside a call with a device tensor (entered, as a plan is while it queues work) keeps
     * it: close() on other threads, every one of them, waits until that call ends; the holding
     * thread may still use the tensor (a plan downloading a device input it holds), other threads
     * may not.
     */
    @ParameterizedTest(name = "[{0}]")
    @EnumSource(Target.class)
    void aCloseWaitsForTheCallsInsideTheTensor(Target target) throws InterruptedException {
        Engine engine = ENGINES.get(target);
        float[] values = Tensors.floats(new SplittableRandom(4), 12, 1);
        DeviceTensor x = engine.upload(Tensor.of(values.clone(), 12));
        assertTrue(x.enter());
        Thread first = new Thread(x::close);
        Thread second = new Thread(x::close);
        first.start();
        while (!x.isClosed()) {
            Thread.onSpinWait();
        }
        second.start();
        Thread.sleep(100);
        assertTrue(first.isAlive() && second.isAlive(), "a close() returned while a call was inside the tensor");
        assertArrayEquals(values, x.toArray(), "the holding thread's own call");
        AtomicReference<Throwable> other = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            try {
                x.toArray();
            } catch (Throwable t) {
                other.set(t);
            }
        });
        reader.start();
        reader.join(10_000);
        assertTrue(other.get() instanceof IllegalStateException, "another thread's call after close(): " + other.get());
        x.exit();
        first.join(10_000);
        second.join(10_000);
        assertTrue(!first.isAlive() && !second.isAlive(), "close() did not return once the call ended");
        assertThrows(IllegalStateException.class, x::toArray);
    }

    /**
     * One thread runs a plan on device tensors in a loop while another closes its input: every
     * call either completes or is refused with the tensor named closed, and nothing else happens.
     */
    @ParameterizedTest(name = "[{0}]")
    @EnumSource(Target.class)
    void closingADeviceTensorWhileAnotherThreadUsesItIsSafe(Target target) throws InterruptedException {
        Engine engine = ENGINES.get(target);
        Convolution op = Problems.parse("op=conv2d n=1 c=4 h=12 w=12 k=4 kh=3 kw=3 pad=1");
        Args arrays = Tensors.args(op, 9, false, 1.0);
        try (Plan plan = engine.plan(op); DeviceTensor y = engine.upload(Tensor.zeros(op.outputShape()))) {
            plan.bind(Arg.WEIGHTS, arrays.get(Arg.WEIGHTS));
            for (int round = 0; round < 20; round++) {
                DeviceTensor x = engine.upload((HostTensor) arrays.get(Arg.SRC));
                AtomicReference<Throwable> unexpected = new AtomicReference<>();
                                Thread worker = new Thread(() -> {
                    for (int i = 0; i < 200; i++) {
                        try {
                            plan.execute(Args.of(Arg.SRC, x, Arg.DST, y));
                        } catch (IllegalArgumentException e) {
                            if (!e.getMessage().equals("input is a closed device tensor")) {
                                unexpected.set(e);
                            }
                            return;
                        } catch (Throwable t) {
                            unexpected.set(t);
                            return;
                        }
                    }
                });
                worker.start();
                Thread.sleep(round % 5);
                x.close();
                worker.join(60_000);
                assertTrue(!worker.isAlive(), "the worker did not finish");
                if (unexpected.get() != null) {
                    throw new AssertionError("round " + round + ": " + unexpected.get(), unexpected.get());
                }
                engine.finish();
            }
        }
    }

    /** An index outside the tensor gets one line with the index, the shape and the range, array- or buffer-backed. */
    @Test
    void getOutsideTheTensorNamesTheIndexTheShapeAndTheRange() {
        HostTensor[] tensors = {HostTensor.of(new float[] {1, 2, 3, 4, 5, 6}, 1, 2, 3),
            HostTensor.wrap(FloatBuffer.wrap(new float[] {1, 2, 3, 4, 5, 6, 7}).position(1), 1, 2, 3),
            HostTensor.directZeros(1, 2, 3)};
        float[] last = {6f, 7f, 0f}; // the wrapped buffer's element 0 is its position, 1
        for (int k = 0; k < tensors.length; k++) {
            HostTensor t = tensors[k];
            assertEquals(last[k], t.get(5), "the last element of tensor " + k);
            for (int index : new int[] {6, -1, Integer.MAX_VALUE, Integer.MIN_VALUE}) {
                IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> t.get(index));
                assertEquals("index " + index + " is outside tensor [1, 2, 3] of 6 elements (0 to 5)", e.getMessage());
            }
        }
    }
}
