package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.RoiAlign;
import dev.convcl.testing.PrivateCacheDir;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code convcl bench} on RoI lines, on the CPU path: their own table, their JSON and CSV rows,
 * the bundled RoI suite, the sample count, and the options that do not apply to them.
 */
@ExtendWith(PrivateCacheDir.class)
class BenchRoiTest {
    /** One line of each RoI operator (deform_roi_pool modulated), small enough for a unit test. */
    static final String TINY_ROI = """
            tiny.roi_align   op=roi_align n=2 c=8 h=12 w=10 rois=6 ph=3 pw=3 scale=0.25 sr=2 aligned=1
            tiny.roi_align0  op=roi_align n=1 c=4 h=12 w=10 rois=5 ph=2 pw=2 scale=0.5 sr=0 aligned=0
            tiny.ps          op=ps_roi_align n=1 c=18 h=9 w=11 rois=4 ph=3 pw=3 scale=0.5 sr=2
            tiny.mdrp        op=deform_roi_pool n=1 c=4 h=9 w=9 rois=3 ph=3 pw=3 scale=0.5 sr=2 gamma=0.1 offset=1 mask=1
            """;

    @TempDir
    Path dir;

    /** The JSON rows of the RoI table (one line each), in order. */
    static List<String> roiRows(String json) {
        return json.lines().filter(l -> l.contains("\"section\": \"roi\"")).toList();
    }

    /** Asserts that every named field of {@code row} is a positive number. */
    static void assertPositive(String row, String... fields) {
        for (String f : fields) {
            assertTrue(BenchChainTest.number(row, f) > 0, f + " positive in " + row);
        }
    }

    @Test
    void roiLinesGetTheirOwnTableAndReportRows() throws IOException {
        Path shapes = Files.writeString(dir.resolve("shapes.txt"), BenchCommandTest.TINY + TINY_ROI);
        Path json = dir.resolve("out.json"), csv = dir.resolve("out.csv");
        Cli.Result r = Cli.run("bench", "--shapes", shapes.toString(), "--device", "cpu", "--iters", "3", "--warmup",
                "0", "--warmup-seconds", "0", "--no-peak", "--json", json.toString(), "--csv", csv.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("6 results ok, 0 FAIL"), r.toString());
        List<String> table = r.out().lines().filter(l -> l.startsWith("RoI problem") || l.startsWith("tiny.roi_align")
                || l.startsWith("tiny.ps") || l.startsWith("tiny.mdrp")).toList();
        assertEquals(5, table.size(), r.toString());
        assertTrue(table.get(0).contains("Msample/s") && !table.get(0).contains("GFLOP/s"), table.get(0));
        assertTrue(r.out().contains("RoI rows: Msample/s = bilinear samples"), r.toString());

        List<String> rows = roiRows(Files.readString(json));
        assertEquals(4, rows.size(), rows.toString());
        String[] ops = {"roi_align", "roi_align", "ps_roi_align", "deform_roi_pool"};
        for (int i = 0; i < rows.size(); i++) {
            String row = rows.get(i);
            assertTrue(row.contains("\"op\": \"" + ops[i] + "\"") && row.contains("\"backend\": \"cpu\"")
                    && row.contains("\"ok\": true") && row.contains("\"checked_with\": \"reference\""), row);
            assertPositive(row, "median_ms", "min_ms", "max_ms", "calls", "device_median_ms", "device_calls",
                    "samples", "msamples_per_s", "device_msamples_per_s", "compile_ms");
            assertTrue(BenchChainTest.number(row, "rel_l2") <= ProblemData.TOLERANCE, row);
        }
        // sr=2: every bin takes 2x2 samples of each output channel
        assertEquals(6 * 8 * 9 * 4, BenchChainTest.number(rows.get(0), "samples"), rows.get(0));
        assertEquals(4 * 2 * 9 * 4, BenchChainTest.number(rows.get(2), "samples"), rows.get(2));
        String csvText = Files.readString(csv);
        String header = csvText.lines().findFirst().orElseThrow();
        assertTrue(header.contains("msamples_per_s") && header.contains("gflops"), header);
        assertEquals(4, csvText.lines().filter(l -> l.contains(",roi,")).count(), csvText);
    }

    @Test
    void adaptiveSamplesFollowTheRoiSize() {
        RoiAlign op = RoiAlign.parse("op=roi_align n=1 c=3 h=20 w=20 rois=2 ph=2 pw=4 scale=0.5 sr=0 aligned=1");
        // on the map: 5 x 9 -> ceil(5/2)=3 by ceil(9/4)=3; 0.5 x 0.5 -> 1 by 1
        float[] rois = {0, 2, 4, 20, 14, 0, 1, 1, 2, 2};
        assertEquals((3 * 3 + 1) * 3 * 2 * 4, BenchRoi.samples(op, rois));
        // unaligned roi_align raises a RoI's size to at least 1 before it sizes the grid
        RoiAlign unaligned = RoiAlign.parse("op=roi_align n=1 c=1 h=20 w=20 rois=1 ph=2 pw=2 scale=0.5 sr=0 aligned=0");
        assertEquals(4, BenchRoi.samples(unaligned, new float[] {0, 1, 1, 2, 2}));
    }

    @Test
    void bundledRoiSuiteHoldsTheDetectionHeads() throws IOException {
        List<BenchSuite.Problem> suite = BenchSuite.load(null, BenchSuite.BUNDLED_ROI);
        assertTrue(suite.stream().allMatch(p -> p.roi() != null), suite.toString());
        assertTrue(suite.stream().anyMatch(p -> p.roi().kind() == RoiAlign.Kind.ROI_ALIGN && p.roi().rois() == 300
                && p.roi().c() == 256 && p.roi().outH() == 7 && p.roi().spatialScale() == 0.0625f
                && p.roi().h() == 50 && p.roi().w() == 68 && p.roi().aligned() && p.roi().samplingRatio() == 0));
        assertTrue(suite.stream().anyMatch(p -> p.roi().outH() == 14 && p.roi().outW() == 14));
        assertTrue(suite.stream().anyMatch(p -> p.roi().kind() == RoiAlign.Kind.PS_ROI_ALIGN && p.roi().c() == 490));
        assertTrue(suite.stream().anyMatch(p -> p.roi().kind() == RoiAlign.Kind.DEFORM_ROI_POOL && p.roi().mask()));
        // the RoIs of a problem lie inside the image and are valid for the operator
        BenchSuite.Problem box = suite.get(0);
        float[] rois = ((dev.convcl.HostTensor) ProblemData.random(box.roi(), box.name().hashCode())
                .get(dev.convcl.Arg.ROIS)).toArray();
        box.roi().checkRois(rois);
        float imageW = box.roi().w() / box.roi().spatialScale(), imageH = box.roi().h() / box.roi().spatialScale();
        for (int k = 0; k < box.roi().rois(); k++) {
            float x1 = rois[k * 5 + 1], y1 = rois[k * 5 + 2], x2 = rois[k * 5 + 3], y2 = rois[k * 5 + 4];
            assertTrue(x1 >= 0 && y1 >= 0 && x2 <= imageW && y2 <= imageH && x2 - x1 >= 1 && y2 - y1 >= 1,
                    "RoI " + k + " inside the image: " + x1 + "," + y1 + "," + x2 + "," + y2);
        }
    }

    @Test
    void optionsThatDoNotApplyToRoiLinesAreOneLine() throws IOException {
        Path shapes = Files.writeString(dir.resolve("roi.txt"), TINY_ROI);
        Cli.assertUsageError(Cli.run("bench", "--roi", "--shapes", shapes.toString()),
                "--roi times the bundled RoI suite");
        Cli.assertUsageError(Cli.run("bench", "--shapes", shapes.toString(), "--plot", dir.resolve("p.svg").toString()),
                "--plot and --fma-limit rate GFLOP/s of convolutions");
        Cli.assertUsageError(Cli.run("bench", "--chain", "--roi"), "it takes no --roi");
        Path bad = Files.writeString(dir.resolve("bad.txt"), "x op=pool2d kind=max n=1 c=1 h=4 w=4 kh=2 kw=2\n");
        Cli.assertUsageError(Cli.run("bench", "--shapes", bad.toString()),
                "op=pool2d is neither a convolution nor an RoI operator");
    }

    /**
     * An RoI line that {@code bench --batch} cannot take, or a shapes file whose chosen lines are all
     * RoI lines for {@code tune}, is refused in one line that names the file, the line and the
     * problem, before any device work.
     */
    /**
     * An RoI line whose scale puts the image beyond a float's range, where bench draws its RoIs: refused
     * by file and line before anything is timed (it failed after the lines before it, on
     * {@code rois[0, 1] = Infinity}, RoIs the user never gave). Just inside the range it runs.
     */
    @Test
    void aScaleTooSmallForBenchsRoisIsRefusedBeforeTiming() throws IOException {
        Path tiny = Files.writeString(dir.resolve("tiny.txt"), """
                c op=conv2d n=1 c=4 h=9 w=9 k=8 kh=3 kw=3 pad=1
                r op=roi_align n=1 c=4 h=9 w=9 rois=3 ph=2 pw=2 scale=1e-40 sr=2
                """);
        Cli.Result r = Cli.run("bench", "--shapes", tiny.toString(), "--device", "cpu", "--iters", "1", "--seconds", "0.1");
        Cli.assertUsageError(r, "convcl bench: shapes file " + tiny + " (--shapes), line 2: 'r': its scale, 1e-40, puts the "
                + "image at 9.00e+40 pixels a side (9 / scale); bench draws its RoIs in image coordinates, which a float "
                + "holds up to 3.40e+38: give a scale of at least 2.64e-38");
        assertTrue(!r.err().contains("[1/"), "nothing timed first: " + r);
        Path ok = Files.writeString(dir.resolve("ok.txt"), "r op=roi_align n=1 c=4 h=9 w=9 rois=3 ph=2 pw=2 scale=1e-30 sr=2\n");
        Cli.Result fine = Cli.run("bench", "--shapes", ok.toString(), "--device", "cpu", "--iters", "1", "--seconds", "0.1");
        assertEquals(0, fine.code(), fine.toString());
    }

    /**
     * An RoI line of more bilinear samples than {@code --max-samples} (2^30 unless given, run's rule)
     * is refused before any line runs, naming the file, the line, the count and how to run it anyway;
     * it ran silently for minutes. With adaptive sampling the count is the one its drawn RoIs give.
     */
    @Test
    void roiLineAboveMaxSamplesIsRefusedBeforeAnyLineRuns() throws IOException {
        Path big = Files.writeString(dir.resolve("big.txt"), """
                r op=roi_align n=1 c=4 h=12 w=10 rois=5 ph=2 pw=2 scale=0.5 sr=2 aligned=0
                big op=roi_align n=1 c=256 h=50 w=68 rois=300 ph=7 pw=7 scale=0.0625 sr=2000 aligned=1
                """);
        Cli.Result r = Cli.run("bench", "--shapes", big.toString(), "--device", "cpu", "--iters", "1", "--seconds", "0.1");
        Cli.assertUsageLine(r, "convcl bench: shapes file " + big + " (--shapes), line 2: 'big': sr=2000: 300 RoIs x 256 "
                + "channels x 7x7 bins x 2000x2000 samples a bin = 15052800000000 bilinear samples, more than convcl "
                + "bench's limit, 2^30 = 1073741824 (--max-samples 15052800000000 runs it)");
        // a limit given, as typed: TINY_ROI's first line, 6 x 8 x 3x3 x 2x2 = 1728 samples
        Path small = Files.writeString(dir.resolve("small.txt"), TINY_ROI.lines().findFirst().orElseThrow() + "\n");
        Cli.assertUsageLine(Cli.run("bench", "--shapes", small.toString(), "--max-samples", "0319"), "convcl bench: "
                + "shapes file " + small + " (--shapes), line 1: 'tiny.roi_align': sr=2: 6 RoIs x 8 channels x 3x3 bins "
                + "x 2x2 samples a bin = 1728 bilinear samples, more than --max-samples 0319 (--max-samples 1728 runs it)");
        // adaptive: the RoIs the run would draw give the count, as in run
        RoiAlign adaptive = RoiAlign.parse("op=roi_align n=1 c=4 h=12 w=10 rois=5 ph=2 pw=2 scale=0.5 sr=0 aligned=0");
        long count = (long) adaptive.samples(((dev.convcl.HostTensor) ProblemData.random(adaptive,
                BenchRoi.seed("a")).get(dev.convcl.Arg.ROIS)).toArray());
        Path a = Files.writeString(dir.resolve("a.txt"), "a " + adaptive + "\n");
        Cli.assertUsageLine(Cli.run("bench", "--shapes", a.toString(), "--max-samples", String.valueOf(count - 1)),
                "convcl bench: shapes file " + a + " (--shapes), line 1: 'a': adaptive sampling on its drawn RoIs at "
                        + "scale=0.5 would take " + count + " bilinear samples over 5 RoIs x 4 channels x 2x2 bins, more "
                        + "than --max-samples " + (count - 1) + " (--max-samples " + count + " runs it)");
        Cli.Result atLimit = Cli.run("bench", "--shapes", a.toString(), "--max-samples", String.valueOf(count), "--device",
                "cpu", "--iters", "1", "--seconds", "0.1", "--no-peak");
        assertEquals(0, atLimit.code(), atLimit.toString());
        // the value's own rule, and a limit no RoI line chosen uses
        Cli.assertUsageLine(Cli.run("bench", "--shapes", a.toString(), "--max-samples", "0"),
                "convcl bench: --max-samples 0 must be at least 1");
        Cli.assertUsageLine(Cli.run("bench", "--quick", "--max-samples", "5"), "convcl bench: --max-samples limits the "
                + "work of RoI lines (op=roi_align, ps_roi_align, deform_roi_pool); the problems chosen are convolutions "
                + "only");
        Cli.assertUsageError(Cli.run("bench", "--chain", "--max-samples", "5"), "it takes no --max-samples");
    }

    /** The RoIs bench counts a line's work on are those its run draws. */
    @Test
    void problemDataRoisAreTheDrawnOnes() {
        RoiAlign op = RoiAlign.parse("op=deform_roi_pool n=2 c=3 h=9 w=7 rois=4 ph=2 pw=2 scale=0.25 sr=0 gamma=0.1 "
                + "offset=1 mask=1");
        assertArrayEquals(((dev.convcl.HostTensor) ProblemData.random(op, 42).get(dev.convcl.Arg.ROIS)).toArray(),
                ProblemData.rois(op, 42));
    }

    @Test
    void roiLinesACommandCannotTakeAreNamedByFileAndLine() throws IOException {
        Path mixed = Files.writeString(dir.resolve("mixed.txt"), """
                c op=conv2d n=1 c=4 h=8 w=8 k=4 kh=3 kw=3
                # an RoI line
                r op=roi_align n=1 c=4 h=12 w=10 rois=5 ph=2 pw=2 scale=0.5 sr=0 aligned=0
                """);
        String batch = "; --batch applies to convolutions only, since an RoI line's RoIs name their images (its n is "
                + "set in the line): time RoI lines without --batch";
        Cli.assertUsageLine(Cli.run("bench", "--shapes", mixed.toString(), "--batch", "1,8"),
                "convcl bench: shapes file " + mixed + " (--shapes), line 3: 'r' is roi_align" + batch);
        String roiLine = Files.readAllLines(Path.of("src/main/resources" + BenchSuite.BUNDLED_ROI)).stream()
                .filter(l -> !l.startsWith("#") && l.contains("op=")).findFirst().orElseThrow();
        int number = Files.readAllLines(Path.of("src/main/resources" + BenchSuite.BUNDLED_ROI)).indexOf(roiLine) + 1;
        Cli.assertUsageLine(Cli.run("bench", "--roi", "--batch", "1,2"), "convcl bench: bundled suite "
                + BenchSuite.BUNDLED_ROI + ", line " + number + ": '" + roiLine.split("\\s+")[0] + "' is roi_align" + batch);

        // tune takes a file's convolutions and skips its RoI lines; with none left there is nothing to tune
        Path roi = Files.writeString(dir.resolve("roi.txt"), TINY_ROI);
        String nothing = "; tune takes convolutions only (op=conv2d or op=deform2d), so there is nothing to tune";
        Cli.assertUsageLine(Cli.run("tune", "--shapes", roi.toString(), "--dir", dir.toString()), "convcl tune: shapes file "
                + roi + " (--shapes), line 1: 'tiny.roi_align' is roi_align, and every problem chosen (4) is an RoI line"
                + nothing);
        Cli.assertUsageLine(Cli.run("tune", "--shapes", roi.toString(), "--filter", "ps", "--dir", dir.toString()),
                "convcl tune: shapes file " + roi + " (--shapes), line 3: 'tiny.ps' is ps_roi_align, the only problem "
                        + "chosen" + nothing);
        assertEquals(List.of("mixed.txt", "roi.txt"), Cli.names(dir));
    }

    /** tune's note on the RoI lines it skips names their lines and names, five at most, and counts the rest. */
    @Test
    void tunesNoteNamesFiveSkippedLinesAtMost() {
        StringBuilder text = new StringBuilder("c op=conv2d n=1 c=4 h=8 w=8 k=4 kh=3 kw=3\n");
        for (int i = 0; i < 7; i++) {
            text.append("r").append(i).append(i == 6 ? " op=ps_roi_align n=1 c=8" : " op=roi_align n=1 c=4")
                    .append(" h=12 w=10 rois=5 ph=2 pw=2 scale=0.5 sr=0\n");
        }
        BenchSuite.Convolutions chosen = BenchSuite.convolutions(
                BenchSuite.parse("shapes file s.txt (--shapes)", text.toString()), "tune");
        assertEquals(1, chosen.convolutions().size());
        assertEquals("tune: skipping 7 RoI lines of shapes file s.txt (--shapes), lines 2 'r0', 3 'r1', 4 'r2', "
                + "5 'r3', 6 'r4' and 2 more (roi_align, ps_roi_align): tune takes convolutions only (op=conv2d or "
                + "op=deform2d), and goes on with the 1 convolution left", chosen.skipped());
        assertEquals(null, BenchSuite.convolutions(BenchSuite.parse("s", "c op=conv2d n=1 c=4 h=8 w=8 k=4 kh=3 kw=3"),
                "tune").skipped());
    }

    /**
     * {@code --peers torch} on RoI lines: torchvision's roi_align and ps_roi_align time the same
     * RoIs in the same run and are checked like convcl; deform_roi_pool's peer row says there is
     * none and why. Without torch, the run goes on and one line says what is missing.
     */
    @Test
    void torchPeerTimesRoiAlignAndSaysDeformRoiPoolHasNone() throws IOException {
        Path shapes = Files.writeString(dir.resolve("roi.txt"), TINY_ROI);
        Path json = dir.resolve("out.json");
        Cli.Result r = Cli.run("bench", "--shapes", shapes.toString(), "--device", "cpu", "--iters", "3",
                "--warmup-seconds", "0", "--peers", "torch", "--peer-threads", "1", "--json", json.toString());
        assertEquals(0, r.code(), r.toString());
        List<String> torchLine = r.out().lines().filter(l -> l.startsWith("peer torch: ")).toList();
        assertEquals(1, torchLine.size(), r.toString());
        if (torchLine.get(0).startsWith("peer torch: not available: ")) {
            assertTrue(r.out().contains("4 results ok, 0 FAIL"), r.toString());
            return;
        }
        List<String> rows = roiRows(Files.readString(json));
        List<String> torch = rows.stream().filter(l -> l.contains("\"backend\": \"torch\"")).toList();
        assertEquals(4, torch.size(), rows.toString());
        for (int i = 0; i < 3; i++) {
            assertTrue(torch.get(i).contains("\"ok\": true") && torch.get(i).contains("\"status\": \"ok\"")
                    && torch.get(i).contains("\"algorithm\": \"torchvision.ops."),
                    torch.get(i));
            assertPositive(torch.get(i), "median_ms", "msamples_per_s");
        }
        assertTrue(torch.get(3).contains("\"unsupported\": true, \"status\": \"n/a\"") && torch.get(3).contains(
                "\"error\": \"no peer: torchvision has no deform_roi_pool (it is mmcv's operator)\""), torch.get(3));
        // convcl's rows carry the peer's median beside theirs
        String cpu = rows.get(0);
        assertTrue(cpu.contains("\"best_peer\": \"torch\""), cpu);
        assertPositive(cpu, "torch_median_ms", "vs_best_peer");
        assertTrue(r.out().contains("7 results ok, 0 FAIL, 1 n/a"), r.toString());
        assertTrue(r.out().contains("n/a tiny.mdrp on torch: no peer: torchvision has no deform_roi_pool"), r.toString());
    }
}
