package dev.convcl.text;

/**
 * A descriptor field whose value breaks a rule, refused before any work. It carries the field (its
 * key in the one-line form, e.g. {@code sr}), the value as the library prints it (or, for a field
 * of the one-line form, as it was written there: {@code scale=inf}), and the rule,
 * worded without the field's name, so that a caller that knows the value by another name (the
 * command-line tool's {@code --sampling-ratio}, as the user typed it) words the same rule in its
 * own terms with {@link #message(String)} instead of editing the library's text.
 *
 * <p>The library's message is {@code field=value rule}, or {@code field=value (alias) rule} where
 * the field has a longer name in the operator's peer, e.g. {@code sr=-1 (sampling_ratio) must be 0
 * (adaptive) or positive for deform_roi_pool}.
 *
 * <p>Internal (the package is not exported): thrown by {@code dev.convcl}, reworded by
 * {@code dev.convcl.cli}; a library user sees an {@link IllegalArgumentException}.
 */
public final class FieldException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The field's key in the one-line form. */
    private final String field;
    /** The field's name in the operator's peer, or null. */
    private final String alias;
    /** The value as the library prints it, or as the one-line form gave it. */
    private final String value;
    /** The rule it breaks, without the field's name. */
    private final String rule;

    /**
     * @param field the field's key in the one-line form, e.g. {@code sr}
     * @param alias the field's name in the operator's peer, e.g. {@code sampling_ratio}, or null
     * @param value the value, printed with {@link String#valueOf(Object)}
     * @param rule  the rule it breaks, e.g. {@code must be at least 1}, without the field's name
     */
    public FieldException(String field, String alias, Object value, String rule) {
        super(field + "=" + value + (alias == null ? "" : " (" + alias + ")") + " " + rule);
        this.field = field;
        this.alias = alias;
        this.value = String.valueOf(value);
        this.rule = rule;
    }

    /** @return the field's key in the one-line form, e.g. {@code sr} */
    public String field() {
        return field;
    }

    /** @return the value as the library prints it, e.g. {@code -1} or {@code 0.0}, or as the one-line form gave it */
    public String value() {
        return value;
    }

    /**
     * The same refusal with the value as the one-line form wrote it ({@code sr=046341}, not
     * {@code 46341}).
     *
     * @param typed the value as written
     * @return a new exception with {@code typed} as its value; the field, alias and rule kept
     */
    public FieldException withValue(String typed) {
        FieldException e = new FieldException(field, alias, typed, rule);
        e.initCause(this);
        return e;
    }

    /** @return the rule, without the field's name, e.g. {@code must be at least 1} */
    public String rule() {
        return rule;
    }

    /**
     * The message with the field named as the caller knows it.
     *
     * @param named the field and its value as the caller's user gave them, e.g. {@code --sampling-ratio -1}
     * @return e.g. {@code --sampling-ratio -1 must be 0 (adaptive) or positive for deform_roi_pool}
     */
    public String message(String named) {
        return named + " " + rule;
    }
}
