package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.testing.OpenClTestDevice;
import dev.convcl.testing.WarnCapture;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The INFO line naming the device ("convcl on opencl:0 ...") comes once per device and process, not
 * once per {@link Engine#create}: a library trial's application that opened an engine per request
 * logged it on every request. Later engines on the same device say it at DEBUG. Through
 * {@link Engine#create}, on a real device; {@link EngineAnnounceTest} checks the rule itself on any machine.
 */
class EngineAnnounceOpenClTest {
    @Test
    void theDeviceIsNamedAtInfoOncePerProcess() {
        try (WarnCapture log = WarnCapture.atDebug(Engine.class)) {
            String device;
            try (Engine first = OpenClTestDevice.engine()) {
                device = first.deviceName();
            }
            for (int i = 0; i < 2; i++) {
                try (Engine next = OpenClTestDevice.engine()) {
                    assertEquals(device, next.deviceName(), "the same device again");
                }
            }
            List<String> named = log.messages().stream().filter(m -> m.equals("convcl on " + device)).toList();
            // three engines on one device: each says which device at DEBUG or INFO, and at most one at INFO
            // (none here when an earlier test of this JVM opened one before)
            assertEquals(3, named.size(), "each engine names its device: " + log.messages());
            assertTrue(log.infos().stream().filter(m -> m.startsWith("convcl on ")).count() <= 1,
                    "one INFO line for the device in a process: " + log.infos());
        }
    }
}
