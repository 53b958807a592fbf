package dev.convcl;

/**
 * One step of an operation's epilogue (oneDNN's post-ops): an element-wise {@link Activation} or
 * a {@link Sum} that adds another tensor. Steps apply in order to each output value after the
 * bias; see {@link PostOps}.
 */
public sealed interface PostOp permits Activation, Sum {

    /**
     * The step in the one-line form, read back by {@link PostOps#parse}.
     *
     * @return e.g. {@code relu}, {@code clip:0.0:6.0}, {@code sum:0.5}
     */
    String token();
}
