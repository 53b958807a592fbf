package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.reference.ReferenceOps;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The reference of pooling, broadcasting arithmetic and channel shuffle against PyTorch's own
 * results (src/test/resources/graph/torch-ops.txt, written by scripts/torch_ops_expected.py from
 * torch 1.13 in float64): the rules convcl copies (ceil_mode's last window, count_include_pad
 * beyond the padding, NumPy broadcasting, the shuffle's channel order, F.pad's order of the
 * sides) are PyTorch's.
 */
class TorchOpsTest {

    record Case(Operation op, double[] expected) {
        @Override
        public String toString() {
            return op.toString();
        }
    }

    static Stream<Case> cases() throws IOException {
        List<Case> l = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(Objects.requireNonNull(
                TorchOpsTest.class.getResourceAsStream("/graph/torch-ops.txt")), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                String[] parts = line.split(" \\| ");
                String[] v = parts[1].trim().split(" ");
                double[] e = new double[v.length];
                for (int i = 0; i < v.length; i++) {
                    e[i] = Double.parseDouble(v[i]);
                }
                l.add(new Case(Operation.parse(parts[0]), e));
            }
        }
        assertEquals(62, l.size(), "cases in torch-ops.txt");
        return l.stream();
    }

    /** The script's input: {@code ((j * 7919 + 131 * role) % 1000) / 500 - 1}. */
    static double[] values(int role, long size) {
        double[] v = new double[(int) size];
        for (int j = 0; j < v.length; j++) {
            v[j] = ((j * 7919L + 131L * role) % 1000) / 500.0 - 1.0;
        }
        return v;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void referenceMatchesPyTorch(Case c) {
        double[] out;
        if (c.op() instanceof Pool2d p) {
            out = ReferenceOps.pool2d(p, values(0, (long) p.n() * p.c() * p.h() * p.w()));
        } else if (c.op() instanceof Binary b) {
            double[] y = values(1, ShapeRules.size(b.b()));
            if (b.kind() == Binary.Kind.DIV) {
                for (int i = 0; i < y.length; i++) {
                    y[i] = y[i] < 0 ? y[i] - 0.5 : y[i] + 0.5; // the script keeps divisors away from zero
                }
            }
            out = ReferenceOps.binary(b, values(0, ShapeRules.size(b.a())), y, null);
        } else if (c.op() instanceof Pad2d p) {
            out = ReferenceOps.pad2d(p, values(0, (long) p.n() * p.c() * p.h() * p.w()));
        } else {
            ChannelShuffle s = (ChannelShuffle) c.op();
            out = ReferenceOps.channelShuffle(s, values(0, (long) s.n() * s.c() * s.h() * s.w()));
        }
        assertEquals(c.expected().length, out.length, "element count of " + c.op());
        for (int i = 0; i < out.length; i++) {
            assertTrue(Math.abs(out[i] - c.expected()[i]) <= 1e-12 * Math.max(1, Math.abs(c.expected()[i])),
                    c.op() + ": element " + i + " is " + out[i] + ", PyTorch's " + c.expected()[i]);
        }
    }
}
