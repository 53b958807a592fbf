package dev.convcl.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.ChannelAffine;
import dev.convcl.Convolution;
import dev.convcl.Operation;
import dev.convcl.PostOps;
import dev.convcl.spi.Implementation;
import dev.convcl.spi.Primitive;
import dev.convcl.testing.Problems;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What the CPU path's implementation list says about descriptors it cannot run. */
class CpuImplementationsTest {
    private static final Convolution DEPTHWISE = Problems.parse("op=conv2d n=1 c=4 h=9 w=9 k=4 kh=3 kw=3 pad=1 groups=4");
    private static final ChannelAffine AFFINE = new ChannelAffine(1, 4, 3, 3, PostOps.none());

    @Test
    void convolutionEntriesNameTheirRuleAndRejectOtherOperators() {
        try (CpuBackend cpu = new CpuBackend(1)) {
            Implementation gemm = find(cpu, "cpu-1x1");
            assertEquals(Optional.of("not a convolution"), gemm.validate(AFFINE));
            assertTrue(gemm.validate(DEPTHWISE).isPresent(), "a 3x3 kernel is not a 1x1 convolution");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> gemm.create(DEPTHWISE, null));
            assertEquals("cpu-1x1 cannot run " + DEPTHWISE + ": " + gemm.validate(DEPTHWISE).get(), e.getMessage());
            Implementation depthwise = find(cpu, "cpu-depthwise");
            assertEquals(Optional.empty(), depthwise.validate(DEPTHWISE));
            e = assertThrows(IllegalArgumentException.class, () -> depthwise.create(DEPTHWISE, "8x8"));
            assertEquals("cpu-depthwise has no configuration '8x8'", e.getMessage());
            try (Primitive p = depthwise.create(DEPTHWISE, null)) {
                assertEquals("cpu-depthwise", p.algorithm());
            }
        }
    }

    @Test
    void operatorEntriesAcceptTheirClassOnly() {
        try (CpuBackend cpu = new CpuBackend(1)) {
            Implementation affine = find(cpu, "cpu-channel-affine");
            assertEquals(Optional.empty(), affine.validate(AFFINE));
            assertEquals(Optional.of("not ChannelAffine"), affine.validate(DEPTHWISE));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> affine.create(DEPTHWISE, null));
            assertEquals("cpu-channel-affine cannot run " + DEPTHWISE + ": not ChannelAffine", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> affine.create(AFFINE, "x"));
            assertEquals("cpu-channel-affine has no configuration 'x'", e.getMessage());
            Operation pool = Problems.parse("op=conv2d n=1 c=1 h=3 w=3 k=1 kh=1 kw=1");
            assertEquals(Optional.of("not Pool2d"), find(cpu, "cpu-pool2d").validate(pool));
        }
    }

    private static Implementation find(CpuBackend cpu, String name) {
        return cpu.implementations().stream().filter(i -> i.name().equals(name)).findFirst().orElseThrow();
    }
}
