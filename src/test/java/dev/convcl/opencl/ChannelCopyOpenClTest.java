package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.ChannelCopy;
import dev.convcl.HostTensor;
import dev.convcl.NetworkProblems;
import dev.convcl.reference.ReferenceOps;
import dev.convcl.testing.Primitives;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code channel_copy.cl}'s strided form (a destination step above 1) in both of its shapes on
 * this device: the CPU one (a plane or a chunk of one per work-item, {@link ChannelCopyPlan#cpuChunk})
 * and the GPU one (a vector of a plane per work-item), bit for bit against the reference; and the
 * chunk rule itself.
 */
class ChannelCopyOpenClTest {
    @RegisterExtension
    static final DeviceBackend DEVICE = new DeviceBackend();

    @Test
    void chunksDivideThePlaneAndHaveAtLeast64ElementsUnlessThePlaneIsSmall() {
        assertEquals(49, ChannelCopyPlan.cpuChunk(49, 16), "7x7: whole");
        assertEquals(320, ChannelCopyPlan.cpuChunk(320, 16), "up to WHOLE_PLANE: whole");
        assertEquals(112, ChannelCopyPlan.cpuChunk(784, 16), "28x28: the smallest multiple of 16 from 64 dividing it");
        assertEquals(98, ChannelCopyPlan.cpuChunk(784, 1), "28x28 in scalars: the smallest divisor from 64");
        assertEquals(64, ChannelCopyPlan.cpuChunk(3136, 16), "56x56");
        assertEquals(72, ChannelCopyPlan.cpuChunk(360, 16), "no multiple of 16 divides 360: the smallest divisor from 64");
        assertEquals(72, ChannelCopyPlan.cpuChunk(360, 8), "72 is a multiple of 8");
        assertEquals(80, ChannelCopyPlan.cpuChunk(400, 16), "20x20: 80 = 5 x 16");
        assertEquals(361, ChannelCopyPlan.cpuChunk(361, 16), "19x19: no divisor from 64 below the plane");
        assertEquals(107, ChannelCopyPlan.cpuChunk(321, 16), "321 = 3 x 107");
    }

    @Test
    void everyStridedCopyMatchesTheReferenceInEitherForm() {
        List<ChannelCopy> copies = NetworkProblems.of(ChannelCopy.class);
        copies.removeIf(c -> c.dstStep() <= 1);
        assertTrue(copies.stream().anyMatch(c -> c.h() * c.w() > ChannelCopyPlan.WHOLE_PLANE), "a plane in chunks");
        int checked = 0;
        for (ChannelCopy op : copies) {
            Args args = NetworkProblems.randomArgs(op, 7);
            Args ref = NetworkProblems.copy(args);
            ReferenceOps.run(op, ref);
            float[] expected = ((HostTensor) ref.get(Arg.DST)).toArray();
            int plane = op.h() * op.w();
            List<int[]> forms = new ArrayList<>();
            for (int vw = 1; vw <= 16; vw *= 2) {
                forms.add(new int[] {vw, ChannelCopyPlan.cpuChunk(plane, vw)}); // the CPU form
                if (plane % vw == 0) {
                    forms.add(new int[] {vw, vw}); // the GPU form
                }
            }
            for (int[] f : forms) {
                Args mine = NetworkProblems.copy(args);
                try (ChannelCopyPlan plan = ChannelCopyPlan.strided(DEVICE.context(), op, f[0], f[1])) {
                    Primitives.run(DEVICE.backend(), plan, mine);
                }
                assertArrayEquals(expected, ((HostTensor) mine.get(Arg.DST)).toArray(),
                        op + " in chunks of " + f[1] + ", vectors of " + f[0]);
                checked++;
            }
        }
        assertTrue(checked >= 2 * copies.size(), "checked " + checked + " plans of " + copies.size() + " copies");
    }

    @Test
    void aChunkThatDoesNotDivideThePlaneIsRefused() {
        ChannelCopy op = new ChannelCopy(1, 7, 7, 4, 0, 8, 1, 4, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ChannelCopyPlan.strided(DEVICE.context(), op, 4, 4));
        assertEquals("chunks of 4 need a destination step above 1 and must divide the plane's 49 elements", e.getMessage());
    }
}
