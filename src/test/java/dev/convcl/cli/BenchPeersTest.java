package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Conv2d;
import dev.convcl.Convolution;
import dev.convcl.DeviceChoice;
import dev.convcl.Engine;
import dev.convcl.HostTensor;
import dev.convcl.Tensor;
import dev.convcl.reference.ReferenceConv;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The peer plumbing of {@code convcl bench --peers} with stand-in peers (no library, no timing
 * asserted): the names {@code --peers} takes, a peer that is not there or does not open (one line,
 * not a FAIL), the peer rows the runner makes (timed, FAIL on a wrong answer, n/a), and each peer's
 * median and the best-peer ratio beside convcl's in the rows, the table and the JSON.
 */
class BenchPeersTest {

    // ------------------------------------------------------------------ --peers names

    @Test
    void parseKeepsOrderDropsRepeatsAndExpandsAll() {
        Set<String> known = Set.of("onnxruntime", "torch");
        assertEquals(List.of("torch", "onnxruntime"), BenchPeers.parse("torch, ONNXRuntime,torch", known));
        assertEquals(List.of("onnxruntime", "torch"),
                BenchPeers.parse("all", new java.util.LinkedHashSet<>(List.of("onnxruntime", "torch"))));
    }

    @Test
    void parseNamesAnUnknownPeerAndTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BenchPeers.parse("onnxruntme", new java.util.LinkedHashSet<>(List.of("onnxruntime", "torch"))));
        assertEquals("--peers: no peer named 'onnxruntme'; peers: onnxruntime, torch or all (did you mean "
                + "'onnxruntime'?)", e.getMessage());
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> BenchPeers.parse("torch,", Set.of("torch")));
        assertTrue(empty.getMessage().startsWith("--peers 'torch,' has an empty name"), empty.getMessage());
    }

    @Test
    void theShippedPeersAreKnownEvenWhenTheirJarIsAbsent() {
        // The library's test class path has no peers/onnxruntime jar: the name is still accepted,
        // so that the run can say why it is missing instead of refusing the option.
        Map<String, Supplier<BenchPeer>> available = BenchPeers.available();
        assertTrue(available.containsKey(TorchPeer.NAME), available.keySet().toString());
        assertFalse(available.containsKey(BenchPeers.ONNXRUNTIME), available.keySet().toString());
        assertTrue(BenchPeers.known(available).containsAll(BenchPeers.SHIPPED));
    }

    // ------------------------------------------------------------------ missing peers

    @Test
    void aPeerThatIsNotThereOrDoesNotOpenIsOneLineAndTheOthersGoOn() {
        Map<String, Supplier<BenchPeer>> available = new LinkedHashMap<>();
        available.put("broken", () -> new FakePeer("broken", Mode.BROKEN));
        available.put("good", () -> new FakePeer("good", Mode.RIGHT));
        StringWriter progress = new StringWriter();
        try (BenchPeers peers = BenchPeers.open(List.of(BenchPeers.ONNXRUNTIME, "broken", "good"), available, 2,
                new PrintWriter(progress, true))) {
            assertEquals(List.of("good"), peers.open().stream().map(BenchPeer::name).toList());
            List<BenchPeers.Status> st = peers.statuses();
            assertEquals(List.of(BenchPeers.ONNXRUNTIME, "broken", "good"), st.stream().map(BenchPeers.Status::name).toList());
            assertTrue(st.get(0).unavailable().contains("peers/onnxruntime"), st.get(0).toString());
            assertEquals("no interpreter second line", st.get(1).unavailable());
            assertNull(st.get(2).unavailable());
            assertEquals("fake good, 2 threads", st.get(2).description());
        }
        List<String> lines = progress.toString().lines().toList();
        assertEquals(3, lines.size(), progress.toString());
        assertTrue(lines.get(0).startsWith("bench: peer onnxruntime is not available, going on without it: "), lines.get(0));
        assertEquals("bench: peer broken is not available, going on without it: no interpreter second line", lines.get(1));
        assertEquals("bench: peer good: fake good, 2 threads", lines.get(2));
    }

    @Test
    void torchPeerWithoutItsInterpreterSaysWhatToInstall() {
        TorchPeer peer = new TorchPeer("/nonexistent/python3-for-convcl-test");
        try {
            Exception e = assertThrows(java.io.IOException.class, () -> peer.open(1));
            assertTrue(e.getMessage().startsWith("cannot start /nonexistent/python3-for-convcl-test"), e.getMessage());
            assertTrue(e.getMessage().contains("apt-get install -y python3-torchvision"), e.getMessage());
        } finally {
            peer.close();
        }
    }

    @Test
    void torchPeerWhoseScriptCannotImportTorchIsUnavailableNotAFailure() throws Exception {
        // /bin/sh runs the script as a shell script: the peer's first line is then not "ready ...".
        // A stand-in interpreter that answers as torch_peer.py does when the import fails:
        java.nio.file.Path fake = java.nio.file.Files.createTempFile("fake-python", ".sh");
        try {
            java.nio.file.Files.writeString(fake, "#!/bin/sh\necho 'unavailable /usr/bin/python3: ModuleNotFoundError: "
                    + "No module named torch'\n");
            assertTrue(fake.toFile().setExecutable(true));
            Map<String, Supplier<BenchPeer>> available = Map.of(TorchPeer.NAME, () -> new TorchPeer(fake.toString()));
            StringWriter progress = new StringWriter();
            try (BenchPeers peers = BenchPeers.open(List.of(TorchPeer.NAME), available, 1, new PrintWriter(progress, true))) {
                assertTrue(peers.open().isEmpty());
                assertEquals("bench: peer torch is not available, going on without it: /usr/bin/python3: "
                        + "ModuleNotFoundError: No module named torch (" + TorchPeer.INSTALL_HINT + ")",
                        progress.toString().strip());
            }
        } finally {
            java.nio.file.Files.deleteIfExists(fake);
        }
    }

    // ------------------------------------------------------------------ rows of a run

    private static final Conv2d SMALL = Conv2d.builder().input(1, 4, 6, 6).output(4).kernel(3, 3).padding(1)
            .groups(2).bias(true).build();

    @Test
    void theRunnerTimesAPeerChecksItsAnswerAndSaysNaForWhatItCannotRun() {
        StringWriter progress = new StringWriter();
        List<BenchRunner.OpenPeer> peers = List.of(new BenchRunner.OpenPeer(new FakePeer("right", Mode.RIGHT), "fake right"),
                new BenchRunner.OpenPeer(new FakePeer("wrong", Mode.WRONG), "fake wrong"),
                new BenchRunner.OpenPeer(new FakePeer("cannot", Mode.UNSUPPORTED), "fake cannot"),
                new BenchRunner.OpenPeer(new FakePeer("refuses", Mode.REFUSES), "fake refuses"));
        try (Engine cpu = Engine.create(DeviceChoice.CPU)) {
            BenchRunner runner = new BenchRunner(cpu, cpu, new BenchRunner.Settings(1, 0, 3, 0.01, 1e9),
                    new PrintWriter(progress, true), peers);
            List<BenchRow> rows = runner.runOne(new BenchSuite.Problem("small", SMALL, true));
            assertEquals(List.of("cpu", "right", "wrong", "cannot", "refuses"), rows.stream().map(BenchRow::backend).toList());
            BenchRow right = rows.get(1);
            assertTrue(right.ok() && right.peer() && !right.failed(), right.toString());
            assertEquals(3, right.calls());
            assertTrue(right.medianMs() > 0 && right.gflops() > 0, right.toString());
            assertEquals("fake right", right.device());
            BenchRow wrong = rows.get(2);
            assertTrue(wrong.failed() && wrong.error().contains("relative L2"), wrong.toString());
            assertEquals(0, wrong.calls(), "a wrong answer is never timed");
            BenchRow cannot = rows.get(3);
            assertTrue(cannot.unsupported() && !cannot.failed(), cannot.toString());
            assertEquals("cannot: no such layer", cannot.error());
            BenchRow refuses = rows.get(4);
            assertTrue(refuses.unsupported() && !refuses.failed(), refuses.toString());
            assertEquals("refuses: no kernel", refuses.error());
            // In JSON an n/a row has ok false like a FAIL: status tells them apart.
            assertEquals(List.of("ok", "ok", "fail", "n/a", "n/a"),
                    rows.stream().map(r -> r.fields().get("status")).toList());
            assertEquals(false, cannot.fields().get("ok"));
        }
        assertTrue(progress.toString().contains("wrong       FAIL: "), progress.toString());
        assertTrue(progress.toString().contains("cannot      n/a: cannot: no such layer"), progress.toString());
        // Each peer's line (timed, FAIL or n/a) comes after convcl's row line, in the rows' order.
        String said = progress.toString();
        int cpuLine = said.indexOf("      cpu    ");
        assertTrue(cpuLine >= 0, said);
        int last = cpuLine;
        for (String name : List.of("right       ", "wrong       FAIL", "cannot      n/a", "refuses     n/a")) {
            int at = said.indexOf("      " + name);
            assertTrue(at > last, name + " after the line before it: " + said);
            last = at;
        }
    }

    /** A convcl row and a peer row of one problem, batch 1. */
    private static BenchRow convcl(String name, String backend, double ms, double deviceMs) {
        double flops = SMALL.flops();
        return new BenchRow(name, SMALL.toString(), "conv2d", backend, "dev", "algo", true, "reference", 1e-7, 1, Double.NaN,
                ms, ms, ms, 3, deviceMs, deviceMs, deviceMs, 3, 0, flops / (ms * 1e6), Double.NaN, flops / (deviceMs * 1e6),
                Double.NaN, Double.NaN, Double.NaN, null);
    }

    private static BenchRow peer(String name, String peerName, double ms) {
        return BenchRow.peer(name, SMALL, peerName, "fake " + peerName, "node", "reference", 1e-7, 1,
                new BenchPeer.Timing(new double[] {ms, ms, ms}), null, false);
    }

    @Test
    void convclRowsCarryEachPeersMedianTheBestPeerAndTheRatio() {
        BenchRow failedPeer = BenchRow.peer("a", SMALL, "slow", "fake slow", "node", "reference", 0.5, 1, null,
                "relative L2 0.5 > 1e-4", false);
        List<BenchRow> rows = List.of(convcl("a", "opencl", 2.0, 1.0), convcl("a", "cpu", 8.0, 8.0), peer("a", "fast", 4.0),
                failedPeer, peer("b", "fast", 0.5), peer("b", "slow", 1.0), convcl("b", "opencl", 1.0, 1.0));
        List<BenchRow> out = BenchPeers.compared(rows, null, List.of("fast", "slow", "absent"));
        BenchRow ocl = out.get(0);
        assertEquals("fast", ocl.bestPeer());
        assertEquals(4.0, ocl.peerMedians().get("fast"));
        assertTrue(Double.isNaN(ocl.peerMedians().get("slow")), "a FAILed peer has no median");
        assertTrue(Double.isNaN(ocl.peerMedians().get("absent")), "a peer that did not run has no median");
        assertEquals(2.0, ocl.vsBestPeer(), 1e-12);
        assertEquals(4.0, ocl.deviceVsBestPeer(), 1e-12);
        assertEquals(0.5, out.get(1).vsBestPeer(), 1e-12);
        BenchRow b = out.get(6);
        assertEquals("fast", b.bestPeer(), "the fastest of the peers that ran ok");
        assertEquals(0.5, b.vsBestPeer(), 1e-12);
        assertTrue(Double.isNaN(out.get(2).vsBestPeer()) && out.get(2).bestPeer() == null, "a peer row is not compared");

        Map<String, Object> f = ocl.fields();
        assertEquals("fast", f.get("best_peer"));
        assertEquals(4.0, f.get("best_peer_median_ms"));
        assertEquals(4.0, f.get("fast_median_ms"));
        assertTrue(f.containsKey("slow_median_ms") && f.containsKey("absent_median_ms"), f.toString());
        assertEquals(2.0, (Double) f.get("vs_best_peer"), 1e-12);
        assertFalse(out.get(2).fields().containsKey("best_peer"), "peer rows carry no comparison fields");
        assertEquals(true, out.get(2).fields().get("peer"));

        String json = BenchReport.json("dev", Map.of(), out);
        assertTrue(json.contains("\"best_peer\": \"fast\", \"best_peer_median_ms\": 4, \"fast_median_ms\": 4, "
                + "\"slow_median_ms\": null, \"absent_median_ms\": null"), json);
        String csv = BenchReport.csv(out);
        assertTrue(csv.lines().findFirst().orElseThrow().contains("best_peer,best_peer_median_ms,fast_median_ms"), csv);
    }

    @Test
    void theTableShowsTheBestPeerAndTheRatioBesideConvcl() {
        List<BenchRow> out = BenchPeers.compared(List.of(convcl("a", "opencl", 2.0, 1.0), peer("a", "fast", 4.0)), null,
                List.of("fast"));
        StringWriter s = new StringWriter();
        BenchReport.table(out, new PrintWriter(s, true));
        List<String> lines = s.toString().lines().toList();
        assertTrue(lines.get(0).contains("best peer ms  vs best peer"), lines.get(0));
        assertTrue(lines.get(1).contains("fast 4.000") && lines.get(1).contains("2.00x"), lines.get(1));
    }

    @Test
    void sharesOfTheFmaLimitAreNeverAbove100Percent() {
        // 2 ms is SMALL.flops() / 2e6 GFLOP/s; a limit of half that rate puts the opencl row above it.
        BenchRow fast = convcl("a", "opencl", 2.0, 1.0);
        BenchRow slow = convcl("a", "cpu", 8.0, 8.0);
        FmaLimit limit = new FmaLimit(fast.gflops() / 2, "given");
        List<BenchRow> out = BenchPeers.compared(List.of(fast, slow), limit, List.of());
        assertTrue(Double.isNaN(out.get(0).limitShare()), "above the limit: no share");
        assertEquals(0.5, out.get(1).limitShare(), 1e-12, "a quarter of the opencl rate over half of it");
        assertEquals("opencl", BenchPeers.aboveLimit(List.of(slow, fast), limit).backend());
        assertNull(BenchPeers.aboveLimit(List.of(slow, fast), new FmaLimit(fast.gflops() * 2, "given")));
        assertNull(BenchPeers.aboveLimit(List.of(fast), null));
    }

    @Test
    void fmaLimitOptionTakesAFigureOrMeasure() {
        assertEquals(190.5, FmaLimit.parse(" 190.5 "));
        assertNull(FmaLimit.parse("MEASURE"));
        assertEquals(0.001, FmaLimit.parse("0.001"));
        // below 1 MFLOP/s: a typo, whose shares would run to hundreds of digits
        for (String bad : List.of("0", "-3", "fast", "NaN", "Infinity", "190f", "0x1p3", "1e-300", "0.0009")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FmaLimit.parse(bad));
            assertEquals("--fma-limit " + bad + " must be a finite number of GFLOP/s, at least 0.001 (1 MFLOP/s) or 'measure'",
                    e.getMessage());
        }
        // beyond a double's range: out of range, not Infinity or 0
        assertEquals("--fma-limit '1e400' is out of range for a number (at most about 1.8e308 in size); it must be a "
                + "finite number of GFLOP/s, at least 0.001 (1 MFLOP/s) or 'measure'",
                assertThrows(IllegalArgumentException.class, () -> FmaLimit.parse("1e400")).getMessage());
        assertEquals("--fma-limit '1e-400' is too close to 0 for a number (at least about 4.9e-324 in size, or 0); it "
                + "must be a finite number of GFLOP/s, at least 0.001 (1 MFLOP/s) or 'measure'",
                assertThrows(IllegalArgumentException.class, () -> FmaLimit.parse("1e-400")).getMessage());
    }

    @Test
    void aSmallLimitIsShownWithItsDigits() {
        assertEquals("190.5", FmaLimit.text(190.5));
        assertEquals("0.001", FmaLimit.text(0.001));
        assertEquals("0.00123", FmaLimit.text(0.0012345));
        assertEquals("9999999.0", FmaLimit.text(9999999));
        assertEquals("1.00e+308", FmaLimit.text(1e308)); // not 309 digits
    }

    // ------------------------------------------------------------------ stand-in peers

    enum Mode { RIGHT, WRONG, UNSUPPORTED, REFUSES, BROKEN }

    /**
     * A peer that answers with the reference (RIGHT), a perturbed result (WRONG), cannot run the
     * layer (UNSUPPORTED, REFUSES), or does not open (BROKEN).
     */
    record FakePeer(String name, Mode mode) implements BenchPeer {
        @Override
        public String open(int threads) throws Exception {
            if (mode == Mode.BROKEN) {
                throw new java.io.IOException("no interpreter\nsecond line");
            }
            return "fake " + name + ", " + threads + " threads";
        }

        @Override
        public Optional<String> unsupported(Convolution op) {
            return mode == Mode.UNSUPPORTED ? Optional.of(name + ": no such layer") : Optional.empty();
        }

        @Override
        public Layer prepare(Convolution op, Args inputs) {
            if (mode == Mode.REFUSES) {
                throw new UnsupportedOperationException(name + ": no kernel");
            }
            return new Layer() {
                HostTensor y;

                @Override
                public String algorithm() {
                    return "fake";
                }

                @Override
                public void call() {
                    HostTensor out = Tensor.of(new float[Math.toIntExact(op.outputSize())], op.outputShape());
                    ReferenceConv.run(op, inputs.with(Arg.DST, out));
                    if (mode == Mode.WRONG) {
                        float[] v = out.toArray();
                        v[0] += 1000;
                        out = Tensor.of(v, op.outputShape());
                    }
                    y = out;
                }

                @Override
                public HostTensor output() {
                    return y;
                }

                @Override
                public void close() {
                }
            };
        }

        @Override
        public void close() {
        }
    }
}
