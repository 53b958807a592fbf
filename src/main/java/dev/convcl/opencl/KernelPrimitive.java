package dev.convcl.opencl;

import dev.convcl.Arg;
import dev.convcl.Operation;
import dev.convcl.spi.Memory;
import dev.convcl.spi.Primitive;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.jocl.CLException;

/**
 * A primitive that runs one kernel on its arguments' device buffers: a call binds the buffers
 * of the call (and the bound ones) to the kernel's arguments and enqueues one launch; nothing is
 * copied to or from the host. Subclasses say how the arguments are bound and how large the
 * NDRange is.
 *
 * @param <T> the operation it computes
 */
abstract class KernelPrimitive<T extends Operation> implements Primitive {
    final OpenClContext ctx;
    final T spec;
    private final OpenClKernel kernel;
    private final Map<Arg, Memory> bound = new EnumMap<>(Arg.class);
    /** The last call's launches, the timed ones of {@link #lastKernelMillis()}; a subclass adds its own (a packing). */
    final LaunchEvents events;

    /** Takes ownership of {@code kernel}. */
    KernelPrimitive(OpenClContext ctx, T spec, OpenClKernel kernel) {
        this.ctx = ctx;
        this.spec = spec;
        this.kernel = kernel;
        this.events = new LaunchEvents(ctx);
    }

    /**
     * Sets every argument of {@code k} from the call's buffers, on every call: {@link OpenClKernel}
     * skips an argument that already holds the value. A subclass may first enqueue work the launch
     * reads (a packing of the call's own weights), adding its event to {@link #events}.
     */
    abstract void setArgs(OpenClKernel k, Map<Arg, DeviceBuffer> args);

    /** The NDRange's global size, a multiple of {@link #localSize()} in each dimension. */
    abstract long[] globalSize();

    abstract long[] localSize();

    @Override
    public synchronized void bind(Arg role, Memory memory) {
        bound.put(role, memory);
    }

    @Override
    public synchronized void execute(Map<Arg, Memory> args) {
        Map<Arg, DeviceBuffer> all = buffers(bound, args);
        try {
            events.reset();
            setArgs(kernel, all);
            events.add(kernel.launch(globalSize(), localSize()));
        } catch (CLException e) {
            throw OpenClErrors.translate("running " + algorithm() + " for " + spec, e);
        }
    }

    /** The call's arguments over the bound ones, as device buffers. */
    static Map<Arg, DeviceBuffer> buffers(Map<Arg, Memory> bound, Map<Arg, Memory> args) {
        Map<Arg, DeviceBuffer> all = new EnumMap<>(Arg.class);
        for (Map<Arg, Memory> m : List.of(bound, args)) {
            for (Map.Entry<Arg, Memory> e : m.entrySet()) {
                if (!(e.getValue() instanceof DeviceBuffer b)) {
                    throw new IllegalArgumentException(e.getKey().displayName() + " is not OpenCL memory: " + e.getValue());
                }
                all.put(e.getKey(), b);
            }
        }
        return all;
    }

    /** {@code args.get(role)}, or {@code other}'s buffer when the role is absent (a kernel argument that is not read). */
    static DeviceBuffer orElse(Map<Arg, DeviceBuffer> args, Arg role, Arg other) {
        DeviceBuffer b = args.get(role);
        return b != null ? b : args.get(other);
    }

    @Override
    public synchronized double lastKernelMillis() {
        return events.millis();
    }

    @Override
    public synchronized void close() {
        events.close();
        kernel.close();
        bound.clear();
    }
}
