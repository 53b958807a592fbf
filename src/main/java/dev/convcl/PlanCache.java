package dev.convcl;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The engine's plans for one-shot calls: at most {@code capacity}, least recently used evicted.
 * A plan in use by a call when it is evicted is closed when that call ends.
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

    private final Engine engine;
    private final int capacity;
    private final LinkedHashMap<Operation, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private boolean closed;

    PlanCache(Engine engine, int capacity) {
        this.engine = engine;
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

    private synchronized Entry acquire(Operation op) {
        if (closed) {
            throw new IllegalStateException("this Engine is closed");
        }
        Entry e = entries.get(op);
        if (e == null || e.plan.isClosed()) {
            e = new Entry(engine.plan(op));
            entries.put(op, e);
            evictBeyondCapacity();
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
