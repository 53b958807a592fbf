package dev.convcl.cli;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The size of the machine's last-level CPU cache, from Linux's {@code
 * /sys/devices/system/cpu/cpu0/cache/index*} ({@code level}, {@code type}, {@code size}): the
 * largest level that holds data (Data or Unified). For {@code bench --batch}, whose smaller batches
 * can find their whole data in that cache from one timed call to the next where larger ones
 * cannot (a layer in a network reads what the layer before it has just written, so that is what a
 * network sees too, as long as a layer's tensors fit).
 *
 * <p>A virtual machine reports its host's cache, which other machines' cores may share, so the
 * share this process gets can be smaller.
 */
final class CacheSizes {
    private static final Path CPU0 = Path.of("/sys/devices/system/cpu/cpu0/cache");

    private CacheSizes() {
    }

    /** The last-level cache of this machine in bytes; -1 where it cannot be read (not Linux). */
    static long lastLevelBytes() {
        return lastLevelBytes(CPU0);
    }

    /**
     * The size of the highest-level data or unified cache described under {@code dir} (entries
     * {@code index0}, {@code index1}, ... each with {@code level}, {@code type} and {@code size}
     * files, as Linux's sysfs has them); -1 when none can be read.
     */
    static long lastLevelBytes(Path dir) {
        int bestLevel = -1;
        long best = -1;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "index*")) {
            for (Path e : entries) {
                try {
                    String type = Files.readString(e.resolve("type")).trim();
                    if (type.equalsIgnoreCase("Instruction")) {
                        continue;
                    }
                    int level = Integer.parseInt(Files.readString(e.resolve("level")).trim());
                    long size = parseSize(Files.readString(e.resolve("size")).trim());
                    if (size > 0 && level > bestLevel) {
                        bestLevel = level;
                        best = size;
                    }
                } catch (IOException | NumberFormatException ignored) {
                    // an entry without those files (or with others) says nothing about the caches
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return best;
    }

    /** {@code 32768K}, {@code 1M}, {@code 512} (bytes) as sysfs writes cache sizes; -1 if not one. */
    static long parseSize(String text) {
        String t = text.trim().toUpperCase(Locale.ROOT);
        long unit = 1;
        if (t.endsWith("K")) {
            unit = 1024;
        } else if (t.endsWith("M")) {
            unit = 1024 * 1024;
        } else if (t.endsWith("G")) {
            unit = 1024L * 1024 * 1024;
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
}
