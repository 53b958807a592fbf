package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.examples.QuickStart;
import dev.convcl.testing.ForkedJvm;
import dev.convcl.testing.ModuleProbe;
import java.io.File;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleDescriptor.Exports;
import java.lang.module.ModuleDescriptor.Requires;
import java.lang.module.ModuleFinder;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The module convcl is to its users: {@code dev.convcl} exported and nothing else, and an
 * application on the class path with convcl on the module path runs the README example and is
 * refused the internals.
 */
class ModuleTest {

    /** The module descriptor the build compiled, read from where the API's classes are. */
    private static ModuleDescriptor descriptor() {
        return ModuleFinder.of(location(Engine.class)).findAll().iterator().next().descriptor();
    }

    @Test
    void onlyTheApiPackageIsExported() {
        ModuleDescriptor d = descriptor();
        assertEquals("dev.convcl", d.name());
        Set<String> exported = d.exports().stream().map(Exports::source).collect(Collectors.toSet());
        assertEquals(Set.of("dev.convcl"), exported, "exported packages");
        assertTrue(d.exports().stream().noneMatch(Exports::isQualified), "the API is exported to everyone");
        Set<String> internal = new TreeSet<>(d.packages());
        internal.removeAll(exported);
        assertTrue(internal.containsAll(Set.of("dev.convcl.spi", "dev.convcl.cpu", "dev.convcl.opencl",
                "dev.convcl.reference", "dev.convcl.cli")), "internal packages: " + internal);
        // Only picocli may reflect, and only into the CLI's commands.
        assertEquals(List.of("dev.convcl.cli to [info.picocli]"), d.opens().stream()
                .map(o -> o.source() + " to " + o.targets()).toList());
        assertFalse(d.isOpen());
        if (Engine.class.getModule().isNamed()) {   // surefire runs the tests on the module path
            assertFalse(Engine.class.getModule().isExported("dev.convcl.spi"));
            assertTrue(Engine.class.getModule().isExported("dev.convcl"));
        }
    }

    @Test
    void runtimeDependenciesAreRequiredAndTheCliOnesAreStatic() {
        Map<String, Set<Requires.Modifier>> requires = new TreeMap<>();
        for (Requires r : descriptor().requires()) {
            requires.put(r.name(), r.modifiers());
        }
        Map<String, Set<Requires.Modifier>> expected = new TreeMap<>(Map.of(
                "java.base", Set.of(Requires.Modifier.MANDATED),
                "jocl", Set.of(), "org.slf4j", Set.of(), "com.sun.jna", Set.of(), "com.google.protobuf", Set.of(),
                "info.picocli", Set.of(Requires.Modifier.STATIC),
                "ch.qos.logback.classic", Set.of(Requires.Modifier.STATIC),
                "java.management", Set.of(Requires.Modifier.STATIC)));
        assertEquals(expected, requires, "jdk.incubator.vector is read at run time (cpu.VectorModule), not required");
    }

    /**
     * A user's application: the README example and a probe on the class path, convcl and its four
     * dependencies on the module path, with the Vector API module, as {@code java -p ... -cp ...}
     * starts it.
     */
    @Test
    void anApplicationOnTheClassPathUsesTheModule() {
        List<String> modulePath = new ArrayList<>();
        for (Class<?> c : List.of(Engine.class, org.jocl.CL.class, org.slf4j.Logger.class, com.sun.jna.Native.class,
                com.google.protobuf.Message.class)) {
            modulePath.add(location(c).toString());
        }
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "--module-path", String.join(File.pathSeparator, modulePath),
                "--add-modules", "dev.convcl,jdk.incubator.vector", "-cp", location(ModuleProbe.class).toString()));
        List<String> probe = new ArrayList<>(command);
        probe.add(ModuleProbe.class.getName());
        ForkedJvm.Result r = ForkedJvm.run(probe, env -> env.put("CONVCL_DEVICE", "cpu"), 120);
        assertEquals(0, r.exitCode(), r.toString());
        assertEquals("dev.convcl", r.result("module"), r.toString());
        assertTrue(r.result("cpu").contains("vector kernels"),
                "the CPU path reads jdk.incubator.vector on the module path too: " + r);
        assertTrue(r.result("internals").startsWith("refused: ") && r.result("internals").contains(
                "does not export dev.convcl.spi to unnamed module"), r.toString());

        List<String> example = new ArrayList<>(command);
        example.add(QuickStart.class.getName());
        ForkedJvm.Result e = ForkedJvm.run(example, env -> { }, 300);
        assertEquals(0, e.exitCode(), e.toString());
        assertTrue(e.out().startsWith(Conv2d.parse("op=conv2d n=1 c=64 h=56 w=56 k=64 kh=3 kw=3 pad=1 bias=1 "
                + "post=sum+relu") + "\n"), e.toString());
    }

    /** The jar or folder a class was loaded from. */
    private static Path location(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
