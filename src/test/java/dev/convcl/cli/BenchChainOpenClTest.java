package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.DeviceChoice;
import dev.convcl.Engine;
import dev.convcl.opencl.OpenClDeviceInfo;
import dev.convcl.testing.OpenClTestDevice;
import dev.convcl.testing.PrivateCacheDir;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code convcl bench --chain} and the device-tensor series on the OpenCL device: rows present,
 * checked, and no host transfers in a call beyond the chain's input and output. No timing is
 * asserted.
 */
@ExtendWith(PrivateCacheDir.class)
class BenchChainOpenClTest {
    @TempDir
    Path dir;

    @Test
    void theChainOnTheDeviceIsCheckedAndSaysWhichLayersFellBack() throws IOException {
        Path json = dir.resolve("chain.json");
        Cli.Result r = Cli.onDevice("bench", "--chain", "--iters", "2", "--warmup", "0", "--warmup-seconds", "0",
                "--reference-mflop", "2", "--json", json.toString()).result();
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("2 results ok, 0 FAIL"), r.toString());
        String j = Files.readString(json);
        List<String> chains = j.lines().filter(l -> l.contains("\"section\": \"chain\"")).toList();
        assertEquals(2, chains.size(), "the device's row, then the CPU path's: " + j);
        String opencl = chains.get(0);
        assertTrue(opencl.contains("\"backend\": \"opencl\", \"layers\": 10, \"ok\": true, \"checked_with\": "
                + "\"cpu+reference\""), opencl);
        assertTrue(chains.get(1).contains("\"backend\": \"cpu\""), chains.get(1));
        assertTrue(BenchChainTest.number(opencl, "kernel_ms") > 0 && BenchChainTest.number(opencl, "cpu_wall_ms") > 0,
                opencl);

        // Each layer says where it ran; one that fell back to the CPU path shows in the table and
        // the target line, and only then may tensors cross to the host between layers.
        List<String> layers = j.lines().filter(l -> l.contains("\"section\": \"chain-layer\"")
                && l.contains("\"chain_backend\": \"opencl\"")).toList();
        assertEquals(10, layers.size(), j);
        long onDevice = layers.stream().filter(l -> l.contains("\"backend\": \"opencl\"")).count();
        for (String l : layers) {
            boolean ranThere = l.contains("\"backend\": \"opencl\"");
            assertTrue(ranThere ? BenchChainTest.number(l, "kernel_ms") > 0 : l.contains("\"kernel_ms\": null"), l);
        }
        assertEquals((long) BenchChainTest.number(opencl, "kernel_layers"), onDevice, opencl);
        long transfers = (long) BenchChainTest.number(opencl, "host_transfers");
        List<String> tableFallbacks = r.out().lines().filter(l -> l.matches("L\\d+ .* cpu \\(fallback\\) .*")).toList();
        assertEquals(10 - onDevice, tableFallbacks.size(), r.toString());
        if (onDevice == 10) {
            assertTrue(transfers <= BenchChain.MAX_TRANSFERS, opencl);
            assertTrue(opencl.contains("\"fallback_layers\": [],"), opencl);
            assertTrue(r.out().contains("layers = "), "the target's verdict: " + r);
        } else {
            assertTrue(transfers > BenchChain.MAX_TRANSFERS, "a fallen-back layer's tensors cross to the host: " + opencl);
            assertTrue(opencl.contains("\"within_target\": null"), opencl);
            assertTrue(r.out().contains("not applicable: layer"), r.toString());
        }
    }

    /** Layers whose post-ops every OpenCL implementation has (bias, relu): the whole chain stays on the device. */
    static List<BenchChain.Layer> deviceOnly() {
        String s = "n=1 c=8 h=9 w=9 ";
        return List.of(
                BenchChain.layer("conv", "op=conv2d " + s + "k=8 kh=3 kw=3 pad=1 bias=1 post=relu", 0, -1, -1, -1, 1.4),
                BenchChain.layer("dw", "op=conv2d " + s + "k=8 kh=3 kw=3 pad=1 groups=8 bias=1 post=relu", 1, -1, -1, -1,
                        1.4),
                BenchChain.layer("offsets", "op=conv2d " + s + "k=18 kh=3 kw=3 pad=2 dil=2 bias=1", 2, -1, -1, -1, 1),
                BenchChain.layer("dcn", "op=deform2d " + s + "k=8 kh=3 kw=3 pad=2 dil=2 og=1 mask=0 bias=1 post=relu", 2,
                        -1, 3, -1, 1.4),
                BenchChain.layer("g", "op=conv2d " + s + "k=8 kh=3 kw=3 pad=1 groups=4 bias=1 post=relu", 4, -1, -1, -1,
                        1.4),
                BenchChain.layer("1x7", "op=conv2d " + s + "k=8 kh=1 kw=7 pad=0,3 bias=1", 5, -1, -1, -1, 1));
    }

    @Test
    void aChainOfDeviceLayersMovesOnlyItsInputAndItsOutput() {
        OpenClDeviceInfo device = OpenClTestDevice.require();
        try (Engine engine = Engine.create(DeviceChoice.parse("opencl:" + device.index()));
             Engine cpu = Engine.create(DeviceChoice.CPU)) {
            BenchChain chain = new BenchChain(deviceOnly(), engine, cpu, new BenchRunner.Settings(1, 0, 3, 0, 2e6),
                    new PrintWriter(new StringWriter()));
            List<BenchChain.Row> rows = chain.run();
            assertEquals(2, rows.size());
            BenchChain.Row row = rows.get(0);
            assertTrue(row.ok(), row.toString());
            assertEquals("opencl", row.backend());
            assertEquals(List.of(), row.fellBack(), row.toString());
            assertEquals(deviceOnly().size(), row.kernelLayers());
            assertEquals(3, row.calls());
            assertEquals(BenchChain.MAX_TRANSFERS, row.hostTransfers(), "the input in, the output out: " + row);
            assertTrue(row.kernelMs() > 0 && row.targetMs() > row.kernelMs(), row.toString());
            assertNull(row.error());
        }
    }

    @Test
    void deviceRowsOfTheProblemTableCarryTheDeviceTensorSeries() throws IOException {
        Cli.BenchRun run = Cli.benchOnDevice(dir, BenchCommandTest.TINY, "--iters", "2", "--warmup", "0",
                "--warmup-seconds", "0", "--no-peak");
        Cli.Result r = run.result();
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("device-tensor ms"), r.toString());
        String j = run.jsonText();
        Matcher row = Pattern.compile("\\{ \"name\": \"tiny.dcn\", \"op\": \"deform2d\", \"backend\": \"opencl\".*")
                .matcher(j);
        assertTrue(row.find(), j);
        String opencl = row.group();
        assertTrue(opencl.contains("\"ok\": true"), opencl);
        // the device-tensor calls copy nothing between host and device
        assertTrue(opencl.contains("\"device_calls\": 2, \"device_host_transfers\": 0,"), opencl);
        for (String field : List.of("median_ms", "device_median_ms", "device_min_ms", "device_max_ms", "device_gflops",
                "kernel_ms")) {
            assertTrue(BenchChainTest.number(opencl, field) > 0, field + " in " + opencl);
        }
    }
}
