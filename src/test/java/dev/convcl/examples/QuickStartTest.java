package dev.convcl.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.Tensor;
import dev.convcl.testing.CrossCheck;
import dev.convcl.testing.Problems;
import dev.convcl.testing.Tensors;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Runs the README example: its output line, and its results against the reference. */
class QuickStartTest {
    private static final Convolution SPEC =
            Problems.parse("op=conv2d n=1 c=32 h=56 w=56 k=32 kh=3 kw=3 pad=2 dil=2 groups=32 bias=1 relu=1");

    @Test
    void mainPrintsWhereItRan() {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            QuickStart.main(new String[0]);
        } finally {
            System.setOut(original);
        }
        String printed = captured.toString(StandardCharsets.UTF_8);
        assertTrue(printed.startsWith(SPEC + " ran on "), printed);
        assertTrue(printed.contains(" ran on opencl: ") || printed.contains(" ran on cpu: "), printed);
    }

    @Test
    void snippetResultsMatchReference() {
        SplittableRandom rnd = new SplittableRandom(5);
        List<float[]> frames = List.of(Tensors.integers(rnd, SPEC.inputSize(), 8), Tensors.integers(rnd, SPEC.inputSize(), 8));
        float[] weights = Tensors.integers(rnd, SPEC.weightSize(), 8);
        float[] biases = Tensors.integers(rnd, SPEC.k(), 8);

        List<float[]> results = QuickStart.run(frames, weights, biases);

        assertEquals(frames.size(), results.size());
        for (int i = 0; i < frames.size(); i++) {
            Args args = Args.builder().src(Tensor.of(frames.get(i), SPEC.inputShape()))
                    .weights(Tensor.of(weights, SPEC.weightShape())).bias(Tensor.of(biases, SPEC.biasShape()))
                    .dst(Tensors.poisoned(SPEC)).build();
            CrossCheck.assertExact(SPEC, "QuickStart frame " + i, CrossCheck.reference(SPEC, args), results.get(i));
        }
    }
}
