package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Activation;
import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import dev.convcl.DeviceChoice;
import dev.convcl.Engine;
import dev.convcl.HostTensor;
import dev.convcl.PostOp;
import dev.convcl.Sum;
import dev.convcl.Tensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code convcl bench --chain} on the CPU path: the fixed chain, its check, its reports and its errors. */
class BenchChainTest {
    @TempDir
    Path dir;

    /** Fast settings: one timed call, no warm-up, a small reference slice. */
    static final BenchRunner.Settings QUICK = new BenchRunner.Settings(0, 0, 1, 0, 2e6);

    /** A small chain: conv, depthwise with relu6, 1x1 with the residual, offsets and mask, deformable, 1x7. */
    static List<BenchChain.Layer> small() {
        String s = "n=1 c=8 h=9 w=9 ";
        return List.of(
                BenchChain.layer("conv", "op=conv2d " + s + "k=8 kh=3 kw=3 pad=1 bias=1 post=relu", 0, -1, -1, -1, 1.4),
                BenchChain.layer("dw", "op=conv2d " + s + "k=8 kh=3 kw=3 pad=1 groups=8 bias=1 post=relu6", 1, -1, -1,
                        -1, 4),
                BenchChain.layer("pw+res", "op=conv2d " + s + "k=8 kh=1 kw=1 bias=1 post=sum+relu", 2, 1, -1, -1, 1),
                BenchChain.layer("offsets", "op=conv2d " + s + "k=18 kh=3 kw=3 pad=1 bias=1", 3, -1, -1, -1, 1),
                BenchChain.layer("mask", "op=conv2d " + s + "k=9 kh=3 kw=3 pad=1 bias=1 post=sigmoid", 3, -1, -1, -1, 2),
                BenchChain.layer("dcn", "op=deform2d " + s + "k=8 kh=3 kw=3 pad=1 og=1 mask=1 bias=1 post=relu", 3, -1,
                        4, 5, 2.8),
                BenchChain.layer("1x7", "op=conv2d " + s + "k=8 kh=1 kw=7 pad=0,3 bias=1", 6, -1, -1, -1, 1));
    }

    @Test
    void theChainIsTenLayersOfTheSeedNetworksReadingOnlyEarlierOutputs() {
        List<BenchChain.Layer> chain = BenchChain.LAYERS;
        assertEquals(BenchChain.LAYER_COUNT, chain.size());
        assertEquals(10, chain.size());
        List<String> kinds = new ArrayList<>();
        for (int i = 0; i < chain.size(); i++) {
            BenchChain.Layer l = chain.get(i);
            Convolution op = l.op();
            assertTrue(op.bias(), l.name());
            assertTrue(l.src() <= i && l.sum() <= i && l.offset() <= i && l.mask() <= i, l.name() + " reads a later layer");
            if (op.kh() == 3 && op.groups() == 1 && op.dilH() == 1 && op.postOps().isRelu() && !op.isDeformable()) {
                kinds.add("3x3+relu");
            }
            if (op.isDepthwise() && op.kh() == 3 && op.postOps().ops().equals(List.<PostOp>of(Activation.relu6()))) {
                kinds.add("depthwise 3x3+relu6");
            }
            if (op.kh() == 1 && op.kw() == 1 && op.postOps().hasSum()) {
                assertTrue(l.sum() >= 0 && l.sum() < l.src(), "the residual is an earlier layer's output");
                assertEquals(List.of(new Sum(1f), Activation.relu()), op.postOps().ops());
                kinds.add("1x1+sum");
            }
            if (op instanceof DeformConv2d d) {
                assertTrue(d.mask() && l.offset() > 0 && l.mask() > 0, l.name());
                BenchChain.Layer offsets = chain.get(l.offset() - 1), mask = chain.get(l.mask() - 1);
                assertEquals(l.src(), offsets.src(), "offsets from a conv of the deformable layer's own input");
                assertEquals(l.src(), mask.src(), "mask from a conv of the deformable layer's own input");
                assertEquals(List.<PostOp>of(Activation.sigmoid()), mask.op().postOps().ops());
                assertTrue(offsets.op().dilH() == 2 && d.dilH() == 2, "dilated, as the DRN stage it sits in");
                kinds.add("deformable 3x3");
            }
            if (!op.isDepthwise() && op.groups() > 1) {
                kinds.add("grouped 3x3");
            }
            if (op.isDepthwise() && op.kh() == 13) {
                kinds.add("depthwise 13x13");
            }
            if (op.kh() == 1 && op.kw() == 7 || op.kh() == 7 && op.kw() == 1) {
                kinds.add(op.kh() + "x" + op.kw());
            }
        }
        assertEquals(List.of("3x3+relu", "depthwise 3x3+relu6", "1x1+sum", "deformable 3x3", "grouped 3x3",
                "depthwise 13x13", "1x7", "7x1"), kinds);
    }

    @Test
    void theChainOnTheCpuPathIsCheckedTimedAndReported() throws IOException {
        Path json = dir.resolve("chain.json"), csv = dir.resolve("chain.csv");
        Cli.Result r = Cli.run("bench", "--chain", "--device", "cpu", "--iters", "2", "--warmup", "0",
                "--warmup-seconds", "0", "--reference-mflop", "2", "--json", json.toString(), "--csv", csv.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("1 result ok, 0 FAIL"), r.toString());
        // every layer of the trusted run was checked against the reference, on stderr
        for (int i = 1; i <= 10; i++) {
            assertTrue(Pattern.compile("(?m)^ +L" + i + " +\\S+ +ok, relative L2").matcher(r.err()).find(), "L" + i + ": " + r);
        }
        // the per-layer table, one line per layer, then the chain table
        List<String> layerLines = r.out().lines().filter(l -> l.matches("L\\d+ .*")).toList();
        assertEquals(10, layerLines.size(), r.toString());
        assertTrue(layerLines.stream().allMatch(l -> l.contains(" cpu ")), r.toString());
        List<String> chainLines = r.out().lines().filter(l -> l.startsWith("chain ")).toList();
        assertEquals(2, chainLines.size(), "a header and the CPU path's row: " + r);
        assertTrue(chainLines.get(1).matches("chain +cpu +10 .* ok \\S+"), chainLines.get(1));

        String j = Files.readString(json);
        List<String> rows = j.lines().filter(l -> l.contains("\"section\": \"chain\"")).toList();
        assertEquals(1, rows.size(), j);
        String row = rows.get(0);
        assertTrue(row.contains("\"layers\": 10, \"ok\": true, \"checked_with\": \"cpu+reference\""), row);
        assertTrue(row.contains("\"calls\": 2,"), row);
        assertTrue(row.contains("\"kernel_ms\": null"), "no kernel time on the CPU path: " + row);
        assertTrue(row.contains("\"host_transfers\": 0,"), row);
        assertTrue(row.contains("\"fallback_layers\": [],"), row);
        assertTrue(row.contains("\"input\": [1, 128, 28, 28]"), row);
        assertTrue(number(row, "wall_ms") > 0 && number(row, "compile_ms") > 0, row);
        assertEquals(10, j.lines().filter(l -> l.contains("\"section\": \"chain-layer\"")
                && l.contains("\"chain_backend\": \"cpu\"") && l.contains("\"backend\": \"cpu\"")).count(), j);

        List<String> lines = Files.readAllLines(csv);
        assertEquals(12, lines.size(), "a header, the chain row and 10 layer rows: " + lines);
        assertTrue(lines.get(0).startsWith("section,name,backend,layers,ok,checked_with,rel_l2,compile_ms,wall_ms,"),
                lines.get(0));
        assertTrue(lines.get(0).contains(",kernel_ms,kernel_layers,host_transfers,target_ms,within_target,"), lines.get(0));
        assertTrue(lines.get(1).startsWith("chain,chain,cpu,10,true,"), lines.get(1));
        assertTrue(lines.get(11).startsWith("chain-layer,inception3.7x1,cpu,"), lines.get(11));
    }

    static double number(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\": ([0-9.Ee+-]+)").matcher(json);
        assertTrue(m.find(), field + " in " + json);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void aChainThatDiffersFromTheTrustedOneIsAFailRowNeverTimed() {
        try (Engine cpu = Engine.create(DeviceChoice.CPU)) {
            BenchChain chain = new BenchChain(small(), cpu, cpu, QUICK, new PrintWriter(new StringWriter()));
            BenchChain.Data data = BenchChain.Data.seeded(small());
            BenchChain.Trusted trusted = chain.trusted(data);
            assertNull(trusted.error());
            BenchChain.Row good = chain.measure(cpu, data, trusted.outputs());
            assertTrue(good.ok() && good.calls() == 1 && good.relL2() == 0, good.toString());

            // The trusted output of layer 5 (the mask) is 1% off: the chain's output differs, and the
            // check names the first layer that differs.
            List<HostTensor> off = new ArrayList<>(trusted.outputs());
            float[] mask = off.get(5).toArray();
            for (int i = 0; i < mask.length; i++) {
                mask[i] *= 1.01f;
            }
            off.set(5, Tensor.of(mask, off.get(5).shape()));
            off.set(off.size() - 1, scaled(off.get(off.size() - 1), 1.01f));
            BenchChain.Row bad = chain.measure(cpu, data, off);
            assertFalse(bad.ok(), bad.toString());
            assertEquals(0, bad.calls(), "never timed: " + bad);
            assertTrue(Double.isNaN(bad.wallMs()) && Double.isNaN(bad.kernelMs()), bad.toString());
            assertTrue(bad.error().startsWith("layer 5 (mask, on cpu cpu-"), bad.error());
            assertTrue(bad.error().contains("differs first: mismatch: relative L2"), bad.error());
            assertTrue(bad.relL2() > ProblemData.TOLERANCE, bad.toString());
        }
    }

    private static HostTensor scaled(HostTensor t, float f) {
        float[] v = t.toArray();
        for (int i = 0; i < v.length; i++) {
            v[i] *= f;
        }
        return Tensor.of(v, t.shape());
    }

    @Test
    void aLayerWhoseOutputIsMostlyZeroIsNotTrustedAndNothingIsTimed() {
        List<BenchChain.Layer> layers = new ArrayList<>(small());
        // clip to [0, 0]: every output zero, so the check would compare zeros with zeros
        layers.set(1, BenchChain.layer("dead", "op=conv2d n=1 c=8 h=9 w=9 k=8 kh=3 kw=3 pad=1 groups=8 bias=1 "
                + "post=clip:0:0", 1, -1, -1, -1, 1));
        StringWriter progress = new StringWriter();
        try (Engine cpu = Engine.create(DeviceChoice.CPU)) {
            List<BenchChain.Row> rows = new BenchChain(layers, cpu, cpu, QUICK, new PrintWriter(progress, true)).run();
            assertEquals(1, rows.size());
            BenchChain.Row row = rows.get(0);
            assertFalse(row.ok());
            assertEquals(0, row.calls());
            assertEquals("layer 2 (dead) on the CPU path: 100% of its outputs are zero (at most 70%): the chain's data "
                    + "no longer tests it", row.error());
        }
        assertEquals(0.5, BenchChain.zeroShare(Tensor.of(new float[] {0, 1, -0f, 2}, 4)));
    }

    @Test
    void aLayerMayReadOnlyTheInputAndEarlierLayers() {
        List<BenchChain.Layer> layers = new ArrayList<>(small());
        layers.set(2, BenchChain.layer("pw+res", "op=conv2d n=1 c=8 h=9 w=9 k=8 kh=1 kw=1 bias=1 post=sum+relu", 2, 4, -1, -1, 1));
        try (Engine cpu = Engine.create(DeviceChoice.CPU)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new BenchChain(layers, cpu, cpu, QUICK, new PrintWriter(new StringWriter())));
            assertEquals("layer 3 (pw+res) reads L2 sum=L4; it may read x and L1 to L2", e.getMessage());
        }
    }

    @Test
    void chainErrorsNameTheFlagsAndWriteNothing() {
        Path json = dir.resolve("out.json");
        Cli.assertUsageLine(Cli.run("bench", "--chain", "--shapes", "s.txt", "--json", json.toString()),
                "convcl bench: --chain times its fixed chain of 10 layers; it takes no --shapes");
        Cli.assertUsageLine(Cli.run("bench", "--chain", "--quick", "--filter", "x", "--plot", "p.svg"),
                "convcl bench: --chain times its fixed chain of 10 layers; it takes no --quick, --filter, --plot");
        Path missing = dir.resolve("missing/out.json");
        Cli.assertUsageLine(Cli.run("bench", "--chain", "--json", missing.toString()),
                "convcl bench: JSON report " + missing + " (--json): its folder " + missing.getParent() + " does not exist");
        Cli.assertUsageLine(Cli.run("bench", "--chain", "--csv", dir.toString()),
                "convcl bench: CSV report " + dir + " (--csv): is a folder; a file name is needed");
        Cli.assertUsageLine(Cli.run("bench", "--chain", "--iters", "0"), "convcl bench: --iters 0 must be at least 1");
        assertFalse(Files.exists(json));
    }
}
