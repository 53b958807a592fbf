package dev.convcl.opencl;

import dev.convcl.setting.Setting;
import dev.convcl.text.Decimal;
import java.util.Locale;
import java.util.Optional;

/**
 * Automatic tuning on first use: when a plan of a tuned family ({@link KernelFamily}) is created
 * for a problem class that the device's {@link TuningTable} has no entry for, the {@link Tuner}
 * times that class's candidates on the problem at hand, within a budget, and saves the winner,
 * so that this plan and every later one (in any process) use it.
 *
 * <p>Opt-in: on when the system property {@value #PROPERTY} or the environment variable
 * {@value #ENV} is {@code on} ({@code true}, {@code 1}); off when unset or {@code off}
 * ({@code false}, {@code 0}), so that tests and CI stay deterministic and a first plan never takes
 * longer than its kernel build unless asked; any other value is refused. The budget is
 * {@value #DEFAULT_SECONDS} s of wall time a problem class (building and checking included; once
 * spent no further candidate starts, except the defaults and the tuning file's tile for the class,
 * but the candidates started are still timed, two calls a round, so a class can take longer by
 * their timing), set by {@value #SECONDS_PROPERTY} or {@value #SECONDS_ENV} (a decimal number of
 * seconds, at least 1e-9; read, and refused otherwise, when an engine is created and at every plan
 * of a tuned family made without an explicit configuration while tuning is on, whether or not its
 * class needs tuning). A class is tried once
 * per backend even when no candidate wins. Where the budget ran out before every candidate was
 * tried, the entry keeps the candidates left out ({@link TuningTable.Entry#untried}), and a later
 * first use (a new backend, typically the next process) takes the class up again, those right
 * after the defaults and the class's tile: on a machine whose compiler caches are cold, building a
 * candidate takes seconds (0.5-5 s a GEMM tile on POCL), so the first budget may cover little more
 * than the device's defaults. {@code convcl tune} runs the full
 * search instead.
 */
public final class AutoTune {
    static final String PROPERTY = "convcl.autotune";
    static final String ENV = "CONVCL_AUTOTUNE";
    static final String SECONDS_PROPERTY = "convcl.autotune.seconds";
    static final String SECONDS_ENV = "CONVCL_AUTOTUNE_SECONDS";
    static final double DEFAULT_SECONDS = 5;

    private AutoTune() {
    }

    /**
     * Whether automatic tuning is on (read on every call, so a test or an application can switch it):
     * {@code on}, {@code true} or {@code 1} (any case), and off for {@code off}, {@code false},
     * {@code 0} or no setting.
     *
     * @throws IllegalArgumentException naming the setting and its value when it is anything else
     *                                  (a typo such as {@code yes} would otherwise turn tuning off unseen)
     */
    static boolean enabled() {
        Optional<Setting> setting = Setting.of(PROPERTY, ENV);
        String v = setting.map(Setting::value).orElse("off").trim().toLowerCase(Locale.ROOT);
        switch (v) {
            case "on", "true", "1":
                return true;
            case "off", "false", "0":
                return false;
            default:
                throw new IllegalArgumentException(setting.get().source() + " '" + setting.get().value()
                        + "' must be on, true or 1 (tune on first use), or off, false or 0");
        }
    }

    /**
     * The budget of a class.
     *
     * @throws IllegalArgumentException naming the setting when it is not a positive number of seconds
     */
    static Tuner.Budget budget() {
        Optional<Setting> v = Setting.of(SECONDS_PROPERTY, SECONDS_ENV);
        if (v.isEmpty()) {
            return Tuner.Budget.seconds(DEFAULT_SECONDS);
        }
        // decimal numbers only (Java's 2f, 0x1p3 are not what a user means), and at least 1 ns
        try {
            double s = Decimal.parse(v.get().value(), false);
            if (s >= 1e-9 && Double.isFinite(s)) {
                return Tuner.Budget.seconds(s);
            }
        } catch (IllegalArgumentException notADecimal) {
            // the message below
        }
        throw new IllegalArgumentException(v.get().source() + " '" + v.get().value()
                + "' must be a positive, finite number of seconds (a decimal number, at least 1e-9)");
    }

    /**
     * Reads the settings as the first plan with tuning on would: {@code convcl.autotune} /
     * {@code CONVCL_AUTOTUNE}, and with tuning on the budget {@code convcl.autotune.seconds} /
     * {@code CONVCL_AUTOTUNE_SECONDS}. {@code Engine.create} and every CLI command that opens a
     * device call it before any work, so that a typo is refused in one line at the start, not at the first plan after
     * progress lines, and on every device, not only where tuning applies.
     *
     * @throws IllegalArgumentException naming the setting, its value and the rule
     */
    public static void checkSettings() {
        if (enabled()) {
            budget();
        }
    }
}
