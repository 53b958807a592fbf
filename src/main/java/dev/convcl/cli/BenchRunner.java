package dev.convcl.cli;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.DeviceException;
import dev.convcl.DeviceTensor;
import dev.convcl.Engine;
import dev.convcl.HostTensor;
import dev.convcl.Plan;
import dev.convcl.Tensor;
import dev.convcl.cpu.CpuBackend;
import dev.convcl.spi.Internals;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.DoubleSupplier;

/**
 * Times each problem on the engine's device and on the CPU path. Every result is first checked:
 * the device's against the CPU path's whole output, both against the reference, on the whole
 * output for small problems and on a slice of the output channels for larger ones
 * ({@link ReferenceSlice}). A result that does not match is a FAIL row and is never timed.
 * The checking call also warms the plan up (kernel caches, first-touch of buffers, the JIT).
 * Then the weights and bias are bound to the plan once ({@link Plan#bind}), and two series of
 * calls of the same plan are timed after {@code warmup} untimed calls each: on host arrays (wall
 * time includes the copies of input and output, on a device) and on device tensors allocated
 * once (the call's wall time up to {@link Engine#finish()}: no copies). Kernel time comes from
 * the OpenCL profiling events of the host-array calls.
 */
final class BenchRunner {
    /**
     * The convolution bench times for {@code p}: its spec with a bias added (every problem is timed
     * with one), so what a call moves ({@link BenchBatches#bytesPerCall}) counts the bias too.
     */
    static dev.convcl.Convolution timed(BenchSuite.Problem p) {
        return p.spec().withBias(true);
    }


    /**
     * @param warmup            untimed calls before timing, at least
     * @param warmupSeconds     untimed calls go on until this long has passed and the calls
     *                          stopped getting faster ({@link BenchPeer.Budget#warmUp}, at most
     *                          {@link #MAX_WARMUP} calls): the JIT needs many calls before the
     *                          CPU path runs at full speed
     * @param iters             timed calls at most
     * @param secondsPerBackend timing of a problem on a backend stops after this long, once
     *                          {@link #MIN_TIMED} calls are timed
     * @param referenceMaxFlops the most flops the (single-threaded, slow) reference spends on
     *                          a problem; larger ones are checked on a slice of their output
     */
    record Settings(int warmup, double warmupSeconds, int iters, double secondsPerBackend, double referenceMaxFlops) {
    }

    /** Timed calls made whatever the time budget, so that a median means something. */
    static final int MIN_TIMED = BenchPeer.Budget.MIN_TIMED;

    /** The most untimed calls the warm-up time budget adds. */
    static final int MAX_WARMUP = BenchPeer.Budget.MAX_WARMUP;

    private final Engine engine;
    private final Engine cpuEngine;
    private final Settings settings;
    private final PrintWriter progress;
    private final List<OpenPeer> peers;
    /** Per problem name: other processes' average use of the machine while it was timed, in cores. */
    private final Map<String, Double> othersCores = new LinkedHashMap<>();

    /**
     * A peer that opened, with its description for the rows' device column.
     *
     * @param peer        the peer
     * @param description what it said when it opened
     */
    record OpenPeer(BenchPeer peer, String description) {
    }

    /**
     * The rows' shares of the peak are left NaN: {@link PeakShares} sets them once every row is in.
     *
     * @param engine     the engine on the device under test
     * @param cpuEngine  an engine on the CPU path; {@code engine} itself when that runs on the CPU path
     */
    BenchRunner(Engine engine, Engine cpuEngine, Settings settings, PrintWriter progress) {
        this(engine, cpuEngine, settings, progress, List.of());
    }

    /**
     * @param peers the peers timed after convcl on every problem, in this order
     */
    BenchRunner(Engine engine, Engine cpuEngine, Settings settings, PrintWriter progress, List<OpenPeer> peers) {
        this.engine = engine;
        this.cpuEngine = cpuEngine;
        this.settings = settings;
        this.progress = progress;
        this.peers = List.copyOf(peers);
    }

    /** Every problem, in order, each timed on its own. */
    List<BenchRow> run(List<BenchSuite.Problem> problems) {
        return run(problems, 1);
    }

    /**
     * Every problem, in order, timed in groups of {@code groupSize} consecutive problems: one
     * problem at each batch size of {@code bench --batch} ({@link BenchBatches#expand}, which puts
     * them together), so that the batch-scaling table compares batches timed side by side, in the
     * same seconds ({@link #runGroup}).
     *
     * @throws IllegalArgumentException when {@code groupSize} is below 1 or does not divide the
     *                                  number of problems
     */
    List<BenchRow> run(List<BenchSuite.Problem> problems, int groupSize) {
        if (groupSize < 1 || problems.size() % groupSize != 0) {
            throw new IllegalArgumentException("group size " + groupSize + " for " + problems.size() + " problems");
        }
        List<BenchRow> rows = new ArrayList<>();
        for (int i = 0; i < problems.size(); i += groupSize) {
            rows.addAll(runGroup(problems.subList(i, i + groupSize), i, problems.size()));
        }
        return rows;
    }

    /** The rows of one problem as written: the device's (when it is not the CPU path), the CPU path's, the peers'. */
    List<BenchRow> runOne(BenchSuite.Problem p) {
        return runGroup(List.of(p), 0, 1);
    }

    /**
     * The rows of {@code group} (problems {@code first + 1} onwards of {@code total}, for the
     * progress lines), each problem's in turn: the device's (when it is not the CPU path), the CPU
     * path's, the peers' in their order. Each contender of every problem is checked and warmed up on
     * its own, then convcl's calls (on host arrays and on device tensors) and the calls of the peers
     * that run in this process, of every problem of the group, are timed side by side
     * ({@link BenchPeer.Budget#timeInterleaved}): a turn each per round, so that a machine whose
     * speed drifts slows them all alike. A peer in another process is timed after convcl's plans are
     * closed, on its own.
     */
    private List<BenchRow> runGroup(List<BenchSuite.Problem> group, int first, int total) {
        List<Member> members = new ArrayList<>();
        MachineLoad.Probe load = MachineLoad.start();
        List<AutoCloseable> open = new ArrayList<>();
        Throwable primary = null;
        try {
            for (int k = 0; k < group.size(); k++) {
                BenchSuite.Problem p = group.get(k);
                progress.printf(Locale.ROOT, "[%d/%d] %s  %s%n", first + k + 1, total, p.name(), timed(p));
                Member m = new Member(p);
                members.add(m);
                open.add(m);
                m.prepare();
            }
            if (group.size() > 1) {
                progress.printf(Locale.ROOT, "      timing %s side by side%n", group.size() == 2 ? "both" : "all " + group.size());
            }
            progress.flush();
            // The CPU kernels' background warm-up (started by the plans compiled so far) must not
            // share the cores with the timed calls of any contender.
            ((CpuBackend) Internals.cpu(cpuEngine)).awaitKernelWarmup();
            ((CpuBackend) Internals.cpu(engine)).awaitKernelWarmup();
            List<Contender> contenders = new ArrayList<>();
            boolean peerTurns = false;
            for (Member m : members) {
                contenders.addAll(m.warmUpConvcl());
            }
            for (Member m : members) {
                List<Contender> c = m.warmUpPeers();
                peerTurns |= !c.isEmpty();
                contenders.addAll(c);
            }
            timeSideBySide(contenders, peerTurns);
            for (Member m : members) {
                if (members.size() > 1) {
                    progress.printf(Locale.ROOT, "      %s:%n", m.p.name());
                }
                m.collectRows();
            }
        } catch (RuntimeException | Error e) {
            primary = e;
            throw e;
        } finally {
            closeAll(open, primary);
        }
        // After convcl's plans are closed, so that their memory is free for the peers in other processes.
        List<BenchRow> rows = new ArrayList<>();
        double others = load.othersCores();
        boolean outOfProcess = peers.stream().anyMatch(peer -> !peer.peer().callsInThisProcess());
        for (Member m : members) {
            if (members.size() > 1 && outOfProcess) {
                progress.printf(Locale.ROOT, "      %s, peers in other processes:%n", m.p.name());
            }
            rows.addAll(m.rowsWithPeersOutOfProcess());
            othersCores.put(m.p.name(), others);
        }
        return rows;
    }

    /**
     * One problem of a group: its data, its reference, its plans and the peers' layers in this
     * process, checked and ready to time; then its rows. Closing it closes its plans and layers.
     */
    private final class Member implements AutoCloseable {
        final BenchSuite.Problem p;
        // Every problem gets a bias, as in the PyTorch peer.
        final Convolution spec;
        final Args data;
        final ReferenceSlice slice;
        final String refName;
        HostTensor reference;
        Compiled cpuPlan, devicePlan;
        PlanSide cpuSide, devSide;
        final List<PeerSide> peerSides = new ArrayList<>();
        final List<BenchRow> rows = new ArrayList<>();
        final Map<OpenPeer, BenchRow> peerRows = new java.util.IdentityHashMap<>();

        Member(BenchSuite.Problem p) {
            this.p = p;
            this.spec = timed(p);
            this.data = ProblemData.random(spec, p.name().hashCode());
            this.slice = ReferenceSlice.choose(spec, settings.referenceMaxFlops());
            this.refName = slice.isWhole() ? "reference" : "reference-slice";
        }

        /** The reference computed, the plans compiled and checked, the in-process peers' layers prepared. */
        void prepare() {
            reference = slice.reference(data);
            progress.println("      checked against the reference on " + slice.describe());
            cpuPlan = Compiled.of(cpuEngine, spec);
            if (engine != cpuEngine) {
                devicePlan = Compiled.of(engine, spec);
            }
            Args cpuArgs = ProblemData.freshOutput(data, spec);
            cpuPlan.plan().execute(cpuArgs);
            Check cpuCheck = Check.of(refName, reference, slice.sliceOf(ProblemData.output(cpuArgs)));
            cpuSide = new PlanSide(p, spec, cpuPlan, cpuEngine, cpuCheck);
            cpuSide.prepare(cpuArgs);
            if (devicePlan != null) {
                Args devArgs = ProblemData.freshOutput(data, spec);
                devicePlan.plan().execute(devArgs);
                Check check = Check.of("cpu", ProblemData.output(cpuArgs), ProblemData.output(devArgs))
                        .and(Check.of(refName, reference, slice.sliceOf(ProblemData.output(devArgs))));
                devSide = new PlanSide(p, spec, devicePlan, engine, check);
                devSide.prepare(devArgs);
            }
            for (OpenPeer peer : peers) {
                if (peer.peer().callsInThisProcess()) {
                    peerSides.add(startPeerSide(peer, p, spec, data, reference, slice, refName));
                }
            }
        }

        /** convcl's calls warmed up: the contenders to time. */
        List<Contender> warmUpConvcl() {
            List<Contender> c = new ArrayList<>();
            for (PlanSide side : devSide == null ? List.of(cpuSide) : List.of(devSide, cpuSide)) {
                c.addAll(side.warmUpAndContend());
            }
            return c;
        }

        /** The in-process peers' calls warmed up: the contenders to time. */
        List<Contender> warmUpPeers() {
            List<Contender> c = new ArrayList<>();
            for (PeerSide side : peerSides) {
                c.addAll(side.warmUpAndContend());
            }
            return c;
        }

        /** convcl's rows and the in-process peers' (said on the progress stream), once timed. */
        void collectRows() {
            BenchRow cpuRow = cpuSide.row();
            if (devSide != null) {
                BenchRow devRow = devSide.row();
                rows.add(devRow.ok() && cpuRow.ok() ? devRow.withCpuMedian(cpuRow.medianMs()) : devRow);
            }
            rows.add(cpuRow);
            for (PeerSide side : peerSides) {
                side.close(); // a layer that fails to close makes its row FAIL, as when timed on its own
                peerRows.put(side.open, side.row());
            }
        }

        /** Its rows, with the peers in other processes measured now (the plans are closed). */
        List<BenchRow> rowsWithPeersOutOfProcess() {
            List<BenchRow> all = new ArrayList<>(rows);
            for (OpenPeer peer : peers) {
                if (!peerRows.containsKey(peer)) {
                    peerRows.put(peer, measurePeer(peer, p, spec, data, reference, slice, refName));
                }
            }
            for (OpenPeer peer : peers) {
                all.add(peerRows.get(peer));
            }
            return all;
        }

        @Override
        public void close() {
            List<AutoCloseable> mine = new ArrayList<>();
            // Closed last first: the plans after the sides that use them, the peers' layers first.
            mine.add(cpuPlan);
            mine.add(devicePlan);
            mine.add(cpuSide);
            mine.add(devSide);
            for (PeerSide side : peerSides) {
                mine.add(side::close);
            }
            mine.removeIf(java.util.Objects::isNull);
            closeAll(mine, null);
        }
    }

    /**
     * Closes each of {@code all} (last first), even if an earlier one throws. With {@code primary}
     * (what the body threw, on its way out) a failure to close is added to it as suppressed;
     * without, the first one is thrown.
     */
    private static void closeAll(List<AutoCloseable> all, Throwable primary) {
        RuntimeException first = null;
        for (int i = all.size() - 1; i >= 0; i--) {
            try {
                all.get(i).close();
            } catch (Exception | LinkageError e) {
                if (primary != null) {
                    primary.addSuppressed(e);
                } else if (first == null) {
                    first = e instanceof RuntimeException re ? re : new IllegalStateException(e);
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /**
     * One call timed side by side with the others ({@link #timeSideBySide}): what it does right
     * before and after each of its timed calls (outside the timed span), and what a failure of it
     * while timed means.
     */
    private abstract static class Contender {
        final BenchPeer.Call call;
        BenchPeer.Timing timing = new BenchPeer.Timing(new double[0]);
        boolean dropped;

        Contender(BenchPeer.Call call) {
            this.call = call;
        }

        /** Forgets what earlier timed calls recorded: the timing starts again. */
        void reset() {
        }

        void beforeTimed() {
        }

        void afterTimed() {
        }

        /**
         * This contender's call failed while timed, with {@code e}: it is no longer timed, and the
         * others are timed again without it. Throws {@code e} on when it must end the benchmark.
         */
        abstract void failed(Throwable e);
    }

    /**
     * Times {@code all} side by side ({@link BenchPeer.Budget#timeInterleaved}), each already
     * warmed up; one whose call fails is dropped ({@link Contender#failed}) and the others are
     * timed again without it. With {@code peers}, each turn waits until the threads the last one
     * left running have stopped ({@link BenchModel#awaitQuiet}: ONNX Runtime's spin for tens of ms).
     */
    private void timeSideBySide(List<Contender> all, boolean peers) {
        BenchPeer.Budget budget = new BenchPeer.Budget(settings.warmup(), settings.warmupSeconds(), settings.iters(),
                settings.secondsPerBackend());
        while (true) {
            List<Contender> live = all.stream().filter(c -> !c.dropped).toList();
            if (live.isEmpty()) {
                return;
            }
            List<BenchPeer.Call> calls = new ArrayList<>();
            for (int i = 0; i < live.size(); i++) {
                int index = i;
                Contender c = live.get(i);
                c.reset();
                calls.add(() -> {
                    try {
                        c.call.run();
                    } catch (Exception | LinkageError e) {
                        throw new BenchModel.CallFailed(index, e);
                    }
                });
            }
            try {
                BenchPeer.Timing[] t = budget.timeInterleaved(calls, System::nanoTime,
                        peers ? BenchModel::awaitQuiet : () -> { }, i -> live.get(i).beforeTimed(),
                        i -> live.get(i).afterTimed());
                for (int i = 0; i < t.length; i++) {
                    live.get(i).timing = t[i];
                }
                return;
            } catch (BenchModel.CallFailed e) {
                Contender c = live.get(e.index);
                c.dropped = true;
                c.failed(e.getCause());
            } catch (Exception e) {
                throw new IllegalStateException(e); // the wrapped calls throw only CallFailed
            }
        }
    }

    /** A plan that was timed on a device now runs on the CPU path (it fell back while timed). */
    private static final class FellBack extends RuntimeException {
        FellBack(String message) {
            super(message);
        }
    }

    /** A throwable as it is when unchecked; else wrapped. */
    private static RuntimeException unchecked(Throwable e) {
        if (e instanceof RuntimeException r) {
            return r;
        }
        if (e instanceof Error err) {
            throw err;
        }
        return new IllegalStateException(e);
    }

    /**
     * A convcl plan on one problem: checked, its constants bound, with its two calls to time (on
     * the host arrays of the problem, copies included on a device; on device tensors holding the
     * same values, allocated and filled once, each call waiting for its result); or its FAIL row.
     */
    private final class PlanSide implements AutoCloseable {
        private final BenchSuite.Problem p;
        private final Convolution spec;
        private final Compiled compiled;
        private final Engine on;
        private final Check check;
        private BenchRow failedRow;
        private Args host;
        private ResidentArgs resident;
        private String deviceNote;
        private Contender onHost, onDevice;
        private final List<Double> kernelMs = new ArrayList<>();
        private long seen, transfers;
        /** The backend the plan ran on when its timing began. */
        private String timedOn;
        /** Why the plan left its device while timed (its figures would mix the two paths), or null. */
        private String fellBack;

        PlanSide(BenchSuite.Problem p, Convolution spec, Compiled compiled, Engine on, Check check) {
            this.p = p;
            this.spec = spec;
            this.compiled = compiled;
            this.on = on;
            this.check = check;
        }

        /**
         * Checks the first call on {@code args} ({@link #check}); binds the weights and bias once,
         * as a network would, and checks a call with them bound, then the first call on device
         * tensors. A failed check makes the row FAIL untimed; a {@link DeviceException} on device
         * tensors leaves the host-array figures alone, with a note.
         */
        void prepare(Args args) {
            Plan plan = compiled.plan();
            if (!check.ok()) {
                failedRow = failed(p, spec, compiled, check.against(), check.relL2(), check.describe());
                return;
            }
            HostTensor checked = Tensor.of(ProblemData.output(args).toArray(), spec.outputShape());
            plan.bind(Arg.WEIGHTS, args.get(Arg.WEIGHTS));
            if (spec.bias()) {
                plan.bind(Arg.BIAS, args.get(Arg.BIAS));
            }
            host = args.with(Arg.WEIGHTS, null).with(Arg.BIAS, null);
            plan.execute(host);
            Check bound = Check.of("the checking call", checked, ProblemData.output(host));
            if (!bound.ok()) {
                failedRow = failed(p, spec, compiled, check.against(), bound.relL2(), "with bound weights: "
                        + bound.describe());
                return;
            }
            try {
                resident = ResidentArgs.upload(on, host);
                plan.execute(resident.args());
                Check r = Check.of("the checking call", checked, resident.output().download());
                if (!r.ok()) {
                    failedRow = failed(p, spec, compiled, check.against(), r.relL2(), "on device tensors: " + r.describe());
                }
            } catch (DeviceException e) {
                dropResident("no device-tensor timing: " + e.getMessage());
            }
        }

        private void dropResident(String note) {
            deviceNote = note;
            if (resident != null) {
                resident.close();
                resident = null;
            }
        }

        /** Warms up the calls on host arrays and on device tensors (the same rule for both); the contenders to time. */
        List<Contender> warmUpAndContend() {
            if (failedRow != null) {
                return List.of();
            }
            Plan plan = compiled.plan();
            Runnable hostCall = () -> plan.execute(host);
            warmUp(hostCall);
            timedOn = plan.backend();
            onHost = new Contender(() -> {
                hostCall.run();
                checkStillOn(plan);
            }) {
                @Override
                void reset() {
                    kernelMs.clear();
                }

                @Override
                void afterTimed() {
                    kernelMs.add(plan.lastKernelMillis());
                }

                @Override
                void failed(Throwable e) {
                    if (!(e instanceof FellBack f)) {
                        throw unchecked(e);
                    }
                    leftTheDevice(f.getMessage());
                }
            };
            if (resident == null) {
                return List.of(onHost);
            }
            Runnable deviceCall = () -> {
                plan.execute(resident.args());
                on.finish();
            };
            try {
                // The same warm-up as on host arrays (these calls run on other buffers).
                warmUp(deviceCall);
            } catch (DeviceException e) {
                dropResident("no device-tensor timing: " + e.getMessage());
                timedOn = plan.backend(); // the host-array calls run wherever the plan is now
                return List.of(onHost);
            }
            onDevice = new Contender(() -> {
                deviceCall.run();
                checkStillOn(plan);
            }) {
                @Override
                void reset() {
                    transfers = 0;
                }

                @Override
                void beforeTimed() {
                    seen = on.stats().hostTransfers();
                }

                @Override
                void afterTimed() {
                    transfers = Math.max(transfers, on.stats().hostTransfers() - seen);
                }

                @Override
                void failed(Throwable e) {
                    if (e instanceof FellBack f) {
                        leftTheDevice(f.getMessage());
                    } else if (e instanceof DeviceException d) {
                        dropResident("no device-tensor timing: " + d.getMessage());
                        transfers = 0;
                        if (!plan.backend().equals(timedOn)) {
                            leftTheDevice(d.getMessage());
                        }
                    } else {
                        throw unchecked(e);
                    }
                }
            };
            return List.of(onHost, onDevice);
        }

        /** Throws {@link FellBack} once {@code plan} runs on another backend than when its timing began. */
        private void checkStillOn(Plan plan) {
            if (!plan.backend().equals(timedOn)) {
                throw new FellBack("the plan fell back from " + timedOn + " to the " + plan.backend()
                        + " path while timed (its WARN line says why)");
            }
        }

        /**
         * The plan left its device while timed: neither series is timed further (their calls run on
         * the CPU path now), and the row FAILs untimed, saying why, as the figures would mix the two.
         */
        private void leftTheDevice(String why) {
            fellBack = why;
            onHost.dropped = true;
            if (onDevice != null) {
                onDevice.dropped = true;
            }
            transfers = 0;
        }

        /** The row: FAIL as prepared or after the plan left its device while timed, else the medians of the timed calls. */
        BenchRow row() {
            if (failedRow != null) {
                sayFailed(compiled, failedRow.error());
                return failedRow;
            }
            if (fellBack != null) {
                BenchRow r = failed(p, spec, compiled, check.against(), check.relL2(), "not timed on " + timedOn + ": "
                        + fellBack);
                sayFailed(compiled, r.error());
                return r;
            }
            Plan plan = compiled.plan();
            double[] hostWall = onHost.timing.wallMs();
            double[] kernel = kernelMs.stream().mapToDouble(Double::doubleValue).toArray();
            double[] deviceWall = onDevice == null || onDevice.dropped ? new double[0] : onDevice.timing.wallMs();
            double median = median(hostWall);
            double kernelMedian = median(kernel);
            double deviceMedian = median(deviceWall);
            double gflops = spec.flops() / (median * 1e6);
            double kernelGflops = spec.flops() / (kernelMedian * 1e6);
            double deviceGflops = spec.flops() / (deviceMedian * 1e6);
            progress.printf(Locale.ROOT, "      %-6s %-18s %9.3f ms (device tensors %s ms) %8.2f GFLOP/s  %2d %-5s  (%s)%n",
                    plan.backend(), plan.algorithm(), median, Double.isNaN(deviceMedian) ? "-"
                            : String.format(Locale.ROOT, "%.3f", deviceMedian), gflops, hostWall.length,
                    Plural.noun(hostWall.length, "call"), check.describe());
            if (deviceNote != null) {
                progress.println("      " + deviceNote);
            }
            progress.flush();
            return new BenchRow(p.name(), spec.toString(), spec.name(), plan.backend(), plan.deviceName(),
                    plan.algorithm(), true, check.against(), check.relL2(), compiled.compileMs(), kernelMedian, median,
                    min(hostWall), max(hostWall), hostWall.length, deviceMedian, min(deviceWall), max(deviceWall),
                    deviceWall.length, transfers, gflops, kernelGflops, deviceGflops, Double.NaN, Double.NaN,
                    Double.NaN, null).withBatch(spec.n());
        }

        @Override
        public void close() {
            if (resident != null) {
                resident.close();
                resident = null;
            }
        }
    }

    /**
     * Per problem name (as the rows name it), how many cores other processes used on average
     * while its backends and peers were checked and timed ({@link MachineLoad}); NaN where unknown.
     */
    Map<String, Double> othersCores() {
        return Collections.unmodifiableMap(othersCores);
    }

    /**
     * A peer on the same problem and data: prepared, one call checked against the reference (a
     * mismatch is a FAIL row and is not timed), then timed on its own with the same rules as convcl
     * (a peer in another process: {@link BenchPeer#callsInThisProcess()}).
     */
    private BenchRow measurePeer(OpenPeer open, BenchSuite.Problem p, Convolution spec, Args data,
                                 HostTensor reference, ReferenceSlice slice, String refName) {
        BenchPeer peer = open.peer();
        PeerRun run = runPeer(peer.name(), peer.unsupported(spec), () -> peer.prepare(spec, data.with(Arg.DST, null)),
                spec.outputShape(), out -> Check.of(refName, reference, slice.sliceOf(out)));
        return peerRow(open, p, spec, refName, run);
    }

    /** The row of a peer's run on {@code spec}, said on the progress stream when timed. */
    private BenchRow peerRow(OpenPeer open, BenchSuite.Problem p, Convolution spec, String refName, PeerRun run) {
        BenchPeer peer = open.peer();
        BenchRow row = BenchRow.peer(p.name(), spec, peer.name(), open.description(), run.algorithm(), refName,
                run.relL2(), run.prepareMs(), run.timing(), run.error(), run.unsupported());
        if (run.ok()) {
            progress.printf(Locale.ROOT, "      %-11s %-18s %9.3f ms %8.2f GFLOP/s  %2d %-5s  (%s)%n", peer.name(),
                    run.algorithm(), row.medianMs(), row.gflops(), row.calls(), Plural.noun(row.calls(), "call"), run.check());
            progress.flush();
        }
        return row;
    }

    /**
     * A peer that runs in this process on one problem: its layer prepared and checked (or why not,
     * in {@link #start}'s outcome), to be warmed up and timed beside convcl's calls.
     */
    private final class PeerSide {
        final OpenPeer open;
        final BenchSuite.Problem p;
        final Convolution spec;
        final String refName;
        final PeerStart start;
        private Contender contender;
        private String error;
        private boolean closed;

        PeerSide(OpenPeer open, BenchSuite.Problem p, Convolution spec, String refName, PeerStart start) {
            this.open = open;
            this.p = p;
            this.spec = spec;
            this.refName = refName;
            this.start = start;
        }

        /** Warms the layer up by the benchmark's rule; its contender, none when it did not start or failed. */
        List<Contender> warmUpAndContend() {
            if (start.layer() == null) {
                return List.of();
            }
            BenchPeer.Layer layer = start.layer();
            try {
                new BenchPeer.Budget(settings.warmup(), settings.warmupSeconds(), 0, 0).warmUp(layer::call);
            } catch (Exception | LinkageError e) {
                failedWhile("warmed up", e);
                return List.of();
            }
            contender = new Contender(layer::call) {
                @Override
                void failed(Throwable e) {
                    failedWhile("timed", e);
                }
            };
            return List.of(contender);
        }

        /** Closes the layer once; a failure makes the row FAIL (as when the peer is timed on its own). */
        void close() {
            BenchPeer.Layer layer = start.layer();
            if (layer == null || closed) {
                return;
            }
            closed = true;
            try {
                layer.close();
            } catch (Exception | LinkageError e) {
                if (error == null) {
                    failedWhile("closed", e);
                }
            }
        }

        private void failedWhile(String when, Throwable e) {
            error = "FAIL while " + when + ": " + BenchPeers.message(e);
        }

        /** Its row, said on the progress stream (timed, n/a or FAIL) after convcl's rows of the problem. */
        BenchRow row() {
            PeerRun run = start.outcome();
            if (run == null) {
                run = error != null || contender == null
                        ? new PeerRun(start.algorithm(), start.prepareMs(), start.relL2(), null,
                                error != null ? error : "not timed", false, null)
                        : new PeerRun(start.algorithm(), start.prepareMs(), start.relL2(), contender.timing, null, false,
                                start.check());
            }
            if (!run.ok()) {
                sayNotTimed(open.peer().name(), run.unsupported(), run.error());
            }
            return peerRow(open, p, spec, refName, run);
        }
    }

    /** Prepares and checks a peer that runs in this process, for {@link #timeSideBySide}. */
    private PeerSide startPeerSide(OpenPeer open, BenchSuite.Problem p, Convolution spec, Args data,
                                   HostTensor reference, ReferenceSlice slice, String refName) {
        BenchPeer peer = open.peer();
        // Quiet: its n/a or FAIL line is said with its row, after convcl's rows of the problem.
        PeerStart start = startPeer(peer.name(), peer.unsupported(spec),
                () -> peer.prepare(spec, data.with(Arg.DST, null)), spec.outputShape(),
                out -> Check.of(refName, reference, slice.sliceOf(out)), false);
        return new PeerSide(open, p, spec, refName, start);
    }

    /**
     * What one peer did on one problem.
     *
     * @param algorithm  what it ran, or "-" when it did not get that far
     * @param prepareMs  how long preparing took, NaN when it was not prepared
     * @param relL2      its checked output's relative L2 error, NaN when not checked
     * @param timing     its timed calls, null unless ok
     * @param error      why it FAILed or cannot run the problem, null when timed
     * @param unsupported whether {@code error} says it cannot run the problem ("n/a", not a FAIL)
     * @param check      the check's description, null unless checked
     */
    record PeerRun(String algorithm, double prepareMs, double relL2, BenchPeer.Timing timing, String error,
                   boolean unsupported, String check) {
        boolean ok() {
            return error == null;
        }
    }

    /** Prepares a peer's layer, for {@link #runPeer}. */
    @FunctionalInterface
    interface PeerPrepare {
        BenchPeer.Layer prepare() throws Exception;
    }

    /**
     * A peer's layer prepared and its first call checked, open, ready to time; or, with the layer
     * null, the outcome that ends its run (n/a or FAIL, said on the progress stream).
     */
    record PeerStart(BenchPeer.Layer layer, String algorithm, double prepareMs, double relL2, String check,
                     PeerRun outcome) {
    }

    /**
     * Starts a peer on one problem: "n/a" when {@code why} is present; else prepared, one call
     * whose output must be shaped {@code outputShape} and pass {@code check}. Failures and "n/a"
     * are said on the progress stream (and the layer closed).
     */
    PeerStart startPeer(String name, java.util.Optional<String> why, PeerPrepare prepare, int[] outputShape,
                        java.util.function.Function<HostTensor, Check> check) {
        return startPeer(name, why, prepare, outputShape, check, true);
    }

    /** {@link #startPeer}, saying an n/a or FAIL on the progress stream only when {@code say}. */
    private PeerStart startPeer(String name, java.util.Optional<String> why, PeerPrepare prepare, int[] outputShape,
                                java.util.function.Function<HostTensor, Check> check, boolean say) {
        if (why.isPresent()) {
            if (say) {
                sayNotTimed(name, true, why.get());
            }
            return new PeerStart(null, "-", Double.NaN, Double.NaN, null,
                    new PeerRun("-", Double.NaN, Double.NaN, null, why.get(), true, null));
        }
        String algorithm = "-";
        double prepareMs = Double.NaN;
        double relL2 = Double.NaN;
        String error;
        boolean unsupported = false;
        BenchPeer.Layer layer = null;
        long t0 = System.nanoTime();
        try {
            layer = prepare.prepare();
            prepareMs = (System.nanoTime() - t0) / 1e6;
            algorithm = layer.algorithm();
            layer.call();
            HostTensor out = layer.output();
            if (!Arrays.equals(out.shape(), outputShape)) {
                error = "output shape " + Arrays.toString(out.shape()) + ", expected " + Arrays.toString(outputShape);
            } else {
                Check c = check.apply(out);
                relL2 = c.relL2();
                if (c.ok()) {
                    return new PeerStart(layer, algorithm, prepareMs, relL2, c.describe(), null);
                }
                error = c.describe();
            }
        } catch (UnsupportedOperationException e) {
            error = BenchPeers.message(e);
            unsupported = true;
        } catch (Exception e) {
            error = BenchPeers.message(e);
        }
        closeQuietly(layer);
        if (say) {
            sayNotTimed(name, unsupported, error);
        }
        return new PeerStart(null, algorithm, prepareMs, relL2, null,
                new PeerRun(algorithm, prepareMs, relL2, null, error, unsupported, null));
    }

    /** The progress line of a peer not timed on a problem: "n/a: why" or "FAIL: why". */
    private void sayNotTimed(String name, boolean unsupported, String error) {
        String what = unsupported ? "n/a: " + error : error.startsWith("FAIL ") ? error : "FAIL: " + error;
        progress.printf(Locale.ROOT, "      %-11s %s%n", name, what);
        progress.flush();
    }

    private void closeQuietly(BenchPeer.Layer layer) {
        if (layer == null) {
            return;
        }
        try {
            layer.close();
        } catch (Exception e) {
            progress.println("      (closing the peer's layer: " + BenchPeers.message(e) + ")");
        }
    }

    /**
     * Runs a peer on one problem on its own: {@link #startPeer}, then timed with the benchmark's
     * budget ({@link BenchPeer.Layer#time}). Failures and "n/a" are said on the progress stream.
     */
    PeerRun runPeer(String name, java.util.Optional<String> why, PeerPrepare prepare, int[] outputShape,
                    java.util.function.Function<HostTensor, Check> check) {
        PeerStart start = startPeer(name, why, prepare, outputShape, check);
        if (start.layer() == null) {
            return start.outcome();
        }
        String error;
        boolean unsupported = false;
        try (BenchPeer.Layer layer = start.layer()) {
            BenchPeer.Timing timing = layer.time(new BenchPeer.Budget(settings.warmup(), settings.warmupSeconds(),
                    settings.iters(), settings.secondsPerBackend()));
            if (timing.wallMs().length > 0) {
                return new PeerRun(start.algorithm(), start.prepareMs(), start.relL2(), timing, null, false, start.check());
            }
            error = "no call was timed";
        } catch (UnsupportedOperationException e) {
            error = BenchPeers.message(e);
            unsupported = true;
        } catch (Exception e) {
            error = BenchPeers.message(e);
        }
        sayNotTimed(name, unsupported, error);
        return new PeerRun(start.algorithm(), start.prepareMs(), start.relL2(), null, error, unsupported, null);
    }

    /** A plan and how long creating it took (kernel build or cache load, buffer allocation). */
    record Compiled(Plan plan, double compileMs) implements AutoCloseable {
        static Compiled of(Engine e, dev.convcl.Operation spec) {
            long t0 = System.nanoTime();
            Plan plan = e.plan(spec);
            return new Compiled(plan, (System.nanoTime() - t0) / 1e6);
        }

        @Override
        public void close() {
            plan.close();
        }
    }

    /** An untimed FAIL row. */
    private BenchRow failed(BenchSuite.Problem p, Convolution spec, Compiled compiled, String against, double relL2,
                            String why) {
        Plan plan = compiled.plan();
        return new BenchRow(p.name(), spec.toString(), spec.name(), plan.backend(), plan.deviceName(),
                plan.algorithm(), false, against, relL2, compiled.compileMs(), Double.NaN, Double.NaN,
                Double.NaN, Double.NaN, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, why)
                .withBatch(spec.n());
    }

    /** A FAIL row's progress line, said with the problem's other rows (after the timing, in a group). */
    private void sayFailed(Compiled compiled, String why) {
        Plan plan = compiled.plan();
        progress.printf(Locale.ROOT, "      %-6s %-18s FAIL: %s%n", plan.backend(), plan.algorithm(), why);
        progress.flush();
    }

    /** Untimed calls of {@code call} after the checking one, by the peers' rule ({@link BenchPeer.Budget#warmUp}). */
    void warmUp(Runnable call) {
        warmUp(settings.warmup(), settings.warmupSeconds(), call);
    }

    /**
     * {@link BenchPeer.Budget#warmUp} for a call that throws no checked exception: at least
     * {@code warmup} calls counting the checking one, at least {@code warmupSeconds}, until settled.
     */
    static void warmUp(int warmup, double warmupSeconds, Runnable call) {
        new BenchPeer.Budget(warmup, warmupSeconds, 0, 0).warmUpUnchecked(call);
    }

    /**
     * The device-tensor series of {@code plan} on {@code on}.
     *
     * @param series    the timed calls, {@link Series#NONE} when not timed
     * @param transfers the most host transfers one timed call made (none are expected)
     * @param failure   the first call's mismatch with the checked result (the row FAILs untimed), or null
     * @param note      why there is no series though the plan ran (a device error), or null
     */
    record Resident(Series series, long transfers, Check failure, String note) {
    }

    /**
     * Uploads the inputs of {@code host} to device tensors of {@code on} once, checks that the
     * first call on them reproduces {@code checked}, warms up by {@link #warmUp(Runnable)}, then
     * times calls that each wait for their result ({@link Engine#finish()}); host transfers are counted after each call, outside its
     * timed span. A {@link DeviceException} leaves the host-array figures standing, with a note.
     */
    Resident onDeviceTensors(Plan plan, Engine on, Args host, HostTensor checked) {
        try (ResidentArgs dev = ResidentArgs.upload(on, host)) {
            plan.execute(dev.args());
            Check resident = Check.of("the checking call", checked, dev.output().download());
            if (!resident.ok()) {
                return new Resident(Series.NONE, 0, resident, null);
            }
            // The same warm-up as the host-array series (these calls run on other buffers, and
            // a few calls did not settle them: see docs/cli.md).
            warmUp(() -> {
                plan.execute(dev.args());
                on.finish();
            });
            long[] seen = {on.stats().hostTransfers()};
            long[] transfers = {0};
            Series s = time(() -> {
                plan.execute(dev.args());
                on.finish();
            }, () -> {
                long now = on.stats().hostTransfers();
                transfers[0] = Math.max(transfers[0], now - seen[0]);
                seen[0] = now;
                return Double.NaN;
            });
            return new Resident(s, transfers[0], null, null);
        } catch (DeviceException e) {
            // The plan completes on the CPU path from now on.
            return new Resident(Series.NONE, 0, null, "no device-tensor timing: " + e.getMessage());
        }
    }

    /** Wall and kernel times (ms) of the timed calls of one series. */
    record Series(double[] wall, double[] kernel) {
        static final Series NONE = new Series(new double[0], new double[0]);
    }

    /**
     * Times {@code call}: at least {@link #MIN_TIMED} calls (fewer if {@code iters} is smaller),
     * more, up to {@code iters}, while the time budget lasts. {@code kernel} is read after each
     * call, outside the timed span.
     */
    Series time(Runnable call, DoubleSupplier kernel) {
        int minTimed = Math.min(MIN_TIMED, settings.iters());
        double[] wall = new double[settings.iters()];
        double[] kern = new double[settings.iters()];
        int timed = 0;
        long start = System.nanoTime();
        while (timed < settings.iters()
                && (timed < minTimed || (System.nanoTime() - start) / 1e9 < settings.secondsPerBackend())) {
            long t0 = System.nanoTime();
            call.run();
            wall[timed] = (System.nanoTime() - t0) / 1e6;
            kern[timed] = kernel.getAsDouble();
            timed++;
        }
        return new Series(Arrays.copyOf(wall, timed), Arrays.copyOf(kern, timed));
    }

    /**
     * Device tensors of an engine holding a call's inputs, and a device output, for the
     * device-resident series; closed together.
     */
    static final class ResidentArgs implements AutoCloseable {
        private final List<DeviceTensor> tensors = new ArrayList<>();
        private Args args;
        private DeviceTensor output;

        /** Uploads every input of {@code host} and allocates its output on {@code engine}. */
        static ResidentArgs upload(Engine engine, Args host) {
            ResidentArgs d = new ResidentArgs();
            try {
                Args.Builder b = Args.builder();
                for (Map.Entry<Arg, Tensor> e : host.asMap().entrySet()) {
                    DeviceTensor t = e.getKey().isOutput() ? engine.allocate(e.getValue().shape())
                            : engine.upload((HostTensor) e.getValue());
                    d.tensors.add(t);
                    b.set(e.getKey(), t);
                    if (e.getKey() == Arg.DST) {
                        d.output = t;
                    }
                }
                d.args = b.build();
                return d;
            } catch (RuntimeException e) {
                d.close();
                throw e;
            }
        }

        Args args() {
            return args;
        }

        DeviceTensor output() {
            return output;
        }

        @Override
        public void close() {
            for (DeviceTensor t : tensors) {
                t.close();
            }
        }
    }

    /** Median; NaN if any value is NaN (kernel times on the CPU path). */
    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        if (s.length == 0 || Double.isNaN(s[s.length - 1])) {
            return Double.NaN;
        }
        int mid = s.length / 2;
        return s.length % 2 == 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
    }

    static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }

    static double max(double[] v) {
        return Arrays.stream(v).max().orElse(Double.NaN);
    }

    /** The outcome of comparing a result to one or more trusted ones. */
    record Check(String against, double relL2, boolean ok) {
        static Check of(String against, HostTensor trusted, HostTensor result) {
            double err = ProblemData.relativeL2(trusted, result);
            return new Check(against, err, err <= ProblemData.TOLERANCE);
        }

        Check and(Check other) {
            return new Check(against + "+" + other.against, Math.max(relL2, other.relL2), ok && other.ok);
        }

        String describe() {
            return String.format(Locale.ROOT, "%s relative L2 %.1e %s %.0e vs %s", ok ? "ok," : "mismatch:", relL2,
                    ok ? "<=" : ">", ProblemData.TOLERANCE, against);
        }
    }
}
