package dev.convcl.testing;

import dev.convcl.DeviceChoice;
import dev.convcl.Engine;
import java.lang.reflect.InvocationTargetException;

/**
 * Run by {@code ModuleTest} in a JVM where convcl is a named module on the module path and this
 * class is on the class path, as a library user's code is: reports on standard error, as
 * {@code RESULT key=value} lines, which module the API came from, whether the CPU path's vector
 * kernels loaded, and what happened when it reached for an internal class.
 */
public final class ModuleProbe {
    private ModuleProbe() {
    }

    public static void main(String[] args) throws ReflectiveOperationException {
        System.err.println("RESULT module=" + Engine.class.getModule().getName());
        try (Engine cpu = Engine.create(DeviceChoice.CPU)) {
            System.err.println("RESULT cpu=" + cpu.deviceName());
            Class<?> internals = Class.forName("dev.convcl.spi.Internals");
            try {
                internals.getMethod("primary", Engine.class).invoke(null, cpu);
                System.err.println("RESULT internals=reachable");
            } catch (IllegalAccessException e) {
                System.err.println("RESULT internals=refused: " + e.getMessage());
            } catch (InvocationTargetException e) {
                System.err.println("RESULT internals=reachable (it threw " + e.getCause() + ")");
            }
        }
    }
}
