package dev.convcl.onnx;

import static dev.convcl.onnx.OnnxBuilder.f;
import static dev.convcl.onnx.OnnxBuilder.i;
import static dev.convcl.onnx.OnnxBuilder.in;
import static dev.convcl.onnx.OnnxBuilder.out;
import static dev.convcl.onnx.OnnxBuilder.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.CompiledGraph;
import dev.convcl.DataType;
import dev.convcl.DeviceChoice;
import dev.convcl.Direction;
import dev.convcl.Engine;
import dev.convcl.Graph;
import dev.convcl.HostTensor;
import dev.convcl.RoiAlign;
import dev.convcl.Tensor;
import dev.convcl.cli.Npy;
import dev.convcl.onnx.proto.OnnxProto.AttributeProto;
import dev.convcl.reference.ReferenceRoi;
import dev.convcl.testing.OpenClTestDevice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * [opencl] ONNX {@code RoiAlign} (opsets 10 and 16) imported with {@link Graph#fromOnnx}: the
 * int64 batch indices as a graph input, joined to the boxes as torchvision's {@code [K, 5]} rows;
 * run on the CPU path and on OpenCL against {@link ReferenceRoi} (double); a batch index out of
 * range and {@code mode=max} refused with one line.
 */
class OnnxRoiAlignTest {
    static final int N = 2, C = 3, H = 11, W = 13, K = 6;
    static final float[] BOXES = {
        1f, 2f, 17f, 15f,
        0f, 0f, 25f, 21f,
        -3f, 4f, 9f, 30f,    // partly outside the map
        10f, 6f, 10.5f, 6.2f, // smaller than a pixel
        20f, 18f, 5f, 3f,    // x2 < x1
        4.5f, 7.25f, 23f, 12f};
    static final long[] BATCH = {0, 1, 1, 0, 1, 0};

    @TempDir
    Path dir;

    private Path model(int opset, long[] batchShape, AttributeProto... attrs) throws IOException {
        OnnxBuilder b = new OnnxBuilder(opset).input("x", N, C, H, W).input("rois", K, 4);
        b.graph.addInput(OnnxBuilder.valueInfo("batch_indices", 7, batchShape));
        b.node("RoiAlign", "head.roi", in("x", "rois", "batch_indices"), out("y"), attrs).output("y");
        Path m = dir.resolve("roi" + opset + ".onnx");
        Files.write(m, b.bytes());
        return m;
    }

    private static HostTensor x() {
        float[] v = new float[N * C * H * W];
        for (int j = 0; j < v.length; j++) {
            v[j] = (float) Math.sin(0.37 * j) + 0.01f * (j % 17);
        }
        return Tensor.of(v, N, C, H, W);
    }

    private static double[] reference(HostTensor x, long[] batch, int ph, int pw, float scale, int sr, boolean aligned) {
        double[] rois5 = new double[K * 5];
        for (int k = 0; k < K; k++) {
            rois5[k * 5] = batch[k];
            for (int j = 0; j < 4; j++) {
                rois5[k * 5 + 1 + j] = BOXES[k * 4 + j];
            }
        }
        RoiAlign op = new RoiAlign(RoiAlign.Kind.ROI_ALIGN, N, C, H, W, K, ph, pw, scale, sr, aligned, 0f, false, false,
                DataType.F32, Direction.FORWARD);
        float[] xf = x.toArray();
        double[] xd = new double[xf.length];
        for (int j = 0; j < xf.length; j++) {
            xd[j] = xf[j];
        }
        return ReferenceRoi.run(op, xd, rois5, null, null);
    }

    private static Map<String, HostTensor> inputs(HostTensor x, long[] batch) {
        float[] idx = new float[batch.length];
        for (int k = 0; k < batch.length; k++) {
            idx[k] = batch[k]; // the int64 input, read as exact float values
        }
        return Map.of("x", x, "rois", Tensor.of(BOXES.clone(), K, 4), "batch_indices", Tensor.of(idx, K));
    }

    private static void check(Graph g, double[] expected, List<Supplier<Engine>> engines) {
        for (int b = 0; b < engines.size(); b++) {
            try (Engine e = engines.get(b).get(); CompiledGraph net = e.compile(g)) {
                String backend = b == 0 ? "cpu" : "opencl";
                assertTrue(net.steps().stream().anyMatch(st -> st.operation() instanceof RoiAlign
                        && st.backend().equals(backend)), "roi_align on " + backend + ": " + net);
                assertClose(expected, net.run(inputs(x(), BATCH)).get("y").toArray(), e, net);
            }
        }
    }

    /**
     * {@code y} has {@code expected}'s length and lies within relative L2 1e-4 of it, which must not
     * be all zeros; the failure names {@code what} ran and shows the compiled graph.
     */
    private static void assertClose(double[] expected, float[] y, Object what, CompiledGraph net) {
        assertEquals(expected.length, y.length);
        double num = 0, den = 0;
        for (int j = 0; j < y.length; j++) {
            num += (y[j] - expected[j]) * (y[j] - expected[j]);
            den += expected[j] * expected[j];
        }
        assertTrue(den > 0 && Math.sqrt(num / den) < 1e-4, what + ": relative L2 " + Math.sqrt(num / den)
                + "\n" + net);
    }

    private static List<Supplier<Engine>> bothBackends() {
        List<Supplier<Engine>> l = new ArrayList<>();
        l.add(() -> Engine.create(DeviceChoice.CPU));
        l.add(OpenClTestDevice::engine);
        return l;
    }

    @Test
    void opset16HalfPixelIsAlignedRoiAlign() throws IOException {
        Graph g = Graph.fromOnnx(model(16, new long[] {K}, i("output_height", 3), i("output_width", 4),
                i("sampling_ratio", 2), f("spatial_scale", 0.5f)));
        check(g, reference(x(), BATCH, 3, 4, 0.5f, 2, true), bothBackends());
    }

    @Test
    void outputHalfPixelAndAdaptiveSamplingIsUnalignedRoiAlign() throws IOException {
        Graph g = Graph.fromOnnx(model(16, new long[] {K}, i("output_height", 2), i("output_width", 5),
                f("spatial_scale", 0.25f), s("coordinate_transformation_mode", "output_half_pixel")));
        check(g, reference(x(), BATCH, 2, 5, 0.25f, 0, false), bothBackends());
    }

    @Test
    void opset10BehavesAsOutputHalfPixelWithOneByOneDefaults() throws IOException {
        Graph g = Graph.fromOnnx(model(10, new long[] {K}));
        check(g, reference(x(), BATCH, 1, 1, 1f, 0, false), bothBackends());
    }

    /**
     * torchvision's own export (scripts/onnx/make_roi_models.py): the [K, 5] rois split by Gather,
     * Squeeze and Cast to INT64 before RoiAlign; compared with torchvision's float64 output.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tv_aligned", "tv_unaligned_adaptive"})
    void torchvisionExportMatchesTorchvisionFloat64(String name) throws Exception {
        Path d = Path.of(getClass().getResource("/onnx/roi/" + name + ".onnx").toURI()).getParent();
        Graph g = Graph.fromOnnx(d.resolve(name + ".onnx"));
        HostTensor x = Npy.read(d.resolve(name + ".x.npy"));
        HostTensor rois = Npy.read(d.resolve(name + ".rois.npy"));
        float[] e32 = Npy.read(d.resolve(name + ".expected.npy")).toArray(); // float64 file, float32 read
        double[] expected = new double[e32.length];
        for (int j = 0; j < e32.length; j++) {
            expected[j] = e32[j];
        }
        for (int b = 0; b < 2; b++) {
            try (Engine e = b == 0 ? Engine.create(DeviceChoice.CPU) : OpenClTestDevice.engine();
                 CompiledGraph net = e.compile(g)) {
                assertClose(expected, net.run(Map.of("x", x, "rois", rois)).get("y").toArray(), name, net);
            }
        }
    }

    @Test
    void batchIndexOutOfRangeIsRefusedWithOneLineBeforeTheOutputIsWritten() throws IOException {
        Graph g = Graph.fromOnnx(model(16, new long[] {K}, i("output_height", 2), i("output_width", 2)));
        long[] bad = BATCH.clone();
        bad[4] = N;
        for (Supplier<Engine> s : bothBackends()) {
            try (Engine e = s.get(); CompiledGraph net = e.compile(g)) {
                HostTensor y = Tensor.zeros(K, C, 2, 2);
                IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                        () -> net.run(inputs(x(), bad), Map.of("y", y)));
                String m = ex.getMessage();
                assertFalse(m.contains("\n"), m);
                assertTrue(m.contains("head.roi") && m.contains("rois[4, 0] = 2.0") && m.contains("[0, 2)"), m);
                for (float v : y.toArray()) {
                    assertEquals(0f, v, "nothing written: " + m);
                }
            }
        }
    }

    /**
     * An RoI too large for adaptive sampling at the model's spatial_scale is refused in the model's
     * terms: its attributes {@code spatial_scale} and {@code sampling_ratio}, and its box as the
     * {@code rois} input holds it, without the batch index.
     */
    @Test
    void adaptiveSamplingOverflowNamesTheModelsAttributes() throws IOException {
        Graph g = Graph.fromOnnx(model(16, new long[] {K}, i("output_height", 2), i("output_width", 2),
                f("spatial_scale", 1e10f)));
        for (Supplier<Engine> s : bothBackends()) {
            try (Engine e = s.get(); CompiledGraph net = e.compile(g)) {
                IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                        () -> net.run(inputs(x(), BATCH)));
                assertEquals("node 'head.roi': rois[0] = (1.0, 2.0, 17.0, 15.0): adaptive sampling would take more than "
                        + "2^63 samples a bin at spatial_scale=1.0E10; it must stay below 2^31 (give sampling_ratio > 0, "
                        + "a smaller RoI or a smaller spatial_scale)", ex.getMessage());
            }
        }
    }

    /**
     * The same RoI in a graph built with {@link Graph.Builder#roiAlign} is refused in the builder's
     * terms (the operator's {@code scale} and {@code sr}, the row with its batch index): the ONNX
     * wording belongs to graphs made by {@link Graph#fromOnnx}.
     */
    @Test
    void adaptiveSamplingOverflowInABuiltGraphNamesTheOperatorsFields() {
        Graph.Builder b = Graph.builder();
        b.output("y", b.roiAlign("head.roi", b.input("x", N, C, H, W), b.input("rois", K, 5), 2, 2, 1e10f, 0, false));
        Graph g = b.build();
        float[] rois = new float[K * 5];
        for (int k = 0; k < K; k++) {
            rois[k * 5] = BATCH[k];
            System.arraycopy(BOXES, k * 4, rois, k * 5 + 1, 4);
        }
        try (Engine e = Engine.create(DeviceChoice.CPU); CompiledGraph net = e.compile(g)) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                    () -> net.run(Map.of("x", x(), "rois", Tensor.of(rois, K, 5))));
            assertEquals("node 'head.roi': rois[0] = (0.0, 1.0, 2.0, 17.0, 15.0): adaptive sampling would take more "
                    + "than 2^63 samples a bin at scale=1.0E10; it must stay below 2^31 (give sr > 0, a smaller RoI or "
                    + "a smaller scale)", ex.getMessage());
        }
    }

    @Test
    void maxModeIsRefusedNamingTheNode() throws IOException {
        Path m = model(16, new long[] {K}, s("mode", "max"));
        OnnxModelException ex = assertThrows(OnnxModelException.class, () -> Graph.fromOnnx(m));
        String msg = ex.getMessage();
        assertFalse(msg.contains("\n"), msg);
        assertTrue(msg.contains("head.roi") && msg.contains("mode") && msg.contains("max"), msg);
    }

    @Test
    void integerInputReadByAnotherOperatorIsStillRefused() throws IOException {
        OnnxBuilder b = new OnnxBuilder(16).input("x", N, C, H, W);
        b.graph.addInput(OnnxBuilder.valueInfo("b", 7, N, C, H, W));
        b.node("Add", "add", in("x", "b"), out("y")).output("y");
        Path m = dir.resolve("add.onnx");
        Files.write(m, b.bytes());
        OnnxModelException ex = assertThrows(OnnxModelException.class, () -> Graph.fromOnnx(m));
        assertTrue(ex.getMessage().contains("INT64") && ex.getMessage().contains("FLOAT"), ex.getMessage());
    }

    @Test
    void gatherOfARuntimeValueIsAChannelRangeOnly() throws IOException {
        OnnxBuilder b = new OnnxBuilder(16).input("rois", K, 5).vector("cols", 1, 3)
                .node("Gather", "pick", in("rois", "cols"), out("y"), i("axis", 1)).output("y");
        Path m = dir.resolve("gather.onnx");
        Files.write(m, b.bytes());
        OnnxModelException ex = assertThrows(OnnxModelException.class, () -> Graph.fromOnnx(m));
        assertTrue(ex.getMessage().contains("Gather 'pick'") && ex.getMessage().contains("consecutive"), ex.getMessage());
    }
}
