package dev.convcl.testing;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.convcl.Convolution;
import dev.convcl.Engine;
import dev.convcl.Plan;
import java.util.ArrayList;
import java.util.List;

/**
 * Run in a forked JVM by {@code OpenClHostJvmTest}: uses the library the way an application
 * does (engine, plan, convolution on the OpenCL device, kernels compiled from source when the
 * caches are cold), then reports on standard error, as {@code RESULT key=value} lines, what the
 * application would see afterwards: which library handles the signals the JVM relies on, and
 * whether {@code int} division by zero throws in interpreted and in JIT-compiled code (POCL's
 * SIGFPE handler skips the faulting instruction; HotSpot checks {@code long} divisors itself).
 */
public final class HostJvmProbe {
    /** Signals the JVM handles itself (x86-64 and aarch64 Linux numbers). */
    private static final int[] JVM_SIGNALS = {1, 2, 3, 4, 7, 8, 11, 12, 15};
    private static final String[] NAMES = {"SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGBUS", "SIGFPE", "SIGSEGV",
        "SIGUSR2", "SIGTERM"};
    /** Calls that get a method compiled by C2 under -Xbatch (Tier4 thresholds are a few thousand). */
    private static final int WARM_UP_CALLS = 200_000;

    private HostJvmProbe() {
    }

    interface C extends Library {
        int sigaction(int signal, Pointer act, Pointer oldact);

        int dladdr(Pointer address, Pointer info);
    }

    public static void main(String[] args) {
        // Bind libc before the driver loads: loading JNA afterwards was seen to send a signal through
        // LLVM's handler, which then puts the JVM's handlers back and would hide what is checked.
        C c = Native.load("c", C.class);
        System.err.println("RESULT handlersBefore=" + String.join(",", handlerOwners(c)));
        String variable = System.getenv("POCL_SIGFPE_HANDLER");
        System.err.println("RESULT variable=" + (variable == null ? "unset" : variable));
        Convolution spec = Problems.parse("op=conv2d n=1 c=8 h=12 w=12 k=8 kh=3 kw=3 pad=1 groups=8 bias=1");
        try (Engine engine = Engine.create(); Plan plan = engine.plan(spec)) {
            CrossCheck.integersExact(spec, 1, plan::execute);
            System.err.println("RESULT backend=" + plan.backend());
        }
        // Before any division by zero: a signal that reaches LLVM's handler makes it put back the
        // handlers it replaced, which would hide them.
        System.err.println("RESULT handlers=" + String.join(",", handlerOwners(c)));
        System.err.println("RESULT interpreted=" + outcome(() -> interpretedDivide(1, 0)));
        long sum = 0;
        for (int i = 1; i <= WARM_UP_CALLS; i++) {
            sum += compiledDivide(i, i % 7 + 1);
        }
        System.err.println("RESULT warmUpSum=" + sum);
        System.err.println("RESULT compiled=" + outcome(() -> compiledDivide(1, 0)));
    }

    /** {@code throws} when {@code a / b} threw ArithmeticException, else the value it gave. */
    private static String outcome(java.util.function.LongSupplier division) {
        try {
            return "returned " + division.getAsLong();
        } catch (ArithmeticException e) {
            return "throws";
        }
    }

    /** Never called before the check: runs in the interpreter. */
    private static long interpretedDivide(int a, int b) {
        return a / b;
    }

    /** Called {@value #WARM_UP_CALLS} times with non-zero divisors first: compiled by then. */
    private static long compiledDivide(int a, int b) {
        return a / b;
    }

    /** {@code SIGSEGV:libjvm.so} for each signal the JVM handles, naming the object holding the handler. */
    private static List<String> handlerOwners(C c) {
        List<String> owners = new ArrayList<>();
        for (int i = 0; i < JVM_SIGNALS.length; i++) {
            try (Memory action = new Memory(256); Memory info = new Memory(4L * Native.POINTER_SIZE)) {
                action.clear();
                info.clear();
                c.sigaction(JVM_SIGNALS[i], null, action);
                long handler = action.getLong(0);
                String owner;
                if (handler == 0 || handler == 1) {
                    owner = handler == 0 ? "SIG_DFL" : "SIG_IGN";
                } else if (c.dladdr(new Pointer(handler), info) != 0 && info.getPointer(0) != null) {
                    String file = info.getPointer(0).getString(0);
                    owner = file.substring(file.lastIndexOf('/') + 1);
                } else {
                    owner = "unknown";
                }
                owners.add(NAMES[i] + ":" + owner);
            }
        }
        return owners;
    }
}
