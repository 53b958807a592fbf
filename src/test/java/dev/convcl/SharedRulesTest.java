package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The rules the public descriptors share through one package-private helper each (enum tokens,
 * the NCHW sizes and fields, a graph activation's checked parameters): every user keeps its exact
 * message and its one-line form.
 */
class SharedRulesTest {
    private static String message(Executable call) {
        return assertThrows(IllegalArgumentException.class, call).getMessage();
    }

    @Test
    void enumTokensParseByTokenOrConstantNameAndListTheKnownOnes() {
        assertSame(DataType.F32, DataType.parse("F32"));
        assertSame(Direction.FORWARD, Direction.parse("forward"));
        assertSame(Binary.Kind.DIV, Binary.Kind.parse("Div"));
        assertSame(Pool2d.Kind.AVG, Pool2d.Kind.parse("AVG"));
        assertEquals("data type 'f16' is not one of f32", message(() -> DataType.parse("f16")));
        assertEquals("direction 'bwd' is not one of fwd", message(() -> Direction.parse("bwd")));
        assertEquals("kind='pow' is not one of add, sub, mul, div",
                message(() -> Operation.parse("op=binary kind=pow a=2 b=2")));
        assertEquals("kind='min' is not one of max, avg",
                message(() -> Operation.parse("op=pool2d kind=min n=1 c=1 h=4 w=4 kh=2 kw=2")));
        assertEquals("data type 'null' is not one of f32", message(() -> DataType.parse(null)));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "op=channel_affine n=2 c=3 h=4 w=5 post=relu",
        "op=channel_shuffle n=2 c=6 h=4 w=5 groups=3",
        "op=pad2d n=2 c=3 h=4 w=5 pad=1,0,2,3 value=-1.5",
        "op=pool2d kind=avg n=2 c=3 h=8 w=9 kh=3 kw=2 stride=2 pad=1 dil=1 ceil=1 cip=0",
        "op=conv2d n=2 c=4 h=7 w=6 k=8 kh=3 kw=3 stride=1 pad=1 dil=1 groups=2 bias=1",
        "op=deform2d n=2 c=4 h=7 w=6 k=8 kh=3 kw=3 stride=1 pad=1 dil=1 groups=2 og=2 mask=1 bias=0",
        "op=roi_align n=2 c=8 h=10 w=12 rois=3 ph=2 pw=4 scale=0.5 sr=2 aligned=1",
    })
    void nchwFieldsReadInOrder(String line) {
        Operation op = Operation.parse(line);
        assertEquals(op, Operation.parse(op.toString()));
        int[] in = op.arguments().get(0).shape();
        assertEquals("[2, " + in[1] + ", " + in[2] + ", " + in[3] + "]", java.util.Arrays.toString(in));
        assertEquals(line.replaceAll(".* c=(\\d+) h=(\\d+) w=(\\d+).*", "$1 $2 $3"),
                in[1] + " " + in[2] + " " + in[3]);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "op=channel_affine n=1 c=0 h=0 w=1",
        "op=channel_shuffle n=1 c=0 h=0 w=1 groups=1",
        "op=pad2d n=1 c=0 h=0 w=1 pad=0,0,0,0",
        "op=pool2d kind=max n=1 c=0 h=0 w=1 kh=1 kw=1",
        "op=conv2d n=1 c=0 h=0 w=1 k=1 kh=1 kw=1",
        "op=roi_align n=1 c=0 h=0 w=1 rois=1 ph=1 pw=1",
    })
    void theFirstBadNchwSizeIsNamed(String line) {
        assertEquals("c=0 must be at least 1", message(() -> Operation.parse(line)));
        assertEquals("w=0 must be at least 1",
                message(() -> Operation.parse(line.replace("c=0", "c=1").replace("h=0", "h=1").replace(" w=1", " w=0"))));
    }

    @Test
    void aFieldMissingFromTheLineIsNamed() {
        assertEquals("field 'h' is missing", message(() -> Operation.parse("op=channel_affine n=1 c=1 w=1")));
    }

    @Test
    void aGraphActivationsBadParameterIsTheNodesError() {
        Graph.Builder b = Graph.builder();
        Value x = b.input("x", 2, 8);
        assertEquals("node 'c': clip minimum 6.0 is above its maximum 0.0", message(() -> b.clip("c", x, 6, 0)));
        assertEquals("node 'l': " + message(() -> Activation.leakyRelu(Float.NaN)),
                message(() -> b.leakyRelu("l", x, Float.NaN)));
        assertEquals("node 'h': " + message(() -> Activation.hardsigmoid(1, Float.POSITIVE_INFINITY)),
                message(() -> b.hardsigmoid("h", x, 1, Float.POSITIVE_INFINITY)));
        b.relu("taken", x);
        String taken = message(() -> b.clip("taken", x, 6, 0));
        assertEquals(message(() -> b.relu("taken", x)), taken, "the name is checked before the parameters");
        assertEquals(java.util.List.of(2, 8), java.util.Arrays.stream(b.clip("ok", x, 0, 6).shape()).boxed().toList());
    }
}
