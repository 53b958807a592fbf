package dev.convcl.opencl;

import dev.convcl.CacheDir;
import dev.convcl.Convolution;
import dev.convcl.Operation;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tile chosen by the {@link Tuner} for each kernel family and problem class on one device
 * (GEMM tiles per {@link ProblemClass}, depthwise and deform-gemm tiles per {@link KernelFamily}
 * class), kept in a human-readable properties file {@code tuning-<hash>.properties} in
 * {@link CacheDir#tuning()} ({@code tuning/} under the cache root), the hash taken over the device
 * name, platform and driver version. The file also names the device, so a file copied from
 * another machine is recognised as foreign. An entry is {@code <family>.<class>=<config>}, e.g.
 * {@code depthwise.large=vw=16 nv=4 th=4 wg=1x1}, or {@code <family>.<class>=defaults}
 * ({@link #DEFAULTS}, any case): the class ran best on the device's default tiles, each problem
 * its own. An entry may add {@code <family>.<class>.problems=<problem> -> <config>; ...}: problems
 * of its basis that ran clearly faster on another tile (or the defaults), which they use instead
 * of the class's ({@link Entry#perProblem}; a file without them reads as before, and a reader
 * that predates them ignores the property with one WARN). In files of format 1 and 2 the GEMM tiles were
 * ranked on calls that packed the weights each time (which a network's plans, binding their
 * weights once, never do): their GEMM entries are left out with one WARN, so the GEMM classes keep
 * the defaults until tuned again; format 2's depthwise and deform-gemm entries are kept.
 *
 * <p>A missing file means the built-in defaults ({@link DeviceProfile}); a foreign file or one of
 * an unknown format also falls back to the defaults, and a corrupt entry (unknown family or class,
 * a configuration that does not parse) is left out while the others are used, each with one WARN
 * line naming the file and the problem; an entry whose tile the device cannot run is skipped
 * with a WARN when a plan would have used it. Instances are immutable.
 */
public final class TuningTable {
    private static final Logger LOG = LoggerFactory.getLogger(TuningTable.class);
    /** Version of the file layout; a file of another version is ignored. */
    public static final int FORMAT = 3;
    /**
     * The format before this one: the same layout, but GEMM tiles ranked with the weights packed
     * on every timed call; its GEMM entries are ignored, the others read.
     */
    static final int FORMAT_PACKING_TIMED = 2;
    /** The format before depthwise and deformable entries: GEMM entries only, as {@code class.<class>}. */
    static final int FORMAT_GEMM_ONLY = 1;
    /**
     * The configuration of an entry whose class runs best on the device's defaults, each problem
     * its own ({@link DeviceProfile}'s rule is finer than a class): plans of the class use the
     * defaults, and automatic tuning treats the class as tuned once no candidate is left untried.
     */
    public static final String DEFAULTS = "defaults";
    /** Suffix of the property that holds an entry's {@link Entry#perProblem} tiles. */
    private static final String PROBLEMS = ".problems";
    /** Key suffix of an entry's {@link Entry#untried} candidates (written only when there are any). */
    private static final String UNTRIED = ".untried";
    private static final String UNTRIED_SEPARATOR = ";";
    /** Files already warned about, so a bad file costs one log line, not one per plan. */
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    /**
     * One class's winner, with the problems of its basis that ran clearly faster on another tile.
     *
     * @param config     the tile, in its family's text form ({@link GemmConfig#toString()},
     *                   {@code DepthwisePlan.Tile}, {@code DeformGemmPlan.Tile}), or {@link #DEFAULTS}
     *                   (the device's default tile of each problem)
     * @param gflops     what it reached while tuning (GFLOP/s over the class's problems)
     * @param basis      the problems it was timed on, in one-line form separated by {@code ;}
     * @param perProblem tiles (or {@link #DEFAULTS}) that override {@code config} for single problems,
     *                   keyed by {@link #problemKey}: the tuner keeps one where a problem of the basis
     *                   ran at least {@link Tuner#PER_PROBLEM_MARGIN} times faster on it than on the
     *                   class's winner; empty for none
     * @param untried    the candidates of the class (tiles, or {@link #DEFAULTS}) that the tuning's
     *                   budget left out, in its order; empty when every one was tried. Automatic tuning
     *                   takes up such a class again on a later first use ({@link #complete}), these first
     */
    public record Entry(String config, double gflops, String basis, Map<String, String> perProblem, List<String> untried) {
        public Entry {
            untried = List.copyOf(untried == null ? List.of() : untried);
            if (untried.stream().anyMatch(c -> c.isBlank() || c.contains(UNTRIED_SEPARATOR))) {
                throw new IllegalArgumentException("untried candidates " + untried + " must be tiles without '"
                        + UNTRIED_SEPARATOR + "'");
            }
            if (config == null || config.isBlank()) {
                throw new IllegalArgumentException("tuning entry needs a config");
            }
            basis = basis == null ? "" : basis;
            Map<String, String> m = new TreeMap<>();
            if (perProblem != null) {
                perProblem.forEach((problem, tile) -> {
                    if (problem == null || problem.isBlank() || tile == null || tile.isBlank()) {
                        throw new IllegalArgumentException("per-problem tuning entry " + problem + " -> " + tile
                                + " needs a problem and a config");
                    }
                    m.put(problem, tile);
                });
            }
            perProblem = Collections.unmodifiableMap(m);
        }

        /** An entry of a class whose every candidate was tried. */
        public Entry(String config, double gflops, String basis, Map<String, String> perProblem) {
            this(config, gflops, basis, perProblem, List.of());
        }

        /** An entry without per-problem tiles. */
        public Entry(String config, double gflops, String basis) {
            this(config, gflops, basis, Map.of());
        }

        /** A GEMM entry without per-problem tiles. */
        public Entry(GemmConfig config, double gflops, String basis) {
            this(config == null ? null : config.toString(), gflops, basis);
        }
    }

    /**
     * The key of {@code spec} in {@link Entry#perProblem}: its one-line form without the
     * {@code bias} and {@code post} fields (within a class an epilogue does not change which tile
     * is fastest), e.g. {@code op=conv2d n=1 c=256 h=14 w=14 k=256 kh=3 kw=3 stride=1 pad=1 dil=1
     * groups=1}; a problem of a {@link ProblemClass#SUM -sum} class ({@code pointwise-sum},
     * {@code pointwise-strided-sum}), whose class the sum step decides, ends in {@code post=sum}
     * whatever its chain.
     */
    public static String problemKey(Convolution spec) {
        StringBuilder sb = new StringBuilder();
        for (String field : spec.toString().split(" ")) {
            if (!field.startsWith("bias=") && !field.startsWith("post=")) {
                sb.append(sb.isEmpty() ? "" : " ").append(field);
            }
        }
        // a problem of a -sum class, which its sum step decides, keeps one token for any chain
        // with a sum: without it the line would read back as a problem of the base class
        return ProblemClass.hasSumVariant(spec) ? sb + " post=sum" : sb.toString();
    }

    /** Separates the per-problem tiles in a {@code .problems} property. */
    private static final String PROBLEM_SEPARATOR = ";";
    /** Separates a problem from its tile in a {@code .problems} property (spaces around it are written, not needed). */
    private static final String PROBLEM_ARROW = "->";

    private final String deviceName;
    private final String platformName;
    private final String driverVersion;
    private final Map<String, Entry> entries;

    private TuningTable(String deviceName, String platformName, String driverVersion, Map<String, Entry> entries) {
        this.deviceName = deviceName;
        this.platformName = platformName;
        this.driverVersion = driverVersion;
        this.entries = Collections.unmodifiableMap(new TreeMap<>(entries));
    }

    /** An empty table (defaults everywhere) for {@code device}. */
    public static TuningTable empty(OpenClDeviceInfo device) {
        return new TuningTable(device.name(), device.platformName(), device.driverVersion(), Map.of());
    }

    /** The folder tuning files live in: {@link CacheDir#tuning()}. */
    public static Path defaultDir() {
        return CacheDir.tuning();
    }

    /** The tuning file of {@code device} in {@code dir}. */
    public static Path fileFor(Path dir, OpenClDeviceInfo device) {
        return dir.resolve("tuning-" + deviceHash(device) + ".properties");
    }

    static String deviceHash(OpenClDeviceInfo device) {
        return deviceHash(device.name(), device.platformName(), device.driverVersion());
    }

    private static String deviceHash(String name, String platform, String driver) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest((name + "\n" + platform + "\n" + driver)
                    .getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    /** The table of {@code device} from the default folder; see {@link #load(Path, OpenClDeviceInfo)}. */
    public static TuningTable load(OpenClDeviceInfo device) {
        return load(defaultDir(), device);
    }

    /** Where {@code file} stops being UTF-8 text, in words ("not UTF-8 text: byte 0xff at offset 12"). */
    private static String notUtf8(Path file) {
        try {
            java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(Files.readAllBytes(file));
            java.nio.charset.CharsetDecoder d = StandardCharsets.UTF_8.newDecoder();
            java.nio.CharBuffer out = java.nio.CharBuffer.allocate(in.remaining() + 1);
            java.nio.charset.CoderResult r = d.decode(in, out, true);
            if (r.isError()) {
                return String.format(java.util.Locale.ROOT, "not UTF-8 text: byte 0x%02x at offset %d",
                        in.get(in.position()) & 0xff, in.position());
            }
            return "not UTF-8 text";
        } catch (IOException e) {
            return "not UTF-8 text";
        }
    }

    /**
     * Reads the tuning file of {@code device} from {@code dir}. Never throws: a missing file gives
     * an empty table; an unreadable, corrupt or foreign file gives an empty table and a WARN.
     */
    public static TuningTable load(Path dir, OpenClDeviceInfo device) {
        Path file = fileFor(dir, device);
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (NoSuchFileException e) {
            LOG.debug("no tuning file {}; GEMM tiles are the defaults", file);
            return empty(device);
        } catch (CharacterCodingException e) {
            // the contents: convcl tune rewrites them
            return ignored(file, device, "cannot be read (" + notUtf8(file) + ")");
        } catch (IllegalArgumentException e) {
            // the contents (a malformed escape): convcl tune rewrites them
            return ignored(file, device, "cannot be read (" + e.getMessage() + ")");
        } catch (IOException e) {
            // not the contents: rewriting the file (convcl tune) would fail the same way
            Optional<String> blocked = CacheDir.blocked(file.getParent());
            return ignored(file, device, "cannot be read (" + e.getMessage() + ")", blocked.isPresent()
                    ? blocked.get() + "; point it at a folder"
                    : Files.isDirectory(file) ? "it is a folder; remove it"
                    : "check the file, its folders and the cache root " + CacheDir.root().toAbsolutePath() + ", from "
                            + CacheDir.rootSource());
        }
        String format = p.getProperty("format");
        boolean gemmOnly = Integer.toString(FORMAT_GEMM_ONLY).equals(format);
        boolean packingTimed = gemmOnly || Integer.toString(FORMAT_PACKING_TIMED).equals(format);
        if (!Integer.toString(FORMAT).equals(format) && !packingTimed) {
            return ignored(file, device, "has format=" + format + ", expected " + FORMAT);
        }
        for (String[] field : new String[][] {{"device", device.name()}, {"platform", device.platformName()},
                {"driver", device.driverVersion()}}) {
            if (!field[1].equals(p.getProperty(field[0]))) {
                return ignored(file, device, "belongs to another device (" + field[0] + "=" + p.getProperty(field[0])
                        + ", this device has " + field[1] + ")");
            }
        }
        Map<String, Entry> entries = new TreeMap<>();
        List<String> stale = new ArrayList<>();
        List<String> reclassified = new ArrayList<>();
        for (String key : p.stringPropertyNames()) {
            if (key.endsWith(".gflops") || key.endsWith(".basis") || key.endsWith(PROBLEMS) || key.endsWith(UNTRIED)
                    || !key.contains(".")) {
                continue;
            }
            int dot = key.indexOf('.');
            String familyKey = key.substring(0, dot);
            String cls = key.substring(dot + 1);
            Optional<KernelFamily> family = gemmOnly
                    ? ("class".equals(familyKey) ? Optional.of(KernelFamily.GEMM) : Optional.empty())
                    : KernelFamily.byKey(familyKey);
            if (packingTimed && family.equals(Optional.of(KernelFamily.GEMM))) {
                stale.add(key);
                continue;
            }
            if (family.isEmpty()) {
                warnOnce("tuning file " + file + ": entry " + key + " names no kernel family (gemm, depthwise, "
                        + "deform-gemm); the entry is ignored");
                continue;
            }
            if (!family.get().isClassKey(cls)) {
                warnOnce("tuning file " + file + ": entry " + key + " names an unknown " + family.get()
                        + " problem class '" + cls + "'; the entry is ignored");
                continue;
            }
            String basis = p.getProperty(key + ".basis", "");
            Optional<String> elsewhere = problemOfAnotherClass(family.get(), cls, basis);
            if (elsewhere.isPresent()) {
                reclassified.add(key + " (" + elsewhere.get() + ")");
                continue;
            }
            try {
                String cfg = canonical(family.get(), p.getProperty(key));
                double gflops = Double.parseDouble(p.getProperty(key + ".gflops", "NaN"));
                entries.put(entryKey(family.get(), cls), new Entry(cfg, gflops, basis,
                        perProblem(file, key, family.get(), cls, p.getProperty(key + PROBLEMS, "")),
                        untried(file, key, family.get(), p.getProperty(key + UNTRIED, ""))));
            } catch (IllegalArgumentException e) {
                warnOnce("tuning file " + file + ": entry " + key + "=" + p.getProperty(key) + " is corrupt ("
                        + e.getMessage() + "); the entry is ignored, its class keeps the defaults");
            }
        }
        if (!stale.isEmpty()) {
            Collections.sort(stale);
            warnOnce("tuning file " + file + " has format=" + format + ": its GEMM tiles (" + String.join(", ", stale)
                    + ") were ranked with the weights packed on every call, which bound weights never pay; they are "
                    + "ignored and those classes keep the defaults until tuned again (`convcl tune`, or automatic "
                    + "tuning)");
        }
        if (!reclassified.isEmpty()) {
            Collections.sort(reclassified);
            warnOnce("tuning file " + file + ": entries " + String.join(", ", reclassified) + " were tuned on problems "
                    + "that are not of their class (a file written before GEMM's -smallhw classes counted the pixels of "
                    + "the whole batch, or before 1x1 layers with a sum became pointwise-sum or pointwise-strided-sum, or edited by hand); they are ignored and those "
                    + "classes keep the defaults until tuned again (`convcl tune`, or "
                    + "automatic tuning)");
        }
        LOG.debug("tuning file {}: {} entries", file, entries.size());
        return new TuningTable(device.name(), device.platformName(), device.driverVersion(), entries);
    }

    /**
     * A problem of {@code basis} (one-line forms separated by {@code ;}) whose class is not
     * {@code cls}, if any: the entry was tuned when the classes were drawn differently. Basis text
     * that does not parse is no evidence either way (a hand-written entry) and is passed over.
     */
    private static Optional<String> problemOfAnotherClass(KernelFamily family, String cls, String basis) {
        for (String line : basis.split(PROBLEM_SEPARATOR)) {
            try {
                if (!line.isBlank() && Operation.parse(line.trim()) instanceof Convolution spec
                        && KernelFamily.of(spec) == family && !family.classKey(spec).equals(cls)) {
                    return Optional.of(problemKey(spec) + " is " + family.classKey(spec));
                }
            } catch (IllegalArgumentException e) {
                // not a problem's one-line form: no evidence
            }
        }
        return Optional.empty();
    }

    /**
     * Reads an {@code .untried} property ({@code <config>; ...}), each candidate in its canonical
     * form; one that does not read is left out with a WARN (the entry and the others are kept).
     */
    private static List<String> untried(Path file, String key, KernelFamily family, String text) {
        List<String> list = new ArrayList<>();
        for (String c : text.split(UNTRIED_SEPARATOR)) {
            if (c.isBlank()) {
                continue;
            }
            try {
                list.add(canonical(family, c));
            } catch (IllegalArgumentException e) {
                warnOnce("tuning file " + file + ": candidate '" + c.trim() + "' left untried by " + key + " is corrupt ("
                        + e.getMessage() + "); it is ignored (the file keeps it until the class is tuned again)");
            }
        }
        return list;
    }

    /**
     * Reads a {@code .problems} property ({@code <problem> -> <config>; ...}); a pair that does
     * not read is left out with a WARN, the others kept.
     */
    private static Map<String, String> perProblem(Path file, String key, KernelFamily family, String cls, String text) {
        Map<String, String> m = new TreeMap<>();
        for (String pair : text.split(PROBLEM_SEPARATOR)) {
            if (pair.isBlank()) {
                continue;
            }
            try {
                int arrow = pair.indexOf(PROBLEM_ARROW);
                if (arrow < 0) {
                    throw new IllegalArgumentException("expected <problem> -> <config>");
                }
                m.put(problemKeyIn(family, cls, pair.substring(0, arrow)),
                        canonical(family, pair.substring(arrow + PROBLEM_ARROW.length())));
            } catch (IllegalArgumentException e) {
                warnOnce("tuning file " + file + ": per-problem entry '" + pair.trim() + "' of " + key
                        + " is corrupt (" + e.getMessage() + "); it is ignored, the problem takes the class's tile");
            }
        }
        return m;
    }

    /**
     * The {@link #problemKey} of the problem written as {@code line}, any one-line form of it.
     *
     * @throws IllegalArgumentException when it does not parse or is not a problem of {@code family}'s class {@code cls}
     */
    private static String problemKeyIn(KernelFamily family, String cls, String line) {
        if (!(Operation.parse(line.trim()) instanceof Convolution spec) || KernelFamily.of(spec) != family) {
            throw new IllegalArgumentException("the problem is not a " + family.key() + " problem");
        }
        if (!family.classKey(spec).equals(cls)) {
            throw new IllegalArgumentException("the problem is of class " + family.classKey(spec) + ", not " + cls);
        }
        return problemKey(spec);
    }

    private static void warnOnce(String msg) {
        if (WARNED.add(msg)) {
            LOG.warn(msg);
        }
    }

    /** The key of an entry in {@link #entries()}: {@code <family>.<class>}. */
    static String entryKey(KernelFamily family, String classKey) {
        return family.key() + "." + classKey;
    }

    private static TuningTable ignored(Path file, OpenClDeviceInfo device, String why) {
        return ignored(file, device, why, "run `convcl tune` to rewrite it");
    }

    private static TuningTable ignored(Path file, OpenClDeviceInfo device, String why, String advice) {
        warnOnce("tuning file " + file + " " + why + "; using the default tiles (" + advice + ")");
        return empty(device);
    }

    /** The table of {@code device} as the implementations read it (default folder). */
    static TuningTable forDevice(OpenClDeviceInfo device) {
        return load(device);
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    /** The tuned GEMM entry for a class key ({@code dense}, {@code dense-smallhw}, ...), if any. */
    public Optional<Entry> get(String classKey) {
        return get(KernelFamily.GEMM, classKey);
    }

    /** The tuned entry of {@code family} for a class key, if any. */
    Optional<Entry> get(KernelFamily family, String classKey) {
        return Optional.ofNullable(entries.get(entryKey(family, classKey)));
    }

    /** A copy with GEMM entry {@code entry} for {@code classKey}. */
    public TuningTable with(String classKey, Entry entry) {
        return with(KernelFamily.GEMM, classKey, entry);
    }

    /**
     * A copy with {@code entry} for {@code family}'s class {@code classKey}; its per-problem
     * keys may be any one-line form of the problem (made {@link #problemKey}s).
     *
     * @throws IllegalArgumentException when the class is not one of the family's, a configuration
     *                                  is not the family's, or a per-problem key is not a problem
     *                                  of the class
     */
    TuningTable with(KernelFamily family, String classKey, Entry entry) {
        if (!family.isClassKey(classKey)) {
            throw new IllegalArgumentException(family + " problem class '" + classKey + "' is unknown");
        }
        Map<String, String> perProblem = new TreeMap<>();
        entry.perProblem().forEach((problem, tile) ->
                perProblem.put(problemKeyIn(family, classKey, problem), canonical(family, tile)));
        Entry canonical = new Entry(canonical(family, entry.config()), entry.gflops(), entry.basis(), perProblem,
                entry.untried().stream().map(c -> canonical(family, c)).toList());
        Map<String, Entry> m = new TreeMap<>(entries);
        m.put(entryKey(family, classKey), canonical);
        return new TuningTable(deviceName, platformName, driverVersion, m);
    }

    private static String canonical(KernelFamily family, String config) {
        return DEFAULTS.equalsIgnoreCase(config.trim()) ? DEFAULTS : family.canonical(config);
    }

    /**
     * Whether an entry applies to {@code spec}: a tile of its class (for this problem, or the
     * class's) that {@code device} can run, or {@link #DEFAULTS}. With {@link #complete}, what
     * automatic tuning counts as tuned (a class whose entry this problem cannot run is tuned for it).
     */
    boolean covers(KernelFamily family, Convolution spec, OpenClDeviceInfo device) {
        return applicable(family, spec, device).isPresent();
    }

    /**
     * Whether the class of {@code spec} has an entry whose tuning tried every candidate (no
     * {@link Entry#untried}); false without an entry. Automatic tuning takes up a class that is
     * covered but not complete again, once per backend, where the last one stopped (a first use on
     * a machine whose compiler caches are cold may have time for little more than the defaults).
     */
    boolean complete(KernelFamily family, Convolution spec) {
        return get(family, family.classKey(spec)).map(e -> e.untried().isEmpty()).orElse(false);
    }

    /**
     * The tuned configuration of {@code family} for {@code spec}: its class's tile for this very
     * problem, else the class's tile; a tile {@code device} cannot run is skipped with a WARN.
     * Empty when none applies or the first that does is {@link #DEFAULTS}.
     */
    Optional<String> tuned(KernelFamily family, Convolution spec, OpenClDeviceInfo device) {
        return applicable(family, spec, device).filter(c -> !DEFAULTS.equals(c));
    }

    /**
     * The first that applies (a tile the device runs, or DEFAULTS) of the class's tile for this
     * very problem and the class's tile, each fitted to the problem ({@link KernelFamily#fitted}:
     * the tuner timed them fitted too). Not the tile of another class (the base class of a
     * {@code -smallhw} one): a tile measured on other sizes can run far off its best (ResNet-18's
     * fully connected layer, a 1x1 on 1x1 pixels, 4.5x slower on the {@code pointwise} tile than
     * on its default); the device's rule is the better guess for a class not tuned.
     */
    private Optional<String> applicable(KernelFamily family, Convolution spec, OpenClDeviceInfo device) {
        String problem = problemKey(spec);
        String key = family.classKey(spec);
        Entry e = entries.get(entryKey(family, key));
        if (e != null) {
            String own = e.perProblem().get(problem);
            for (boolean perProblem : own == null ? new boolean[] {false} : new boolean[] {true, false}) {
                String text = perProblem ? own : e.config();
                if (DEFAULTS.equals(text)) {
                    return Optional.of(DEFAULTS);
                }
                String config = family.fitted(spec, text);
                Optional<String> why = family.unsuitable(spec, config, device);
                if (why.isEmpty()) {
                    return Optional.of(config);
                }
                if (!config.equals(text) && family.unsuitable(spec, text, device).isEmpty()) {
                    // fitted, a tile may stage more input (rows for the vectors it dropped) than the
                    // device's local memory holds, where the tile as tuned fits
                    return Optional.of(text);
                }
                String msg = "tuning entry " + entryKey(family, key) + "=" + text
                        + (perProblem ? " (the tile of " + problem + ")" : "") + " cannot run on " + device.describe()
                        + " (" + why.get() + "); using " + (perProblem ? "the class's tile" : "the default") + " for " + spec;
                if (family.outOfShape(spec, config)) {
                    // a kernel made for some shapes of the class (depthwise-plane: stride 1; depthwise-map:
                    // rows of a few vectors, at most 81 taps): the class's other shapes take the default,
                    // as they should, nothing to warn about
                    LOG.debug(msg);
                } else {
                    warnOnce(msg);
                }
            }
        }
        return Optional.empty();
    }

    /** The tuned configuration of {@code family} for {@code spec}, else the device's default (if one fits). */
    Optional<String> configOrDefault(KernelFamily family, Convolution spec, OpenClDeviceInfo device) {
        Optional<String> t = tuned(family, spec, device);
        return t.isPresent() ? t : family.defaultConfig(spec, device);
    }

    /**
     * The GEMM tile for {@code spec} on {@code device}: its class's tile for this problem, else
     * the class's, else the device's default ({@link DeviceProfile#gemm}), skipping tiles the
     * device cannot run.
     */
    public GemmConfig configFor(Convolution spec, OpenClDeviceInfo device) {
        return GemmConfig.parse(configOrDefault(KernelFamily.GEMM, spec, device).orElseThrow());
    }

    /** Writes the table to its file in {@code dir} (atomically replacing an older one) and returns the path. */
    public Path save(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve("tuning-" + deviceHash(deviceName, platformName, driverVersion) + ".properties");
        StringBuilder sb = new StringBuilder();
        sb.append("# convcl tuning table: the fastest tile per kernel family and problem class on one device,\n")
                .append("# measured by `convcl tune` (or automatic tuning); 'defaults': the device's default tile of\n")
                .append("# each problem won. Delete this file to return to the defaults.\n")
                .append("# <family>.<class>=<config>; .gflops = what it reached; .basis = the problems timed;\n")
                .append("# .problems = <problem> -> <config>; ...: problems of the basis that ran clearly faster on\n")
                .append("# another tile than on the class's (what they use instead); .untried = <config>; ...: the\n")
                .append("# candidates the budget of automatic tuning left out (tried on a later first use, after\n")
                .append("# the defaults and the class's tile).\n")
                .append("format=").append(FORMAT).append('\n')
                .append("device=").append(escape(deviceName)).append('\n')
                .append("platform=").append(escape(platformName)).append('\n')
                .append("driver=").append(escape(driverVersion)).append('\n');
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            String k = e.getKey();
            sb.append(k).append('=').append(e.getValue().config()).append('\n');
            sb.append(k).append(".gflops=").append(String.format(java.util.Locale.ROOT, "%.1f", e.getValue().gflops())).append('\n');
            sb.append(k).append(".basis=").append(escape(e.getValue().basis())).append('\n');
            if (!e.getValue().untried().isEmpty()) {
                sb.append(k).append(UNTRIED).append('=').append(escape(String.join(UNTRIED_SEPARATOR + " ",
                        e.getValue().untried()))).append('\n');
            }
            if (!e.getValue().perProblem().isEmpty()) {
                sb.append(k).append(PROBLEMS).append('=').append(escape(e.getValue().perProblem().entrySet().stream()
                        .map(p -> p.getKey() + " " + PROBLEM_ARROW + " " + p.getValue())
                        .collect(java.util.stream.Collectors.joining(PROBLEM_SEPARATOR + " ")))).append('\n');
            }
        }
        Path tmp = Files.createTempFile(dir, "tuning", ".tmp");
        try {
            Files.writeString(tmp, sb, StandardCharsets.UTF_8);
            readableAsItsFolder(tmp, dir);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return file;
    }

    /**
     * A temporary file is owner-only; a tuning file, meant to be copied between machines and users
     * as bench's reports are, gets the read bits its folder grants (a private cache stays private).
     */
    private static void readableAsItsFolder(Path file, Path dir) throws IOException {
        try {
            Set<PosixFilePermission> folder = Files.getPosixFilePermissions(dir);
            Set<PosixFilePermission> mode = EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
            if (folder.contains(PosixFilePermission.GROUP_READ)) {
                mode.add(PosixFilePermission.GROUP_READ);
            }
            if (folder.contains(PosixFilePermission.OTHERS_READ)) {
                mode.add(PosixFilePermission.OTHERS_READ);
            }
            Files.setPosixFilePermissions(file, mode);
        } catch (UnsupportedOperationException notPosix) {
            // keep what the file system gave
        }
    }

    /** Escapes what {@link Properties#load(Reader)} would otherwise read differently. */
    private static String escape(String v) {
        StringBuilder sb = new StringBuilder(v.length());
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> sb.append(c);
            }
        }
        if (!sb.isEmpty() && sb.charAt(0) == ' ') {
            sb.insert(0, '\\');
        }
        return sb.toString();
    }
}
