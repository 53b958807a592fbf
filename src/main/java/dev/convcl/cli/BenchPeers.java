package dev.convcl.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The peers {@code convcl bench --peers} asked for: found (the built-in PyTorch peer, and every
 * {@link BenchPeer} that {@link ServiceLoader} finds on the class path), opened, and described,
 * including those that could not run here and why. Closed together.
 */
final class BenchPeers implements AutoCloseable {
    /** The ONNX Runtime peer's name; its jar is built from peers/onnxruntime. */
    static final String ONNXRUNTIME = "onnxruntime";
    /** The peers the project ships, in the order their rows appear. */
    static final List<String> SHIPPED = List.of(ONNXRUNTIME, TorchPeer.NAME);

    /**
     * A peer asked for.
     *
     * @param name        its name
     * @param description what {@link BenchPeer#open} said (library, version, threads), or null
     * @param unavailable why it is not timed in this run, or null when it is
     */
    record Status(String name, String description, String unavailable) {
        Map<String, Object> fields() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("description", description);
            m.put("unavailable", unavailable);
            return m;
        }
    }

    private final List<BenchPeer> open;
    private final List<Status> statuses;

    private BenchPeers(List<BenchPeer> open, List<Status> statuses) {
        this.open = open;
        this.statuses = statuses;
    }

    static BenchPeers none() {
        return new BenchPeers(List.of(), List.of());
    }

    /**
     * The names of a {@code --peers} list, in order, without repeats.
     *
     * @throws IllegalArgumentException naming a word that is no peer, and the peers there are
     */
    static List<String> parse(String list, Set<String> known) {
        Set<String> names = new LinkedHashSet<>();
        for (String word : list.split(",", -1)) {
            String name = word.strip().toLowerCase(Locale.ROOT);
            if (name.isEmpty()) {
                throw new IllegalArgumentException("--peers '" + list + "' has an empty name; give names separated by "
                        + "commas, e.g. --peers " + String.join(",", SHIPPED));
            }
            if (name.equals("all")) {
                names.addAll(known);
                continue;
            }
            if (!known.contains(name)) {
                String close = Main.closest(name, known);
                throw new IllegalArgumentException("--peers: no peer named '" + word.strip() + "'; peers: "
                        + String.join(", ", known) + " or all" + (close == null ? "" : " (did you mean '" + close + "'?)"));
            }
            names.add(name);
        }
        return List.copyOf(names);
    }

    /** Every peer this class path offers by name: the shipped ones first, then any other found. */
    static Map<String, Supplier<BenchPeer>> available() {
        Map<String, Supplier<BenchPeer>> found = new LinkedHashMap<>();
        found.put(TorchPeer.NAME, TorchPeer::new);
        List<ServiceLoader.Provider<BenchPeer>> providers;
        try {
            providers = ServiceLoader.load(BenchPeer.class).stream().toList();
        } catch (ServiceConfigurationError e) {
            return found;
        }
        for (ServiceLoader.Provider<BenchPeer> p : providers) {
            try {
                found.putIfAbsent(p.get().name(), p::get);
            } catch (ServiceConfigurationError | LinkageError e) {
                // A peer jar without its library: that peer is absent, and open() says so.
            }
        }
        return found;
    }

    /** The names {@code --peers} accepts: the shipped peers and any other found on the class path. */
    static Set<String> known(Map<String, Supplier<BenchPeer>> available) {
        Set<String> names = new LinkedHashSet<>(SHIPPED);
        names.addAll(available.keySet());
        return names;
    }

    /**
     * Opens the peers named (each with {@code threads} threads), saying on {@code progress} what
     * each is, or why it is not there, and going on without those that are not.
     */
    static BenchPeers open(List<String> names, Map<String, Supplier<BenchPeer>> available, int threads,
                           PrintWriter progress) {
        List<BenchPeer> open = new ArrayList<>();
        List<Status> statuses = new ArrayList<>();
        for (String name : names) {
            Supplier<BenchPeer> s = available.get(name);
            if (s == null) {
                String why = name.equals(ONNXRUNTIME)
                        ? "its jar is not on the class path (scripts/convcl bench --peers onnxruntime builds "
                        + "peers/onnxruntime and puts it there)"
                        : "not on the class path";
                statuses.add(unavailable(name, why, progress));
                continue;
            }
            BenchPeer peer = null;
            try {
                peer = s.get();
                String description = peer.open(threads);
                open.add(peer);
                statuses.add(new Status(name, description, null));
                progress.println("bench: peer " + name + ": " + description);
            } catch (Exception | LinkageError e) {
                if (peer != null) {
                    peer.close();
                }
                statuses.add(unavailable(name, message(e), progress));
            }
            progress.flush();
        }
        return new BenchPeers(List.copyOf(open), List.copyOf(statuses));
    }

    private static Status unavailable(String name, String why, PrintWriter progress) {
        progress.println("bench: peer " + name + " is not available, going on without it: " + why);
        return new Status(name, null, why);
    }

    static String message(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m.strip().replace('\n', ' ');
    }

    /**
     * Every row with its share of the FMA limit and, for convcl's rows, each peer's median on the
     * same problem and batch beside convcl's, the fastest (ok) peer's name, and GFLOP/s over that
     * peer's: from host-array wall time, and from device-tensor wall time where measured.
     *
     * @param rows  convcl's rows and the peers' rows of one run
     * @param limit the machine's FMA limit, or null: NaN shares. A share is of the row's GFLOP/s
     *              (host-array wall time); a row above the limit gets NaN, never a share above 100%
     *              ({@link #aboveLimit} finds it, so that the caller can measure the limit again or
     *              say so)
     * @param peers the peers asked for, in order: every convcl row gets a median for each (NaN
     *              where the peer did not run the problem, was not available or FAILed)
     */
    static List<BenchRow> compared(List<BenchRow> rows, FmaLimit limit, List<String> peers) {
        Map<String, Map<String, BenchRow>> byProblem = new LinkedHashMap<>();
        for (BenchRow r : rows) {
            if (r.peer() && r.ok() && Double.isFinite(r.gflops())) {
                byProblem.computeIfAbsent(key(r), k -> new LinkedHashMap<>()).put(r.backend(), r);
            }
        }
        List<BenchRow> out = new ArrayList<>();
        for (BenchRow r : rows) {
            double share = limit == null || !r.ok() ? Double.NaN : limit.share(r.gflops());
            if (share > 1) {
                share = Double.NaN;
            }
            if (r.peer()) {
                out.add(r.withComparison(share, Double.NaN, Double.NaN, Map.of(), null));
                continue;
            }
            Map<String, BenchRow> ran = byProblem.getOrDefault(key(r), Map.of());
            Map<String, Double> medians = new LinkedHashMap<>();
            BenchRow best = null;
            for (String name : peers) {
                BenchRow p = ran.get(name);
                medians.put(name, p == null ? Double.NaN : p.medianMs());
                if (p != null && (best == null || p.gflops() > best.gflops())) {
                    best = p;
                }
            }
            double bestRate = best == null ? Double.NaN : best.gflops();
            boolean rate = r.ok();
            out.add(r.withComparison(share, rate ? r.gflops() / bestRate : Double.NaN,
                    rate ? r.deviceGflops() / bestRate : Double.NaN, medians, best == null ? null : best.backend()));
        }
        return out;
    }

    private static String key(BenchRow r) {
        return r.name() + "\u0000" + r.batch();
    }

    /** The fastest ok row whose GFLOP/s is above {@code limit}, or null when none is (or there is no limit). */
    static BenchRow aboveLimit(List<BenchRow> rows, FmaLimit limit) {
        BenchRow fastest = null;
        if (limit == null) {
            return null;
        }
        for (BenchRow r : rows) {
            if (r.ok() && r.gflops() > limit.gflops() && (fastest == null || r.gflops() > fastest.gflops())) {
                fastest = r;
            }
        }
        return fastest;
    }

    /** The peers that opened, in the order asked. */
    List<BenchPeer> open() {
        return open;
    }

    /** Every peer asked for, with what it is or why it is absent. */
    List<Status> statuses() {
        return statuses;
    }

    @Override
    public void close() {
        for (BenchPeer p : open) {
            p.close();
        }
    }
}
