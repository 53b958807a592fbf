package dev.convcl.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import org.slf4j.LoggerFactory;

/** Logging switches of the tool; they act only when Logback is the SLF4J binding. */
final class Logging {
    private Logging() {
    }

    /** {@code --debug}: DEBUG for convcl's own loggers. */
    static void enableDebug() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx) {
            ctx.getLogger("dev.convcl").setLevel(Level.DEBUG);
        }
    }
}
