package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convcl.testing.WarnCapture;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The line naming an engine's device is INFO the first time a process opens an engine on that
 * device and DEBUG after (a library trial's application that opened an engine per request logged
 * the same INFO line on every request); each device is announced once at INFO.
 */
class EngineAnnounceTest {
    @Test
    void aDeviceIsNamedAtInfoOnceThenAtDebug() {
        String a = "opencl:0 test device " + UUID.randomUUID();
        String b = "opencl:1 test device " + UUID.randomUUID();
        try (WarnCapture log = WarnCapture.atDebug(Engine.class)) {
            Engine.announce(a);
            Engine.announce(a);
            Engine.announce(b);
            Engine.announce(a);
            List<String> all = log.messages().stream().filter(m -> m.contains("test device")).toList();
            assertEquals(List.of("convcl on " + a, "convcl on " + a, "convcl on " + b, "convcl on " + a), all,
                    "every engine names its device");
            assertEquals(List.of("convcl on " + a, "convcl on " + b),
                    log.infos().stream().filter(m -> m.contains("test device")).toList(), "once a device at INFO");
        }
    }
}
