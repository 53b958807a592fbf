package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import dev.convcl.HostTensor;
import dev.convcl.Tensor;
import dev.convcl.reference.ReferenceConv;
import dev.convcl.testing.Problems;
import dev.convcl.testing.Tensors;
import org.junit.jupiter.api.Test;

/** The reference on a slice of the output channels equals those channels of the whole reference. */
class ReferenceSliceTest {

    private static void assertSliceMatchesWhole(String line, double maxFlops, int expectedK) {
        Convolution spec = Problems.parse(line);
        Args args = Tensors.args(spec, 21, true, 2);
        ReferenceConv.run(spec, args);
        ReferenceSlice slice = ReferenceSlice.choose(spec, maxFlops);
        assertEquals(expectedK, slice.slice().k(), spec + " -> " + slice.slice());
        HostTensor part = slice.reference(args);
        assertEquals(-1, Tensors.firstMismatch(slice.sliceOf((HostTensor) args.get(Arg.DST)).array(), part.array()),
                spec + ": slice " + slice.slice());
        // the comparison can fail: a changed element of the first output channel (always kept) shows
        float[] wrong = Tensors.out(args).clone();
        wrong[1] += 1;
        HostTensor bad = Tensor.of(wrong, spec.outputShape());
        assertTrue(ProblemData.relativeL2(part, slice.sliceOf(bad)) > 1e-4, spec.toString());
    }

    @Test
    void denseGroupedDepthwiseAndDeformableSlices() {
        // dense: output channels halved 8 -> 4 -> 2 -> 1 until under the budget
        assertSliceMatchesWhole("op=conv2d n=2 c=3 h=6 w=5 k=8 kh=3 kw=3 pad=1 bias=1", 2 * 2 * 30 * 27 * 2, 2);
        // grouped: channels per group first, then groups
        assertSliceMatchesWhole("op=conv2d n=1 c=8 h=5 w=5 k=12 kh=3 kw=2 stride=2,1 pad=1 groups=4 bias=1", 100, 1);
        // depthwise with multiplier 2: groups halve
        assertSliceMatchesWhole("op=conv2d n=1 c=8 h=7 w=7 k=16 kh=5 kw=5 pad=2 groups=8 relu=1", 5000, 2);
        // deformable, offset groups kept whole: og=2 over c=4 channels, groups 2
        assertSliceMatchesWhole("op=deform2d n=2 c=4 h=5 w=6 k=6 kh=3 kw=3 pad=1 dil=1 groups=2 og=2 mask=1 bias=1", 5000, 2);
        // small enough: the whole problem
        assertSliceMatchesWhole("op=deform2d n=1 c=2 h=4 w=4 k=3 kh=2 kw=2 og=1 mask=0", 1e9, 3);
    }

    @Test
    void theSliceKeepsTheProblemsStructure() {
        DeformConv2d spec = DeformConv2d.parse("op=deform2d n=1 c=256 h=14 w=14 k=256 kh=3 kw=3 pad=1 og=4 mask=1 bias=1");
        ReferenceSlice s = ReferenceSlice.choose(spec, 2e7);
        assertEquals(spec.c(), s.slice().c(), "groups=1 keeps every input channel");
        assertEquals(4, ((DeformConv2d) s.slice()).offsetGroups());
        assertTrue(s.slice().flops() <= 2e7, s.slice().toString());
        assertArrayEquals(new int[] {1, s.slice().k(), 14, 14}, s.slice().outputShape());
        assertEquals(s.slice().k() + " of 256 output channels", s.describe());
    }
}
