package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        Cli.assertUsageError(Cli.run("bench", "--chain", "--batch", "1,2", "--device", "cpu"), "no --batch");
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
}
