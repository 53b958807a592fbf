package dev.convcl.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
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
        pool.invoke(ForkJoinTask.adapt(() -> range(0, count, body)));
    }

    /** {@code body(lo..hi-1)} in the current pool task: the two halves as subtasks, one of them forked. */
    private static void range(int lo, int hi, IntConsumer body) {
        if (hi - lo == 1) {
            body.accept(lo);
            return;
        }
        int mid = (lo + hi) >>> 1;
        ForkJoinTask.invokeAll(ForkJoinTask.adapt(() -> range(lo, mid, body)),
                ForkJoinTask.adapt(() -> range(mid, hi, body)));
    }
}
