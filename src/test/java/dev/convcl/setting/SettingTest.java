package dev.convcl.setting;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convcl.testing.SystemProperties;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The property before the variable, blank as unset, and the source named as a user sets it. */
class SettingTest {
    private final Map<String, String> props = new HashMap<>();
    private final Map<String, String> env = new HashMap<>();

    private Optional<Setting> read() {
        return Setting.of("convcl.x", "CONVCL_X", props::get, env::get);
    }

    @Test
    void thePropertyComesBeforeTheVariable() {
        assertEquals(Optional.empty(), read(), "neither set");
        env.put("CONVCL_X", " v ");
        assertEquals(Optional.of(new Setting(" v ", "$CONVCL_X")), read(), "the variable, as set");
        props.put("convcl.x", "p");
        assertEquals(Optional.of(new Setting("p", "-Dconvcl.x")), read(), "the property over the variable");
    }

    @Test
    void blankCountsAsUnset() {
        props.put("convcl.x", " ");
        env.put("CONVCL_X", "v");
        assertEquals(Optional.of(new Setting("v", "$CONVCL_X")), read(), "a blank property falls through");
        env.put("CONVCL_X", "\t");
        assertEquals(Optional.empty(), read(), "a blank variable is unset too");
    }

    @Test
    void theProcessLookupReadsSystemProperties() {
        SystemProperties.with("convcl.settingTest", "on", () -> {
            assertEquals(Optional.of(new Setting("on", "-Dconvcl.settingTest")),
                    Setting.of("convcl.settingTest", "CONVCL_SETTING_TEST_UNSET"));
            return null;
        });
    }
}
