package dev.convcl.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import org.slf4j.LoggerFactory;

/** Logging switches of the tool; they act only when Logback is the SLF4J binding. */
final class Logging {
    private Logging() {
    }

    /**
     * {@code --debug}: DEBUG for convcl's own loggers until the returned action runs (which
     * matters when commands run in-process one after another, as in tests).
     */
    static Runnable debug() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx) {
            Logger convcl = ctx.getLogger("dev.convcl");
            Level before = convcl.getLevel();
            convcl.setLevel(Level.DEBUG);
            return () -> convcl.setLevel(before);
        }
        return () -> { };
    }
}
