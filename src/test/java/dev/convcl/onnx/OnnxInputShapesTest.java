package dev.convcl.onnx;

import static dev.convcl.onnx.OnnxBuilder.in;
import static dev.convcl.onnx.OnnxBuilder.out;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.convcl.ConvclException;
import dev.convcl.Graph;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Graph#fromOnnx(Path, Map)}'s refusals of the shapes given: one that is no shape names the
 * input it was given for, and the model's inputs are listed in the order the file declares them.
 */
class OnnxInputShapesTest {
    @TempDir
    Path dir;

    /** Inputs {@code b} then {@code a} (declared in that order), of shape [batch,3,8,8]; output {@code y = b + a}. */
    private Path twoInputs() throws IOException {
        return new OnnxBuilder(13).symbolicInput("b", "batch", 3, 8, 8).symbolicInput("a", "batch", 3, 8, 8)
                .node("Add", "add", in("b", "a"), out("y")).output("y").save(dir.resolve("ba.onnx"));
    }

    private static String refusal(Path model, Map<String, int[]> shapes) {
        return assertThrows(IllegalArgumentException.class, () -> Graph.fromOnnx(model, shapes)).getMessage();
    }

    @Test
    void aShapeThatIsNoShapeNamesItsInput() throws IOException {
        Path m = twoInputs();
        assertEquals("the shape given for input 'a': dimension 0 of [0, 3, 8, 8] is 0; every dimension must be at least 1",
                refusal(m, Map.of("b", new int[] {2, 3, 8, 8}, "a", new int[] {0, 3, 8, 8})));
        Map<String, int[]> nullShape = new HashMap<>();
        nullShape.put("a", null);
        assertEquals("the shape given for input 'a' is null; give its dimensions, e.g. [1, 3, 224, 224]",
                refusal(m, nullShape));
        assertEquals("the shape given for input 'b': a shape needs at least one dimension",
                refusal(m, Map.of("b", new int[0])));
    }

    /** A null name is refused in one line, not left to a NullPointerException inside the importer. */
    @Test
    void aNullInputNameIsRefused() throws IOException {
        Path m = twoInputs();
        Map<String, int[]> nullName = new HashMap<>();
        nullName.put(null, new int[] {1, 3, 8, 8});
        assertEquals("an input shape is given for a null input name", refusal(m, nullName));
    }

    /**
     * The empty name is no input's, not "the only input" (that is {@link Graph#fromOnnx(Path, int...)}):
     * refused like any other unknown name, listing the model's inputs.
     */
    @Test
    void theEmptyNameIsRefusedNamingTheInputs() throws IOException {
        Path one = new OnnxBuilder(13).symbolicInput("x", "batch", 3, 8, 8).node("Relu", "r", in("x"), out("y"))
                .output("y").save(dir.resolve("one.onnx"));
        assertEquals("an input shape is given for the empty name '', but one.onnx has no runtime input of that name; "
                + "its inputs are [x]", refusal(one, Map.of("", new int[] {1, 3, 8, 8})));
        assertEquals("an input shape is given for the empty name '', but ba.onnx has no runtime input of that name; "
                + "its inputs are [b, a]", refusal(twoInputs(), Map.of("", new int[] {1, 3, 8, 8})));
    }

    @Test
    void theModelsInputsAreListedInDeclaredOrder() throws IOException {
        Path m = twoInputs();
        assertEquals("an input shape is given for 'c', but ba.onnx has no runtime input of that name; its inputs are "
                + "[b, a]", refusal(m, Map.of("c", new int[] {1, 3, 8, 8})));
        assertEquals("one input shape is given without a name, but ba.onnx has 2 runtime inputs [b, a]; name the input",
                assertThrows(IllegalArgumentException.class, () -> Graph.fromOnnx(m, 1, 3, 8, 8)).getMessage());
    }

    /**
     * An input given no shape whose dimensions are symbolic is refused naming every such dimension,
     * and the way to give its shape is {@code Graph.fromOnnx}'s: the shape alone for a model of
     * one input, by the input's name (a Java literal) for several.
     */
    @Test
    void aSymbolicInputGivenNoShapeIsNamedWithTheWayToGiveIt() throws IOException {
        Path one = new OnnxBuilder(13).inputDims("x", "batch", 3, null, "w").node("Relu", "r", in("x"), out("y"))
                .output("y").save(dir.resolve("one.onnx"));
        assertEquals("one.onnx: graph input 'x' has symbolic dimensions 0 ('batch'), 2 and 3 ('w'); give its shape with "
                + "Graph.fromOnnx(model, shape)", assertThrows(ConvclException.class, () -> Graph.fromOnnx(one))
                .getMessage());
        // b's batch is given; a"q's n is not, and no shape given fills it
        Path two = new OnnxBuilder(13).symbolicInput("b", "batch", 3, 8, 8).symbolicInput("a\"q", "n", 3, 8, 8)
                .node("Add", "add", in("b", "a\"q"), out("y")).output("y").save(dir.resolve("two.onnx"));
        assertEquals("two.onnx: graph input 'a\"q' has a symbolic dimension 0 ('n'); give its shape by name with "
                + "Graph.fromOnnx(model, Map.of(\"a\\\"q\", shape))", assertThrows(ConvclException.class,
                () -> Graph.fromOnnx(two, Map.of("b", new int[] {1, 3, 8, 8}))).getMessage());
    }
    /**
     * A shape given with another channel count than the model fixes is refused before any layer is
     * read, naming the input, the shape given and the declared one (it failed at the first Conv,
     * in the Conv's words); the batch, height and width may change, and a symbolic dimension takes
     * any size.
     */
    @Test
    void aFixedChannelCountIsCheckedUpFront() throws IOException {
        Path fixed = new OnnxBuilder(13).input("x", 1, 3, 8, 8).ramp("w", 4, 3, 3, 3)
                .node("Conv", "conv1", in("x", "w"), out("y")).output("y").save(dir.resolve("c.onnx"));
        assertEquals("the shape given for c.onnx: graph input 'x', [1, 4, 8, 8], has 4 at dimension 1 (channels), which "
                + "the model fixes at 3: declared [1, 3, 8, 8]; a shape given may change the batch (dimension 0) and a "
                + "4-D input's height and width, not another dimension the model fixes",
                assertThrows(IllegalArgumentException.class, () -> Graph.fromOnnx(fixed, 1, 4, 8, 8)).getMessage());
        assertEquals("[2, 4, 10, 12]", java.util.Arrays.toString(Graph.fromOnnx(fixed, 2, 3, 12, 14).outputs().values()
                .iterator().next().shape()));
        Path batch = new OnnxBuilder(13).symbolicInput("x", "batch", 3, 8, 8).ramp("w", 4, 3, 3, 3)
                .node("Conv", "conv1", in("x", "w"), out("y")).output("y").save(dir.resolve("s.onnx"));
        assertEquals("the shape given for s.onnx: graph input 'x', [2, 1, 8, 8], has 1 at dimension 1 (channels), which "
                + "the model fixes at 3: declared [batch, 3, 8, 8]; a shape given may change the batch (dimension 0) "
                + "and a 4-D input's height and width, not another dimension the model fixes",
                assertThrows(IllegalArgumentException.class, () -> Graph.fromOnnx(batch, Map.of("x", new int[] {2, 1, 8, 8})))
                        .getMessage());
        // channels declared symbolic: any count is the model's to accept
        Path open = new OnnxBuilder(13).inputDims("x", "n", "c", 8, 8).node("Relu", "r", in("x"), out("y"))
                .output("y").save(dir.resolve("o.onnx"));
        assertEquals(1, Graph.fromOnnx(open, 1, 5, 8, 8).inputs().size());
    }
}
