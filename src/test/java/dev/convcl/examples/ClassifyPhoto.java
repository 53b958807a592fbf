package dev.convcl.examples;

import dev.convcl.CompiledGraph;
import dev.convcl.Engine;
import dev.convcl.Graph;
import dev.convcl.HostTensor;
import dev.convcl.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.IntStream;

public class ClassifyPhoto {
    public static void main(String[] args) throws IOException {
        Path model = Path.of(args[0]);                 // a CNN classifier exported from PyTorch
        Path photo = Path.of(args[1]);                 // an RGB photo as binary PPM (P6)
        int size = args.length > 2 ? Integer.parseInt(args[2]) : 224;

        Graph graph = Graph.fromOnnx(model, 1, 3, size, size);    // batch 1, RGB, size x size
        HostTensor image = Tensor.of(pixels(photo, size), 1, 3, size, size);
        try (Engine engine = Engine.create();                     // OpenCL if there is a device
             CompiledGraph net = engine.compile(graph)) {         // fused, planned, weights uploaded
            float[] logits = net.run(image).toArray();            // [1, classes]
            double max = IntStream.range(0, logits.length).mapToDouble(i -> logits[i]).max().orElse(0);
            double sum = IntStream.range(0, logits.length).mapToDouble(i -> Math.exp(logits[i] - max)).sum();
            IntStream.range(0, logits.length).boxed()
                    .sorted(Comparator.comparingDouble(i -> -logits[i])).limit(3)
                    .forEach(i -> System.out.printf("class %d: %.3f%n", i, Math.exp(logits[i] - max) / sum));
        }
    }

    /** The photo's centre square resized to size x size (nearest pixel), NCHW, ImageNet-normalised. */
    static float[] pixels(Path ppm, int size) throws IOException {
        byte[] b = Files.readAllBytes(ppm);
        int[] header = new int[4];                                // magic, width, height, maxval
        int at = 0;
        for (int field = 0; field < 4; field++) {
            while (Character.isWhitespace(b[at]) || b[at] == '#') {   // blanks and comment lines
                if (b[at] == '#') {
                    while (b[at] != '\n') {
                        at++;
                    }
                }
                at++;
            }
            int start = at;
            while (!Character.isWhitespace(b[at])) {
                at++;
            }
            String token = new String(b, start, at - start, java.nio.charset.StandardCharsets.US_ASCII);
            header[field] = field == 0 ? (token.equals("P6") ? 6 : -1) : Integer.parseInt(token);
        }
        if (header[0] != 6 || header[3] > 255) {
            throw new IOException(ppm + " is not an 8-bit binary PPM (P6)");
        }
        int w = header[1], h = header[2], side = Math.min(w, h), data = at + 1;
        float[] mean = {0.485f, 0.456f, 0.406f}, std = {0.229f, 0.224f, 0.225f};
        float[] out = new float[3 * size * size];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int sy = (h - side) / 2 + y * side / size, sx = (w - side) / 2 + x * side / size;
                for (int c = 0; c < 3; c++) {
                    float v = (b[data + (sy * w + sx) * 3 + c] & 0xff) / 255f;
                    out[(c * size + y) * size + x] = (v - mean[c]) / std[c];
                }
            }
        }
        return out;
    }
}
