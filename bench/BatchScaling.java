import dev.convcl.Arg;
import dev.convcl.ArgSpec;
import dev.convcl.Args;
import dev.convcl.Engine;
import dev.convcl.HostTensor;
import dev.convcl.Operation;
import dev.convcl.Plan;
import dev.convcl.Tensor;
import dev.convcl.cli.BenchSuite;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * Time per image of one problem at several batch sizes, with how busy the rest of the machine was
 * (docs/PERFORMANCE.md, "bench --batch"). Each round times every batch size in turn (the order
 * reversed every other round) for about SECONDS: calls on device tensors, each waiting for its
 * result. Per batch size and round it records wall ms per image, this process's CPU ms per image
 * (all threads: POCL's workers too) and profiled kernel ms per image, and the cores other
 * processes used meanwhile (the machine's busy time from /proc/stat less this process's). With
 * WAIT_IDLE set, each measurement first waits (up to 90 s) for the machine to be idle. Linux only.
 *
 * <pre>
 *   POCL_SIGFPE_HANDLER=0 java -cp target/convcl-0.1.0-SNAPSHOT-cli.jar bench/BatchScaling.java \
 *       "op=conv2d n=1 c=128 h=28 w=28 k=128 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1" 1,8,32 8 1.0
 * </pre>
 *
 * A batch size written {@code 1r32} is batch 1 with 32 inputs used in turn (each call's input cold
 * in the caches, as each image of a large batch is).
 */
public final class BatchScaling {
    private BatchScaling() {
    }

    public static void main(String[] a) throws Exception {
        if (a.length != 4) {
            System.err.println("usage: BatchScaling PROBLEM_LINE BATCHES ROUNDS SECONDS, e.g. \"op=conv2d n=1 ...\" 1,8,32 8 1.0");
            System.exit(2);
        }
        String[] names = a[1].split(",");
        int rounds = Integer.parseInt(a[2]);
        double seconds = Double.parseDouble(a[3]);
        boolean waitIdle = System.getenv("WAIT_IDLE") != null;
        int nb = names.length;
        double[][] wall = new double[nb][rounds], cpu = new double[nb][rounds], kernel = new double[nb][rounds],
                others = new double[nb][rounds];
        try (Engine engine = Engine.create()) {
            Plan[] plans = new Plan[nb];
            Args[][] inputs = new Args[nb][];
            int[] batch = new int[nb];
            Random random = new Random(42);
            for (int b = 0; b < nb; b++) {
                String[] parts = names[b].split("r");
                batch[b] = Integer.parseInt(parts[0]);
                int sets = parts.length > 1 ? Integer.parseInt(parts[1]) : 1;
                // a line pasted from a shapes file may carry its quick= field, which is not the operator's
                Operation op = Operation.parse(BenchSuite.withoutQuick(a[0])
                        .replaceFirst("n=\\d+", "n=" + batch[b]));
                plans[b] = engine.plan(op);
                inputs[b] = new Args[sets];
                for (int set = 0; set < sets; set++) {
                    Args.Builder args = Args.builder();
                    for (ArgSpec s : op.arguments()) {
                        if (s.arg() == Arg.DST) {
                            args.set(Arg.DST, engine.allocate(s.shape()));
                            continue;
                        }
                        HostTensor t = Tensor.of(uniform(random, s.shape()), s.shape());
                        if (s.arg() == Arg.WEIGHTS || s.arg() == Arg.BIAS) {
                            if (set == 0) {
                                plans[b].bind(s.arg(), t);
                            }
                        } else {
                            args.set(s.arg(), engine.upload(t));
                        }
                    }
                    inputs[b][set] = args.build();
                }
                for (int w = 0; w < 3; w++) {
                    plans[b].execute(inputs[b][w % sets]);
                    engine.finish();
                }
                System.out.println("# n=" + names[b] + " " + plans[b].algorithm());
            }
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < nb; i++) {
                    int b = r % 2 == 0 ? i : nb - 1 - i;
                    if (waitIdle) {
                        waitIdle();
                    }
                    long images = 0;
                    double kernelMs = 0;
                    int calls = 0;
                    long busy0 = machineBusyTicks(), own0 = ownTicks(), t0 = System.nanoTime();
                    while (calls < 3 || System.nanoTime() - t0 < seconds * 1e9) {
                        plans[b].execute(inputs[b][calls % inputs[b].length]);
                        engine.finish();
                        kernelMs += plans[b].lastKernelMillis();
                        images += batch[b];
                        calls++;
                    }
                    long t1 = System.nanoTime(), own1 = ownTicks(), busy1 = machineBusyTicks();
                    double wallS = (t1 - t0) / 1e9;
                    wall[b][r] = wallS * 1e3 / images;
                    cpu[b][r] = (own1 - own0) * 10.0 / images; // 100 ticks a second
                    kernel[b][r] = kernelMs / images;
                    others[b][r] = ((busy1 - busy0) - (own1 - own0)) / 100.0 / wallS;
                }
            }
        }
        for (int b = 0; b < nb; b++) {
            System.out.printf(Locale.ROOT, "n=%-5s wall ms/image median %.3f | CPU ms/image median %.3f | kernel ms/image median %.3f"
                    + " | others' cores median %.2f%n", names[b], median(wall[b]), median(cpu[b]), median(kernel[b]),
                    median(others[b]));
            StringBuilder each = new StringBuilder("        rounds (wall ms/image @ others' cores):");
            for (int r = 0; r < rounds; r++) {
                each.append(String.format(Locale.ROOT, " %.3f@%.2f", wall[b][r], others[b][r]));
            }
            System.out.println(each);
        }
    }

    private static float[] uniform(Random random, int[] shape) {
        long size = 1;
        for (int d : shape) {
            size *= d;
        }
        float[] v = new float[Math.toIntExact(size)];
        for (int i = 0; i < v.length; i++) {
            v[i] = random.nextFloat() * 2 - 1;
        }
        return v;
    }

    /** Waits, at most 90 s, until the machine was busy less than 0.2 cores over half a second. */
    private static void waitIdle() throws Exception {
        long end = System.nanoTime() + 90_000_000_000L;
        while (System.nanoTime() < end) {
            long b0 = machineBusyTicks();
            Thread.sleep(500);
            if (machineBusyTicks() - b0 < 10) {
                return;
            }
        }
    }

    /** Busy ticks of all CPUs: the "cpu" line of /proc/stat less idle and iowait. */
    private static long machineBusyTicks() throws Exception {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long busy = 0;
        for (int i = 1; i <= 8; i++) {
            if (i != 4 && i != 5) {
                busy += Long.parseLong(f[i]);
            }
        }
        return busy;
    }

    /** This process's CPU ticks, utime + stime of /proc/self/stat (counted after the command name). */
    private static long ownTicks() throws Exception {
        String line = Files.readAllLines(Path.of("/proc/self/stat")).get(0);
        String[] f = line.substring(line.lastIndexOf(')') + 1).trim().split("\\s+");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }
}
