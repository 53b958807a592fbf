package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.DeformConv2d;
import dev.convcl.testing.PrivateCacheDir;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code convcl bench} on the CPU path with a tiny shapes file; its reports and its errors. */
@ExtendWith(PrivateCacheDir.class)
class BenchCommandTest {
    static final String TINY = """
            # two tiny problems
            tiny.conv   op=conv2d n=1 c=4 h=9 w=9 k=4 kh=3 kw=3 stride=1 pad=1 dil=1 groups=2 quick=1
            tiny.dcn    op=deform2d n=1 c=4 h=7 w=7 k=2 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1 og=2 mask=1
            """;

    @TempDir
    Path dir;

    Path shapes() throws IOException {
        return Files.writeString(dir.resolve("shapes.txt"), TINY);
    }

    /**
     * A filter with a '|' that matches an empty name as a whole matches every name (find), as a stray
     * '|' does; an alternation whose branches need a character, a quoted '|' and '.*' (no '|') pass.
     */
    @Test
    void filterWithAnAlternativeMatchingAnEmptyNameIsToldApartFromOrdinaryAlternation() {
        for (String regex : new String[] {"res2|", "|res2", "a||b", "(|a)", "(a|)", "(?:a|)", "(?:|a)", "(?i:|a)",
                "(?<name>|a)", "[ab]|", "a\\|||b", "a*|b", "^|x", "(?x)a| ", "()|b"}) {
            assertTrue(BenchSuite.matchesEveryNameThroughAnAlternative(regex, Pattern.compile(regex)), regex);
        }
        for (String regex : new String[] {"a|b", "(a|b)", "[|]", "[]|]", "a\\|", "(?<n>a)|b", "(?i)a|b", "(?i)(a|b)",
                "^res(2|3)\\.", "res(|2)", "conv(|_bn)\\.", "(?<=x)(|a)", "(?=|a)x", "\\Q||\\E", ".*", "()",
                "x[|a]y", "(?<=a|b)c"}) {
            assertFalse(BenchSuite.matchesEveryNameThroughAnAlternative(regex, Pattern.compile(regex)), regex);
        }
    }

    /** A count of one takes the singular: "1 problem", "median of 1 call", "at least 1 call", "1 result ok". */
    @Test
    void countsOfOneAreSingular() throws IOException {
        Cli.Result r = Cli.run("bench", "--shapes", shapes().toString(), "--filter", "tiny.conv", "--device", "cpu",
                "--iters", "1", "--warmup", "1", "--warmup-seconds", "0.01", "--seconds", "0");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.err().contains("bench: 1 problem on "), r.toString());
        assertTrue(r.err().contains("median of 1 call (") && r.err().contains("(at least 1 call and "), r.toString());
        assertTrue(r.err().contains(" 1 call   ("), "progress line: " + r);
        assertTrue(r.out().contains("1 result ok, 0 FAIL"), r.toString());
        assertEquals("0 steps", Plural.of(0, "step"));
        assertEquals("1 step", Plural.of(1, "step"));
        assertEquals("2 host transfers", Plural.of(2, "host transfer"));
    }

    @Test
    void cpuRunWritesTableJsonCsvAndPlot() throws IOException {
        Path json = dir.resolve("out.json"), csv = dir.resolve("out.csv"), svg = dir.resolve("out.svg");
        Cli.Result r = Cli.run("bench", "--shapes", shapes().toString(), "--device", "cpu", "--iters", "3",
                "--warmup", "0", "--json", json.toString(), "--csv", csv.toString(), "--plot", svg.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.err().contains("[1/2] tiny.conv"), "progress on stderr: " + r);
        assertTrue(r.out().contains("tiny.conv") && r.out().contains("tiny.dcn"), r.toString());
        assertTrue(r.out().contains("2 results ok, 0 FAIL"), r.toString());
        // the table: a header and one aligned row per result
        List<String> table = r.out().lines().filter(l -> l.startsWith("problem") || l.startsWith("tiny.")).toList();
        assertEquals(3, table.size(), r.toString());
        int checkColumn = table.get(0).indexOf("check");
        for (String row : table.subList(1, 3)) {
            assertEquals("ok", row.substring(checkColumn, checkColumn + 2), "aligned check column: " + row);
        }
        // the CPU path's peak is measured, and kept if its repeats agreed (else stderr says why not)
        assertTrue(r.out().contains("CPU path peak:"), r.toString());
        String peakLine = r.out().lines().filter(l -> l.startsWith("CPU path peak:")).findFirst().orElseThrow();
        assertTrue(peakLine.contains("; measured in this run"), peakLine);
        assertEquals(1, count(r.err(), "bench: measuring the peak of the CPU path"), r.toString());
        Path peaks = PrivateCacheDir.root().resolve("peak");
        assertEquals(r.err().contains(", not cached: ") ? 0 : 1, Files.isDirectory(peaks) ? Cli.filesIn(peaks) : 0, r.toString());

        String j = Files.readString(json);
        assertTrue(j.contains("\"device\": \"cpu (pure Java"), j);
        assertEquals(2, count(j, "\"backend\": \"cpu\""), j);
        assertEquals(2, count(j, "\"ok\": true"), j);
        assertTrue(j.contains("\"name\": \"tiny.dcn\", \"op\": \"deform2d\""), j);
        assertTrue(j.contains("\"checked_with\": \"reference\""), j);
        for (String field : List.of("median_ms", "gflops", "peak_share", "compile_ms")) {
            Matcher m = Pattern.compile("\"" + field + "\": ([0-9.Ee-]+)").matcher(j);
            assertTrue(m.find() && Double.parseDouble(m.group(1)) > 0, field + " positive in " + j);
        }
        assertTrue(j.contains("\"kernel_ms\": null"), "no kernel time on the CPU path: " + j);

        List<String> rows = Files.readAllLines(csv);
        assertEquals(3, rows.size(), rows.toString());
        assertTrue(rows.get(0).startsWith("name,op,backend,algorithm,ok,"), rows.get(0));
        assertTrue(rows.get(1).startsWith("tiny.conv,conv2d,cpu,"), rows.get(1));

        String plot = Files.readString(svg);
        assertTrue(plot.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\""), plot);
        assertTrue(plot.contains(">tiny.conv</text>") && plot.contains(">tiny.dcn</text>"), plot);
        assertEquals(2, count(plot, "height=\"14\" fill="), "one bar per result: " + plot);
        assertTrue(plot.strip().endsWith("</svg>"));
    }

    private static int count(String s, String part) {
        int n = 0;
        for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }

    @Test
    void quickAndFilterSelectProblems() throws IOException {
        Cli.Result quick = Cli.run("bench", "--shapes", shapes().toString(), "--device", "cpu", "--quick", "--iters", "1",
                "--no-peak");
        assertEquals(0, quick.code(), quick.toString());
        assertTrue(quick.out().contains("tiny.conv") && !quick.out().contains("tiny.dcn"), quick.toString());
        // no peak measured: the legend says so instead of explaining a share that is not there
        assertTrue(quick.out().contains("peak: not measured (--no-peak)")
                && !quick.out().contains("the measured FMA peak"), quick.toString());
        Path page = dir.resolve("chart.html");
        Cli.Result html = Cli.run("bench", "--shapes", shapes().toString(), "--device", "cpu", "--quick", "--iters", "1",
                "--no-peak", "--plot", page.toString());
        assertEquals(0, html.code(), html.toString());
        String text = Files.readString(page);
        assertTrue(text.startsWith("<!DOCTYPE html>") && text.contains("<svg ") && text.contains(">tiny.conv</text>"), text);
        Cli.Result filtered = Cli.run("bench", "--shapes", shapes().toString(), "--device", "cpu", "--filter", "dcn$",
                "--iters", "1", "--no-peak");
        assertEquals(0, filtered.code(), filtered.toString());
        assertTrue(filtered.out().contains("tiny.dcn") && !filtered.out().contains("tiny.conv"), filtered.toString());
    }

    @Test
    void theBundledSuiteIsTheDefaultAndParses() throws IOException {
        List<BenchSuite.Problem> suite = BenchSuite.load(null);
        assertEquals(30, suite.size());
        assertEquals(8, suite.stream().filter(BenchSuite.Problem::quick).count());
        assertEquals("resnet50.res2.3x3", suite.get(0).name());
        assertTrue(suite.stream().anyMatch(p -> p.name().equals("dcnv2.res4.og4")
                && p.spec() instanceof DeformConv2d d && d.offsetGroups() == 4 && d.mask()));
        // every deformable layer has a dense layer of its shape (issue 13's 0.6x target)
        for (BenchSuite.Problem p : suite) {
            if (p.spec() instanceof DeformConv2d d) {
                assertTrue(suite.stream().anyMatch(q -> !(q.spec() instanceof DeformConv2d)
                        && q.spec().equals(d.asConv2d())), "no dense twin of " + p.name());
            }
        }
    }

    /**
     * Two lines with one name would be timed as one problem (bench --batch merged them into one
     * scaling line, comparing different problems); the reader refuses the second.
     */
    @Test
    void aShapesFileNameIsUsedOnce() throws IOException {
        String conv = "op=conv2d n=1 c=4 h=9 w=9 k=4 kh=3 kw=3";
        assertEquals("s.txt, line 3: name 'dup' is already used on line 1", assertThrows(IllegalArgumentException.class,
                () -> BenchSuite.parse("s.txt", "dup " + conv + "\n# comment\ndup " + conv.replace("k=4", "k=8")))
                .getMessage());
        // lines without a name are named by their line number, so they never collide
        assertEquals(2, BenchSuite.parse("s.txt", conv + "\n" + conv).size());
        Path file = dir.resolve("dup.txt");
        Files.writeString(file, "dup " + conv + "\ndup " + conv + "\n");
        Cli.Result r = Cli.run("bench", "--shapes", file.toString(), "--device", "cpu", "--iters", "1", "--no-peak",
                "--batch", "1,2");
        assertEquals(2, r.code(), r.toString());
        assertEquals("convcl bench: shapes file " + file + " (--shapes), line 2: name 'dup' is already used on line 1",
                r.err().strip(), r.toString());
    }

    /**
     * A shapes file's float fields and post-ops are named as the line gives them, not as Java
     * prints the floats read ({@code Infinity}, {@code -0.0}, {@code 1.0}), and a post-op's message
     * names only the parameters it takes.
     */
    @Test
    void aShapesFilesRulesNameTheValuesAsTyped() throws IOException {
        String roi = "r op=roi_align n=1 c=4 h=9 w=9 rois=3 ph=2 pw=2 sr=2 ";
        String conv = "c op=conv2d n=1 c=4 h=9 w=9 k=4 kh=3 kw=3 ";
        String[][] cases = {
            {roi + "scale=inf", "scale=inf (spatial_scale) must be finite and positive"},
            {roi + "scale=-0", "scale=-0 (spatial_scale) must be finite and positive"},
            {roi + "scale=0", "scale=0 (spatial_scale) must be finite and positive"},
            {conv + "post=leaky_relu:inf", "post-op 'leaky_relu:inf': alpha inf must be finite"},
            {conv + "post=clip:1:0", "post-op 'clip:1:0': minimum 1 is above its maximum 0"},
        };
        Path file = dir.resolve("typed.txt");
        for (String[] c : cases) {
            Files.writeString(file, "# one line\n" + c[0] + "\n");
            Cli.assertUsageLine(Cli.run("bench", "--shapes", file.toString(), "--device", "cpu", "--no-peak"),
                    "convcl bench: shapes file " + file + " (--shapes), line 2: " + c[1]);
        }
    }

    /** A report named with a trailing '/' names a folder: refused as typed before any work (it wrote a file). */
    @Test
    void aReportWhoseNameEndsWithASlashIsRefusedAsTyped() throws IOException {
        String json = dir + "/r.json/";
        Cli.assertUsageLine(Cli.run("bench", "--shapes", shapes().toString(), "--device", "cpu", "--no-peak", "--json",
                json), "convcl bench: JSON report " + json + " (--json): ends with '/', which names a folder; a file "
                + "name is needed");
        assertFalse(Files.exists(dir.resolve("r.json")));
    }

    /**
     * quick=1 is the shapes file's own field: its reader takes it out before the operator's parser
     * sees the line, so the line's problem is the same with or without it.
     */
    @Test
    void quickIsAShapesFileFieldNotAProblemField() {
        String conv = "op=conv2d n=1 c=4 h=9 w=9 k=4 kh=3 kw=3";
        List<BenchSuite.Problem> suite = BenchSuite.parse("s.txt", "a " + conv + " quick=1\nb " + conv + "\n"
                + "c QUICK=true " + conv + "\nd " + conv + " quick=0\n");
        assertEquals(List.of(true, false, true, false), suite.stream().map(BenchSuite.Problem::quick).toList());
        assertEquals(1, suite.stream().map(BenchSuite.Problem::op).distinct().count(), suite.toString());
        assertEquals("s.txt, line 1: quick='2' must be 0 or 1 (or false or true)", assertThrows(IllegalArgumentException.class,
                () -> BenchSuite.parse("s.txt", "a " + conv + " quick=2")).getMessage());
        assertEquals("s.txt, line 1: field 'quick' given twice", assertThrows(IllegalArgumentException.class,
                () -> BenchSuite.parse("s.txt", "a " + conv + " quick=1 quick=0")).getMessage());
        // the one definition the tests and bench/*.java strip the field with: any case, any value, anywhere
        for (String field : List.of("quick=1", "quick=true", "QUICK=1", "Quick=0", "quick=", "quick=yes")) {
            assertEquals(conv, BenchSuite.withoutQuick(conv + " " + field), field);
            assertEquals(conv, BenchSuite.withoutQuick(field + " " + conv), field);
            assertEquals(conv, BenchSuite.withoutQuick(field + "\t" + conv + " " + field + "  "), field);
            assertEquals("op=conv2d n=1  c=4 h=9 w=9 k=4 kh=3 kw=3",
                    BenchSuite.withoutQuick("op=conv2d n=1 " + field + " c=4 h=9 w=9 k=4 kh=3 kw=3"), field);
        }
        assertEquals(conv + " xquick=1", BenchSuite.withoutQuick(conv + " xquick=1"), "only the field quick");
        assertEquals(conv, BenchSuite.withoutQuick("  " + conv + " "));
    }

    @Test
    void errorsExitWithTwoAndWriteNothing() throws IOException {
        Path json = dir.resolve("out.json");
        Path shapes = shapes();
        Path none = dir.resolve("none.txt");
        Cli.assertUsageLine(Cli.run("bench", "--shapes", none.toString()),
                "convcl bench: shapes file " + none + " (--shapes): no such file");
        Cli.assertUsageLine(Cli.run("bench", "--shapes", dir.toString()),
                "convcl bench: shapes file " + dir + " (--shapes): is a folder; --shapes takes a file");
        Path bad = Files.writeString(dir.resolve("bad.txt"), "ok op=conv2d n=1 c=1 h=3 w=3 k=1 kh=1 kw=1\n"
                + "broken op=conv2d n=1 c=1 h=3 w=3 k=1 kh=5 kw=1\n");
        Cli.assertUsageError(Cli.run("bench", "--shapes", bad.toString(), "--json", json.toString()),
                "convcl bench: shapes file " + bad + " (--shapes), line 2: kernel height kh=5");
        Cli.assertUsageError(Cli.run("bench", "--shapes", shapes.toString(), "--filter", "resnet"),
                "no problem is left after --filter 'resnet' (of 2)");
        Cli.assertUsageError(Cli.run("bench", "--shapes", shapes.toString(), "--filter", "(("), "is not a regular expression");
        // an empty expression matches every name: refused, not read as "all" (leaving --filter out says that)
        for (String command : new String[] {"bench", "tune"}) {
            Cli.assertUsageLine(Cli.run(command, "--shapes", shapes.toString(), "--filter", ""), "convcl " + command
                    + ": --filter '' is empty, which every problem's name matches; leave --filter out to take every problem");
            Cli.assertUsageLine(Cli.run(command, "--shapes", shapes.toString(), "--filter="), "convcl " + command
                    + ": --filter '' is empty, which every problem's name matches; leave --filter out to take every problem");
        }
        // an alternative that matches an empty name matches every name too (a '|' left at the end by an edit)
        for (String regex : new String[] {"res2|", "|res2", "a||b", "(|a)", "(?:a|)", "(?i:|a)"}) {
            for (String command : new String[] {"bench", "tune"}) {
                Cli.assertUsageLine(Cli.run(command, "--shapes", shapes.toString(), "--filter", regex), "convcl " + command
                        + ": --filter '" + regex + "' has an alternative ('|') that matches an empty name, so every "
                        + "problem's name matches it; leave --filter out to take every problem");
            }
        }
        Cli.assertUsageError(Cli.run("bench", "--shapes", shapes.toString(), "--iters", "0"), "--iters 0 must be at least 1");
        Cli.assertUsageLine(Cli.run("bench", "--shapes", shapes.toString(), "--iters", "00"),
                "convcl bench: --iters 00 must be at least 1");
        // numbers echoed as the user typed them (-1, not -1.0), the value after '=' too
        for (String v : new String[] {"-1", "-0.50", "NaN", "Infinity", "-inf"}) {
            Cli.assertUsageLine(Cli.run("bench", "--shapes", shapes.toString(), "--seconds", v),
                    "convcl bench: --seconds " + v + " must be a finite number of seconds, 0 or more");
            Cli.assertUsageLine(Cli.run("bench", "--shapes", shapes.toString(), "--warmup-seconds=" + v),
                    "convcl bench: --warmup-seconds " + v + " must be a finite number of seconds, 0 or more");
        }
        for (String v : new String[] {"0", "-2", "NaN", "Infinity"}) {
            Cli.assertUsageLine(Cli.run("bench", "--shapes", shapes.toString(), "--reference-mflop", v),
                    "convcl bench: --reference-mflop " + v + " must be a finite positive number of MFLOP");
        }
        // a number a double cannot hold is out of range, not Infinity or 0; Java's 2f is no number
        for (String flag : new String[] {"--seconds", "--warmup-seconds", "--reference-mflop"}) {
            Cli.assertUsageLine(Cli.run("bench", "--shapes", shapes.toString(), flag, "1e400"), "convcl bench: " + flag
                    + " 1e400 is out of range for a number (at most about 1.8e308 in size)");
            Cli.assertUsageError(Cli.run("bench", "--shapes", shapes.toString(), flag, "-1e-400"),
                    flag + " -1e-400 is too close to 0 for a number (at least about 4.9e-324 in size, or 0)");
            Cli.assertUsageError(Cli.run("bench", "--shapes", shapes.toString(), flag, "2f"), flag + " 2f is not a number");
        }
        Cli.assertUsageLine(Cli.run("bench", "--shapes", shapes.toString(), "--fma-limit", "1e400"), "convcl bench: "
                + "--fma-limit '1e400' is out of range for a number (at most about 1.8e308 in size); it must be a finite "
                + "number of GFLOP/s, at least 0.001 (1 MFLOP/s) or 'measure'");
        Cli.assertUsageLine(Cli.run("bench", "--shapes", shapes.toString(), "--fma-limit", "0"),
                "convcl bench: --fma-limit 0 must be a finite number of GFLOP/s, at least 0.001 (1 MFLOP/s) or 'measure'");
        // --model's options without --model: the line names the ones given, no more
        Cli.assertUsageLine(Cli.run("bench", "--shapes", shapes.toString(), "--layers"),
                "convcl bench: --layers is for --model");
        Cli.assertUsageLine(Cli.run("bench", "--shapes", shapes.toString(), "--input-shape", "1,3,8,8"),
                "convcl bench: --input-shape is for --model");
        Cli.assertUsageLine(Cli.run("bench", "--shapes", shapes.toString(), "--input-shape", "1,3,8,8", "--layers"),
                "convcl bench: --input-shape and --layers are for --model");
        Path missing = dir.resolve("missing/out.json");
        Cli.assertUsageLine(Cli.run("bench", "--shapes", shapes.toString(), "--json", missing.toString()),
                "convcl bench: JSON report " + missing + " (--json): its folder " + missing.getParent() + " does not exist");
        // as typed: a relative folder stays relative; a file in the way is named as a file
        String rel = Path.of("").toAbsolutePath().relativize(dir) + "/out/r.json";
        Cli.assertUsageLine(Cli.run("bench", "--shapes", shapes.toString(), "--json", rel),
                "convcl bench: JSON report " + rel + " (--json): its folder " + rel.substring(0, rel.lastIndexOf('/'))
                        + " does not exist");
        String inWay = Path.of("").toAbsolutePath().relativize(shapes) + "/r.csv";
        Cli.assertUsageLine(Cli.run("bench", "--shapes", shapes.toString(), "--csv", inWay), "convcl bench: CSV report "
                + inWay + " (--csv): " + Path.of("").toAbsolutePath().relativize(shapes) + " is a file, not a folder");
        Cli.assertUsageLine(Cli.run("bench", "--shapes", shapes.toString(), "--plot", dir.toString()),
                "convcl bench: plot " + dir + " (--plot): is a folder; a file name is needed");
        Cli.assertUsageLine(Cli.run("bench", "--shapes", shapes.toString(), "--csv", dir.toString()),
                "convcl bench: CSV report " + dir + " (--csv): is a folder; a file name is needed");
        // two reports naming one file: the later would replace the earlier
        Path same = dir.resolve("r.json");
        Cli.assertUsageLine(Cli.run("bench", "--shapes", shapes.toString(), "--json", same.toString(), "--csv",
                dir.resolve("./r.json").toString()), "convcl bench: --json " + same + " and --csv " + dir.resolve("./r.json")
                + " name the same file; each report needs its own");
        assertFalse(Files.exists(json));
        assertEquals(List.of("bad.txt", "shapes.txt"), Cli.names(dir));
    }

    /**
     * A folder whose permissions let the user in but which takes no new file (/proc; for root any
     * folder's permission bits pass) is refused before anything is timed, not after the run.
     */
    @Test
    void aFolderThatTakesNoNewFilesIsRefusedBeforeAnyWork() throws IOException {
        Path csv = Path.of("/proc/convcl-bench-test.csv");
        Cli.Result r = Cli.run("bench", "--shapes", shapes().toString(), "--device", "cpu", "--iters", "1", "--no-peak",
                "--csv", csv.toString());
        Cli.assertUsageError(r, "convcl bench: CSV report " + csv + " (--csv): its folder /proc ");
        assertFalse(Files.exists(csv));
    }

    /** {@code --batch 2,1}: timed and shown from the smallest batch up; one batch: nothing compared. */
    @Test
    void batchesAreShownInAscendingOrderAndOneBatchIsNotCompared() throws IOException {
        Cli.Result r = Cli.run("bench", "--shapes", shapes().toString(), "--filter", "tiny.conv", "--device", "cpu",
                "--iters", "1", "--warmup", "0", "--warmup-seconds", "0", "--seconds", "0", "--no-peak", "--batch", "2,1");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.err().contains(": 1 problem at batch 1,2 (2 runs) on "), r.toString());
        String head = r.out().lines().filter(l -> l.startsWith("problem backend")).findFirst().orElseThrow();
        assertTrue(head.indexOf("n=1") < head.indexOf("n=2"), head);
        assertTrue(r.out().indexOf("tiny.conv@n1") < r.out().indexOf("tiny.conv@n2"), r.toString());
        Cli.Result one = Cli.run("bench", "--shapes", shapes().toString(), "--filter", "tiny.conv", "--device", "cpu",
                "--iters", "1", "--warmup", "0", "--warmup-seconds", "0", "--seconds", "0", "--no-peak", "--batch", "8");
        assertEquals(0, one.code(), one.toString());
        String line = one.out().lines().filter(l -> l.startsWith("tiny.conv cpu")).findFirst().orElseThrow();
        assertTrue(line.endsWith("not compared: one batch size (scaling needs two or more)") && !line.contains("no slower"), line);
    }

    /**
     * {@code --batch --json}: the scaling summary is in the report, with the bandwidth's source: none
     * on an empty cache, cached (and when) with {@code --no-peak} and a cached Java-path peak.
     */
    @Test
    void theJsonReportCarriesTheBatchScalingAndTheBandwidthsSource() throws IOException {
        Path json = dir.resolve("b.json");
        String[] args = {"bench", "--shapes", shapes().toString(), "--filter", "tiny.conv", "--device", "cpu",
            "--iters", "1", "--warmup", "0", "--warmup-seconds", "0", "--seconds", "0", "--no-peak", "--batch", "2,1",
            "--json", json.toString()};
        Cli.Result r = Cli.run(args);
        assertEquals(0, r.code(), r.toString());
        String j = Files.readString(json);
        // the keys scripts read are unchanged; the batches in ascending order
        assertTrue(j.contains("\"batches\": [1, 2]") && j.contains("\"rows\": [") && j.contains("\"peers\": []"), j);
        assertTrue(j.contains("\"batch_scaling\": {") && j.contains("\"bandwidth_source\": \"none\""), j);
        assertTrue(j.contains("\"problem\": \"tiny.conv\", \"backend\": \"cpu\", \"on_host\": true"), j);
        assertTrue(Pattern.compile("\"verdict\": \"(slower|no slower|not judged)\"").matcher(j).find(), j);
        // each batch's bytes and rate (4 x (2*4*9*9 + 4*2*3*3 + 2*4*9*9 + 4) bytes at n=2: the bias bench adds counted), no share without a bandwidth
        assertTrue(j.contains("\"batch\": 1, ") && j.contains("\"bytes_per_call\": " + 4 * (2 * 4 * 81 + 4 * 2 * 9 + 2 * 4 * 81 + 4)),
                j);
        Matcher rate = Pattern.compile("\"gb_per_s\": ([0-9.Ee-]+), \"bandwidth_share\": null").matcher(j);
        assertTrue(rate.find() && Double.parseDouble(rate.group(1)) > 0, j);

        // a Java-path peak an earlier run cached: --no-peak measures nothing, and the report says cached, and when
        int threads;
        try (dev.convcl.Engine e = dev.convcl.Engine.create(dev.convcl.DeviceChoice.CPU)) {
            threads = ((dev.convcl.cpu.CpuBackend) dev.convcl.spi.Internals.cpu(e)).threads();
        }
        String key = PeakCache.javaKey(threads);
        PeakCache cache = PeakCache.standard();
        Files.createDirectories(cache.file(key).getParent());
        java.util.Properties p = new java.util.Properties();
        p.setProperty("key", key);
        p.setProperty("device", "cpu");
        p.setProperty("gflops", "400");
        p.setProperty("gb_per_s", "58.4");
        p.setProperty("measured", "2026-12-05T16:36:27Z");
        try (java.io.Writer w = Files.newBufferedWriter(cache.file(key))) {
            p.store(w, null);
        }
        Cli.Result cached = Cli.run(args);
        assertEquals(0, cached.code(), cached.toString());
        assertTrue(cached.out().contains("peak: not measured (--no-peak)"), cached.toString());
        j = Files.readString(json);
        assertTrue(j.contains("\"bandwidth_gb_per_s\": 58.4, \"bandwidth_source\": \"cached\", "
                + "\"bandwidth_measured\": \"2026-12-05T16:36:27Z\", \"bandwidth_of\": \"convcl peak's triad on the Java "
                + "path\""), j);
        Matcher share = Pattern.compile("\"gb_per_s\": ([0-9.Ee-]+), \"bandwidth_share\": ([0-9.Ee-]+)").matcher(j);
        assertTrue(share.find() && Math.abs(Double.parseDouble(share.group(1)) / 58.4 - Double.parseDouble(share.group(2)))
                < 1e-9, j);
    }

    /**
     * A peak line says where its figures came from: the cache entry read before the run (and when
     * it was measured), this run's measurement, or this run's measurement that the cache refused.
     */
    @Test
    void aPeakLineSaysWhetherItWasCachedOrMeasuredNow() {
        Peak.Result cachedPeak = new Peak.Result("cpu", 400, 58.4, "");
        PeakCache.Entry entry = new PeakCache.Entry(cachedPeak, java.time.Instant.parse("2026-12-05T16:36:27Z"));
        assertEquals("cached, measured 2026-12-05 16:36 UTC", BenchCommand.peakSource(cachedPeak, entry, null));
        assertEquals("cached (its cache entry has no date)",
                BenchCommand.peakSource(cachedPeak, new PeakCache.Entry(cachedPeak, null), null));
        Peak.Result now = new Peak.Result("cpu", 380, 61.0, "");
        assertEquals("measured in this run", BenchCommand.peakSource(now, entry, null));
        assertEquals("measured in this run", BenchCommand.peakSource(now, null, null));
        PeakRepeats.Verdict ok = new PeakRepeats.Verdict(380, true, List.of(), "");
        PeakRepeats.Verdict spread = new PeakRepeats.Verdict(61.0, false, List.of(), "the three highest differ by 21%");
        Peak.Measured refused = new Peak.Measured(now, ok, spread, "");
        assertEquals("measured in this run, not cached (its bandwidth repeats: the three highest differ by 21%)",
                BenchCommand.peakSource(now, null, refused));
        // a refused measurement that is not the peak in use (the cached one is) changes nothing
        assertEquals("cached, measured 2026-12-05 16:36 UTC", BenchCommand.peakSource(cachedPeak, entry, refused));
    }
}
