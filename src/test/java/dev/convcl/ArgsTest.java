package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.testing.Problems;
import dev.convcl.testing.Tensors;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Arguments by role ({@link Args}): how they are made, what {@link Operation#arguments()} asks
 * for, and the message of each mistake, through {@link Args#validateFor}, {@link Plan#execute} and
 * {@link Plan#bind} (the descriptor-level table of wrong shapes is {@code testing.BadArgs}).
 */
class ArgsTest {
    /** A residual block's convolution: bias and a sum post-op, so it takes five tensors. */
    static final Convolution RESIDUAL = Problems.parse("op=conv2d n=1 c=4 h=5 w=5 k=4 kh=3 kw=3 pad=1 bias=1 post=sum+relu");
    static final Convolution DEFORM = Problems.parse("op=deform2d n=1 c=4 h=6 w=5 k=2 kh=3 kw=3 pad=1 og=2 mask=1");

    private static Engine engine;
    private static Engine other;

    @BeforeAll
    static void open() {
        engine = Engine.create(DeviceChoice.CPU);
        other = Engine.create(DeviceChoice.CPU);
    }

    @AfterAll
    static void close() {
        engine.close();
        other.close();
    }

    @Test
    void operationsListTheirArgumentsInPyTorchsOrder() {
        assertEquals("[input [1, 4, 5, 5] [N, C, H, W], weight [4, 4, 3, 3] [K, C/groups, kh, kw], bias [4] [K], "
                + "sum [1, 4, 5, 5] [N, K, OH, OW], output [1, 4, 5, 5] [N, K, OH, OW]]", RESIDUAL.arguments().toString());
        assertEquals(List.of(Arg.SRC, Arg.OFFSET, Arg.MASK, Arg.WEIGHTS, Arg.DST),
                DEFORM.arguments().stream().map(ArgSpec::arg).toList());
        assertArrayEquals(new int[] {1, 18, 6, 5}, DEFORM.arguments().get(2).shape()); // og * kh * kw = 18
        assertEquals(1L * 18 * 6 * 5, DEFORM.arguments().get(2).size());
    }

    @Test
    void ofAndTheBuilderMakeTheSameArguments() {
        Args a = Tensors.args(RESIDUAL, 1, true, 1);
        Args of = Args.of(Arg.SRC, a.get(Arg.SRC), Arg.WEIGHTS, a.get(Arg.WEIGHTS), Arg.BIAS, a.get(Arg.BIAS), Arg.SUM,
                a.get(Arg.SUM), Arg.DST, a.get(Arg.DST));
        assertEquals(a.asMap(), of.asMap());
        assertEquals(Set.of(Arg.SRC, Arg.WEIGHTS, Arg.BIAS, Arg.SUM, Arg.DST), of.roles());
        of.validateFor(RESIDUAL);
        assertTrue(a.with(Arg.BIAS, null).has(Arg.SRC) && !a.with(Arg.BIAS, null).has(Arg.BIAS));
        assertEquals(a.get(Arg.SRC), Args.builder().set(Arg.SRC, a.get(Arg.SRC)).build().get(Arg.SRC));
    }

    /**
     * A call on a closed engine is refused as such, whatever its arguments hold, as {@code plan}
     * and {@code allocate} are: the arguments were checked first, so a bad one hid the closed engine.
     */
    @Test
    void aClosedEngineIsReportedBeforeTheArguments() {
        Engine closed = Engine.create(DeviceChoice.CPU);
        closed.close();
        Args bad = Tensors.args(RESIDUAL, 1, true, 1).with(Arg.BIAS, null);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> engine.execute(RESIDUAL, bad),
                "the arguments must be bad for this test to mean anything");
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> closed.execute(RESIDUAL, bad));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    /** One mistake: what is done, and a part of the message that must name it. */
    record Mistake(String name, Executable call, String expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Mistake> mistakes() {
        Args good = Tensors.args(RESIDUAL, 2, true, 1);
        HostTensor x = (HostTensor) good.get(Arg.SRC);
        return Stream.of(
                new Mistake("Args.of with an odd count", () -> Args.of(Arg.SRC, x, Arg.DST), "takes role, tensor pairs; got 3"),
                new Mistake("Args.of with a tensor first", () -> Args.of(x, Arg.SRC), "value 0 of Args.of must be an Arg"),
                new Mistake("Args.of with an array for a tensor", () -> Args.of(Arg.SRC, new float[1]),
                        "value 1 of Args.of must be a Tensor"),
                new Mistake("builder with no role", () -> Args.builder().set(null, x), "role must not be null"),
                new Mistake("sum tensor missing", () -> good.with(Arg.SUM, null).validateFor(RESIDUAL),
                        "sum tensor is missing; expected shape [1, 4, 5, 5] [N, K, OH, OW]"),
                new Mistake("sum of the wrong shape", () -> good.with(Arg.SUM, Tensor.zeros(1, 4, 5, 4)).validateFor(RESIDUAL),
                        "sum shape [1, 4, 5, 4] does not match the spec: expected [1, 4, 5, 5]"),
                new Mistake("sum without a sum post-op", () -> good.validateFor(RESIDUAL.withPostOps(PostOps.none())),
                        "a sum tensor was given but the spec has no sum post-op"),
                new Mistake("rois for a convolution", () -> good.with(Arg.ROIS, Tensor.zeros(1, 5)).validateFor(RESIDUAL),
                        "a rois tensor was given but op=conv2d takes none"),
                new Mistake("output is the sum tensor", () -> good.with(Arg.DST, good.get(Arg.SUM)).validateFor(RESIDUAL),
                        "output must not share its memory with the sum tensor"),
                new Mistake("output is the input", () -> good.with(Arg.SUM, Tensor.zeros(1, 4, 5, 5)).with(Arg.DST, x)
                        .validateFor(RESIDUAL), "output must not share its memory with the input tensor"),
                new Mistake("every missing role named in one line", () -> good.with(Arg.WEIGHTS, null).with(Arg.SUM, null)
                        .validateFor(RESIDUAL, Set.of()), "2 tensors are missing: weight (expected shape [4, 4, 3, 3]"
                        + " [K, C/groups, kh, kw]), sum (expected shape [1, 4, 5, 5] [N, K, OH, OW])"),
                new Mistake("a bound role passed as missing", () -> good.with(Arg.WEIGHTS, null).validateFor(RESIDUAL,
                        Set.of(Arg.BIAS)), "weight tensor is missing"),
                new Mistake("a closed device tensor", () -> {
                    DeviceTensor d = engine.upload(x);
                    d.close();
                    good.with(Arg.SRC, d).validateFor(RESIDUAL);
                }, "input is a closed device tensor"),
                new Mistake("the output device tensor is also the input", () -> {
                    try (DeviceTensor d = engine.allocate(1, 4, 5, 5)) {
                        good.with(Arg.SRC, d).with(Arg.DST, d).validateFor(RESIDUAL);
                    }
                }, "output must not share its memory with the input tensor"),
                new Mistake("a device tensor of another engine", () -> {
                    try (Plan plan = engine.plan(RESIDUAL); DeviceTensor d = other.upload(x)) {
                        plan.execute(good.with(Arg.SRC, d));
                    }
                }, "input is a device tensor of another engine"),
                new Mistake("binding the output", () -> {
                    try (Plan plan = engine.plan(RESIDUAL)) {
                        plan.bind(Arg.DST, good.get(Arg.DST));
                    }
                }, "has no input 'output' to bind"),
                new Mistake("binding an offset to a convolution", () -> {
                    try (Plan plan = engine.plan(RESIDUAL)) {
                        plan.bind(Arg.OFFSET, Tensor.zeros(1, 18, 5, 5));
                    }
                }, "has no input 'offset' to bind"),
                new Mistake("binding weights of the wrong shape", () -> {
                    try (Plan plan = engine.plan(RESIDUAL)) {
                        plan.bind(Arg.WEIGHTS, Tensor.zeros(4, 4, 3, 2));
                    }
                }, "weight shape [4, 4, 3, 2] does not match the spec: expected [4, 4, 3, 3]"),
                new Mistake("uploading into a tensor of another shape", () -> {
                    try (DeviceTensor d = engine.allocate(1, 4, 5, 4)) {
                        d.upload(x);
                    }
                }, "the shapes differ"),
                new Mistake("allocating a shape with a zero", () -> engine.allocate(1, 0, 5), "tensor dimension 1 is 0"),
                new Mistake("allocating 2^31 elements", () -> engine.allocate(65536, 32768), "more than the 2^31-1"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mistakes")
    void eachMistakeIsNamed(Mistake m) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, m.call(), m.name());
        assertTrue(e.getMessage().contains(m.expected()), m.name() + ": message should contain \"" + m.expected()
                + "\" but was: " + e.getMessage());
    }

    @Test
    void boundRolesNeedNotBePassed() {
        Args good = Tensors.args(RESIDUAL, 3, true, 1);
        good.with(Arg.WEIGHTS, null).with(Arg.BIAS, null).validateFor(RESIDUAL, Set.of(Arg.WEIGHTS, Arg.BIAS));
    }
}
