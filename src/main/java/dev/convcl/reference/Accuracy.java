package dev.convcl.reference;

/** How far a result is from the reference: the one measure the tests, bench and verify use. */
public final class Accuracy {
    private Accuracy() {
    }

    /**
     * ||ref - out||_2 / ||ref||_2 (the absolute norm when {@code ref} is all zero). NaN must sit in
     * the same places in both (those places are skipped); anything else not finite, a NaN where
     * the other has none, or a length mismatch gives positive infinity, so it never passes a
     * tolerance.
     */
    public static double relativeL2(float[] ref, float[] out) {
        if (ref.length != out.length) {
            return Double.POSITIVE_INFINITY;
        }
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            float r = ref[i], o = out[i];
            if (Float.isNaN(r) || Float.isNaN(o)) {
                if (Float.isNaN(r) != Float.isNaN(o)) {
                    return Double.POSITIVE_INFINITY;
                }
                continue;
            }
            double d = (double) r - o;
            num += d * d;
            den += (double) r * r;
        }
        if (Double.isNaN(num)) {
            return Double.POSITIVE_INFINITY;
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }
}
