package dev.convcl;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The engine's plans for one-shot calls: at most {@code capacity}, least recently used evicted.
 * A plan in use by a call when it is evicted is closed when that call ends. A new problem is
 * planned outside the cache's lock, so its kernel build (seconds on POCL) does not hold up other
 * threads' calls of cached problems; two threads planning one new problem at once may both build
 * it, and the later one closes its plan and uses the cached one.
 */
final class PlanCache {
    private static final class Entry {
        final Plan plan;
        int inUse;
        boolean evicted;

        Entry(Plan plan) {
            this.plan = plan;
        }
    }

    private final Function<Operation, Plan> planner;
    private final int capacity;
    private final LinkedHashMap<Operation, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private boolean closed;

    PlanCache(Engine engine, int capacity) {
        this(engine::plan, capacity);
    }

    /** A cache whose plans {@code planner} makes (the engine's {@code plan}; a test's stand-in that waits). */
    PlanCache(Function<Operation, Plan> planner, int capacity) {
        this.planner = planner;
        this.capacity = capacity;
    }

    void execute(Operation op, Args args) {
        Entry e = acquire(op);
        try {
            e.plan.execute(args);
        } finally {
            release(e);
        }
    }

    private Entry acquire(Operation op) {
        Entry e = cached(op);
        if (e != null) {
            return e;
        }
        // Outside the lock: a trial saw a cached call wait for another thread's kernel build.
        Plan built = planner.apply(op);
        synchronized (this) {
            try {
                e = cached(op);
            } catch (IllegalStateException closedMeanwhile) {
                built.close();
                throw closedMeanwhile;
            }
            if (e != null) { // planned by another thread meanwhile
                built.close();
                return e;
            }
            e = new Entry(built);
            entries.put(op, e);
            evictBeyondCapacity();
            e.inUse++;
            return e;
        }
    }

    /** The open cached plan of {@code op}, marked in use, or null; throws when the cache is closed. */
    private synchronized Entry cached(Operation op) {
        if (closed) {
            throw new IllegalStateException("this Engine is closed");
        }
        Entry e = entries.get(op);
        if (e == null || e.plan.isClosed()) {
            return null;
        }
        e.inUse++;
        return e;
    }

    private void evictBeyondCapacity() {
        Iterator<Map.Entry<Operation, Entry>> it = entries.entrySet().iterator();
        while (entries.size() > capacity && it.hasNext()) {
            Entry old = it.next().getValue();
            it.remove();
            old.evicted = true;
            if (old.inUse == 0) {
                old.plan.close();
            }
        }
    }

    private synchronized void release(Entry e) {
        e.inUse--;
        if (e.evicted && e.inUse == 0) {
            e.plan.close();
        }
    }

    /** Number of cached plans. */
    synchronized int size() {
        return entries.size();
    }

    synchronized void close() {
        closed = true;
        for (Entry e : entries.values()) {
            e.plan.close();
        }
        entries.clear();
    }
}
