package dev.convcl.cli;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Java path's FMA loop on the incubator Vector API: 12 independent accumulators of the
 * preferred species, as many as hide a 4-5 cycle FMA latency on two FMA units and still fit 16
 * vector registers with the two operands (AVX2); AVX-512 has 32. Loaded by name by
 * {@link Peak#javaLoops()}, only when the JVM has {@code jdk.incubator.vector}.
 */
final class VectorFmaLoop implements Peak.FmaLoop {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static volatile float sink;

    @Override
    public String describe() {
        return "FloatVector (" + S.vectorBitSize() + "-bit) x 12 accumulators";
    }

    @Override
    public double run(long reps) {
        FloatVector a = FloatVector.broadcast(S, 0.9999f);
        FloatVector b = FloatVector.broadcast(S, 1e-4f);
        // Distinct starting values, so that no two chains can be merged.
        FloatVector c0 = FloatVector.broadcast(S, 1.01f);
        FloatVector c1 = FloatVector.broadcast(S, 1.02f);
        FloatVector c2 = FloatVector.broadcast(S, 1.03f);
        FloatVector c3 = FloatVector.broadcast(S, 1.04f);
        FloatVector c4 = FloatVector.broadcast(S, 1.05f);
        FloatVector c5 = FloatVector.broadcast(S, 1.06f);
        FloatVector c6 = FloatVector.broadcast(S, 1.07f);
        FloatVector c7 = FloatVector.broadcast(S, 1.08f);
        FloatVector c8 = FloatVector.broadcast(S, 1.09f);
        FloatVector c9 = FloatVector.broadcast(S, 1.10f);
        FloatVector c10 = FloatVector.broadcast(S, 1.11f);
        FloatVector c11 = FloatVector.broadcast(S, 1.12f);
        for (long r = 0; r < reps; r++) {
            c0 = c0.fma(a, b);
            c1 = c1.fma(a, b);
            c2 = c2.fma(a, b);
            c3 = c3.fma(a, b);
            c4 = c4.fma(a, b);
            c5 = c5.fma(a, b);
            c6 = c6.fma(a, b);
            c7 = c7.fma(a, b);
            c8 = c8.fma(a, b);
            c9 = c9.fma(a, b);
            c10 = c10.fma(a, b);
            c11 = c11.fma(a, b);
        }
        FloatVector sum = c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11);
        sink = sum.reduceLanes(VectorOperators.ADD);
        return 2.0 * 12 * S.length() * reps;
    }
}
