package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.testing.PrivateCacheDir;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code convcl bench} on RoI lines on the device: checked against the CPU path, timed both ways, compared. */
@ExtendWith(PrivateCacheDir.class)
class BenchRoiOpenClTest {
    @TempDir
    Path dir;

    @Test
    void deviceRoiRowsCarryKernelTimeDeviceTensorsAndSpeedup() throws IOException {
        Cli.BenchRun run = Cli.benchOnDevice(dir, BenchRoiTest.TINY_ROI, "--iters", "3", "--warmup-seconds", "0");
        Cli.Result r = run.result();
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("8 results ok, 0 FAIL"), r.toString());
        // no convolution: no peak is measured
        assertTrue(r.err().lines().noneMatch(l -> l.contains("measuring the peak")), r.toString());
        List<String> rows = BenchRoiTest.roiRows(run.jsonText());
        assertEquals(8, rows.size(), rows.toString());
        for (int i = 0; i < rows.size(); i += 2) {
            String opencl = rows.get(i), cpu = rows.get(i + 1);
            assertTrue(opencl.contains("\"backend\": \"opencl\"") && opencl.contains("\"ok\": true")
                    && opencl.contains("\"checked_with\": \"cpu+reference\""), opencl);
            BenchRoiTest.assertPositive(opencl, "kernel_ms", "median_ms", "device_median_ms", "device_calls",
                    "msamples_per_s", "device_msamples_per_s", "cpu_median_ms", "speedup_vs_cpu");
            // At most the RoIs' read-back: Plan.execute checks their values on the host before a kernel sees them.
            assertTrue(BenchChainTest.number(opencl, "device_host_transfers") <= 1, opencl);
            assertTrue(cpu.contains("\"backend\": \"cpu\"") && cpu.contains("\"ok\": true"), cpu);
            BenchRoiTest.assertPositive(cpu, "median_ms", "device_median_ms");
        }
    }
}
