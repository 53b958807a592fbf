package dev.convcl.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * README.md and docs/*.md point readers at tests by class name (the guarantees table, the graph
 * and architecture notes): every such name must be a class in the tree, so a renamed or merged
 * test cannot leave the docs naming one that does not exist.
 */
class DocsNameRealClassesTest {
    private static final Pattern TEST_NAME = Pattern.compile("\\b[A-Z][A-Za-z0-9]*(Test|Contract)\\b");

    @Test
    void everyTestClassTheDocsNameExists() throws IOException {
        TreeSet<String> classes = new TreeSet<>();
        for (String root : new String[] {"src", "peers"}) {
            if (!Files.isDirectory(Path.of(root))) {
                continue;
            }
            try (Stream<Path> files = Files.walk(Path.of(root))) {
                files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".java"))
                        .forEach(n -> classes.add(n.substring(0, n.length() - 5)));
            }
        }
        assertFalse(classes.isEmpty(), "run from the repository root");
        List<Path> docs = new ArrayList<>(List.of(Path.of("README.md")));
        try (Stream<Path> d = Files.list(Path.of("docs"))) {
            d.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
        List<String> missing = new ArrayList<>();
        for (Path doc : docs) {
            Matcher m = TEST_NAME.matcher(Files.readString(doc));
            while (m.find()) {
                if (!classes.contains(m.group()) && !missing.contains(doc + ": " + m.group())) {
                    missing.add(doc + ": " + m.group());
                }
            }
        }
        assertEquals(List.of(), missing, "test classes named in the docs that are not in the tree");
    }

    /**
     * A row of README's guarantees table names each test once: naming one twice (as two backends'
     * twin classes did before they were merged into one backend-parameterised class) reads as two tests.
     */
    @Test
    void aGuaranteeNamesEachOfItsTestsOnce() throws IOException {
        List<String> repeated = new ArrayList<>();
        for (String row : Files.readAllLines(Path.of("README.md"))) {
            if (!row.startsWith("| **")) {
                continue;
            }
            String[] cells = row.split("\\|");
            Matcher m = TEST_NAME.matcher(cells[cells.length - 1]);
            TreeSet<String> seen = new TreeSet<>();
            while (m.find()) {
                if (!seen.add(m.group())) {
                    repeated.add(m.group() + " in: " + row.substring(0, Math.min(row.length(), 80)));
                }
            }
        }
        assertEquals(List.of(), repeated, "a guarantee naming the same test twice");
    }
}
