package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The builder infers every shape and rejects a mistake at once, in one line that names the node, the shapes and the rule. */
class GraphBuilderTest {
    private final Random r = new Random(5);

    private HostTensor t(int... shape) {
        return GraphTesting.random(r, shape);
    }

    /** The message of the builder call's exception. */
    private static String error(Consumer<Graph.Builder> call) {
        Graph.Builder b = Graph.builder();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> call.accept(b));
        assertEquals(-1, e.getMessage().indexOf('\n'), "one line: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void shapesAreInferred() {
        Graph.Builder b = Graph.builder();
        Value x = b.input("x", 2, 3, 17, 15);
        Value y = b.conv2d("conv", x, t(8, 3, 3, 3), t(8), 2, 1, 1, 1);
        assertArrayEquals(new int[] {2, 8, 9, 8}, y.shape());
        Value p = b.maxPool2d("pool", y, 3, 2, 1, 1, true); // torch 1.13 gives these two shapes too
        assertArrayEquals(new int[] {2, 8, 5, 5}, p.shape());
        Value a = b.avgPool2d("avg", y, 2, 2, 0, true, false);
        assertArrayEquals(new int[] {2, 8, 5, 4}, a.shape());
        Value d = b.conv2d("dw", y, t(16, 1, 5, 5), null, new Window2d(5, 5, 1, 1, 2, 1, 2, 3, 1, 1), 8);
        assertArrayEquals(new int[] {2, 16, 9, 8}, d.shape());
        List<Value> parts = b.split("split", d, 4, 12);
        assertArrayEquals(new int[] {2, 12, 9, 8}, parts.get(1).shape());
        assertEquals("split:1", parts.get(1).name());
        Value cat = b.concat("cat", parts.get(1), parts.get(0));
        assertArrayEquals(new int[] {2, 16, 9, 8}, b.channelShuffle("shuffle", cat, 4).shape());
        Value g = b.globalAvgPool("gap", cat);
        assertArrayEquals(new int[] {2, 16, 1, 1}, g.shape());
        assertArrayEquals(new int[] {2, 16, 9, 8}, b.mul("se", cat, g).shape());
        Value f = b.flatten("flat", g);
        assertArrayEquals(new int[] {2, 16}, f.shape());
        assertArrayEquals(new int[] {2, 5}, b.linear("fc", f, t(5, 16), t(5)).shape());
        assertArrayEquals(new int[] {2, 4, 4, 1}, b.reshape("r", f, 2, 4, -1, 1).shape());
        assertArrayEquals(new int[] {2, 16, 9, 8}, b.add("scalar", cat, b.constant("one", t(1))).shape());
        assertArrayEquals(new int[] {2, 16, 10, 13}, b.pad2d("pad", cat, 1, 2, 0, 3, -1f).shape());
        assertArrayEquals(new int[] {2, 16, 1, 1}, b.globalMaxPool("gmp", cat).shape());
        Value off = b.conv2d("off", x, t(18, 3, 3, 3), null, 1, 1, 1, 1);
        Value m = b.sigmoid("m", b.conv2d("mask", x, t(9, 3, 3, 3), null, 1, 1, 1, 1));
        assertArrayEquals(new int[] {2, 4, 17, 15}, b.deformConv2d("dcn", x, off, m, t(4, 3, 3, 3), null, 1, 1, 1).shape());
    }

    @Test
    void convolutionMistakesNameTheNode() {
        assertEquals("node 'layer1.0.conv2': weight [64, 32, 3, 3] has 32 input channels per group, but input "
                + "[1, 64, 56, 56] with groups=1 has 64", error(b -> b.conv2d("layer1.0.conv2", b.input("x", 1, 64, 56, 56),
                t(64, 32, 3, 3), null, 1, 1, 1, 1)));
        assertEquals("node 'c': groups=3 must divide input channels c=4 (input [1, 4, 5, 5], weight [6, 1, 3, 3])",
                error(b -> b.conv2d("c", b.input("x", 1, 4, 5, 5), t(6, 1, 3, 3), null, 1, 1, 1, 3)));
        assertEquals("node 'c': bias [5] must be [6], one value per output channel",
                error(b -> b.conv2d("c", b.input("x", 1, 4, 5, 5), t(6, 4, 3, 3), t(5), 1, 1, 1, 1)));
        assertEquals("node 'c': input 'x' [4, 5, 5] must have rank 4 [N, C, H, W]",
                error(b -> b.conv2d("c", b.input("x", 4, 5, 5), t(6, 4, 3, 3), null, 1, 1, 1, 1)));
        assertEquals("node 'c': kernel height kh=7 at dil_h=1 spans 7 rows, more than the padded input height "
                + "h+pad_h+pad_h_end=5 (input [1, 4, 5, 5], weight [6, 4, 7, 7])",
                error(b -> b.conv2d("c", b.input("x", 1, 4, 5, 5), t(6, 4, 7, 7), null, 1, 0, 1, 1)));
        assertEquals("node 'c': stride_h=0 must be at least 1",
                error(b -> b.conv2d("c", b.input("x", 1, 4, 5, 5), t(6, 4, 3, 3), null, 0, 1, 1, 1)));
        assertEquals("node 'dcn': offset 'off' [1, 16, 5, 5] has 16 channels; it must be a multiple of 2*kh*kw=18",
                error(b -> {
                    Value x = b.input("x", 1, 4, 5, 5);
                    b.deformConv2d("dcn", x, b.input("off", 1, 16, 5, 5), null, t(4, 4, 3, 3), null, 1, 1, 1);
                }));
        assertEquals("node 'dcn': mask 'm' [1, 9, 4, 5] must be [1, 9, 5, 5] [N, og*kh*kw, OH, OW]",
                error(b -> {
                    Value x = b.input("x", 1, 4, 5, 5);
                    b.deformConv2d("dcn", x, b.input("off", 1, 18, 5, 5), b.input("m", 1, 9, 4, 5), t(4, 4, 3, 3), null,
                            1, 1, 1);
                }));
    }

    @Test
    void otherLayerMistakesNameTheNode() {
        assertEquals("node 'add': 'a' [2, 3, 4] and 'b' [2, 5, 4] do not broadcast: dimension 1 of the result is 3 in 'a'"
                + " and 5 in 'b'; they must be equal or one of them 1",
                error(b -> b.add("add", b.input("a", 2, 3, 4), b.input("b", 2, 5, 4))));
        assertEquals("node 'big': shape=[65536, 65536] would have 4294967296 elements, more than the 2^31-1 that "
                + "32-bit indexing allows", error(b -> b.mul("big", b.input("a", 65536, 1), b.input("b", 1, 65536))));
        assertEquals("node 'bn': running_var [3] must be [4], one value per channel",
                error(b -> b.batchNorm("bn", b.input("x", 1, 4, 2, 2), t(4), t(3), null, null, 1e-5f)));
        assertEquals("node 'bn': running_var[1]=-1.0 plus eps=1.0E-5 must be positive (its square root divides)",
                error(b -> b.batchNorm("bn", b.input("x", 1, 2, 2, 2), t(2), Tensor.of(new float[] {1, -1}, 2), null,
                        null, 1e-5f)));
        assertEquals("node 'cat': input 1 'y' [1, 3, 5, 4] differs from input 0 'x' [1, 2, 5, 5] in dimension 3; only "
                + "dimension 1 (channels) may differ",
                error(b -> b.concat("cat", b.input("x", 1, 2, 5, 5), b.input("y", 1, 3, 5, 4))));
        assertEquals("node 's': channels [2, 7) must be a non-empty range within the input's 6 channels",
                error(b -> b.slice("s", b.input("x", 1, 6, 2, 2), 2, 7)));
        assertEquals("node 'split': split sizes [2, 3] add up to 5, but input 'x' [1, 6, 2, 2] has 6 channels",
                error(b -> b.split("split", b.input("x", 1, 6, 2, 2), 2, 3)));
        assertEquals("node 'sh': groups=4 must be at least 1 and divide the input's 6 channels",
                error(b -> b.channelShuffle("sh", b.input("x", 1, 6, 2, 2), 4)));
        assertEquals("node 'pool': pad_h=2 must be at most half the kernel size, kh/2=1",
                error(b -> b.maxPool2d("pool", b.input("x", 1, 6, 8, 8), 3, 1, 2)));
        assertEquals("node 'pool': input 2x2 with kernel 3x3, stride 1, dilation 1 and padding 0,0,0,0 gives an output "
                + "of 0x0; it must be at least 1x1", error(b -> b.avgPool2d("pool", b.input("x", 1, 6, 2, 2), 3, 1, 0)));
        assertEquals("node 'fc': weight [10, 7] must be [out, 8] for input 'f' [2, 8]",
                error(b -> b.linear("fc", b.input("f", 2, 8), t(10, 7), null)));
        assertEquals("node 'fc': input 'x' [2, 8, 1, 1] must have rank 2 [N, in]; flatten it first",
                error(b -> b.linear("fc", b.input("x", 2, 8, 1, 1), t(10, 8), null)));
        assertEquals("node 'r': shape [3, -1] cannot hold the 16 elements of input 'x' [2, 8]",
                error(b -> b.reshape("r", b.input("x", 2, 8), 3, -1)));
        assertEquals("node 'pad': pad_w_end=-1 must not be negative",
                error(b -> b.pad2d("pad", b.input("x", 1, 2, 3, 3), 0, 0, 0, -1, 0f)));
        assertEquals("node 'clip': clip minimum 6.0 is above its maximum 0.0",
                error(b -> b.clip("clip", b.input("x", 2, 8), 6, 0)));
    }

    @Test
    void namesAndValuesAreChecked() {
        assertEquals("node 'conv': the name is taken by an earlier input or node", error(b -> {
            Value x = b.input("x", 1, 1, 3, 3);
            Value y = b.relu("conv", x);
            b.relu("conv", y);
        }));
        assertEquals("input 'x': the name is taken by an earlier input or node", error(b -> {
            b.input("x", 1);
            b.input("x", 2);
        }));
        Value foreign = Graph.builder().input("x", 1, 2);
        assertEquals("node 'relu': value 'x' [1, 2] comes from another Graph.Builder", error(b -> b.relu("relu", foreign)));
        assertEquals("input 'x': shape=[1, 0, 3] has dimension 1 = 0; every dimension must be at least 1",
                error(b -> b.input("x", 1, 0, 3)));
        assertEquals("input 'x': shape=[1, 2, 3, 4, 5] must have rank 1 to 4", error(b -> b.input("x", 1, 2, 3, 4, 5)));
        assertEquals("the graph has no output; declare one with output(name, value)", error(b -> {
            b.relu("r", b.input("x", 1));
            b.build();
        }));
        assertEquals("output 'y' is declared twice", error(b -> {
            Value x = b.input("x", 1);
            b.output("y", x);
            b.output("y", x);
        }));
    }
}
