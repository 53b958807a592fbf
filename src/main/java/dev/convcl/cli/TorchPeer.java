package dev.convcl.cli;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import dev.convcl.HostTensor;
import dev.convcl.RoiAlign;
import dev.convcl.Tensor;
import dev.convcl.setting.Setting;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The PyTorch peer: {@code bench/torch_peer.py --serve} (bundled in the jar) in a child Python
 * process, which times {@code torch.nn.functional.conv2d}, {@code torchvision.ops.deform_conv2d},
 * {@code torchvision.ops.roi_align} and {@code torchvision.ops.ps_roi_align} on the data convcl
 * gives it ({@code .npy} files in a temporary folder), with the benchmark's timing rules ({@link BenchPeer.Budget}). The interpreter is {@code -Dconvcl.python}, else
 * {@code $CONVCL_PYTHON}, else {@value #DEFAULT_PYTHON} (where Debian's {@code python3-torch}
 * installs), else {@code python3} on the PATH.
 */
final class TorchPeer implements BenchPeer {
    static final String NAME = "torch";
    static final String DEFAULT_PYTHON = "/usr/bin/python3";
    static final String SCRIPT_RESOURCE = "/bench/torch_peer.py";
    static final String INSTALL_HINT = "Debian: apt-get install -y python3-torchvision libopenblas0-pthread";
    private static final int STDERR_LINES = 20;

    private final String python;
    private Path folder;
    private Process process;
    private BufferedWriter requests;
    private BufferedReader answers;
    private final Deque<String> stderrTail = new ArrayDeque<>();

    /** The peer with the interpreter the system property, the environment or the default names. */
    TorchPeer() {
        this(defaultPython());
    }

    TorchPeer(String python) {
        this.python = python;
    }

    static String defaultPython() {
        return Setting.of("convcl.python", "CONVCL_PYTHON").map(Setting::value)
                .orElseGet(() -> Files.isExecutable(Paths.get(DEFAULT_PYTHON)) ? DEFAULT_PYTHON : "python3");
    }

    @Override
    public String name() {
        return NAME;
    }

    /** A layer's call round-trips its output through files; the child times its own calls. */
    @Override
    public boolean callsInThisProcess() {
        return false;
    }

    @Override
    public String open(int threads) throws IOException {
        folder = Files.createTempDirectory("convcl-torch-peer");
        Path script = folder.resolve("torch_peer.py");
        try (InputStream in = TorchPeer.class.getResourceAsStream(SCRIPT_RESOURCE)) {
            if (in == null) {
                throw new IOException(SCRIPT_RESOURCE + " is missing from the classpath");
            }
            Files.copy(in, script);
        }
        ProcessBuilder pb = new ProcessBuilder(python, script.toString(), "--serve", "--threads",
                Integer.toString(threads));
        // OpenBLAS picks its own kernels (deform_conv2d's GEMM), as torch_peer.py's header says.
        pb.environment().remove("OPENBLAS_CORETYPE");
        pb.environment().remove("OPENBLAS_L2_SIZE");
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new IOException("cannot start " + python + ": " + FileArg.problem(e) + " (" + INSTALL_HINT
                    + "; -Dconvcl.python or CONVCL_PYTHON names another interpreter)");
        }
        // The stream, not the field: close() may clear the field before the thread starts.
        InputStream stderr = process.getErrorStream();
        Thread drain = new Thread(() -> drainStderr(stderr), "torch-peer-stderr");
        drain.setDaemon(true);
        drain.start();
        requests = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        answers = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String first = answers.readLine();
        if (first == null) {
            throw new IOException(python + " " + SCRIPT_RESOURCE + " ended before it answered" + ended());
        }
        if (first.startsWith("unavailable ")) {
            throw new IOException(first.substring("unavailable ".length()) + " (" + INSTALL_HINT + ")");
        }
        if (!first.startsWith("ready ")) {
            throw new IOException("unexpected first line from " + SCRIPT_RESOURCE + ": " + first);
        }
        return first.substring("ready ".length());
    }

    private void drainStderr(InputStream err) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(err, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                synchronized (stderrTail) {
                    stderrTail.addLast(line);
                    if (stderrTail.size() > STDERR_LINES) {
                        stderrTail.removeFirst();
                    }
                }
            }
        } catch (IOException e) {
            // the process is gone; what it wrote so far is kept
        }
    }

    /** ": exit N; its last stderr line: ..." for a process that has ended (waits a moment for it). */
    private String ended() {
        StringBuilder sb = new StringBuilder();
        try {
            if (process.waitFor(2, TimeUnit.SECONDS)) {
                sb.append(" (exit ").append(process.exitValue()).append(")");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String last;
        synchronized (stderrTail) {
            last = stderrTail.isEmpty() ? null : stderrTail.peekLast();
        }
        if (last != null) {
            sb.append("; its last line on stderr: ").append(last);
        }
        return sb.toString();
    }

    /** Sends one request and returns the answer's text after "ok" (or throws with the error). */
    private String ask(String request) throws IOException {
        if (process == null) {
            throw new IllegalStateException("the torch peer is not open");
        }
        try {
            requests.write(request);
            requests.write('\n');
            requests.flush();
        } catch (IOException e) {
            throw new IOException("the PyTorch peer's process is gone" + ended());
        }
        String answer = answers.readLine();
        if (answer == null) {
            throw new IOException("the PyTorch peer's process ended" + ended());
        }
        if (answer.equals("ok") || answer.startsWith("ok ")) {
            return answer.length() > 2 ? answer.substring(3) : "";
        }
        throw new IOException("PyTorch: " + (answer.startsWith("error ") ? answer.substring(6) : answer));
    }

    @Override
    public Optional<String> unsupportedModel() {
        return Optional.of("the torch peer runs single layers through torch.nn.functional (bench/torch_peer.py); "
                + "PyTorch cannot run an ONNX file");
    }

    @Override
    public Optional<String> unsupported(Convolution op) {
        if (!op.postOps().isEmpty()) {
            return Optional.of("post-ops (" + op.postOps() + ") are not part of the timed PyTorch call");
        }
        return Optional.empty();
    }

    @Override
    public Layer prepare(Convolution op, Args inputs) throws IOException {
        Map<String, HostTensor> files = new LinkedHashMap<>();
        files.put("x", host(inputs, Arg.SRC));
        files.put("w", host(inputs, Arg.WEIGHTS));
        if (op.bias()) {
            files.put("b", host(inputs, Arg.BIAS));
        }
        if (op instanceof DeformConv2d d) {
            files.put("offset", host(inputs, Arg.OFFSET));
            if (d.mask()) {
                files.put("mask", host(inputs, Arg.MASK));
            }
        }
        return prepared(files, String.format(Locale.ROOT, "prepare %s %d,%d %d,%d,%d,%d %d,%d %d",
                op.isDeformable() ? "deform2d" : "conv2d", op.strideH(), op.strideW(), op.padTop(), op.padLeft(),
                op.padBottom(), op.padRight(), op.dilH(), op.dilW(), op.groups()), op.outputShape());
    }

    /** torchvision has roi_align and ps_roi_align; deform_roi_pool is mmcv's, which is no peer here. */
    @Override
    public Optional<String> unsupported(RoiAlign op) {
        if (op.kind() == RoiAlign.Kind.DEFORM_ROI_POOL) {
            return Optional.of("no peer: torchvision has no deform_roi_pool (it is mmcv's operator)");
        }
        return Optional.empty();
    }

    @Override
    public Layer prepare(RoiAlign op, Args inputs) throws IOException {
        Optional<String> why = unsupported(op);
        if (why.isPresent()) {
            throw new UnsupportedOperationException(why.get());
        }
        Map<String, HostTensor> files = new LinkedHashMap<>();
        files.put("x", host(inputs, Arg.SRC));
        files.put("rois", host(inputs, Arg.ROIS));
        // Float.toString gives the float's shortest exact form; Python's float() reads it back.
        return prepared(files, String.format(Locale.ROOT, "prepare_roi %s %d,%d %s %d %d", op.name(), op.outH(),
                op.outW(), Float.toString(op.spatialScale()), op.samplingRatio(), op.aligned() ? 1 : 0),
                op.outputShape());
    }

    /**
     * Writes {@code files} as {@code NAME.npy} to a new folder and asks the child process to
     * prepare {@code request} (the folder appended) there.
     */
    private Layer prepared(Map<String, HostTensor> files, String request, int[] outputShape) throws IOException {
        Path dir = Files.createTempDirectory(folder, "layer");
        try {
            for (Map.Entry<String, HostTensor> f : files.entrySet()) {
                Npy.write(dir.resolve(f.getKey() + ".npy"), f.getValue());
            }
            return new TorchLayer(this, outputShape, dir, ask(request + " " + dir));
        } catch (IOException | RuntimeException e) {
            deleteTree(dir);
            throw e;
        }
    }

    private static HostTensor host(Args a, Arg role) {
        if (!(a.get(role) instanceof HostTensor t)) {
            throw new IllegalArgumentException("the torch peer needs a host tensor for " + role.displayName());
        }
        return t;
    }

    /**
     * A layer prepared in the child process.
     *
     * @param peer        the peer whose process holds it
     * @param outputShape the shape its output must have
     * @param dir         the folder of its inputs and output
     * @param algorithm   what the process said it runs
     */
    private record TorchLayer(TorchPeer peer, int[] outputShape, Path dir, String algorithm) implements Layer {
        @Override
        public void call() throws IOException {
            peer.ask("run");
        }

        @Override
        public HostTensor output() throws IOException {
            HostTensor y = Npy.read(dir.resolve("y.npy"));
            if (!java.util.Arrays.equals(y.shape(), outputShape)) {
                throw new IOException("PyTorch's output has shape " + java.util.Arrays.toString(y.shape())
                        + ", not " + java.util.Arrays.toString(outputShape));
            }
            return Tensor.of(y.toArray(), y.shape());
        }

        @Override
        public Timing time(Budget budget) throws IOException {
            String times = peer.ask(String.format(Locale.ROOT, "time %d %s %d %s", budget.warmup(),
                    Double.toString(budget.warmupSeconds()), budget.iters(), Double.toString(budget.seconds())));
            List<Double> ms = new ArrayList<>();
            for (String t : times.trim().split("\\s+")) {
                if (!t.isEmpty()) {
                    try {
                        ms.add(Double.parseDouble(t));
                    } catch (NumberFormatException e) {
                        throw new IOException("PyTorch peer: '" + t + "' is not a time in milliseconds");
                    }
                }
            }
            return new Timing(ms.stream().mapToDouble(Double::doubleValue).toArray());
        }

        @Override
        public void close() throws IOException {
            try {
                if (peer.process != null && peer.process.isAlive()) {
                    peer.ask("release");
                }
            } finally {
                deleteTree(dir);
            }
        }
    }

    @Override
    public void close() {
        if (process != null) {
            try {
                requests.close();
            } catch (IOException e) {
                // the process is gone already
            }
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            process = null;
        }
        if (folder != null) {
            deleteTree(folder);
            folder = null;
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            // a temporary folder left behind is not worth failing a benchmark for
        }
    }
}
