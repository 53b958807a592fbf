package dev.convcl.cli;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Engine;
import dev.convcl.HostTensor;
import dev.convcl.Plan;
import dev.convcl.RoiAlign;
import dev.convcl.Tensor;
import dev.convcl.reference.ReferenceOps;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The RoI lines of a {@code convcl bench} suite ({@code op=roi_align}, {@code ps_roi_align},
 * {@code deform_roi_pool}): each problem's seeded data ({@link ProblemData#random(RoiAlign, long)}),
 * checked then timed on the device and on the CPU path like the convolution rows (host arrays and
 * device tensors, {@link BenchRunner}'s rules), then on each peer on the same data. GFLOP/s means
 * nothing for a gather of bilinear samples: a row reports milliseconds and bilinear samples a
 * second (four taps each), counted from the problem's RoIs ({@link #samples}).
 *
 * <p>The check: the CPU path's and the device's outputs against the reference on the first RoIs
 * (as many as {@code --reference-mflop} allows, at least one; {@link RoiAlign#flops()}), and the
 * device's whole output against the CPU path's.
 */
final class BenchRoi {
    /** The JSON rows of the RoI table carry this {@code section}. */
    static final String SECTION = "roi";

    private final Engine engine;
    private final Engine cpuEngine;
    private final BenchRunner.Settings settings;
    private final PrintWriter progress;
    private final List<BenchRunner.OpenPeer> peers;
    private final BenchRunner timing;

    /**
     * @param engine    the engine on the device under test
     * @param cpuEngine an engine on the CPU path; {@code engine} itself when that runs on the CPU path
     * @param peers     the peers timed after convcl on every problem, in this order
     */
    BenchRoi(Engine engine, Engine cpuEngine, BenchRunner.Settings settings, PrintWriter progress,
             List<BenchRunner.OpenPeer> peers) {
        this.engine = engine;
        this.cpuEngine = cpuEngine;
        this.settings = settings;
        this.progress = progress;
        this.peers = List.copyOf(peers);
        this.timing = new BenchRunner(engine, cpuEngine, settings, progress, peers);
    }

    /**
     * Times of one series of calls.
     *
     * @param kernelMs median kernel time (profiled; NaN on the CPU path)
     * @param medianMs median wall time
     * @param minMs    fastest call
     * @param maxMs    slowest call
     * @param calls    calls timed
     */
    record Times(double kernelMs, double medianMs, double minMs, double maxMs, int calls) {
        static final Times NONE = new Times(Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0);

        static Times of(BenchRunner.Series s) {
            return new Times(BenchRunner.median(s.kernel()), BenchRunner.median(s.wall()), BenchRunner.min(s.wall()),
                    BenchRunner.max(s.wall()), s.wall().length);
        }

        static Times of(BenchPeer.Timing t) {
            return new Times(Double.NaN, t.median(), t.min(), t.max(), t.wallMs().length);
        }
    }

    /**
     * One row of the RoI table: convcl on a backend, or a peer.
     *
     * @param name            the problem's name
     * @param op              the problem
     * @param backend         opencl, cpu, or the peer's name
     * @param device          the device, or the peer's description
     * @param algorithm       what ran
     * @param checkedWith     what the result was checked against
     * @param relL2           the check's relative L2 error
     * @param compileMs       plan creation (a peer's preparation), ms
     * @param host            calls on host arrays (a peer's calls)
     * @param resident        calls on device tensors ({@link Times#NONE} for a peer)
     * @param deviceTransfers host transfers during a device-tensor call (none expected)
     * @param samples         bilinear samples a call takes
     * @param peer            whether a peer ran the row
     * @param unsupported     whether the peer cannot run the problem ("n/a", with the reason in {@code error})
     * @param error           why the row FAILed or is n/a; null when timed
     * @param cpuMedianMs     the CPU path's host-array median beside the device's, else NaN
     * @param peerMedians     each peer's median on the problem beside convcl's (NaN where it did not run)
     */
    record Row(String name, RoiAlign op, String backend, String device, String algorithm, String checkedWith,
               double relL2, double compileMs, Times host, Times resident, long deviceTransfers, long samples,
               boolean peer, boolean unsupported, String error, double cpuMedianMs, Map<String, Double> peerMedians) {

        Row {
            peerMedians = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(peerMedians));
        }

        boolean ok() {
            return error == null;
        }

        /** Whether the row counts as a FAIL: not ok, and not a peer's "n/a". */
        boolean failed() {
            return !ok() && !unsupported;
        }

        /** Millions of bilinear samples a second, from the host-array median. */
        double msamplesPerS() {
            return samples / (host.medianMs() * 1e3);
        }

        /** Millions of bilinear samples a second, from the device-tensor median. */
        double deviceMsamplesPerS() {
            return samples / (resident.medianMs() * 1e3);
        }

        /** The CPU path's median over this row's (host arrays); NaN unless both were timed. */
        double speedup() {
            return cpuMedianMs / host.medianMs();
        }

        /** The fastest peer that timed the problem, or null. */
        String bestPeer() {
            return peerMedians.entrySet().stream().filter(e -> Double.isFinite(e.getValue()))
                    .min(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(null);
        }

        /** The fastest peer's median over this row's (host arrays): above 1 means convcl is faster. */
        double vsBestPeer(double medianMs) {
            String best = bestPeer();
            return best == null ? Double.NaN : peerMedians.get(best) / medianMs;
        }

        Row with(double cpuMs, Map<String, Double> medians) {
            return new Row(name, op, backend, device, algorithm, checkedWith, relL2, compileMs, host, resident,
                    deviceTransfers, samples, peer, unsupported, error, cpuMs, medians);
        }

        /** The row's fields in report order, JSON-ready names; NaN stays NaN (writers turn it into null/empty). */
        Map<String, Object> fields() {
            Map<String, Object> m = BenchRow.head(name, op.name(), backend, algorithm, ok(), checkedWith, relL2, compileMs);
            BenchRow.series(m, host.kernelMs(), host.medianMs(), host.minMs(), host.maxMs(), host.calls(),
                    resident.medianMs(), resident.minMs(), resident.maxMs(), resident.calls(), deviceTransfers);
            m.put("rois", op.rois());
            m.put("samples", samples);
            m.put("msamples_per_s", msamplesPerS());
            m.put("device_msamples_per_s", deviceMsamplesPerS());
            m.put("cpu_median_ms", cpuMedianMs);
            m.put("speedup_vs_cpu", speedup());
            if (!peer) {
                String best = bestPeer();
                m.put("best_peer", best);
                m.put("best_peer_median_ms", best == null ? Double.NaN : peerMedians.get(best));
                peerMedians.forEach((peerName, ms) -> m.put(peerName + "_median_ms", ms));
                m.put("vs_best_peer", vsBestPeer(host.medianMs()));
                m.put("device_vs_best_peer", vsBestPeer(resident.medianMs()));
            }
            BenchRow.tail(m, ok(), op.n(), peer, unsupported, device, op.toString(), error, SECTION);
            return m;
        }
    }

    /** The seed of a problem's data ({@link ProblemData#random(RoiAlign, long)}), from its name. */
    static long seed(String name) {
        return name.hashCode();
    }

    /** Every RoI problem in turn; {@code first} and {@code total} number the progress lines. */
    List<Row> run(List<BenchSuite.Problem> problems, int first, int total) {
        List<Row> rows = new ArrayList<>();
        int i = first;
        for (BenchSuite.Problem p : problems) {
            progress.printf(Locale.ROOT, "[%d/%d] %s  %s%n", ++i, total, p.name(), p.roi());
            progress.flush();
            rows.addAll(runOne(p.name(), p.roi()));
        }
        return rows;
    }

    /** The rows of one problem: the device's (when it is not the CPU path), the CPU path's, the peers'. */
    List<Row> runOne(String name, RoiAlign op) {
        Args data = ProblemData.random(op, seed(name));
        float[] rois = ((HostTensor) data.get(Arg.ROIS)).toArray();
        op.checkRois(rois);
        long samples = samples(op, rois);
        int checkedRois = (int) Math.max(1, Math.min(op.rois(), Math.floor(op.rois() * settings.referenceMaxFlops()
                / op.flops())));
        HostTensor reference = reference(op, data, checkedRois);
        String refName = checkedRois == op.rois() ? "reference" : "reference-slice";
        progress.println("      checked against the reference on " + (checkedRois == op.rois() ? "every RoI"
                : "the first " + checkedRois + " of " + op.rois() + " RoIs") + "; " + samples + " bilinear samples a call");
        List<Row> rows = new ArrayList<>();
        try (BenchRunner.Compiled cpuPlan = BenchRunner.Compiled.of(cpuEngine, op);
             BenchRunner.Compiled devicePlan = engine != cpuEngine ? BenchRunner.Compiled.of(engine, op) : null) {
            Args cpuArgs = ProblemData.freshOutput(data);
            cpuPlan.plan().execute(cpuArgs);
            HostTensor cpuOut = ProblemData.output(cpuArgs);
            Row cpuRow = measure(name, op, samples, cpuPlan, cpuEngine, cpuArgs,
                    BenchRunner.Check.of(refName, reference, firstRois(cpuOut, checkedRois)));
            if (devicePlan != null) {
                Args devArgs = ProblemData.freshOutput(data);
                devicePlan.plan().execute(devArgs);
                HostTensor devOut = ProblemData.output(devArgs);
                Row devRow = measure(name, op, samples, devicePlan, engine, devArgs,
                        BenchRunner.Check.of("cpu", cpuOut, devOut)
                                .and(BenchRunner.Check.of(refName, reference, firstRois(devOut, checkedRois))));
                rows.add(devRow.ok() && cpuRow.ok() ? devRow.with(cpuRow.host().medianMs(), Map.of()) : devRow);
            }
            rows.add(cpuRow);
        }
        // After convcl's plans are closed, so that their memory is free for the peers.
        Map<String, Double> medians = new LinkedHashMap<>();
        for (BenchRunner.OpenPeer open : peers) {
            BenchPeer peer = open.peer();
            BenchRunner.PeerRun run = timing.runPeer(peer.name(), peer.unsupported(op),
                    () -> peer.prepare(op, data.with(Arg.DST, null)), op.outputShape(),
                    out -> BenchRunner.Check.of(refName, reference, firstRois(out, checkedRois)));
            Row row = new Row(name, op, peer.name(), open.description(), run.algorithm(), refName, run.relL2(),
                    run.prepareMs(), run.ok() ? Times.of(run.timing()) : Times.NONE, Times.NONE, 0, samples, true,
                    run.unsupported(), run.error(), Double.NaN, Map.of());
            if (run.ok()) {
                progress.printf(Locale.ROOT, "      %-11s %-18s %9.3f ms %9.1f Msample/s  %2d %-5s  (%s)%n",
                        peer.name(), run.algorithm(), row.host().medianMs(), row.msamplesPerS(), row.host().calls(),
                        Plural.noun(row.host().calls(), "call"), run.check());
                progress.flush();
            }
            medians.put(peer.name(), run.ok() ? row.host().medianMs() : Double.NaN);
            rows.add(row);
        }
        List<Row> out = new ArrayList<>();
        for (Row r : rows) {
            out.add(r.peer() ? r : r.with(r.cpuMedianMs(), medians));
        }
        return out;
    }

    /**
     * Times {@code compiled} if its result passed {@code check} (else an untimed FAIL row): calls
     * on the host arrays of {@code args}, then on device tensors holding the same values.
     */
    private Row measure(String name, RoiAlign op, long samples, BenchRunner.Compiled compiled, Engine on, Args args,
                        BenchRunner.Check check) {
        Plan plan = compiled.plan();
        String why = check.ok() ? null : check.describe();
        Times host = Times.NONE;
        BenchRunner.Resident resident = null;
        if (why == null) {
            HostTensor checked = Tensor.of(ProblemData.output(args).toArray(), op.outputShape());
            timing.warmUp(() -> plan.execute(args));
            host = Times.of(timing.time(() -> plan.execute(args), plan::lastKernelMillis));
            resident = timing.onDeviceTensors(plan, on, args, checked);
            if (resident.failure() != null) {
                why = "on device tensors: " + resident.failure().describe();
            }
        }
        if (why != null) {
            progress.printf(Locale.ROOT, "      %-6s %-18s FAIL: %s%n", plan.backend(), plan.algorithm(), why);
            progress.flush();
            return new Row(name, op, plan.backend(), plan.deviceName(), plan.algorithm(), check.against(),
                    resident == null ? check.relL2() : resident.failure().relL2(), compiled.compileMs(), Times.NONE,
                    Times.NONE, 0, samples, false, false, why, Double.NaN, Map.of());
        }
        Row row = new Row(name, op, plan.backend(), plan.deviceName(), plan.algorithm(), check.against(), check.relL2(),
                compiled.compileMs(), host, Times.of(resident.series()), resident.transfers(), samples, false, false,
                null, Double.NaN, Map.of());
        progress.printf(Locale.ROOT, "      %-6s %-18s %9.3f ms (device tensors %s ms) %9.1f Msample/s  %2d %-5s  (%s)%n",
                plan.backend(), plan.algorithm(), host.medianMs(), BenchReport.num(row.resident().medianMs(), 3),
                row.msamplesPerS(), host.calls(), Plural.noun(host.calls(), "call"), check.describe());
        if (resident.note() != null) {
            progress.println("      " + resident.note());
        }
        progress.flush();
        return row;
    }

    /** The reference output of the first {@code k} RoIs of {@code data} (and their offsets and masks). */
    private static HostTensor reference(RoiAlign op, Args data, int k) {
        RoiAlign slice = op.withRois(k);
        int bins = op.outH() * op.outW();
        Args.Builder b = Args.builder().src(data.get(Arg.SRC))
                .rois(Tensor.of(Arrays.copyOf(((HostTensor) data.get(Arg.ROIS)).toArray(), k * 5), k, 5));
        if (op.offset()) {
            b.offset(Tensor.of(Arrays.copyOf(((HostTensor) data.get(Arg.OFFSET)).toArray(), k * 2 * bins), k, 2,
                    op.outH(), op.outW()));
        }
        if (op.mask()) {
            b.mask(Tensor.of(Arrays.copyOf(((HostTensor) data.get(Arg.MASK)).toArray(), k * bins), k, 1, op.outH(),
                    op.outW()));
        }
        HostTensor y = Tensor.zeros(slice.outputShape());
        ReferenceOps.run(slice, b.dst(y).build());
        return y;
    }

    /** The outputs of the first {@code k} RoIs. */
    private static HostTensor firstRois(HostTensor out, int k) {
        int[] shape = out.shape().clone();
        int per = shape[1] * shape[2] * shape[3];
        shape[0] = k;
        return Tensor.of(Arrays.copyOf(out.toArray(), k * per), shape);
    }

    /**
     * The bilinear samples a call takes: per RoI, output channels x bins x the bin's sample grid
     * ({@code sampling_ratio} squared, or when adaptive {@code ceil(roi_h / PH) x ceil(roi_w / PW)},
     * the RoI's size on the map, at least 1 for unaligned roi_align), as {@link RoiAlign#samples}
     * counts them (in float, as the kernels size the grid).
     */
    static long samples(RoiAlign op, float[] rois) {
        return (long) op.samples(rois);
    }

    /**
     * The RoI table: {@code host-array ms} a call on host arrays (copies included on a device),
     * {@code device-tensor ms} a call on device tensors, Msample/s from the former.
     */
    static void table(List<Row> rows, PrintWriter out) {
        boolean peers = rows.stream().anyMatch(Row::peer);
        List<String> header = new ArrayList<>(List.of("RoI problem", "backend", "algorithm", "compile ms", "kernel ms",
                "host-array ms", "min..max ms", "device-tensor ms", "Msample/s"));
        List<String[]> cells = BenchReport.headed(header, peers);
        for (Row r : rows) {
            List<String> c = new ArrayList<>(List.of(r.name(), r.backend(), r.algorithm(), BenchReport.num(r.compileMs(), 1),
                    BenchReport.num(r.host().kernelMs(), 3), BenchReport.num(r.host().medianMs(), 3),
                    r.ok() ? BenchReport.num(r.host().minMs(), 3) + ".." + BenchReport.num(r.host().maxMs(), 3) : "-",
                    BenchReport.num(r.resident().medianMs(), 3), BenchReport.num(r.msamplesPerS(), 1)));
            cells.add(BenchReport.tail(c, r.speedup(), peers, r.peer() ? null : r.bestPeer(), r.peerMedians(),
                    r.peer() ? Double.NaN : r.vsBestPeer(r.host().medianMs()), r.unsupported(), r.ok(), r.relL2()));
        }
        BenchReport.alignedLeft(header, java.util.Set.of("RoI problem", "backend", "algorithm", "check", "best peer ms"),
                cells, out);
    }
}
