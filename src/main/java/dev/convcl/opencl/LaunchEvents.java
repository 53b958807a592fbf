package dev.convcl.opencl;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.jocl.cl_event;

/**
 * The events of a primitive's last call, kept until someone asks for the call's device time
 * ({@link #millis()}, which waits for them) or the next call replaces them. Not thread-safe:
 * its primitive serialises calls.
 *
 * <p>Every event counts as a live object of the context ({@link OpenClContext#liveObjects()})
 * from its creation until it is released. A kernel's launch event is counted by
 * {@link OpenClKernel#launch}; any other command's event (a copy, a fill) is counted here, when it
 * is {@linkplain #add added}, and uncounted here when it is released, so a call site that enqueues
 * a command with an event only has to hand the event to {@link #add}.
 */
final class LaunchEvents {
    private final OpenClContext ctx;
    private final List<cl_event> events = new ArrayList<>();
    /** The events of {@link #events} that are not kernel launches: counted (and uncounted) here. */
    private final Set<cl_event> counted = Collections.newSetFromMap(new IdentityHashMap<>());
    private double lastMillis = Double.NaN;
    private int commandCount;

    LaunchEvents(OpenClContext ctx) {
        this.ctx = ctx;
    }

    /** Starts a new call: the previous call's events are released unread. */
    void reset() {
        for (cl_event ev : events) {
            OpenClKernel.release(ev);
            uncount(ev);
        }
        events.clear();
        lastMillis = Double.NaN;
        commandCount = 0;
    }

    /**
     * Keeps the event of a command just enqueued, this call's: a kernel's launch event (from
     * {@link OpenClKernel#launch}, counted there) or the event of any other command, which is
     * counted as a live object from now until this released it.
     */
    void add(cl_event ev) {
        if (!OpenClKernel.isLaunchEvent(ev)) {
            counted.add(ev);
            ctx.countObject(1);
        }
        events.add(ev);
        commandCount++;
    }

    /** The commands of the last call whose time {@link #millis()} sums (kernels, copies, fills). */
    int commands() {
        return commandCount;
    }

    /** The summed device time of the last call, waiting for its commands; NaN when none ran or one failed. */
    double millis() {
        if (!events.isEmpty()) {
            double sum = 0;
            for (cl_event ev : events) {
                sum += OpenClKernel.waitElapsedMillisAndRelease(ev);
                uncount(ev);
            }
            events.clear();
            lastMillis = sum;
        }
        return lastMillis;
    }

    /** After {@code ev} was released: uncounts it when it was counted here. */
    private void uncount(cl_event ev) {
        if (counted.remove(ev)) {
            ctx.countObject(-1);
        }
    }

    /** Releases what is left (closing). */
    void close() {
        reset();
    }
}
