package dev.convcl.opencl;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.convcl.Binary;
import dev.convcl.ChannelAffine;
import dev.convcl.SqueezeExcitation;
import dev.convcl.ChannelCopy;
import dev.convcl.ChannelShuffle;
import dev.convcl.Convolution;
import dev.convcl.Operation;
import dev.convcl.DeviceException;
import dev.convcl.spi.Implementation;
import dev.convcl.spi.Primitive;
import dev.convcl.testing.Primitives;
import dev.convcl.testing.ProblemFiles;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.LoggerFactory;

/**
 * Builds every kernel configuration the OpenCL plans can produce for the problems of
 * kernel-coverage.txt and reports each build log that is not empty (compiler warnings).
 * {@link KernelBuildWarningsOpenClTest} runs it in a JVM of its own with fresh kernel caches (a
 * cached program is not compiled, so it has no log), where the environment can also pick POCL's
 * target CPU: {@code POCL_KERNELLIB_NAME=avx2} gives POCL's pthread-haswell device (AVX2) on an
 * AVX-512 machine.
 *
 * <p>"Every configuration" a device of this type can be given: every implementation of the
 * device's list that accepts the problem, with its default configuration; the direct kernels; every depthwise and deformable tile the plans offer this device (the
 * CPU lists on a CPU device); every GEMM tile the tuner may time for this device type, at every
 * vector width (1 to 16: the width comes from the device); the weight packer. Each goes through
 * the plan's own constructor, so the build options are the plans' own.
 *
 * <p>With {@code --probe}, builds two test kernels instead (see {@link #probe}).
 *
 * <p>Configurations whose {@link #codePathKey} is equal share one build (their kernels are never
 * launched), which keeps the check to a few dozen compiles. Prints
 * {@code kernel-build-check: DEVICE: C configurations, N programs built, M with a build log}, then
 * each such log; exits 1 when M > 0 or a configuration fails to build, 2 without a device.
 */
public final class KernelBuildCheck {
    private KernelBuildCheck() {
    }

    public static void main(String[] args) {
        OpenClDiscovery found = OpenClDiscovery.discover();
        if (!found.available()) {
            System.out.println("kernel-build-check: no OpenCL device: " + found.unavailable());
            System.exit(2);
        }
        OpenClDeviceInfo device = found.best().orElseThrow();
        if (List.of(args).contains("--probe")) {
            probe(device);
            return;
        }
        List<String> failures = new ArrayList<>();
        int configurations = 0;
        Map<String, String> logs;
        try (OpenClBackend cl = new OpenClBackend(device)) {
            OpenClContext ctx = cl.context();
            ctx.programs().shareBuildsBy(KernelBuildCheck::codePathKey);
            for (ProblemFiles.Named p : ProblemFiles.kernelCoverageAll()) {
                configurations += buildAll(cl, p.op(), failures);
            }
            for (dev.convcl.testing.RoiProblems.Case c : dev.convcl.testing.RoiProblems.kernelCoverage()) {
                for (Implementation impl : Primitives.accepting(cl, c.op())) {
                    configurations += build(failures, c + " [" + impl.name() + "]", () -> impl.create(c.op(), null));
                }
            }
            logs = ctx.programs().buildLogs();
        }
        long withLog = logs.values().stream().filter(l -> !l.isBlank()).count();
        System.out.println("kernel-build-check: " + device.describe() + ": " + configurations + " configurations, "
                + logs.size() + " programs built, " + withLog + " with a build log");
        logs.forEach((program, log) -> {
            if (!log.isBlank()) {
                System.out.println("kernel-build-check: build log of " + program + ":\n" + log);
            }
        });
        failures.forEach(f -> System.out.println("kernel-build-check: FAIL: " + f));
        System.exit(withLog == 0 && failures.isEmpty() ? 0 : 1);
    }

    /**
     * {@code --probe}: builds the test kernels build_warning_probe.cl (which warns) and
     * build_error_probe.cl (which fails) with ProgramCache's logger at DEBUG, and prints
     * {@code probe: LEVEL message} for each event it logged and {@code probe: exception MESSAGE} for
     * the failed build.
     */
    private static void probe(OpenClDeviceInfo device) {
        Logger logger = (Logger) LoggerFactory.getLogger(ProgramCache.class);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        logger.addAppender(events);
        logger.setAdditive(false);
        logger.setLevel(Level.DEBUG);
        try (OpenClBackend cl = new OpenClBackend(device)) {
            ProgramCache programs = cl.context().programs();
            programs.program("build_warning_probe.cl", "-cl-std=CL1.2");
            try {
                programs.program("build_error_probe.cl", "-cl-std=CL1.2");
                System.out.println("probe: build_error_probe.cl built");
            } catch (DeviceException e) {
                System.out.println("probe: exception " + e.getMessage());
            }
        }
        for (ILoggingEvent e : events.list) {
            System.out.println("probe: " + e.getLevel() + " " + e.getFormattedMessage());
        }
    }

    /**
     * Builds every configuration of {@code spec} (see the class comment) and returns how many;
     * failures are added to {@code failures}.
     */
    static int buildAll(OpenClBackend backend, Operation op, List<String> failures) {
        int count = 0;
        OpenClContext ctx = backend.context();
        OpenClDeviceInfo device = ctx.info();
        for (Implementation impl : Primitives.accepting(backend, op)) {
            count += build(failures, op + " [" + impl.name() + "]", () -> impl.create(op, null));
        }
        if (!(op instanceof Convolution spec)) {
            // the vector kernels at every width a device may give them (the width comes from the device)
            for (int width = 1; width <= 16; width *= 2) {
                int vw = width;
                Supplier<Primitive> plan = null;
                if (op instanceof ChannelAffine a) {
                    plan = () -> new ChannelAffinePlan(ctx, a, vw);
                } else if (op instanceof Binary b) {
                    plan = () -> new BinaryPlan(ctx, b, BinaryPlan.layout(b), vw, BinaryPlan.layout(b).dims()[3]);
                } else if (op instanceof ChannelCopy c) {
                    plan = () -> new ChannelCopyPlan(ctx, c, vw);
                } else if (op instanceof ChannelShuffle c) {
                    plan = () -> new ChannelShufflePlan(ctx, c, vw);
                } else if (op instanceof SqueezeExcitation se) {
                    plan = () -> new SqueezeExcitationPlan(ctx, se, vw);
                }
                if (plan != null) {
                    count += build(failures, op + " [vw=" + vw + "]", plan);
                }
                if (op instanceof ChannelAffine a) {
                    count += build(failures, op + " [vw=" + vw + " plane]", () -> new ChannelAffinePlan(ctx, a, vw, true));
                }
            }
            return count;
        }
        if (DepthwisePlan.supports(spec)) {
            for (DepthwisePlan.Tile t : DepthwisePlan.candidates(spec, device)) {
                count += build(failures, spec + " [depthwise " + t + "]", () -> new DepthwisePlan(ctx, spec, t));
            }
        }
        if (DeformGemmPlan.supports(spec)) {
            for (DeformGemmPlan.Tile t : DeformGemmPlan.candidates(spec, device)) {
                count += build(failures, spec + " [deform-gemm " + t + "]", () -> new DeformGemmPlan(ctx, spec, t));
            }
            for (DeformCmPlan.Tile t : DeformCmPlan.candidates(spec, device)) {
                count += build(failures, spec + " [deform-gemm " + t + "]", () -> new DeformCmPlan(ctx, spec, t));
            }
        }
        if (GemmConvPlan.handles(spec)) {
            for (int width = 1; width <= 16; width *= 2) {
                for (GemmConfig g : GemmDefaults.candidates(spec, GemmDefaults.cpuLike(device), width)) {
                    if (GemmConvPlan.unsuitableReason(spec, g, device).isEmpty()) {
                        count += build(failures, spec + " [gemm " + g + "]", () -> new GemmConvPlan(ctx, spec, g));
                    }
                }
            }
        }
        return count;
    }

    private static final Map<String, Set<String>[]> CONDITIONS = new ConcurrentHashMap<>();
    private static final Pattern DEFINE = Pattern.compile("^\\s*#\\s*define\\s+(\\w+)(?:\\([^)]*\\))?(.*)$");
    private static final Pattern CONDITIONAL = Pattern.compile("^\\s*#\\s*(if|elif|ifdef|ifndef)\\b(.*)$");
    private static final Pattern DEFINED = Pattern.compile("defined\\s*(?:\\(\\s*(\\w+)\\s*\\)|(\\w+))");
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_]\\w*");
    private static final Pattern DEFAULT_VALUE = Pattern.compile(
            "(?m)^[ \\t]*#[ \\t]*ifndef[ \\t]+(\\w+)[ \\t]*\\n([ \\t]*#[ \\t]*define[ \\t]+\\1\\b[^\\n]*)\\n[ \\t]*#[ \\t]*endif\\b[^\\n]*");

    /**
     * What decides which code a build of {@code file} with {@code options} compiles: the build
     * options other than -D, and the -D options that a preprocessor conditional of the source
     * (includes expanded) depends on, directly or through its #defines: by value, or by presence
     * for {@code defined(X)}. Builds that agree on it compile the same calls on the same vector
     * types; the other -D options are constants that size loops and arrays.
     */
    static String codePathKey(String file, String options) {
        Set<String>[] c = CONDITIONS.computeIfAbsent(file, KernelBuildCheck::conditionNames);
        Set<String> byValue = c[0], byPresence = c[1];
        List<String> key = new ArrayList<>();
        for (String o : options.trim().split("\\s+")) {
            if (!o.startsWith("-D")) {
                key.add(o);
                continue;
            }
            String name = o.substring(2).split("=", 2)[0];
            if (byValue.contains(name)) {
                key.add(o);
            } else if (byPresence.contains(name)) {
                key.add("-D" + name);
            }
        }
        return String.join(" ", key);
    }

    /** {names a conditional uses by value, names it uses by presence} in {@code file}'s source. */
    @SuppressWarnings("unchecked")
    private static Set<String>[] conditionNames(String file) {
        String source = ProgramCache.KernelSources.load(file)
                .replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\\n]*", "");
        // "#ifndef X / #define X default / #endif" gives X a default value; it chooses no code by
        // itself (PACK_R, which only bounds a loop, stays a constant)
        source = DEFAULT_VALUE.matcher(source).replaceAll("$2");
        Map<String, String> defines = new HashMap<>();
        Set<String> byValue = new TreeSet<>(), byPresence = new TreeSet<>();
        for (String line : source.split("\\n")) {
            Matcher d = DEFINE.matcher(line);
            if (d.matches()) {
                defines.merge(d.group(1), d.group(2), (x, y) -> x + " " + y);
            }
            Matcher m = CONDITIONAL.matcher(line);
            if (!m.matches()) {
                continue;
            }
            if (m.group(1).startsWith("ifn") || m.group(1).equals("ifdef")) {
                byPresence.add(m.group(2).trim());
                continue;
            }
            Matcher def = DEFINED.matcher(m.group(2));
            while (def.find()) {
                byPresence.add(def.group(1) != null ? def.group(1) : def.group(2));
            }
            Matcher id = IDENTIFIER.matcher(DEFINED.matcher(m.group(2)).replaceAll(" "));
            while (id.find()) {
                byValue.add(id.group());
            }
        }
        // through macros: #if WG_SIZE > 1 depends on WGX and WGY
        for (List<String> todo = new ArrayList<>(byValue); !todo.isEmpty(); ) {
            String body = defines.get(todo.remove(todo.size() - 1));
            if (body != null) {
                Matcher id = IDENTIFIER.matcher(body);
                while (id.find()) {
                    if (byValue.add(id.group())) {
                        todo.add(id.group());
                    }
                }
            }
        }
        return new Set[] {byValue, byPresence};
    }

    private static int build(List<String> failures, String what, Supplier<Primitive> plan) {
        try (Primitive ignored = plan.get()) {
            // built and allocated; nothing to run
        } catch (RuntimeException e) {
            failures.add(what + ": " + e.getMessage());
        }
        return 1;
    }
}
