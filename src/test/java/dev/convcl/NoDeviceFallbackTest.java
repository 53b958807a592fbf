package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.convcl.opencl.OpenClDiscovery;
import dev.convcl.reference.ProblemCorpus;
import dev.convcl.testing.CrossCheck;
import dev.convcl.testing.Problems;
import dev.convcl.testing.Tensors;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The library on a machine without OpenCL. Runs only in the {@code no-opencl} surefire execution
 * (see pom.xml), whose {@code OCL_ICD_VENDORS} points at a folder with no {@code .icd} file, so
 * the ICD loader finds no platform even where POCL is installed; the default execution excludes
 * this class. Run by hand elsewhere, it skips. Its name, and its methods' names, must not contain
 * "OpenCl": the project treats such tests as needing a device (ci/check-tests.sh).
 */
class NoDeviceFallbackTest {
    private static final String EXECUTION_FLAG = "convcl.test.noDevice";

    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger engineLogger = (Logger) LoggerFactory.getLogger(Engine.class);

    @BeforeAll
    static void onlyWhereNoDeviceIsVisible() {
        assumeTrue(Boolean.getBoolean(EXECUTION_FLAG), "runs in the no-opencl surefire execution only");
        OpenClDiscovery found = OpenClDiscovery.discover();
        assertFalse(found.available(), "the no-opencl execution should hide every OpenCL device, but found "
                + found.devices());
    }

    @BeforeEach
    void captureEngineLog() {
        log.start();
        engineLogger.addAppender(log);
    }

    @AfterEach
    void releaseLog() {
        engineLogger.detachAppender(log);
        log.stop();
    }

    @Test
    void autoRunsOnTheCpuPathWithOneWarning() {
        List<Convolution> specs = List.of(
                ProblemCorpus.conv2d().get("groups2"),
                ProblemCorpus.conv2d().get("depthwise.mult2"),
                ProblemCorpus.deform2d().get("torchvision.b1.mask"));
        try (Engine engine = Engine.create()) {
            assertEquals(DeviceChoice.AUTO, engine.choice());
            assertEquals("cpu", engine.backend());
            assertTrue(engine.fallbackReason().isPresent(), "an auto engine without OpenCL should say why");
            for (Convolution spec : specs) {
                try (Plan plan = engine.plan(spec)) {
                    assertEquals("cpu", plan.backend(), spec.toString());
                    for (long seed = 0; seed < 3; seed++) {
                        CrossCheck.integersExact(spec, seed, plan::execute);
                    }
                }
            }
            // The one-call API goes through the same path.
            Convolution spec = specs.get(0);
            Args a = Tensors.args(spec, 11, true, 1);
            HostTensor out = engine.conv2d(a.get(Arg.SRC), a.get(Arg.WEIGHTS), a.get(Arg.BIAS), 2, 0, 1, 2);
            Convolution asCalled = Conv2d.builder().input(2, 6, 13, 7).output(4).kernel(3, 2).stride(2).dilation(1)
                    .groups(2).bias(true).build();
            CrossCheck.assertExact(asCalled, "engine.conv2d", CrossCheck.reference(asCalled,
                    a.with(Arg.DST, Tensors.poisoned(asCalled))), out.toArray());
        }

        List<ILoggingEvent> warnings = log.list.stream().filter(e -> e.getLevel() == Level.WARN).toList();
        assertEquals(1, warnings.size(), "expected one WARN for the whole engine, got " + warnings);
        String message = warnings.get(0).getFormattedMessage();
        assertTrue(message.contains("OpenCL unavailable") && message.contains("CPU path"), message);
        assertTrue(message.contains("no OpenCL platform") || message.contains("could not be loaded"),
                "the warning should give the cause: " + message);
    }

    @Test
    void explicitDeviceChoiceFailsClearly() {
        for (DeviceChoice choice : List.of(DeviceChoice.OPENCL, DeviceChoice.parse("opencl:0"))) {
            ConvclException e = assertThrows(ConvclException.class, () -> Engine.create(choice));
            assertTrue(e.getMessage().contains("device " + choice + " asked for"), e.getMessage());
            assertTrue(e.getMessage().contains("no OpenCL platform") || e.getMessage().contains("could not be loaded"),
                    e.getMessage());
        }
    }

    @Test
    void explicitCpuNeedsNoWarning() {
        try (Engine engine = Engine.create(DeviceChoice.CPU); Plan plan = engine.plan(SMALL)) {
            assertEquals("cpu", plan.backend());
            assertTrue(engine.fallbackReason().isEmpty());
        }
        assertTrue(log.list.isEmpty(), "choosing the CPU path is not a fallback: " + log.list);
    }

    private static final Convolution SMALL = Problems.parse("op=conv2d n=1 c=2 h=5 w=5 k=2 kh=3 kw=3");
}
