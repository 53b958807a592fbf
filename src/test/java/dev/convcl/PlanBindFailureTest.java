package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.spi.Memory;
import dev.convcl.spi.Primitive;
import dev.convcl.testing.CrossCheck;
import dev.convcl.testing.Tensors;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A {@link Plan#bind} that the implementation refuses with an error other than a device failure
 * leaves the plan bound as it was: the earlier constant stays in use, and a role never bound stays
 * required of every call (before, the plan recorded the new values before the implementation took
 * them, so a later call skipped the missing role's check and ran on whatever the implementation held).
 */
class PlanBindFailureTest {
    private static final Conv2d OP = Conv2d.builder().input(1, 3, 7, 6).output(4).kernel(3, 3)
            .padding(1).bias(true).build();

    /** The CPU path's primitive, refusing every bind while {@code refuse} is set. */
    private static final class Refusing implements Primitive {
        private final Primitive inner;
        boolean refuse;

        Refusing(Primitive inner) {
            this.inner = inner;
        }

        @Override
        public String algorithm() {
            return "refusing(" + inner.algorithm() + ")";
        }

        @Override
        public void bind(Arg role, Memory memory) {
            if (refuse) {
                throw new IllegalStateException("refused to bind " + role.displayName());
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

    @Test
    void aRefusedBindKeepsTheEarlierConstantsAndRequiresTheUnboundRoles() throws Exception {
        Args first = Tensors.args(OP, 31, true, 2);
        Args second = Tensors.args(OP, 32, true, 2);
        float[] withFirst = CrossCheck.reference(OP, first);
        try (Engine engine = Engine.create(DeviceChoice.CPU)) {
            Refusing primitive = new Refusing(engine.cpuImplementation(OP).create(OP, null));
            try (Plan plan = new Plan(engine, OP, engine.cpu(), "refusing", primitive)) {
                plan.bind(Arg.WEIGHTS, first.get(Arg.WEIGHTS));
                primitive.refuse = true;
                IllegalStateException weights = assertThrows(IllegalStateException.class,
                        () -> plan.bind(Arg.WEIGHTS, second.get(Arg.WEIGHTS)));
                assertTrue(weights.getMessage().contains("weight"), weights.getMessage());
                assertThrows(IllegalStateException.class, () -> plan.bind(Arg.BIAS, second.get(Arg.BIAS)));

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
                assertEquals("refusing", plan.implementation());
            }
        }
    }
}
