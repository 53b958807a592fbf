package dev.convcl.testing;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Structure;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * Native memory held outside the JVM's own bookkeeping: what the C allocator has handed out and
 * not taken back (glibc's {@code mallinfo2()}, {@code uordblks + hblkhd}, all arenas, all
 * threads), minus what the JVM mallocs for itself as its Native Memory Tracking counts it (JIT
 * compiler arenas, GC structures, symbols; everything but the category {@code Other}, which is
 * {@code Unsafe} memory such as direct buffers). What is left is what an OpenCL driver on the host
 * (POCL), JOCL, JNA, direct buffers and other native libraries keep.
 *
 * <p>Why not the resident set: it is dominated by the Java heap and JIT code, which grow and
 * shrink with the JVM's activity (tens of MiB over a run on a busy 2-core machine). Why not
 * malloc alone: the JIT's arenas move it by megabytes while the machine is loaded, several KiB a
 * plan cycle for minutes on end. Minus the JVM's own share it stays within a few bytes a cycle.
 *
 * <p>Needs the JVM started with {@code -XX:NativeMemoryTracking=summary} and glibc (2.33+ for
 * {@code mallinfo2}, else {@code mallinfo}).
 */
public final class NativeMemory {
    /** The JVM option that {@link #outsideJvmBytes()} needs. */
    public static final String JVM_OPTION = "-XX:NativeMemoryTracking=summary";
    private static final Function MALLINFO2 = find("mallinfo2");
    private static final Function MALLINFO = MALLINFO2 != null ? null : find("mallinfo");
    private static final Pattern TOTAL_MALLOC = Pattern.compile("(?m)^\\s*malloc: (\\d+)KB");
    private static final Pattern CATEGORY = Pattern.compile("(?m)^-\\s*(.+?) \\(reserved=");
    private static final Pattern CATEGORY_MALLOC = Pattern.compile("\\(malloc=(\\d+)KB");

    private NativeMemory() {
    }

    /** glibc's {@code struct mallinfo2}: ten {@code size_t}. */
    @Structure.FieldOrder({"arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost"})
    public static class MallInfo2 extends Structure implements Structure.ByValue {
        public long arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
    }

    /** glibc's older {@code struct mallinfo}: ten {@code int} (they wrap at 4 GiB; differences stay right). */
    @Structure.FieldOrder({"arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost"})
    public static class MallInfo extends Structure implements Structure.ByValue {
        public int arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
    }

    private static Function find(String name) {
        try {
            return NativeLibrary.getInstance("c").getFunction(name);
        } catch (UnsatisfiedLinkError e) {
            return null;
        }
    }

    /**
     * Bytes handed out by malloc and not freed, in all threads.
     *
     * @throws IllegalStateException when the C library reports no statistics (not glibc)
     */
    public static long mallocInUseBytes() {
        if (MALLINFO2 != null) {
            MallInfo2 m = (MallInfo2) MALLINFO2.invoke(MallInfo2.class, new Object[0]);
            return m.uordblks + m.hblkhd;
        }
        if (MALLINFO != null) {
            MallInfo m = (MallInfo) MALLINFO.invoke(MallInfo.class, new Object[0]);
            return (m.uordblks & 0xffffffffL) + (m.hblkhd & 0xffffffffL);
        }
        throw new IllegalStateException("the C library has neither mallinfo2 nor mallinfo (glibc has)");
    }

    /**
     * Bytes the JVM has malloc'ed for itself, from its Native Memory Tracking summary: the total
     * malloc less the category {@code Other}.
     *
     * @throws IllegalStateException when the JVM runs without {@value #JVM_OPTION}
     */
    public static long jvmOwnMallocBytes() {
        String summary;
        try {
            summary = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "vmNativeMemory",
                    new Object[] {new String[] {"summary"}}, new String[] {String[].class.getName()});
        } catch (JMException e) {
            throw new IllegalStateException("cannot read the Native Memory Tracking summary", e);
        }
        List<Integer> starts = new ArrayList<>();
        List<String> names = new ArrayList<>();
        Matcher category = CATEGORY.matcher(summary);
        while (category.find()) {
            starts.add(category.start());
            names.add(category.group(1).trim());
        }
        if (names.isEmpty()) {
            throw new IllegalStateException("no Native Memory Tracking summary; start the JVM with " + JVM_OPTION
                    + ": " + summary.strip());
        }
        starts.add(summary.length());
        long total = 0;
        long other = 0;
        for (int i = 0; i < names.size(); i++) {
            Matcher malloc = CATEGORY_MALLOC.matcher(summary.substring(starts.get(i), starts.get(i + 1)));
            long kib = malloc.find() ? Long.parseLong(malloc.group(1)) : 0;
            total += kib;
            if (names.get(i).equals("Other")) {
                other = kib;
            }
        }
        Matcher t = TOTAL_MALLOC.matcher(summary);
        if (t.find()) {
            total = Long.parseLong(t.group(1)); // the JVM's own total, where it prints one
        }
        return (total - other) * 1024;
    }

    /** Native memory in use outside the JVM's own bookkeeping: malloc in use less {@link #jvmOwnMallocBytes()}. */
    public static long outsideJvmBytes() {
        return mallocInUseBytes() - jvmOwnMallocBytes();
    }

    /**
     * The median of the differences between consecutive samples: the growth a leak adds to every
     * interval, with the occasional step of the allocator's other users (up or down) left out.
     *
     * @param samples bytes in use at equally spaced moments, at least three
     */
    public static long typicalGrowth(long[] samples) {
        if (samples.length < 3) {
            throw new IllegalArgumentException("need at least 3 samples, got " + samples.length);
        }
        long[] steps = new long[samples.length - 1];
        for (int i = 1; i < samples.length; i++) {
            steps[i - 1] = samples[i] - samples[i - 1];
        }
        Arrays.sort(steps);
        int n = steps.length;
        return n % 2 == 1 ? steps[n / 2] : (steps[n / 2 - 1] + steps[n / 2]) / 2;
    }

    /** The samples as kibibytes, for messages. */
    public static List<Long> kib(long[] samples) {
        List<Long> k = new ArrayList<>();
        for (long s : samples) {
            k.add(s / 1024);
        }
        return k;
    }
}
