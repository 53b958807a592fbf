package dev.convcl.cpu;

import dev.convcl.Operation;
import dev.convcl.spi.Implementation;
import dev.convcl.spi.Primitive;
import java.util.Optional;
import java.util.function.Function;

/**
 * An entry of the CPU path's implementation list for one operator other than convolution: it
 * accepts every valid descriptor of its class.
 *
 * @param <T> the operator's record
 */
final class CpuOpImplementation<T extends Operation> implements Implementation {
    private final String name;
    private final Class<T> type;
    private final Function<T, Primitive> create;

    CpuOpImplementation(String name, Class<T> type, Function<T, Primitive> create) {
        this.name = name;
        this.type = type;
        this.create = create;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Optional<String> validate(Operation op) {
        return type.isInstance(op) ? Optional.empty() : Optional.of("not " + type.getSimpleName());
    }

    @Override
    public Primitive create(Operation op, String config) {
        if (!type.isInstance(op)) {
            throw new IllegalArgumentException(name + " cannot run " + op + ": not " + type.getSimpleName());
        }
        if (config != null) {
            throw new IllegalArgumentException(name + " has no configuration '" + config + "'");
        }
        return create.apply(type.cast(op));
    }
}
