package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import java.io.IOException;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class SpecFamilyTest {

    private static void assertFamily(SpecFamily f, Predicate<Convolution> property) {
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < 200; i++) {
            Convolution s = f.random(r);
            assertTrue(property.test(s), f.label() + ": " + s);
            assertTrue(s.n() <= 2 && s.outH() <= 40 && s.outW() <= 40, "small: " + s);
        }
    }

    @Test
    void everyFamilyGeneratesItsKind() {
        assertFamily(SpecFamily.DENSE, s -> s.groups() == 1 && !s.isDeformable());
        assertFamily(SpecFamily.DILATED, s -> s.dilH() > 1 && s.dilW() > 1);
        assertFamily(SpecFamily.GROUPED, s -> s.groups() > 1 && s.cPerGroup() > 1);
        assertFamily(SpecFamily.DEPTHWISE, s -> s.isDepthwise() && s.k() == s.c());
        assertFamily(SpecFamily.DEPTHWISE_MULTIPLIER, s -> s.isDepthwise() && s.k() >= 2 * s.c());
        assertFamily(SpecFamily.POINTWISE, s -> s.kh() == 1 && s.kw() == 1);
        assertFamily(SpecFamily.ASYMMETRIC, s -> s.kh() != s.kw());
        assertFamily(SpecFamily.LARGE_KERNEL, s -> s.kh() >= 9 && s.kw() == s.kh());
        assertFamily(SpecFamily.DEFORM_V1, s -> s instanceof DeformConv2d d && !d.mask());
        assertFamily(SpecFamily.DEFORM_V2, s -> s instanceof DeformConv2d d && d.mask());
    }

    @Test
    void shrunkSuiteProblemsKeepTheirStructure() throws IOException {
        for (BenchSuite.Problem p : BenchSuite.load(null)) {
            Convolution s = p.spec();
            Convolution small = SpecFamily.shrink(s);
            String what = p.name() + " -> " + small;
            assertEquals(1, small.n(), what);
            assertTrue(small.h() <= Math.max(SpecFamily.SHRUNK_SPATIAL, s.dilH() * (s.kh() - 1) + 1), what);
            assertTrue(small.groups() <= SpecFamily.SHRUNK_GROUPS && small.cPerGroup() <= SpecFamily.SHRUNK_CHANNELS
                    && small.kPerGroup() <= SpecFamily.SHRUNK_CHANNELS, what);
            assertEquals(s.isDepthwise(), small.isDepthwise(), what);
            assertEquals(s.kh() + "x" + s.kw() + " " + s.strideH() + "," + s.strideW() + " " + s.dilH() + "," + s.dilW()
                    + " " + s.name() + " " + mask(s), small.kh() + "x" + small.kw() + " " + small.strideH() + ","
                    + small.strideW() + " " + small.dilH() + "," + small.dilW() + " " + small.name() + " " + mask(small),
                    what);
        }
    }

    private static boolean mask(Convolution s) {
        return s instanceof DeformConv2d d && d.mask();
    }
}
