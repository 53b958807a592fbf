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

    @Test
    void amdCpuinfoGivesTheL2WhereSysfsHasNone(@TempDir Path dir) throws IOException {
        Path cpuinfo = cpuinfo(dir, "AuthenticAMD", "1024 KB");
        assertEquals(1L << 20, HostCaches.readL2(dir.resolve("missing"), cpuinfo));
        assertEquals(512L << 10, HostCaches.readL2(dir.resolve("missing"), cpuinfo(dir, "HygonGenuine", "512 KB")));
        index(dir, 2, "2", "Unified", "2048K");
        assertEquals(2048L << 10, HostCaches.readL2(dir, cpuinfo), "sysfs's entry comes first");
    }

    @Test
    void intelCpuinfoCacheSizeIsTheLastLevelAndIsNotRead(@TempDir Path dir) throws IOException {
        Path cpuinfo = cpuinfo(dir, "GenuineIntel", "107520 KB");
        assertEquals(0, HostCaches.readL2(dir.resolve("missing"), cpuinfo));
        assertEquals(0, HostCaches.readL2(dir.resolve("missing"), dir.resolve("no-cpuinfo")));
        assertEquals(0, HostCaches.readL2(dir.resolve("missing"), cpuinfo(dir, "AuthenticAMD", "unknown")));
    }

    /** A two-processor cpuinfo whose second entry would say otherwise: only the first is read. */
    private static Path cpuinfo(Path dir, String vendor, String cacheSize) throws IOException {
        String entry = "processor\t: %d\nvendor_id\t: %s\ncpu family\t: 26\nmodel name\t: AMD EPYC\n"
                + "cache size\t: %s\nflags\t\t: fpu avx2\n\n";
        Path p = dir.resolve("cpuinfo");
        Files.writeString(p, String.format(entry, 0, vendor, cacheSize) + String.format(entry, 1, "Other", "1 KB"));
        return p;
    }

    private static void index(Path dir, int i, String level, String type, String size) throws IOException {
        Path d = Files.createDirectories(dir.resolve("index" + i));
        Files.writeString(d.resolve("level"), level + "\n");
        Files.writeString(d.resolve("type"), type + "\n");
        Files.writeString(d.resolve("size"), size + "\n");
    }
}
