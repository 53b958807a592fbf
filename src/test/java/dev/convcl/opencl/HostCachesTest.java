package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link HostCaches}: Linux's cache description read from a folder laid out as sysfs is. */
class HostCachesTest {

    @Test
    void sizesInSysfsUnits() {
        assertEquals(2048L << 10, HostCaches.size("2048K"));
        assertEquals(1L << 20, HostCaches.size("1M\n"));
        assertEquals(512, HostCaches.size("512"));
        assertEquals(0, HostCaches.size(""));
        assertEquals(0, HostCaches.size("big"));
        assertEquals(0, HostCaches.size("-4K"));
    }

    @Test
    void theLevelTwoDataOrUnifiedCache(@TempDir Path dir) throws IOException {
        index(dir, 0, "1", "Data", "48K");
        index(dir, 1, "1", "Instruction", "32K");
        index(dir, 2, "2", "Unified", "2048K");
        index(dir, 3, "3", "Unified", "107520K");
        assertEquals(2048L << 10, HostCaches.readL2(dir));
    }

    @Test
    void noneDescribedIsZero(@TempDir Path dir) throws IOException {
        assertEquals(0, HostCaches.readL2(dir.resolve("missing")));
        index(dir, 0, "1", "Data", "32K");
        assertEquals(0, HostCaches.readL2(dir));
        index(dir, 1, "2", "Unified", "garbled");
        assertEquals(0, HostCaches.readL2(dir));
    }

    private static void index(Path dir, int i, String level, String type, String size) throws IOException {
        Path d = Files.createDirectories(dir.resolve("index" + i));
        Files.writeString(d.resolve("level"), level + "\n");
        Files.writeString(d.resolve("type"), type + "\n");
        Files.writeString(d.resolve("size"), size + "\n");
    }
}
