package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.testing.ForkedJvm;
import dev.convcl.testing.HostJvmProbe;
import dev.convcl.testing.OpenClTestDevice;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host JVM stays intact after the library has used POCL, whatever the application's
 * environment says: integer division by zero throws {@link ArithmeticException} in interpreted
 * and in JIT-compiled code, and the JVM keeps handling its own signals (POCL replaces SIGFPE's
 * handler; LLVM, on its first compile, SIGSEGV's and a dozen more). Each case runs
 * {@link HostJvmProbe} in a forked JVM (surefire sets {@code POCL_SIGFPE_HANDLER=0} for this
 * one), with empty kernel caches so the kernels are compiled from source in that process.
 */
class OpenClHostJvmTest {
    private static final Pattern C2_COMPILED = Pattern.compile(
            "(?m)^\\s*\\d+\\s+\\d+\\s+[%sbn! ]*4\\s+" + Pattern.quote(HostJvmProbe.class.getName()) + "::compiledDivide ");

    @TempDir
    Path dir;

    @Test
    void withoutTheVariable() {
        OpenClTestDevice.require();
        check(null);
    }

    /** An application that asks for POCL's handler gets it replaced by the JVM's again. */
    @Test
    void withPoclsHandlerAskedFor() {
        OpenClTestDevice.require();
        check("1");
    }

    private void check(String variable) {
        List<String> command = ForkedJvm.javaCommand(HostJvmProbe.class,
                List.of("-Xbatch", "-XX:+PrintCompilation", "-Xmx256m"));
        ForkedJvm.Result r = ForkedJvm.run(command, env -> {
            env.remove("POCL_SIGFPE_HANDLER");
            if (variable != null) {
                env.put("POCL_SIGFPE_HANDLER", variable);
            }
            env.put("POCL_CACHE_DIR", dir.resolve("pocl").toString());
            env.put("CONVCL_CACHE_DIR", dir.resolve("convcl").toString());
            env.put("XDG_CACHE_HOME", dir.resolve("xdg").toString());
            env.remove("CONVCL_DEVICE");
        }, 300);
        String where = "POCL_SIGFPE_HANDLER " + (variable == null ? "unset" : "=" + variable) + ": " + r;
        assertEquals(0, r.exitCode(), where);
        assertEquals(variable == null ? "unset" : variable, r.result("variable"), "the fork's environment: " + where);
        assertEquals("opencl", r.result("backend"), where);
        assertEquals("throws", r.result("interpreted"), "interpreted 1 / 0: " + where);
        assertTrue(C2_COMPILED.matcher(r.out()).find(), "compiledDivide was not compiled by C2 before the check: " + where);
        assertEquals("throws", r.result("compiled"), "JIT-compiled 1 / 0: " + where);
        // As the JVM set them up (it leaves alone what the parent ignored, e.g. SIGHUP under nohup),
        // and the fault signals in the JVM's hands.
        assertEquals(r.result("handlersBefore"), r.result("handlers"),
                "signal dispositions changed by using the library: " + where);
        List<String> faults = Arrays.stream(r.result("handlers").split(","))
                .filter(h -> h.matches("SIG(SEGV|BUS|FPE|ILL):.*") && !h.endsWith(":libjvm.so")).toList();
        assertEquals(List.of(), faults, "fault signals handled by another library than the JVM: " + where);
    }
}
