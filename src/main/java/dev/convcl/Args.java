package dev.convcl;

import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;

/**
 * The tensors of one call, by role (oneDNN's execute-arguments map): the same call shape for
 * every operator. Inputs are read, {@link Arg#DST} is written, every element. Host and device
 * tensors can be mixed; see {@link Plan#execute}.
 *
 * <pre>{@code
 * plan.execute(Args.of(Arg.SRC, x, Arg.WEIGHTS, w, Arg.DST, y));
 * plan.execute(Args.builder().src(x).weights(w).bias(b).dst(y).build());
 * }</pre>
 */
public final class Args {
    private final Map<Arg, Tensor> tensors;

    private Args(Map<Arg, Tensor> tensors) {
        this.tensors = tensors;
    }

    /** Arguments from role-tensor pairs: {@code of(Arg.SRC, x, Arg.DST, y)}. */
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

    /** An empty builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** The tensor for {@code role}, or null when absent. */
    public Tensor get(Arg role) {
        return tensors.get(role);
    }

    /** Whether a tensor is given for {@code role}. */
    public boolean has(Arg role) {
        return tensors.containsKey(role);
    }

    /** The roles given. */
    public Set<Arg> roles() {
        return Collections.unmodifiableSet(tensors.keySet());
    }

    /** The role-tensor pairs, unmodifiable. */
    public Map<Arg, Tensor> asMap() {
        return Collections.unmodifiableMap(tensors);
    }

    /** A copy with {@code role} set to {@code t} (null removes it). */
    public Args with(Arg role, Tensor t) {
        Builder b = builder();
        b.tensors.putAll(tensors);
        return b.set(role, t).build();
    }

    /**
     * Checks the tensors against {@code op}: each argument it takes is present (or in
     * {@code bound}, the roles a plan holds) with the required shape, no other role is given, and
     * the output shares no memory with an input.
     *
     * @throws IllegalArgumentException naming the role, the shapes and the rule
     */
    public void validateFor(Operation op, Set<Arg> bound) {
        Map<Arg, ArgSpec> wanted = new EnumMap<>(Arg.class);
        for (ArgSpec a : op.arguments()) {
            wanted.put(a.arg(), a);
        }
        for (ArgSpec a : op.arguments()) {
            Tensor t = tensors.get(a.arg());
            String name = a.arg().displayName();
            if (t == null) {
                if (bound.contains(a.arg())) {
                    continue;
                }
                throw new IllegalArgumentException(name + " tensor is missing; expected shape "
                        + Arrays.toString(a.shape()) + " " + a.layout());
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
            if (!wanted.containsKey(role)) {
                throw new IllegalArgumentException(unexpected(op, role));
            }
        }
        Tensor out = tensors.get(Arg.DST);
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

    /** The same check with nothing bound. */
    public void validateFor(Operation op) {
        validateFor(op, Set.of());
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

    /** {@code Args{input=HostTensor[...] float[], ...}}. */
    @Override
    public String toString() {
        return "Args" + tensors;
    }

    /** Mutable builder of {@link Args}. */
    public static final class Builder {
        private final Map<Arg, Tensor> tensors = new EnumMap<>(Arg.class);

        private Builder() {
        }

        /** Sets {@code role} to {@code t}; null removes it. */
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

        /** {@link Arg#SRC}. */
        public Builder src(Tensor t) {
            return set(Arg.SRC, t);
        }

        /** {@link Arg#WEIGHTS}. */
        public Builder weights(Tensor t) {
            return set(Arg.WEIGHTS, t);
        }

        /** {@link Arg#BIAS}. */
        public Builder bias(Tensor t) {
            return set(Arg.BIAS, t);
        }

        /** {@link Arg#OFFSET}. */
        public Builder offset(Tensor t) {
            return set(Arg.OFFSET, t);
        }

        /** {@link Arg#MASK}. */
        public Builder mask(Tensor t) {
            return set(Arg.MASK, t);
        }

        /** {@link Arg#SUM}. */
        public Builder sum(Tensor t) {
            return set(Arg.SUM, t);
        }

        /** {@link Arg#ROIS}. */
        public Builder rois(Tensor t) {
            return set(Arg.ROIS, t);
        }

        /** {@link Arg#DST}. */
        public Builder dst(Tensor t) {
            return set(Arg.DST, t);
        }

        /** The arguments. */
        public Args build() {
            Map<Arg, Tensor> copy = new EnumMap<>(Arg.class);
            copy.putAll(tensors);
            return new Args(copy);
        }
    }
}
