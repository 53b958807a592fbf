package dev.convcl.onnx;

import static dev.convcl.onnx.OnnxBuilder.in;
import static dev.convcl.onnx.OnnxBuilder.ints;
import static dev.convcl.onnx.OnnxBuilder.out;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.CompiledGraph;
import dev.convcl.DeviceChoice;
import dev.convcl.DeviceTensor;
import dev.convcl.Engine;
import dev.convcl.Graph;
import dev.convcl.HostTensor;
import dev.convcl.Tensor;
import dev.convcl.testing.OpenClTestDevice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * [opencl] An ONNX residual block (Conv, Relu, Conv, Add, Relu) whose layers all run on the
 * device once fused: loaded with {@link Graph#fromOnnx}, it runs on device tensors with no host
 * transfer at all, and matches the CPU path.
 */
class OnnxGraphOpenClTest {
    @TempDir
    Path dir;

    @Test
    void residualBlockRunsWithoutHostTransfers() throws IOException {
        OnnxBuilder b = new OnnxBuilder(13).input("x", 1, 8, 12, 12).ramp("w1", 8, 8, 3, 3).ramp("w2", 8, 8, 3, 3)
                .node("Conv", "block.conv1", in("x", "w1"), out("c1"), ints("pads", 1, 1, 1, 1))
                .node("Relu", "block.relu1", in("c1"), out("r1"))
                .node("Conv", "block.conv2", in("r1", "w2"), out("c2"), ints("pads", 1, 1, 1, 1))
                .node("Add", "block.add", in("c2", "x"), out("s"))
                .node("Relu", "block.relu2", in("s"), out("y")).output("y");
        Path m = dir.resolve("block.onnx");
        Files.write(m, b.bytes());
        Graph g = Graph.fromOnnx(m);
        float[] xs = new float[8 * 12 * 12];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = (i % 13 - 6) / 6f;
        }
        HostTensor x = Tensor.of(xs, 1, 8, 12, 12);
        float[] expected;
        try (Engine cpu = Engine.create(DeviceChoice.CPU); CompiledGraph net = cpu.compile(g)) {
            expected = net.run(x).toArray();
        }
        try (Engine e = OpenClTestDevice.engine(); CompiledGraph net = e.compile(g)) {
            for (CompiledGraph.Step s : net.steps()) {
                assertEquals("opencl", s.backend(), "every step on the device: " + net);
            }
            try (DeviceTensor dx = e.upload(x); DeviceTensor dy = e.allocate(1, 8, 12, 12)) {
                net.run(Map.of("x", dx), Map.of("y", dy));
                long before = e.stats().hostTransfers();
                net.run(Map.of("x", dx), Map.of("y", dy));
                e.finish();
                assertEquals(0, e.stats().hostTransfers() - before, "host transfers in a device-tensor run\n" + net);
                float[] y = dy.toArray();
                double num = 0, den = 0;
                for (int i = 0; i < y.length; i++) {
                    num += (y[i] - (double) expected[i]) * (y[i] - (double) expected[i]);
                    den += (double) expected[i] * expected[i];
                }
                assertTrue(den > 0 && Math.sqrt(num / den) < 1e-5, "relative L2 " + Math.sqrt(num / den));
            }
        }
    }

    /**
     * A clip with one open end ({@code torch.clamp(x, min=0.5)}), in a convolution's epilogue and
     * alone, keeps +inf, -inf and NaN as PyTorch does: the open bound reaches the kernel as
     * OpenCL C's INFINITY, not as 3.4e38 or as Java's "Infinity" (which would not compile).
     */
    @Test
    void clipWithAnOpenEndKeepsInfinitiesOnTheDevice() throws IOException {
        Path m = dir.resolve("clip.onnx");
        Files.write(m, OnnxGraphLoweringTest.openClipModel().bytes());
        Graph g = Graph.fromOnnx(m);
        try (Engine e = OpenClTestDevice.engine(); CompiledGraph net = e.compile(g)) {
            assertEquals("opencl", net.steps().get(0).backend(), "the convolution and its clip on the device: " + net);
            OnnxGraphLoweringTest.assertOpenClips(net.run(Map.of("x", Tensor.of(OnnxGraphLoweringTest.CLIP_INPUT.clone(),
                    1, 1, 2, 4))), "opencl " + net);
        }
    }
}
