package dev.convcl.cli;

import dev.convcl.CacheDir;
import dev.convcl.opencl.OpenClDeviceInfo;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measured peaks kept between runs, one {@code peak-<hash>.properties} a device in
 * {@link CacheDir#peak()} ({@code peak/} under the cache root). The hash covers what identifies
 * the device and its driver, so a new driver or machine is measured afresh. Only stable
 * measurements are put here ({@link PeakRepeats}). A folder that cannot be written only means
 * measuring again next time.
 */
final class PeakCache {
    private static final Logger LOG = LoggerFactory.getLogger(PeakCache.class);
    /**
     * Version of the way peaks are measured, part of every key: a figure measured the old way
     * (version 1: one float16 x 16 shape whatever the device, never repeated) is not reused.
     */
    static final int METHOD = 2;

    private final Path dir;

    PeakCache(Path dir) {
        this.dir = dir;
    }

    static PeakCache standard() {
        return new PeakCache(CacheDir.peak());
    }

    /** What identifies an OpenCL device's peak: name, platform, driver, size and clock. */
    static String key(OpenClDeviceInfo d) {
        return "opencl|method=" + METHOD + "|" + d.name() + "|" + d.platformName() + "|" + d.driverVersion() + "|" + d.computeUnits()
                + "|" + d.clockMhz();
    }

    /**
     * What identifies the Java path's peak: the processor, the thread count, the JVM and whether
     * it has the Vector API (which has a loop of its own).
     */
    static String javaKey(int threads) {
        return "java|method=" + METHOD + "|" + cpuModel() + "|" + threads + "|" + System.getProperty("os.arch") + "|"
                + System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version") + "|vector-api="
                + ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    Path file(String key) {
        return dir.resolve("peak-" + sha256(key).substring(0, 16) + ".properties");
    }

    /**
     * A cached peak and when it was measured.
     *
     * @param result   the peak
     * @param measured when it was measured (the entry's {@code measured} time); null when the entry
     *                 does not say or says it in a form that is not an ISO-8601 instant
     */
    record Entry(Peak.Result result, Instant measured) {
    }

    /** The peak cached under {@code key}, if any. */
    Optional<Peak.Result> get(String key) {
        return entry(key).map(Entry::result);
    }

    /**
     * The entry cached under {@code key}.
     *
     * @return its peak and the time it was measured; empty when there is none, or it is another
     *         key's or unreadable
     */
    Optional<Entry> entry(String key) {
        Path f = file(key);
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
            p.load(r);
            if (!key.equals(p.getProperty("key"))) {
                return Optional.empty();
            }
            Peak.Result peak = new Peak.Result(p.getProperty("device"), Double.parseDouble(p.getProperty("gflops")),
                    Double.parseDouble(p.getProperty("gb_per_s")), p.getProperty("fma_config", ""));
            return Optional.of(new Entry(peak, instant(p.getProperty("measured"))));
        } catch (IOException | RuntimeException e) {
            LOG.debug("peak cache {} unusable ({}); measuring again", f, e.toString());
            return Optional.empty();
        }
    }

    /** Keeps a stable measurement; an unstable one is refused (its figure would flatter every share). */
    void put(String key, Peak.Measured m) {
        if (!m.stable()) {
            throw new IllegalArgumentException("an unstable peak is not cached: " + m.fma().reason() + " " + m.bandwidth().reason());
        }
        Peak.Result r = m.result();
        Properties p = new Properties();
        p.setProperty("key", key);
        p.setProperty("device", r.device());
        p.setProperty("gflops", String.format(Locale.ROOT, "%.3f", r.gflops()));
        p.setProperty("gb_per_s", String.format(Locale.ROOT, "%.3f", r.gbPerS()));
        p.setProperty("fma_config", r.fmaConfig());
        p.setProperty("fma_tried", m.tried());
        p.setProperty("fma_repeats", m.fma().describe("GFLOP/s"));
        p.setProperty("bandwidth_repeats", m.bandwidth().describe("GB/s"));
        p.setProperty("measured", Instant.now().toString());
        try {
            Files.createDirectories(dir);
            StringWriter text = new StringWriter();
            p.store(text, "convcl peak: measured fp32 FMA rate and memory bandwidth");
            AtomicFiles.writeString(file(key), text.toString());
        } catch (IOException | RuntimeException e) {
            LOG.debug("peak not cached in {} ({})", dir, e.toString());
        }
    }

    /** {@code text} as an instant, or null when it is missing or not one (the peak is still usable). */
    private static Instant instant(String text) {
        if (text == null) {
            return null;
        }
        try {
            return Instant.parse(text.trim());
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: the other fields still tell machines apart reasonably
        }
        return System.getProperty("os.name");
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }
}
