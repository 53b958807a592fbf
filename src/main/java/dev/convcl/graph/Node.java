package dev.convcl.graph;

import dev.convcl.Value;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A node of a graph: a name (the user's, or the names of fused nodes joined by {@code +}), what it
 * computes, the values it reads and the value it writes.
 *
 * @param name   the node's name, used in messages and listings
 * @param layer  what it computes
 * @param inputs the values read, in the order {@link Layer} states (copied)
 * @param output the value written
 */
public record Node(String name, Layer layer, List<Value> inputs, Value output) {
    /** Copies the inputs. */
    public Node {
        inputs = List.copyOf(inputs);
    }

    /** Input {@code i}. */
    public Value input(int i) {
        return inputs.get(i);
    }

    /** {@code layer1.0.conv1: conv2d('x' [1, 64, 56, 56]) -> [1, 64, 56, 56]}. */
    @Override
    public String toString() {
        return name + ": " + layer.kind() + "(" + inputs.stream().map(v -> "'" + v.name() + "'")
                .collect(Collectors.joining(", ")) + ") -> " + java.util.Arrays.toString(output.shape());
    }
}
