package dev.convcl;

import dev.convcl.testing.Problems;

/**
 * What every conv2d implementation of every backend must do ({@link ConvolutionContract}): on
 * every hand-picked problem and on {@value dev.convcl.testing.Problems#RANDOM_CONV2D_COUNT}
 * random specs.
 */
class Conv2dTest extends ConvolutionContract {
    /** conv2d has no offsets: their scale does not matter (CrossCheck draws none). */
    Conv2dTest() {
        super(Problems::conv2dHandPicked, Problems::conv2dAsymmetricPadding, Problems::conv2dRandom, seed -> 1);
    }
}
