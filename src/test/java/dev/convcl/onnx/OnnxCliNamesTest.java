package dev.convcl.onnx;

import static dev.convcl.onnx.OnnxBuilder.in;
import static dev.convcl.onnx.OnnxBuilder.out;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Graph;
import dev.convcl.Tensor;
import dev.convcl.Value;
import dev.convcl.cli.Main;
import dev.convcl.cli.Npy;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run --model} and {@code bench --model} with the model's names: a name that holds '=',
 * a file whose name holds '=', an output given twice, and the shapes of inputs that share a
 * symbolic dimension; each refusal one line naming the values as typed.
 */
class OnnxCliNamesTest {
    @TempDir
    Path dir;

    private Path save(OnnxBuilder b, String name) throws IOException {
        return b.save(dir.resolve(name));
    }

    /** One input {@code in=put} [1,3,8,8], one output {@code o=ut}. */
    private Path oneWithEquals() throws IOException {
        return save(new OnnxBuilder(13).input("in=put", 1, 3, 8, 8).node("Relu", "r", in("in=put"), out("o=ut"))
                .output("o=ut"), "one.onnx");
    }

    /** Inputs {@code a} and {@code b} of shape [batch,3,8,8], output {@code y = a + b}. */
    private Path twoAdd() throws IOException {
        return save(new OnnxBuilder(13).symbolicInput("a", "batch", 3, 8, 8).symbolicInput("b", "batch", 3, 8, 8)
                .node("Add", "add", in("a", "b"), out("y")).output("y"), "two_add.onnx");
    }

    private Path npy(String name, int... shape) throws IOException {
        Path p = dir.resolve(name);
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        Npy.write(p, Tensor.of(new float[n], shape));
        return p;
    }

    private record Result(int code, String out, String err) {
    }

    private static Result cli(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Main.execute(args, new PrintWriter(o, true), new PrintWriter(e, true));
        return new Result(code, o.toString(), e.toString());
    }

    /** Exit 2, nothing on stdout, exactly {@code line} on stderr. */
    private static void usageLine(Result r, String line) {
        assertEquals(Main.EXIT_USAGE, r.code(), r.toString());
        assertEquals("", r.out(), r.toString());
        assertEquals(line, r.err().strip(), r.toString());
    }

    @Test
    void namesThatHoldEqualsAreSplitAfterTheModelsName() throws IOException {
        Path m = oneWithEquals();
        Path x = npy("x.npy", 1, 3, 8, 8);
        Path y = dir.resolve("y.npy");
        Result r = cli("run", "--model", m.toString(), "--device", "cpu", "--input", "in=put=" + x, "--out", "o=ut=" + y);
        assertEquals(0, r.code(), r.toString());
        assertTrue(Files.isRegularFile(y), r.toString());
        // bench: the shape after in=put= is read, and checked against that input
        r = cli("bench", "--model", m.toString(), "--device", "cpu", "--input-shape", "in=put=1,3,9,8");
        assertEquals(Main.EXIT_USAGE, r.code(), r.toString());
        assertTrue(r.err().startsWith("convcl bench: --input-shape in=put=1,3,9,8: model one.onnx takes input 'in=put'"),
                r.toString());
    }

    @Test
    void aFileWhoseNameHoldsEqualsIsShownTheWorkingForm() throws IOException {
        Path m = oneWithEquals();
        String file = dir.resolve("a=x.npy").toString();
        usageLine(cli("run", "--model", m.toString(), "--device", "cpu", "--input", file, "--out",
                dir.resolve("y.npy").toString()), "convcl run: --input " + file + ": the model has no input '"
                + dir.resolve("a") + "'; its only input is 'in=put'; a file whose name holds '=' is given with the "
                + "input's name, e.g. --input in=put=" + file);
    }

    /** An empty NAME before '=' is refused (it wrote a file named '=y.npy'); after a name, such a file is written. */
    @Test
    void anEmptyNameIsRefused() throws IOException {
        Path m = twoAdd();
        Path a = npy("a1.npy", 1, 3, 8, 8);
        Path b = npy("b1.npy", 1, 3, 8, 8);
        usageLine(cli("run", "--model", m.toString(), "--device", "cpu", "--input", "a=" + a, "--input", "b=" + b,
                "--out", "=y.npy"), "convcl run: --out =y.npy: no name before '='; use --out NAME=FILE or --out FILE "
                + "(a file whose name starts with '=' is given after a name, --out NAME=./=y.npy)");
        assertFalse(Files.exists(Path.of("=y.npy")));
        // a value with blanks is echoed in quotes, as every other message echoes one (Typed.shown)
        usageLine(cli("run", "--model", m.toString(), "--device", "cpu", "--input", "=my x.npy", "--input", "b=" + b,
                "--out", "y.npy"), "convcl run: --input '=my x.npy': no name before '='; use --input NAME=FILE or "
                + "--input FILE (a file whose name starts with '=' is given after a name, --input 'NAME=./=my x.npy')");
        String odd = dir.resolve("=y.npy").toString();
        Result r = cli("run", "--model", m.toString(), "--device", "cpu", "--input", "a=" + a, "--input", "b=" + b,
                "--out", "y=" + odd);
        assertEquals(0, r.code(), r.toString());
        assertTrue(Files.exists(Path.of(odd)), r.toString());
        // bench's --input-shape: the empty name is said so, not that the numbers are bad
        usageLine(cli("bench", "--model", m.toString(), "--device", "cpu", "--input-shape", "=1,3,8,8"),
                "convcl bench: --input-shape =1,3,8,8: no name before '='; use --input-shape NAME=N,C,H,W or "
                        + "--input-shape N,C,H,W");
        // and a name with nothing after '=' is said so, not that the numbers are bad
        usageLine(cli("bench", "--model", m.toString(), "--device", "cpu", "--input-shape", "a="),
                "convcl bench: --input-shape a=: no shape after '='; use --input-shape NAME=N,C,H,W or "
                        + "--input-shape N,C,H,W");
    }

    @Test
    void anOutputGivenTwiceIsSaidSo() throws IOException {
        Path m = twoAdd();
        Path a = npy("a1.npy", 1, 3, 8, 8);
        Path b = npy("b1.npy", 1, 3, 8, 8);
        String y = dir.resolve("y.npy").toString();
        String y2 = dir.resolve("y2.npy").toString();
        usageLine(cli("run", "--model", m.toString(), "--device", "cpu", "--input", "a=" + a, "--input", "b=" + b,
                "--out", y, "--out", "y=" + y2), "convcl run: --out " + y + " and --out y=" + y2 + " both give output "
                + "'y', the model's only output; give each output once");
        assertFalse(Files.exists(Path.of(y)));
        String spaced = dir.resolve("my y.npy").toString();
        usageLine(cli("run", "--model", m.toString(), "--device", "cpu", "--input", "a=" + a, "--input", "b=" + b,
                "--out", spaced, "--out", "y=" + y2), "convcl run: --out '" + spaced + "' and --out y=" + y2
                + " both give output 'y', the model's only output; give each output once");
    }

    @Test
    void filesThatFillOneSymbolicDimensionDifferentlyAreNamed() throws IOException {
        Path m = twoAdd();
        Path a = npy("a1.npy", 1, 3, 8, 8);
        Path b = npy("b2.npy", 2, 3, 8, 8);
        usageLine(cli("run", "--model", m.toString(), "--device", "cpu", "--input", "a=" + a, "--input", "b=" + b,
                "--out", dir.resolve("y.npy").toString()), "convcl run: --input a=" + a + " gives [1, 3, 8, 8] and "
                + "--input b=" + b + " gives [2, 3, 8, 8], but model two_add.onnx declares input 'a' [batch, 3, 8, 8] "
                + "and input 'b' [batch, 3, 8, 8]: its dimension 'batch' has one size, 1 or 2");
        usageLine(cli("bench", "--model", m.toString(), "--device", "cpu", "--input-shape", "a=1,3,8,8",
                "--input-shape", "b=2,3,8,8"), "convcl bench: --input-shape a=1,3,8,8 gives [1, 3, 8, 8] and "
                + "--input-shape b=2,3,8,8 gives [2, 3, 8, 8], but model two_add.onnx declares input 'a' "
                + "[batch, 3, 8, 8] and input 'b' [batch, 3, 8, 8]: its dimension 'batch' has one size, 1 or 2");
    }

    @Test
    void anInputWhoseSymbolicDimensionsAnotherShapeFillsTakesThem() throws IOException {
        Path m = twoAdd();
        // b comes second and a first, and the other way round: either fills the other
        Graph g = Graph.fromOnnx(m, Map.of("a", new int[] {2, 3, 8, 8}));
        assertArrayEquals(new int[] {2, 3, 8, 8}, g.inputs().stream().filter(v -> v.name().equals("b"))
                .map(Value::shape).findFirst().orElseThrow());
        g = Graph.fromOnnx(m, Map.of("b", new int[] {3, 3, 8, 8}));
        assertArrayEquals(new int[] {3, 3, 8, 8}, g.inputs().get(0).shape());
        assertArrayEquals(new int[] {3, 3, 8, 8}, g.outputs().get("y").shape());
    }

    /** A shape given twice for one input names both values as typed (it named the input alone). */
    @Test
    void anInputShapeGivenTwiceNamesBothValues() throws IOException {
        Path m = twoAdd();
        usageLine(cli("bench", "--model", m.toString(), "--device", "cpu", "--input-shape", "a=1,3,8,8",
                "--input-shape", "b=1,3,8,8", "--input-shape", "a=02,3,8,8"), "convcl bench: --input-shape a=1,3,8,8 "
                + "and --input-shape a=02,3,8,8 both give input 'a'; give each input once");
        usageLine(cli("bench", "--model", m.toString(), "--device", "cpu", "--input-shape", "1,3,8,8",
                "--input-shape", "2,3,8,8"), "convcl bench: --input-shape 1,3,8,8 and --input-shape 2,3,8,8 both give "
                + "the input (no NAME=); give each input once");
        usageLine(cli("bench", "--model", m.toString(), "--device", "cpu", "--input-shape", "a=1,3,8,8",
                "--input-shape", "1,3,8,8"), "convcl bench: --input-shape 1,3,8,8 names no input, beside --input-shape "
                + "a=1,3,8,8: name every input (NAME=N,C,H,W) when giving several");
    }

    @Test
    void inputShapeRefusalsEchoTheValueAsTyped() throws IOException {
        Path m = twoAdd();
        usageLine(cli("bench", "--model", m.toString(), "--device", "cpu", "--input-shape", "a=0,3,8,8"),
                "convcl bench: --input-shape 'a=0,3,8,8' must be comma-separated positive integers, N,C,H,W for an "
                + "image input, e.g. 1,3,224,224");
        usageLine(cli("bench", "--model", m.toString(), "--device", "cpu", "--input-shape", "a=2147483647,3,8,8"),
                "convcl bench: --input-shape 'a=2147483647,3,8,8' has 412316860224 elements, more than the 2^31-1 a "
                + "tensor may have");
    }

    /**
     * bench --model: an input whose symbolic dimensions no --input-shape sizes is named, with the
     * option to give it in the form it takes: the input's name first where the model has several, the
     * sizes the model fixes filled in, and quoted for a shell where the name holds a blank.
     */
    @Test
    void anInputGivenNoShapeIsNamedWithTheOption() throws IOException {
        Path m = save(new OnnxBuilder(13).symbolicInput("a", "batch", 3, 8, 8).symbolicInput("b", "n", 8, 8)
                .node("Add", "add", in("a", "b"), out("y")).output("y"), "two_sym.onnx");
        usageLine(cli("bench", "--model", m.toString(), "--device", "cpu", "--input-shape", "a=1,3,8,8"),
                "convcl bench: two_sym.onnx: graph input 'b' has a symbolic dimension 0 ('n'); give its shape with "
                + "--input-shape b=D0,8,8");
        // a name a shell would split is given quoted
        Path q = save(new OnnxBuilder(13).symbolicInput("a", "batch", 3, 8, 8).symbolicInput("my b", "n", 8, 8)
                .node("Add", "add", in("a", "my b"), out("y")).output("y"), "two_sym_blank.onnx");
        usageLine(cli("bench", "--model", q.toString(), "--device", "cpu", "--input-shape", "a=1,3,8,8"),
                "convcl bench: two_sym_blank.onnx: graph input 'my b' has a symbolic dimension 0 ('n'); give its shape "
                + "with --input-shape 'my b=D0,8,8'");
    }
}
