package dev.convcl.opencl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The host CPU's per-core L2 cache, for kernels that a CPU OpenCL device (POCL) runs on these
 * cores. OpenCL does not report it: {@code CL_DEVICE_GLOBAL_MEM_CACHE_SIZE} is the last level on
 * POCL (105 MiB of L3 on the Intel Xeon kind). Read once from Linux's
 * {@code /sys/devices/system/cpu/cpu0/cache/index*} (level 2, type Unified or Data).
 */
final class HostCaches {
    private static final long L2 = readL2(Path.of("/sys/devices/system/cpu/cpu0/cache"));

    private HostCaches() {
    }

    /** Bytes of the L2 cache of one core; 0 when the system does not say (not Linux, no sysfs). */
    static long l2Bytes() {
        return L2;
    }

    /** The L2 size described under {@code cacheDir} (sysfs layout); 0 when none is described. */
    static long readL2(Path cacheDir) {
        for (int i = 0; i < 8; i++) {
            Path index = cacheDir.resolve("index" + i);
            try {
                if (!Files.isDirectory(index) || !read(index.resolve("level")).equals("2")) {
                    continue;
                }
                String type = read(index.resolve("type"));
                if (type.equals("Instruction")) {
                    continue;
                }
                return size(read(index.resolve("size")));
            } catch (IOException | RuntimeException e) {
                return 0;
            }
        }
        return 0;
    }

    /** sysfs's size ("2048K", "1M", "512"), in bytes; 0 when it is not one. */
    static long size(String s) {
        String t = s.trim().toUpperCase(Locale.ROOT);
        long unit = 1;
        if (t.endsWith("K")) {
            unit = 1L << 10;
        } else if (t.endsWith("M")) {
            unit = 1L << 20;
        } else if (t.endsWith("G")) {
            unit = 1L << 30;
        }
        if (unit > 1) {
            t = t.substring(0, t.length() - 1);
        }
        try {
            long v = Long.parseLong(t);
            return v > 0 ? v * unit : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.US_ASCII).trim();
    }
}
