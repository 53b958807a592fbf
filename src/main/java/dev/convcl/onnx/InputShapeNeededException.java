package dev.convcl.onnx;

import java.util.ArrayList;
import java.util.List;

/**
 * A runtime input whose shape the model does not fix (it declares none, or symbolic dimensions that
 * no shape given fills) and that was given no shape. It carries what is missing (the input, its
 * declared dimensions, which of them are symbolic) and the model's runtime inputs, so that each
 * caller words the way to give the shape in its own terms with {@link #withAdvice(String)}: the
 * library names {@code Graph.fromOnnx(model, shape)}, the command-line tool its {@code
 * --input-shape} option. The importer itself gives no advice: its message is
 * {@link #problem()}, e.g. {@code m.onnx: graph input 'x' has a symbolic dimension 0 ('batch')}.
 */
public final class InputShapeNeededException extends OnnxModelException {
    private static final long serialVersionUID = 1L;

    /** The model, as messages name it. */
    private final String source;
    /** The input's name. */
    private final String input;
    /** Its declared dimensions as written, or null when it declares no shape. */
    private final List<String> declared;
    /** The indices of its symbolic dimensions that no given shape fills. */
    private final List<Integer> symbolic;
    /** The model's runtime inputs, in declared order. */
    private final List<String> inputs;

    /**
     * @param source   the model, as messages name it (its file name)
     * @param input    the input's name
     * @param declared its declared dimensions as written (a size, a dim_param, or {@code ?}), or null
     *                 when it declares no shape
     * @param symbolic the indices of the declared dimensions that are symbolic and not filled by a
     *                 given shape; empty when it declares no shape
     * @param inputs   the model's runtime inputs, in declared order
     */
    InputShapeNeededException(String source, String input, List<String> declared, List<Integer> symbolic,
                              List<String> inputs) {
        this(source, input, declared, symbolic, inputs, null);
    }

    private InputShapeNeededException(String source, String input, List<String> declared, List<Integer> symbolic,
                                      List<String> inputs, String advice) {
        super(problem(source, input, declared, symbolic) + (advice == null ? "" : "; " + advice));
        this.source = source;
        this.input = input;
        this.declared = declared == null ? null : List.copyOf(declared);
        this.symbolic = List.copyOf(symbolic);
        this.inputs = List.copyOf(inputs);
    }

    /**
     * The same refusal, its message ending with {@code advice}.
     *
     * @param advice how the caller's user gives the shape, e.g. {@code give its shape with --input-shape N,C,H,W}
     * @return a new exception: {@link #problem()}, then {@code "; "} and the advice
     */
    public InputShapeNeededException withAdvice(String advice) {
        InputShapeNeededException e = new InputShapeNeededException(source, input, declared, symbolic, inputs, advice);
        e.initCause(this);
        return e;
    }

    /** @return what is missing, one line without advice, e.g. {@code m.onnx: graph input 'x' has no shape} */
    public String problem() {
        return problem(source, input, declared, symbolic);
    }

    /** @return the input's name */
    public String input() {
        return input;
    }

    /** @return its declared dimensions as written (e.g. {@code [batch, 3, 224, 224]}), or null when it declares no shape */
    public List<String> declared() {
        return declared;
    }

    /** @return the indices of its symbolic dimensions that no given shape fills; empty when it declares no shape */
    public List<Integer> symbolic() {
        return symbolic;
    }

    /** @return the model's runtime inputs, in declared order */
    public List<String> inputs() {
        return inputs;
    }

    private static String problem(String source, String input, List<String> declared, List<Integer> symbolic) {
        String what = source + ": graph input " + Problem.quote(input);
        if (declared == null) {
            return what + " has no shape";
        }
        List<String> dims = new ArrayList<>();
        for (int i : symbolic) {
            String d = declared.get(i);
            dims.add(i + (d.equals("?") ? "" : " (" + Problem.quote(d) + ")"));
        }
        return what + " has " + (dims.size() == 1 ? "a symbolic dimension " + dims.get(0) : "symbolic dimensions "
                + String.join(", ", dims.subList(0, dims.size() - 1)) + " and " + dims.get(dims.size() - 1));
    }
}
