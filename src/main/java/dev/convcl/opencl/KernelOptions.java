package dev.convcl.opencl;

import dev.convcl.Activation;
import dev.convcl.Convolution;
import dev.convcl.DataType;
import dev.convcl.PostOp;
import dev.convcl.PostOps;
import dev.convcl.Sum;
import java.util.Optional;

/**
 * The build options of a kernel, written in one place: the OpenCL C standard, the element type
 * ({@code -DREAL}, {@code -DREAL_BYTES} from {@link DataType}), the epilogue ({@code -DHAS_BIAS}
 * and the post-op chain as {@code -DPOST_N}, {@code -DPOSTi_KIND}, {@code -DPOSTi_A},
 * {@code -DPOSTi_B}), then each kernel's own {@code -D} constants. The prelude
 * ({@code opencl-kernels/prelude.h}, which {@link ProgramCache} puts in front of every kernel)
 * reads the type and epilogue options; its header documents them.
 */
final class KernelOptions {
    /** Post-op steps the kernels' epilogue holds ({@code POST_MAX} in prelude.h). */
    static final int MAX_POST_OPS = 8;

    private final StringBuilder text = new StringBuilder("-cl-std=CL1.2");

    private KernelOptions() {
    }

    /** Options for a kernel on elements of {@code type}, with no epilogue yet. */
    static KernelOptions of(DataType type) {
        KernelOptions o = new KernelOptions();
        o.text.append(" -DREAL=").append(type.openclType()).append(" -DREAL_BYTES=").append(type.bytes());
        return o;
    }

    /** Options for a kernel computing {@code op}: its element type and its epilogue (bias and post-ops). */
    static KernelOptions forOutput(Convolution op) {
        return of(op.dataType()).epilogue(op.bias(), op.postOps());
    }

    /** Adds {@code -Dname=value}. */
    KernelOptions define(String name, long value) {
        text.append(" -D").append(name).append('=').append(value);
        return this;
    }

    /**
     * Adds the epilogue: {@code -DHAS_BIAS}, and for each step i of {@code postOps}
     * {@code -DPOSTi_KIND} (POST_ and the activation kind's name, or POST_SUM), {@code -DPOSTi_A}
     * and {@code -DPOSTi_B} (float literals that read back as the same float, or INFINITY for a
     * clip's open end: alpha and beta, or the sum's scale and 0).
     *
     * @throws IllegalArgumentException when the chain is longer than {@link #MAX_POST_OPS}
     *                                  ({@link #unsupported} says so first)
     */
    KernelOptions epilogue(boolean bias, PostOps postOps) {
        unsupported(postOps).ifPresent(why -> {
            throw new IllegalArgumentException(why);
        });
        text.append(" -DHAS_BIAS=").append(bias ? 1 : 0).append(" -DPOST_N=").append(postOps.ops().size());
        int i = 0;
        for (PostOp p : postOps.ops()) {
            String kind;
            float a;
            float b;
            if (p instanceof Activation act) {
                kind = "POST_" + act.kind().name();
                a = act.alpha();
                b = act.beta();
            } else {
                kind = "POST_SUM";
                a = ((Sum) p).scale();
                b = 0f;
            }
            text.append(" -DPOST").append(i).append("_KIND=").append(kind)
                    .append(" -DPOST").append(i).append("_A=").append(literal(a))
                    .append(" -DPOST").append(i).append("_B=").append(literal(b));
            i++;
        }
        return this;
    }

    /**
     * Adds one activation outside the epilogue's chain: {@code -D<prefix>_KIND} (a POST_* code, 0
     * for none), {@code -D<prefix>_A} and {@code -D<prefix>_B}, for kernels that apply the
     * prelude's {@code ACTIVATION} at more than one place ({@code squeeze_excitation.cl}).
     *
     * @param prefix     the defines' prefix, e.g. {@code ACT}
     * @param activation an empty chain or one activation
     * @throws IllegalArgumentException for a longer chain or a sum step
     */
    KernelOptions activation(String prefix, PostOps activation) {
        if (activation.ops().size() > 1 || activation.hasSum()) {
            throw new IllegalArgumentException(prefix + " takes at most one activation, not " + activation);
        }
        Activation a = activation.isEmpty() ? null : (Activation) activation.ops().get(0);
        text.append(" -D").append(prefix).append("_KIND=").append(a == null ? "0" : "POST_" + a.kind().name())
                .append(" -D").append(prefix).append("_A=").append(literal(a == null ? 0f : a.alpha()))
                .append(" -D").append(prefix).append("_B=").append(literal(a == null ? 0f : a.beta()));
        return this;
    }

    /** Empty when the kernels' epilogue can compute {@code postOps}, else why not. */
    static Optional<String> unsupported(PostOps postOps) {
        int n = postOps.ops().size();
        return n > MAX_POST_OPS ? Optional.of("a post-op chain of " + n + " steps is longer than the "
                + MAX_POST_OPS + " the kernels' epilogue holds") : Optional.empty();
    }

    /**
     * An OpenCL C float expression of exactly {@code v}: Java's shortest round-trip form and
     * {@code f}, or OpenCL C's {@code INFINITY} macro for an infinite value (a clip's open end;
     * Java would write {@code Infinity}, which is no OpenCL C).
     */
    static String literal(float v) {
        if (Float.isNaN(v)) {
            throw new IllegalArgumentException("post-op parameter " + v + " must be a number");
        }
        if (Float.isInfinite(v)) {
            return v > 0 ? "INFINITY" : "(-INFINITY)";
        }
        return Float.toString(v) + "f";
    }

    @Override
    public String toString() {
        return text.toString();
    }
}
