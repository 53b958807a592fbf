package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.DeviceChoice;
import dev.convcl.Engine;
import dev.convcl.Graph;
import dev.convcl.HostTensor;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@code bench --model}'s measuring ({@link BenchModel#measure}): convcl and scripted peers opened,
 * checked, warmed up and timed side by side; a peer whose call fails while timed gets its error
 * and the others are still timed.
 */
class BenchModelInterleaveTest {

    /** A peer that answers with the CPU path's outputs; its call throws from call {@code failAt} on (0: never). */
    private static final class ScriptedPeer implements BenchPeer {
        private final String name;
        private final Map<String, HostTensor> outputs;
        private final int failAt;
        int calls;
        boolean closed;

        ScriptedPeer(String name, Map<String, HostTensor> outputs, int failAt) {
            this.name = name;
            this.outputs = outputs;
            this.failAt = failAt;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public String open(int threads) {
            return name + " (scripted)";
        }

        @Override
        public Optional<String> unsupported(Convolution op) {
            return Optional.of("scripted");
        }

        @Override
        public Layer prepare(Convolution op, Args inputs) {
            throw new UnsupportedOperationException("scripted");
        }

        @Override
        public Optional<String> unsupportedModel() {
            return Optional.empty();
        }

        @Override
        public Network prepare(Path model, Map<String, HostTensor> inputs) {
            return new Network() {
                @Override
                public String algorithm() {
                    return "scripted network";
                }

                @Override
                public void call() {
                    if (++calls >= failAt && failAt > 0) {
                        throw new IllegalStateException("scripted failure at call " + calls);
                    }
                }

                @Override
                public Map<String, HostTensor> outputs() {
                    return outputs;
                }

                @Override
                public void close() {
                    closed = true;
                }
            };
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aPeerFailingWhileTimedGetsItsErrorAndTheOthersAreTimed() throws Exception {
        Graph g = Graph.fromOnnx(ModelCliTest.MODEL);
        Map<String, HostTensor> in = BenchModel.inputs(g);
        StringWriter err = new StringWriter();
        try (Engine cpu = Engine.create(DeviceChoice.CPU)) {
            Map<String, HostTensor> reference = BenchModel.outputs(cpu, g, in);
            ScriptedPeer good = new ScriptedPeer("good", reference, 0);
            // The checking call, then warm-up (warmup 1, 0 s: none), then the first interleaved turn
            // (untimed calls, then timed ones): the failure lands inside the timing.
            ScriptedPeer bad = new ScriptedPeer("bad", reference, 3);
            BenchModel bench = new BenchModel(new BenchRunner.Settings(1, 0, 4, 0, 1e9), false,
                    new PrintWriter(err, true));
            BenchModel.Result r = bench.measure(List.of(cpu), g, in, reference,
                    List.of(new BenchModel.Peer(good, "good"), new BenchModel.Peer(bad, "bad")), ModelCliTest.MODEL);
            assertEquals(1, r.rows().size());
            BenchModel.Row row = r.rows().get(0);
            assertTrue(row.ok(), row.toString());
            assertEquals(BenchPeer.Budget.MIN_TIMED, row.calls(), row.toString());
            assertTrue(row.medianMs() > 0 && row.hostArrayMedianMs() > 0, row.toString());
            BenchModel.PeerRow goodRow = r.peers().get(0), badRow = r.peers().get(1);
            assertTrue(goodRow.ok(), goodRow.toString());
            assertEquals(BenchPeer.Budget.MIN_TIMED, goodRow.calls());
            assertFalse(badRow.ok());
            assertFalse(badRow.unsupported());
            assertEquals("fail", badRow.fields().get("status"));
            assertEquals("ok", goodRow.fields().get("status"));
            assertEquals("ok", row.fields().get("status"));
            assertTrue(badRow.error().contains("scripted failure at call 3"), badRow.toString());
            assertEquals(0, badRow.calls());
            assertTrue(err.toString().contains("bench: peer bad FAIL while timed: "), err.toString());
            assertTrue(good.closed && bad.closed, "peers' networks closed");
            assertNull(goodRow.error());
        }
    }
}
