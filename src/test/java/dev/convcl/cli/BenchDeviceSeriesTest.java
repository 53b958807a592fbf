package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The per-problem table's second series (device tensors) on the CPU path, in the table, JSON, CSV and plot. */
class BenchDeviceSeriesTest {
    @TempDir
    Path dir;

    @Test
    void everyRowCarriesBothSeries() throws IOException {
        Path shapes = Files.writeString(dir.resolve("shapes.txt"), BenchCommandTest.TINY);
        Path json = dir.resolve("out.json"), csv = dir.resolve("out.csv"), svg = dir.resolve("out.svg");
        Cli.Result r = Cli.run("bench", "--shapes", shapes.toString(), "--device", "cpu", "--iters", "3", "--warmup",
                "0", "--warmup-seconds", "0", "--no-peak", "--json", json.toString(), "--csv", csv.toString(),
                "--plot", svg.toString());
        assertEquals(0, r.code(), r.toString());
        String header = r.out().lines().filter(l -> l.startsWith("problem ")).findFirst().orElseThrow();
        assertTrue(header.matches(".* kernel ms +host-array ms +min\\.\\.max ms +device-tensor ms +GFLOP/s .*"), header);
        String j = Files.readString(json);
        List<String> rows = j.lines().filter(l -> l.contains("\"section\": \"problem\"")).toList();
        assertEquals(2, rows.size(), j);
        for (String row : rows) {
            assertTrue(row.contains("\"calls\": 3, \"device_median_ms\": "), row);
            assertTrue(row.contains("\"device_calls\": 3, \"device_host_transfers\": 0,"), row);
            for (String f : List.of("median_ms", "device_median_ms", "device_min_ms", "device_max_ms", "device_gflops")) {
                assertTrue(BenchChainTest.number(row, f) > 0, f + " in " + row);
            }
        }
        List<String> lines = Files.readAllLines(csv);
        assertTrue(lines.get(0).contains(",median_ms,min_ms,max_ms,calls,device_median_ms,device_min_ms,device_max_ms,"
                + "device_calls,device_host_transfers,gflops,kernel_gflops,device_gflops,"), lines.get(0));
        assertTrue(lines.get(0).endsWith(",error,section"), lines.get(0));
        String plot = Files.readString(svg);
        assertEquals(2, count(plot, "stroke-dasharray=\"3,2\" fill=\"none\"><title>"), "a device-tensor outline per row: " + plot);
        assertTrue(plot.contains(">on device tensors</text>"), plot);
    }

    @Test
    void theTableShowsTheDeviceSeriesBesideTheHostOne() {
        BenchRow good = BenchReportTest.good();
        BenchRow both = new BenchRow(good.name(), good.spec(), good.op(), good.backend(), good.device(), good.algorithm(),
                true, good.checkedWith(), good.relL2(), good.compileMs(), good.kernelMs(), 2.0, 1.5, 3.0, 5, 0.75, 0.5,
                1.25, 4, 0, 4.2, Double.NaN, 11.2, Double.NaN, Double.NaN, Double.NaN, null);
        StringWriter text = new StringWriter();
        BenchReport.table(List.of(both, good), new PrintWriter(text, true));
        String[] lines = text.toString().split("\n");
        int column = lines[0].indexOf("device-tensor ms") + "device-tensor ms".length();
        assertEquals("0.750", lines[1].substring(column - 5, column), lines[1]);
        assertEquals("-", lines[2].substring(column - 1, column), "no device series: " + lines[2]);
        Map<String, Object> f = both.fields();
        assertEquals(0.75, f.get("device_median_ms"));
        assertEquals(4, f.get("device_calls"));
        assertEquals(11.2, f.get("device_gflops"));
        assertEquals("problem", f.get("section"));
    }

    private static int count(String s, String part) {
        int n = 0;
        for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }
}
