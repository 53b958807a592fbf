package dev.convcl.text;

import java.util.List;

/**
 * A rule between several descriptor fields that their values break, refused before any work
 * ({@code groups=3 must divide input channels c=64}). It carries the fields the message names, by
 * their keys in the one-line form ({@code groups}, {@code c}), in the order the message names them,
 * so that a caller that knows the values by other names (the command-line tool's options and the
 * dimensions of its files) says where each comes from without reading the library's text. A rule
 * on one field alone is a {@link FieldException}.
 *
 * <p>Internal (the package is not exported): thrown by {@code dev.convcl}, read by
 * {@code dev.convcl.cli}; a library user sees an {@link IllegalArgumentException}.
 */
public final class FieldsException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The fields the message names, in its order. */
    private final List<String> fields;

    /**
     * @param message the library's message, naming each field as {@code key=value}
     * @param fields  the keys of the fields it names, in the order it names them, e.g. {@code groups, c}
     */
    public FieldsException(String message, String... fields) {
        super(message);
        this.fields = List.of(fields);
    }

    /** @return the keys of the fields the message names, in its order, e.g. {@code [groups, c]}; unmodifiable */
    public List<String> fields() {
        return fields;
    }
}
