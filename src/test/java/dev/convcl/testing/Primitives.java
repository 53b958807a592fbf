package dev.convcl.testing;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.DataType;
import dev.convcl.HostTensor;
import dev.convcl.Operation;
import dev.convcl.Tensor;
import dev.convcl.spi.Backend;
import dev.convcl.spi.Implementation;
import dev.convcl.spi.Memory;
import dev.convcl.spi.Primitive;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Runs an SPI {@link Primitive} on host tensors through its {@link Backend}, the way a plan's
 * convenience path does: tensors the backend can view are used in place ({@link Backend#wrap}),
 * the others are copied into memory of the backend and the output copied back. For tests that
 * check one implementation, one configuration or one backend instance directly, without the
 * engine's fallback.
 */
public final class Primitives {
    private Primitives() {
    }

    /**
     * Executes {@code p} on {@code args} (host tensors, the output's values uploaded too) and waits
     * until the output is in place.
     */
    public static void run(Backend backend, Primitive p, Args args) {
        Map<Arg, Memory> mem = new EnumMap<>(Arg.class);
        List<Memory> staged = new ArrayList<>();
        HostTensor out = null;
        Memory outMemory = null;
        try {
            for (Map.Entry<Arg, Tensor> e : args.asMap().entrySet()) {
                HostTensor h = (HostTensor) e.getValue();
                Memory m = backend.wrap(h);
                if (m == null) {
                    m = backend.allocate(e.getKey().displayName(), (long) h.size() * DataType.F32.bytes());
                    staged.add(m);
                    if (e.getKey().isOutput()) {
                        out = h;
                        outMemory = m;
                    }
                    // the output too: an operation that writes part of it (ChannelCopy) keeps the rest
                    backend.write(m, h);
                }
                mem.put(e.getKey(), m);
            }
            p.execute(mem);
            if (outMemory != null) {
                backend.read(outMemory, out);
            }
            backend.finish();
        } finally {
            staged.forEach(Memory::close);
        }
    }

    /** Runs {@code p} on {@code args} with a fresh NaN-poisoned output and returns that output. */
    public static float[] output(Backend backend, Primitive p, Convolution op, Args args) {
        Args fresh = Tensors.withFreshOutput(args, op);
        run(backend, p, fresh);
        return Tensors.out(fresh);
    }

    /** The first implementation of {@code backend} that accepts {@code op}: what selection picks. */
    public static Implementation selected(Backend backend, Operation op) {
        for (Implementation impl : backend.implementations()) {
            if (impl.validate(op).isEmpty()) {
                return impl;
            }
        }
        throw new IllegalStateException("no implementation of " + backend.kind() + " accepts " + op);
    }

    /** Every implementation of {@code backend} that accepts {@code op}, in selection order. */
    public static List<Implementation> accepting(Backend backend, Operation op) {
        List<Implementation> all = new ArrayList<>();
        for (Implementation impl : backend.implementations()) {
            if (impl.validate(op).isEmpty()) {
                all.add(impl);
            }
        }
        return all;
    }

    /** The implementation named {@code name}. */
    public static Implementation named(Backend backend, String name) {
        for (Implementation impl : backend.implementations()) {
            if (impl.name().equals(name)) {
                return impl;
            }
        }
        throw new IllegalArgumentException("no implementation " + name + " on " + backend.kind());
    }

    /** A primitive for {@code op} from the implementation selection picks, with its default configuration. */
    public static Primitive compile(Backend backend, Operation op) {
        return selected(backend, op).create(op, null);
    }
}
