package dev.convcl.opencl;

import static org.jocl.CL.CL_MEM_READ_ONLY;
import static org.jocl.CL.CL_MEM_WRITE_ONLY;

import dev.convcl.ConvArgs;
import dev.convcl.ConvSpec;

/**
 * The device buffers of one plan, sized for its spec and allocated once: input, weight, output,
 * and bias, offset and mask where the spec uses them. {@link #upload} copies a call's inputs,
 * {@link #download} its output. {@link #close()} releases them, idempotently and quietly.
 */
final class PlanBuffers implements AutoCloseable {
    final DeviceBuffer input;
    final DeviceBuffer weight;
    final DeviceBuffer output;
    /** Null when the spec has no bias. */
    final DeviceBuffer bias;
    /** Null for conv2d. */
    final DeviceBuffer offset;
    /** Null when the spec has no mask. */
    final DeviceBuffer mask;

    PlanBuffers(OpenClContext ctx, ConvSpec spec) {
        DeviceBuffer in = null, wt = null, out = null, b = null, off = null, m = null;
        try {
            in = ctx.allocate("input", spec.inputSize() * 4, CL_MEM_READ_ONLY);
            wt = ctx.allocate("weight", spec.weightSize() * 4, CL_MEM_READ_ONLY);
            out = ctx.allocate("output", spec.outputSize() * 4, CL_MEM_WRITE_ONLY);
            b = spec.bias() ? ctx.allocate("bias", (long) spec.k() * 4, CL_MEM_READ_ONLY) : null;
            off = spec.isDeformable() ? ctx.allocate("offset", spec.offsetSize() * 4, CL_MEM_READ_ONLY) : null;
            m = spec.mask() ? ctx.allocate("mask", spec.maskSize() * 4, CL_MEM_READ_ONLY) : null;
        } catch (RuntimeException e) {
            for (DeviceBuffer d : new DeviceBuffer[] {m, off, b, out, wt, in}) {
                if (d != null) {
                    d.close();
                }
            }
            throw e;
        }
        input = in;
        weight = wt;
        output = out;
        bias = b;
        offset = off;
        mask = m;
    }

    /** Copies the call's input tensors to the device (blocking). */
    void upload(ConvArgs args) {
        input.write(args.input());
        weight.write(args.weight());
        if (bias != null) {
            bias.write(args.bias());
        }
        if (offset != null) {
            offset.write(args.offset());
        }
        if (mask != null) {
            mask.write(args.mask());
        }
    }

    /** Copies the device output into {@code args.output()} (blocking). */
    void download(ConvArgs args) {
        output.read(args.output());
    }

    @Override
    public void close() {
        for (DeviceBuffer d : new DeviceBuffer[] {mask, offset, bias, output, weight, input}) {
            if (d != null) {
                d.close();
            }
        }
    }
}
