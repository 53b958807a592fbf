package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Arg;
import dev.convcl.HostTensor;
import dev.convcl.RoiAlign;
import dev.convcl.Tensor;
import dev.convcl.reference.ReferenceOps;
import dev.convcl.testing.RoiProblems;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code convcl run --op roi_align | ps_roi_align | deform_roi_pool} on the CPU path: results
 * equal the reference; an empty RoI file gives an empty output; each bad input is one line, exit 2,
 * with nothing written.
 */
class RunRoiTest {
    @TempDir
    Path dir;

    private List<String> write(RoiProblems.Case c) throws IOException {
        var args = c.args();
        Npy.write(dir.resolve("x.npy"), (HostTensor) args.get(Arg.SRC));
        Npy.write(dir.resolve("r.npy"), (HostTensor) args.get(Arg.ROIS));
        RoiAlign op = c.op();
        List<String> cmd = new ArrayList<>(List.of("run", "--op", op.name(), "--device", "cpu", "--input",
                dir.resolve("x.npy").toString(), "--rois", dir.resolve("r.npy").toString(), "--output-size",
                op.outH() + "," + op.outW(), "--spatial-scale", Float.toString(op.spatialScale()), "--sampling-ratio",
                Integer.toString(op.samplingRatio()), "--out", dir.resolve("y.npy").toString()));
        if (op.aligned()) {
            cmd.add("--aligned");
        }
        if (op.kind() == RoiAlign.Kind.DEFORM_ROI_POOL) {
            cmd.addAll(List.of("--gamma", Float.toString(op.gamma())));
        }
        if (op.offset()) {
            Npy.write(dir.resolve("o.npy"), (HostTensor) args.get(Arg.OFFSET));
            cmd.addAll(List.of("--offset", dir.resolve("o.npy").toString()));
        }
        if (op.mask()) {
            Npy.write(dir.resolve("m.npy"), (HostTensor) args.get(Arg.MASK));
            cmd.addAll(List.of("--mask", dir.resolve("m.npy").toString()));
        }
        return cmd;
    }

    @Test
    void eachOperatorMatchesTheReference() throws IOException {
        for (RoiProblems.Case c : RoiProblems.kernelCoverage()) {
            Cli.Result r = Cli.run(write(c).toArray(String[]::new));
            assertEquals(0, r.code(), r.toString());
            var ref = c.args();
            ReferenceOps.run(c.op(), ref);
            HostTensor y = Npy.read(dir.resolve("y.npy"));
            assertArrayEquals(c.op().outputShape(), y.shape(), c.toString());
            RoiProblems.assertClose(((HostTensor) ref.get(Arg.DST)).toArray(), y.array(), c.toString());
        }
    }

    /** roi_align takes --aligned with a value too: {@code --aligned=false} is the default, {@code =true} the flag. */
    @Test
    void roiAlignTakesAnAlignedValue() throws IOException {
        RoiProblems.Case c = RoiProblems.kernelCoverage().get(0);
        List<String> cmd = write(c);
        cmd.remove("--aligned");
        for (String given : new String[] {"--aligned=false", "--aligned=true"}) {
            List<String> with = new ArrayList<>(cmd);
            with.add(given);
            Cli.Result r = Cli.run(with.toArray(String[]::new));
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().contains(given.endsWith("true") ? "aligned=1" : "aligned=0"), r.toString());
        }
    }

    @Test
    void anEmptyRoiFileGivesAnEmptyOutput() throws IOException {
        RoiProblems.Case c = RoiProblems.kernelCoverage().get(2); // ps_roi_align, c=8, 2x2 bins
        List<String> cmd = write(c);
        Files.write(dir.resolve("r.npy"), Npy.header(new int[] {0, 5}));
        Cli.Result r = Cli.run(cmd.toArray(String[]::new));
        assertEquals(0, r.code(), r.toString());
        assertArrayEquals(new int[] {0, 2, 2, 2}, Npy.shape(dir.resolve("y.npy")));
        assertEquals(Npy.header(new int[] {0, 2, 2, 2}).length, Files.size(dir.resolve("y.npy")));
    }

    private void assertFailsWith(List<String> cmd, String fragment) throws IOException {
        String line = failure(cmd);
        assertTrue(line.startsWith("convcl run: ") && line.contains(fragment), line + " should contain: " + fragment);
    }

    private void assertFailsWithLine(List<String> cmd, String expected) throws IOException {
        assertEquals(expected, failure(cmd));
    }

    /** Runs {@code cmd}, which must fail with exit 2, one line on stderr and nothing written; returns the line. */
    private String failure(List<String> cmd) throws IOException {
        Files.deleteIfExists(dir.resolve("y.npy"));
        long before = Cli.filesIn(dir);
        Cli.Result r = Cli.run(cmd.toArray(String[]::new));
        assertEquals(2, r.code(), r.toString());
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), r.err());
        assertFalse(Files.exists(dir.resolve("y.npy")), "no output file after a failure");
        assertEquals(before, Cli.filesIn(dir), "no temporary file left behind");
        return lines.get(0);
    }

    private static List<String> with(List<String> cmd, String option, String value) {
        List<String> c = new ArrayList<>(cmd);
        int i = c.indexOf(option);
        if (i < 0) {
            c.add(option);
            if (value != null) {
                c.add(value);
            }
        } else if (value == null) {
            c.remove(i);
            c.remove(i);
        } else {
            c.set(i + 1, value);
        }
        return c;
    }

    @Test
    void badInputsAreOneLineExitTwoAndWriteNothing() throws IOException {
        List<RoiProblems.Case> cases = RoiProblems.kernelCoverage();
        List<String> align = write(cases.get(0)); // roi_align, n=2
        Npy.write(dir.resolve("bad-batch.npy"), Tensor.of(new float[] {0, 0, 0, 2, 2, 2, 0, 0, 2, 2}, 2, 5));
        assertFailsWith(with(align, "--rois", dir.resolve("bad-batch.npy").toString()),
                "rois[1, 0] = 2.0: batch index must be in [0, 2) (n=2)");
        Npy.write(dir.resolve("bad-nan.npy"), Tensor.of(new float[] {0, 0, 0, 2, Float.NaN}, 1, 5));
        assertFailsWith(with(align, "--rois", dir.resolve("bad-nan.npy").toString()),
                "rois[0, 4] = NaN: every coordinate must be finite");
        Npy.write(dir.resolve("bad-cols.npy"), Tensor.of(new float[] {0, 0, 0, 2}, 1, 4));
        assertFailsWith(with(align, "--rois", dir.resolve("bad-cols.npy").toString()),
                "has shape [1, 4]; expected [K, 5]");
        // a huge scale makes the adaptive sample count saturate: 'more than 2^63', with the scale as a cause
        Npy.write(dir.resolve("one.npy"), Tensor.of(new float[] {0, 0, 0, 2, 2}, 1, 5));
        assertFailsWith(with(with(with(align, "--rois", dir.resolve("one.npy").toString()), "--sampling-ratio", "0"),
                "--spatial-scale", "99999999999"), "rois[0] = (0.0, 0.0, 0.0, 2.0, 2.0): adaptive sampling would take "
                + "more than 2^63 samples a bin at --spatial-scale 99999999999; it must stay below 2^31 (give --sampling-ratio "
                + "> 0, a smaller RoI or a smaller --spatial-scale)");
        // numbers echoed as typed (0, not 0.0), and a value a float cannot hold named as such
        String scale = " must be a finite positive number (image to input coordinates, e.g. 0.0625)";
        for (String bad : List.of("0", "-1", "-0.50", "NaN", "Infinity")) {
            assertFailsWith(with(align, "--spatial-scale", bad), "convcl run: --spatial-scale " + bad + scale);
        }
        assertFailsWith(with(align, "--spatial-scale", "1e40"), "convcl run: --spatial-scale "
                + "1e40 is out of range for a number (at most about 3.4e38 in size)");
        assertFailsWith(with(align, "--spatial-scale", "1e-50"), "--spatial-scale 1e-50 is too close to 0 for a number (at least about "
                + "1.4e-45 in size, or 0)");
        assertFailsWith(with(align, "--spatial-scale", "0.0625f"), "--spatial-scale 0.0625f is not a number");
        // an output beyond 32-bit indexing names the flag or file behind each of its sizes, as typed
        int k = cases.get(0).op().rois();
        assertFailsWithLine(with(align, "--output-size", "099999"), "convcl run: the output [K, C, PH, PW] = [" + k
                + ", 2, 99999, 99999] would have " + (long) k * 2 * 99999 * 99999 + " elements, more than the 2^31-1 "
                + "that 32-bit indexing allows (K: the rows of --rois, C: the channels of --input, PH,PW: "
                + "--output-size 099999)");
        // many RoIs and channels overflow it with a 1x1 output (the fault is not the output size's)
        Npy.write(dir.resolve("wide.npy"), Tensor.zeros(1, 65536, 1, 1));
        Npy.write(dir.resolve("many.npy"), Tensor.zeros(32769, 5));
        assertFailsWithLine(with(with(with(align, "--input", dir.resolve("wide.npy").toString()), "--rois",
                dir.resolve("many.npy").toString()), "--output-size", "1,1"), "convcl run: the output [K, C, PH, PW] = "
                + "[32769, 65536, 1, 1] would have 2147549184 elements, more than the 2^31-1 that 32-bit indexing "
                + "allows (K: the rows of --rois, C: the channels of --input, PH,PW: --output-size 1,1)");
        // a RoI whose size overflows a float gave NaN with a fixed ratio (adaptive sampling refused it)
        Npy.write(dir.resolve("huge.npy"), Tensor.of(new float[] {0, -3e38f, -3e38f, 3e38f, 3e38f}, 1, 5));
        for (String ratio : new String[] {"2", "0"}) {
            assertFailsWithLine(with(with(with(align, "--rois", dir.resolve("huge.npy").toString()), "--spatial-scale",
                    "1"), "--sampling-ratio", ratio),
                    "convcl run: rois " + dir.resolve("huge.npy") + " (--rois): rois[0] = (0.0, -3.0E38, -3.0E38, "
                            + "3.0E38, 3.0E38): its width, x2 - x1 times the spatial scale in float, is Infinity; a "
                            + "RoI's width and height must be finite");
        }
        assertFailsWith(with(align, "--gamma", "0.5"), "--offset, --mask and --gamma are for --op deform_roi_pool only");
        assertFailsWith(with(align, "--output-size", null), "--op roi_align needs --output-size PH,PW");
        // it was an internal error (a NullPointerException)
        assertFailsWith(with(align, "--rois", null), "convcl run: --op roi_align needs --rois R.npy (regions [K, 5], "
                + "rows (batch_index, x1, y1, x2, y2))");
        // a convolution's options on an RoI operator are refused, not ignored
        for (String[] flag : new String[][] {{"--groups", "2"}, {"--stride", "3"}, {"--padding", "2"}, {"--dilation", "2"},
            {"--padding", "0"}}) {
            assertFailsWithLine(with(align, flag[0], flag[1]), "convcl run: " + flag[0] + " is for --op conv2d and "
                    + "deform2d only");
        }
        // those given are named, not every convolution flag
        assertFailsWithLine(with(with(align, "--stride", "2"), "--groups", "2"), "convcl run: --groups and --stride are "
                + "for --op conv2d and deform2d only");

        List<String> ps = write(cases.get(2)); // ps_roi_align, c=8
        assertFailsWith(with(ps, "--aligned", null), "--aligned is for --op roi_align only");
        // any value given is refused, false too (it ran, exit 0): the option was given, whatever its value
        for (String given : new String[] {"--aligned=false", "--aligned=true", "--aligned=FALSE"}) {
            assertFailsWithLine(with(ps, given, null), "convcl run: --aligned is for --op roi_align only (ps_roi_align "
                    + "always shifts by -0.5)");
        }
        assertFailsWithLine(with(write(cases.get(6)), "--aligned=false", null), "convcl run: --aligned is for --op "
                + "roi_align only (deform_roi_pool always shifts by -0.5)");

        List<String> deform = write(cases.get(6)); // deform_roi_pool with offset and mask
        assertFailsWith(with(deform, "--gamma", "NaN"), "convcl run: --gamma NaN must be a finite number");
        assertFailsWith(with(deform, "--gamma", "-inf"), "convcl run: --gamma -inf must be a finite number");
        Npy.write(dir.resolve("bad-off.npy"), Tensor.zeros(cases.get(6).op().rois(), 2, 2, 1));
        assertFailsWith(with(deform, "--offset", dir.resolve("bad-off.npy").toString()), "(--offset): has shape");
        Npy.write(dir.resolve("bad-mask.npy"), Tensor.zeros(cases.get(6).op().rois(), 2, 2, 2));
        assertFailsWith(with(deform, "--mask", dir.resolve("bad-mask.npy").toString()), "(--mask): has shape");
    }

    /**
     * With no RoIs ([0, 5]) the offset and mask files must still have 0 rows and the operator's other
     * sizes: a file made for one RoI is refused before the empty output is written, and files of the
     * right shape give the empty output.
     */
    @Test
    void noRoisStillCheckTheOffsetAndMaskShapes() throws IOException {
        RoiProblems.Case c = RoiProblems.kernelCoverage().get(6); // deform_roi_pool with offset and mask
        List<String> deform = write(c);
        int ph = c.op().outH(), pw = c.op().outW();
        Files.write(dir.resolve("no-rois.npy"), Npy.header(new int[] {0, 5}));
        List<String> empty = with(deform, "--rois", dir.resolve("no-rois.npy").toString());
        Npy.write(dir.resolve("off-one.npy"), Tensor.zeros(1, 2, ph, pw));
        assertFailsWith(with(empty, "--offset", dir.resolve("off-one.npy").toString()), "(--offset): has shape [1, 2, "
                + ph + ", " + pw + "]; deform_roi_pool needs [0, 2, " + ph + ", " + pw + "]");
        Files.write(dir.resolve("off-none.npy"), Npy.header(new int[] {0, 2, ph, pw}));
        Files.write(dir.resolve("mask-none.npy"), Npy.header(new int[] {0, 1, ph, pw}));
        Files.deleteIfExists(dir.resolve("y.npy"));
        Cli.Result r = Cli.run(with(with(empty, "--offset", dir.resolve("off-none.npy").toString()), "--mask",
                dir.resolve("mask-none.npy").toString()).toArray(String[]::new));
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("(no RoIs: nothing to run)"), r.toString());
        assertTrue(Files.exists(dir.resolve("y.npy")), "the empty output is written");
    }

    /**
     * Each rule of the RoI descriptor that a flag or file can break, named by that flag and its value
     * as typed (the descriptor's own names, {@code ph=} or {@code sr=}, are the library's): the whole
     * line, so that no word of the library's is left in it.
     */
    @Test
    void descriptorRulesNameTheFlagAsTyped() throws IOException {
        List<RoiProblems.Case> cases = RoiProblems.kernelCoverage();
        List<String> align = write(cases.get(0));
        assertFailsWithLine(with(align, "--output-size", "0,2"), "convcl run: --output-size 0,2: height 0 must be at least 1");
        assertFailsWithLine(with(align, "--output-size", "2,00"), "convcl run: --output-size 2,00: width 0 must be at least 1");
        assertFailsWithLine(with(align, "--output-size", "0"), "convcl run: --output-size 0: height 0 must be at least 1");
        // a fixed ratio whose R x R samples a bin would overflow the kernels' count: refused, not run for hours
        assertFailsWithLine(with(align, "--sampling-ratio", "046341"), "convcl run: --sampling-ratio 046341 must be at most "
                + "46340: a bin's grid of samples, the ratio squared, must stay below 2^31");
        assertFailsWithLine(with(align, "--sampling-ratio", "2147483647"), "convcl run: --sampling-ratio 2147483647 must be "
                + "at most 46340: a bin's grid of samples, the ratio squared, must stay below 2^31");

        List<String> ps = write(cases.get(2)); // ps_roi_align, c=8
        assertFailsWithLine(with(ps, "--output-size", "3,3"), "convcl run: the channels of --input, c=8 must be a multiple of "
                + "ph*pw=9 for ps_roi_align (c = c_out * ph * pw)");

        List<String> deform = write(cases.get(6)); // deform_roi_pool with offset and mask
        assertFailsWithLine(with(deform, "--sampling-ratio", "-01"), "convcl run: --sampling-ratio -01 must be 0 (adaptive) "
                + "or positive for deform_roi_pool");
    }
    /**
     * A call of more bilinear samples than {@code --max-samples} (2^30 unless given) is refused in
     * one line before any work, naming the typed ratio or the RoIs that set the count, and how to
     * run it anyway; at the limit it runs. The trial's --sampling-ratio 46340 ran for minutes without a word.
     */
    @Test
    void workAboveMaxSamplesIsRefusedUpFront() throws IOException {
        Npy.write(dir.resolve("x.npy"), Tensor.zeros(1, 2, 8, 8));
        Npy.write(dir.resolve("r.npy"), Tensor.of(new float[] {0, 0, 0, 7, 7}, 1, 5));
        List<String> base = List.of("run", "--op", "roi_align", "--device", "cpu", "--input",
                dir.resolve("x.npy").toString(), "--rois", dir.resolve("r.npy").toString(), "--output-size", "1",
                "--out", dir.resolve("y.npy").toString());
        assertFailsWithLine(with(base, "--sampling-ratio", "46340"), "convcl run: --sampling-ratio 46340: 1 RoI x 2 "
                + "channels x 1x1 bins x 46340x46340 samples a bin = 4294791200 bilinear samples, more than convcl run's "
                + "limit, 2^30 = 1073741824 (--max-samples 4294791200 runs it)");
        assertFailsWithLine(with(with(base, "--sampling-ratio", "08"), "--max-samples", " 127"), "convcl run: "
                + "--sampling-ratio 08: 1 RoI x 2 channels x 1x1 bins x 8x8 samples a bin = 128 bilinear samples, more "
                + "than --max-samples 127 (--max-samples 128 runs it)");
        Cli.Result atLimit = Cli.run(with(with(base, "--sampling-ratio", "8"), "--max-samples", "128")
                .toArray(String[]::new));
        assertEquals(0, atLimit.code(), atLimit.toString());
        // adaptive: the RoIs and the scale set each RoI's grid, 70000 / 7 = 10000 x 10000 samples a bin here
        Npy.write(dir.resolve("big.npy"), Tensor.of(new float[] {0, 0, 0, 70000, 70000, 0, 0, 0, 7, 7}, 2, 5));
        assertFailsWithLine(with(with(base, "--rois", dir.resolve("big.npy").toString()), "--output-size", "7"),
                "convcl run: rois " + dir.resolve("big.npy") + " (--rois): adaptive sampling at --spatial-scale 1 would "
                        + "take 9800000098 bilinear samples over 2 RoIs x 2 channels x 7x7 bins, more than convcl run's "
                        + "limit, 2^30 = 1073741824 (--max-samples 9800000098 runs it)");
        assertFailsWithLine(with(base, "--max-samples", "0"), "convcl run: --max-samples 0 must be at least 1");
        // the grid is sized in float, as the kernels size it: (0, 0, 0, 70, 70) at scale 0.1 is 7.0f on the map,
        // one sample a bin over 7x7 bins of 2 channels (98 samples; in double 7.0000001, 2x2 a bin, 392)
        Npy.write(dir.resolve("tenth.npy"), Tensor.of(new float[] {0, 0, 0, 70, 70}, 1, 5));
        List<String> tenth = with(with(with(base, "--rois", dir.resolve("tenth.npy").toString()), "--output-size", "7"),
                "--spatial-scale", "0.1");
        Cli.Result within = Cli.run(with(tenth, "--max-samples", "98").toArray(String[]::new));
        assertEquals(0, within.code(), within.toString());
        assertFailsWithLine(with(tenth, "--max-samples", "97"), "convcl run: rois " + dir.resolve("tenth.npy")
                + " (--rois): adaptive sampling at --spatial-scale 0.1 would take 98 bilinear samples over 1 RoI x 2 "
                + "channels x 7x7 bins, more than --max-samples 97 (--max-samples 98 runs it)");
    }
}
