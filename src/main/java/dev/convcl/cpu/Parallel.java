package dev.convcl.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.function.IntConsumer;

/** Runs {@code body(0..count-1)} on a pool by recursive halving, so idle workers steal halves. */
final class Parallel {
    private Parallel() {
    }

    static void forEach(ForkJoinPool pool, int count, IntConsumer body) {
        if (count <= 0) {
            return;
        }
        if (count == 1 || pool.getParallelism() == 1) {
            for (int i = 0; i < count; i++) {
                body.accept(i);
            }
            return;
        }
        pool.invoke(new Range(0, count, body));
    }

    private static final class Range extends RecursiveAction {
        private static final long serialVersionUID = 1L;
        private final int lo;
        private final int hi;
        private final transient IntConsumer body;

        Range(int lo, int hi, IntConsumer body) {
            this.lo = lo;
            this.hi = hi;
            this.body = body;
        }

        @Override
        protected void compute() {
            if (hi - lo == 1) {
                body.accept(lo);
                return;
            }
            int mid = (lo + hi) >>> 1;
            invokeAll(new Range(lo, mid, body), new Range(mid, hi, body));
        }
    }
}
