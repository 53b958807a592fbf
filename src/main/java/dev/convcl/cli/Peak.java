package dev.convcl.cli;

import static org.jocl.CL.CL_MEM_READ_ONLY;
import static org.jocl.CL.CL_MEM_READ_WRITE;
import static org.jocl.CL.CL_MEM_WRITE_ONLY;

import dev.convcl.opencl.DeviceBuffer;
import dev.convcl.opencl.OpenClContext;
import dev.convcl.opencl.OpenClDeviceInfo;
import dev.convcl.opencl.OpenClKernel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import org.jocl.cl_event;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures what a device can do at best: the fp32 FMA rate (GFLOP/s) and the memory bandwidth
 * (GB/s), on an OpenCL device with {@code opencl-kernels/peak.cl} and on the Java CPU path with
 * loops of the same shape. Benchmarks report each result as a share of these.
 */
final class Peak {
    private static final Logger LOG = LoggerFactory.getLogger(Peak.class);
    /** Seconds a timed kernel should run, so launch overhead and timer resolution vanish. */
    private static final double TARGET_MS = 40;
    private static final int REPEATS = 3;

    private Peak() {
    }

    /**
     * One device's measured limits.
     *
     * @param device    the device, as {@link OpenClDeviceInfo#describe()} or the CPU path's name
     * @param gflops    fp32 FMA rate, 2 flops per FMA
     * @param gbPerS    bytes read plus bytes written per second, in 1e9
     * @param fmaConfig how the FMA rate was reached (vector width, accumulators, sizes)
     */
    record Result(String device, double gflops, double gbPerS, String fmaConfig) {
    }

    // ---------------------------------------------------------------- OpenCL

    /** FMA rate and bandwidth of the context's device; takes a second or two. */
    static Result measure(OpenClContext ctx) {
        OpenClDeviceInfo info = ctx.info();
        long units = Math.max(1, info.computeUnits());
        List<long[]> configs = new ArrayList<>(); // {vec, acc, global, local (0 = driver's choice)}
        if (info.isCpu()) {
            // POCL runs a work-group as a loop and vectorizes across work-items; a few wide
            // work-items per core with explicit vectors is what it compiles best.
            configs.add(new long[] {16, 16, units * 8, 1});
            configs.add(new long[] {16, 8, units * 32, 16});
        } else {
            long local = Math.min(256, info.maxWorkGroup());
            configs.add(new long[] {4, 8, units * 2048, local});
            configs.add(new long[] {8, 8, units * 1024, local});
        }
        double best = 0;
        String bestConfig = "";
        for (long[] c : configs) {
            double g = fmaRate(ctx, (int) c[0], (int) c[1], c[2], c[3]);
            LOG.debug("peak_fma float{} x {}, global {}, local {}: {} GFLOP/s", c[0], c[1], c[2], c[3], g);
            if (g > best) {
                best = g;
                bestConfig = "float" + c[0] + " x " + c[1] + " accumulators, " + c[2] + " work-items"
                        + (c[3] > 0 ? ", local " + c[3] : "");
            }
        }
        return new Result(info.describe(), best, triadRate(ctx), bestConfig);
    }

    private static double fmaRate(OpenClContext ctx, int vec, int acc, long global, long local) {
        String options = "-cl-std=CL1.2 -DVEC=" + vec + " -DACC=" + acc;
        try (OpenClKernel k = ctx.programs().kernel("peak.cl", options, "peak_fma");
             DeviceBuffer out = ctx.allocate("peak_fma.out", global * 4, CL_MEM_WRITE_ONLY)) {
            long[] g = {global};
            long[] l = local > 0 ? new long[] {local} : null;
            k.arg(0, out).arg(2, 0.9999f).arg(3, 1e-4f);
            double flopsPerRound = 2.0 * vec * acc * global;
            int rounds = 64;
            double ms = time(ctx, k.arg(1, rounds), g, l);
            // Grow the work until one launch is long enough to time well.
            while (ms < TARGET_MS && rounds < (1 << 24)) {
                rounds = (int) Math.min(1 << 24, Math.max(rounds * 2L, (long) (rounds * TARGET_MS / Math.max(ms, 1e-3))));
                ms = time(ctx, k.arg(1, rounds), g, l);
            }
            double bestMs = ms;
            for (int i = 1; i < REPEATS; i++) {
                bestMs = Math.min(bestMs, time(ctx, k, g, l));
            }
            return flopsPerRound * rounds / (bestMs * 1e6);
        }
    }

    private static double triadRate(OpenClContext ctx) {
        OpenClDeviceInfo info = ctx.info();
        // Large enough to leave every cache behind, small enough for any device's allocation limit.
        long want = info.isCpu() ? 64L << 20 : 256L << 20;
        long bytes = Math.min(want, Math.min(info.maxAllocBytes(), info.globalMemBytes() / 8));
        bytes = bytes / 4096 * 4096;
        int n = (int) (bytes / 16);
        long local = Math.min(info.isCpu() ? 64 : 256, info.maxWorkGroup());
        long[] g = {(n + local - 1) / local * local};
        long[] l = {local};
        try (OpenClKernel k = ctx.programs().kernel("peak.cl", "-cl-std=CL1.2 -DVEC=4 -DACC=1", "peak_triad");
             DeviceBuffer dst = ctx.allocate("peak_triad.dst", bytes, CL_MEM_WRITE_ONLY);
             DeviceBuffer x = ctx.allocate("peak_triad.x", bytes, CL_MEM_READ_ONLY);
             DeviceBuffer y = ctx.allocate("peak_triad.y", bytes, CL_MEM_READ_WRITE)) {
            x.fill(1f);
            y.fill(2f);
            k.arg(0, dst).arg(1, x).arg(2, y).arg(3, 0.5f).arg(4, n);
            double best = time(ctx, k, g, l); // the first launch also touches every page
            for (int i = 0; i < REPEATS + 1; i++) {
                best = Math.min(best, time(ctx, k, g, l));
            }
            return 3.0 * 16 * n / (best * 1e6);
        }
    }

    /** Kernel milliseconds of one launch, from its profiling event (read after the queue drains). */
    private static double time(OpenClContext ctx, OpenClKernel k, long[] global, long[] local) {
        cl_event ev = k.launch(global, local);
        ctx.finish();
        double ms = OpenClKernel.elapsedMillisAndRelease(ev);
        if (!(ms > 0)) {
            throw new IllegalStateException("kernel " + k.name() + " has no profiling time (" + ms + " ms)");
        }
        return ms;
    }

    // ---------------------------------------------------------------- Java

    /** FMA rate and bandwidth of plain Java loops on {@code threads} threads; about a second. */
    static Result measureJava(String device, int threads) {
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "convcl-peak");
            t.setDaemon(true);
            return t;
        });
        try {
            double gflops = bestOf(pool, threads, t -> javaFma());
            // 16 MiB a thread, three arrays: far beyond any cache.
            int perThread = 4 << 20;
            float[][][] arrays = new float[threads][3][perThread];
            for (float[][] a : arrays) {
                java.util.Arrays.fill(a[1], 1f);
                java.util.Arrays.fill(a[2], 2f);
            }
            double gbps = bestOf(pool, threads, t -> javaTriad(arrays[t]));
            return new Result(device, gflops, gbps, "Math.fma over an L1-resident float[1024], " + threads + " threads");
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Runs {@code work} on every thread at once, a few times (the first ones warm the JIT up), and
     * returns the best sum of the threads' rates. Each task returns {units of work, nanoseconds}.
     */
    private static double bestOf(ExecutorService pool, int threads, IntFunction<double[]> work) {
        double best = 0;
        for (int round = 0; round < REPEATS + 2; round++) {
            List<Future<double[]>> parts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                parts.add(pool.submit(() -> work.apply(id)));
            }
            double units = 0;
            double slowestNs = 0;
            try {
                for (Future<double[]> f : parts) {
                    double[] r = f.get();
                    units += r[0];
                    slowestNs = Math.max(slowestNs, r[1]);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while measuring the peak", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("measuring the peak failed: " + e.getCause(), e.getCause());
            }
            best = Math.max(best, units / slowestNs);
        }
        return best;
    }

    private static volatile float sink;

    /** The JIT vectorizes this loop; its accumulators stay in L1 so only the FMA rate limits it. */
    private static double[] javaFma() {
        float[] acc = new float[1024];
        java.util.Arrays.fill(acc, 1f);
        int reps = 200_000;
        long t0 = System.nanoTime();
        for (int r = 0; r < reps; r++) {
            for (int i = 0; i < acc.length; i++) {
                acc[i] = Math.fma(acc[i], 0.9999f, 1e-4f);
            }
        }
        long ns = System.nanoTime() - t0;
        sink = acc[0];
        return new double[] {2.0 * reps * acc.length, ns};
    }

    private static double[] javaTriad(float[][] a) {
        float[] dst = a[0], x = a[1], y = a[2];
        long t0 = System.nanoTime();
        for (int i = 0; i < dst.length; i++) {
            dst[i] = x[i] + 0.5f * y[i];
        }
        long ns = System.nanoTime() - t0;
        sink = dst[dst.length - 1];
        return new double[] {3.0 * 4 * dst.length, ns};
    }
}
