package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convcl.opencl.TuningTable;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One cache root, chosen one way, with the same subfolders whichever way it was chosen. */
class CacheDirTest {
    @TempDir
    Path dir;

    private final Map<String, String> props = new HashMap<>(Map.of("user.home", "/home/u"));
    private final Map<String, String> env = new HashMap<>();

    private Path root() {
        return CacheDir.root(props::get, env::get);
    }

    @AfterEach
    void restore() {
        System.clearProperty(CacheDir.PROPERTY);
    }

    @Test
    void theRootIsChosenInOrder() {
        assertEquals(Paths.get("/home/u/.cache/convcl"), root(), "nothing set: ~/.cache/convcl");
        env.put("XDG_CACHE_HOME", "/xdg");
        assertEquals(Paths.get("/xdg/convcl"), root(), "XDG_CACHE_HOME/convcl");
        env.put("CONVCL_CACHE_DIR", "/explicit");
        assertEquals(Paths.get("/explicit"), root(), "CONVCL_CACHE_DIR before XDG_CACHE_HOME");
        props.put(CacheDir.PROPERTY, "/prop");
        assertEquals(Paths.get("/prop"), root(), "the system property before the environment");
    }

    @Test
    void blankAndRelativeValuesAreIgnored() {
        props.put(CacheDir.PROPERTY, " ");
        env.put("CONVCL_CACHE_DIR", "");
        env.put("XDG_CACHE_HOME", "relative/cache");
        assertEquals(Paths.get("/home/u/.cache/convcl"), root(),
                "blank names are unset; a relative XDG_CACHE_HOME is invalid by the XDG rule");
    }

    /** A root, or a folder under it, that exists as a file is named with the setting that chose the root. */
    @Test
    void aFileWhereAFolderShouldBeIsNamed() throws java.io.IOException {
        System.setProperty(CacheDir.PROPERTY, dir.toString());
        assertEquals(java.util.Optional.empty(), CacheDir.blocked(CacheDir.tuning()), "a folder to be made is not blocked");
        java.nio.file.Files.writeString(dir.resolve("kernels"), "x");
        assertEquals(java.util.Optional.of(dir.resolve("kernels") + ", under the cache root " + dir
                + " from -Dconvcl.cacheDir, is a file, not a folder"), CacheDir.blocked(CacheDir.kernels()));
        System.setProperty(CacheDir.PROPERTY, dir.resolve("kernels").resolve("root").toString());
        assertEquals(java.util.Optional.of(dir.resolve("kernels") + ", on the path of the cache root "
                + dir.resolve("kernels").resolve("root") + " from -Dconvcl.cacheDir, is a file, not a folder"),
                CacheDir.blocked(CacheDir.tuning()));
        Path file = java.nio.file.Files.writeString(dir.resolve("f"), "x");
        System.setProperty(CacheDir.PROPERTY, file.toString());
        assertEquals(java.util.Optional.of(file + ", the cache root from -Dconvcl.cacheDir, is a file, not a folder"),
                CacheDir.blocked(CacheDir.tuning()));
        // a device is no file: named only as no folder
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.exists(Path.of("/dev/null")), "needs /dev/null");
        System.setProperty(CacheDir.PROPERTY, "/dev/null/convcl");
        assertEquals(java.util.Optional.of("/dev/null, on the path of the cache root /dev/null/convcl from "
                + "-Dconvcl.cacheDir, is not a folder"), CacheDir.blocked(CacheDir.tuning()));
    }

    @Test
    void kernelsTuningAndPeakLiveUnderTheOneRoot() {
        System.setProperty(CacheDir.PROPERTY, dir.toString());
        assertEquals(dir, CacheDir.root());
        assertEquals(dir.resolve("kernels"), CacheDir.kernels());
        assertEquals(dir.resolve("tuning"), CacheDir.tuning());
        assertEquals(dir.resolve("peak"), CacheDir.peak());
        // the users of the root read it from here, not from a variable of their own
        assertEquals(dir.resolve("tuning"), TuningTable.defaultDir());
    }
}
