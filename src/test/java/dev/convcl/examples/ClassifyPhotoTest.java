package dev.convcl.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.CompiledGraph;
import dev.convcl.DeviceChoice;
import dev.convcl.Engine;
import dev.convcl.Graph;
import dev.convcl.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README's "Run an ONNX model" example is {@link ClassifyPhoto}, verbatim: its java block is the
 * source file without the package line, and its output block is what the example prints for the
 * committed tiny ResNet on the committed photo (skimage's chelsea); the three classes printed are
 * the CPU path's three largest logits.
 */
class ClassifyPhotoTest {
    static final Path README = Path.of("README.md");
    static final Path SOURCE = Path.of("src/test/java/dev/convcl/examples/ClassifyPhoto.java");
    static final String SECTION = "## Run an ONNX model";
    static final String[] ARGS = {"src/test/resources/onnx/resnet_tiny.onnx", "src/test/resources/photos/chelsea-64.ppm",
        "48"};

    @Test
    void readmeShowsTheExampleExactlyAsCompiled() throws IOException {
        String source = Files.readString(SOURCE, StandardCharsets.UTF_8);
        String packageLine = "package dev.convcl.examples;\n\n";
        assertTrue(source.startsWith(packageLine));
        assertEquals(source.substring(packageLine.length()), block("```java\n", 0),
                "README.md's java block under '" + SECTION + "' must be ClassifyPhoto.java without its package line");
    }

    @Test
    void readmeShowsWhatItPrintsAndItIsTheTopClasses() throws IOException {
        List<String> printed = run();
        String readme = Files.readString(README, StandardCharsets.UTF_8);
        int section = readme.indexOf(SECTION);
        int intro = readme.indexOf("It prints", readme.indexOf("```java\n", section));
        assertTrue(intro > 0, "README shows the example's output after it");
        assertEquals(block("```\n", intro - section).lines().toList(), printed);

        // The classes printed are the three largest logits of the CPU path, in order.
        Graph g = Graph.fromOnnx(Path.of(ARGS[0]), 1, 3, 48, 48);
        float[] logits;
        try (Engine e = Engine.create(DeviceChoice.CPU); CompiledGraph net = e.compile(g)) {
            logits = net.run(Tensor.of(ClassifyPhoto.pixels(Path.of(ARGS[1]), 48), 1, 3, 48, 48)).toArray();
        }
        int[] top = IntStream.range(0, logits.length).boxed().sorted((a, b) -> Float.compare(logits[b], logits[a]))
                .limit(3).mapToInt(Integer::intValue).toArray();
        assertEquals(3, printed.size(), printed.toString());
        for (int k = 0; k < 3; k++) {
            assertTrue(printed.get(k).startsWith(String.format(Locale.ROOT, "class %d: ", top[k])), printed + " vs " + top[k]);
        }
    }

    /** A file that is not a PPM fails on its magic, in words, before any header field is read as a number. */
    @Test
    void aFileThatIsNotAPpmIsRefusedInWords(@TempDir Path dir) throws IOException {
        Path png = Files.write(dir.resolve("photo.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        Path text = Files.writeString(dir.resolve("notes.txt"), "width 64 height 64\n");
        for (Path p : List.of(png, text)) {
            IOException e = assertThrows(IOException.class, () -> ClassifyPhoto.pixels(p, 48));
            assertEquals(p + " is not a binary PPM: it does not start with P6", e.getMessage());
        }
        Path badHeader = Files.writeString(dir.resolve("bad.ppm"), "P6\n64 tall\n255\n");
        assertEquals(badHeader + ": the PPM header's height is not a number below 10^9",
                assertThrows(IOException.class, () -> ClassifyPhoto.pixels(badHeader, 48)).getMessage());
        Path shortData = Files.writeString(dir.resolve("short.ppm"), "P6\n4 4\n255\nabc");
        assertEquals(shortData + " is not an 8-bit binary PPM of its header's size (4x4, maxval 255)",
                assertThrows(IOException.class, () -> ClassifyPhoto.pixels(shortData, 48)).getMessage());
    }

    private static List<String> run() throws IOException {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            ClassifyPhoto.main(ARGS);
        } finally {
            System.setOut(original);
        }
        return captured.toString(StandardCharsets.UTF_8).lines().toList();
    }

    /** The first fenced block opened by {@code fence} at or after {@code from} within README's ONNX section. */
    private static String block(String fence, int from) throws IOException {
        String readme = Files.readString(README, StandardCharsets.UTF_8);
        int section = readme.indexOf(SECTION);
        assertTrue(section >= 0, "README.md has no section '" + SECTION + "'");
        String text = readme.substring(section);
        int start = text.indexOf(fence, from);
        assertTrue(start >= 0, "no block opened by " + fence.strip());
        start += fence.length();
        int end = text.indexOf("```\n", start);
        return text.substring(start, end);
    }
}
