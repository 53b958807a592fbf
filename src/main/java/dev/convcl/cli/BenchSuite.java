package dev.convcl.cli;

import dev.convcl.Convolution;
import dev.convcl.Operation;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A benchmark suite: one problem a line, a name then {@code key=value} fields in
 * {@link Operation#parse}'s form, {@code #} comments, and {@code quick=1} marking the fast subset.
 * The bundled suite ({@value #BUNDLED}) holds published layer shapes of well-known networks.
 */
final class BenchSuite {
    /** The suite that ships in the jar. */
    static final String BUNDLED = "/bench/shapes.txt";

    private BenchSuite() {
    }

    /**
     * One problem of a suite.
     *
     * @param name  the first field, e.g. {@code resnet50.res2.3x3}
     * @param spec  the problem as written (the benchmark adds the bias itself)
     * @param quick whether the line carries {@code quick=1}
     */
    record Problem(String name, Convolution spec, boolean quick) {
    }

    /**
     * The problems of {@code file}, or of the bundled suite when {@code file} is null.
     *
     * @throws IllegalArgumentException naming the file's role, the line and the problem when the
     *                                  file cannot be read or a line is malformed
     */
    static List<Problem> load(FileArg file) throws IOException {
        if (file == null) {
            try (InputStream in = BenchSuite.class.getResourceAsStream(BUNDLED)) {
                if (in == null) {
                    throw new IOException("the bundled suite " + BUNDLED + " is missing from the classpath");
                }
                return parse("bundled suite " + BUNDLED, new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        return parse(file.toString(), file.read(f -> Files.readString(f, StandardCharsets.UTF_8)));
    }

    /**
     * Parses a suite's text.
     *
     * @throws IllegalArgumentException naming {@code source} and the line when a line is malformed
     */
    static List<Problem> parse(String source, String text) {
        List<Problem> problems = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            line = line.strip();
            if (line.isEmpty()) {
                continue;
            }
            String first = line.split("\\s+", 2)[0];
            String name = first.contains("=") ? "line" + (i + 1) : first;
            try {
                problems.add(new Problem(name, convolution(line), quickFlag(line)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(source + ", line " + (i + 1) + ": " + e.getMessage());
            }
        }
        if (problems.isEmpty()) {
            throw new IllegalArgumentException(source + ": no problems (one a line: a name, then op=... n=... fields)");
        }
        return problems;
    }

    private static boolean quickFlag(String line) {
        for (String field : line.split("\\s+")) {
            if (field.startsWith("quick=")) {
                String v = field.substring("quick=".length());
                return switch (v) {
                    case "1", "true" -> true;
                    case "0", "false" -> false;
                    default -> throw new IllegalArgumentException("quick='" + v + "' must be 0 or 1");
                };
            }
        }
        return false;
    }

    /** The problems kept by {@code --quick} and {@code --filter}; an empty result is an error. */
    static List<Problem> select(List<Problem> all, boolean quick, Pattern filter) {
        List<Problem> kept = new ArrayList<>();
        for (Problem p : all) {
            if ((!quick || p.quick()) && (filter == null || filter.matcher(p.name()).find())) {
                kept.add(p);
            }
        }
        if (kept.isEmpty()) {
            throw new IllegalArgumentException("no problem is left after " + (quick ? "--quick" : "")
                    + (quick && filter != null ? " and " : "") + (filter != null ? "--filter '" + filter + "'" : "")
                    + " (of " + all.size() + ")");
        }
        return kept;
    }

    /** The convolution a shapes-file line describes. */
    private static Convolution convolution(String line) {
        Operation op = Operation.parse(line);
        if (!(op instanceof Convolution c)) {
            throw new IllegalArgumentException("op=" + op.name() + " is not a convolution");
        }
        return c;
    }
}
