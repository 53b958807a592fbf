package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convcl.testing.ConcurrentCreateProbe;
import dev.convcl.testing.ForkedJvm;
import dev.convcl.testing.Target;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Threads of a fresh process that create their first engines at the same moment each get a
 * working engine on the device asked for, with results equal to the reference. A trial found it:
 * four threads' first {@code Engine.create()} crashed the JVM (SIGSEGV in POCL under
 * {@code clGetDeviceInfo}, OpenCL discovery running in several threads at once) in four runs of
 * five. Each fork is a new JVM ({@link ConcurrentCreateProbe}), as only a process's first
 * discovery raced; three forks of eight threads, since the race does not strike every run.
 */
class ConcurrentEngineCreateTest {
    private static final int THREADS = 8;

    static Stream<Arguments> forks() {
        return Target.eachOf(() -> Stream.of(1, 2, 3));
    }

    @ParameterizedTest(name = "[{0}] fork {1}")
    @MethodSource("forks")
    void threadsCreatingTheirFirstEnginesAtOnce(Target target, int fork) {
        target.require();
        List<String> command = ForkedJvm.javaCommand(ConcurrentCreateProbe.class, List.of("-Xmx512m"),
                target.toString(), String.valueOf(THREADS));
        ForkedJvm.Result r = ForkedJvm.run(command, env -> env.remove("CONVCL_DEVICE"), 300);
        String where = THREADS + " threads creating their first engines at once on " + target + ", fork " + fork
                + ": " + r;
        assertEquals(0, r.exitCode(), where);
        assertEquals(String.join(",", Collections.nCopies(THREADS, target.toString())), r.result("backends"), where);
        assertEquals("ArithmeticException", r.result("divide"), where);
    }
}
