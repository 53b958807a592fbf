package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@code bench} on single layers times convcl's calls and the calls of the peers that run in this
 * process side by side, a turn each per round ({@link BenchPeer.Budget#timeInterleaved}), and a
 * peer in another process on its own once convcl's plans are closed.
 */
class BenchLayerInterleaveTest {

    private static final Conv2d SMALL = Conv2d.builder().input(1, 4, 6, 6).output(4).kernel(3, 3).padding(1)
            .bias(true).build();

    /** What the fake peers did, in order: "A" (a call of peer A), "T.time" (peer T timed itself). */
    private final List<String> log = new ArrayList<>();
    /** Open convcl plans at each entry of {@link #log}. */
    private final List<Integer> openPlans = new ArrayList<>();
    /** Preparing a layer of this batch size throws an Error (a peer jar without its library); 0: never. */
    private int prepareBreaksAtBatch;
    /** Peer layers prepared, and closed. */
    private int layersOpened, layersClosed;

    /**
     * A peer answering with the reference, logging its calls; in this process or not; its call
     * number {@code failAt} (1: the checking call) throws.
     */
    private BenchPeer peer(String name, boolean inProcess, int failAt, Engine engine) {
        return peer(name, inProcess, failAt, false, engine);
    }

    /** As above; with {@code closeFails}, closing its layer throws (as ONNX Runtime's session may). */
    private BenchPeer peer(String name, boolean inProcess, int failAt, boolean closeFails, Engine engine) {
        return new BenchPeer() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String open(int threads) {
                return "fake " + name;
            }

            @Override
            public Optional<String> unsupported(Convolution op) {
                return Optional.empty();
            }

            @Override
            public boolean callsInThisProcess() {
                return inProcess;
            }

            @Override
            public Layer prepare(Convolution op, Args inputs) {
                if (op.n() == prepareBreaksAtBatch) {
                    throw new NoClassDefFoundError(name + ": its library is missing");
                }
                layersOpened++;
                return new Layer() {
                    HostTensor y;
                    int calls;

                    @Override
                    public String algorithm() {
                        return "fake";
                    }

                    @Override
                    public void call() {
                        if (++calls == failAt) {
                            throw new IllegalStateException(name + " broke at call " + calls);
                        }
                        log.add(name + (op.n() == 1 ? "" : "@n" + op.n()));
                        openPlans.add(engine.stats().openPlans());
                        HostTensor out = Tensor.of(new float[Math.toIntExact(op.outputSize())], op.outputShape());
                        ReferenceConv.run(op, inputs.with(Arg.DST, out));
                        y = out;
                    }

                    @Override
                    public HostTensor output() {
                        return y;
                    }

                    @Override
                    public BenchPeer.Timing time(BenchPeer.Budget budget) throws Exception {
                        log.add(name + (op.n() == 1 ? "" : "@n" + op.n()) + ".time");
                        openPlans.add(engine.stats().openPlans());
                        return Layer.super.time(budget);
                    }

                    @Override
                    public void close() throws Exception {
                        layersClosed++;
                        if (closeFails) {
                            throw new java.io.IOException(name + " could not close its session");
                        }
                    }
                };
            }

            @Override
            public void close() {
            }
        };
    }

    /** The names of the runs of consecutive equal entries of the log, from {@code from} on. */
    private List<String> runs(int from) {
        List<String> runs = new ArrayList<>();
        for (String s : log.subList(from, log.size())) {
            if (runs.isEmpty() || !runs.get(runs.size() - 1).equals(s)) {
                runs.add(s);
            }
        }
        return runs;
    }

    @Test
    void peersInThisProcessTakeTurnsBesideConvclAndAPeerElsewhereIsTimedAfter() {
        try (Engine cpu = Engine.create(DeviceChoice.CPU)) {
            List<BenchRunner.OpenPeer> peers = List.of(new BenchRunner.OpenPeer(peer("A", true, 0, cpu), "fake A"),
                    new BenchRunner.OpenPeer(peer("T", false, 0, cpu), "fake T"),
                    new BenchRunner.OpenPeer(peer("B", true, 0, cpu), "fake B"));
            // 5 timed calls each; the time budget never ends a contender's turns before that.
            BenchRunner runner = new BenchRunner(cpu, cpu, new BenchRunner.Settings(1, 0, 5, 60, 1e9),
                    new PrintWriter(new StringWriter(), true), peers);
            List<BenchRow> rows = runner.runOne(new BenchSuite.Problem("small", SMALL, true));
            assertEquals(List.of("cpu", "A", "T", "B"), rows.stream().map(BenchRow::backend).toList(),
                    "rows in the peers' order, whenever each was timed");
            for (BenchRow r : rows) {
                assertTrue(r.ok() && !r.failed(), r.toString());
                assertEquals(5, r.calls(), r.toString());
            }
            assertEquals(5, rows.get(0).deviceCalls(), "the CPU path's device-tensor calls are timed too");

            int tTime = log.indexOf("T.time");
            assertTrue(tTime > log.lastIndexOf("A") && tTime > log.lastIndexOf("B"),
                    "the peer in another process is timed after the others: " + runs(0));
            assertEquals(0, openPlans.get(tTime), "convcl's plans are closed before it is timed");
            for (int i = 0; i < log.size(); i++) {
                if (log.get(i).equals("A") || log.get(i).equals("B")) {
                    assertTrue(openPlans.get(i) > 0, "A and B run while convcl's plans are open: entry " + i + " of "
                            + runs(0));
                }
            }
            // From B's checking call on: five rounds, in which A and B take a turn each (convcl's two
            // calls between them, the first turn one later each round): B A B A B A B A B at least;
            // timed one after the other, B A B.
            List<String> turns = runs(log.indexOf("B"));
            assertTrue(turns.size() >= 8, "A and B alternate turn by turn: " + turns);
        }
    }

    @Test
    void aProblemsBatchSizesAreTimedSideBySideAndAPeerElsewhereAfterThemAll() {
        try (Engine cpu = Engine.create(DeviceChoice.CPU)) {
            List<BenchRunner.OpenPeer> peers = List.of(new BenchRunner.OpenPeer(peer("A", true, 0, cpu), "fake A"),
                    new BenchRunner.OpenPeer(peer("T", false, 0, cpu), "fake T"));
            StringWriter progress = new StringWriter();
            BenchRunner runner = new BenchRunner(cpu, cpu, new BenchRunner.Settings(1, 0, 5, 60, 1e9),
                    new PrintWriter(progress, true), peers);
            Conv2d other = Conv2d.builder().input(1, 3, 5, 5).output(2).kernel(1, 1).bias(true).build();
            List<BenchSuite.Problem> problems = BenchBatches.expand(List.of(new BenchSuite.Problem("small", SMALL, true),
                    new BenchSuite.Problem("other", other, true)), List.of(1, 3));
            List<BenchRow> rows = runner.run(problems, 2);
            assertEquals(List.of("small@n1 cpu", "small@n1 A", "small@n1 T", "small@n3 cpu", "small@n3 A", "small@n3 T",
                            "other@n1 cpu", "other@n1 A", "other@n1 T", "other@n3 cpu", "other@n3 A", "other@n3 T"),
                    rows.stream().map(r -> r.name() + " " + r.backend()).toList());
            for (BenchRow r : rows) {
                assertTrue(r.ok() && r.calls() == 5, r.toString());
            }
            // small's two batch sizes: from A@n3's checking call on, A and A@n3 take turns round by
            // round (timed one batch after the other: A@n3 A A@n3, three runs).
            List<String> fromN3 = runs(log.indexOf("A@n3"));
            List<String> smallTurns = fromN3.subList(0, fromN3.indexOf("T")); // T: its checking call
            assertTrue(smallTurns.size() >= 8 && smallTurns.stream().allMatch(t -> t.equals("A") || t.equals("A@n3")),
                    "the batch sizes alternate: " + smallTurns);
            // The peer in another process: both batch sizes after every in-process call of the problem,
            // with convcl's plans of both closed.
            int t1 = log.indexOf("T.time"), t3 = log.indexOf("T@n3.time");
            assertTrue(t3 > t1 && log.subList(t1, t3).stream().allMatch(e -> e.startsWith("T")),
                    "T times n=1 then n=3, after the problem's side-by-side rounds: " + runs(0));
            assertEquals(0, openPlans.get(t1), runs(0).toString());
            assertEquals(0, openPlans.get(t3), runs(0).toString());
            assertEquals(java.util.Set.of("small@n1", "small@n3", "other@n1", "other@n3"), runner.othersCores().keySet());
            String said = progress.toString();
            assertTrue(said.contains("      timing both side by side\n"), said);
            assertTrue(said.indexOf("[2/4] small@n3") < said.indexOf("      small@n1:"), "both prepared before the rows: "
                    + said);
        }
    }

    @Test
    void anErrorWhileAGroupIsPreparedClosesWhatTheGroupOpened() {
        prepareBreaksAtBatch = 3;
        try (Engine cpu = Engine.create(DeviceChoice.CPU)) {
            BenchRunner runner = new BenchRunner(cpu, cpu, new BenchRunner.Settings(1, 0, 3, 60, 1e9),
                    new PrintWriter(new StringWriter(), true), List.of(new BenchRunner.OpenPeer(peer("A", true, 0, cpu),
                    "fake A")));
            List<BenchSuite.Problem> problems = BenchBatches.expand(List.of(new BenchSuite.Problem("small", SMALL, true)),
                    List.of(1, 3));
            NoClassDefFoundError e = org.junit.jupiter.api.Assertions.assertThrows(NoClassDefFoundError.class,
                    () -> runner.run(problems, 2));
            assertTrue(e.getMessage().contains("its library is missing"), e.toString());
            assertEquals(0, cpu.stats().openPlans(), "both batch sizes' plans closed");
            assertEquals(1, layersOpened, "batch 1's peer layer was prepared");
            assertEquals(1, layersClosed, "and closed");
        }
    }

    @Test
    void withoutBatchSizesEveryProblemIsTimedAloneWhateverItsName() {
        try (Engine cpu = Engine.create(DeviceChoice.CPU)) {
            StringWriter progress = new StringWriter();
            BenchRunner runner = new BenchRunner(cpu, cpu, new BenchRunner.Settings(1, 0, 3, 60, 1e9),
                    new PrintWriter(progress, true), List.of(new BenchRunner.OpenPeer(peer("A", true, 0, cpu), "fake A")));
            // Names a shapes file may hold: they look like bench --batch's, but are two problems.
            List<BenchRow> rows = runner.run(List.of(new BenchSuite.Problem("conv@nhwc", SMALL, true),
                    new BenchSuite.Problem("conv@nchw", SMALL, true)));
            assertEquals(4, rows.size(), rows.toString());
            assertTrue(!progress.toString().contains("side by side"), progress.toString());
            assertTrue(progress.toString().indexOf("      cpu ") < progress.toString().indexOf("[2/2] conv@nchw"),
                    "the first problem's rows come before the second starts: " + progress);
        }
    }

    @Test
    void aPeerWhoseLayerFailsToCloseFailsItsRowAndTheRunGoesOn() {
        try (Engine cpu = Engine.create(DeviceChoice.CPU)) {
            StringWriter progress = new StringWriter();
            List<BenchRunner.OpenPeer> peers = List.of(new BenchRunner.OpenPeer(peer("C", true, 0, true, cpu), "fake C"),
                    new BenchRunner.OpenPeer(peer("A", true, 0, cpu), "fake A"));
            BenchRunner runner = new BenchRunner(cpu, cpu, new BenchRunner.Settings(1, 0, 3, 60, 1e9),
                    new PrintWriter(progress, true), peers);
            List<BenchRow> rows = runner.runOne(new BenchSuite.Problem("small", SMALL, true));
            assertEquals(List.of("cpu", "C", "A"), rows.stream().map(BenchRow::backend).toList());
            assertTrue(rows.get(0).ok() && rows.get(2).ok(), rows.toString());
            BenchRow c = rows.get(1);
            assertTrue(c.failed() && c.error().contains("FAIL while closed: C could not close its session"), c.toString());
            assertEquals(0, cpu.stats().openPlans(), "convcl's plans are closed all the same");
        }
    }

    @Test
    void aPeerThatFailsWhileTimedFailsAloneAndTheOthersAreTimedAgain() {
        try (Engine cpu = Engine.create(DeviceChoice.CPU)) {
            StringWriter progress = new StringWriter();
            List<BenchRunner.OpenPeer> peers = List.of(new BenchRunner.OpenPeer(peer("A", true, 0, cpu), "fake A"),
                    new BenchRunner.OpenPeer(peer("F", true, 6, cpu), "fake F"));
            BenchRunner runner = new BenchRunner(cpu, cpu, new BenchRunner.Settings(1, 0, 4, 60, 1e9),
                    new PrintWriter(progress, true), peers);
            List<BenchRow> rows = runner.runOne(new BenchSuite.Problem("small", SMALL, true));
            assertEquals(List.of("cpu", "A", "F"), rows.stream().map(BenchRow::backend).toList());
            assertTrue(rows.get(0).ok() && rows.get(0).calls() == 4, rows.get(0).toString());
            assertTrue(rows.get(1).ok() && rows.get(1).calls() == 4, rows.get(1).toString());
            BenchRow f = rows.get(2);
            assertTrue(f.failed() && f.error().contains("FAIL while timed: F broke at call 6"), f.toString());
            assertEquals(0, f.calls(), "a peer that failed while timed keeps no figures");
            assertTrue(progress.toString().contains("F           FAIL while timed: F broke at call 6"), progress.toString());
        }
    }
}
