package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ci/test-summary.py, the CI rule that no OpenCL test may be skipped when
 * {@code CONVCL_REQUIRE_OPENCL=1}, on made-up surefire reports: it must see the OpenCL cases of
 * backend-parameterised tests (named {@code [opencl] ...}) as well as the classes named
 * {@code OpenCl...}.
 */
class TestSummaryScriptTest {
    @TempDir
    Path dir;

    private record Run(int exitCode, String output) {
    }

    private Run summarise(boolean openclSkipped, boolean requireOpenCl) throws IOException, InterruptedException {
        Path reports = Files.createDirectories(dir.resolve("target/surefire-reports"));
        String skipped = openclSkipped ? "<skipped message=\"no OpenCL device\"/>" : "";
        Files.writeString(reports.resolve("TEST-dev.convcl.Conv2dTest.xml"), """
                <?xml version="1.0" encoding="UTF-8"?>
                <testsuite name="dev.convcl.Conv2dTest" tests="3" failures="0" errors="0" skipped="%d">
                  <testcase name="check(Target, Convolution, long) [cpu] op=conv2d n=1" classname="dev.convcl.Conv2dTest"/>
                  <testcase name="check(Target, Convolution, long) [opencl] op=conv2d n=1" classname="dev.convcl.Conv2dTest">%s</testcase>
                  <testcase name="everyTile()" classname="dev.convcl.opencl.DepthwiseOpenClTest"/>
                </testsuite>
                """.formatted(openclSkipped ? 1 : 0, skipped), StandardCharsets.UTF_8);
        Path log = Files.writeString(dir.resolve("mvn.log"), "[INFO] Tests run: 3, Failures: 0, Errors: 0, Skipped: "
                + (openclSkipped ? 1 : 0) + "\n", StandardCharsets.UTF_8);
        ProcessBuilder pb = new ProcessBuilder(List.of("python3", Path.of("ci/test-summary.py").toAbsolutePath().toString(),
                log.toString(), dir.resolve("target").toString())).redirectErrorStream(true);
        pb.environment().remove("CONVCL_REQUIRE_OPENCL");
        if (requireOpenCl) {
            pb.environment().put("CONVCL_REQUIRE_OPENCL", "1");
        }
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "ci/test-summary.py did not finish");
        return new Run(p.exitValue(), out);
    }

    @Test
    void aSkippedOpenClCaseOfAParameterisedTestFailsWhenOpenClIsRequired() throws Exception {
        Run r = summarise(true, true);
        assertTrue(r.output().contains("OpenCL tests: 1 ran, 1 skipped"), r.output());
        assertEquals(1, r.exitCode(), r.output());
    }

    @Test
    void skippedOpenClCasesPassWhenOpenClIsNotRequired() throws Exception {
        Run r = summarise(true, false);
        assertTrue(r.output().contains("OpenCL tests: 1 ran, 1 skipped"), r.output());
        assertEquals(0, r.exitCode(), r.output());
    }

    @Test
    void openClCasesThatRanAreCountedByClassAndByName() throws Exception {
        Run r = summarise(false, true);
        assertTrue(r.output().contains("tests: 3 passed, 0 failed, 0 skipped"), r.output());
        assertTrue(r.output().contains("OpenCL tests: 2 ran, 0 skipped"), r.output());
        assertEquals(0, r.exitCode(), r.output());
    }
}
