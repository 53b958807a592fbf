package dev.convcl.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convcl.Engine;
import dev.convcl.Operation;
import dev.convcl.Plan;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One engine per {@link Target} for a test class, opened on first use and closed after the
 * class's tests: register it as {@code @RegisterExtension static final Engines ENGINES = new
 * Engines();} and ask {@code ENGINES.get(target)} in each test (which skips, or fails, an OpenCL
 * case without a device).
 */
public final class Engines implements AfterAllCallback {
    private final Map<Target, Engine> engines = new EnumMap<>(Target.class);

    /** The class's engine on {@code target}, opened now if it is not open yet. */
    public synchronized Engine get(Target target) {
        target.require();
        Engine e = engines.get(target);
        if (e == null || e.isClosed()) {
            e = target.open();
            engines.put(target, e);
        }
        return e;
    }

    /**
     * Runs {@code check} on a plan of every implementation of the class's engine on {@code target}
     * that accepts {@code op}, as {@link Implementations#check} does: a failure names the
     * implementation, and a closed plan must leave nothing behind.
     */
    public void checkEachImplementation(Target target, Operation op, Consumer<Plan> check) {
        Implementations.check(get(target), target, op, check);
    }

    /** Closes the engine on {@code target}, if open; the next {@link #get} opens a new one. */
    public synchronized void close(Target target) {
        Engine e = engines.remove(target);
        if (e != null) {
            e.close();
        }
    }

    @Override
    public synchronized void afterAll(ExtensionContext context) {
        for (Engine e : engines.values()) {
            e.close();
        }
        engines.clear();
    }

    /**
     * What {@code engine} holds now: open plans, device memory and, on OpenCL, live buffers,
     * kernels and launch events. Equal before and after a plan's life when closing it releases
     * everything the plan took.
     */
    public static String holdings(Engine engine) {
        Engine.Stats s = engine.stats();
        String held = s.openPlans() + " open plans, " + s.deviceBytes() + " bytes of device memory";
        if ("opencl".equals(engine.backend())) {
            held += ", " + OpenClTestDevice.context(engine).liveObjects() + " live OpenCL objects";
        }
        return held;
    }

    /** Checks that {@code engine} holds what it held before ({@link #holdings}). */
    public static void assertHolds(Engine engine, String before, String what) {
        assertEquals(before, holdings(engine), what + ": left behind on the device");
    }
}
