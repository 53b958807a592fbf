package dev.convcl.onnx;

/**
 * Why one node cannot be imported (unsupported, or breaking a rule), without the node's label:
 * collected by the importer, which reports every such node in one {@link OnnxModelException}.
 */
final class Problem extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Problem(String message) {
        super(message, null, false, false);
    }

    /** A name or value from the model for a message: quoted, control characters replaced, at most 120 characters. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder("'");
        int n = Math.min(s.length(), 120);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            sb.append(Character.isISOControl(c) ? '?' : c);
        }
        if (s.length() > n) {
            sb.append("...");
        }
        return sb.append('\'').toString();
    }
}
