package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.spi.Implementation;
import dev.convcl.testing.OpenClTestDevice;
import dev.convcl.testing.WarnCapture;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * When no OpenCL implementation takes an operation, the engine's WARN gives the reasons of the
 * implementations of its kind ({@link Implementation#handlesKind}) and of no other: a library
 * trial's too-large problem was one line of about 1,000 characters, most of it other kernels'
 * "not Pool2d", "not Binary". Each case has a post-op chain of nine steps, one more than the
 * kernels' epilogue holds, so every implementation of its kind refuses it and the CPU path runs it.
 */
class FallbackReasonsOpenClTest {
    private static final String NINE = "relu+relu+relu+relu+relu+relu+relu+relu+relu";

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
        "op=conv2d n=1 c=3 h=5 w=6 k=4 kh=3 kw=3 pad=1 post=" + NINE,
        "op=deform2d n=1 c=2 h=5 w=5 k=3 kh=3 kw=3 pad=1 post=" + NINE,
        "op=binary kind=add a=2,3,4,5 b=2,3,4,5 post=" + NINE})
    void theWarningNamesTheImplementationsOfTheOperationsKindAlone(String line) {
        Operation op = Operation.parse(line);
        try (Engine engine = OpenClTestDevice.engine(); WarnCapture warnings = WarnCapture.on(Engine.class);
             Plan plan = engine.plan(op)) {
            assertEquals("cpu", plan.backend(), "a chain of nine post-ops runs on the CPU path: " + op);
            List<String> warned = warnings.warnings().stream().filter(m -> m.startsWith("OpenCL cannot run ")).toList();
            assertEquals(1, warned.size(), "one WARN for " + op + ": " + warnings.warnings());
            String warn = warned.get(0);
            int ofItsKind = 0;
            for (Implementation impl : OpenClTestDevice.backend(engine).implementations()) {
                boolean named = Pattern.compile("(\\(|; )" + Pattern.quote(impl.name()) + ": ")
                        .matcher(warn).find();
                assertEquals(impl.handlesKind(op), named, impl.name() + (impl.handlesKind(op) ? " runs " : " does not run ")
                        + "this kind of operation, so it is " + (impl.handlesKind(op) ? "" : "not ") + "named: " + warn);
                if (impl.handlesKind(op)) {
                    ofItsKind++;
                    assertTrue(warn.contains(impl.name() + ": a post-op chain of 9 steps"),
                            impl.name() + " gives the chain's length as its reason: " + warn);
                }
            }
            assertTrue(ofItsKind > 0, "some implementation runs " + op + "'s kind: " + warn);
        }
    }
}
