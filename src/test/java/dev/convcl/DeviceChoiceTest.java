package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.testing.SystemProperties;
import org.junit.jupiter.api.Test;

/** The device a library's {@code Engine.create()} takes from outside the code. */
class DeviceChoiceTest {
    /**
     * A bad value set from outside the code names where it came from, since the user's code has
     * no such string to find (the variable's case is covered by the CLI's forked-JVM test).
     */
    @Test
    void aBadDefaultNamesItsSource() throws Exception {
        SystemProperties.run(DeviceChoice.PROPERTY, "gpu", () -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, DeviceChoice::fromEnvironment);
            assertEquals("device 'gpu' is not one of auto, cpu, opencl, opencl:N (N >= 0) (from -Dconvcl.device)", e.getMessage());
            System.setProperty(DeviceChoice.PROPERTY, "cpu");
            assertEquals(DeviceChoice.CPU, DeviceChoice.fromEnvironment());
        });
    }

    /**
     * A device that cannot be opened, asked for from outside the code ({@code Engine.create()}),
     * names the setting that asked for it: no machine has OpenCL device 99, and one without
     * OpenCL has none at all.
     */
    @Test
    void aDeviceThatCannotBeOpenedNamesTheSettingThatAskedForIt() throws Exception {
        SystemProperties.run(DeviceChoice.PROPERTY, "opencl:99", () -> {
            DeviceUnavailableException e = assertThrows(DeviceUnavailableException.class, Engine::create);
            assertTrue(e.getMessage().startsWith("device opencl:99 asked for, but ")
                    && e.getMessage().endsWith(" (from -Dconvcl.device)"), e.getMessage());
            assertEquals(DeviceChoice.parse("opencl:99"), e.choice());
            assertEquals(e.getMessage(), "device opencl:99 asked for, but " + e.reason() + " (from -Dconvcl.device)");
            // asked for in code, the line names no setting
            DeviceUnavailableException inCode = assertThrows(DeviceUnavailableException.class,
                    () -> Engine.create(DeviceChoice.parse("opencl:99")));
            assertEquals("device opencl:99 asked for, but " + inCode.reason(), inCode.getMessage());
        });
    }

    /** The setting is named as written: {@code opencl:099}, not the {@code opencl:99} it reads as. */
    @Test
    void aDeviceThatCannotBeOpenedIsNamedAsTheSettingWritesIt() throws Exception {
        SystemProperties.run(DeviceChoice.PROPERTY, " OpenCL:099 ", () -> {
            DeviceUnavailableException e = assertThrows(DeviceUnavailableException.class, Engine::create);
            assertEquals("device OpenCL:099 asked for, but " + e.reason() + " (from -Dconvcl.device)", e.getMessage());
            assertEquals(DeviceChoice.parse("opencl:99"), e.choice());
        });
    }

    /** A device index too large for an int is out of range, not "not one of" the forms it has. */
    @Test
    void anIndexBeyondAnIntIsOutOfRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DeviceChoice.parse("opencl:99999999999"));
        assertEquals("device 'opencl:99999999999': N=99999999999 is out of range for a device index (at most 2147483647)",
                e.getMessage());
        assertEquals(new DeviceChoice(DeviceChoice.Kind.OPENCL, 2147483647), DeviceChoice.parse("opencl:2147483647"));
        e = assertThrows(IllegalArgumentException.class, () -> DeviceChoice.parse("opencl:-1"));
        assertEquals("device 'opencl:-1' is not one of auto, cpu, opencl, opencl:N (N >= 0)", e.getMessage());
        // N is ASCII digits only, as documented: no sign, no other script's digits (Integer.parseInt takes both)
        for (String loose : new String[] {"opencl:+1", "opencl:\u0663", "opencl: 1"}) {
            e = assertThrows(IllegalArgumentException.class, () -> DeviceChoice.parse(loose), loose);
            assertEquals("device '" + loose + "' is not one of auto, cpu, opencl, opencl:N (N >= 0)", e.getMessage());
        }
    }
}
