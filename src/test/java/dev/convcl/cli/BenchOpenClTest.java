package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.opencl.OpenClDeviceInfo;
import dev.convcl.testing.PrivateCacheDir;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code convcl bench} on the device: a row per problem and backend, checked, timed, compared. */
@ExtendWith(PrivateCacheDir.class)
class BenchOpenClTest {
    @TempDir
    Path dir;

    @Test
    void deviceRowsCarryKernelTimeSpeedupAndPeakShare() throws IOException {
        Cli.BenchRun run = Cli.benchOnDevice(dir, BenchCommandTest.TINY, "--iters", "3");
        OpenClDeviceInfo device = run.device();
        Cli.Result r = run.result();
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("4 results ok, 0 FAIL"), r.toString());
        assertTrue(r.out().contains("device peak:"), r.toString());
        // Both peaks were measured (an empty cache): one line says so, naming both.
        assertEquals(List.of("bench: measuring the peak of " + device.describe() + " and the CPU path (cached when its "
                + "repeats agree; 'convcl peak' measures again) ..."),
                r.err().lines().filter(l -> l.contains("measuring the peak")).toList(), r.toString());
        String j = run.jsonText();
        assertTrue(j.contains("\"device\": \"" + device.describe() + "\""), j);
        Matcher row = Pattern.compile("\\{ \"name\": \"tiny.conv\", \"op\": \"conv2d\", \"backend\": \"opencl\".*").matcher(j);
        assertTrue(row.find(), j);
        String opencl = row.group();
        assertTrue(opencl.contains("\"ok\": true"), opencl);
        assertTrue(opencl.contains("\"checked_with\": \"cpu+reference\""), opencl);
        for (String field : new String[] {"kernel_ms", "median_ms", "speedup_vs_cpu", "cpu_median_ms", "peak_share",
            "kernel_gflops"}) {
            Matcher m = Pattern.compile("\"" + field + "\": ([0-9.Ee-]+)").matcher(opencl);
            assertTrue(m.find() && Double.parseDouble(m.group(1)) > 0, field + " positive in " + opencl);
        }
        assertTrue(j.contains("\"name\": \"tiny.dcn\", \"op\": \"deform2d\", \"backend\": \"opencl\""), j);
        assertEquals(2, j.split("\"backend\": \"cpu\"", -1).length - 1, j);
    }
}
