package dev.convcl.onnx;

import static dev.convcl.onnx.OnnxBuilder.i;
import static dev.convcl.onnx.OnnxBuilder.in;
import static dev.convcl.onnx.OnnxBuilder.ints;
import static dev.convcl.onnx.OnnxBuilder.out;
import static dev.convcl.onnx.OnnxBuilder.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import dev.convcl.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.convcl.onnx.proto.OnnxProto.TensorProto;
import dev.convcl.onnx.proto.OnnxProto.TensorShapeProto;
import dev.convcl.onnx.proto.OnnxProto.TypeProto;
import dev.convcl.onnx.proto.OnnxProto.ValueInfoProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * A model file is input from elsewhere: each hostile or broken model gives one
 * {@link OnnxModelException} with a one-line message naming the node, value and rule, before
 * anything runs, and never an OutOfMemoryError or a stack overflow.
 */
class OnnxHostileModelTest {

    @TempDir
    Path dir;

    /** Runs {@code e}, expects an OnnxModelException with a one-line message holding every fragment. */
    static String fails(Executable e, String... fragments) {
        OnnxModelException x = assertThrows(OnnxModelException.class, e);
        String m = x.getMessage();
        assertTrue(!m.contains("\n") && !m.contains("\r"), "message is not one line: " + m);
        for (String f : fragments) {
            assertTrue(m.contains(f), "message lacks '" + f + "': " + m);
        }
        return m;
    }

    /** A valid model: x [1,2,4,4] -> Conv(w [3,2,3,3], pads 1) -> Relu -> y. */
    static OnnxBuilder convRelu() {
        return new OnnxBuilder(13).input("x", 1, 2, 4, 4).ramp("w", 3, 2, 3, 3)
                .node("Conv", "conv", in("x", "w"), out("c"), ints("pads", 1, 1, 1, 1))
                .node("Relu", "relu", in("c"), out("y")).output("y");
    }

    @Test
    void validModelImports() {
        OnnxGraph g = convRelu().read();
        assertEquals(2, g.nodes().size());
        assertEquals(Shape.of(1, 3, 4, 4), g.shape("y"));
    }

    // ---- not a model at all ------------------------------------------------------------------

    @Test
    void randomBytesGiveOneLine() {
        Random r = new Random(42);
        for (int trial = 0; trial < 200; trial++) {
            byte[] b = new byte[1 + r.nextInt(4096)];
            r.nextBytes(b);
            fails(() -> OnnxImporter.read(b, OnnxImporter.Options.defaults()));
        }
    }

    @Test
    void randomBytesFileNamesTheFile() throws IOException {
        byte[] b = new byte[1000];
        new Random(7).nextBytes(b);
        Path f = dir.resolve("noise.onnx");
        Files.write(f, b);
        fails(() -> OnnxImporter.read(f), "noise.onnx");
    }

    @Test
    void emptyFileAndMissingFile() throws IOException {
        Path f = dir.resolve("empty.onnx");
        Files.write(f, new byte[0]);
        fails(() -> OnnxImporter.read(f), "empty.onnx is empty");
        fails(() -> OnnxImporter.read(dir.resolve("absent.onnx")), "absent.onnx", "not a readable file");
    }

    @Test
    void everyTruncationGivesOneLine() {
        byte[] full = convRelu().bytes();
        for (int len = 1; len < full.length; len++) {
            byte[] cut = java.util.Arrays.copyOf(full, len);
            fails(() -> OnnxImporter.read(cut, OnnxImporter.Options.defaults()));
        }
    }

    @Test
    void truncatedCommittedModelGivesOneLine() throws IOException {
        byte[] full = Files.readAllBytes(Path.of("src/test/resources/onnx/resnet_tiny.onnx"));
        for (int len : new int[] {full.length / 7, full.length / 2, full.length - 1000, full.length - 1}) {
            byte[] cut = java.util.Arrays.copyOf(full, len);
            fails(() -> OnnxImporter.read(cut, OnnxImporter.Options.defaults()));
        }
    }

    /**
     * A graph nested 10,000 deep through node attributes (GraphProto.node -> NodeProto.attribute ->
     * AttributeProto.g -> GraphProto ...): protobuf-java's recursion limit (100) stops the parser.
     */
    @Test
    void graphNested10000DeepIsAParseError() throws IOException {
        int[] fields = new int[1 + 3 * 10_000];
        fields[0] = 7;                               // ModelProto.graph
        for (int level = 0; level < 10_000; level++) {
            fields[1 + 3 * level] = 1;               // GraphProto.node
            fields[2 + 3 * level] = 5;               // NodeProto.attribute
            fields[3 + 3 * level] = 6;               // AttributeProto.g
        }
        byte[] model = nested(fields);
        fails(() -> OnnxImporter.read(model, OnnxImporter.Options.defaults()), "not a readable ONNX model",
                "too many levels of nesting");
    }

    /** Length-delimited fields nested in the given order, outermost first, the innermost empty. */
    private static byte[] nested(int[] fields) throws IOException {
        int m = fields.length;
        int[] size = new int[m + 1];
        for (int k = m - 1; k >= 0; k--) {
            size[k] = 1 + CodedOutputStream.computeUInt32SizeNoTag(size[k + 1]) + size[k + 1];
        }
        ByteArrayOutputStream bo = new ByteArrayOutputStream(size[0]);
        CodedOutputStream c = CodedOutputStream.newInstance(bo);
        for (int k = 0; k < m; k++) {
            c.writeTag(fields[k], 2);
            c.writeUInt32NoTag(size[k + 1]);
        }
        c.flush();
        return bo.toByteArray();
    }

    /** Unknown fields nested as groups 10,000 deep: protobuf-java counts them against the same limit. */
    @Test
    void unknownGroupsNested10000DeepAreAParseError() throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        CodedOutputStream c = CodedOutputStream.newInstance(bo);
        for (int i = 0; i < 10_000; i++) {
            c.writeTag(99, 3);
        }
        for (int i = 0; i < 10_000; i++) {
            c.writeTag(99, 4);
        }
        c.flush();
        byte[] b = bo.toByteArray();
        fails(() -> OnnxImporter.read(b, OnnxImporter.Options.defaults()), "not a readable ONNX model");
    }

    @Test
    void lengthPastTheEndIsAParseErrorNotAnAllocation() throws IOException {
        // ModelProto.graph declared 2^31-1 bytes long, with 3 bytes present.
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        CodedOutputStream c = CodedOutputStream.newInstance(bo);
        c.writeTag(7, 2);
        c.writeUInt32NoTag(Integer.MAX_VALUE);
        c.writeRawBytes(new byte[] {1, 2, 3});
        c.flush();
        byte[] b = bo.toByteArray();
        fails(() -> OnnxImporter.read(b, OnnxImporter.Options.defaults()), "not a readable ONNX model");
    }

    @Test
    void modelWithoutGraphOrOpset() {
        byte[] noGraph = new OnnxBuilder(13).model.build().toByteArray();
        fails(() -> OnnxImporter.read(noGraph, OnnxImporter.Options.defaults()), "has no graph");
        OnnxBuilder b = convRelu();
        b.model.clearOpsetImport();
        fails(b::read, "imports no opset");
        OnnxBuilder old = convRelu();
        old.model.getOpsetImportBuilder(0).setVersion(7);
        fails(old::read, "opset 7", "9 to 20");
    }

    // ---- declared sizes ------------------------------------------------------------------------

    private static TensorProto tensor(String name, long[] dims, byte[] raw) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(1).setRawData(ByteString.copyFrom(raw));
        for (long d : dims) {
            t.addDims(d);
        }
        return t.build();
    }

    private static OnnxBuilder convWith(TensorProto w) {
        return new OnnxBuilder(13).input("x", 1, 2, 4, 4).initializer(w)
                .node("Conv", "conv", in("x", "w"), out("y")).output("y");
    }

    @Test
    void negativeDimension() {
        fails(convWith(tensor("w", new long[] {3, -2, 3, 3}, new byte[72]))::read, "initializer 'w'",
                "dimension 1 = -2", "must not be negative");
    }

    @Test
    void overflowingDimensions() {
        fails(convWith(tensor("w", new long[] {1L << 40, 1L << 40, 3, 3}, new byte[72]))::read, "initializer 'w'",
                "more than 2147483639 elements");
        fails(convWith(tensor("w", new long[] {Long.MAX_VALUE, 3, 3, 3}, new byte[72]))::read, "initializer 'w'");
    }

    @Test
    void terabytesDeclaredWithFewBytesPresent() {
        // 3 x 2 x 2^17 x 2^17 floats = 384 GiB declared, 72 bytes present: refused before any allocation.
        String m = fails(convWith(tensor("w", new long[] {3, 2, 1 << 17, 1 << 17}, new byte[72]))::read, "initializer 'w'");
        assertTrue(m.contains("more than") || m.contains("holds 72 bytes"), m);
        fails(convWith(tensor("w", new long[] {3, 2, 3, 3}, new byte[71]))::read, "initializer 'w'", "(216 bytes)",
                "raw_data holds 71 bytes");
    }

    @Test
    void typedFieldCountMustMatch() {
        TensorProto t = TensorProto.newBuilder().setName("w").setDataType(1).addDims(3).addDims(2).addDims(3).addDims(3)
                .addFloatData(1f).addFloatData(2f).build();
        fails(convWith(t)::read, "initializer 'w'", "54 elements of FLOAT", "float_data holds 2");
    }

    @Test
    void totalCapOnConstants() {
        OnnxBuilder b = convRelu();
        fails(() -> b.read(OnnxImporter.Options.defaults().withMaxConstantBytes(100)), "initializer 'w'",
                "limit of 100 bytes", "maxConstantBytes");
    }

    @Test
    void constantOfShapeClaimingTerabytes() {
        OnnxBuilder b = new OnnxBuilder(13).input("x", 1, 2, 4, 4).vector("shape", 1 << 20, 1 << 20, 1 << 20)
                .node("ConstantOfShape", "cos", in("shape"), out("big"))
                .node("Add", "add", in("x", "big"), out("y")).output("y");
        fails(b::read, "ConstantOfShape 'cos'");
        OnnxBuilder c = new OnnxBuilder(13).input("x", 1, 2, 4, 4).vector("shape", 1 << 15, 1 << 15)
                .node("ConstantOfShape", "cos", in("shape"), out("big"))
                .node("Add", "add", in("x", "big"), out("y")).output("y");
        fails(() -> c.read(OnnxImporter.Options.defaults().withMaxConstantBytes(1 << 20)), "ConstantOfShape 'cos'",
                "limit of 1048576 bytes");
    }

    @Test
    void zeroSizedWeight() {
        fails(convWith(tensor("w", new long[] {0, 2, 3, 3}, new byte[0]))::read, "Conv 'conv'", "weight W",
                "[0, 2, 3, 3]");
    }

    @Test
    void inputDimensionsZeroNegativeOrHuge() {
        for (long d : new long[] {0, -5, 1L << 40}) {
            OnnxBuilder b = new OnnxBuilder(13).input("x", 1, 2, d, 4).node("Relu", "r", in("x"), out("y")).output("y");
            fails(b::read, "graph input 'x'", "dimension 2 = " + d);
        }
        OnnxBuilder big = new OnnxBuilder(13).input("x", 1 << 20, 1 << 20, 4, 4).node("Relu", "r", in("x"), out("y"))
                .output("y");
        fails(big::read, "graph input 'x'", "more than 2^31-1 elements");
    }

    @Test
    void symbolicInputNeedsAShape() {
        OnnxBuilder b = new OnnxBuilder(13).symbolicInput("x", "batch", 2, 4, 4).node("Relu", "r", in("x"), out("y"))
                .output("y");
        // What is missing, without advice: the way to give it is the caller's (Graph.fromOnnx, the CLI)
        assertEquals("<bytes>: graph input 'x' has a symbolic dimension 0 ('batch')", fails(b::read));
        InputShapeNeededException needed = assertThrows(InputShapeNeededException.class, b::read);
        assertEquals(List.of("x", List.of("batch", "2", "4", "4"), List.of(0), List.of("x")),
                List.of(needed.input(), needed.declared(), needed.symbolic(), needed.inputs()));
        assertEquals("<bytes>: graph input 'x' has a symbolic dimension 0 ('batch'); give it here",
                needed.withAdvice("give it here").getMessage());
        assertEquals(Shape.of(3, 2, 4, 4), b.read(OnnxImporter.Options.defaults().withInputShape(3, 2, 4, 4)).shape("y"));
        assertThrows(IllegalArgumentException.class,
                () -> b.read(OnnxImporter.Options.defaults().withInputShape("nope", 1, 2, 4, 4)));
        // a shape of another rank is named with the declared one, not left to fail at some node
        IllegalArgumentException rank = assertThrows(IllegalArgumentException.class,
                () -> b.read(OnnxImporter.Options.defaults().withInputShape(2, 4, 4)));
        assertTrue(rank.getMessage().contains("graph input 'x', [2, 4, 4], has 3 dimensions; the model declares 4 "
                + "[batch, 2, 4, 4]"), rank.getMessage());
    }

    /**
     * {@link OnnxImporter#declaration} reads what the model declares, and refuses what the
     * importer refuses: a weight listed among the graph inputs (IR 3) is not a runtime input, a
     * symbolic dimension keeps its name ({@code ?} without one), an input without a shape has no
     * dimensions, and a truncated or empty file is one line naming it.
     */
    @Test
    void declaredInputsKeepSymbolicNamesAndSkipInitializers() throws IOException {
        OnnxBuilder b = new OnnxBuilder(13).symbolicInput("x", "batch", 2, 4, 4).ramp("w", 2, 2, 1, 1)
                .node("Conv", "c", in("x", "w"), out("y")).output("y");
        b.graph.addInput(OnnxBuilder.valueInfo("w", 1, 2, 2, 1, 1));
        b.graph.addInput(ValueInfoProto.newBuilder().setName("free").setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(1).setShape(TensorShapeProto.newBuilder()
                        .addDim(TensorShapeProto.Dimension.newBuilder()).addDim(TensorShapeProto.Dimension.newBuilder()
                                .setDimValue(3))))));
        b.graph.addInput(ValueInfoProto.newBuilder().setName("any").setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(1))));
        Path m = dir.resolve("m.onnx");
        Files.write(m, b.bytes());
        List<DeclaredInput> d = OnnxImporter.declaration(m).inputs();
        assertEquals(List.of("x", "free", "any"), d.stream().map(DeclaredInput::name).toList());
        assertEquals("[batch, 2, 4, 4]", d.get(0).shapeText());
        assertEquals(List.of("batch"), d.get(0).symbols());
        assertEquals(null, d.get(0).misfit(new int[] {7, 2, 4, 4}));
        assertEquals("dimension 3 is 5 where the model fixes 4", d.get(0).misfit(new int[] {7, 2, 4, 5}));
        assertEquals("3 dimensions where the model declares 4", d.get(0).misfit(new int[] {2, 4, 4}));
        assertEquals("[?, 3]", d.get(1).shapeText());
        assertEquals(-1, d.get(2).rank());
        assertEquals(null, d.get(2).misfit(new int[] {1, 2, 3}));
        byte[] all = b.bytes();
        Files.write(m, java.util.Arrays.copyOf(all, all.length / 2));
        fails(() -> OnnxImporter.declaration(m), "m.onnx is not a readable ONNX model (protobuf:");
        Files.write(m, new byte[0]);
        fails(() -> OnnxImporter.declaration(m), "m.onnx is empty");
    }

    // ---- external data ------------------------------------------------------------------------

    private static TensorProto external(String location, String offset, String length) {
        TensorProto.Builder t = TensorProto.newBuilder().setName("w").setDataType(1).addDims(3).addDims(2).addDims(3)
                .addDims(3).setDataLocation(TensorProto.DataLocation.EXTERNAL);
        t.addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location));
        if (offset != null) {
            t.addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue(offset));
        }
        if (length != null) {
            t.addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue(length));
        }
        return t.build();
    }

    private static byte[] weightBytes() {
        ByteBuffer b = ByteBuffer.allocate(54 * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 54; i++) {
            b.putFloat(0.01f * (i + 1));
        }
        return b.array();
    }

    private Path modelWith(Path folder, TensorProto w) throws IOException {
        Files.createDirectories(folder);
        Path f = folder.resolve("model.onnx");
        Files.write(f, convWith(w).bytes());
        return f;
    }

    @Test
    void externalDataInsideTheFolderIsRead() throws IOException {
        Path m = dir.resolve("m");
        Files.createDirectories(m.resolve("weights"));
        byte[] pre = new byte[64];
        byte[] data = weightBytes();
        byte[] file = new byte[pre.length + data.length];
        System.arraycopy(data, 0, file, pre.length, data.length);
        Files.write(m.resolve("weights/w.bin"), file);
        OnnxGraph g = OnnxImporter.read(modelWith(m, external("weights/w.bin", "64", String.valueOf(data.length))));
        ConvNode c = g.nodes(ConvNode.class).get(0);
        assertEquals(0.01f, c.weights().get(0));
        assertEquals(0.54f, c.weights().get(53), 1e-6f);
        // "./" and an inner ".." that stays inside are fine.
        OnnxGraph g2 = OnnxImporter.read(modelWith(m, external("./weights/../weights/w.bin", "64", null)));
        assertEquals(0.54f, g2.nodes(ConvNode.class).get(0).weights().get(53), 1e-6f);
    }

    @Test
    void externalDataAbsolutePathIsRefused() throws IOException {
        Path secret = dir.resolve("secret.bin");
        Files.write(secret, weightBytes());
        Path f = modelWith(dir.resolve("m"), external(secret.toString(), null, null));
        fails(() -> OnnxImporter.read(f), "initializer 'w'", "'" + secret + "'", "is absolute");
    }

    @Test
    void externalDataClimbingOutIsRefused() throws IOException {
        Files.write(dir.resolve("secret.bin"), weightBytes());
        Path f = modelWith(dir.resolve("m"), external("../secret.bin", null, null));
        fails(() -> OnnxImporter.read(f), "initializer 'w'", "'../secret.bin'", "climbs out of the model's folder");
        Path g = modelWith(dir.resolve("m"), external("weights/../../secret.bin", null, null));
        fails(() -> OnnxImporter.read(g), "climbs out of the model's folder");
    }

    @Test
    void externalDataThroughASymbolicLinkOutIsRefused() throws IOException {
        Files.write(dir.resolve("secret.bin"), weightBytes());
        Path m = dir.resolve("m");
        Files.createDirectories(m);
        Files.createSymbolicLink(m.resolve("link.bin"), dir.resolve("secret.bin"));
        Files.createSymbolicLink(m.resolve("linkdir"), dir);
        fails(() -> OnnxImporter.read(modelWith(m, external("link.bin", null, null))), "'link.bin'",
                "leads through a symbolic link", "outside the model's folder");
        fails(() -> OnnxImporter.read(modelWith(m, external("linkdir/secret.bin", null, null))),
                "leads through a symbolic link");
        // A link that stays inside the folder is fine.
        Files.write(m.resolve("real.bin"), weightBytes());
        Files.createSymbolicLink(m.resolve("inside.bin"), m.resolve("real.bin"));
        assertEquals(1, OnnxImporter.read(modelWith(m, external("inside.bin", null, null))).nodes().size());
    }

    @Test
    void externalDataSizesAreChecked() throws IOException {
        Path m = dir.resolve("m");
        Files.createDirectories(m);
        Files.write(m.resolve("w.bin"), weightBytes());
        fails(() -> OnnxImporter.read(modelWith(m, external("w.bin", "1000", null))), "offset 1000 is past the end");
        fails(() -> OnnxImporter.read(modelWith(m, external("w.bin", "0", "9999999999"))), "runs past the end");
        fails(() -> OnnxImporter.read(modelWith(m, external("w.bin", "4", null))), "(216 bytes)", "holds 212 bytes");
        fails(() -> OnnxImporter.read(modelWith(m, external("w.bin", "-4", null))), "offset -4 is negative");
        fails(() -> OnnxImporter.read(modelWith(m, external("w.bin", "x", null))), "offset 'x' is not a whole number");
        fails(() -> OnnxImporter.read(modelWith(m, external("nothere.bin", null, null))), "'nothere.bin' does not exist");
        fails(() -> OnnxImporter.read(modelWith(m, external("", null, null))), "is empty");
    }

    @Test
    void externalDataFromBytesIsRefused() {
        fails(convWith(external("w.bin", null, null))::read, "the model was given as bytes");
    }

    // ---- graph structure ----------------------------------------------------------------------

    @Test
    void cycle() {
        OnnxBuilder b = new OnnxBuilder(13).input("x", 1, 2, 4, 4)
                .node("Add", "a", in("x", "c"), out("b"))
                .node("Relu", "r", in("b"), out("c"))
                .node("Relu", "out", in("c"), out("y")).output("y");
        fails(b::read, "the graph has a cycle through", "must be acyclic");
    }

    @Test
    void selfLoop() {
        OnnxBuilder b = new OnnxBuilder(13).input("x", 1, 2, 4, 4)
                .node("Add", "a", in("x", "b"), out("b")).output("b");
        fails(b::read, "cycle through Add 'a'");
    }

    @Test
    void nodesOutOfOrderAreSorted() {
        OnnxBuilder b = new OnnxBuilder(13).input("x", 1, 2, 4, 4)
                .node("Relu", "second", in("a"), out("y"))
                .node("Relu", "first", in("x"), out("a")).output("y");
        OnnxGraph g = b.read();
        assertEquals("first", g.nodes().get(0).name());
    }

    @Test
    void readOfAValueNobodyWrites() {
        OnnxBuilder b = new OnnxBuilder(13).input("x", 1, 2, 4, 4).node("Add", "add", in("x", "ghost"), out("y")).output("y");
        fails(b::read, "Add 'add' reads 'ghost'", "no node writes");
    }

    @Test
    void duplicateOutputName() {
        OnnxBuilder b = new OnnxBuilder(13).input("x", 1, 2, 4, 4)
                .node("Relu", "r1", in("x"), out("y"))
                .node("Sigmoid", "s1", in("x"), out("y")).output("y");
        fails(b::read, "duplicate output name 'y'", "Relu 'r1'", "Sigmoid 's1'");
        OnnxBuilder c = new OnnxBuilder(13).input("x", 1, 2, 4, 4).ramp("w", 2)
                .node("Relu", "r1", in("x"), out("w")).output("w");
        fails(c::read, "Relu 'r1' writes 'w', which is an initializer");
        OnnxBuilder d = convRelu();
        d.graph.addInitializer(OnnxBuilder.rawFloats("w", new float[] {1}, 1));
        fails(d::read, "initializer 'w' appears twice");
    }

    @Test
    void graphOutputNobodyWrites() {
        fails(convRelu().output("nowhere")::read, "graph output 'nowhere' is written by no node");
    }

    @Test
    void missingInitializer() {
        // The weight is declared as a graph input but its initializer is missing.
        OnnxBuilder b = new OnnxBuilder(13).input("x", 1, 2, 4, 4).input("w", 3, 2, 3, 3)
                .node("Conv", "conv", in("x", "w"), out("y")).output("y");
        fails(b::read, "Conv 'conv'", "input W 'w' is not a constant", "initializer");
        OnnxBuilder c = new OnnxBuilder(13).input("x", 1, 2, 4, 4);
        c.graph.addInput(dev.convcl.onnx.proto.OnnxProto.ValueInfoProto.newBuilder().setName("w"));
        c.node("Conv", "conv", in("x", "w"), out("y")).output("y");
        fails(c::read, "graph input 'w'", "initializer is missing");
    }

    // ---- unsupported operators and attributes ---------------------------------------------------

    @Test
    void unknownOperator() {
        OnnxBuilder b = new OnnxBuilder(13).input("x", 1, 2, 4, 4).node("Frobnicate", "f", in("x"), out("y")).output("y");
        fails(b::read, "1 node cannot be imported", "Frobnicate 'f' (operator Frobnicate is not supported)");
    }

    @Test
    void unknownAttribute() {
        OnnxBuilder b = convRelu();
        b.graph.getNodeBuilder(0).addAttribute(i("fancy", 1));
        fails(b::read, "Conv 'conv' (unsupported attribute 'fancy'", "auto_pad, dilations");
    }

    @Test
    void everyUnsupportedNodeInOneError() {
        OnnxBuilder b = new OnnxBuilder(13).input("x", 1, 2, 4, 4)
                .node("Resize", "up", in("x"), out("a"))
                .node("Relu", "r", in("a"), out("b"))
                .node("Pad", "pad", in("b", "pads"), out("c"), s("mode", "reflect"))
                .node("LSTM", "", in("x"), out("d"))
                .node("Transpose", "t", in("x"), out("e"), ints("perm", 0, 2, 3, 1))
                .node("Conv", "conv", in("x", "w"), out("f"), i("whatever", 2))
                .vector("pads", 0, 0, 1, 1, 0, 0, 1, 1).ramp("w", 3, 2, 3, 3)
                .output("c").output("d").output("e").output("f");
        String m = fails(b::read, "4 nodes cannot be imported", "Resize 'up' (operator Resize is not supported)",
                "LSTM #3 (operator LSTM is not supported)", "Transpose 't' (perm [0, 2, 3, 1]",
                "Conv 'conv' (unsupported attribute 'whatever'");
        // Pad reads Resize's output: reported once, at its root.
        assertTrue(!m.contains("Pad 'pad'"), m);
    }

    @Test
    void unsupportedAttributeValuesListedTogether() {
        OnnxBuilder b = new OnnxBuilder(13).input("x", 1, 2, 4, 4)
                .vector("pads", 0, 0, 1, 1, 0, 0, 1, 1)
                .node("Pad", "pad", in("x", "pads"), out("a"), s("mode", "reflect"))
                .node("Gelu", "gelu", in("x"), out("b"), s("approximate", "tanh"))
                .output("a").output("b");
        b.model.getOpsetImportBuilder(0).setVersion(20);
        fails(b::read, "2 nodes", "Pad 'pad' (mode 'reflect'", "Gelu 'gelu' (approximate='tanh'");
    }

    @Test
    void foreignDomain() {
        OnnxBuilder b = convRelu();
        b.graph.getNodeBuilder(1).setDomain("com.microsoft");
        fails(b::read, "Relu 'relu' (operator domain 'com.microsoft' is not the standard ONNX domain)");
    }

    @Test
    void attributeOfTheWrongType() {
        OnnxBuilder b = convRelu();
        b.graph.getNodeBuilder(0).addAttribute(s("group", "two"));
        fails(b::read, "Conv 'conv' (attribute group is STRING, expected INT)");
    }

    @Test
    void hostileNamesStayOnOneLine() {
        OnnxBuilder b = new OnnxBuilder(13).input("x", 1, 2, 4, 4).node("Bad\nOp", "evil\nname\r", in("x"), out("y"))
                .output("y");
        fails(b::read, "evil?name?");
    }

    @Test
    void mismatchedShapesNameTheNode() {
        OnnxBuilder b = new OnnxBuilder(13).input("x", 1, 2, 4, 4).ramp("w", 3, 5, 3, 3)
                .node("Conv", "conv", in("x", "w"), out("y")).output("y");
        fails(b::read, "Conv 'conv'", "weight W [3, 5, 3, 3] does not fit input X [1, 2, 4, 4]");
        OnnxBuilder c = new OnnxBuilder(13).input("x", 1, 2, 4, 4).input("z", 1, 3, 4, 4)
                .node("Add", "add", in("x", "z"), out("y")).output("y");
        fails(c::read, "Add 'add'", "do not broadcast");
        OnnxBuilder d = new OnnxBuilder(13).input("x", 1, 2, 4, 4).ramp("w", 3, 2, 7, 7)
                .node("Conv", "conv", in("x", "w"), out("y")).output("y");
        fails(d::read, "Conv 'conv'", "kernel height kh=7");
    }

    /** A model without graph outputs, or with one listed twice, is refused naming the file, in the model's terms. */
    @Test
    void outputsMissingOrListedTwiceNameTheFile() {
        OnnxBuilder none = new OnnxBuilder(13).input("x", 1, 2, 4, 4).node("Relu", "r", in("x"), out("y"));
        String m = fails(none::read, ": the model's graph declares no output");
        OnnxBuilder twice = new OnnxBuilder(13).input("x", 1, 2, 4, 4).node("Relu", "r", in("x"), out("y"))
                .output("y").output("y");
        String t = fails(twice::read, ": graph output 'y' is declared twice");
        assertTrue(!m.startsWith(":") && !t.startsWith(":"), "the file is named first: " + m + " / " + t);
    }

    @Test
    void declaredOutputShapeMustMatch() {
        OnnxBuilder b = new OnnxBuilder(13).input("x", 1, 2, 4, 4).node("Relu", "r", in("x"), out("y"))
                .output("y", 1, 2, 4, 5);
        fails(b::read, "graph output 'y' is declared [1, 2, 4, 5] but the graph computes [1, 2, 4, 4]");
        // a ceil-mode pool that keeps every window (no padding) explains nothing
        OnnxBuilder c = new OnnxBuilder(13).input("x", 1, 2, 8, 8)
                .node("MaxPool", "mp", in("x"), out("y"), ints("kernel_shape", 3, 3),
                        ints("strides", 2, 2), i("ceil_mode", 1))
                .output("y", 1, 2, 5, 4);
        fails(c::read, "graph output 'y' is declared [1, 2, 5, 4] but the graph computes [1, 2, 4, 4]");
    }

    /**
     * With a symbolic batch filled in, the output's fixed dimensions are still compared: a wrong
     * one is warned of (a file may fix one that follows the symbolic input, a batch of 1, so it is
     * not refused), a right one passes silently; a given shape that changes a fixed input dimension
     * leaves the declared outputs unchecked.
     */
    @Test
    void aSymbolicBatchFilledInStillChecksTheFixedOutputDimensions() {
        OnnxBuilder wrong = new OnnxBuilder(13).symbolicInput("x", "batch", 2, 4, 4).node("Relu", "r", in("x"), out("y"))
                .output("y", 1, 5, 4, 4);
        try (dev.convcl.testing.WarnCapture w = dev.convcl.testing.WarnCapture.on(Lowering.class)) {
            assertEquals(Shape.of(1, 2, 4, 4), wrong.read(OnnxImporter.Options.defaults().withInputShape(1, 2, 4, 4))
                    .shape("y"));
            assertEquals(1, w.count("graph output 'y' is declared [1, 5, 4, 4] but the graph computes [1, 2, 4, 4] with"
                    + " the input shapes given"), w.warnings().toString());
        }
        OnnxBuilder right = new OnnxBuilder(13).symbolicInput("x", "batch", 2, 4, 4).node("Relu", "r", in("x"), out("y"))
                .output("y", 1, 2, 4, 4);
        try (dev.convcl.testing.WarnCapture w = dev.convcl.testing.WarnCapture.on(Lowering.class)) {
            right.read(OnnxImporter.Options.defaults().withInputShape(1, 2, 4, 4));
            assertEquals(List.of(), w.warnings());
        }
        OnnxBuilder resized = new OnnxBuilder(13).input("x", 1, 2, 4, 4).node("Relu", "r", in("x"), out("y"))
                .output("y", 1, 2, 4, 4);
        try (dev.convcl.testing.WarnCapture w = dev.convcl.testing.WarnCapture.on(Lowering.class)) {
            assertEquals(Shape.of(1, 2, 8, 8), resized.read(OnnxImporter.Options.defaults().withInputShape(1, 2, 8, 8))
                    .shape("y"));
            assertEquals(List.of(), w.warnings());
        }
    }

    /**
     * PyTorch's exports of a ceil-mode pool whose last window would start in the padding: PyTorch
     * (and ONNX since 1.15) drop that window, the shape inference of older ONNX kept it and wrote
     * one row more as the declared output. The model loads with the computed shape (a WARN says
     * why); a declared shape the rule cannot explain (fewer rows, other channels) is still refused.
     */
    /**
     * A 1x3x5x6 input through a 2x2/2 ceil-mode max pool padded by 1, into {@code out}: 5 + 1 + 1
     * padded rows, so a fourth window would start at row 6, in the padding (PyTorch: 3 rows).
     */
    private static OnnxBuilder ceilPool(String out) {
        return new OnnxBuilder(13).input("x", 1, 3, 5, 6).node("MaxPool", "mp", in("x"), out(out),
                ints("kernel_shape", 2, 2), ints("strides", 2, 2), ints("pads", 1, 1, 1, 1), i("ceil_mode", 1));
    }

    @Test
    void aDeclaredShapeFromShapeInferenceWithoutTheCeilRuleIsUsedAsComputed() {
        OnnxGraph g = ceilPool("p")
                .node("Relu", "r", in("p"), out("y")).output("y", 1, 3, 4, 4).read();
        assertEquals(Shape.of(1, 3, 3, 4), g.outputs().get(0).shape());
        OnnxBuilder fewer = ceilPool("y")
                .output("y", 1, 3, 2, 4);
        fails(fewer::read, "graph output 'y' is declared [1, 3, 2, 4] but the graph computes [1, 3, 3, 4]");
        OnnxBuilder channels = ceilPool("y")
                .output("y", 1, 4, 4, 4);
        fails(channels::read, "graph output 'y' is declared [1, 4, 4, 4] but the graph computes [1, 3, 3, 4]");
        // more rows than one dropped window a pool explains
        OnnxBuilder far = ceilPool("y")
                .output("y", 1, 3, 100, 4);
        fails(far::read, "graph output 'y' is declared [1, 3, 100, 4] but the graph computes [1, 3, 3, 4]");
        // an output off the pool's path is not excused by it
        OnnxBuilder beside = ceilPool("p")
                .node("Relu", "r", in("x"), out("q")).output("p", 1, 3, 4, 4).output("q", 1, 3, 6, 6);
        fails(beside::read, "graph output 'q' is declared [1, 3, 6, 6] but the graph computes [1, 3, 5, 6]");
    }
}
