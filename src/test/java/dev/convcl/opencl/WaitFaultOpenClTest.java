package dev.convcl.opencl;

import static org.jocl.CL.CL_OUT_OF_RESOURCES;
import static org.jocl.CL.CL_SUCCESS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.DeviceException;
import dev.convcl.DeviceTensor;
import dev.convcl.Engine;
import dev.convcl.HostTensor;
import dev.convcl.Operation;
import dev.convcl.Plan;
import dev.convcl.Tensor;
import dev.convcl.reference.Accuracy;
import dev.convcl.reference.ReferenceConv;
import dev.convcl.testing.OpenClTestDevice;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Work is queued, and a wait (finish, or a read-back to the host) is where the device reports
 * that queued work failed. The injector of {@link OpenClContext} makes such a wait fail as a
 * driver would, and these tests hold the engine to its rule: a result is right or an exception,
 * never numbers from failed work. A failed wait marks every device tensor written since the last
 * successful wait lost; reading one, or computing from one, throws {@link DeviceException} until
 * it is written again. A failure to enqueue (a launch refused) still completes the call on the
 * CPU path, as README's fallback table says.
 */
class WaitFaultOpenClTest {
    private static final Convolution OP = (Convolution) Operation.parse(
            "op=conv2d n=1 c=3 h=6 w=7 k=4 kh=3 kw=3 pad=1 bias=1 post=relu");

    private Engine engine;
    private OpenClContext ctx;
    private HostTensor x;
    private HostTensor weight;
    private HostTensor bias;
    private float[] expected;

    @BeforeEach
    void open() {
        engine = OpenClTestDevice.engine();
        ctx = OpenClTestDevice.context(engine);
        SplittableRandom rnd = new SplittableRandom(7);
        x = random(rnd, OP.n(), OP.c(), OP.h(), OP.w());
        weight = random(rnd, OP.k(), OP.cPerGroup(), OP.kh(), OP.kw());
        bias = random(rnd, OP.k());
        HostTensor out = Tensor.zeros(OP.outputShape());
        ReferenceConv.run(OP, Args.builder().src(x).weights(weight).bias(bias).dst(out).build());
        expected = out.array();
    }

    @AfterEach
    void close() {
        if (ctx != null) {
            ctx.injectFaults(null);
        }
        if (engine != null) {
            engine.close();
        }
    }

    private static HostTensor random(SplittableRandom rnd, int... shape) {
        HostTensor t = Tensor.zeros(shape);
        float[] a = t.array();
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rnd.nextDouble(-1, 1);
        }
        return t;
    }

    private Plan plan() {
        Plan plan = engine.plan(OP);
        assertEquals("opencl", plan.backend());
        plan.bind(Arg.WEIGHTS, weight);
        plan.bind(Arg.BIAS, bias);
        return plan;
    }

    private void assertRight(float[] out) {
        assertTrue(Accuracy.relativeL2(expected, out) <= 1e-5, "relative L2 " + Accuracy.relativeL2(expected, out));
    }

    /** Makes the next {@code count} calls at {@code site} (on {@code what}, or anything when null) fail. */
    private void failNext(OpenClContext.FaultSite site, String what, int count) {
        AtomicInteger left = new AtomicInteger(count);
        ctx.injectFaults((s, w) -> s == site && (what == null || what.equals(w)) && left.getAndDecrement() > 0
                ? CL_OUT_OF_RESOURCES : CL_SUCCESS);
    }

    @Test
    void aFailedFinishLosesEveryTensorWrittenSinceTheLastGoodWait() {
        try (Plan plan = plan(); DeviceTensor in = engine.upload(x); DeviceTensor y = engine.allocate(OP.outputShape())) {
            plan.execute(Args.of(Arg.SRC, in, Arg.DST, y));
            failNext(OpenClContext.FaultSite.FINISH, null, 1);
            DeviceException e = assertThrows(DeviceException.class, engine::finish);
            assertTrue(e.getMessage().contains("lost"), e.getMessage());
            // the device is healthy again, but what the failed work wrote cannot be trusted
            assertThrows(DeviceException.class, y::download);
            assertThrows(DeviceException.class, in::download);
            // written again, they are good again; the plan stays on the device
            in.upload(x);
            plan.execute(Args.of(Arg.SRC, in, Arg.DST, y));
            assertRight(y.toArray());
            assertEquals("opencl", plan.backend());
        }
    }

    @Test
    void aFailedReadBackThrowsAndLaterReadsOfTheTensorDoNotReturnNumbers() {
        try (Plan plan = plan(); DeviceTensor in = engine.upload(x); DeviceTensor y = engine.allocate(OP.outputShape())) {
            plan.execute(Args.of(Arg.SRC, in, Arg.DST, y));
            failNext(OpenClContext.FaultSite.READ, null, 1);
            assertThrows(DeviceException.class, y::download);
            HostTensor dst = Tensor.zeros(OP.outputShape());
            Arrays.fill(dst.array(), 7f);
            assertThrows(DeviceException.class, () -> y.download(dst));
            float[] untouched = new float[dst.size()];
            Arrays.fill(untouched, 7f);
            assertArrayEquals(untouched, dst.array(), "a lost tensor's download wrote into the caller's tensor");
            in.upload(x);
            plan.execute(Args.of(Arg.SRC, in, Arg.DST, y));
            assertRight(y.toArray());
        }
    }

    @Test
    void aPlanWithAHostOutputWhoseReadBackFailsCompletesOnTheCpuAndLosesQueuedDeviceResults() {
        try (Plan first = plan(); Plan second = plan(); DeviceTensor in = engine.upload(x);
             DeviceTensor y = engine.allocate(OP.outputShape())) {
            first.execute(Args.of(Arg.SRC, in, Arg.DST, y)); // queued, not waited for
            HostTensor out = Tensor.zeros(OP.outputShape());
            failNext(OpenClContext.FaultSite.READ, Arg.DST.displayName(), 1); // the second plan's read-back
            second.execute(Args.of(Arg.SRC, x, Arg.DST, out));
            assertRight(out.array());
            assertEquals("cpu", second.backend());
            // the failed wait covered the first plan's queued work too
            DeviceException e = assertThrows(DeviceException.class, y::download);
            assertTrue(e.getMessage().contains("lost"), e.getMessage());
            assertEquals("opencl", first.backend());
        }
    }

    @Test
    void aPlanRefusesToComputeFromALostTensorAndLaunchesNothing() {
        try (Plan plan = plan(); DeviceTensor in = engine.upload(x);
             DeviceTensor y = engine.allocate(OP.outputShape()); DeviceTensor z = engine.allocate(OP.outputShape())) {
            plan.execute(Args.of(Arg.SRC, in, Arg.DST, y));
            failNext(OpenClContext.FaultSite.FINISH, null, 1);
            assertThrows(DeviceException.class, engine::finish);
            Convolution chained = (Convolution) Operation.parse("op=conv2d n=1 c=4 h=6 w=7 k=4 kh=1 kw=1 bias=0");
            try (Plan consumer = engine.plan(chained)) {
                consumer.bind(Arg.WEIGHTS, Tensor.zeros(4, 4, 1, 1));
                long launches = ctx.kernelLaunches();
                DeviceException e = assertThrows(DeviceException.class,
                        () -> consumer.execute(Args.of(Arg.SRC, y, Arg.DST, z)));
                assertTrue(e.getMessage().contains("lost"), e.getMessage());
                assertEquals(launches, ctx.kernelLaunches(), "work was queued on a lost tensor");
                assertEquals("opencl", consumer.backend(), "a lost input is no device fault: no fallback");
            }
        }
    }

    @Test
    void aFailedUploadLosesTheTensorInsteadOfKeepingItsOldContents() {
        try (DeviceTensor t = engine.upload(x)) {
            HostTensor other = Tensor.zeros(x.shape());
            Arrays.fill(other.array(), 3f);
            failNext(OpenClContext.FaultSite.WRITE, null, 1);
            assertThrows(DeviceException.class, () -> t.upload(other));
            assertThrows(DeviceException.class, t::download);
            t.upload(other);
            assertArrayEquals(other.array(), t.toArray());
        }
    }

    @Test
    void aRefusedLaunchStillCompletesTheCallOnTheCpuIntoTheDeviceOutput() {
        try (Plan plan = plan(); DeviceTensor in = engine.upload(x); DeviceTensor y = engine.allocate(OP.outputShape())) {
            failNext(OpenClContext.FaultSite.LAUNCH, null, 1);
            plan.execute(Args.of(Arg.SRC, in, Arg.DST, y));
            assertEquals("cpu", plan.backend());
            assertRight(y.toArray());
        }
    }

    @Test
    void lastKernelMillisWaitsForTheCallsKernels() {
        try (Plan plan = plan(); DeviceTensor in = engine.upload(x); DeviceTensor y = engine.allocate(OP.outputShape())) {
            plan.execute(Args.of(Arg.SRC, in, Arg.DST, y));
            double ms = plan.lastKernelMillis();
            assertTrue(ms >= 0 && Double.isFinite(ms), "kernel time " + ms);
            assertRight(y.toArray());
        }
    }
}
