package dev.convcl.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Activation;
import dev.convcl.Args;
import dev.convcl.Conv2d;
import dev.convcl.HostTensor;
import dev.convcl.PostOps;
import dev.convcl.Sum;
import dev.convcl.Tensor;
import dev.convcl.reference.ReferenceConv;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * README's library example is {@link QuickStart}, verbatim: this test holds README's java block to
 * the source file the build compiles, and README's printed output to what the example prints.
 */
class QuickStartTest {
    private static final Path README = Path.of("README.md");
    private static final Path SOURCE = Path.of("src/test/java/dev/convcl/examples/QuickStart.java");
    /** README's output block follows its java block and says how it was made. */
    private static final String OUTPUT_INTRO = "It prints, on a machine with POCL";

    @Test
    void readmeShowsTheExampleExactlyAsCompiled() throws IOException {
        String source = Files.readString(SOURCE, StandardCharsets.UTF_8);
        String packageLine = "package dev.convcl.examples;\n\n";
        assertTrue(source.startsWith(packageLine), "QuickStart.java must start with its package line");
        assertEquals(source.substring(packageLine.length()), block(readme(), "```java\n", 0),
                "README.md's java block must be src/test/java/dev/convcl/examples/QuickStart.java without its package"
                        + " line; copy the file into README (or the change back into the file)");
    }

    @Test
    void readmeShowsTheExamplesRealOutput() throws IOException {
        List<String> printed = run();
        String readme = readme();
        int intro = readme.indexOf(OUTPUT_INTRO);
        assertTrue(intro > readme.indexOf("```java\n"), "README introduces the example's output after the example");
        List<String> shown = block(readme, "```\n", intro).lines().toList();
        assertEquals(4, printed.size(), "the example prints four lines: " + printed);
        assertEquals(4, shown.size(), "README shows four lines of output: " + shown);
        // The problem and the numbers are the same on every device (the data are small exact values).
        assertEquals(shown.subList(0, 2), printed.subList(0, 2), "README shows what the example prints");
        // Where it ran is the machine's: README shows a POCL run, both blocks on OpenCL.
        String plans = "plans: \\S+ on (opencl|cpu), \\S+ on (opencl|cpu)";
        assertTrue(shown.get(2).startsWith("engine: opencl:0 "), shown.get(2));
        assertTrue(shown.get(3).matches(plans) && !shown.get(3).contains(" on cpu"), shown.get(3));
        assertTrue(printed.get(2).startsWith("engine: "), printed.get(2));
        assertTrue(printed.get(3).matches(plans), printed.get(3));
    }

    @Test
    void thePrintedValuesAreTheReferences() {
        Conv2d conv1 = Conv2d.builder().input(1, 64, 56, 56).output(64).kernel(3, 3).padding(1)
                .bias(true).postOps(Activation.relu()).build();
        Conv2d conv2 = conv1.withPostOps(PostOps.of(new Sum(1f), Activation.relu()));
        HostTensor x = Tensor.of(QuickStart.pattern(64 * 56 * 56, 7, 1f), conv1.inputShape());
        HostTensor w = Tensor.of(QuickStart.pattern(64 * 64 * 3 * 3, 5, 1f / 64), conv1.weightShape());
        HostTensor b = Tensor.of(QuickStart.pattern(64, 3, 1f), conv1.biasShape());
        HostTensor h = Tensor.zeros(conv1.outputShape());
        HostTensor y = Tensor.zeros(conv2.outputShape());
        ReferenceConv.run(conv1, Args.builder().src(x).weights(w).bias(b).dst(h).build());
        ReferenceConv.run(conv2, Args.builder().src(h).weights(w).bias(b).sum(x).dst(y).build());
        int at = (2 * 56 + 28) * 56 + 30;
        String expected = "y[0, 2, 28, 30:34] = " + y.get(at) + " " + y.get(at + 1) + " " + y.get(at + 2) + " "
                + y.get(at + 3);
        assertEquals(expected, run().get(1));
    }

    /** Runs the example's main and returns its standard output's lines. */
    private static List<String> run() {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            QuickStart.main(new String[0]);
        } finally {
            System.setOut(original);
        }
        return new ArrayList<>(captured.toString(StandardCharsets.UTF_8).lines().toList());
    }

    private static String readme() throws IOException {
        return Files.readString(README, StandardCharsets.UTF_8);
    }

    /** The contents of the first fenced block opened by {@code fence} at or after {@code from}. */
    private static String block(String text, String fence, int from) {
        int start = text.indexOf(fence, from);
        assertTrue(start >= 0, "README.md has no block opened by " + fence.strip() + " after offset " + from);
        start += fence.length();
        int end = text.indexOf("```\n", start);
        assertTrue(end >= 0, "README.md's block at offset " + start + " is not closed");
        return text.substring(start, end);
    }
}
