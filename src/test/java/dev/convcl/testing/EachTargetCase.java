package dev.convcl.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.reflect.Method;
import java.util.Collection;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.ArgumentsProvider;
import org.junit.jupiter.params.provider.ArgumentsSource;
import org.junit.jupiter.params.support.AnnotationConsumer;

/**
 * A test run on every case of a source once per {@link Target} ({@link Target#each}): it takes
 * {@code (target, case...)} and its cases are named {@code [cpu] case} and {@code [opencl] case}
 * (the names ci/test-summary.py reads). {@link #value} names a static, parameterless method that
 * returns the cases as a {@link Stream} or a {@link Collection}, each an {@link Arguments} or a
 * single value: a method of the test class, or, as {@code dev.convcl.testing.PostOpCases#cases},
 * of another class.
 */
@java.lang.annotation.Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@ParameterizedTest(name = "[{0}] {1}")
@ArgumentsSource(EachTargetCase.Provider.class)
public @interface EachTargetCase {
    /** The static method that returns the cases: {@code name} in the test class, or {@code class#name}. */
    String value();

    /** Crosses the named source's cases with the targets. */
    final class Provider implements ArgumentsProvider, AnnotationConsumer<EachTargetCase> {
        private String source;

        @Override
        public void accept(EachTargetCase annotation) {
            source = annotation.value();
        }

        @Override
        public Stream<? extends Arguments> provideArguments(ExtensionContext context) throws Exception {
            Class<?> testClass = context.getRequiredTestClass();
            int hash = source.indexOf('#');
            Class<?> owner = hash < 0 ? testClass : Class.forName(source.substring(0, hash), true,
                    testClass.getClassLoader());
            Method m = owner.getDeclaredMethod(source.substring(hash + 1));
            m.setAccessible(true);
            return Target.each(() -> cases(m));
        }

        private static Stream<Arguments> cases(Method m) {
            Object cases;
            try {
                cases = m.invoke(null);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(m + " cannot give the cases", e);
            }
            Stream<?> s = cases instanceof Collection<?> c ? c.stream() : (Stream<?>) cases;
            return s.map(a -> a instanceof Arguments args ? args : Arguments.of(a));
        }
    }
}
