package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench/ort_node_profile.py} on a hand-made ONNX Runtime profile and {@code --layers}
 * listing, where Python 3 runs: a backend's steps are the lines under its own "layers on BACKEND"
 * heading, whatever each step's backend column says (a step that fell back to the CPU path reads
 * {@code cpu} in the device's listing, and the CPU path's listing repeats every step name).
 */
class OrtNodeProfileScriptTest {

    /** Two calls (the second is timed), nodes A (1 ms) and B (2 ms). */
    private static final String PROFILE = "["
            + "{\"cat\": \"Session\", \"name\": \"model_run\", \"ts\": 0, \"dur\": 5000},"
            + "{\"cat\": \"Session\", \"name\": \"model_run\", \"ts\": 100, \"dur\": 4000},"
            + "{\"cat\": \"Node\", \"name\": \"A_kernel_time\", \"ts\": 110, \"dur\": 1000, \"args\": {\"op_name\": \"Conv\"}},"
            + "{\"cat\": \"Node\", \"name\": \"B_kernel_time\", \"ts\": 120, \"dur\": 2000, \"args\": {\"op_name\": \"Relu\"}}]";

    /** The device's listing, whose step B fell back to the CPU path, then the CPU path's. */
    private static final String LAYERS = String.join("\n",
            "layers on opencl (ms, the median and the least over 9 calls: ...):",
            "      median      least  backend algorithm  step (its ONNX nodes)",
            "       0.500      0.400  opencl  gemm-cm-32x14  A",
            "       0.700      0.600  cpu     cpu-relu  B",
            "layers on cpu (ms, the median and the least over 9 calls: ...):",
            "      median      least  backend algorithm  step (its ONNX nodes)",
            "       0.900      0.800  cpu     cpu-conv  A",
            "       1.100      1.000  cpu     cpu-relu  B", "");

    private static String run(Path dir, String backend) throws Exception {
        Process p = new ProcessBuilder("python3", "bench/ort_node_profile.py", dir.resolve("profile.json").toString(),
                "--layers", dir.resolve("layers.txt").toString(), "--backend", backend).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "ort_node_profile.py --backend " + backend + " did not end");
        assertEquals(0, p.exitValue(), "ort_node_profile.py --backend " + backend + ":\n" + out);
        return out;
    }

    private static boolean python() {
        try {
            Process p = new ProcessBuilder("python3", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception absent) {
            return false;
        }
    }

    @Test
    void aBackendsStepsAreTheLinesUnderItsHeading(@TempDir Path dir) throws Exception {
        assumeTrue(python(), "no python3 on the PATH");
        Files.writeString(dir.resolve("profile.json"), PROFILE);
        Files.writeString(dir.resolve("layers.txt"), LAYERS);
        for (String[] c : new String[][] {{"opencl", "1.200", "0.500"}, {"cpu", "2.000", "0.900"}}) {
            String out = run(dir, c[0]);
            List<String> total = out.lines().filter(l -> l.contains("all ")).toList();
            // both steps of the listing, and both ONNX Runtime nodes matched to them (1 + 2 ms)
            assertEquals(List.of(String.format("%10s %9s         all 2 steps (%s) and the ONNX Runtime nodes they match",
                    c[1], "3.000", c[0])), total, "--backend " + c[0] + ":\n" + out);
            assertTrue(out.contains(String.format("%10s %9s ", c[2], "1.000")), "step A of the "
                    + c[0] + " listing beside node A:\n" + out);
            assertTrue(!out.contains("ONNX Runtime only"), "every node has a step (--backend " + c[0] + "):\n" + out);
        }
    }
}
