package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.HostTensor;
import dev.convcl.Tensor;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BenchReportTest {
    static BenchRow failed() {
        return new BenchRow("bad.one", "op=conv2d n=1 c=1 h=3 w=3 k=1 kh=1 kw=1 bias=1", "conv2d", "opencl", "dev", "direct",
                false, "cpu", 0.5, 12.5, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0, Double.NaN, Double.NaN,
                Double.NaN, Double.NaN, Double.NaN, "mismatch: relative L2 5.0e-01 > 1e-04 vs cpu");
    }

    static BenchRow good() {
        return new BenchRow("good, \"quoted\"", "op=conv2d", "conv2d", "cpu", "cpu (pure Java, 2 threads)", "cpu-direct",
                true, "reference", 1e-7, 0.1, Double.NaN, 2.0, 1.5, 3.0, 5, 4.2, Double.NaN, 0.25, Double.NaN, Double.NaN,
                null);
    }

    @Test
    void failedRowsShowFailAndCarryNoTimes() {
        StringWriter text = new StringWriter();
        BenchReport.table(List.of(good(), failed()), new PrintWriter(text, true));
        String[] lines = text.toString().split("\n");
        assertEquals(3, lines.length);
        assertTrue(lines[2].startsWith("bad.one") && lines[2].contains("FAIL 5.0e-01"), lines[2]);
        assertEquals(lines[0].indexOf("check"), lines[2].indexOf("FAIL"), "aligned");
        String json = BenchReport.json("dev", Map.of(), List.of(failed()));
        assertTrue(json.contains("\"ok\": false"), json);
        assertTrue(json.contains("\"median_ms\": null"), json);
        assertTrue(json.contains("\"error\": \"mismatch: relative L2 5.0e-01 > 1e-04 vs cpu\""), json);
        String svg = BenchReport.svg("t", List.of("n"), List.of(good(), failed()));
        assertTrue(svg.contains("FAIL (opencl)"), svg);
    }

    @Test
    void csvAndJsonQuoteWhatNeedsQuoting() {
        String csv = BenchReport.csv(List.of(good()));
        assertTrue(csv.split("\n")[1].startsWith("\"good, \"\"quoted\"\"\",conv2d,cpu,cpu-direct,true,reference,"), csv);
        assertTrue(csv.contains(",2,1.5,3,5,"), "numbers without noise: " + csv);
        String json = BenchReport.json("d\"ev", Map.of(), List.of(good()));
        assertTrue(json.contains("\"device\": \"d\\\"ev\""), json);
        assertTrue(json.contains("\"name\": \"good, \\\"quoted\\\"\""), json);
        assertTrue(json.contains("\"kernel_ms\": null"), json);
    }

    @Test
    void checksFailOnMismatchAndOnUnwrittenElements() {
        HostTensor ref = Tensor.of(new float[] {1, 2, 3, 4}, 4);
        assertTrue(BenchRunner.Check.of("reference", ref, Tensor.of(new float[] {1, 2, 3, 4}, 4)).ok());
        BenchRunner.Check off = BenchRunner.Check.of("reference", ref, Tensor.of(new float[] {1, 2, 3, 4.1f}, 4));
        assertFalse(off.ok(), off.describe());
        BenchRunner.Check nan = BenchRunner.Check.of("cpu", ref, Tensor.of(new float[] {1, Float.NaN, 3, 4}, 4));
        assertFalse(nan.ok());
        assertFalse(nan.and(BenchRunner.Check.of("x", ref, ref)).ok(), "a failure survives combining");
        assertEquals("cpu+x", nan.and(BenchRunner.Check.of("x", ref, ref)).against());
        assertEquals(3.0, BenchRunner.median(new double[] {5, 1, 3}));
        assertEquals(2.5, BenchRunner.median(new double[] {4, 1, 3, 2}));
        assertTrue(Double.isNaN(BenchRunner.median(new double[] {1, Double.NaN})));
        assertEquals("0.0512", BenchReport.significant(0.05123));
        assertEquals("412", BenchReport.significant(412.3));
    }
}
