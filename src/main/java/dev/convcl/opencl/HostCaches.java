package dev.convcl.opencl;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The host CPU's data caches, from Linux's {@code /sys/devices/system/cpu/cpu0/cache/index*}
 * ({@code level}, {@code type}, {@code size}; Data and Unified entries, never Instruction), and
 * a core's L2 from {@code /proc/cpuinfo} on AMD where sysfs has none ({@link #readL2(Path, Path)}). OpenCL
 * does not report them: {@code CL_DEVICE_GLOBAL_MEM_CACHE_SIZE} is the last level on POCL (105 MiB
 * of L3 on the Intel Xeon kind), and nothing gives a core's L2.
 *
 * <ul>
 *   <li>{@link #l2Bytes}: a core's L2, for kernels that a CPU OpenCL device (POCL) runs on these
 *       cores (the GEMM tiles' input and weight-panel prefetches, {@code GemmConvPlan.Geometry}).</li>
 *   <li>{@link #lastLevelBytes}: for {@code bench --batch}, whose smaller batches can find their
 *       whole data in that cache from one timed call to the next where larger ones cannot (a
 *       layer in a network reads what the layer before it has just written, so that is what a
 *       network sees too, as long as a layer's tensors fit).</li>
 * </ul>
 *
 * <p>A virtual machine reports its host's caches; other machines' cores may share the last level,
 * so the share this process gets can be smaller.
 */
public final class HostCaches {
    private static final Path CPU0 = Path.of("/sys/devices/system/cpu/cpu0/cache");
    private static final Path CPUINFO = Path.of("/proc/cpuinfo");
    private static final long L2 = readL2(CPU0, CPUINFO);

    private HostCaches() {
    }

    /**
     * Bytes of the L2 cache of one core: sysfs's, else {@code /proc/cpuinfo}'s on AMD (see
     * {@link #readL2(Path, Path)}); 0 when the system does not say.
     */
    static long l2Bytes() {
        return L2;
    }

    /** The last-level cache of this machine in bytes; -1 where it cannot be read (not Linux). */
    public static long lastLevelBytes() {
        return lastLevelBytes(CPU0);
    }

    /**
     * The size of the highest-level data or unified cache described under {@code dir} (sysfs
     * layout); -1 when none can be read.
     */
    public static long lastLevelBytes(Path dir) {
        NavigableMap<Integer, Long> levels = dataCaches(dir);
        return levels.isEmpty() ? -1 : levels.lastEntry().getValue();
    }

    /** The L2 size described under {@code dir} (sysfs layout); 0 when none is described. */
    static long readL2(Path dir) {
        return dataCaches(dir).getOrDefault(2, 0L);
    }

    /**
     * The L2 size described under {@code dir} (sysfs layout) or, where that folder describes none,
     * the {@code cache size} of {@code cpuinfo} (Linux's {@code /proc/cpuinfo}) on an AMD or
     * Hygon CPU; 0 when neither says. Some virtual machines (the 2-core AMD EPYC Zen 5 kind) have
     * no {@code cpu0/cache} entries. Linux fills {@code cache size} from CPUID leaf 0x80000006,
     * the L2 of one core, and leaves it so on AMD; on Intel it replaces it with the L3 (105 MiB on
     * the Intel Xeon kind), so there it is not read.
     */
    static long readL2(Path dir, Path cpuinfo) {
        long sysfs = readL2(dir);
        return sysfs > 0 ? sysfs : cpuinfoL2(cpuinfo);
    }

    /** The first processor's {@code cache size} in {@code cpuinfo} where its vendor is AMD or Hygon, else 0. */
    static long cpuinfoL2(Path cpuinfo) {
        String vendor = null;
        long size = 0;
        try {
            for (String line : Files.readAllLines(cpuinfo)) {
                if (line.isBlank()) {
                    break; // the end of the first processor's entry
                }
                int colon = line.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String key = line.substring(0, colon).trim();
                String value = line.substring(colon + 1).trim();
                if (key.equals("vendor_id")) {
                    vendor = value;
                } else if (key.equals("cache size")) {
                    // "1024 KB"
                    size = size(value.replace(" ", "").replace("B", ""));
                }
            }
        } catch (IOException e) {
            return 0; // not Linux
        }
        boolean amd = "AuthenticAMD".equals(vendor) || "HygonGenuine".equals(vendor);
        return amd ? size : 0;
    }

    /**
     * Level to size in bytes of the data or unified caches under {@code dir}; an entry without
     * readable {@code level}, {@code type} and {@code size} files says nothing and is skipped;
     * empty when the folder cannot be read.
     */
    private static NavigableMap<Integer, Long> dataCaches(Path dir) {
        NavigableMap<Integer, Long> levels = new TreeMap<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "index*")) {
            for (Path e : entries) {
                try {
                    if (Files.readString(e.resolve("type")).trim().equalsIgnoreCase("Instruction")) {
                        continue;
                    }
                    int level = Integer.parseInt(Files.readString(e.resolve("level")).trim());
                    long size = parseSize(Files.readString(e.resolve("size")));
                    if (size > 0) {
                        levels.put(level, size);
                    }
                } catch (IOException | NumberFormatException ignored) {
                    // an entry without those files (or with others) says nothing about the caches
                }
            }
        } catch (IOException e) {
            // no such folder (not Linux): nothing is described
        }
        return levels;
    }

    /** {@code 32768K}, {@code 1M}, {@code 512} (bytes) as sysfs writes cache sizes; -1 if not one. */
    public static long parseSize(String text) {
        String t = text.trim().toUpperCase(Locale.ROOT);
        long unit = 1;
        if (t.endsWith("K")) {
            unit = 1L << 10;
        } else if (t.endsWith("M")) {
            unit = 1L << 20;
        } else if (t.endsWith("G")) {
            unit = 1L << 30;
        }
        if (unit != 1) {
            t = t.substring(0, t.length() - 1);
        }
        try {
            long v = Long.parseLong(t);
            return v > 0 ? v * unit : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** {@link #parseSize}, with 0 for a text that is not a size. */
    static long size(String text) {
        return Math.max(0, parseSize(text));
    }
}
