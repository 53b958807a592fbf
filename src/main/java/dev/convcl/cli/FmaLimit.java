package dev.convcl.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The machine's fp32 FMA limit: what a plain C loop of independent FMA chains on every core
 * reaches ({@code bench/fma_limit.c}, bundled in the jar). {@code bench --fma-limit} takes the
 * figure in GFLOP/s, or {@value #MEASURE}: build the loop with the C compiler
 * ({@code cc -O2 -march=native -pthread}) and take the best of {@value #RUNS} runs.
 *
 * @param gflops the limit, GFLOP/s
 * @param source where it came from, e.g. {@code given with --fma-limit}
 */
record FmaLimit(double gflops, String source) {
    static final String MEASURE = "measure";
    static final String SOURCE_RESOURCE = "/bench/fma_limit.c";
    static final int RUNS = 3;
    /**
     * The smallest limit taken: 1 MFLOP/s, far below any machine's FMA loop; a smaller figure is a
     * typo, and shares of it would run to hundreds of digits.
     */
    static final double MIN_GFLOPS = 0.001;
    /** What a given limit must be, for the messages and the help. */
    static final String RULE = "a finite number of GFLOP/s, at least 0.001 (1 MFLOP/s)";

    /**
     * A limit for a message: one decimal from 1 GFLOP/s up to 10^7, else three significant digits
     * ({@code 0.00125}, {@code 1.00e+308}: a figure no device reaches is not printed in full).
     */
    static String text(double gflops) {
        if (gflops >= 1e7 && Double.isFinite(gflops)) {
            return String.format(java.util.Locale.ROOT, "%.3g", gflops);
        }
        return gflops >= 1 || !(gflops > 0) ? String.format(java.util.Locale.ROOT, "%.1f", gflops)
                : new java.math.BigDecimal(gflops).round(new java.math.MathContext(3)).stripTrailingZeros()
                .toPlainString();
    }
    private static final Pattern RATE = Pattern.compile("^\\s*([0-9]+(?:\\.[0-9]+)?) GFLOP/s");

    /**
     * What {@code bench --fma-limit VALUE} asks for: a figure ({@link #figure}'s check), or null for
     * {@value #MEASURE}.
     *
     * @throws IllegalArgumentException naming the value as typed and the rule
     */
    static Double parse(String value) {
        return parse(value, true);
    }

    /**
     * What {@code peak --fma-limit VALUE} gives: a figure, checked as {@code bench} checks one, so
     * that a bad value gets the same line from both (only {@code bench} adds {@value #MEASURE}).
     *
     * @throws IllegalArgumentException naming the value as typed and the rule
     */
    static double figure(String value) {
        return parse(value, false);
    }

    /** The one check of both commands: a figure of at least {@link #MIN_GFLOPS}, or {@value #MEASURE} where taken. */
    private static Double parse(String value, boolean measure) {
        String v = value.strip();
        if (measure && v.equalsIgnoreCase(MEASURE)) {
            return null;
        }
        String rule = RULE + (measure ? " or '" + MEASURE + "'" : "");
        double g;
        try {
            g = RealArg.parse(v, false);
        } catch (RealArg.OutOfRange e) {
            throw new IllegalArgumentException("--fma-limit " + e.getMessage() + "; it must be " + rule);
        } catch (IllegalArgumentException e) {
            g = Double.NaN;
        }
        if (!(g >= MIN_GFLOPS && Double.isFinite(g))) {   // as typed, as the other options' rules: 0, not 0.0
            throw new IllegalArgumentException("--fma-limit " + Typed.shown(v) + " must be " + rule);
        }
        return g;
    }

    /** The C compiler {@value #MEASURE} uses: {@code cc}, else {@code gcc}, on the PATH; null when there is none. */
    static String compiler() {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String name : List.of("cc", "gcc")) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                    return Path.of(dir, name).toString();
                }
            }
        }
        return null;
    }

    /**
     * Builds {@code fma_limit.c} with {@code compiler} and runs it {@value #RUNS} times on every
     * core; the best run is the limit (a busy machine only slows a run down).
     *
     * @throws IOException when it does not build or its output has no rate
     */
    static FmaLimit measure(String compiler) throws IOException {
        Path dir = Files.createTempDirectory("convcl-fma-limit");
        try {
            Path source = dir.resolve("fma_limit.c");
            try (InputStream in = FmaLimit.class.getResourceAsStream(SOURCE_RESOURCE)) {
                if (in == null) {
                    throw new IOException(SOURCE_RESOURCE + " is missing from the classpath");
                }
                Files.copy(in, source);
            }
            Path exe = dir.resolve("fma_limit");
            Result built = run(List.of(compiler, "-O2", "-march=native", "-pthread", source.toString(), "-o", exe.toString()));
            if (built.code() != 0) {
                throw new IOException(compiler + " could not build bench/fma_limit.c (exit " + built.code() + "): "
                        + firstLine(built.output()));
            }
            double best = 0;
            String line = "";
            for (int i = 0; i < RUNS; i++) {
                Result r = run(List.of(exe.toString()));
                Matcher m = RATE.matcher(r.output());
                if (r.code() != 0 || !m.find()) {
                    throw new IOException("bench/fma_limit.c printed no rate (exit " + r.code() + "): " + firstLine(r.output()));
                }
                double g = Double.parseDouble(m.group(1));
                if (g > best) {
                    best = g;
                    line = firstLine(r.output());
                }
            }
            return new FmaLimit(best, String.format(Locale.ROOT, "bench/fma_limit.c built with %s -O2 -march=native, "
                    + "best of %d runs: %s", Path.of(compiler).getFileName(), RUNS, line));
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private record Result(int code, String output) {
    }

    private static Result run(List<String> command) throws IOException {
        Process p = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(command.get(0) + " did not finish within 60 s");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + command.get(0));
        }
        return new Result(p.exitValue(), out);
    }

    private static String firstLine(String s) {
        String t = s.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl);
    }

    /** {@code rate / gflops}; NaN when the rate is not a number. */
    double share(double rate) {
        return rate / gflops;
    }
}
