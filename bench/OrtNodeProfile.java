import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.OrtSession.SessionOptions.ExecutionMode;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

/**
 * ONNX Runtime's own per-node profile of a network, to set beside {@code convcl bench --model M
 * --layers} (docs/performance-notes.md, "Where RegNetY-400MF's time goes"): the session is opened
 * as the benchmark's ONNX Runtime peer opens it (CPU, 2 intra-op threads unless given, one inter-op
 * thread, sequential, ALL_OPT) with ONNX Runtime's profiler on, run CALLS times on one NCHW input of
 * uniform [0, 1) values (seed 1), and the profile (Chrome trace JSON: one "Node" event per node and
 * call, microseconds) is written under OUT_PREFIX. {@code bench/ort_node_profile.py} reads it.
 * The profiler adds time to every node (about 1.4x on MobileNetV2 at batch 1, 1.15x on RegNetY-400MF
 * at batch 8 on a 2-core VM): compare nodes with nodes, not its calls with a benchmark's.
 *
 * <pre>
 *   scripts/convcl bench --peers onnxruntime --filter x   # builds peers/onnxruntime once
 *   java -cp 'peers/onnxruntime/target/lib/*' bench/OrtNodeProfile.java M.onnx N C H W CALLS OUT_PREFIX [THREADS]
 * </pre>
 */
public final class OrtNodeProfile {
    private OrtNodeProfile() {
    }

    /** {@code value} as an integer of at least {@code least} (at most 2^31 - 1), else one line naming it and exit 2. */
    private static long atLeast(String name, String value, long least) {
        try {
            long v = Integer.parseInt(value.strip());
            if (v >= least) {
                return v;
            }
        } catch (NumberFormatException e) {
            // named below
        }
        System.err.println("OrtNodeProfile: " + name + " " + value + " must be an integer from " + least + " to "
                + Integer.MAX_VALUE + (name.equals("CALLS") ? " (ort_node_profile.py times the second half)" : ""));
        System.exit(2);
        return 0;
    }

    public static void main(String[] argv) throws Exception {
        if (argv.length < 7 || argv.length > 8) {
            System.err.println("usage: OrtNodeProfile M.onnx N C H W CALLS OUT_PREFIX [THREADS]");
            System.exit(2);
        }
        long[] shape = {atLeast("N", argv[1], 1), atLeast("C", argv[2], 1), atLeast("H", argv[3], 1),
            atLeast("W", argv[4], 1)};
        // ort_node_profile.py takes the second half of the calls, after the first half's warm-up
        int calls = (int) atLeast("CALLS", argv[5], 2);
        int threads = argv.length > 7 ? (int) atLeast("THREADS", argv[7], 1) : 2;
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (SessionOptions options = new SessionOptions()) {
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            options.setExecutionMode(ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(OptLevel.ALL_OPT);
            options.enableProfiling(argv[6]);
            try (OrtSession session = env.createSession(Path.of(argv[0]).toString(), options)) {
                String input = session.getInputNames().iterator().next();
                float[] x = new float[Math.toIntExact(shape[0] * shape[1] * shape[2] * shape[3])];
                Random random = new Random(1);
                for (int i = 0; i < x.length; i++) {
                    x[i] = random.nextFloat();
                }
                try (OnnxTensor tensor = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape)) {
                    for (int i = 0; i < calls; i++) {
                        try (OrtSession.Result ignored = session.run(Map.of(input, tensor))) {
                            // only the profile is wanted
                        }
                    }
                }
                System.out.println(session.endProfiling());
            }
        }
    }
}
