package dev.convcl.opencl;

import java.util.ArrayList;
import java.util.List;
import org.jocl.cl_event;

/**
 * The launch events of a primitive's last call, kept until someone asks for the call's kernel
 * time ({@link #millis()}, which waits for them) or the next call replaces them. Not thread-safe:
 * its primitive serialises calls.
 */
final class LaunchEvents {
    private final List<cl_event> events = new ArrayList<>();
    private double lastMillis = Double.NaN;
    private int commands;

    /** Starts a new call: the previous call's events are released unread. */
    void reset() {
        for (cl_event ev : events) {
            OpenClKernel.release(ev);
        }
        events.clear();
        lastMillis = Double.NaN;
        commands = 0;
    }

    void add(cl_event ev) {
        events.add(ev);
        commands++;
    }

    /** The commands of the last call whose time {@link #millis()} sums (kernels, copies, fills). */
    int commands() {
        return commands;
    }

    /** The summed kernel time of the last call, waiting for its kernels; NaN when none ran or one failed. */
    double millis() {
        if (!events.isEmpty()) {
            double sum = 0;
            for (cl_event ev : events) {
                sum += OpenClKernel.waitElapsedMillisAndRelease(ev);
            }
            events.clear();
            lastMillis = sum;
        }
        return lastMillis;
    }

    /** Releases what is left (closing). */
    void close() {
        reset();
    }
}
