package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The kernel sources stay inside OpenCL C 1.2, for compilers stricter than POCL's clang: no device
 * needed. Each rule here is one that a real driver enforced and POCL did not: on 2026-11-30 NVIDIA's
 * OpenCL compiler (driver 580.159.04, H200) refused all of conv2d_gemm.cl with "variadic macros not
 * supported in OpenCL" (clang calls them an extension in OpenCL under -Wpedantic), so every dense
 * conv2d on that GPU fell back to the slower direct kernel.
 */
class KernelSourcePortabilityTest {

    /** A macro definition with a variadic parameter list, or a use of its arguments. */
    private static final Pattern VARIADIC = Pattern.compile(
            "#\\s*define\\s+\\w+\\([^)]*\\.\\.\\.\\s*\\)|__VA_ARGS__|__VA_OPT__");

    @Test
    void noVariadicMacros() throws IOException {
        List<String> found = new ArrayList<>();
        List<Path> sources = sources();
        for (Path p : sources) {
            String[] lines = withoutComments(Files.readString(p)).split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                if (VARIADIC.matcher(lines[i]).find()) {
                    found.add(p.getFileName() + ":" + (i + 1) + ": " + lines[i].strip());
                }
            }
        }
        assertTrue(found.isEmpty(), "OpenCL C 1.2 has no variadic macros (NVIDIA's compiler rejects the whole program); "
                + "pass a body as one parenthesised argument instead (conv2d_gemm.cl's REGISTER_TILE_TAP_BODY):\n"
                + String.join("\n", found));
    }

    /** The rule itself: it finds what NVIDIA refused, and not a plain function-like macro. */
    @Test
    void theRuleFindsVariadicMacros() {
        assertTrue(VARIADIC.matcher("#define TAPS(SEG, SEGV, ...)   \\").find());
        assertTrue(VARIADIC.matcher("    __VA_ARGS__ \\").find());
        assertTrue(VARIADIC.matcher("# define F(...) x").find());
        assertFalse(VARIADIC.matcher("#define TAPS(SEG, SEGV, BODY) \\").find());
        assertFalse(VARIADIC.matcher(withoutComments("/* TAPS(SEG, ...) */ int x;")).find());
    }

    @Test
    void commentsAreRemovedLineByLine() {
        assertEquals("a\n\nb  c", withoutComments("a\n/* x\n */b // y\n".replace("// y\n", " c")));
        assertEquals("int x; ", withoutComments("int x; // __VA_ARGS__"));
    }

    private static List<Path> sources() throws IOException {
        Path dir = Path.of("opencl-kernels");
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> all = s.filter(p -> p.toString().endsWith(".cl") || p.toString().endsWith(".h")).sorted().toList();
            assertTrue(all.size() >= 10, "expected the kernel sources in " + dir.toAbsolutePath() + ", found " + all);
            return all;
        }
    }

    /** The source with its comments blanked out, line breaks kept (so line numbers stay right). */
    static String withoutComments(String src) {
        StringBuilder out = new StringBuilder(src.length());
        Matcher m = Pattern.compile("/\\*.*?\\*/|//[^\n]*", Pattern.DOTALL).matcher(src);
        int last = 0;
        while (m.find()) {
            out.append(src, last, m.start());
            out.append(m.group().replaceAll("[^\n]", ""));
            last = m.end();
        }
        out.append(src.substring(last));
        return out.toString();
    }
}
