package dev.convcl.cli;

import dev.convcl.CompiledGraph;
import dev.convcl.DeviceTensor;
import dev.convcl.Engine;
import dev.convcl.Graph;
import dev.convcl.HostTensor;
import dev.convcl.Tensor;
import dev.convcl.Value;
import dev.convcl.cpu.CpuBackend;
import dev.convcl.spi.Internals;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code convcl bench --model}: a whole ONNX network timed on the device and on the CPU path, on
 * device tensors (inputs uploaded once, outputs left on the device: what a call costs inside an
 * application) and on host arrays (inputs copied in, outputs copied out). Inputs are seeded
 * pseudo-random values in [-1, 1); the device's outputs are first checked against the CPU path's.
 */
final class BenchModel {
    /** Largest relative L2 distance of the device's outputs from the CPU path's that passes. */
    static final double TOLERANCE = 1e-4;
    /**
     * Most warm-up seconds of a network on a backend or peer, unless --warmup-seconds is longer.
     * Warm-up follows the layers' rule ({@link BenchPeer.Budget#warmUp}): a whole network's first
     * calls run while the JIT is still compiling, on the CPU path its kernels (each call many times
     * slower than later ones), on a device the host code that enqueues each step
     * (MobileNetV3-small's 73 steps: 6 ms a call at first, 3.8 ms after about 150 calls, on POCL),
     * so warm-up goes on until the calls stop getting faster; past this cap (rather than a layer's
     * 3 s) it ends once two calls in a row agree (a large network on the CPU path, seconds a call).
     */
    static final double MAX_WARMUP_SECONDS = 5;
    /** Device-tensor calls --layers takes each step's median over, at most (fewer when the time budget is spent). */
    static final int LAYER_CALLS = 9;

    /**
     * One backend's measurements. {@code stepsOnCpuPath} counts the steps that fell back from the
     * device to the CPU path; it is null on the {@code cpu} backend, where every step runs there.
     */
    record Row(String backend, String deviceName, int steps, Long stepsOnCpuPath, double medianMs, double minMs,
               double hostArrayMedianMs, int calls, long hostTransfers, long hostArrayTransfers, double relL2VsCpu,
               List<Map<String, Object>> layers, String error) {
        boolean ok() {
            return error == null;
        }

        Map<String, Object> fields() {
            Map<String, Object> m = common(backend, deviceName, error, false, medianMs, minMs, calls, relL2VsCpu);
            put(m, "steps", steps, "steps_on_cpu_path", stepsOnCpuPath, "host_array_median_ms", hostArrayMedianMs,
                    "host_transfers", hostTransfers, "host_transfers_host_arrays", hostArrayTransfers);
            if (layers != null) {
                m.put("layers", layers);
            }
            return m;
        }
    }

    /**
     * A peer's measurements of the same network on the same inputs.
     *
     * @param backend     the peer's name
     * @param description what the peer said it is (library, version, threads)
     * @param algorithm   what it ran, or "-"
     * @param medianMs    median wall ms of a call (inputs in, outputs out), NaN unless ok
     * @param minMs       fastest call, ms
     * @param calls       timed calls
     * @param relL2VsCpu  largest relative L2 distance of its outputs from the CPU path's, NaN if unchecked
     * @param error       why it was not timed, or null
     * @param unsupported the peer refused the network ("n/a", not FAIL)
     */
    record PeerRow(String backend, String description, String algorithm, double medianMs, double minMs, int calls,
                   double relL2VsCpu, String error, boolean unsupported) {
        /** Whether it ran, was checked and timed. */
        boolean ok() {
            return error == null;
        }

        /** The JSON row: the fields of convcl's rows that apply, and what marks a peer's. */
        Map<String, Object> fields() {
            return put(common(backend, description, error, unsupported, medianMs, minMs, calls, relL2VsCpu), "peer",
                    true, "unsupported", unsupported, "algorithm", algorithm, "checked_with", "cpu");
        }
    }

    /** The fields convcl's rows and the peers' share, in this order. */
    private static Map<String, Object> common(String backend, String device, String error, boolean unsupported,
                                              double medianMs, double minMs, int calls, double relL2VsCpu) {
        return put(new LinkedHashMap<>(), "backend", backend, "device", device, "ok", error == null,
                "status", BenchRow.status(error == null, unsupported), "error", error,
                "median_ms", medianMs, "min_ms", minMs, "calls", calls, "rel_l2_vs_cpu", relL2VsCpu);
    }

    /** Puts {@code keyValues} (a key, then its value, ...) into {@code m}, in order; returns {@code m}. */
    private static Map<String, Object> put(Map<String, Object> m, Object... keyValues) {
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    private final BenchRunner.Settings settings;
    private final boolean layers;
    private final PrintWriter err;

    BenchModel(BenchRunner.Settings settings, boolean layers, PrintWriter err) {
        this.settings = settings;
        this.layers = layers;
        this.err = err;
    }

    /** The graph's inputs: seeded values in [-1, 1). */
    static Map<String, HostTensor> inputs(Graph g) {
        SplittableRandom r = new SplittableRandom(20261129);
        Map<String, HostTensor> m = new LinkedHashMap<>();
        for (Value v : g.inputs()) {
            HostTensor t = Tensor.zeros(v.shape());
            float[] a = t.array();
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (r.nextDouble() * 2 - 1);
            }
            m.put(v.name(), t);
        }
        return m;
    }

    /** convcl's rows and the peers', from one {@link #measure} run. */
    record Result(List<Row> rows, List<PeerRow> peers) {
    }

    /** A peer to time, with what it said it is. */
    record Peer(BenchPeer peer, String description) {
    }

    /**
     * Measures {@code g} on every engine (a device's outputs checked against {@code reference},
     * the CPU path's; the CPU path's own engine unchecked) and on every peer (checked the same
     * way), each warmed up on its own, then all timed side by side ({@link BenchPeer.Budget#timeInterleaved}):
     * convcl's calls on device tensors and on host arrays and each peer's call, a turn each per
     * round. One that fails before or while it is timed gets its row's error; the others are
     * timed without it.
     *
     * @param engines   convcl's engines, in the order of the rows
     * @param reference the CPU path's outputs on {@code in}; null only when every engine is the CPU
     *                  path and there are no peers (nothing to check)
     */
    Result measure(List<Engine> engines, Graph g, Map<String, HostTensor> in, Map<String, HostTensor> reference,
                   List<Peer> peers, Path model) {
        List<Object> results = new ArrayList<>(); // a Row or PeerRow where it failed, else its open Live
        List<Live> live = new ArrayList<>();
        try {
            for (Engine engine : engines) {
                Object r = openBackend(engine, g, in, engine.backend().equals("cpu") ? null : reference);
                results.add(r);
                if (r instanceof Live l) {
                    live.add(l);
                }
            }
            for (Peer p : peers) {
                Object r = openPeer(p, model, in, reference);
                results.add(r);
                if (r instanceof Live l) {
                    live.add(l);
                }
            }
            // The CPU kernels' background warm-up must not share the cores with the timed calls.
            for (Engine engine : engines) {
                if (engine.backend().equals("cpu")) {
                    ((CpuBackend) Internals.cpu(engine)).awaitKernelWarmup();
                }
            }
            for (Live l : live) {
                l.warmUp();
            }
            timeAll(live);
            List<Row> rows = new ArrayList<>();
            List<PeerRow> peerRows = new ArrayList<>();
            for (Object r : results) {
                Object done = r instanceof Live l ? l.result() : r;
                if (done instanceof Row row) {
                    rows.add(row);
                } else {
                    peerRows.add((PeerRow) done);
                }
            }
            return new Result(rows, peerRows);
        } finally {
            closeAll(live);
        }
    }

    /** Closes every contender, each even if an earlier one throws; the first throwable goes on, the others suppressed. */
    private static void closeAll(List<? extends AutoCloseable> all) {
        Throwable first = null;
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception | LinkageError e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first instanceof RuntimeException r) {
            throw r;
        }
        if (first instanceof Error e) {
            throw e;
        }
        if (first != null) {
            throw new IllegalStateException(first);
        }
    }

    /**
     * Times the calls of every live contender side by side; one whose call fails is given its
     * error and the rest are timed again without it.
     */
    private void timeAll(List<Live> all) {
        while (true) {
            List<Live> live = all.stream().filter(l -> l.failure == null).toList();
            List<BenchPeer.Call> calls = new ArrayList<>();
            List<Live> owners = new ArrayList<>();
            for (Live l : live) {
                for (BenchPeer.Call c : l.calls()) {
                    int index = owners.size();
                    calls.add(() -> {
                        try {
                            c.run();
                        } catch (Exception | LinkageError e) {
                            throw new CallFailed(index, e);
                        }
                    });
                    owners.add(l);
                }
            }
            if (calls.isEmpty()) {
                return;
            }
            try {
                BenchPeer.Timing[] t = budget().timeInterleaved(calls, System::nanoTime, BenchModel::awaitQuiet);
                for (int i = 0; i < t.length; i++) {
                    owners.get(i).timings.add(t[i]);
                }
                return;
            } catch (CallFailed e) {
                Live l = owners.get(e.index);
                l.failure = e.getCause();
                err.println("bench: " + l.name() + " FAIL while timed: " + BenchPeers.message(e.getCause()));
                err.flush();
            } catch (Exception e) {
                throw new IllegalStateException(e); // the wrapped calls throw only CallFailed
            }
            for (Live l : live) {
                l.timings.clear();
            }
        }
    }

    /** Window of {@link #awaitQuiet}, ms. */
    static final int QUIET_WINDOW_MS = 20;
    /** The longest {@link #awaitQuiet} waits, ms. */
    static final int QUIET_MAX_MS = 500;

    /**
     * Waits until the threads the last turn left running have stopped: until a window of
     * {@link #QUIET_WINDOW_MS} in which this process used at most half a core (its CPU time from
     * {@code /proc/self/stat}, in clock ticks, usually 10 ms), at most {@link #QUIET_MAX_MS}. ONNX
     * Runtime's threads spin for tens of milliseconds after a call (so convcl's next call ran on
     * half the cores), the CPU path's helpers and POCL's briefly. Where the counter cannot be read
     * (not Linux), a fixed 100 ms.
     */
    static void awaitQuiet() {
        try {
            long ticks = processTicks();
            if (ticks < 0) {
                Thread.sleep(100);
                return;
            }
            long start = System.nanoTime();
            while ((System.nanoTime() - start) / 1_000_000 < QUIET_MAX_MS) {
                long t0 = processTicks(), w0 = System.nanoTime();
                Thread.sleep(QUIET_WINDOW_MS);
                long used = processTicks() - t0, wallMs = (System.nanoTime() - w0) / 1_000_000;
                if (2 * used * TICK_MS <= wallMs) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Milliseconds of a clock tick of {@code /proc/self/stat} (USER_HZ, 100 on Linux). */
    private static final long TICK_MS = 10;

    /** User + system CPU time of this process in clock ticks, or -1 where it cannot be read. */
    static long processTicks() {
        try {
            String stat = java.nio.file.Files.readString(Path.of("/proc/self/stat"));
            // Fields after the command name (which may hold spaces) in parentheses: state is field 3,
            // utime field 14, stime field 15.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
    }

    /** A timed call's failure, with the index of the call. */
    static final class CallFailed extends RuntimeException {
        final int index;

        CallFailed(int index, Throwable cause) {
            super(cause);
            this.index = index;
        }
    }

    /** A contender checked and open: its calls to warm up and time, then its row. */
    private abstract static class Live implements AutoCloseable {
        final List<BenchPeer.Timing> timings = new ArrayList<>();
        Throwable failure;

        abstract String name();

        /** The calls to time, in this order. */
        abstract List<BenchPeer.Call> calls();

        abstract void warmUp();

        /** Its row (a Row or a PeerRow) once timed, or with its failure. */
        abstract Object result();

        @Override
        public abstract void close();
    }

    /**
     * {@code g} compiled on {@code engine}, its first call checked against {@code reference} (null:
     * the CPU path, unchecked), inputs uploaded and outputs allocated: a {@link Live} whose calls
     * are a call on device tensors and one on host arrays; or the failed {@link Row}.
     */
    private Object openBackend(Engine engine, Graph g, Map<String, HostTensor> in, Map<String, HostTensor> reference) {
        String backend = engine.backend();
        CompiledGraph net = null;
        Map<String, DeviceTensor> dIn = new LinkedHashMap<>();
        Map<String, DeviceTensor> dOut = new LinkedHashMap<>();
        try {
            net = engine.compile(g);
            int steps = net.steps().size();
            // Steps that fell back from the device: none to count on the CPU path itself.
            Long onCpu = backend.equals("cpu") ? null : net.steps().stream().filter(s -> !s.backend().equals(backend)).count();
            Map<String, HostTensor> first = net.run(in);
            double rel = Double.NaN;
            if (reference != null) {
                rel = 0;
                for (Map.Entry<String, HostTensor> e : reference.entrySet()) {
                    rel = Math.max(rel, relativeL2(e.getValue().array(), first.get(e.getKey()).array()));
                }
                if (!(rel <= TOLERANCE)) {
                    net.close();
                    return new Row(backend, engine.deviceName(), steps, onCpu, Double.NaN, Double.NaN, Double.NaN, 0, -1,
                            -1, rel, null, String.format(Locale.ROOT, "outputs differ from the CPU path's: relative L2 "
                            + "%.2e > %.0e", rel, TOLERANCE));
                }
            }
            // Device tensors: nothing crosses but what the CPU path's steps need.
            for (Map.Entry<String, HostTensor> e : in.entrySet()) {
                dIn.put(e.getKey(), engine.upload(e.getValue()));
            }
            for (Map.Entry<String, int[]> e : net.outputShapes().entrySet()) {
                dOut.put(e.getKey(), engine.allocate(e.getValue()));
            }
            return new LiveBackend(engine, net, in, dIn, dOut, steps, onCpu, rel);
        } catch (RuntimeException | LinkageError e) {
            List<AutoCloseable> opened = new ArrayList<>(dIn.values());
            opened.addAll(dOut.values());
            if (net != null) {
                opened.add(net);
            }
            try {
                closeAll(opened);
            } catch (RuntimeException | LinkageError closing) {
                e.addSuppressed(closing);
            }
            return new Row(backend, engine.deviceName(), 0, null, Double.NaN, Double.NaN, Double.NaN, 0, -1, -1, Double.NaN,
                    null, BenchPeers.message(e));
        }
    }

    /** A convcl backend's compiled network, checked, with its device tensors. */
    private final class LiveBackend extends Live {
        private final Engine engine;
        private final CompiledGraph net;
        private final Map<String, HostTensor> in;
        private final Map<String, DeviceTensor> dIn;
        private final Map<String, DeviceTensor> dOut;
        private final int steps;
        private final Long onCpu;
        private final double rel;

        LiveBackend(Engine engine, CompiledGraph net, Map<String, HostTensor> in, Map<String, DeviceTensor> dIn,
                    Map<String, DeviceTensor> dOut, int steps, Long onCpu, double rel) {
            this.engine = engine;
            this.net = net;
            this.in = in;
            this.dIn = dIn;
            this.dOut = dOut;
            this.steps = steps;
            this.onCpu = onCpu;
            this.rel = rel;
        }

        @Override
        String name() {
            return engine.backend();
        }

        private void onDevice() {
            net.run(dIn, dOut);
            engine.finish();
        }

        @Override
        List<BenchPeer.Call> calls() {
            return List.of(this::onDevice, () -> net.run(in));
        }

        /**
         * Both call forms warm up before either is timed: whichever came first was timed while the
         * JIT still compiled kernels the warm-up had not settled (MobileNetV3-small on the CPU path:
         * host arrays 6.2 ms against 4.9 on device tensors timed after them; 5.6 and 5.5 with a 6 s
         * warm-up).
         */
        @Override
        void warmUp() {
            try {
                budget().warmUpUnchecked(this::onDevice, MAX_WARMUP_SECONDS);
                budget().warmUpUnchecked(() -> net.run(in), MAX_WARMUP_SECONDS);
            } catch (RuntimeException | LinkageError e) {
                failure = e;
                err.println("bench: " + engine.backend() + " FAIL while warming up: " + BenchPeers.message(e));
                err.flush();
            }
        }

        @Override
        Object result() {
            if (failure != null) {
                return new Row(engine.backend(), engine.deviceName(), steps, onCpu, Double.NaN, Double.NaN, Double.NaN, 0,
                        -1, -1, rel, null, BenchPeers.message(failure));
            }
            BenchPeer.Timing times = timings.get(0), hostTimes = timings.get(1);
            long hostArrayTransfers, transfers;
            List<CompiledGraph.Step> s = net.steps();
            double[][] stepMs = new double[s.size()][LAYER_CALLS];
            int layerCalls = 0;
            try {
                long t0 = engine.stats().hostTransfers();
                net.run(in);
                hostArrayTransfers = engine.stats().hostTransfers() - t0;
                long before = engine.stats().hostTransfers();
                onDevice();
                transfers = engine.stats().hostTransfers() - before;
                // --layers: each step's time over up to LAYER_CALLS device-tensor calls, within about
                // the backend's time budget (one call's figures moved by up to 2x on a shared VM).
                long deadline = System.nanoTime() + (long) (settings.secondsPerBackend() * 1e9);
                while (layers && layerCalls < LAYER_CALLS && (layerCalls == 0 || System.nanoTime() < deadline)) {
                    if (layerCalls > 0) {
                        onDevice();
                    }
                    List<Double> ms = net.lastRunMillis();
                    for (int i = 0; i < ms.size(); i++) {
                        stepMs[i][layerCalls] = ms.get(i);
                    }
                    layerCalls++;
                }
            } catch (RuntimeException | LinkageError e) {
                return new Row(engine.backend(), engine.deviceName(), steps, onCpu, Double.NaN, Double.NaN, Double.NaN, 0,
                        -1, -1, rel, null, BenchPeers.message(e));
            }
            List<Map<String, Object>> perLayer = null;
            if (layers) {
                perLayer = new ArrayList<>();
                for (int i = 0; i < s.size(); i++) {
                    double[] ms = Arrays.copyOf(stepMs[i], layerCalls);
                    Map<String, Object> l = new LinkedHashMap<>();
                    l.put("name", s.get(i).name());
                    l.put("operation", s.get(i).operation().toString());
                    l.put("implementation", s.get(i).implementation());
                    l.put("algorithm", s.get(i).algorithm());
                    l.put("backend", s.get(i).backend());
                    l.put("kernel_ms", BenchRunner.median(ms));
                    l.put("kernel_ms_min", BenchRunner.min(ms));
                    l.put("calls", layerCalls);
                    perLayer.add(l);
                }
            }
            return new Row(engine.backend(), engine.deviceName(), steps, onCpu, times.median(), times.min(),
                    hostTimes.median(), times.wallMs().length, transfers, hostArrayTransfers, rel, perLayer, null);
        }

        @Override
        public void close() {
            List<AutoCloseable> all = new ArrayList<>(dIn.values());
            all.addAll(dOut.values());
            all.add(net);
            closeAll(all);
        }
    }

    /**
     * {@code p} on the same network file and inputs: loaded, one call checked against the CPU
     * path's outputs {@code reference} (relative L2, the layer peers' rule): a {@link Live} to
     * warm up and time with convcl's calls, or the PeerRow of a refusal ("n/a" with the peer's
     * reason) or failure (FAIL), either said on the progress stream.
     */
    private Object openPeer(Peer p, Path model, Map<String, HostTensor> in, Map<String, HostTensor> reference) {
        BenchPeer peer = p.peer();
        String algorithm = "-";
        double rel = Double.NaN;
        String error;
        boolean unsupported = false;
        BenchPeer.Network net = null;
        try {
            net = peer.prepare(model, in);
            algorithm = net.algorithm();
            net.call();
            Map<String, HostTensor> got = net.outputs();
            error = null;
            BenchRunner.Check check = null;
            for (Map.Entry<String, HostTensor> e : reference.entrySet()) {
                HostTensor y = got.get(e.getKey());
                if (y == null || !Arrays.equals(y.shape(), e.getValue().shape())) {
                    error = "output '" + e.getKey() + "' " + (y == null ? "missing" : "shaped " + Arrays.toString(y.shape()))
                            + ", expected " + Arrays.toString(e.getValue().shape());
                    break;
                }
                BenchRunner.Check c = BenchRunner.Check.of("cpu", e.getValue(), y);
                check = check == null ? c : check.and(c);
            }
            if (error == null && check != null) {
                rel = check.relL2();
                if (!check.ok()) {
                    error = check.describe();
                }
            }
            if (error == null) {
                LivePeer live = new LivePeer(p, net, algorithm, rel);
                net = null;
                return live;
            }
        } catch (UnsupportedOperationException e) {
            error = BenchPeers.message(e);
            unsupported = true;
        } catch (Exception e) {
            error = BenchPeers.message(e);
        } finally {
            closeQuietly(net);
        }
        err.println("bench: peer " + peer.name() + " " + (unsupported ? "n/a" : "FAIL") + ": " + error);
        err.flush();
        return new PeerRow(peer.name(), p.description(), algorithm, Double.NaN, Double.NaN, 0, rel, error, unsupported);
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception ignored) {
            // a peer that failed to close changes no figure
        }
    }

    /** A peer's loaded network, checked. */
    private final class LivePeer extends Live {
        private final Peer peer;
        private final BenchPeer.Network net;
        private final String algorithm;
        private final double rel;

        LivePeer(Peer peer, BenchPeer.Network net, String algorithm, double rel) {
            this.peer = peer;
            this.net = net;
            this.algorithm = algorithm;
            this.rel = rel;
        }

        @Override
        String name() {
            return "peer " + peer.peer().name();
        }

        @Override
        List<BenchPeer.Call> calls() {
            return List.of(net::call);
        }

        /** The warm-up rule of convcl's calls. */
        @Override
        void warmUp() {
            try {
                budget().warmUp(net::call, System::nanoTime, MAX_WARMUP_SECONDS);
            } catch (Exception | LinkageError e) {
                failure = e;
                err.println("bench: peer " + peer.peer().name() + " FAIL while warming up: " + BenchPeers.message(e));
                err.flush();
            }
        }

        @Override
        Object result() {
            String name = peer.peer().name();
            if (failure != null) {
                return new PeerRow(name, peer.description(), algorithm, Double.NaN, Double.NaN, 0, rel,
                        BenchPeers.message(failure), false);
            }
            BenchPeer.Timing times = timings.get(0);
            return new PeerRow(name, peer.description(), algorithm, times.median(), times.min(), times.wallMs().length,
                    rel, null, false);
        }

        @Override
        public void close() {
            closeQuietly(net);
        }
    }

    /**
     * The JSON fields of every row: convcl's, each with {@code NAME_median_ms} of every peer asked
     * for (NaN where it did not run), then the peers'.
     */
    static List<Map<String, Object>> fields(List<Row> rows, List<PeerRow> peers) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Row r : rows) {
            Map<String, Object> m = r.fields();
            for (PeerRow p : peers) {
                m.put(p.backend() + "_median_ms", p.medianMs());
            }
            out.add(m);
        }
        for (PeerRow p : peers) {
            out.add(p.fields());
        }
        return out;
    }

    /** The CPU path's outputs, for checking the device's. */
    static Map<String, HostTensor> outputs(Engine cpu, Graph g, Map<String, HostTensor> in) {
        try (CompiledGraph net = cpu.compile(g)) {
            return net.run(in);
        }
    }

    private BenchPeer.Budget budget() {
        return new BenchPeer.Budget(settings.warmup(), settings.warmupSeconds(), settings.iters(),
                settings.secondsPerBackend());
    }

    static double relativeL2(float[] ref, float[] out) {
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            double d = (double) out[i] - ref[i];
            num += d * d;
            den += (double) ref[i] * ref[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    /** The table: one line per backend, then the per-layer breakdown under --layers. */
    static void print(Path model, Graph g, List<Row> rows, List<PeerRow> peers, PrintWriter out) {
        StringBuilder ins = new StringBuilder();
        for (Value v : g.inputs()) {
            ins.append(ins.length() == 0 ? "" : ", ").append('\'').append(v.name()).append("' ").append(Arrays.toString(v.shape()));
        }
        out.println("model: " + model.getFileName() + ", input " + ins + ", " + Plural.of(g.nodeCount(), "node"));
        out.println("median ms: a call on device tensors (inputs already on the device, outputs left there); host-array ms:"
                + " inputs copied in and outputs out (a peer's call: its median); host transfers: host-device copies in one"
                + " device-tensor call");
        out.printf(Locale.ROOT, "%-11s %10s %10s %14s %6s %15s %14s%n", "backend", "median ms", "min ms", "host-array ms",
                "calls", "host transfers", "steps on CPU");
        for (Row r : rows) {
            if (!r.ok()) {
                out.println(r.backend() + "  FAIL: " + r.error());
                continue;
            }
            String onCpu = r.stepsOnCpuPath() == null ? "-" : r.stepsOnCpuPath() + " of " + r.steps();
            out.printf(Locale.ROOT, "%-11s %10s %10s %14s %6d %15d %14s%n", r.backend(), BenchReport.num(r.medianMs(), 3),
                    BenchReport.num(r.minMs(), 3), BenchReport.num(r.hostArrayMedianMs(), 3), r.calls(), r.hostTransfers(),
                    onCpu);
        }
        for (PeerRow p : peers) {
            if (!p.ok()) {
                out.println(p.backend() + "  " + (p.unsupported() ? "n/a" : "FAIL") + ": " + p.error());
                continue;
            }
            out.printf(Locale.ROOT, "%-11s %10s %10s %14s %6d %15s %14s  (%s, outputs relative L2 %.1e vs the CPU path)%n",
                    p.backend(), "-", "-", BenchReport.num(p.medianMs(), 3), p.calls(), "-", "-",
                    p.algorithm(), p.relL2VsCpu());
        }
        if (rows.size() == 2 && rows.get(0).ok() && rows.get(1).ok()) {
            out.printf(Locale.ROOT, "%s vs the CPU path: %.2fx%n", rows.get(0).deviceName(),
                    rows.get(1).medianMs() / rows.get(0).medianMs());
        }
        for (PeerRow p : peers) {
            for (Row r : rows) {
                if (p.ok() && r.ok()) {
                    out.printf(Locale.ROOT, "%s host-array calls vs %s: %.2fx (%s ms / %s ms; below 1, %s is faster)%n",
                            r.backend(), p.backend(), p.medianMs() / r.hostArrayMedianMs(), p.backend(), r.backend(),
                            p.backend());
                }
            }
        }
        for (Row r : rows) {
            if (r.layers() == null) {
                continue;
            }
            int calls = r.layers().isEmpty() ? 0 : (Integer) r.layers().get(0).get("calls");
            String over = calls == 1 ? "ms of one call, in both columns"
                    : "ms, the median and the least over " + calls + " calls";
            out.println("layers on " + r.backend() + " (" + over + ": device time of a step on the device (its kernels and "
                    + "copies), wall time of a step on the CPU path):");
            int width = 22; // the algorithm column as wide as its longest entry, so the names line up
            for (Map<String, Object> l : r.layers()) {
                width = Math.max(width, String.valueOf(l.get("algorithm")).length());
            }
            String line = "  %10s %10s  %-7s %-" + width + "s %s%n"; // the headings and each step alike
            out.printf(Locale.ROOT, line, "median", "least", "backend", "algorithm", "step (its ONNX nodes)");
            for (Map<String, Object> l : r.layers()) {
                out.printf(Locale.ROOT, line, BenchReport.num((Double) l.get("kernel_ms"), 3),
                        BenchReport.num((Double) l.get("kernel_ms_min"), 3), l.get("backend"), l.get("algorithm"), l.get("name"));
            }
        }
    }
}
