package dev.convcl.testing;

import dev.convcl.Convolution;
import dev.convcl.Engine;
import dev.convcl.Plan;

/**
 * Run in a forked JVM by {@code OpenClLoaderTest}: a library user's first call, on a system whose
 * OpenCL ICD loader files the test has hidden. Reports on standard error, as {@code RESULT
 * key=value} lines, where the convolution ran and why not on OpenCL; writes nothing to standard
 * output itself, so anything found there came from a dependency.
 */
public final class LoaderProbe {
    private LoaderProbe() {
    }

    public static void main(String[] args) {
        Convolution spec = Problems.parse("op=conv2d n=1 c=8 h=12 w=12 k=8 kh=3 kw=3 pad=1 groups=8 bias=1");
        try (Engine engine = Engine.create(); Plan plan = engine.plan(spec)) {
            CrossCheck.integersExact(spec, 1, plan::execute);
            System.err.println("RESULT backend=" + plan.backend());
            System.err.println("RESULT fallback=" + engine.fallbackReason().orElse("none"));
        }
    }
}
