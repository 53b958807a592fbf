package dev.convcl.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One benchmark result: a problem on one backend. Times are milliseconds; NaN where not
 * measured (kernel time on the CPU path, every time of a failed row).
 *
 * <p>Two wall times are measured, with the weights and bias bound to the plan once
 * ({@code Plan.bind}): on host arrays (each call uploads its input, and downloads its output, on
 * an OpenCL device: the {@code median_ms} figure) and on device tensors allocated once (the call
 * reads and writes device memory and waits for its result: {@code device_median_ms}). On the CPU
 * path both are Java arrays.
 *
 * @param name            the problem's name in the suite
 * @param spec            the problem's one-line form
 * @param op              {@code conv2d} or {@code deform2d}
 * @param backend         {@code opencl} or {@code cpu}: where the timed calls ran
 * @param device          the device's description
 * @param algorithm       what the backend chose, e.g. {@code direct}
 * @param ok              whether the result matched (relative L2 within the tolerance)
 * @param checkedWith     what the result was compared to: {@code reference}, {@code cpu}, or both
 * @param relL2           the largest relative L2 error of those comparisons (NaN if none)
 * @param compileMs       plan creation: kernel build (or cache load) and buffer allocation
 * @param kernelMs        median kernel time from OpenCL profiling events (host-array calls)
 * @param medianMs        median wall time of a call on host arrays, transfers included
 * @param minMs           fastest call on host arrays
 * @param maxMs           slowest call on host arrays
 * @param calls           how many calls on host arrays were timed
 * @param deviceMedianMs  median wall time of a call on device-resident input and output
 * @param deviceMinMs     fastest call on device tensors
 * @param deviceMaxMs     slowest call on device tensors
 * @param deviceCalls     how many calls on device tensors were timed
 * @param deviceTransfers host-device copies in one call on device tensors (the most seen; 0 unless
 *                        the plan fell back to the CPU path)
 * @param gflops          2*MACs / median wall time on host arrays
 * @param kernelGflops    2*MACs / median kernel time
 * @param deviceGflops    2*MACs / median wall time on device tensors
 * @param peakShare       kernel (else wall) GFLOP/s over the device's measured FMA peak, NaN if unknown
 * @param cpuMedianMs     the CPU path's median wall time (host arrays) on the same problem
 * @param speedup         cpuMedianMs / medianMs
 * @param error           why the row failed (or, for an unsupported peer row, why it was not run), or null
 * @param batch           the problem's batch size (n)
 * @param peer            whether the row is a peer's ({@link BenchPeer}): another library on the same problem
 * @param unsupported     a peer row the peer cannot run (not ok, but no FAIL): {@code error} says why
 * @param limitShare      gflops over the machine's FMA limit ({@code --fma-limit}), NaN if unknown
 * @param vsBestPeer      gflops over the best peer's on the same problem and batch (convcl rows), NaN if none
 * @param deviceVsBestPeer deviceGflops over the best peer's (convcl rows with a device-tensor series), NaN if none
 * @param peerMedians     convcl rows: each peer asked for, by name, with its median wall ms on the same problem
 *                        and batch (NaN where it did not run or FAILed); empty on a peer's row
 * @param bestPeer        convcl rows: the name of the fastest peer that ran the problem ok, or null
 */
record BenchRow(String name, String spec, String op, String backend, String device, String algorithm, boolean ok,
                String checkedWith, double relL2, double compileMs, double kernelMs, double medianMs, double minMs,
                double maxMs, int calls, double deviceMedianMs, double deviceMinMs, double deviceMaxMs, int deviceCalls,
                long deviceTransfers, double gflops, double kernelGflops, double deviceGflops, double peakShare, double cpuMedianMs,
                double speedup, String error, int batch, boolean peer, boolean unsupported, double limitShare,
                double vsBestPeer, double deviceVsBestPeer, Map<String, Double> peerMedians, String bestPeer) {

    /** Copies {@code peerMedians} (an ordered, unmodifiable map; null is empty). */
    BenchRow {
        peerMedians = peerMedians == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(peerMedians));
    }

    /** The JSON rows of the per-problem table carry this {@code section}; the chain's carry others. */
    static final String SECTION = "problem";

    /** A convcl row of batch 1 without the peer comparison. */
    BenchRow(String name, String spec, String op, String backend, String device, String algorithm, boolean ok,
             String checkedWith, double relL2, double compileMs, double kernelMs, double medianMs, double minMs,
             double maxMs, int calls, double deviceMedianMs, double deviceMinMs, double deviceMaxMs, int deviceCalls,
             long deviceTransfers, double gflops, double kernelGflops, double deviceGflops, double peakShare,
             double cpuMedianMs, double speedup, String error) {
        this(name, spec, op, backend, device, algorithm, ok, checkedWith, relL2, compileMs, kernelMs, medianMs, minMs,
                maxMs, calls, deviceMedianMs, deviceMinMs, deviceMaxMs, deviceCalls, deviceTransfers, gflops,
                kernelGflops, deviceGflops, peakShare, cpuMedianMs, speedup, error, 1, false, false, Double.NaN,
                Double.NaN, Double.NaN, Map.of(), null);
    }

    /** A row without device-tensor timings (a failed row, or one the device-resident calls were not run for). */
    BenchRow(String name, String spec, String op, String backend, String device, String algorithm, boolean ok,
             String checkedWith, double relL2, double compileMs, double kernelMs, double medianMs, double minMs,
             double maxMs, int calls, double gflops, double kernelGflops, double peakShare, double cpuMedianMs,
             double speedup, String error) {
        this(name, spec, op, backend, device, algorithm, ok, checkedWith, relL2, compileMs, kernelMs, medianMs, minMs,
                maxMs, calls, Double.NaN, Double.NaN, Double.NaN, 0, 0, gflops, kernelGflops, Double.NaN, peakShare,
                cpuMedianMs, speedup, error);
    }

    /** The row's fields in report order, with JSON-ready names; NaN stays NaN (writers turn it into null/empty). */
    Map<String, Object> fields() {
        Map<String, Object> m = head(name, op, backend, algorithm, ok, checkedWith, relL2, compileMs);
        series(m, kernelMs, medianMs, minMs, maxMs, calls, deviceMedianMs, deviceMinMs, deviceMaxMs, deviceCalls,
                deviceTransfers);
        m.put("gflops", gflops);
        m.put("kernel_gflops", kernelGflops);
        m.put("device_gflops", deviceGflops);
        m.put("peak_share", peakShare);
        m.put("cpu_median_ms", cpuMedianMs);
        m.put("speedup_vs_cpu", speedup);
        m.put("fma_limit_share", limitShare);
        m.put("vs_best_peer", vsBestPeer);
        m.put("device_vs_best_peer", deviceVsBestPeer);
        if (!peer) {
            m.put("best_peer", bestPeer);
            m.put("best_peer_median_ms", bestPeer == null ? Double.NaN : peerMedians.getOrDefault(bestPeer, Double.NaN));
            // Each peer's median beside convcl's, as "<peer>_median_ms" (like cpu_median_ms).
            peerMedians.forEach((peerName, ms) -> m.put(peerName + "_median_ms", ms));
        }
        tail(m, ok, batch, peer, unsupported, device, spec, error, SECTION);
        return m;
    }

    /** The first fields of a report row, the same in every table that times calls: which, where, checked how. */
    static Map<String, Object> head(String name, String op, String backend, String algorithm, boolean ok,
                                    String checkedWith, double relL2, double compileMs) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("op", op);
        m.put("backend", backend);
        m.put("algorithm", algorithm);
        m.put("ok", ok);
        m.put("checked_with", checkedWith);
        m.put("rel_l2", relL2);
        m.put("compile_ms", compileMs);
        return m;
    }

    /** The timing fields of a report row: the host-array series, then the device-tensor series. */
    static void series(Map<String, Object> m, double kernelMs, double medianMs, double minMs, double maxMs, int calls,
                       double deviceMedianMs, double deviceMinMs, double deviceMaxMs, int deviceCalls,
                       long deviceTransfers) {
        m.put("kernel_ms", kernelMs);
        m.put("median_ms", medianMs);
        m.put("min_ms", minMs);
        m.put("max_ms", maxMs);
        m.put("calls", calls);
        m.put("device_median_ms", deviceMedianMs);
        m.put("device_min_ms", deviceMinMs);
        m.put("device_max_ms", deviceMaxMs);
        m.put("device_calls", deviceCalls);
        m.put("device_host_transfers", deviceTransfers);
    }

    /**
     * A row's outcome in one word, for scripts: {@code "ok"} (checked and timed), {@code "fail"} (a
     * FAIL row: {@code error} says why) or {@code "n/a"} (a peer that cannot run the problem; its
     * {@code ok} is false too, so filter on this, not on {@code ok}, to count failures).
     */
    static String status(boolean ok, boolean unsupported) {
        return unsupported ? "n/a" : ok ? "ok" : "fail";
    }

    /** The last fields of a report row: batch, whose, its outcome, the full problem and the error, and its table. */
    static void tail(Map<String, Object> m, boolean ok, int batch, boolean peer, boolean unsupported, String device,
                     String spec, String error, String section) {
        m.put("batch", batch);
        m.put("peer", peer);
        m.put("unsupported", unsupported);
        m.put("status", status(ok, unsupported));
        m.put("device", device);
        m.put("spec", spec);
        m.put("error", error);
        m.put("section", section);
    }

    /** Whether the row counts as a FAIL: not ok, and not a peer's "n/a". */
    boolean failed() {
        return !ok && !unsupported;
    }

    /** The rate a share of the FMA peak is taken of: kernel GFLOP/s where known, else wall GFLOP/s; NaN for a failed row. */
    double peakRate() {
        return !ok ? Double.NaN : Double.isNaN(kernelGflops) ? gflops : kernelGflops;
    }

    BenchRow withPeakShare(double share) {
        return new BenchRow(name, spec, op, backend, device, algorithm, ok, checkedWith, relL2, compileMs, kernelMs,
                medianMs, minMs, maxMs, calls, deviceMedianMs, deviceMinMs, deviceMaxMs, deviceCalls, deviceTransfers, gflops,
                kernelGflops, deviceGflops, share, cpuMedianMs, speedup, error, batch, peer, unsupported, limitShare,
                vsBestPeer, deviceVsBestPeer, peerMedians, bestPeer);
    }

    BenchRow withCpuMedian(double cpuMs) {
        return new BenchRow(name, spec, op, backend, device, algorithm, ok, checkedWith, relL2, compileMs, kernelMs,
                medianMs, minMs, maxMs, calls, deviceMedianMs, deviceMinMs, deviceMaxMs, deviceCalls, deviceTransfers, gflops,
                kernelGflops, deviceGflops, peakShare, cpuMs, cpuMs / medianMs, error, batch, peer, unsupported, limitShare,
                vsBestPeer, deviceVsBestPeer, peerMedians, bestPeer);
    }

    BenchRow withBatch(int b) {
        return new BenchRow(name, spec, op, backend, device, algorithm, ok, checkedWith, relL2, compileMs, kernelMs,
                medianMs, minMs, maxMs, calls, deviceMedianMs, deviceMinMs, deviceMaxMs, deviceCalls, deviceTransfers, gflops,
                kernelGflops, deviceGflops, peakShare, cpuMedianMs, speedup, error, b, peer, unsupported, limitShare,
                vsBestPeer, deviceVsBestPeer, peerMedians, bestPeer);
    }

    /** The row with its share of the FMA limit and its ratios to the best peer. */
    BenchRow withComparison(double limit, double vsPeer, double deviceVsPeer, Map<String, Double> medians, String best) {
        return new BenchRow(name, spec, op, backend, device, algorithm, ok, checkedWith, relL2, compileMs, kernelMs,
                medianMs, minMs, maxMs, calls, deviceMedianMs, deviceMinMs, deviceMaxMs, deviceCalls, deviceTransfers, gflops,
                kernelGflops, deviceGflops, peakShare, cpuMedianMs, speedup, error, batch, peer, unsupported, limit, vsPeer,
                deviceVsPeer, medians, best);
    }

    /**
     * A peer's row: timed ({@code error} null), FAILed (its result disagreed with the reference, or
     * it threw) or unsupported.
     */
    static BenchRow peer(String name, dev.convcl.Convolution spec, String peerName, String description, String algorithm,
                         String checkedWith, double relL2, double prepareMs, BenchPeer.Timing timing, String error,
                         boolean unsupported) {
        boolean ok = error == null;
        double median = ok ? timing.median() : Double.NaN;
        return new BenchRow(name, spec.toString(), spec.name(), peerName, description, algorithm, ok, checkedWith, relL2,
                prepareMs, Double.NaN, median, ok ? timing.min() : Double.NaN, ok ? timing.max() : Double.NaN,
                ok ? timing.wallMs().length : 0, Double.NaN, Double.NaN, Double.NaN, 0, 0,
                ok ? spec.flops() / (median * 1e6) : Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                error, spec.n(), true, unsupported, Double.NaN, Double.NaN, Double.NaN, Map.of(), null);
    }
}
