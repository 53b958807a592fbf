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
        if (b.length < 3 || b[0] != 'P' || b[1] != '6' || !Character.isWhitespace(b[2])) {   // the magic first
            throw new IOException(ppm + " is not a binary PPM: it does not start with P6");
        }
        String[] names = {"width", "height", "maxval"};
        int[] header = new int[3];
        int at = 2;
        for (int field = 0; field < 3; field++) {
            while (at < b.length && (Character.isWhitespace(b[at]) || b[at] == '#')) {   // blanks and comment lines
                if (b[at] == '#') {
                    while (at < b.length && b[at] != '\n') {
                        at++;
                    }
                }
                at++;
            }
            int start = at;
            while (at < b.length && b[at] >= '0' && b[at] <= '9' && at - start < 9) {
                at++;
            }
            if (at == start || at >= b.length || !Character.isWhitespace(b[at])) {
                throw new IOException(ppm + ": the PPM header's " + names[field] + " is not a number below 10^9");
            }
            header[field] = Integer.parseInt(new String(b, start, at - start, java.nio.charset.StandardCharsets.US_ASCII));
        }
        int w = header[0], h = header[1], side = Math.min(w, h), data = at + 1;
        if (w < 1 || h < 1 || header[2] < 1 || header[2] > 255 || (long) w * h * 3 > b.length - data) {
            throw new IOException(ppm + " is not an 8-bit binary PPM of its header's size (" + w + "x" + h
                    + ", maxval " + header[2] + ")");
        }
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
