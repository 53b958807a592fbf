package dev.convcl.cpu;

import dev.convcl.Operation;
import dev.convcl.spi.Implementation;
import dev.convcl.spi.Primitive;
import java.util.Optional;
import java.util.function.Function;

/**
 * An entry of the CPU path's implementation list: it accepts the descriptors of one class that its
 * rule does not reject, and has no configurations to tune.
 *
 * @param name    the implementation's name
 * @param type    the operator's record class; any other operation is rejected with {@code notType}
 * @param notType why an operation of another class cannot run, e.g. {@code not a convolution}
 * @param rule    why this implementation cannot run an operation of the class, or null when it can
 * @param factory builds the primitive for an accepted operation
 * @param <T>     the operator's record
 */
record CpuOpImplementation<T extends Operation>(String name, Class<T> type, String notType,
                                                Function<? super T, String> rule,
                                                Function<? super T, ? extends Primitive> factory)
        implements Implementation {

    /** An entry that accepts every descriptor of {@code type} (an operator other than convolution). */
    CpuOpImplementation(String name, Class<T> type, Function<? super T, ? extends Primitive> factory) {
        this(name, type, "not " + type.getSimpleName(), op -> null, factory);
    }

    @Override
    public boolean handlesKind(Operation op) {
        return type.isInstance(op);
    }

    @Override
    public Optional<String> validate(Operation op) {
        return type.isInstance(op) ? Optional.ofNullable(rule.apply(type.cast(op))) : Optional.of(notType);
    }

    @Override
    public Primitive create(Operation op, String config) {
        Optional<String> why = validate(op);
        if (why.isPresent()) {
            throw new IllegalArgumentException(name + " cannot run " + op + ": " + why.get());
        }
        if (config != null) {
            throw new IllegalArgumentException(name + " has no configuration '" + config + "'");
        }
        return factory.apply(type.cast(op));
    }
}
