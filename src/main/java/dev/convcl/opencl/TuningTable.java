package dev.convcl.opencl;

import dev.convcl.CacheDir;
import dev.convcl.Convolution;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The GEMM tile chosen by the {@link Tuner} for each {@link ProblemClass} on one device, kept in a
 * human-readable properties file {@code tuning-<hash>.properties} in {@link CacheDir#tuning()}
 * ({@code tuning/} under the cache root),
 * the hash taken over the device name, platform and driver version. The file also names the
 * device, so a file copied from another machine is recognised as foreign.
 *
 * <p>A missing file means the built-in defaults ({@code GemmDefaults}); a corrupt or foreign file
 * also falls back to the defaults, with one WARN line naming the file and the problem. Instances
 * are immutable.
 */
public final class TuningTable {
    private static final Logger LOG = LoggerFactory.getLogger(TuningTable.class);
    /** Version of the file layout; a file of another version is ignored. */
    public static final int FORMAT = 1;
    /** Files already warned about, so a bad file costs one log line, not one per plan. */
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    /**
     * One class's winner.
     *
     * @param config the tile
     * @param gflops what it reached while tuning (GFLOP/s over the class's problems)
     * @param basis  the problems it was timed on, in one-line form separated by {@code ;}
     */
    public record Entry(GemmConfig config, double gflops, String basis) {
        public Entry {
            if (config == null) {
                throw new IllegalArgumentException("tuning entry needs a config");
            }
            basis = basis == null ? "" : basis;
        }
    }

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
        } catch (IOException | IllegalArgumentException e) {
            return ignored(file, device, "cannot be read (" + e.getMessage() + ")");
        }
        String format = p.getProperty("format");
        if (!Integer.toString(FORMAT).equals(format)) {
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
        for (String key : p.stringPropertyNames()) {
            if (!key.startsWith("class.") || key.endsWith(".gflops") || key.endsWith(".basis")) {
                continue;
            }
            String cls = key.substring("class.".length());
            if (!ProblemClass.isKey(cls)) {
                return ignored(file, device, "names an unknown problem class '" + cls + "'");
            }
            try {
                GemmConfig cfg = GemmConfig.parse(p.getProperty(key));
                double gflops = Double.parseDouble(p.getProperty(key + ".gflops", "NaN"));
                entries.put(cls, new Entry(cfg, gflops, p.getProperty(key + ".basis", "")));
            } catch (IllegalArgumentException e) {
                return ignored(file, device, "has a bad entry " + key + ": " + e.getMessage());
            }
        }
        LOG.debug("tuning file {}: {} classes", file, entries.size());
        return new TuningTable(device.name(), device.platformName(), device.driverVersion(), entries);
    }

    private static TuningTable ignored(Path file, OpenClDeviceInfo device, String why) {
        String msg = "tuning file " + file + " " + why + "; using the default GEMM tiles (run `convcl tune` to rewrite it)";
        if (WARNED.add(msg)) {
            LOG.warn(msg);
        }
        return empty(device);
    }

    /** The table of {@code device} as {@link KernelSelector} sees it (default folder). */
    static TuningTable forDevice(OpenClDeviceInfo device) {
        return load(device);
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    /** The tuned entry for a class key ({@code dense}, {@code dense-smallhw}, ...), if any. */
    public Optional<Entry> get(String classKey) {
        return Optional.ofNullable(entries.get(classKey));
    }

    /** A copy with {@code entry} for {@code classKey}. */
    public TuningTable with(String classKey, Entry entry) {
        if (!ProblemClass.isKey(classKey)) {
            throw new IllegalArgumentException("problem class '" + classKey + "' is unknown");
        }
        Map<String, Entry> m = new TreeMap<>(entries);
        m.put(classKey, entry);
        return new TuningTable(deviceName, platformName, driverVersion, m);
    }

    /**
     * The tile for {@code spec} on {@code device}: the entry of its exact class, else of its base
     * class, else the default for the device's style, skipping entries the device cannot run.
     */
    public GemmConfig configFor(Convolution spec, OpenClDeviceInfo device) {
        String exact = ProblemClass.keyOf(spec);
        for (String key : new String[] {exact, ProblemClass.of(spec).key()}) {
            Entry e = entries.get(key);
            if (e != null && GemmConvPlan.unsuitableReason(spec, e.config(), device).isEmpty()) {
                return e.config();
            }
        }
        return GemmDefaults.of(spec, GemmDefaults.cpuLike(device), GemmDefaults.nativeWidth(device));
    }

    /** Writes the table to its file in {@code dir} (atomically replacing an older one) and returns the path. */
    public Path save(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve("tuning-" + deviceHash(deviceName, platformName, driverVersion) + ".properties");
        StringBuilder sb = new StringBuilder();
        sb.append("# convcl tuning table: the fastest implicit-GEMM tile per problem class on one device,\n")
                .append("# measured by `convcl tune`. Delete this file to return to the built-in defaults.\n")
                .append("# class.<class>=<config>; .gflops = what it reached; .basis = the problems timed.\n")
                .append("format=").append(FORMAT).append('\n')
                .append("device=").append(escape(deviceName)).append('\n')
                .append("platform=").append(escape(platformName)).append('\n')
                .append("driver=").append(escape(driverVersion)).append('\n');
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            String k = "class." + e.getKey();
            sb.append(k).append('=').append(e.getValue().config()).append('\n');
            sb.append(k).append(".gflops=").append(String.format(java.util.Locale.ROOT, "%.1f", e.getValue().gflops())).append('\n');
            sb.append(k).append(".basis=").append(escape(e.getValue().basis())).append('\n');
        }
        Path tmp = Files.createTempFile(dir, "tuning", ".tmp");
        try {
            Files.writeString(tmp, sb, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return file;
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
