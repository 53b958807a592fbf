package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.convcl.testing.Engines;
import dev.convcl.testing.Problems;
import dev.convcl.testing.Target;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A null where the public API wants a value is an IllegalArgumentException that says which
 * argument, as every other bad argument is, never a NullPointerException from deep inside
 * (found by a first-use trial of the API: these entry points were the ones left).
 */
class NullArgumentsTest {
    @RegisterExtension
    static final Engines ENGINES = new Engines();

    private static final Path MODEL = Path.of("src/test/resources/onnx/resnet_tiny.onnx");

    private static void refused(String expected, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call, expected);
        assertEquals(expected, e.getMessage());
    }

    @Test
    void entryPointsNameTheNullArgument() {
        refused("the device choice must not be null (DeviceChoice.AUTO picks the best)", () -> Engine.create(null));
        refused("the model path must not be null", () -> Graph.fromOnnx((Path) null));
        refused("the model path must not be null", () -> Graph.fromOnnx(null, 1, 3, 32, 32));
        refused("the model path must not be null", () -> Graph.fromOnnx(null, Map.of()));
        refused("the input shape must not be null", () -> Graph.fromOnnx(MODEL, (int[]) null));
        refused("the input shapes must not be null", () -> Graph.fromOnnx(MODEL, (Map<String, int[]>) null));
        refused("activation, scaleActivation, dataType and direction must not be null (PostOps.none() for no "
                + "activation)", () -> new SqueezeExcitation(1, 2, 3, 3, 1, null, PostOps.none()));
        refused("activation, scaleActivation, dataType and direction must not be null (PostOps.none() for no "
                + "activation)", () -> new SqueezeExcitation(1, 2, 3, 3, 1, PostOps.none(), null));
        refused("post-op 1 of 2 is null", () -> PostOps.of(Activation.relu(), null));
        refused("post-op 0 of 1 is null", () -> new PostOps(java.util.Arrays.asList((PostOp) null)));
        refused("post-ops must not be null", () -> PostOps.of((PostOp[]) null));
        // a second trial's finds: copyFrom threw a NullPointerException
        refused("the source array must not be null", () -> Tensor.zeros(2, 2).copyFrom(null));
        refused("the source array must not be null", () -> Tensor.directZeros(2, 2).copyFrom(null));
    }

    /** implementations(null) answered an empty list (every implementation "not a ..."), as if no kernel fit. */
    @ParameterizedTest(name = "[{0}]")
    @EnumSource(Target.class)
    void engineQueriesNameTheNullOperation(Target target) {
        Engine engine = ENGINES.get(target);
        Operation op = Problems.parse("op=conv2d n=1 c=4 h=6 w=6 k=4 kh=3 kw=3 pad=1");
        String first = engine.implementations(op).get(0);
        refused("operation must not be null", () -> engine.implementations(null));
        refused("operation must not be null", () -> engine.configs(null, first));
        refused("operation must not be null", () -> engine.plan(null, first, null));
    }

    @Test
    void runAndBindNameTheNullArgument() {
        try (Engine engine = Engine.create(DeviceChoice.CPU);
             CompiledGraph net = engine.compile(Graph.fromOnnx(MODEL));
             Plan plan = engine.plan(Problems.parse("op=conv2d n=1 c=4 h=6 w=6 k=4 kh=3 kw=3 pad=1 bias=1"))) {
            refused("the input must not be null", () -> net.run((HostTensor) null));
            refused("weight tensor to bind must not be null", () -> plan.bind(Arg.WEIGHTS, null));
            refused("the role to bind must not be null", () -> plan.bind(null, Tensor.zeros(4, 4, 3, 3)));
        }
    }
}
