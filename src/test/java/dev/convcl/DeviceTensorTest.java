package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.testing.CrossCheck;
import dev.convcl.testing.Engines;
import dev.convcl.testing.Implementations;
import dev.convcl.testing.Problems;
import dev.convcl.testing.Target;
import dev.convcl.testing.Tensors;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tensors that live on the engine's device ({@link DeviceTensor}), on every backend: an upload and
 * a download give back the same values; plans of every implementation read and write them in
 * place, mixed with host tensors; a chain of plans on device tensors moves no data between host
 * and device ({@link Engine.Stats#hostTransfers()}); closing a tensor, or the engine, releases it.
 */
class DeviceTensorTest {
    @RegisterExtension
    static final Engines ENGINES = new Engines();

    static Stream<Arguments> problems() {
        return Target.eachOf(() -> Stream.of(
                "op=conv2d n=2 c=4 h=7 w=6 k=5 kh=3 kw=3 pad=1 bias=1",
                "op=conv2d n=1 c=8 h=7 w=7 k=8 kh=3 kw=3 pad=1,0,2,1 groups=8 bias=1 relu=1",
                "op=conv2d n=1 c=8 h=5 w=5 k=6 kh=1 kw=1 stride=2",
                "op=deform2d n=1 c=4 h=6 w=5 k=3 kh=3 kw=3 pad=1 og=2 mask=1 bias=1").map(Problems::parse));
    }

    @ParameterizedTest(name = "[{0}]")
    @EnumSource(Target.class)
    void uploadAndDownloadGiveBackTheSameValues(Target target) {
        Engine engine = ENGINES.get(target);
        HostTensor host = Tensor.of(Tensors.floats(new java.util.SplittableRandom(1), 2 * 3 * 5, 1e3), 2, 3, 5);
        long transfers = engine.stats().hostTransfers();
        long bytes = engine.stats().deviceBytes();
        try (DeviceTensor d = engine.upload(host)) {
            assertArrayEquals(new int[] {2, 3, 5}, d.shape());
            assertEquals(30, d.size());
            assertEquals(engine, d.engine());
            assertArrayEquals(host.array(), d.toArray());
            HostTensor into = Tensor.directZeros(2, 3, 5);
            d.download(into);
            assertArrayEquals(host.array(), into.toArray());
            HostTensor other = Tensor.of(new float[30], 2, 3, 5);
            other.array()[7] = 7;
            d.upload(other);
            assertArrayEquals(other.array(), d.download().array());
            assertEquals(1, engine.stats().openTensors(), "the engine counts the open tensor");
            if (target == Target.OPENCL) {
                assertEquals(transfers + 5, engine.stats().hostTransfers(), "two uploads and three downloads");
                assertTrue(engine.stats().deviceBytes() >= bytes + 4 * 30, "the tensor's device memory");
            }
        }
        assertEquals(0, engine.stats().openTensors());
        assertEquals(bytes, engine.stats().deviceBytes(), "a closed tensor's memory is released");
    }

    @ParameterizedTest(name = "[{0}] {1}")
    @MethodSource("problems")
    void everyImplementationReadsAndWritesDeviceTensors(Target target, Convolution op) {
        Engine engine = ENGINES.get(target);
        Args host = Tensors.args(op, 3, false, 1.5);
        float[] expected = CrossCheck.reference(op, host);
        Implementations.check(engine, target, op, plan -> {
            Args.Builder onDevice = Args.builder();
            for (Map.Entry<Arg, Tensor> e : host.asMap().entrySet()) {
                onDevice.set(e.getKey(), engine.upload((HostTensor) e.getValue()));
            }
            Args device = onDevice.build();
            try {
                plan.execute(device); // queued; the download waits
                CrossCheck.assertClose(op, "device in, device out", expected,
                        ((DeviceTensor) device.get(Arg.DST)).toArray(), CrossCheck.FLOAT_TOLERANCE);
                // host input and device output, then device input and host output
                DeviceTensor out = (DeviceTensor) device.get(Arg.DST);
                out.upload(Tensors.poisoned(op));
                plan.execute(device.with(Arg.SRC, host.get(Arg.SRC)));
                CrossCheck.assertClose(op, "host input, device output", expected, out.toArray(), CrossCheck.FLOAT_TOLERANCE);
                HostTensor hostOut = Tensors.poisoned(op);
                plan.execute(device.with(Arg.DST, hostOut));
                CrossCheck.assertClose(op, "device input, host output", expected, hostOut.array(), CrossCheck.FLOAT_TOLERANCE);
            } finally {
                device.asMap().values().forEach(t -> ((DeviceTensor) t).close());
            }
        });
    }

    /**
     * Two layers, {@code y = relu(conv2(relu(conv1(x) + b1)) + b2)} (and, with {@code sum}, a
     * ResNet block that adds x before the last ReLU), on device tensors with bound weights:
     * between the upload of x and the download of y nothing crosses between host and device,
     * when every plan runs on the device; and y is the reference's.
     */
    static void checkChainMovesNoData(Engine engine, Target target, PostOps second) {
        Convolution conv1 = Problems.parse("op=conv2d n=1 c=8 h=9 w=9 k=8 kh=3 kw=3 pad=1 bias=1 post=relu");
        Convolution conv2 = conv1.withPostOps(second);
        Args a1 = Tensors.args(conv1, 4, false, 1);
        Args a2 = Tensors.args(conv2, 5, false, 1);
        // the reference chain
        HostTensor h = Tensor.zeros(conv1.outputShape());
        dev.convcl.reference.ReferenceConv.run(conv1, a1.with(Arg.DST, h));
        Args args2 = a2.with(Arg.SRC, h);
        float[] expected = CrossCheck.reference(conv2, second.hasSum() ? args2.with(Arg.SUM, a1.get(Arg.SRC)) : args2);
        try (Plan p1 = engine.plan(conv1); Plan p2 = engine.plan(conv2)) {
            p1.bind(Arg.WEIGHTS, a1.get(Arg.WEIGHTS));
            p1.bind(Arg.BIAS, a1.get(Arg.BIAS));
            p2.bind(Arg.WEIGHTS, a2.get(Arg.WEIGHTS));
            p2.bind(Arg.BIAS, a2.get(Arg.BIAS));
            try (DeviceTensor x = engine.upload((HostTensor) a1.get(Arg.SRC));
                 DeviceTensor mid = engine.allocate(conv1.outputShape());
                 DeviceTensor y = engine.allocate(conv2.outputShape())) {
                for (int call = 0; call < 2; call++) {
                    Engine.Stats before = engine.stats();
                    p1.execute(Args.of(Arg.SRC, x, Arg.DST, mid));
                    p2.execute(second.hasSum() ? Args.of(Arg.SRC, mid, Arg.SUM, x, Arg.DST, y)
                            : Args.of(Arg.SRC, mid, Arg.DST, y));
                    assertEquals(target.toString(), p1.backend(), conv1.toString());
                    assertEquals(target.toString(), p2.backend(), conv2.toString());
                    Engine.Stats after = engine.stats();
                    assertEquals(before.hostTransfers(), after.hostTransfers(), "host transfers inside the chain, call " + call);
                    if (target == Target.OPENCL) {
                        assertTrue(after.kernelLaunches() >= before.kernelLaunches() + 2, "the chain's kernels were launched");
                    }
                    CrossCheck.assertClose(conv2, "the block's output, call " + call, expected, y.toArray(),
                            CrossCheck.FLOAT_TOLERANCE);
                    assertEquals(after.hostTransfers() + (target == Target.OPENCL ? 1 : 0), engine.stats().hostTransfers(),
                            "downloading y is one transfer");
                }
            }
        }
    }

    @ParameterizedTest(name = "[{0}]")
    @EnumSource(Target.class)
    void aChainOfPlansOnDeviceTensorsMovesNoData(Target target) {
        checkChainMovesNoData(ENGINES.get(target), target, PostOps.of(Activation.relu()));
    }

    @ParameterizedTest(name = "[{0}]")
    @EnumSource(Target.class)
    void closingTheEngineClosesItsTensors(Target target) {
        Engine engine = target.open();
        Plan plan = engine.plan(dev.convcl.Conv2d.builder().input(1, 2, 4, 4).output(2).kernel(3, 3).build());
        DeviceTensor t = engine.allocate(3, 4);
        DeviceTensor u = engine.upload(Tensor.zeros(2));
        u.close();
        u.close(); // idempotent
        assertTrue(u.isClosed());
        assertEquals(1, engine.stats().openTensors());
        engine.close();
        assertTrue(t.isClosed(), "the engine's close() must close its device tensors");
        assertEquals(0, engine.stats().openTensors());
        assertEquals(0, engine.stats().deviceBytes());
        IllegalStateException e = assertThrows(IllegalStateException.class, t::toArray);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> engine.allocate(1));
        // Nothing reaches the released device: finish() on a closed OpenCL engine crashed the JVM
        // in clFinish on the freed queue.
        assertTrue(assertThrows(IllegalStateException.class, engine::finish).getMessage().contains("closed"));
        String planClosed = assertThrows(IllegalStateException.class, () -> plan.bind(Arg.WEIGHTS,
                Tensor.zeros(2, 2, 3, 3))).getMessage();
        assertTrue(planClosed.startsWith("plan is closed (its engine was closed): op=conv2d"), planClosed);
        dev.convcl.Conv2d op = dev.convcl.Conv2d.builder().input(1, 2, 4, 4).output(2).kernel(3, 3).build();
        assertThrows(IllegalStateException.class, () -> engine.implementations(op));
        assertThrows(IllegalStateException.class, () -> engine.configs(op, "x"));
        assertThrows(IllegalStateException.class, () -> engine.plan(op));
        assertFalse(engine.deviceName().isEmpty(), "its name still answers");
    }
}
