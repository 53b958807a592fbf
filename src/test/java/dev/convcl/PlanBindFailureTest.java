package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.spi.Memory;
import dev.convcl.spi.Primitive;
import dev.convcl.testing.CrossCheck;
import dev.convcl.testing.Tensors;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A {@link Plan#bind} that the implementation refuses leaves the plan bound as it was, whether the
 * refusal is a device failure on the CPU path (nowhere to fall back to) or any other error: the
 * earlier constant stays in use, a role never bound stays required of every call, and no memory is
 * left behind (before, the plan recorded the new values before the implementation took them, so a
 * later call skipped the missing role's check, and it dropped the earlier binding's memory
 * unclosed).
 */
class PlanBindFailureTest {
    private static final Conv2d OP = Conv2d.builder().input(1, 3, 7, 6).output(4).kernel(3, 3)
            .padding(1).bias(true).build();

    /** The CPU path's primitive, refusing every bind while {@code refuse} is set, with {@code refusal}. */
    private static final class Refusing implements Primitive {
        private final Primitive inner;
        private final Function<String, RuntimeException> refusal;
        boolean refuse;

        Refusing(Primitive inner, Function<String, RuntimeException> refusal) {
            this.inner = inner;
            this.refusal = refusal;
        }

        @Override
        public String algorithm() {
            return "refusing(" + inner.algorithm() + ")";
        }

        @Override
        public void bind(Arg role, Memory memory) {
            if (refuse) {
                throw refusal.apply("refused to bind " + role.displayName());
            }
            inner.bind(role, memory);
        }

        @Override
        public boolean readsBound(Arg role) {
            return inner.readsBound(role);
        }

        @Override
        public void execute(Map<Arg, Memory> args) {
            inner.execute(args);
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    static Stream<Arguments> refusals() {
        return Stream.of(
                Arguments.of("an error other than a device failure",
                        (Function<String, RuntimeException>) IllegalStateException::new),
                Arguments.of("a device failure on the CPU path",
                        (Function<String, RuntimeException>) m -> new DeviceException(DeviceException.Kind.OUT_OF_RESOURCES, m)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void aRefusedBindKeepsTheEarlierConstantsRequiresTheUnboundRolesAndFreesItsMemory(
            String what, Function<String, RuntimeException> refusal) throws Exception {
        Args first = Tensors.args(OP, 31, true, 2);
        Args second = Tensors.args(OP, 32, true, 2);
        float[] withFirst = CrossCheck.reference(OP, first);
        try (Engine engine = Engine.create(DeviceChoice.CPU)) {
            long before = engine.cpu().liveBytes();
            Refusing primitive = new Refusing(engine.cpuImplementation(OP).create(OP, null), refusal);
            try (Plan plan = new Plan(engine, OP, engine.cpu(), "refusing", primitive)) {
                plan.bind(Arg.WEIGHTS, first.get(Arg.WEIGHTS));
                long boundOnce = engine.cpu().liveBytes();
                primitive.refuse = true;
                RuntimeException weights = assertThrows(RuntimeException.class,
                        () -> plan.bind(Arg.WEIGHTS, second.get(Arg.WEIGHTS)));
                assertEquals("refused to bind weight", weights.getMessage());
                assertThrows(RuntimeException.class, () -> plan.bind(Arg.BIAS, second.get(Arg.BIAS)));
                assertEquals(boundOnce, engine.cpu().liveBytes(), "memory of the refused binds must be released");

                // bias was never bound: a call without it is refused, naming it, before anything runs
                Args noBias = Tensors.withFreshOutput(first.with(Arg.WEIGHTS, null).with(Arg.BIAS, null), OP);
                IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                        () -> plan.execute(noBias));
                // the plan's own check of its arguments (the implementation's last-line check says only "bias is missing")
                assertTrue(missing.getMessage().startsWith("bias tensor is missing; expected shape [4]"),
                        missing.getMessage());

                // the weights of the first bind are still the ones used
                Args call = Tensors.withFreshOutput(first.with(Arg.WEIGHTS, null), OP);
                plan.execute(call);
                CrossCheck.assertExact(OP, "weights of the bind before the refused one", withFirst, Tensors.out(call));
                assertEquals("cpu", plan.backend());
            }
            assertEquals(before, engine.cpu().liveBytes(), "closing the plan must release every binding");
        }
    }
}
