package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.HostTensor;
import dev.convcl.Operation;
import dev.convcl.RoiAlign;
import dev.convcl.reference.ReferenceOps;
import dev.convcl.Tensor;
import dev.convcl.reference.ReferenceConv;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * The PyTorch peer's protocol with the real {@code bench/torch_peer.py} where Python has torch
 * and torchvision (elsewhere: the absence is one line naming what is missing; {@link BenchPeersTest} covers the rest): layers
 * with asymmetric padding (F.pad first), groups, dilation and deformable v2 give the reference's
 * output, and the timing answer has the calls the budget asks for. No speed is asserted.
 */
class TorchPeerTest {

    private static HostTensor reference(Convolution op, Args data) {
        HostTensor y = Tensor.zeros(op.outputShape());
        ReferenceConv.run(op, data.with(Arg.DST, y));
        return y;
    }

    @Test
    void layersGiveTheReferenceOutputAndTimingFollowsTheBudget() throws Exception {
        try (TorchPeer peer = new TorchPeer()) {
            String description;
            try {
                description = peer.open(1);
            } catch (IOException absent) {
                // No interpreter, or torch not importable (a CI machine has no PyTorch): then what the
                // user sees is the point, one line that names what is missing. Not a skip.
                String m = String.valueOf(absent.getMessage());
                assertTrue(!m.contains("\n") && (m.contains("python") || m.contains("torch")), m);
                return;
            }
            assertTrue(description.startsWith("PyTorch ") && description.contains("1 threads"), description);
            for (String line : new String[] {
                "op=conv2d n=1 c=4 h=7 w=6 k=6 kh=3 kw=2 stride=2 pad=1,0,2,1 dil=1 groups=2 bias=1",
                "op=conv2d n=2 c=3 h=9 w=9 k=3 kh=3 kw=3 pad=2 dil=2 groups=3 bias=1",
                "op=deform2d n=1 c=4 h=6 w=6 k=4 kh=3 kw=3 pad=1 og=2 mask=1 bias=1"}) {
                Convolution op = (Convolution) Operation.parse(line);
                Args data = ProblemData.random(op, line.hashCode()).with(Arg.DST, null);
                try (BenchPeer.Layer layer = peer.prepare(op, data)) {
                    layer.call();
                    HostTensor y = layer.output();
                    double err = ProblemData.relativeL2(reference(op, data), y);
                    assertTrue(err < 1e-5, line + " (" + layer.algorithm() + "): relative L2 " + err);
                    BenchPeer.Timing t = layer.time(new BenchPeer.Budget(1, 0, 4, 0));
                    assertEquals(BenchPeer.Budget.MIN_TIMED, t.wallMs().length, "3 calls whatever the budget");
                    assertTrue(t.median() > 0, line);
                }
            }
            // A missing input is named before anything is sent.
            Convolution small = (Convolution) Operation.parse("op=conv2d n=1 c=2 h=4 w=4 k=2 kh=3 kw=3 pad=1 bias=1");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> peer.prepare(small, Args.builder().build()));
            assertTrue(e.getMessage().startsWith("the torch peer needs a host tensor for "), e.getMessage());
        }
    }

    /**
     * RoI operators: torchvision's roi_align (aligned or not, fixed or adaptive sampling) and
     * ps_roi_align give the reference's output on the same RoIs; deform_roi_pool, which torchvision
     * lacks, is refused with the reason before anything is sent.
     */
    @Test
    void roiOperatorsGiveTheReferenceOutputAndDeformRoiPoolHasNoPeer() throws Exception {
        try (TorchPeer peer = new TorchPeer()) {
            try {
                peer.open(1);
            } catch (IOException absent) {
                String m = String.valueOf(absent.getMessage());
                assertTrue(!m.contains("\n") && (m.contains("python") || m.contains("torch")), m);
                return;
            }
            for (String line : new String[] {
                "op=roi_align n=2 c=3 h=11 w=9 rois=5 ph=3 pw=2 scale=0.25 sr=2 aligned=1",
                "op=roi_align n=1 c=2 h=10 w=12 rois=4 ph=2 pw=2 scale=0.5 sr=0 aligned=0",
                "op=ps_roi_align n=1 c=8 h=9 w=9 rois=3 ph=2 pw=2 scale=0.5 sr=2"}) {
                RoiAlign op = RoiAlign.parse(line);
                Args data = ProblemData.random(op, line.hashCode());
                HostTensor expected = Tensor.zeros(op.outputShape());
                ReferenceOps.run(op, data.with(Arg.DST, expected));
                assertTrue(peer.unsupported(op).isEmpty(), line);
                try (BenchPeer.Layer layer = peer.prepare(op, data.with(Arg.DST, null))) {
                    layer.call();
                    double err = ProblemData.relativeL2(expected, layer.output());
                    assertTrue(err < 1e-5, line + " (" + layer.algorithm() + "): relative L2 " + err);
                    assertTrue(layer.algorithm().startsWith("torchvision.ops." + op.name()), layer.algorithm());
                    assertTrue(layer.time(new BenchPeer.Budget(1, 0, 3, 0)).median() > 0, line);
                }
            }
            RoiAlign deform = RoiAlign.parse("op=deform_roi_pool n=1 c=2 h=6 w=6 rois=2 ph=2 pw=2 scale=1 sr=2 offset=1");
            assertEquals("no peer: torchvision has no deform_roi_pool (it is mmcv's operator)",
                    peer.unsupported(deform).orElseThrow());
            Args data = ProblemData.random(deform, 1).with(Arg.DST, null);
            assertThrows(UnsupportedOperationException.class, () -> peer.prepare(deform, data));
        }
    }
}
