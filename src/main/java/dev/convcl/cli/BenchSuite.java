package dev.convcl.cli;

import dev.convcl.Convolution;
import dev.convcl.Operation;
import dev.convcl.RoiAlign;
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
 * A line is a convolution ({@code op=conv2d}, {@code op=deform2d}) or an RoI operator
 * ({@code op=roi_align}, {@code op=ps_roi_align}, {@code op=deform_roi_pool}). The bundled suite
 * ({@value #BUNDLED}) holds published layer shapes of well-known networks; the bundled RoI suite
 * ({@value #BUNDLED_ROI}) detection-head RoI problems.
 *
 * <p>Public for {@link #withoutQuick} alone (the tests and the programs in {@code bench/} read
 * shapes-file lines with it); the package is not exported, and everything else is package-private.
 */
public final class BenchSuite {
    /** The suite that ships in the jar. */
    static final String BUNDLED = "/bench/shapes.txt";
    /** The RoI suite that ships in the jar ({@code bench --roi}). */
    static final String BUNDLED_ROI = "/bench/roi.txt";

    /** A {@code quick=} field (the key in any case, any value) and the whitespace before it. */
    private static final Pattern QUICK_FIELD = Pattern.compile("(?i)(^|\\s)quick=\\S*");

    private BenchSuite() {
    }

    /**
     * A shapes-file line without its {@code quick=} field, which is the shapes file's and not the
     * operator's ({@link Operation#parse} refuses it): the key in any case ({@code quick},
     * {@code QUICK}), whatever its value ({@code 1}, {@code true}, ...), wherever it stands;
     * trimmed. Its value is not checked here ({@link #load} does that).
     *
     * @param line a line of a shapes file, or its fields after the name
     * @return the line without the field, e.g. {@code op=conv2d n=1 ...} for
     *         {@code op=conv2d n=1 ... quick=1}
     */
    public static String withoutQuick(String line) {
        return QUICK_FIELD.matcher(line).replaceAll(" ").trim();
    }

    /**
     * One problem of a suite.
     *
     * @param name  the first field, e.g. {@code resnet50.res2.3x3}
     * @param op    the problem as written: a {@link Convolution} (the benchmark adds the bias
     *              itself) or a {@link RoiAlign}
     * @param quick whether the line carries {@code quick=1}
     * @param source where the line is, as errors name it: {@code shapes file s.txt (--shapes)} or
     *               {@code bundled suite /bench/shapes.txt}; null for a problem made in code
     * @param line   the line's number in {@code source}, from 1; 0 for a problem made in code
     * @param text   the line as written (without its comment), for messages that name a field as
     *               typed ({@link #typed}); null for a problem made in code
     */
    record Problem(String name, Operation op, boolean quick, String source, int line, String text) {
        /** A problem made in code, read from no file. */
        Problem(String name, Operation op, boolean quick) {
            this(name, op, quick, null, 0, null);
        }

        /** This problem with {@code name} and {@code op} instead, from the same line (e.g. at another batch size). */
        Problem with(String name, Operation op) {
            return new Problem(name, op, quick, source, line, text);
        }

        /**
         * The value of the field {@code key} (any case) as the line gives it, e.g. {@code 1e-40}
         * for {@code scale=1e-40}, which the operator holds as {@code 1.0E-40}; null when the line
         * has no such field or the problem was made in code.
         */
        String typed(String key) {
            if (text == null) {
                return null;
            }
            for (String field : text.strip().split("\\s+")) {
                int eq = field.indexOf('=');
                if (eq > 0 && field.substring(0, eq).equalsIgnoreCase(key)) {
                    return field.substring(eq + 1);
                }
            }
            return null;
        }

        /**
         * The start of an error about this problem: its file, line and name,
         * {@code shapes file s.txt (--shapes), line 3: 'r'}, or the name alone for a problem read from no file.
         */
        String named() {
            return (source == null ? "" : source + ", line " + line + ": ") + "'" + name + "'";
        }

        /** The RoI operator of an RoI line, or null for a convolution. */
        RoiAlign roi() {
            return op instanceof RoiAlign r ? r : null;
        }

        /**
         * The convolution of a convolution line.
         *
         * @throws IllegalStateException for an RoI line (callers take those out first, {@link #roi()})
         */
        Convolution spec() {
            if (op instanceof Convolution c) {
                return c;
            }
            throw new IllegalStateException(name + " is " + op.name() + ", not a convolution");
        }
    }

    /**
     * The problems of {@code file}, or of the bundled suite when {@code file} is null.
     *
     * @throws IllegalArgumentException naming the file's role, the line and the problem when the
     *                                  file cannot be read or a line is malformed
     */
    static List<Problem> load(FileArg file) throws IOException {
        return file == null ? bundled(BUNDLED) : load(file, null);
    }

    /**
     * The problems of {@code file}, or of the bundled suite {@code resource} when {@code file} is null.
     *
     * @throws IllegalArgumentException as {@link #load(FileArg)}
     */
    static List<Problem> load(FileArg file, String resource) throws IOException {
        if (file == null) {
            return bundled(resource);
        }
        return parse(file.toString(), file.read(f -> Files.readString(f, StandardCharsets.UTF_8)));
    }

    private static List<Problem> bundled(String resource) throws IOException {
        try (InputStream in = BenchSuite.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("the bundled suite " + resource + " is missing from the classpath");
            }
            return parse("bundled suite " + resource, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    /**
     * Parses a suite's text.
     *
     * @throws IllegalArgumentException naming {@code source} and the line when a line is malformed
     *                                  or uses a name an earlier line used (results are keyed by name:
     *                                  two such problems would be merged, e.g. into one {@code --batch}
     *                                  scaling line)
     */
    static List<Problem> parse(String source, String text) {
        List<Problem> problems = new ArrayList<>();
        java.util.Map<String, Integer> firstLine = new java.util.HashMap<>();
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
            Integer earlier = firstLine.putIfAbsent(name, i + 1);
            if (earlier != null) {
                throw new IllegalArgumentException(source + ", line " + (i + 1) + ": name '" + name
                        + "' is already used on line " + earlier);
            }
            try {
                problems.add(problem(name, line, source, i + 1));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(source + ", line " + (i + 1) + ": " + e.getMessage());
            }
        }
        if (problems.isEmpty()) {
            throw new IllegalArgumentException(source + ": no problems (one a line: a name, then op=... n=... fields)");
        }
        return problems;
    }

    /**
     * A line's problem, its {@code quick} field taken out first: that field is the shapes file's,
     * not the operator's, so {@link Operation#parse} never sees it.
     */
    private static Problem problem(String name, String line, String source, int number) {
        StringBuilder rest = new StringBuilder();
        Boolean quick = null;
        for (String field : line.split("\\s+")) {
            if (!field.toLowerCase(java.util.Locale.ROOT).startsWith("quick=")) {
                rest.append(field).append(' ');
                continue;
            }
            if (quick != null) {
                throw new IllegalArgumentException("field 'quick' given twice");
            }
            String v = field.substring("quick=".length());
            quick = switch (v) {
                case "1", "true" -> true;
                case "0", "false" -> false;
                default -> throw new IllegalArgumentException("quick='" + v + "' must be 0 or 1 (or false or true)");
            };
        }
        return new Problem(name, problem(rest.toString()), quick != null && quick, source, number, line);
    }

    /**
     * {@code --filter}'s regular expression, or null when none is given. An empty one is refused:
     * it matches every name, so {@code --filter ''} (or {@code --filter "$UNSET"}) would time or
     * tune the whole suite, minutes of work nobody asked for by name; leaving {@code --filter} out
     * says "all".
     *
     * @throws IllegalArgumentException naming {@code --filter} when {@code regex} is empty, is not a
     *                                  regular expression, or has an alternative that matches an empty name
     *                                  ({@link #matchesEveryNameThroughAnAlternative})
     */
    static Pattern filter(String regex) {
        if (regex != null && regex.isEmpty()) {
            throw new IllegalArgumentException("--filter '' is empty, which every problem's name matches; leave "
                    + "--filter out to take every problem");
        }
        Pattern pattern;
        try {
            pattern = regex == null ? null : Pattern.compile(regex);
        } catch (java.util.regex.PatternSyntaxException e) {
            throw new IllegalArgumentException("--filter '" + regex + "' is not a regular expression: "
                    + e.getDescription());
        }
        if (pattern != null && matchesEveryNameThroughAnAlternative(regex, pattern)) {
            throw new IllegalArgumentException("--filter '" + regex + "' has an alternative ('|') that matches an empty "
                    + "name, so every problem's name matches it; leave --filter out to take every problem");
        }
        return pattern;
    }

    /**
     * Whether {@code pattern}, whose text {@code regex} has a {@code |}, matches the empty string as a
     * whole: an alternation with an empty or optional branch ({@code res2|}, {@code |res2}, {@code a||b},
     * {@code (a|)}, {@code a*|b}), which {@code find}, as the filter is applied, then matches in every
     * name. A {@code |} left at the end by an edit does that by accident. A branch that needs a
     * character ({@code res(|2)}) or a quoted {@code |} ({@code \Q||\E}) is no such thing, and a
     * pattern without {@code |} ({@code .*}) says "all" on purpose, so both pass.
     */
    static boolean matchesEveryNameThroughAnAlternative(String regex, Pattern pattern) {
        return regex.indexOf('|') >= 0 && pattern.matcher("").matches();
    }

    /**
     * The convolutions of {@code problems} for {@code tune}, which tunes convolution kernels and
     * nothing else: RoI lines are left out, and {@code skipped} says so in one line (a shapes file
     * that {@code bench} takes whole, RoI lines and all, is one that {@code tune} takes too).
     *
     * @param convolutions the convolutions, in the file's order
     * @param skipped      a note naming how many RoI lines were left out, their lines and why; null when none was
     */
    record Convolutions(List<Convolution> convolutions, String skipped) {
    }

    /** How many skipped lines {@link #convolutions}'s note names; it counts the rest. */
    static final int NAMED_LINES = 5;

    /**
     * The convolutions of {@code problems} for {@code command}, its RoI lines left out with a note.
     *
     * @throws IllegalArgumentException naming the file, the line and the name of the first RoI line
     *                                  when every problem is one: there is nothing to run
     */
    static Convolutions convolutions(List<Problem> problems, String command) {
        List<Problem> roi = problems.stream().filter(p -> p.roi() != null).toList();
        if (roi.isEmpty()) {
            return new Convolutions(problems.stream().map(Problem::spec).toList(), null);
        }
        Problem first = roi.get(0);
        if (roi.size() == problems.size()) {
            throw new IllegalArgumentException(first.named() + " is " + first.op().name() + (roi.size() == 1
                    ? ", the only problem chosen" : ", and every problem chosen (" + roi.size() + ") is an RoI line")
                    + "; " + command + " takes convolutions only (op=conv2d or op=deform2d), so there is nothing to "
                    + command);
        }
        List<Convolution> convolutions = problems.stream().filter(p -> p.roi() == null).map(Problem::spec).toList();
        // every problem comes from one file: "of shapes file s.txt (--shapes), lines 3 'r', 5 'q'"
        String of = first.source() == null ? ", " : " of " + first.source() + (roi.size() == 1 ? ", line " : ", lines ");
        List<String> named = roi.stream().limit(NAMED_LINES)
                .map(p -> (p.source() == null ? "" : p.line() + " ") + "'" + p.name() + "'").toList();
        String more = roi.size() > NAMED_LINES ? " and " + (roi.size() - NAMED_LINES) + " more" : "";
        List<String> ops = roi.stream().map(p -> p.op().name()).distinct().toList();
        return new Convolutions(convolutions, command + ": skipping " + Plural.of(roi.size(), "RoI line") + of
                + String.join(", ", named) + more + " (" + String.join(", ", ops) + "): "
                + command + " takes convolutions only (op=conv2d or op=deform2d), and goes on with the "
                + Plural.of(convolutions.size(), "convolution") + " left");
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

    /** The convolution or RoI operator a shapes-file line describes. */
    private static Operation problem(String line) {
        Operation op = Operation.parse(line);
        if (!(op instanceof Convolution || op instanceof RoiAlign)) {
            throw new IllegalArgumentException("op=" + op.name() + " is neither a convolution nor an RoI operator "
                    + "(roi_align, ps_roi_align, deform_roi_pool)");
        }
        return op;
    }
}
