package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.opencl.HostCaches;
import dev.convcl.testing.Problems;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code bench --batch}: the list, the expanded problems and the scaling summary, on made-up rows. No device. */
class BenchBatchesTest {
    @Test
    void batchListsAreReadAndBadOnesNamed() {
        assertEquals(List.of(1, 8, 32), BenchBatches.parse("1,8,32"));
        assertEquals(List.of(4), BenchBatches.parse(" 4 "));
        for (String[] bad : new String[][] {{"1,0", "0 must be at least 1"}, {"1,x", "'x' is not a whole number"},
                {"8,8", "8 is given twice"}, {"", "'' is not a whole number"}}) {
            String msg = assertThrows(IllegalArgumentException.class, () -> BenchBatches.parse(bad[0])).getMessage();
            assertTrue(msg.contains("--batch") && msg.contains(bad[1]), msg);
        }
        Cli.assertUsageError(Cli.run("bench", "--batch", "1,-2", "--device", "cpu"), "-2 must be at least 1");
        Cli.assertUsageError(Cli.run("bench", "--batch", "2,1,2", "--device", "cpu"), "--batch '2,1,2': 2 is given twice");
        Cli.assertUsageError(Cli.run("bench", "--batch", "8,0", "--device", "cpu"), "--batch '8,0': 0 must be at least 1");
        Cli.assertUsageError(Cli.run("bench", "--chain", "--batch", "1,2", "--device", "cpu"), "no --batch");
    }

    @Test
    void anUnsortedListIsTimedAndShownFromTheSmallestBatchUp() {
        assertEquals(List.of(1, 2), BenchBatches.parse("2,1"));
        assertEquals(List.of(1, 8, 32), BenchBatches.parse("32,1,8"));
        // rows that come largest batch first still give points, and verdicts, smallest first
        List<BenchRow> rows = List.of(row("a@n2", "cpu", 4.0, 5), row("a@n1", "cpu", 1.0, 10));
        var s = BenchBatches.scaling(rows);
        assertEquals(List.of(1, 2), s.get("a cpu").stream().map(BenchBatches.Point::batch).toList());
        assertEquals("slower: n=2 100% slower per image than n=1", BenchBatches.judgement(s.get("a cpu")));
    }

    @Test
    void aLineOfOneBatchSizeHasNothingToCompare() {
        List<BenchRow> rows = List.of(row("a@n8", "cpu", 8.0, 10));
        var s = BenchBatches.scaling(rows);
        assertEquals("not compared: one batch size (scaling needs two or more)", BenchBatches.judgement(s.get("a cpu")));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BenchBatches.print(rows, List.of(8), new PrintWriter(new java.io.OutputStreamWriter(bytes, StandardCharsets.UTF_8), true));
        String text = bytes.toString(StandardCharsets.UTF_8);
        String line = text.lines().filter(l -> l.startsWith("a cpu")).findFirst().orElseThrow();
        assertTrue(line.endsWith("not compared: one batch size (scaling needs two or more)") && !line.contains("no slower"),
                line);
        // two batches asked for, one failed: the same
        List<BenchRow> oneLeft = List.of(row("b@n1", "cpu", 1.0, 10));
        assertEquals("not compared: one batch size (scaling needs two or more)",
                BenchBatches.judgement(BenchBatches.scaling(oneLeft).get("b cpu")));
    }

    @Test
    void eachProblemRunsAtEachBatch() {
        BenchSuite.Problem p = new BenchSuite.Problem("net.conv",
                Problems.parse("op=conv2d n=1 c=4 h=8 w=8 k=4 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1"), true);
        List<BenchSuite.Problem> l = BenchBatches.expand(List.of(p), List.of(1, 8));
        assertEquals(List.of("net.conv@n1", "net.conv@n8"), l.stream().map(BenchSuite.Problem::name).toList());
        assertEquals(8, l.get(1).spec().n());
        assertEquals(p.spec().withBatch(8), l.get(1).spec());
    }

    /** bench times every problem with a bias (BenchRunner), so the bytes a call moves count it. */
    @Test
    void theBytesOfACallCountTheBiasBenchAdds() {
        BenchSuite.Problem p = new BenchSuite.Problem("net.conv",
                Problems.parse("op=conv2d n=1 c=4 h=8 w=8 k=4 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1"), true);
        List<BenchSuite.Problem> l = BenchBatches.expand(List.of(p), List.of(1, 8));
        java.util.Map<String, Long> bytes = BenchBatches.bytesPerCall(l);
        // input 4*8*8*n, weights 4*4*3*3, output 4*8*8*n, bias 4: floats of 4 bytes
        assertEquals(4L * (256 + 144 + 256 + 4), bytes.get("net.conv@n1"));
        assertEquals(4L * (256 * 8 + 144 + 256 * 8 + 4), bytes.get("net.conv@n8"));
    }

    /** With no bandwidth known, a slower line's note says so and why; the JSON too. */
    @Test
    void anUnknownBandwidthIsSaidWithItsReason() {
        List<BenchBatches.Point> points = List.of(new BenchBatches.Point(1, 51.7, 0.157, 0, 3_613_000L),
                new BenchBatches.Point(32, 40.7, 0.200, 0, 115_600_000L));
        BenchBatches.Bandwidth none = BenchBatches.Bandwidth.unknown("--no-peak, none cached");
        String note = BenchBatches.judgement(points, BenchBatches.NO_CACHE, none);
        assertTrue(note.endsWith("; host memory bandwidth unknown (--no-peak, none cached))"), note);
        assertEquals("--no-peak, none cached", BenchBatches.fields(List.of(), java.util.Map.of(), java.util.Map.of(),
                BenchBatches.NO_CACHE, none, b -> true).get("bandwidth_unknown"));
    }

    /** A line whose other batch sizes failed says which failed, not that one size was asked for. */
    @Test
    void aLineWhoseOtherBatchFailedSaysWhich() {
        List<BenchBatches.Point> one = List.of(new BenchBatches.Point(1, 51.7, 0.157));
        assertEquals("not compared: n=8 failed", BenchBatches.judgement(one, List.of(1, 8), BenchBatches.NO_CACHE,
                BenchBatches.Bandwidth.NONE));
        assertEquals("not compared: n=8, n=32 failed", BenchBatches.judgement(one, List.of(1, 8, 32),
                BenchBatches.NO_CACHE, BenchBatches.Bandwidth.NONE));
        assertEquals(BenchBatches.NOT_COMPARED, BenchBatches.judgement(one, List.of(1), BenchBatches.NO_CACHE,
                BenchBatches.Bandwidth.NONE));
        java.io.StringWriter text = new java.io.StringWriter();
        BenchBatches.print(List.of(row("a@n1", "cpu", 1.0, 10)), List.of(1, 8), new PrintWriter(text, true));
        assertTrue(text.toString().contains("not compared: n=8 failed"), text.toString());
    }

    /** stderr counts the problems before expansion, and the runs: one problem at two sizes is not two problems. */
    @Test
    void theProgressLineCountsProblemsAndRuns() {
        assertEquals("1 problem at batch 1,8 (2 runs)", BenchCommand.timedCount(2, List.of(1, 8)));
        assertEquals("3 problems at batch 1,8,32 (9 runs)", BenchCommand.timedCount(9, List.of(1, 8, 32)));
        assertEquals("2 problems", BenchCommand.timedCount(2, null));
    }

    private static BenchRow row(String name, String backend, double deviceMs, double gflops) {
        return new BenchRow(name, "", "conv2d", backend, "d", "a", true, "reference", 0, 0, 0, deviceMs * 2, 0, 0, 3,
                deviceMs, 0, 0, 3, 0, gflops / 2, 0, gflops, Double.NaN, 1, 1, null);
    }

    @Test
    void theSummaryShowsTimePerImageAndFlagsABatchThatIsSlowerPerImage() {
        List<BenchRow> rows = List.of(row("a@n1", "opencl", 1.0, 10), row("a@n8", "opencl", 6.0, 13),
                row("a@n32", "opencl", 40.0, 8), row("b@n1", "cpu", 2.0, 5), row("b@n8", "cpu", 16.5, 5));
        var s = BenchBatches.scaling(rows);
        assertEquals(List.of(new BenchBatches.Point(1, 10, 1.0), new BenchBatches.Point(8, 13, 0.75),
                new BenchBatches.Point(32, 8, 1.25)), s.get("a opencl"));
        assertEquals("n=32 25% slower per image than n=1; n=32 67% slower per image than n=8",
                BenchBatches.verdict(s.get("a opencl")));
        // 3% slower: within the noise allowance
        assertEquals("", BenchBatches.verdict(s.get("b cpu")));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BenchBatches.print(rows, List.of(1, 8, 32), new PrintWriter(new java.io.OutputStreamWriter(bytes, StandardCharsets.UTF_8), true));
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("13.0 (0.750 ms)") && text.contains("slower: n=32") && text.contains("no slower"), text);
    }

    @Test
    void aSlowerBatchTimedOnABusyMachineIsNotJudged() {
        List<BenchRow> rows = List.of(row("a@n1", "opencl", 1.0, 10), row("a@n32", "opencl", 64.0, 5),
                row("q@n1", "opencl", 1.0, 10), row("q@n32", "opencl", 64.0, 5),
                row("u@n1", "opencl", 1.0, 10), row("u@n32", "opencl", 64.0, 5),
                row("f@n1", "opencl", 2.0, 10), row("f@n32", "opencl", 32.0, 20));
        // a: others used 1.4 cores while n=32 was timed; q: a quiet machine; u: unknown; f: busy but faster
        java.util.Map<String, Double> load = java.util.Map.of("a@n1", 0.05, "a@n32", 1.4, "q@n1", 0.0, "q@n32", 0.1,
                "f@n1", 0.0, "f@n32", 1.2);
        var s = BenchBatches.scaling(rows, load);
        assertEquals(new BenchBatches.Point(32, 5, 2.0, 1.4), s.get("a opencl").get(1));
        assertEquals("not judged (machine busy): n=32 100% slower per image than n=1",
                BenchBatches.judgement(s.get("a opencl")));
        assertEquals("slower: n=32 100% slower per image than n=1", BenchBatches.judgement(s.get("q opencl")));
        assertEquals("slower: n=32 100% slower per image than n=1", BenchBatches.judgement(s.get("u opencl")));
        assertEquals("no slower", BenchBatches.judgement(s.get("f opencl")));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BenchBatches.print(rows, List.of(1, 32), load,
                new PrintWriter(new java.io.OutputStreamWriter(bytes, StandardCharsets.UTF_8), true));
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("1.40   not judged (machine busy)") && text.contains("0.10   slower: n=32")
                && text.contains("-      slower: n=32"), text);
    }

    @Test
    void aSlowerLineGivesTheBytesACallMovesBesideTheLastLevelCache() {
        // ResNet-50's res2 1x1 (256 -> 64 channels, 56x56, bias): 4.1 MB a call at n=1, 32.5 MB at n=8
        dev.convcl.Convolution one = (dev.convcl.Convolution) Problems.parse(
                "op=conv2d n=1 c=256 h=56 w=56 k=64 kh=1 kw=1 bias=1");
        long b1 = 4L * (256 * 56 * 56 + 256 * 64 + 64 * 56 * 56 + 64);
        assertEquals(b1, BenchBatches.bytesPerCall(one));
        assertEquals(4L * (8 * 256 * 56 * 56 + 256 * 64 + 8 * 64 * 56 * 56 + 64),
                BenchBatches.bytesPerCall(one.withBatch(8)));
        // DCNv2: offsets (2 x 9 per pixel) and the mask (9 per pixel) count too; no mask, no mask bytes
        dev.convcl.Convolution dcn = (dev.convcl.Convolution) Problems.parse(
                "op=deform2d n=1 c=4 h=5 w=5 k=2 kh=3 kw=3 pad=1 mask=1");
        dev.convcl.Convolution dcnNoMask = (dev.convcl.Convolution) Problems.parse(
                "op=deform2d n=1 c=4 h=5 w=5 k=2 kh=3 kw=3 pad=1 mask=0");
        assertEquals(4L * (100 + 72 + 50 + 18 * 25 + 9 * 25), BenchBatches.bytesPerCall(dcn));
        assertEquals(4L * (100 + 72 + 50 + 18 * 25), BenchBatches.bytesPerCall(dcnNoMask));

        List<BenchRow> rows = List.of(row("r@n1", "cpu", 0.62, 165), row("r@n8", "cpu", 8.1, 101),
                row("s@n1", "cpu", 1.0, 10), row("s@n8", "cpu", 8.0, 10));
        java.util.Map<String, Long> bytes = java.util.Map.of("r@n1", 4_080_000L, "r@n8", 32_530_000L,
                "s@n1", 1_000_000L, "s@n8", 8_000_000L);
        var s = BenchBatches.scaling(rows, java.util.Map.of(), bytes);
        assertEquals(new BenchBatches.Point(8, 101, 8.1 / 8, Double.NaN, 32_530_000L), s.get("r cpu").get(1));
        HostCaches.LastLevel cache = HostCaches.LastLevel.of(32L * 1024 * 1024);
        assertEquals("slower: n=8 63% slower per image than n=1 (a call moves 4.1 MB at n=1 (6.6 GB/s), 32.5 MB at n=8 "
                + "(4.0 GB/s); last-level cache 33.6 MB)", BenchBatches.judgement(s.get("r cpu"), cache));
        assertEquals("slower: n=8 63% slower per image than n=1 (a call moves 4.1 MB at n=1 (6.6 GB/s), 32.5 MB at n=8 "
                + "(4.0 GB/s); last-level cache unknown: no /sys/devices/system/cpu/cpu0/cache entries)",
                BenchBatches.judgement(s.get("r cpu"),
                        HostCaches.LastLevel.unknown("no /sys/devices/system/cpu/cpu0/cache entries")));
        // no slower batch: no note; no bytes known: the verdict alone
        assertEquals("no slower", BenchBatches.judgement(s.get("s cpu"), cache));
        assertEquals("slower: n=8 63% slower per image than n=1",
                BenchBatches.judgement(BenchBatches.scaling(rows).get("r cpu"), cache));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BenchBatches.print(rows, List.of(1, 8), java.util.Map.of(), bytes, cache, backend -> true,
                new PrintWriter(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8), true));
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("slower: n=8 63% slower per image than n=1 (a call moves 4.1 MB at n=1 (6.6 GB/s), "
                + "32.5 MB at n=8 (4.0 GB/s); last-level cache 33.6 MB)") && text.contains("no slower"), text);
        // a GPU's line: the host's cache is not its cache, so no note
        ByteArrayOutputStream gpu = new ByteArrayOutputStream();
        BenchBatches.print(rows, List.of(1, 8), java.util.Map.of(), bytes, cache, backend -> !backend.equals("cpu"),
                new PrintWriter(new java.io.OutputStreamWriter(gpu, StandardCharsets.UTF_8), true));
        String gpuText = gpu.toString(StandardCharsets.UTF_8);
        assertTrue(gpuText.contains("slower: n=8 63% slower per image than n=1\n") && !gpuText.contains("a call moves"),
                gpuText);
    }

    @Test
    void aSlowerLineSetsEachBatchsRateBesideTheMeasuredMemoryBandwidth() {
        // MobileNetV2's 144x56x56 depthwise 3x3 on the CPU path: 3.6 MB a call at n=1, 115.6 MB at n=32
        List<BenchRow> rows = List.of(row("d@n1", "cpu", 0.157, 51.7), row("d@n32", "cpu", 32 * 0.200, 40.7));
        java.util.Map<String, Long> bytes = java.util.Map.of("d@n1", 3_613_000L, "d@n32", 115_600_000L);
        var s = BenchBatches.scaling(rows, java.util.Map.of(), bytes);
        // 3.613 MB in 0.157 ms: 23.0 GB/s; 115.6 MB in 6.4 ms: 18.1 GB/s, 31% of 58.4
        assertEquals(23.01, BenchBatches.gbPerS(s.get("d cpu").get(0)), 0.01);
        BenchBatches.Bandwidth measured = javaPath(58.4, false, null);
        assertEquals("slower: n=32 27% slower per image than n=1 (a call moves 3.6 MB at n=1 (23.0 GB/s), 115.6 MB at "
                + "n=32 (18.1 GB/s); last-level cache unknown; host memory bandwidth 58.4 GB/s (convcl peak's triad on "
                + "the Java path; measured in this run): n=32 moves 18.1 GB/s, 31% of that bandwidth)",
                BenchBatches.judgement(s.get("d cpu"), BenchBatches.NO_CACHE, measured));
        // no bandwidth known (none measured, zero, infinite): each batch's rate all the same (it needs only the
        // bytes and the time), without the share
        String plain = "slower: n=32 27% slower per image than n=1 (a call moves 3.6 MB at n=1 (23.0 GB/s), 115.6 MB at "
                + "n=32 (18.1 GB/s); last-level cache unknown)";
        assertEquals(plain, BenchBatches.judgement(s.get("d cpu"), BenchBatches.NO_CACHE, BenchBatches.Bandwidth.NONE));
        assertEquals(plain, BenchBatches.judgement(s.get("d cpu"), BenchBatches.NO_CACHE, javaPath(0, false, null)));
        assertEquals(plain, BenchBatches.judgement(s.get("d cpu"), BenchBatches.NO_CACHE,
                javaPath(Double.POSITIVE_INFINITY, false, null)));
        // the share is the largest batch's, wherever it stands, and only one whose bytes are known has a rate
        List<BenchBatches.Point> shuffled = List.of(new BenchBatches.Point(32, 40.7, 0.200, 0, 115_600_000L),
                new BenchBatches.Point(1, 51.7, 0.157, 0, 3_613_000L), new BenchBatches.Point(64, 30, 0.3, 0, -1));
        assertEquals("slower: n=64 50% slower per image than n=32; n=32 27% slower per image than n=1; n=64 91% slower "
                + "per image than n=1 (a call moves 115.6 MB at n=32 (18.1 GB/s), 3.6 MB at n=1 (23.0 GB/s); "
                + "last-level cache unknown; host memory bandwidth 58.4 GB/s (convcl peak's triad on the Java path; "
                + "measured in this run): n=32 moves 18.1 GB/s, 31% of that bandwidth)",
                BenchBatches.judgement(shuffled, BenchBatches.NO_CACHE, measured));
        // a time of zero has no rate, and the note does not print one
        assertTrue(Double.isNaN(BenchBatches.gbPerS(new BenchBatches.Point(8, 1, 0, 0, 1000))));
        // a table of the CPU path and a GPU: the host's bandwidth reaches the CPU path's line only
        List<BenchRow> mixed = List.of(row("d@n1", "cpu", 0.157, 51.7), row("d@n32", "cpu", 32 * 0.200, 40.7),
                row("d@n1", "opencl", 0.05, 160), row("d@n32", "opencl", 32 * 0.08, 100));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BenchBatches.print(mixed, List.of(1, 32), java.util.Map.of(), bytes, BenchBatches.NO_CACHE, measured,
                backend -> !backend.equals("opencl"),
                new PrintWriter(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8), true));
        String text = out.toString(StandardCharsets.UTF_8);
        String cpuLine = text.lines().filter(l -> l.startsWith("d cpu")).findFirst().orElseThrow();
        String gpuLine = text.lines().filter(l -> l.startsWith("d opencl")).findFirst().orElseThrow();
        assertTrue(text.contains("beside the host's memory bandwidth"), text);
        assertTrue(cpuLine.endsWith("n=32 moves 18.1 GB/s, 31% of that bandwidth)"), cpuLine);
        assertTrue(gpuLine.contains("slower: n=32 60% slower per image than n=1") && !gpuLine.contains("GB/s")
                && !gpuLine.contains("a call moves"), gpuLine);
    }

    @Test
    void theSummaryAsJsonFieldsGivesEveryLinesBytesRatesShareSourceAndVerdict() {
        List<BenchRow> rows = List.of(row("d@n32", "cpu", 32 * 0.200, 40.7), row("d@n1", "cpu", 0.157, 51.7),
                row("d@n1", "opencl", 0.05, 160), row("d@n32", "opencl", 32 * 0.04, 200), row("e@n8", "cpu", 8, 1));
        java.util.Map<String, Long> bytes = java.util.Map.of("d@n1", 3_613_000L, "d@n32", 115_600_000L);
        java.time.Instant at = java.time.Instant.parse("2026-12-05T16:36:27Z");
        java.util.Map<String, Object> f = BenchBatches.fields(rows, java.util.Map.of("d@n32", 0.1), bytes,
                HostCaches.LastLevel.unknown("no /sys/devices/system/cpu/cpu0/cache entries"), javaPath(58.4, true, at),
                backend -> !backend.equals("opencl"));
        assertEquals(58.4, f.get("bandwidth_gb_per_s"));
        assertEquals("cached", f.get("bandwidth_source"));
        assertEquals("2026-12-05T16:36:27Z", f.get("bandwidth_measured"));
        assertEquals(null, f.get("last_level_cache_bytes"));
        assertEquals("no /sys/devices/system/cpu/cpu0/cache entries", f.get("last_level_cache_unknown"));
        @SuppressWarnings("unchecked")
        List<java.util.Map<String, Object>> lines = (List<java.util.Map<String, Object>>) f.get("lines");
        assertEquals(3, lines.size());
        java.util.Map<String, Object> cpu = lines.get(0);
        assertEquals("d", cpu.get("problem"));
        assertEquals("cpu", cpu.get("backend"));
        assertEquals("slower", cpu.get("verdict"));
        assertEquals("n=32 27% slower per image than n=1", cpu.get("slower"));
        assertEquals("cached", cpu.get("bandwidth_source"));
        @SuppressWarnings("unchecked")
        List<java.util.Map<String, Object>> points = (List<java.util.Map<String, Object>>) cpu.get("points");
        assertEquals(List.of(1, 32), points.stream().map(p -> p.get("batch")).toList(), "smallest batch first");
        assertEquals(115_600_000L, points.get(1).get("bytes_per_call"));
        assertEquals(18.06, (Double) points.get(1).get("gb_per_s"), 0.01);
        assertEquals(18.06 / 58.4, (Double) points.get(1).get("bandwidth_share"), 0.001);
        assertEquals(0.200, (Double) points.get(1).get("ms_per_image"), 1e-9);
        assertEquals(40.7, points.get(1).get("gflops"));
        // a GPU's line: its rates (they need only bytes and time), but the host's bandwidth is not its
        java.util.Map<String, Object> gpu = lines.get(1);
        assertEquals(false, gpu.get("on_host"));
        assertEquals("no slower", gpu.get("verdict"));
        assertEquals(null, gpu.get("slower"));
        assertEquals("none", gpu.get("bandwidth_source"));
        assertEquals(null, gpu.get("bandwidth_gb_per_s"));
        @SuppressWarnings("unchecked")
        List<java.util.Map<String, Object>> gpuPoints = (List<java.util.Map<String, Object>>) gpu.get("points");
        assertEquals(90.31, (Double) gpuPoints.get(1).get("gb_per_s"), 0.01);
        assertEquals(null, gpuPoints.get(1).get("bandwidth_share"));
        // one batch: not compared; bytes unknown: null
        java.util.Map<String, Object> one = lines.get(2);
        assertEquals("not compared", one.get("verdict"));
        @SuppressWarnings("unchecked")
        List<java.util.Map<String, Object>> onePoints = (List<java.util.Map<String, Object>>) one.get("points");
        assertEquals(null, onePoints.get(0).get("bytes_per_call"));
        assertEquals(null, onePoints.get(0).get("gb_per_s"));
        // no bandwidth known: source none, no share; the rates stay
        java.util.Map<String, Object> none = BenchBatches.fields(rows, java.util.Map.of(), bytes,
                HostCaches.LastLevel.of(32L << 20), BenchBatches.Bandwidth.NONE, backend -> true);
        assertEquals("none", none.get("bandwidth_source"));
        assertEquals(null, none.get("bandwidth_gb_per_s"));
        assertEquals(32L << 20, none.get("last_level_cache_bytes"));
        @SuppressWarnings("unchecked")
        java.util.Map<String, Object> first = ((List<java.util.Map<String, Object>>) none.get("lines")).get(0);
        @SuppressWarnings("unchecked")
        java.util.Map<String, Object> p32 = ((List<java.util.Map<String, Object>>) first.get("points")).get(1);
        assertEquals(18.06, (Double) p32.get("gb_per_s"), 0.01);
        assertEquals(null, p32.get("bandwidth_share"));
        // the writer turns them into JSON that keeps the order and writes unknowns as null
        String text = BenchReport.jsonOf("d", java.util.Map.of("batch_scaling", f), List.of());
        assertTrue(text.contains("\"verdict\": \"slower\"") && text.contains("\"bandwidth_share\": null"), text);
    }

    private static BenchBatches.Bandwidth javaPath(double gbPerS, boolean cached, java.time.Instant at) {
        return BenchBatches.Bandwidth.fastest(new BenchBatches.Triad("Java path", gbPerS, cached, at));
    }

    @Test
    void aCachedBandwidthSaysSoAndWhenItWasMeasured() {
        List<BenchBatches.Point> points = List.of(new BenchBatches.Point(1, 51.7, 0.157, 0, 3_613_000L),
                new BenchBatches.Point(32, 40.7, 0.200, 0, 115_600_000L));
        java.time.Instant at = java.time.Instant.parse("2026-12-05T16:36:27.083263747Z");
        String note = BenchBatches.judgement(points, BenchBatches.NO_CACHE, javaPath(58.4, true, at));
        assertTrue(note.endsWith("; host memory bandwidth 58.4 GB/s (convcl peak's triad on the Java path; cached, "
                + "measured 2026-12-05 16:36 UTC): n=32 moves 18.1 GB/s, 31% of that bandwidth)"), note);
        // an entry without a time (written by hand, or before the time was kept) says cached all the same
        String undated = BenchBatches.judgement(points, BenchBatches.NO_CACHE, javaPath(58.4, true, null));
        assertTrue(undated.contains("(convcl peak's triad on the Java path; cached (its cache entry has no date))"),
                undated);
        assertEquals(BenchBatches.Source.CACHED, javaPath(58.4, true, at).source());
        assertEquals(at, javaPath(58.4, true, at).measuredAt());
        assertEquals(BenchBatches.Source.MEASURED, javaPath(58.4, false, null).source());
    }

    /**
     * A triad measured in this run that the cache refused says so and why; with a cached one for the
     * same side, the cached one is used and says it was preferred to this run's.
     */
    @Test
    void aRefusedTriadSaysSoAndACachedOneIsPreferred(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws java.io.IOException {
        Peak.Result fresh = new Peak.Result("cpu", 410, 48.1, "c");
        String why = "the three highest differ by 21%, more than 5%: the machine was probably busy";
        Peak.Measured refused = new Peak.Measured(fresh, new PeakRepeats.Verdict(410, true, List.of(), ""),
                new PeakRepeats.Verdict(48.1, false, List.of(), why), "t");
        BenchBatches.Triad alone = BenchCommand.triad("Java path", fresh, null, refused);
        assertEquals("measured in this run, not cached (its repeats: " + why + ")",
                BenchBatches.Bandwidth.fastest(alone).provenance());
        PeakCache cache = new PeakCache(dir);
        String key = "java|method=2|this machine";
        java.nio.file.Files.writeString(cache.file(key), "key=" + key + "\ndevice=cpu\ngflops=400\ngb_per_s=58.4\n"
                + "measured=2026-12-05T16\\:36\\:27Z\n");
        BenchBatches.Triad preferred = BenchCommand.triad("Java path", fresh, cache.entry(key).orElseThrow(), refused);
        assertEquals(58.4, preferred.gbPerS());
        assertEquals("cached, measured 2026-12-05 16:36 UTC, preferred to this run's 48.1 GB/s, not cached (its "
                + "repeats: " + why + ")", preferred.provenance());
        // a stable measurement is not refused, whatever the map held
        assertEquals(new BenchBatches.Triad("Java path", 48.1, false, null), BenchCommand.triad("Java path", fresh, null,
                new Peak.Measured(fresh, refused.fma(), new PeakRepeats.Verdict(48.1, true, List.of(), ""), "t")));
    }

    /** No share above 100% of the bandwidth, as no share above 100% of the FMA peak (PeakShares). */
    @Test
    void aBatchFasterThanTheBandwidthGetsNoShare() {
        List<BenchBatches.Point> points = List.of(new BenchBatches.Point(1, 51.7, 0.157, 0, 3_613_000L),
                new BenchBatches.Point(32, 40.7, 0.200, 0, 115_600_000L));
        String note = BenchBatches.judgement(points, BenchBatches.NO_CACHE, javaPath(15.0, false, null));
        assertTrue(note.endsWith("n=32 moves 18.1 GB/s, " + BenchBatches.ABOVE_BANDWIDTH + ")"), note);
        assertFalse(note.contains("% of that bandwidth"), note);
        List<BenchRow> rows = List.of(row("p@n1", "cpu", 0.157, 51.7), row("p@n32", "cpu", 32 * 0.200, 40.7));
        java.util.Map<String, Object> f = BenchBatches.fields(rows, java.util.Map.of(),
                java.util.Map.of("p@n1", 1_000_000L, "p@n32", 115_600_000L), BenchBatches.NO_CACHE,
                javaPath(15.0, false, null), b -> true);
        @SuppressWarnings("unchecked")
        List<java.util.Map<String, Object>> ps = (List<java.util.Map<String, Object>>)
                ((List<java.util.Map<String, Object>>) f.get("lines")).get(0).get("points");
        assertEquals(null, ps.get(1).get("bandwidth_share"));
        assertEquals("moves " + BenchBatches.ABOVE_BANDWIDTH, ps.get(1).get("bandwidth_share_unknown"));
        assertTrue((Double) ps.get(0).get("bandwidth_share") < 1, ps.toString());
        assertEquals(null, ps.get(0).get("bandwidth_share_unknown"));
    }

    @Test
    void theHostsBandwidthIsTheFasterKnownTriadAndSaysSo() {
        BenchBatches.Triad device = new BenchBatches.Triad("OpenCL device", 53.6, false, null);
        BenchBatches.Triad javaPath = new BenchBatches.Triad("Java path", 58.4, false, null);
        BenchBatches.Bandwidth both = BenchBatches.Bandwidth.fastest(device, javaPath);
        assertEquals(58.4, both.gbPerS());
        assertEquals("convcl peak's triad, the faster of the OpenCL device's 53.6 and the Java path's 58.4", both.whose());
        BenchBatches.Triad fast = new BenchBatches.Triad("OpenCL device", 62.8, true,
                java.time.Instant.parse("2026-12-06T08:12:44Z"));
        BenchBatches.Bandwidth deviceWins = BenchBatches.Bandwidth.fastest(fast, javaPath);
        assertEquals(62.8, deviceWins.gbPerS());
        assertEquals("cached, measured 2026-12-06 08:12 UTC", deviceWins.provenance(), "the faster one's source");
        // the note names both triads, so it gives each its own source
        List<BenchBatches.Point> points = List.of(new BenchBatches.Point(1, 51.7, 0.157, 0, 3_613_000L),
                new BenchBatches.Point(32, 40.7, 0.200, 0, 115_600_000L));
        String note = BenchBatches.judgement(points, BenchBatches.NO_CACHE, deviceWins);
        assertTrue(note.contains("host memory bandwidth 62.8 GB/s (convcl peak's triad, the faster of the OpenCL "
                + "device's 62.8 (cached, measured 2026-12-06 08:12 UTC) and the Java path's 58.4 (measured in this "
                + "run)): n=32"), note);
        java.util.Map<String, Object> f = BenchBatches.fields(List.of(), java.util.Map.of(), java.util.Map.of(),
                BenchBatches.NO_CACHE, deviceWins, b -> true);
        assertEquals("2026-12-06T08:12:44Z", f.get("bandwidth_measured"), "the chosen one's");
        @SuppressWarnings("unchecked")
        List<java.util.Map<String, Object>> triads = (List<java.util.Map<String, Object>>) f.get("bandwidth_triads");
        assertEquals(List.of("OpenCL device", "Java path"), triads.stream().map(t -> t.get("of")).toList());
        assertEquals(List.of("cached", "measured"), triads.stream().map(t -> t.get("source")).toList());
        assertEquals(java.util.Arrays.asList("2026-12-06T08:12:44Z", null),
                triads.stream().map(t -> t.get("measured")).toList());
        assertEquals(List.of(true, false), triads.stream().map(t -> t.get("chosen")).toList());
        assertEquals(53.6, BenchBatches.Bandwidth.fastest(device, null).gbPerS());
        assertEquals("convcl peak's triad on the OpenCL device", BenchBatches.Bandwidth.fastest(device, null).whose());
        assertEquals(58.4, BenchBatches.Bandwidth.fastest(null, javaPath).gbPerS());
        assertEquals(BenchBatches.Bandwidth.NONE, BenchBatches.Bandwidth.fastest(null, null));
        assertEquals(BenchBatches.Source.NONE, BenchBatches.Bandwidth.fastest(
                new BenchBatches.Triad("OpenCL device", 0, false, null), null).source());
        // a triad that is not finite is not known: the other one alone, named alone
        BenchBatches.Bandwidth inf = BenchBatches.Bandwidth.fastest(
                new BenchBatches.Triad("OpenCL device", Double.POSITIVE_INFINITY, false, null), javaPath);
        assertEquals(58.4, inf.gbPerS());
        assertEquals("convcl peak's triad on the Java path", inf.whose());
    }

    @Test
    void aPeakReadFromTheCacheIsCachedAndOneMeasuredNowIsMeasured(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws java.io.IOException {
        PeakCache cache = new PeakCache(dir);
        String key = "java|method=2|this machine";
        java.nio.file.Files.writeString(cache.file(key), "key=" + key + "\ndevice=cpu\ngflops=400\ngb_per_s=58.4\n"
                + "measured=2026-12-05T16\\:36\\:27.083263747Z\n");
        PeakCache.Entry entry = cache.entry(key).orElseThrow();
        assertEquals(java.time.Instant.parse("2026-12-05T16:36:27.083263747Z"), entry.measured());
        // another key's file is not read
        assertTrue(cache.entry("java|method=2|another machine").isEmpty());
        // --no-peak: nothing used this run, the entry's triad, cached, with its time
        assertEquals(new BenchBatches.Triad("Java path", 58.4, true, entry.measured()),
                BenchCommand.triad("Java path", null, entry));
        // the peak this run used is the entry's (bench read it from the cache rather than measuring): cached
        assertEquals(new BenchBatches.Triad("Java path", 58.4, true, entry.measured()),
                BenchCommand.triad("Java path", cache.get(key).orElseThrow(), entry));
        // a peak measured in this run (none cached, or measured again): measured
        Peak.Result fresh = new Peak.Result("cpu", 410, 50.0, "c");
        assertEquals(new BenchBatches.Triad("Java path", 50.0, false, null), BenchCommand.triad("Java path", fresh, entry));
        assertEquals(new BenchBatches.Triad("Java path", 50.0, false, null), BenchCommand.triad("Java path", fresh, null));
        // none used, none cached (no OpenCL device, or an empty cache): none
        assertEquals(null, BenchCommand.triad("OpenCL device", null, null));
        // an entry without a time, or with a garbled one, is still a cached peak, undated
        java.nio.file.Files.writeString(cache.file(key), "key=" + key + "\ndevice=cpu\ngflops=400\ngb_per_s=58.4\n"
                + "measured=yesterday\n");
        assertEquals(null, cache.entry(key).orElseThrow().measured());
        assertEquals(58.4, cache.get(key).orElseThrow().gbPerS());
    }

    @Test
    void theLastLevelCacheIsTheLargestLevelHoldingData(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws java.io.IOException {
        String[][] entries = {{"1", "Data", "32K"}, {"1", "Instruction", "32K"}, {"2", "Unified", "1024K"},
            {"3", "Unified", "32768K"}, {"4", "Instruction", "64M"}};
        for (int i = 0; i < entries.length; i++) {
            java.nio.file.Path e = java.nio.file.Files.createDirectories(dir.resolve("index" + i));
            java.nio.file.Files.writeString(e.resolve("level"), entries[i][0] + "\n");
            java.nio.file.Files.writeString(e.resolve("type"), entries[i][1] + "\n");
            java.nio.file.Files.writeString(e.resolve("size"), entries[i][2] + "\n");
        }
        java.nio.file.Files.createDirectories(dir.resolve("index9")); // no files: skipped
        assertEquals(32L * 1024 * 1024, HostCaches.lastLevelBytes(dir));
        assertEquals(HostCaches.LastLevel.of(32L * 1024 * 1024), HostCaches.lastLevel(dir));
        assertEquals(-1, HostCaches.lastLevelBytes(dir.resolve("absent")));
        // unknown, and why: no folder (a VM without cpu0/cache), an empty one, entries that say nothing
        java.nio.file.Path absent = dir.resolve("absent");
        assertEquals(HostCaches.LastLevel.unknown("no " + absent + " entries"), HostCaches.lastLevel(absent));
        java.nio.file.Path empty = java.nio.file.Files.createDirectories(dir.resolve("empty"));
        assertEquals("no " + empty + " entries", HostCaches.lastLevel(empty).unknownBecause());
        java.nio.file.Path useless = dir.resolve("useless");
        java.nio.file.Files.createDirectories(useless.resolve("index0"));
        java.nio.file.Path instr = java.nio.file.Files.createDirectories(useless.resolve("index1"));
        java.nio.file.Files.writeString(instr.resolve("level"), "1\n");
        java.nio.file.Files.writeString(instr.resolve("type"), "Instruction\n");
        java.nio.file.Files.writeString(instr.resolve("size"), "32K\n");
        assertEquals("none of the 2 entries of " + useless + " is a data or unified cache with a readable level and size",
                HostCaches.lastLevel(useless).unknownBecause());
        assertEquals(-1, HostCaches.lastLevel(useless).bytes());
        assertEquals(1024, HostCaches.parseSize("1K"));
        assertEquals(2L * 1024 * 1024, HostCaches.parseSize("2M"));
        assertEquals(512, HostCaches.parseSize("512"));
        assertEquals(-1, HostCaches.parseSize("lots"));
        assertEquals(-1, HostCaches.parseSize("0K"));
    }
}
