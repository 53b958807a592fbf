package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.cli.Npy;
import dev.convcl.testing.Engines;
import dev.convcl.testing.ModelsTxt;
import dev.convcl.testing.Target;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every committed ONNX model of scripts/onnx/make_models.py (one per network family: ResNet,
 * ResNeXt, dilated ResNet, DRN with its degridding tail, MobileNetV2/V3, ShuffleNetV2, Inception,
 * RegNet-Y, SENet, DCNv2 with DeformConv, a RepLKNet stage, a UniRepLKNet block), loaded with
 * {@link Graph#fromOnnx}, compiled and run on real photographs (skimage's) on the CPU path and on
 * OpenCL: the output is within 1e-4 relative L2 of PyTorch's float64 result. With device tensors
 * in and out, the run copies nothing between host and device when every step runs on OpenCL; a
 * step that falls back to the CPU path costs at most two copies per argument (down, and up again).
 */
class OnnxNetworksTest {
    static final Path DIR = Path.of("src/test/resources/onnx");
    static final double TOLERANCE = 1e-4;

    @RegisterExtension
    static final Engines ENGINES = new Engines();

    /** One line of models.txt. */
    record Model(String name, Map<String, String> fields) {
        @Override
        public String toString() {
            return name;
        }

        Path file(String key) {
            return DIR.resolve(fields.get(key));
        }

        int[] inputShape() {
            return Arrays.stream(fields.get("input_shape").split("x")).mapToInt(Integer::parseInt).toArray();
        }

        Graph load() {
            return "1".equals(fields.get("symbolic_batch")) ? Graph.fromOnnx(file("file"), inputShape())
                    : Graph.fromOnnx(file("file"));
        }
    }

    static List<Model> models() throws IOException {
        return ModelsTxt.read(DIR).stream().map(f -> new Model(f.get("name"), f)).toList();
    }

    static Stream<Arguments> cases() {
        return Target.each(() -> {
            try {
                return models().stream().map(Arguments::of);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @ParameterizedTest(name = "[{0}] {1}")
    @MethodSource("cases")
    void matchesPyTorchInFloat64(Target target, Model model) throws IOException {
        Engine engine = ENGINES.get(target);
        Graph g = model.load();
        assertEquals(1, g.inputs().size(), model + " has one input");
        assertEquals(1, g.outputs().size(), model + " has one output");
        HostTensor x = Npy.read(model.file("input"));
        double[] expected = readDoubles(model.file("expected"));
        String in = g.inputs().get(0).name();
        String out = g.outputs().keySet().iterator().next();
        try (CompiledGraph net = engine.compile(g)) {
            HostTensor y = net.run(Map.of(in, x)).get(out);
            assertArrayEquals(npyShape(model.file("expected")), y.shape(), model + ": output shape");
            double err = GraphTesting.relativeL2(expected, y.toArray());
            assertTrue(err <= TOLERANCE, model + " on " + target + ": relative L2 " + err + " > " + TOLERANCE
                    + "\n" + net);

            // Device tensors in and out: only steps on the CPU path move data.
            try (DeviceTensor dx = engine.upload(x); DeviceTensor dy = engine.allocate(y.shape())) {
                net.run(Map.of(in, dx), Map.of(out, dy));   // warm-up
                long before = engine.stats().hostTransfers();
                net.run(Map.of(in, dx), Map.of(out, dy));
                long transfers = engine.stats().hostTransfers() - before;
                double again = GraphTesting.relativeL2(expected, dy.toArray());
                assertTrue(again <= TOLERANCE, model + ": device-tensor run, relative L2 " + again);
                List<CompiledGraph.Step> cpuSteps = net.steps().stream().filter(s -> !s.backend().equals(engine.backend()))
                        .toList();
                if (cpuSteps.isEmpty()) {
                    assertEquals(0, transfers, model + " on " + target + ": every step on " + engine.backend()
                            + ", yet host transfers between layers\n" + net);
                } else {
                    int bound = 0;
                    for (CompiledGraph.Step s : cpuSteps) {
                        bound += 2 * s.operation().arguments().size();   // each tensor down and up, at most
                    }
                    assertTrue(transfers <= bound, model + ": " + transfers + " host transfers for " + cpuSteps.size()
                            + " steps on the CPU path (at most " + bound + ")");
                    System.out.printf("%s on %s: %d of %d steps fall back to the CPU path (%d host transfers per run): %s%n",
                            model, target, cpuSteps.size(), net.steps().size(), transfers,
                            cpuSteps.stream().map(s -> s.operation().name()).distinct().toList());
                }
            }
        }
    }

    /** The shape in a .npy file's header. */
    static int[] npyShape(Path p) throws IOException {
        return header(Files.readAllBytes(p)).shape;
    }

    private record Header(int[] shape, String descr, int dataOffset) {
    }

    private static Header header(byte[] b) {
        int len = (b[8] & 0xff) | (b[9] & 0xff) << 8;
        String h = new String(b, 10, len, StandardCharsets.ISO_8859_1);
        String s = h.substring(h.indexOf("'shape': (") + 10);
        s = s.substring(0, s.indexOf(')'));
        int[] shape = Arrays.stream(s.split(",")).map(String::trim).filter(t -> !t.isEmpty())
                .mapToInt(Integer::parseInt).toArray();
        String d = h.substring(h.indexOf("'descr': '") + 10);
        return new Header(shape, d.substring(0, d.indexOf('\'')), 10 + len);
    }

    /** A little-endian float64 (or float32) .npy file's values, as doubles. */
    static double[] readDoubles(Path p) throws IOException {
        byte[] b = Files.readAllBytes(p);
        Header h = header(b);
        ByteBuffer buf = ByteBuffer.wrap(b, h.dataOffset, b.length - h.dataOffset).order(ByteOrder.LITTLE_ENDIAN);
        int n = Arrays.stream(h.shape).reduce(1, (a, c) -> a * c);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = h.descr.equals("<f8") ? buf.getDouble() : buf.getFloat();
        }
        return out;
    }
}
