package dev.convcl.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The index of committed ONNX models that scripts/onnx/make_models.py writes: {@code models.txt},
 * one model a line as space-separated {@code key=value} fields; blank lines and lines starting
 * with {@code #} are skipped.
 */
public final class ModelsTxt {
    private ModelsTxt() {
    }

    /** The fields of each model line of {@code dir}/models.txt, in file order. */
    public static List<Map<String, String>> read(Path dir) throws IOException {
        List<Map<String, String>> out = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("models.txt"), StandardCharsets.UTF_8)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Map<String, String> f = new HashMap<>();
            for (String kv : line.trim().split(" ")) {
                int eq = kv.indexOf('=');
                f.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
            out.add(f);
        }
        return out;
    }
}
