package dev.convcl.cpu;

import java.util.Optional;

/**
 * The incubating {@code jdk.incubator.vector} module, which the CPU path's fastest kernels and the
 * peak's FMA loop use when the JVM was started with {@code --add-modules jdk.incubator.vector}.
 *
 * <p>The module descriptor does not name it (not even as {@code requires static}): a descriptor
 * that does makes javac and javadoc print "using incubating module(s)" on every build, which
 * javadoc counts as a warning, so the API documentation could not be held to zero warnings. On
 * the module path, convcl's module therefore adds the read edge itself here, before the classes
 * that use the Vector API are loaded by name; on the class path this is a no-op (the unnamed
 * module reads every module).
 */
public final class VectorModule {
    private static final String NAME = "jdk.incubator.vector";

    private VectorModule() {
    }

    /**
     * Whether the JVM has the module; when it does, convcl's module reads it from now on, so that
     * classes using the Vector API link.
     *
     * @return true when {@code jdk.incubator.vector} is in the boot layer
     */
    public static boolean readable() {
        Optional<Module> vector = ModuleLayer.boot().findModule(NAME);
        vector.ifPresent(VectorModule.class.getModule()::addReads);
        return vector.isPresent();
    }
}
