package dev.convcl.testing;

import dev.convcl.DeviceChoice;
import dev.convcl.Engine;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Where a test runs: the pure-Java CPU path or the OpenCL device the tests use. Tests take the
 * target as their first parameter ({@link #each}; {@link EachTarget} and {@link EachTargetCase}
 * say it as one annotation) and name their cases {@code [cpu] ...} and {@code [opencl] ...}, so
 * ci/test-summary.py can tell OpenCL cases from the others. The OpenCL
 * target skips where no device exists and fails under {@code CONVCL_REQUIRE_OPENCL=1}
 * ({@link OpenClTestDevice#require()}).
 */
public enum Target {
    /** The CPU path ({@link DeviceChoice#CPU}). */
    CPU,
    /** The OpenCL device {@code auto} picks. */
    OPENCL;

    /** {@code cpu} or {@code opencl}: also what {@link dev.convcl.Plan#backend()} says on this target. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Skips (or fails) the test when this target is OpenCL and there is no device. */
    public void require() {
        if (this == OPENCL) {
            OpenClTestDevice.require();
        }
    }

    /** A new engine on this target, after {@link #require()}. */
    public Engine open() {
        require();
        return this == CPU ? Engine.create(DeviceChoice.CPU) : OpenClTestDevice.engine();
    }

    /** Both targets, as a parameter source. */
    public static Stream<Target> all() {
        return Stream.of(values());
    }

    /** Every case of {@code cases} once per target, the target first: {@code (target, case...)}. */
    public static Stream<Arguments> each(Supplier<Stream<Arguments>> cases) {
        return all().flatMap(t -> cases.get().map(a -> {
            Object[] rest = a.get();
            Object[] all = new Object[rest.length + 1];
            all[0] = t;
            System.arraycopy(rest, 0, all, 1, rest.length);
            return Arguments.of(all);
        }));
    }

    /** {@code values} once per target: {@code (target, value)}. */
    public static Stream<Arguments> eachOf(Supplier<? extends Stream<?>> values) {
        return each(() -> values.get().map(Arguments::of));
    }
}
