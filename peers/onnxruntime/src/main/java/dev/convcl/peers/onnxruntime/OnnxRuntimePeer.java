package dev.convcl.peers.onnxruntime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.OrtSession.SessionOptions.ExecutionMode;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import dev.convcl.HostTensor;
import dev.convcl.Tensor;
import dev.convcl.cli.BenchPeer;
import dev.convcl.cli.OnnxLayerModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * ONNX Runtime Java as a peer of {@code convcl bench}: each layer is a one-node ONNX model
 * ({@link OnnxLayerModel}: a {@code Conv} or {@code DeformConv} node holding the layer's weights
 * and bias) in its own session on the CPU execution provider, set up as a user tuning for speed
 * would: {@code threads} intra-op threads, one inter-op thread, sequential execution, every graph
 * optimisation ({@code ALL_OPT}). The input lives in a direct buffer made once, and each call
 * writes into a direct output buffer made once (a pinned output), so a call is
 * {@code session.run} and nothing else, as convcl's host-array call is its {@code execute}.
 */
public final class OnnxRuntimePeer implements BenchPeer {
    /** The name {@code --peers} takes. */
    public static final String NAME = "onnxruntime";

    private OrtEnvironment env;
    private int threads;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String open(int threads) {
        this.threads = threads;
        env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "convcl-bench");
        return "ONNX Runtime " + env.getVersion() + " (Java), CPU execution provider, " + threads
                + " intra-op threads, graph optimisations ALL_OPT, one node a layer";
    }

    @Override
    public Optional<String> unsupported(Convolution op) {
        return OnnxLayerModel.unsupported(op);
    }

    @Override
    public Layer prepare(Convolution op, Args inputs) throws OrtException {
        if (env == null) {
            throw new IllegalStateException("the ONNX Runtime peer is not open");
        }
        byte[] model = OnnxLayerModel.write(op, host(inputs, Arg.WEIGHTS), op.bias() ? host(inputs, Arg.BIAS) : null);
        OrtLayer layer = new OrtLayer(op);
        try {
            layer.options.setIntraOpNumThreads(threads);
            layer.options.setInterOpNumThreads(1);
            layer.options.setExecutionMode(ExecutionMode.SEQUENTIAL);
            layer.options.setOptimizationLevel(OptLevel.ALL_OPT);
            try {
                layer.session = env.createSession(model, layer.options);
            } catch (OrtException e) {
                if (op instanceof DeformConv2d && e.getCode() == OrtException.OrtErrorCode.ORT_NOT_IMPLEMENTED) {
                    throw new UnsupportedOperationException("ONNX Runtime " + env.getVersion() + " has no CPU kernel for "
                            + "DeformConv (opset " + OnnxLayerModel.DEFORM_OPSET + ")");
                }
                throw e;
            }
            layer.input(OnnxLayerModel.INPUT, host(inputs, Arg.SRC));
            if (op instanceof DeformConv2d d) {
                layer.input(OnnxLayerModel.OFFSET, host(inputs, Arg.OFFSET));
                if (d.mask()) {
                    layer.input(OnnxLayerModel.MASK, host(inputs, Arg.MASK));
                }
            }
            layer.output = direct(Math.toIntExact(op.outputSize()));
            layer.outputTensor = OnnxTensor.createTensor(env, layer.output, longs(op.outputShape()));
            layer.pinned = Map.of(OnnxLayerModel.OUTPUT, layer.outputTensor);
            return layer;
        } catch (OrtException | RuntimeException e) {
            layer.close();
            throw e;
        }
    }

    private static HostTensor host(Args a, Arg role) {
        if (!(a.get(role) instanceof HostTensor t)) {
            throw new IllegalArgumentException("the ONNX Runtime peer needs a host tensor for " + role.displayName());
        }
        return t;
    }

    private static FloatBuffer direct(int size) {
        return ByteBuffer.allocateDirect(size * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    private static long[] longs(int[] shape) {
        long[] l = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            l[i] = shape[i];
        }
        return l;
    }

    /** One layer's session, its input tensors and its pinned output. */
    private final class OrtLayer implements Layer {
        final Convolution op;
        final SessionOptions options = new SessionOptions();
        final Map<String, OnnxTensor> inputs = new LinkedHashMap<>();
        final List<OnnxTensor> tensors = new ArrayList<>();
        OrtSession session;
        FloatBuffer output;
        OnnxTensor outputTensor;
        Map<String, OnnxTensor> pinned;

        OrtLayer(Convolution op) {
            this.op = op;
        }

        void input(String name, HostTensor t) throws OrtException {
            FloatBuffer b = direct(t.size());
            b.put(t.toArray()).rewind();
            OnnxTensor tensor = OnnxTensor.createTensor(env, b, longs(t.shape()));
            tensors.add(tensor);
            inputs.put(name, tensor);
        }

        @Override
        public String algorithm() {
            return (op instanceof DeformConv2d ? "DeformConv" : "Conv") + " node";
        }

        @Override
        public void call() throws OrtException {
            // The pinned output is written in place and stays open when the result is closed.
            session.run(inputs, pinned).close();
        }

        @Override
        public HostTensor output() {
            float[] y = new float[output.capacity()];
            output.duplicate().rewind().get(y);
            return Tensor.of(y, op.outputShape());
        }

        @Override
        public void close() throws OrtException {
            for (OnnxTensor t : tensors) {
                t.close();
            }
            if (outputTensor != null) {
                outputTensor.close();
            }
            if (session != null) {
                session.close();
            }
            options.close();
        }
    }

    @Override
    public void close() {
        // The environment is the process's singleton; ONNX Runtime releases it at exit.
        env = null;
    }
}
