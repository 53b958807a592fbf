package dev.convcl.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A test run once per {@link Target}, which it takes as its only parameter; its cases are named
 * {@code [cpu]} and {@code [opencl]} (the names ci/test-summary.py reads). For a test that also
 * takes cases, see {@link EachTargetCase}.
 */
@java.lang.annotation.Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@ParameterizedTest(name = "[{0}]")
@EnumSource(Target.class)
public @interface EachTarget {
}
