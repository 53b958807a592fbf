package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.convcl.testing.OpenClTestDevice;
import dev.convcl.testing.WarnCapture;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The INFO line naming the device ("convcl on opencl:0 ...") comes once per device and process, not
 * once per {@link Engine#create}: a library trial's application that opened an engine per request
 * logged it on every request. Later engines on the same device say it at DEBUG.
 */
class EngineAnnounceOpenClTest {
    @Test
    void theDeviceIsNamedAtInfoOncePerProcess() {
        Logger logger = (Logger) LoggerFactory.getLogger(Engine.class);
        Level was = logger.getLevel();
        logger.setLevel(Level.DEBUG);
        try (WarnCapture log = WarnCapture.on(Engine.class)) {
            String device;
            try (Engine first = OpenClTestDevice.engine()) {
                device = first.backend();
            }
            try (Engine second = OpenClTestDevice.engine(); Engine third = OpenClTestDevice.engine()) {
                assertEquals(device, second.backend());
                assertEquals(device, third.backend());
            }
            List<String> named = log.messages().stream().filter(m -> m.startsWith("convcl on ")).toList();
            // three engines on one device: each says which device at DEBUG or INFO, and at most one at INFO
            // (none here when an earlier test of this JVM opened one before)
            assertEquals(3, named.size(), "each engine names its device: " + log.messages());
            assertTrue(log.infos().stream().filter(m -> m.startsWith("convcl on ")).count() <= 1,
                    "one INFO line for the device in a process: " + log.infos());
        } finally {
            logger.setLevel(was);
        }
    }
}
