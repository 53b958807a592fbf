package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ConvSpecTest {

    /** h + 2*pad_h passes 2^31 here although every tensor is within the 32-bit limit. */
    @Test
    void outputSizeDoesNotOverflowOnHugePaddedHeight() {
        ConvSpec tall = ConvSpec.conv2d().input(1, 1, 2_000_000_000, 1).output(1).kernel(1, 1)
                .padding(1_000_000_000, 0).stride(2_000_000_000, 1).build();
        assertEquals(2, tall.outH(), tall.toString()); // floor((2e9 + 2e9 - 1) / 2e9) + 1
        assertArrayEquals(new int[] {1, 1, 2, 1}, tall.outputShape(), tall.toString());
        ConvSpec wide = ConvSpec.conv2d().input(1, 1, 1, 2_000_000_000).output(1).kernel(1, 3)
                .padding(0, 1_000_000_000).stride(1, 2_000_000_000).dilation(1, 1_000_000_000).build();
        assertEquals(1, wide.outW(), wide.toString()); // floor((2e9 + 2e9 - 2e9 - 1) / 2e9) + 1
    }
}
