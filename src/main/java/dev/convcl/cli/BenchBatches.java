package dev.convcl.cli;

import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import dev.convcl.opencl.HostCaches;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code bench --batch 1,8,32}: each problem of the suite at each batch size (its {@code n}
 * replaced), named {@code <problem>@n<batch>}, and a summary of how the speed grows with the
 * batch: per problem and backend, GFLOP/s on device tensors (else host arrays) and milliseconds
 * per image at each batch, and whether a larger batch was slower per image than a smaller one by
 * more than {@value #SLOWER_PERCENT}%. That is judged only on a quiet machine: while other
 * processes use the cores ({@link MachineLoad}), a call that wakes from a wait gets a core at once
 * and a call of tens of milliseconds gets its fair share, so a larger batch looks slower per image
 * though it does the same work (measured in docs/PERFORMANCE.md, "bench --batch"); such a line
 * says how busy the machine was and is not judged. A line with one batch size is not compared.
 * A slower line's note gives each batch's bytes and GB/s beside the host's last-level cache and,
 * where known, its memory bandwidth ({@link Bandwidth}: whose triad, measured or cached and when);
 * {@link #fields} gives the whole summary to {@code --json}.
 */
final class BenchBatches {
    /** A larger batch this much slower per image than a smaller one is reported as slower. */
    static final double SLOWER_PERCENT = 10;

    /** Other processes using more cores than this while a line's problems were timed leave it unjudged. */
    static final double BUSY_CORES = 0.25;

    /** The last column of a line timed at one batch size: nothing to compare it with. */
    static final String NOT_COMPARED = "not compared: one batch size (scaling needs two or more)";

    /**
     * Said instead of a share above 100% of the host's memory bandwidth, as the FMA peak's shares do
     * ({@link PeakShares}): no share above 100% is shown, since a batch cannot move its bytes faster
     * than memory allows unless a cache held them or the figure was measured low.
     */
    static final String ABOVE_BANDWIDTH = "more than that bandwidth allows, so that figure is too low (measured on a "
            + "busy machine) unless a cache held the tensors; no share shown";

    /** A last-level cache not looked for (the note says only that it is unknown). */
    static final HostCaches.LastLevel NO_CACHE = HostCaches.LastLevel.unknown(null);

    private BenchBatches() {
    }

    /**
     * Reads {@code 1,8,32}.
     *
     * @return the batch sizes in ascending order, whatever order they were given in ({@code 2,1}
     *         gives {@code [1, 2]}), so the columns and the verdicts read from the smallest batch up
     * @throws IllegalArgumentException naming the value and the rule when a size is not a positive
     *                                  integer or repeats
     */
    static List<Integer> parse(String text) {
        Set<Integer> sizes = new LinkedHashSet<>();
        // echoed as every option's value is, without the blanks around it (Main.badValue); always quoted
        String named = "--batch " + Typed.quoted(text.strip()) + ": ";
        for (String part : text.split(",", -1)) {
            int n;
            String size = part.strip();
            try {
                n = IntArg.parse(part);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(named + Typed.quoted(size) + " is not a whole number");
            } catch (IntArg.OutOfRange e) {
                throw new IllegalArgumentException(named + Typed.quoted(size) + " "
                        + (size.startsWith("-") ? "must be at least 1"
                                : "is larger than the largest batch, " + Integer.MAX_VALUE));
            }
            if (n < 1) {   // each size as typed: 00, not 0
                throw new IllegalArgumentException(named + size + " must be at least 1");
            }
            if (!sizes.add(n)) {
                throw new IllegalArgumentException(named + size + " is given twice");
            }
        }
        return sizes.stream().sorted().toList();
    }

    /**
     * Each problem at each batch size, in that order.
     *
     * @throws IllegalArgumentException naming {@code --batch}, the size, the problem and the largest
     *                                  batch it allows, when a size makes a tensor of the problem
     *                                  too large (more than 2^31-1 elements, 32-bit indexing), before
     *                                  anything is timed
     */
    static List<BenchSuite.Problem> expand(List<BenchSuite.Problem> problems, List<Integer> batches) {
        List<BenchSuite.Problem> l = new ArrayList<>();
        for (BenchSuite.Problem p : problems) {
            for (int n : batches) {
                Convolution at;
                try {
                    at = p.spec().withBatch(n);
                } catch (IllegalArgumentException e) {
                    int most = largestBatch(p.spec(), n - 1);
                    throw new IllegalArgumentException("--batch " + n + ": " + p.name() + " at n=" + n + ": "
                            + e.getMessage() + (most >= 1 ? " (at most n=" + most + " for this problem)"
                                    : " (even n=1 is too large for this problem)"));
                }
                l.add(p.with(p.name() + "@n" + n, at));
            }
        }
        return l;
    }

    /** The largest batch from 1 to {@code below} that {@code spec} allows, found by halving; 0 if none. */
    static int largestBatch(Convolution spec, int below) {
        int lo = 0, hi = below;   // lo allowed (0: none yet), every batch above hi refused
        while (lo < hi) {
            int mid = (int) (((long) lo + hi + 1) / 2);
            try {
                spec.withBatch(mid);
                lo = mid;
            } catch (IllegalArgumentException e) {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /**
     * One problem on one backend at one batch size: GFLOP/s, milliseconds per image, how many
     * cores other processes used while it was timed (NaN if unknown), and the bytes of the tensors
     * one call reads and writes ({@link #bytesPerCall}; -1 if unknown).
     */
    record Point(int batch, double gflops, double msPerImage, double othersCores, long bytesPerCall) {
        /** A point whose machine load and bytes are unknown. */
        Point(int batch, double gflops, double msPerImage) {
            this(batch, gflops, msPerImage, Double.NaN, -1);
        }

        /** A point whose bytes are unknown. */
        Point(int batch, double gflops, double msPerImage, double othersCores) {
            this(batch, gflops, msPerImage, othersCores, -1);
        }
    }

    /**
     * The bytes of the tensors one call of {@code op} reads and writes once each, float32: input,
     * weights, bias, output, and a deformable convolution's offsets and mask.
     */
    static long bytesPerCall(Convolution op) {
        long floats = op.inputSize() + op.weightSize() + op.outputSize() + (op.bias() ? op.k() : 0);
        if (op instanceof DeformConv2d d) {
            floats += d.offsetSize() + (d.mask() ? d.maskSize() : 0);
        }
        return 4 * floats;
    }

    /**
     * The bytes one call of each convolution of {@code problems} moves, as bench times it
     * ({@link BenchRunner#timed}: with a bias), by problem name.
     */
    static Map<String, Long> bytesPerCall(List<BenchSuite.Problem> problems) {
        Map<String, Long> m = new java.util.HashMap<>();
        for (BenchSuite.Problem p : problems) {
            if (p.op() instanceof Convolution) {
                m.put(p.name(), bytesPerCall(BenchRunner.timed(p)));
            }
        }
        return m;
    }

    /** As {@link #scaling(List, Map)} with the machine load unknown. */
    static Map<String, List<Point>> scaling(List<BenchRow> rows) {
        return scaling(rows, Map.of());
    }

    /**
     * The scaling of each (problem, backend) of {@code rows} (rows named by {@link #expand}; failed
     * rows left out), in the rows' order; {@code othersCores} holds, per row name, how many cores
     * other processes used while it was timed ({@link BenchRunner#othersCores()}).
     *
     * @return per {@code "<problem> <backend>"}, its points from the smallest batch to the largest
     */
    static Map<String, List<Point>> scaling(List<BenchRow> rows, Map<String, Double> othersCores) {
        return scaling(rows, othersCores, Map.of());
    }

    /**
     * As {@link #scaling(List, Map)}; {@code bytesPerCall} holds, per row name, the bytes one call
     * reads and writes ({@link #bytesPerCall(Convolution)}).
     */
    static Map<String, List<Point>> scaling(List<BenchRow> rows, Map<String, Double> othersCores,
                                            Map<String, Long> bytesPerCall) {
        Map<String, List<Point>> m = new LinkedHashMap<>();
        for (BenchRow r : rows) {
            int at = r.name().lastIndexOf("@n");
            if (!r.ok() || at < 0) {
                continue;
            }
            int n = Integer.parseInt(r.name().substring(at + 2));
            boolean device = r.deviceMedianMs() > 0;
            double ms = device ? r.deviceMedianMs() : r.medianMs();
            double gflops = device ? r.deviceGflops() : r.gflops();
            m.computeIfAbsent(r.name().substring(0, at) + " " + r.backend(), k -> new ArrayList<>())
                    .add(new Point(n, gflops, ms / n, othersCores.getOrDefault(r.name(), Double.NaN),
                            bytesPerCall.getOrDefault(r.name(), -1L)));
        }
        // Smallest batch first, whatever order the rows came in.
        m.values().forEach(l -> l.sort(java.util.Comparator.comparingInt(Point::batch)));
        return m;
    }

    /** Where a larger batch is slower per image than a smaller one by more than {@value #SLOWER_PERCENT}%, else empty. */
    static String verdict(List<Point> points) {
        List<String> slower = new ArrayList<>();
        for (int i = 0; i < points.size(); i++) {
            for (int j = 0; j < points.size(); j++) {
                Point a = points.get(i), b = points.get(j);
                if (b.batch() > a.batch() && b.msPerImage() > a.msPerImage() * (1 + SLOWER_PERCENT / 100)) {
                    slower.add(String.format(Locale.ROOT, "n=%d %.0f%% slower per image than n=%d", b.batch(),
                            100 * (b.msPerImage() / a.msPerImage() - 1), a.batch()));
                }
            }
        }
        return String.join("; ", slower);
    }

    /** The most cores other processes used while any of {@code points} was timed; NaN if none is known. */
    static double busiest(List<Point> points) {
        return points.stream().mapToDouble(Point::othersCores).filter(c -> !Double.isNaN(c)).max().orElse(Double.NaN);
    }

    /** How many different batch sizes {@code points} hold. */
    static long batchCount(List<Point> points) {
        return points.stream().mapToInt(Point::batch).distinct().count();
    }

    /**
     * The last column of a summary line: {@code no slower}, {@code slower: ...}, or, when the
     * machine was busier than {@value #BUSY_CORES} cores while a larger batch looked slower,
     * {@code not judged (machine busy): ...}; {@link #NOT_COMPARED} when the line has fewer than
     * two batch sizes (one asked for, or the others failed).
     */
    static String judgement(List<Point> points) {
        return judgement(points, NO_CACHE);
    }

    /**
     * As {@link #judgement(List)}; a line with a slower batch also says how many bytes a call moves
     * at each batch beside the last-level cache's size ({@code cache}: its size, or why it is
     * unknown), where the points know their bytes: a batch whose tensors fit that cache finds them
     * there again on the next timed call, a larger one reads them from memory.
     */
    static String judgement(List<Point> points, HostCaches.LastLevel cache) {
        return judgement(points, cache, Bandwidth.NONE);
    }

    /**
     * As {@link #judgement(List, HostCaches.LastLevel)}, whose note gives the rate at which each
     * batch moved its tensors; with a known {@code bandwidth} (the host's, {@code convcl peak}'s
     * triad) it also gives the largest batch's share of it, the limit a batch whose tensors no cache
     * holds runs against, and where that bandwidth came from ({@link #cacheNote(List, HostCaches.LastLevel, Bandwidth)}).
     */
    static String judgement(List<Point> points, HostCaches.LastLevel cache, Bandwidth bandwidth) {
        if (batchCount(points) < 2) {
            return NOT_COMPARED;
        }
        String v = verdict(points);
        if (v.isEmpty()) {
            return "no slower";
        }
        String note = cacheNote(points, cache, bandwidth);
        v = note.isEmpty() ? v : v + " (" + note + ")";
        return busiest(points) > BUSY_CORES ? "not judged (machine busy): " + v : "slower: " + v;
    }

    /**
     * As {@link #judgement(List, HostCaches.LastLevel, Bandwidth)}, knowing the sizes asked for: a
     * line that has fewer than two of them because the others failed says which failed
     * ({@code not compared: n=8 failed}) rather than {@link #NOT_COMPARED}.
     */
    static String judgement(List<Point> points, List<Integer> asked, HostCaches.LastLevel cache, Bandwidth bandwidth) {
        if (batchCount(points) < 2 && asked.size() >= 2) {
            List<String> failed = asked.stream().filter(n -> points.stream().noneMatch(p -> p.batch() == n))
                    .map(n -> "n=" + n).toList();
            return "not compared: " + String.join(", ", failed) + " failed";
        }
        return judgement(points, cache, bandwidth);
    }

    /**
     * {@code a call moves 4.1 MB at n=1 (20.1 GB/s), 32.5 MB at n=8 (19.8 GB/s); last-level cache
     * 33.6 MB} (or {@code last-level cache unknown: <why>}): each batch's bytes and the rate at which
     * a call moved them (where its time is known), or empty when no point knows its bytes. MB are
     * 10^6 bytes, GB/s 10^9 bytes a second, throughout.
     */
    static String cacheNote(List<Point> points, HostCaches.LastLevel cache) {
        return cacheNote(points, cache, Bandwidth.NONE);
    }

    /**
     * As {@link #cacheNote(List, HostCaches.LastLevel)}; with a known memory bandwidth the note ends
     * with it, whose triad it is and where it came from, and the largest batch's share of it:
     * {@code host memory bandwidth 62.8 GB/s (convcl peak's triad, the faster of the OpenCL device's
     * 62.8 and the Java path's 58.4; cached, measured 2026-12-05 16:36 UTC): n=32 moves 35.5 GB/s,
     * 56% of that bandwidth}. Without one the rates are given all the same (they need only the bytes
     * and the time); only the bandwidth and the share are left out.
     */
    static String cacheNote(List<Point> points, HostCaches.LastLevel cache, Bandwidth bandwidth) {
        List<String> moves = new ArrayList<>();
        Point largest = null;
        for (Point p : points) {
            if (p.bytesPerCall() >= 0) {
                double gb = gbPerS(p);
                String rate = Double.isFinite(gb) ? String.format(Locale.ROOT, " (%.1f GB/s)", gb) : "";
                moves.add(String.format(Locale.ROOT, "%.1f MB at n=%d", p.bytesPerCall() / 1e6, p.batch()) + rate);
                if (largest == null || p.batch() > largest.batch()) {
                    largest = p;
                }
            }
        }
        if (moves.isEmpty()) {
            return "";
        }
        String llc = cache.known()
                ? String.format(Locale.ROOT, "last-level cache %.1f MB", cache.bytes() / 1e6)
                : "last-level cache unknown" + (cache.unknownBecause() == null ? "" : ": " + cache.unknownBecause());
        String limit = "";
        if (bandwidth.known() && Double.isFinite(gbPerS(largest))) {
            double gb = gbPerS(largest);
            limit = String.format(Locale.ROOT, "; host memory bandwidth %.1f GB/s (%s): n=%d moves %.1f GB/s, ",
                    bandwidth.gbPerS(), bandwidth.described(), largest.batch(), gb)
                    + (gb > bandwidth.gbPerS() ? ABOVE_BANDWIDTH
                            : String.format(Locale.ROOT, "%.0f%% of that bandwidth", 100 * gb / bandwidth.gbPerS()));
        } else if (!bandwidth.known() && bandwidth.unknownBecause() != null) {
            limit = "; host memory bandwidth unknown (" + bandwidth.unknownBecause() + ")";
        }
        return "a call moves " + String.join(", ", moves) + "; " + llc + limit;
    }

    /**
     * The rate at which a call of {@code p} moved its tensors' bytes, GB/s (10^9 bytes a second);
     * NaN when its bytes or its time are unknown or not positive.
     */
    static double gbPerS(Point p) {
        if (p.bytesPerCall() <= 0 || !(p.msPerImage() > 0) || Double.isInfinite(p.msPerImage())) {
            return Double.NaN;
        }
        return p.bytesPerCall() / (p.msPerImage() * p.batch() * 1e-3) / 1e9;
    }

    /** Whether {@code gbPerS} is a measured bandwidth: finite and positive. */
    static boolean knownBandwidth(double gbPerS) {
        return Double.isFinite(gbPerS) && gbPerS > 0;
    }

    /** Where the host's memory bandwidth came from; {@link #word} is how the note and the JSON say it. */
    enum Source {
        /** This run measured it ({@code convcl peak}'s triad, run by bench). */
        MEASURED("measured"),
        /** Read from the peak cache, measured by an earlier run. */
        CACHED("cached"),
        /** None is known. */
        NONE("none");

        final String word;

        Source(String word) {
            this.word = word;
        }
    }

    /**
     * One triad {@code convcl peak} measured, as bench came by it.
     *
     * @param whose      the side it was measured on, as the note names it: {@code OpenCL device} or
     *                   {@code Java path}
     * @param gbPerS     its rate, GB/s (10^9 bytes a second)
     * @param cached     true when read from the peak cache, false when this run measured it
     * @param measuredAt when a cached triad was measured, as its cache entry says; null when this run
     *                   measured it or the entry does not say
     * @param remark     what else the note says of its source, after {@code measured in this run} or
     *                   the cache's date: why this run's measurement was not cached ({@code not cached
     *                   (its repeats: ...)}), or that a cached figure was preferred to it; null if nothing
     */
    record Triad(String whose, double gbPerS, boolean cached, Instant measuredAt, String remark) {
        /** A triad with nothing more to say of its source. */
        Triad(String whose, double gbPerS, boolean cached, Instant measuredAt) {
            this(whose, gbPerS, cached, measuredAt, null);
        }

        /**
         * Where it came from, in the note's words.
         *
         * @return {@code measured in this run}, {@code cached, measured 2026-12-05 16:36 UTC} or
         *         {@code cached (its cache entry has no date)}, each followed by the remark if any
         */
        String provenance() {
            String from = !cached ? "measured in this run" : measuredAt == null ? "cached (its cache entry has no date)"
                    : "cached, measured " + MINUTE.format(measuredAt) + " UTC";
            return remark == null ? from : from + ", " + remark;
        }
    }

    /**
     * The host's memory bandwidth that a slower line's note sets each batch's rate beside.
     *
     * @param gbPerS     GB/s (10^9 bytes a second); NaN when none is known
     * @param source     where it came from
     * @param measuredAt when a cached figure was measured; null when measured in this run, when none
     *                   is known, or when the cache entry does not say
     * @param whose      whose triad it is, for the note: {@code convcl peak's triad on the Java path},
     *                   or, with both known, {@code convcl peak's triad, the faster of the OpenCL
     *                   device's 51.2 and the Java path's 58.4}; null when none is known
     * @param chosen     the triad it is; null when none is known
     * @param triads     every known triad it was chosen from, each with its own source
     * @param unknownBecause why none is known, for the note ({@code --no-peak, none cached}); null
     *                   when one is known or nothing is to be said
     */
    record Bandwidth(double gbPerS, Source source, Instant measuredAt, String whose, Triad chosen, List<Triad> triads,
                     String unknownBecause) {
        /** No bandwidth known, and nothing said about it. */
        static final Bandwidth NONE = new Bandwidth(Double.NaN, Source.NONE, null, null, null, List.of(), null);

        /**
         * No bandwidth known, for the reason given, which the note ends with.
         *
         * @param why e.g. {@code --no-peak, none cached}
         * @return a bandwidth that is not known, saying why
         */
        static Bandwidth unknown(String why) {
            return new Bandwidth(Double.NaN, Source.NONE, null, null, null, List.of(), why);
        }

        Bandwidth {
            triads = List.copyOf(triads);
        }

        /**
         * The faster of the known {@code triads} (nulls and rates that are not finite and positive
         * left out; the first of equal ones), or {@link #NONE}.
         *
         * @return its rate in GB/s, its source and time, and the words naming it: with two or more
         *         known, the faster and each one's rate
         */
        static Bandwidth fastest(Triad... triads) {
            List<Triad> known = new ArrayList<>();
            Triad best = null;
            for (Triad t : triads) {
                if (t != null && knownBandwidth(t.gbPerS())) {
                    known.add(t);
                    if (best == null || t.gbPerS() > best.gbPerS()) {
                        best = t;
                    }
                }
            }
            if (best == null) {
                return NONE;
            }
            String whose = known.size() == 1 ? "convcl peak's triad on the " + best.whose()
                    : "convcl peak's triad, the faster of the " + String.join(" and the ", known.stream()
                            .map(t -> String.format(Locale.ROOT, "%s's %.1f", t.whose(), t.gbPerS())).toList());
            return new Bandwidth(best.gbPerS(), best.cached() ? Source.CACHED : Source.MEASURED,
                    best.cached() ? best.measuredAt() : null, whose, best, known, null);
        }

        /**
         * Whether a bandwidth is known.
         *
         * @return true when {@link #gbPerS()} is finite and positive
         */
        boolean known() {
            return knownBandwidth(gbPerS);
        }

        /**
         * Where it came from, in the note's words ({@link Triad#provenance()}).
         *
         * @return {@code measured in this run}, {@code cached, measured 2026-12-05 16:36 UTC},
         *         {@code cached (its cache entry has no date)}, each with its triad's remark, or {@code none}
         */
        String provenance() {
            return chosen == null ? "none" : chosen.provenance();
        }

        /**
         * What the note says in brackets after the figure: whose triad it is and where it came from;
         * with two triads, each one's own source, since they may differ.
         *
         * @return e.g. {@code convcl peak's triad on the Java path; cached, measured 2026-12-05 16:36 UTC}
         *         or {@code convcl peak's triad, the faster of the OpenCL device's 62.8 (cached, measured
         *         2026-12-05 16:36 UTC) and the Java path's 58.4 (measured in this run)}
         */
        String described() {
            if (triads.size() < 2) {
                return whose + "; " + provenance();
            }
            return "convcl peak's triad, the faster of the " + String.join(" and the ", triads.stream()
                    .map(t -> String.format(Locale.ROOT, "%s's %.1f (%s)", t.whose(), t.gbPerS(), t.provenance())).toList());
        }
    }

    private static final DateTimeFormatter MINUTE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    /**
     * The summary for {@code --json}'s {@code batch_scaling}: what {@link #print} shows, as fields.
     * Arguments as {@link #print(List, List, Map, Map, HostCaches.LastLevel, Bandwidth,
     * java.util.function.Predicate, PrintWriter)}.
     *
     * @return {@code slower_percent}, {@code busy_cores_limit}; the host's {@code bandwidth_gb_per_s}
     *         (GB/s, null if unknown), {@code bandwidth_source} ({@code measured}, {@code cached} or
     *         {@code none}), {@code bandwidth_measured} (ISO-8601 time of a cached figure; null if the
     *         entry has none or it was measured in this run), {@code bandwidth_of} (whose triad);
     *         {@code bandwidth_unknown} (why none is known; null when one is, or when not said);
     *         {@code bandwidth_triads}, each known triad with its own {@code of}, {@code gb_per_s},
     *         {@code source}, {@code measured}, {@code chosen} and {@code note} (its source in words);
     *         {@code last_level_cache_bytes} (null if unknown) and {@code last_level_cache_unknown}
     *         (why; null if known); and {@code lines}, one per problem and backend, each with
     *         {@code problem}, {@code backend}, {@code on_host} (false for a GPU's line, to which the host's
     *         cache and bandwidth do not apply), {@code busy_cores}, {@code verdict} ({@code slower},
     *         {@code no slower}, {@code not judged} on a busy machine, or {@code not compared} with one
     *         batch size), {@code slower} (the verdict's comparisons, null if none), the line's
     *         {@code bandwidth_gb_per_s} and {@code bandwidth_source} ({@code none} on a GPU's line), and
     *         {@code points} from the smallest batch up: {@code batch}, {@code gflops}, {@code ms_per_image},
     *         {@code others_cores}, {@code bytes_per_call} (null if unknown), {@code gb_per_s} (bytes / time
     *         per call, 10^9 bytes a second; null if unknown) and {@code bandwidth_share} (that rate over
     *         the line's bandwidth, a fraction; null when either is unknown, or when it would exceed 1) and
     *         {@code bandwidth_share_unknown} (why a share above 1 is not given; null otherwise)
     */
    static Map<String, Object> fields(List<BenchRow> rows, Map<String, Double> othersCores,
                                      Map<String, Long> bytesPerCall, HostCaches.LastLevel cache, Bandwidth bandwidth,
                                      java.util.function.Predicate<String> onHostCpu) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("slower_percent", SLOWER_PERCENT);
        f.put("busy_cores_limit", BUSY_CORES);
        f.put("bandwidth_gb_per_s", bandwidth.known() ? bandwidth.gbPerS() : null);
        f.put("bandwidth_source", bandwidth.known() ? bandwidth.source().word : Source.NONE.word);
        f.put("bandwidth_measured", bandwidth.known() && bandwidth.measuredAt() != null
                ? bandwidth.measuredAt().toString() : null);
        f.put("bandwidth_of", bandwidth.known() ? bandwidth.whose() : null);
        f.put("bandwidth_unknown", bandwidth.known() ? null : bandwidth.unknownBecause());
        List<Object> triads = new ArrayList<>();
        for (Triad t : bandwidth.known() ? bandwidth.triads() : List.<Triad>of()) {
            Map<String, Object> tf = new LinkedHashMap<>();
            tf.put("of", t.whose());
            tf.put("gb_per_s", t.gbPerS());
            tf.put("source", t.cached() ? Source.CACHED.word : Source.MEASURED.word);
            tf.put("measured", t.cached() && t.measuredAt() != null ? t.measuredAt().toString() : null);
            tf.put("chosen", t == bandwidth.chosen());
            tf.put("note", t.provenance());
            triads.add(tf);
        }
        f.put("bandwidth_triads", triads);
        f.put("last_level_cache_bytes", cache.known() ? cache.bytes() : null);
        f.put("last_level_cache_unknown", cache.known() ? null : cache.unknownBecause());
        List<Object> lines = new ArrayList<>();
        for (Map.Entry<String, List<Point>> e : scaling(rows, othersCores, bytesPerCall).entrySet()) {
            int space = e.getKey().lastIndexOf(' ');
            String backend = e.getKey().substring(space + 1);
            boolean onHost = onHostCpu.test(backend);
            Bandwidth own = onHost && bandwidth.known() ? bandwidth : Bandwidth.NONE;
            List<Point> points = e.getValue();
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("problem", e.getKey().substring(0, space));
            line.put("backend", backend);
            line.put("on_host", onHost);
            line.put("busy_cores", busiest(points));
            String slower = batchCount(points) < 2 ? "" : verdict(points);
            line.put("verdict", verdictWord(points));
            line.put("slower", slower.isEmpty() ? null : slower);
            line.put("bandwidth_gb_per_s", own.known() ? own.gbPerS() : null);
            line.put("bandwidth_source", own.source().word);
            List<Object> ps = new ArrayList<>();
            for (Point p : points) {
                Map<String, Object> pf = new LinkedHashMap<>();
                double gb = gbPerS(p);
                pf.put("batch", p.batch());
                pf.put("gflops", p.gflops());
                pf.put("ms_per_image", p.msPerImage());
                pf.put("others_cores", p.othersCores());
                pf.put("bytes_per_call", p.bytesPerCall() >= 0 ? p.bytesPerCall() : null);
                pf.put("gb_per_s", Double.isFinite(gb) ? gb : null);
                boolean above = own.known() && Double.isFinite(gb) && gb > own.gbPerS();
                pf.put("bandwidth_share", own.known() && Double.isFinite(gb) && !above ? gb / own.gbPerS() : null);
                pf.put("bandwidth_share_unknown", above ? "moves " + ABOVE_BANDWIDTH : null);
                ps.add(pf);
            }
            line.put("points", ps);
            lines.add(line);
        }
        f.put("lines", lines);
        return f;
    }

    /**
     * The verdict of a line in one word or two, as {@code --json} gives it.
     *
     * @return {@code not compared} (fewer than two batch sizes), {@code no slower}, {@code not judged}
     *         (slower, but timed on a busy machine) or {@code slower}: the start of {@link #judgement}'s text
     */
    static String verdictWord(List<Point> points) {
        if (batchCount(points) < 2) {
            return "not compared";
        }
        if (verdict(points).isEmpty()) {
            return "no slower";
        }
        return busiest(points) > BUSY_CORES ? "not judged" : "slower";
    }

    /** As {@link #print(List, List, Map, PrintWriter)} with the machine load unknown. */
    static void print(List<BenchRow> rows, List<Integer> batches, PrintWriter out) {
        print(rows, batches, Map.of(), out);
    }

    /**
     * As {@link #print(List, List, Map, Map, HostCaches.LastLevel, java.util.function.Predicate, PrintWriter)}
     * with the bytes and the cache unknown.
     */
    static void print(List<BenchRow> rows, List<Integer> batches, Map<String, Double> othersCores, PrintWriter out) {
        print(rows, batches, othersCores, Map.of(), NO_CACHE, backend -> true, out);
    }

    /**
     * Prints the summary table; {@code othersCores} and {@code bytesPerCall} as in
     * {@link #scaling(List, Map, Map)}, {@code cache} the host's last-level cache (its size, or why
     * it is unknown), named on the slower lines of the backends {@code onHostCpu} accepts (not a GPU's).
     */
    static void print(List<BenchRow> rows, List<Integer> batches, Map<String, Double> othersCores,
                      Map<String, Long> bytesPerCall, HostCaches.LastLevel cache,
                      java.util.function.Predicate<String> onHostCpu, PrintWriter out) {
        print(rows, batches, othersCores, bytesPerCall, cache, Bandwidth.NONE, onHostCpu, out);
    }

    /**
     * As {@link #print(List, List, Map, Map, HostCaches.LastLevel, java.util.function.Predicate, PrintWriter)};
     * {@code bandwidth} is the host's memory bandwidth ({@link Bandwidth#NONE} if unknown), which the
     * slower lines of the host's backends set their rates beside
     * ({@link #cacheNote(List, HostCaches.LastLevel, Bandwidth)}).
     */
    static void print(List<BenchRow> rows, List<Integer> batches, Map<String, Double> othersCores,
                      Map<String, Long> bytesPerCall, HostCaches.LastLevel cache, Bandwidth bandwidth,
                      java.util.function.Predicate<String> onHostCpu, PrintWriter out) {
        Map<String, List<Point>> m = scaling(rows, othersCores, bytesPerCall);
        out.println("batch scaling: GFLOP/s and ms per image (device tensors where the backend has them, else host "
                + "arrays); 'slower' when a larger batch costs more than " + (int) SLOWER_PERCENT + "% more per image; "
                + "busy: the most cores other processes used while the line was timed, and above " + BUSY_CORES
                + " a slower batch is not judged (a longer call gets a smaller share of a busy machine); a slower line "
                + "also gives the MB of tensors a call reads and writes at each batch beside the last-level cache: "
                + "a batch that fits finds its data in the cache again on the next timed call; and the rate at which "
                + "each batch moved them (GB/s: bytes / time per call)"
                + (bandwidth.known() ? ", beside the host's memory bandwidth (a batch that no cache holds cannot beat "
                        + "it; the note says whose triad it is and whether this run measured it or it was cached)" : ""));
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-36s", "problem backend"));
        for (int n : batches) {
            head.append(String.format(Locale.ROOT, "  %-20s", "n=" + n));
        }
        out.println(head.append("  busy   per image"));
        for (Map.Entry<String, List<Point>> e : m.entrySet()) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-36s", e.getKey()));
            for (int n : batches) {
                String cell = e.getValue().stream().filter(p -> p.batch() == n).findFirst()
                        .map(p -> String.format(Locale.ROOT, "%.1f (%.3f ms)", p.gflops(), p.msPerImage())).orElse("-");
                line.append(String.format(Locale.ROOT, "  %-20s", cell));
            }
            double busy = busiest(e.getValue());
            line.append(String.format(Locale.ROOT, "  %-5s", Double.isNaN(busy) ? "-" : String.format(Locale.ROOT, "%.2f", busy)));
            String backend = e.getKey().substring(e.getKey().lastIndexOf(' ') + 1);
            List<Point> points = onHostCpu.test(backend) ? e.getValue()
                    : e.getValue().stream().map(p -> new Point(p.batch(), p.gflops(), p.msPerImage(), p.othersCores()))
                            .toList();
            out.println(line.append("  ").append(judgement(points, batches, cache, bandwidth)));
        }
    }
}
