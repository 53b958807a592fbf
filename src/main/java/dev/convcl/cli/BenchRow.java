package dev.convcl.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One benchmark result: a problem on one backend. Times are milliseconds; NaN where not
 * measured (kernel time on the CPU path, every time of a failed row).
 *
 * @param name          the problem's name in the suite
 * @param spec          the problem's one-line form
 * @param op            {@code conv2d} or {@code deform2d}
 * @param backend       {@code opencl} or {@code cpu}: where the timed calls ran
 * @param device        the device's description
 * @param algorithm     what the backend chose, e.g. {@code direct}
 * @param ok            whether the result matched (relative L2 within the tolerance)
 * @param checkedWith   what the result was compared to: {@code reference}, {@code cpu}, or both
 * @param relL2         the largest relative L2 error of those comparisons (NaN if none)
 * @param compileMs     plan creation: kernel build (or cache load) and buffer allocation
 * @param kernelMs      median kernel time from OpenCL profiling events
 * @param medianMs      median wall time of a call, transfers included
 * @param minMs         fastest call
 * @param maxMs         slowest call
 * @param calls         how many calls were timed
 * @param gflops        2*MACs / median wall time
 * @param kernelGflops  2*MACs / median kernel time
 * @param peakShare     kernel (else wall) GFLOP/s over the device's measured FMA peak, NaN if unknown
 * @param cpuMedianMs   the CPU path's median wall time on the same problem
 * @param speedup       cpuMedianMs / medianMs
 * @param error         why the row failed, or null
 */
record BenchRow(String name, String spec, String op, String backend, String device, String algorithm, boolean ok,
                String checkedWith, double relL2, double compileMs, double kernelMs, double medianMs, double minMs,
                double maxMs, int calls, double gflops, double kernelGflops, double peakShare, double cpuMedianMs,
                double speedup, String error) {

    /** The row's fields in report order, with JSON-ready names; NaN stays NaN (writers turn it into null/empty). */
    Map<String, Object> fields() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("op", op);
        m.put("backend", backend);
        m.put("algorithm", algorithm);
        m.put("ok", ok);
        m.put("checked_with", checkedWith);
        m.put("rel_l2", relL2);
        m.put("compile_ms", compileMs);
        m.put("kernel_ms", kernelMs);
        m.put("median_ms", medianMs);
        m.put("min_ms", minMs);
        m.put("max_ms", maxMs);
        m.put("calls", calls);
        m.put("gflops", gflops);
        m.put("kernel_gflops", kernelGflops);
        m.put("peak_share", peakShare);
        m.put("cpu_median_ms", cpuMedianMs);
        m.put("speedup_vs_cpu", speedup);
        m.put("device", device);
        m.put("spec", spec);
        m.put("error", error);
        return m;
    }

    /** The rate a share of the FMA peak is taken of: kernel GFLOP/s where known, else wall GFLOP/s; NaN for a failed row. */
    double peakRate() {
        return !ok ? Double.NaN : Double.isNaN(kernelGflops) ? gflops : kernelGflops;
    }

    BenchRow withPeakShare(double share) {
        return new BenchRow(name, spec, op, backend, device, algorithm, ok, checkedWith, relL2, compileMs, kernelMs,
                medianMs, minMs, maxMs, calls, gflops, kernelGflops, share, cpuMedianMs, speedup, error);
    }

    BenchRow withCpuMedian(double cpuMs) {
        return new BenchRow(name, spec, op, backend, device, algorithm, ok, checkedWith, relL2, compileMs, kernelMs,
                medianMs, minMs, maxMs, calls, gflops, kernelGflops, peakShare, cpuMs, cpuMs / medianMs, error);
    }
}
