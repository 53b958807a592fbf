package dev.convcl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The tensors of one call, by role (oneDNN's execute-arguments map): the same call shape for
 * every operator. Inputs are read, {@link Arg#DST} is written, every element. Host and device
 * tensors can be mixed; see {@link Plan#execute}. Which roles an operation takes, and the shape of
 * each, is {@link Operation#arguments()}; {@link #validateFor(Operation)} checks a set against it
 * (plans and {@link Engine#execute} do so before any work).
 *
 * <pre>{@code
 * Conv2d conv = Conv2d.builder().input(1, 64, 56, 56).output(64).kernel(3, 3).padding(1).build();
 * HostTensor x = Tensor.of(image, conv.inputShape());
 * HostTensor w = Tensor.of(weights, conv.weightShape());
 * HostTensor y = Tensor.zeros(conv.outputShape());
 * plan.execute(Args.of(Arg.SRC, x, Arg.WEIGHTS, w, Arg.DST, y));
 * plan.execute(Args.builder().src(x).weights(w).dst(y).build());   // the same call
 * }</pre>
 *
 * <p>Immutable: the roles cannot change once built (the tensors' contents can).
 */
public final class Args {
    private final Map<Arg, Tensor> tensors;

    private Args(Map<Arg, Tensor> tensors) {
        this.tensors = tensors;
    }

    /**
     * Arguments from role-tensor pairs: {@code of(Arg.SRC, x, Arg.DST, y)}. A null tensor leaves
     * its role out; a role given twice keeps the later tensor.
     *
     * @param rolesAndTensors an {@link Arg}, then a {@link Tensor} (or null), repeated
     * @return the arguments
     * @throws IllegalArgumentException when the count is odd or a value is not of the expected type,
     *                                  naming its position
     */
    public static Args of(Object... rolesAndTensors) {
        if (rolesAndTensors.length % 2 != 0) {
            throw new IllegalArgumentException("Args.of takes role, tensor pairs; got " + rolesAndTensors.length + " values");
        }
        Builder b = builder();
        for (int i = 0; i < rolesAndTensors.length; i += 2) {
            if (!(rolesAndTensors[i] instanceof Arg role)) {
                throw new IllegalArgumentException("value " + i + " of Args.of must be an Arg, got " + rolesAndTensors[i]);
            }
            Object t = rolesAndTensors[i + 1];
            if (t != null && !(t instanceof Tensor)) {
                throw new IllegalArgumentException("value " + (i + 1) + " of Args.of must be a Tensor, got " + t);
            }
            b.set(role, (Tensor) t);
        }
        return b.build();
    }

    /**
     * A builder with no roles set.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The tensor given for a role.
     *
     * @param role the role
     * @return the tensor, or null when the role is not given
     */
    public Tensor get(Arg role) {
        return tensors.get(role);
    }

    /**
     * Whether a tensor is given for a role.
     *
     * @param role the role
     * @return true when {@link #get} would return a tensor
     */
    public boolean has(Arg role) {
        return tensors.containsKey(role);
    }

    /**
     * The roles given.
     *
     * @return an unmodifiable set, in {@link Arg}'s order
     */
    public Set<Arg> roles() {
        return Collections.unmodifiableSet(tensors.keySet());
    }

    /**
     * The role-tensor pairs.
     *
     * @return an unmodifiable map, in {@link Arg}'s order
     */
    public Map<Arg, Tensor> asMap() {
        return Collections.unmodifiableMap(tensors);
    }

    /**
     * A copy with one role replaced; this object is unchanged.
     *
     * @param role the role, not null
     * @param t    its tensor, or null to leave the role out
     * @return the new arguments
     * @throws IllegalArgumentException when {@code role} is null
     */
    public Args with(Arg role, Tensor t) {
        Builder b = builder();
        b.tensors.putAll(tensors);
        return b.set(role, t).build();
    }

    /**
     * Checks the tensors against {@code op}: each argument it takes is present (or in
     * {@code bound}, the roles a plan holds) with the required shape, no device tensor is closed,
     * no other role is given, the output is writable (not a read-only buffer) and shares no memory
     * with an input (the same Java array, or the same device tensor). Reads no tensor's contents.
     *
     * @param op    the operation the tensors are for
     * @param bound roles that may be missing because a plan has them {@linkplain Plan#bind bound}
     * @throws IllegalArgumentException naming the role, the shapes and the rule (every missing
     *                                  role at once, in one line), e.g.
     *                                  {@code weight shape [64, 3, 3, 3] does not match the spec:
     *                                  expected [64, 64, 3, 3] [K, C/groups, kh, kw]}
     */
    public void validateFor(Operation op, Set<Arg> bound) {
        validateFor(op, op.arguments(), bound);
    }

    /** {@link #validateFor(Operation, Set)} with {@code op.arguments()} computed once by the caller (a plan, every call). */
    void validateFor(Operation op, List<ArgSpec> arguments, Set<Arg> bound) {
        List<ArgSpec> missing = new ArrayList<>(); // every missing role in one line, not one per attempt
        for (ArgSpec a : arguments) {
            if (tensors.get(a.arg()) == null && !bound.contains(a.arg())) {
                missing.add(a);
            }
        }
        if (missing.size() == 1) {
            ArgSpec a = missing.get(0);
            throw new IllegalArgumentException(a.arg().displayName() + " tensor is missing; expected shape "
                    + Arrays.toString(a.shape()) + " " + a.layout());
        }
        if (!missing.isEmpty()) {
            StringBuilder m = new StringBuilder().append(missing.size()).append(" tensors are missing: ");
            for (int i = 0; i < missing.size(); i++) {
                ArgSpec a = missing.get(i);
                m.append(i == 0 ? "" : ", ").append(a.arg().displayName()).append(" (expected shape ")
                        .append(Arrays.toString(a.shape())).append(' ').append(a.layout()).append(')');
            }
            throw new IllegalArgumentException(m.toString());
        }
        for (ArgSpec a : arguments) {
            Tensor t = tensors.get(a.arg());
            String name = a.arg().displayName();
            if (t == null) {
                continue; // bound
            }
            if (!Arrays.equals(t.shape(), a.shape())) {
                throw new IllegalArgumentException(name + " shape " + Arrays.toString(t.shape())
                        + " does not match the spec: expected " + Arrays.toString(a.shape()) + " " + a.layout());
            }
            if (t instanceof DeviceTensor d && d.isClosed()) {
                throw new IllegalArgumentException(name + " is a closed device tensor");
            }
        }
        for (Arg role : tensors.keySet()) {
            if (!takes(arguments, role)) {
                throw new IllegalArgumentException(unexpected(op, role));
            }
        }
        Tensor out = tensors.get(Arg.DST);
        if (out instanceof HostTensor h && h.isReadOnly()) {
            throw new IllegalArgumentException(Arg.DST.displayName() + " tensor wraps a read-only FloatBuffer; an output"
                    + " must be writable");
        }
        for (Map.Entry<Arg, Tensor> e : tensors.entrySet()) {
            if (e.getKey() == Arg.DST || out == null) {
                continue;
            }
            Tensor in = e.getValue();
            if (out instanceof HostTensor ho && in instanceof HostTensor hi && ho.sharesArrayWith(hi)
                    || out instanceof DeviceTensor && out == in) {
                throw new IllegalArgumentException("output must not share its memory with the " + e.getKey().displayName()
                        + " tensor");
            }
        }
    }

    /**
     * {@link #validateFor(Operation, Set)} with nothing bound: every argument {@code op} takes must
     * be given.
     *
     * @param op the operation the tensors are for
     * @throws IllegalArgumentException naming the role, the shapes and the rule
     */
    public void validateFor(Operation op) {
        validateFor(op, Set.of());
    }

    private static boolean takes(List<ArgSpec> arguments, Arg role) {
        for (ArgSpec a : arguments) {
            if (a.arg() == role) {
                return true;
            }
        }
        return false;
    }

    private static String unexpected(Operation op, Arg role) {
        String name = role.displayName();
        String article = "aeiou".indexOf(name.charAt(0)) >= 0 ? "an " : "a ";
        if (op instanceof Convolution c) {
            if (role == Arg.BIAS) {
                return "a bias tensor was given but the spec says bias=0: " + op;
            }
            if (role == Arg.MASK && c instanceof DeformConv2d) {
                return "a mask tensor was given but the spec says mask=0: " + op;
            }
            if (role == Arg.SUM) {
                return "a sum tensor was given but the spec has no sum post-op: " + op;
            }
        }
        return article + name + " tensor was given but op=" + op.name() + " takes none: " + op;
    }

    /**
     * The roles and their tensors, for messages.
     *
     * @return e.g. {@code Args{SRC=HostTensor[1, 64, 56, 56] float[], DST=...}}
     */
    @Override
    public String toString() {
        return "Args" + tensors;
    }

    /**
     * Mutable builder of {@link Args}, one setter per role; setting a role again replaces its
     * tensor, setting it to null removes it. Not thread-safe.
     */
    public static final class Builder {
        private final Map<Arg, Tensor> tensors = new EnumMap<>(Arg.class);

        private Builder() {
        }

        /**
         * Sets a role.
         *
         * @param role the role, not null
         * @param t    its tensor, or null to remove the role
         * @return this builder
         * @throws IllegalArgumentException when {@code role} is null
         */
        public Builder set(Arg role, Tensor t) {
            if (role == null) {
                throw new IllegalArgumentException("role must not be null");
            }
            if (t == null) {
                tensors.remove(role);
            } else {
                tensors.put(role, t);
            }
            return this;
        }

        /**
         * Sets {@link Arg#SRC}.
         *
         * @param t the tensor, or null to remove the role
         * @return this builder
         */
        public Builder src(Tensor t) {
            return set(Arg.SRC, t);
        }

        /**
         * Sets {@link Arg#WEIGHTS}.
         *
         * @param t the tensor, or null to remove the role
         * @return this builder
         */
        public Builder weights(Tensor t) {
            return set(Arg.WEIGHTS, t);
        }

        /**
         * Sets {@link Arg#BIAS}.
         *
         * @param t the tensor, or null to remove the role
         * @return this builder
         */
        public Builder bias(Tensor t) {
            return set(Arg.BIAS, t);
        }

        /**
         * Sets {@link Arg#OFFSET}.
         *
         * @param t the tensor, or null to remove the role
         * @return this builder
         */
        public Builder offset(Tensor t) {
            return set(Arg.OFFSET, t);
        }

        /**
         * Sets {@link Arg#MASK}.
         *
         * @param t the tensor, or null to remove the role
         * @return this builder
         */
        public Builder mask(Tensor t) {
            return set(Arg.MASK, t);
        }

        /**
         * Sets {@link Arg#SUM}.
         *
         * @param t the tensor, or null to remove the role
         * @return this builder
         */
        public Builder sum(Tensor t) {
            return set(Arg.SUM, t);
        }

        /**
         * Sets {@link Arg#ROIS}.
         *
         * @param t the tensor, or null to remove the role
         * @return this builder
         */
        public Builder rois(Tensor t) {
            return set(Arg.ROIS, t);
        }

        /**
         * Sets {@link Arg#DST}.
         *
         * @param t the tensor, or null to remove the role
         * @return this builder
         */
        public Builder dst(Tensor t) {
            return set(Arg.DST, t);
        }

        /**
         * The arguments set so far; later changes to the builder do not affect them.
         *
         * @return the arguments
         */
        public Args build() {
            Map<Arg, Tensor> copy = new EnumMap<>(Arg.class);
            copy.putAll(tensors);
            return new Args(copy);
        }
    }
}
