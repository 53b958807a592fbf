package dev.convcl;

import dev.convcl.spi.Backend;
import dev.convcl.spi.BackendException;
import dev.convcl.spi.CompiledConv;

/**
 * A spec compiled for a backend, executed many times. {@link #execute} checks the tensors
 * against the spec, then transfers and launches; nothing is compiled on this path. If the device
 * fails during a call, the call is completed on the CPU path and the plan stays there.
 * Calls on one plan are serialised; use one plan per thread for parallel calls.
 */
public final class ConvPlan implements AutoCloseable {
    private final ConvEngine engine;
    private final ConvSpec spec;
    private Backend backend;
    private CompiledConv compiled;
    private boolean closed;

    ConvPlan(ConvEngine engine, ConvSpec spec, Backend backend, CompiledConv compiled) {
        this.engine = engine;
        this.spec = spec;
        this.backend = backend;
        this.compiled = compiled;
    }

    public ConvSpec spec() {
        return spec;
    }

    /** {@code opencl} or {@code cpu}: where the next call runs (and the last one ran). */
    public synchronized String backend() {
        return backend.kind();
    }

    /** The device, e.g. {@code opencl:0 pthread-skylake (CPU, ...)}. */
    public synchronized String deviceName() {
        return backend.deviceName();
    }

    /** The algorithm the backend chose, e.g. {@code direct}. */
    public synchronized String algorithm() {
        return compiled.algorithm();
    }

    /** Kernel time of the last call in milliseconds (OpenCL profiling), NaN on the CPU path. */
    public synchronized double lastDeviceMillis() {
        return compiled.lastDeviceMillis();
    }

    /**
     * Computes {@code args.output()} from the other tensors.
     *
     * @throws IllegalArgumentException when a tensor does not match the spec (nothing is written)
     */
    public synchronized void execute(ConvArgs args) {
        if (closed) {
            throw new IllegalStateException("plan is closed: " + spec);
        }
        if (args == null) {
            throw new IllegalArgumentException("args must not be null");
        }
        args.validateFor(spec);
        try {
            compiled.execute(args);
        } catch (BackendException e) {
            if (backend == engine.cpuBackend()) {
                throw e;
            }
            engine.warnOnce("run:" + e.kind() + ":" + ConvEngine.firstLine(e.getMessage()), "OpenCL failed while running "
                    + spec + " (" + e.kind() + "): " + e.getMessage() + "; this plan continues on the CPU path");
            compiled.close();
            backend = engine.cpuBackend();
            compiled = engine.compileOnCpu(spec);
            compiled.execute(args);
        }
    }

    /** {@link #execute(ConvArgs)} for conv2d; {@code bias} may be null when the spec has none. */
    public void execute(Tensor input, Tensor weight, Tensor bias, Tensor output) {
        execute(ConvArgs.conv2d(input, weight, bias, output));
    }

    /** Releases the plan's device buffers and kernels; idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            compiled.close();
            engine.planClosed(this);
        }
    }
}
