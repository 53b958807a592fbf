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
 *   <li>{@link #lastLevel}: for {@code bench --batch}, whose smaller batches can find their
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

    /**
     * The size of a last-level cache, or why it is not known.
     *
     * @param bytes          the size in bytes; -1 when unknown
     * @param unknownBecause when unknown, why, in words that follow {@code last-level cache unknown: }
     *                       (e.g. {@code no /sys/devices/system/cpu/cpu0/cache entries}); null when known
     */
    public record LastLevel(long bytes, String unknownBecause) {
        /**
         * A cache of a known size.
         *
         * @param bytes the size in bytes, positive
         * @return the known size
         */
        public static LastLevel of(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("a cache of " + bytes + " bytes");
            }
            return new LastLevel(bytes, null);
        }

        /**
         * A cache whose size is not known.
         *
         * @param why why it is not known, in words that follow {@code last-level cache unknown: }
         * @return an unknown size ({@link #bytes()} -1) with its reason
         */
        public static LastLevel unknown(String why) {
            return new LastLevel(-1, why);
        }

        /**
         * Whether the size is known.
         *
         * @return true when {@link #bytes()} is positive
         */
        public boolean known() {
            return bytes > 0;
        }
    }

    /**
     * The last-level cache of this machine, from sysfs ({@link #lastLevel(Path)}).
     *
     * @return its size in bytes, or why it cannot be read (not Linux; a virtual machine without
     *         {@code cpu0/cache} entries)
     */
    public static LastLevel lastLevel() {
        return lastLevel(CPU0);
    }

    /**
     * The highest-level data or unified cache described under {@code dir} (sysfs layout).
     *
     * @param dir a folder laid out as {@code /sys/devices/system/cpu/cpu0/cache}
     * @return its size in bytes; else, why none can be read: {@code no <dir> entries} (the folder
     *         is missing, unreadable or holds no {@code index*} entry), or that none of its entries
     *         is a data or unified cache with a readable level and size
     */
    public static LastLevel lastLevel(Path dir) {
        Scan scan = scan(dir);
        if (!scan.levels().isEmpty()) {
            return LastLevel.of(scan.levels().lastEntry().getValue());
        }
        return LastLevel.unknown(scan.entries() == 0 ? "no " + dir + " entries"
                : "none of the " + scan.entries() + " entries of " + dir + " is a data or unified cache with a "
                        + "readable level and size");
    }

    /**
     * The size of the highest-level data or unified cache described under {@code dir} (sysfs
     * layout).
     *
     * @param dir a folder laid out as {@code /sys/devices/system/cpu/cpu0/cache}
     * @return the size in bytes; -1 when none can be read ({@link #lastLevel(Path)} says why)
     */
    public static long lastLevelBytes(Path dir) {
        return lastLevel(dir).bytes();
    }

    /** The L2 size described under {@code dir} (sysfs layout); 0 when none is described. */
    static long readL2(Path dir) {
        return scan(dir).levels().getOrDefault(2, 0L);
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
     * What a sysfs cache folder describes.
     *
     * @param levels  level to size in bytes of its data or unified caches
     * @param entries how many {@code index*} entries it has, usable or not
     */
    private record Scan(NavigableMap<Integer, Long> levels, int entries) {
    }

    /**
     * The data or unified caches under {@code dir}; an entry without readable {@code level},
     * {@code type} and {@code size} files says nothing and is skipped (but counted); none when the
     * folder cannot be read.
     */
    private static Scan scan(Path dir) {
        NavigableMap<Integer, Long> levels = new TreeMap<>();
        int count = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "index*")) {
            for (Path e : entries) {
                count++;
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
            // no such folder (not Linux, or a virtual machine that gives none): nothing is described
        }
        return new Scan(levels, count);
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
