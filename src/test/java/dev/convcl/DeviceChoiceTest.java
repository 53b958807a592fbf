package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The device a library's {@code Engine.create()} takes from outside the code. */
class DeviceChoiceTest {
    /**
     * A bad value set from outside the code names where it came from, since the user's code has
     * no such string to find (the variable's case is covered by the CLI's forked-JVM test).
     */
    @Test
    void aBadDefaultNamesItsSource() {
        String before = System.getProperty(DeviceChoice.PROPERTY);
        try {
            System.setProperty(DeviceChoice.PROPERTY, "gpu");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, DeviceChoice::fromEnvironment);
            assertEquals("device 'gpu' is not one of auto, cpu, opencl, opencl:N (N >= 0) (from -Dconvcl.device)", e.getMessage());
            System.setProperty(DeviceChoice.PROPERTY, "cpu");
            assertEquals(DeviceChoice.CPU, DeviceChoice.fromEnvironment());
        } finally {
            if (before == null) {
                System.clearProperty(DeviceChoice.PROPERTY);
            } else {
                System.setProperty(DeviceChoice.PROPERTY, before);
            }
        }
    }
}
