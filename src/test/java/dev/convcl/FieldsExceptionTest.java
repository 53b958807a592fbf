package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.convcl.text.FieldsException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each rule between several fields of a convolution is a {@link FieldsException} whose fields are
 * the ones its message names, in its order: the command-line tool says where each comes from
 * (its {@code run} command's flags and files) from these, not from the text.
 */
class FieldsExceptionTest {
    /** Every key of the one-line form a convolution's refusal may name. */
    private static final Set<String> KEYS = Set.of("n", "c", "h", "w", "k", "kh", "kw", "stride_h", "stride_w", "pad_h",
            "pad_w", "pad_h_end", "pad_w_end", "dil_h", "dil_w", "groups", "offset_groups");

    static Stream<Arguments> refusals() {
        return Stream.of(
                Arguments.of((Executable) () -> Conv2d.builder().input(1, 4, 8, 8).output(6).kernel(3, 3).groups(3).build(),
                        "groups=3 must divide input channels c=4", List.of("groups", "c")),
                Arguments.of((Executable) () -> Conv2d.builder().input(1, 4, 8, 8).output(6).kernel(3, 3).groups(4).build(),
                        "groups=4 must divide output channels k=6", List.of("groups", "k")),
                Arguments.of((Executable) () -> DeformConv2d.builder().input(1, 4, 8, 8).output(4).kernel(3, 3)
                        .offsetGroups(3).build(), "offset_groups=3 must divide input channels c=4", List.of("offset_groups", "c")),
                Arguments.of((Executable) () -> Conv2d.builder().input(1, 1, 4, 8).output(1).kernel(5, 3).build(),
                        "kernel height kh=5 at dil_h=1 spans 5 rows, more than the padded input height h+pad_h+pad_h_end=4",
                        List.of("kh", "dil_h", "h", "pad_h", "pad_h_end")),
                Arguments.of((Executable) () -> Conv2d.builder().input(1, 1, 8, 2).output(1).kernel(3, 2).dilation(2).build(),
                        "kernel width kw=2 at dil_w=2 spans 3 columns, more than the padded input width w+pad_w+pad_w_end=2",
                        List.of("kw", "dil_w", "w", "pad_w", "pad_w_end")),
                Arguments.of((Executable) () -> Window2d.of(1, 1, 1, 1, Integer.MAX_VALUE, 0, 1, 1).checkFits(8, 8),
                        "padded input height h+pad_h+pad_h_end=4294967302 (h=8, pad_h=2147483647, pad_h_end=2147483647) "
                                + "exceeds 2^31-1, the limit of 32-bit indexing", List.of("h", "pad_h", "pad_h_end")),
                Arguments.of((Executable) () -> Window2d.of(1, 1, 1, 1, 0, Integer.MAX_VALUE, 1, 1).checkFits(8, 8),
                        "padded input width w+pad_w+pad_w_end=4294967302 (w=8, pad_w=2147483647, pad_w_end=2147483647) "
                                + "exceeds 2^31-1, the limit of 32-bit indexing", List.of("w", "pad_w", "pad_w_end")));
    }

    @ParameterizedTest
    @MethodSource("refusals")
    void namesItsFieldsInTheMessagesOrder(Executable build, String message, List<String> fields) {
        FieldsException e = assertInstanceOf(FieldsException.class, assertThrows(IllegalArgumentException.class, build));
        assertEquals(message, e.getMessage());
        assertEquals(fields, e.fields());
        // the fields are the keys the text names, first mention first: nothing drifts apart
        List<String> named = new ArrayList<>();
        for (String token : message.split("[^A-Za-z0-9_]+")) {
            if (KEYS.contains(token) && !named.contains(token)) {
                named.add(token);
            }
        }
        assertEquals(named, e.fields());
    }
}
