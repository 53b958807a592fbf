/**
 * convcl: 2-D convolutions (dilated, grouped, depthwise, deformable) on OpenCL devices, with a
 * pure-Java CPU path as the fallback. Semantics are PyTorch's ({@code torch.nn.functional.conv2d},
 * {@code torchvision.ops.deform_conv2d}), NCHW float32.
 *
 * <p>Only {@code dev.convcl} is exported: operation descriptors, tensors, the engine and its
 * plans. The backends, their service interface, the reference implementation and the
 * command-line tool are internal and may change in any release.
 *
 * <p>Run time: JOCL (module {@code jocl}), {@code org.slf4j} (bring a binding), JNA
 * ({@code com.sun.jna}) and protobuf-java ({@code com.google.protobuf}, for ONNX models). Optional: {@code jdk.incubator.vector}, for the CPU path's vector
 * kernels (start the JVM with {@code --add-modules jdk.incubator.vector}; without it plain-Java
 * kernels give the same results), and, for the command-line tool only, picocli, logback and
 * {@code java.management}.
 */
// JOCL and JNA are automatic modules; requiring them is deliberate (see below).
@SuppressWarnings("requires-automatic")
module dev.convcl {
    // JOCL's jars (2.0.5, and 2.0.6, the latest) carry neither a module-info nor an
    // Automatic-Module-Name, so the module system names them after the file: jocl-2.0.5.jar is
    // module "jocl" for everyone who puts it on the module path. Maven warns about such
    // "filename-based" names; the alternative, staying an automatic module ourselves, would export
    // every internal package.
    requires jocl;
    requires org.slf4j;
    // JNA declares Automatic-Module-Name: com.sun.jna.
    requires com.sun.jna;
    // protobuf-java (Automatic-Module-Name: com.google.protobuf) reads ONNX models
    // (dev.convcl.onnx, whose generated classes are in dev.convcl.onnx.proto).
    requires com.google.protobuf;

    // The command-line tool (dev.convcl.cli) only: bundled into the runnable jar, which runs on
    // the class path; a library user needs none of them.
    requires static info.picocli;
    requires static ch.qos.logback.classic;
    requires static java.management;

    // jdk.incubator.vector is deliberately absent: see dev.convcl.cpu.VectorModule, which adds
    // the read edge at run time when the JVM has the module.

    exports dev.convcl;

    // picocli reads and writes the commands' annotated fields reflectively.
    opens dev.convcl.cli to info.picocli;
}
