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
import dev.convcl.onnx.proto.OnnxProto.GraphProto;
import dev.convcl.onnx.proto.OnnxProto.ModelProto;
import dev.convcl.onnx.proto.OnnxProto.TensorShapeProto;
import dev.convcl.onnx.proto.OnnxProto.TypeProto;
import dev.convcl.onnx.proto.OnnxProto.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
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

    /** The field number of ONNX's {@code GraphProto.value_info} (the shapes of intermediate values). */
    private static final int VALUE_INFO = 13;

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
                + " intra-op threads, graph optimisations ALL_OPT";
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

    @Override
    public Optional<String> unsupportedModel() {
        return Optional.empty();
    }

    /**
     * The whole ONNX file in one session with the layer sessions' options (so the same intra-op
     * threads); each call feeds the same direct input tensors and keeps the results for
     * {@link Network#outputs()}. A model ONNX Runtime cannot load (an operator it has no CPU
     * kernel for, e.g. a {@code DeformConv} outside its opsets) is an
     * {@link UnsupportedOperationException} with ONNX Runtime's reason on one line.
     */
    @Override
    public Network prepare(Path model, Map<String, HostTensor> inputs) throws OrtException, java.io.IOException {
        if (env == null) {
            throw new IllegalStateException("the ONNX Runtime peer is not open");
        }
        OrtNetwork net = new OrtNetwork();
        try {
            net.options.setIntraOpNumThreads(threads);
            net.options.setInterOpNumThreads(1);
            net.options.setExecutionMode(ExecutionMode.SEQUENTIAL);
            net.options.setOptimizationLevel(OptLevel.ALL_OPT);
            byte[] reshaped = withInputShapes(model, inputs);
            net.reshaped = reshaped != null;
            try {
                net.session = reshaped == null ? env.createSession(model.toString(), net.options)
                        : env.createSession(reshaped, net.options);
            } catch (OrtException e) {
                throw new UnsupportedOperationException("ONNX Runtime " + env.getVersion() + " cannot load the model: "
                        + oneLine(e.getMessage()));
            }
            for (Map.Entry<String, HostTensor> e : inputs.entrySet()) {
                FloatBuffer b = direct(e.getValue().size());
                b.put(e.getValue().toArray()).rewind();
                net.inputs.put(e.getKey(), OnnxTensor.createTensor(env, b, longs(e.getValue().shape())));
            }
            return net;
        } catch (OrtException | java.io.IOException | RuntimeException e) {
            net.close();
            throw e;
        }
    }

    /**
     * The model with its inputs declared at the shapes convcl runs ({@code --input-shape} may
     * replace the declared ones, as convcl's importer does), its intermediate and output shapes
     * left to ONNX Runtime's inference; null when every declared shape is already that.
     */
    private static byte[] withInputShapes(Path model, Map<String, HostTensor> inputs) throws java.io.IOException {
        ModelProto m = ModelProto.parseFrom(java.nio.file.Files.readAllBytes(model));
        GraphProto.Builder g = m.getGraph().toBuilder();
        boolean changed = false;
        for (int i = 0; i < g.getInputCount(); i++) {
            ValueInfoProto v = g.getInput(i);
            HostTensor t = inputs.get(v.getName());
            if (t == null || !v.getType().hasTensorType()) {
                continue;
            }
            TensorShapeProto declared = v.getType().getTensorType().getShape();
            TensorShapeProto.Builder wanted = TensorShapeProto.newBuilder();
            for (int d : t.shape()) {
                wanted.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
            }
            if (declared.equals(wanted.build())) {
                continue;
            }
            TypeProto.Builder type = v.getType().toBuilder();
            type.getTensorTypeBuilder().setShape(wanted);
            g.setInput(i, v.toBuilder().setType(type));
            changed = true;
        }
        if (!changed) {
            return null;
        }
        // ONNX's GraphProto.value_info (field 13): convcl's subset of ONNX keeps it as an unknown field.
        g.setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder(g.getUnknownFields()).clearField(VALUE_INFO).build());
        for (int i = 0; i < g.getOutputCount(); i++) {
            ValueInfoProto v = g.getOutput(i);
            if (v.getType().hasTensorType()) {
                TypeProto.Builder type = v.getType().toBuilder();
                type.getTensorTypeBuilder().clearShape();
                g.setOutput(i, v.toBuilder().setType(type));
            }
        }
        return m.toBuilder().setGraph(g).build().toByteArray();
    }

    private static String oneLine(String m) {
        return m == null ? "no reason given" : m.strip().replaceAll("\\s*\\R\\s*", " ");
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

    /** One network's session, its input tensors and the results of its last call. */
    private final class OrtNetwork implements Network {
        final SessionOptions options = new SessionOptions();
        final Map<String, OnnxTensor> inputs = new LinkedHashMap<>();
        OrtSession session;
        OrtSession.Result last;
        boolean reshaped;

        @Override
        public String algorithm() {
            return reshaped ? "whole-model session, inputs declared at convcl's shapes" : "whole-model session";
        }

        @Override
        public void call() throws OrtException {
            if (last != null) {
                last.close();
                last = null;
            }
            last = session.run(inputs);
        }

        @Override
        public Map<String, HostTensor> outputs() throws OrtException {
            if (last == null) {
                throw new IllegalStateException("no call has run");
            }
            Map<String, HostTensor> out = new LinkedHashMap<>();
            for (Map.Entry<String, ai.onnxruntime.OnnxValue> e : last) {
                if (!(e.getValue() instanceof OnnxTensor t)) {
                    throw new IllegalStateException("output '" + e.getKey() + "' is not a tensor");
                }
                long[] shape = t.getInfo().getShape();
                int[] dims = new int[shape.length];
                for (int i = 0; i < shape.length; i++) {
                    dims[i] = Math.toIntExact(shape[i]);
                }
                FloatBuffer b = t.getFloatBuffer();
                float[] y = new float[b.remaining()];
                b.get(y);
                out.put(e.getKey(), Tensor.of(y, dims));
            }
            return out;
        }

        @Override
        public void close() throws OrtException {
            if (last != null) {
                last.close();
            }
            for (OnnxTensor t : inputs.values()) {
                t.close();
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
