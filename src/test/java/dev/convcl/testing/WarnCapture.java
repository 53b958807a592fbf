package dev.convcl.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Collects the WARN (and worse) messages one logger emits while it is open, and keeps them off the
 * console meanwhile (the tests that expect warnings assert on them instead).
 */
public final class WarnCapture implements AutoCloseable {
    private final Logger logger;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final boolean wasAdditive;
    private final Level wasLevel;

    private WarnCapture(Class<?> source, Level level) {
        logger = (Logger) LoggerFactory.getLogger(source);
        wasLevel = logger.getLevel();
        if (level != null) {
            logger.setLevel(level);
        }
        appender.start();
        logger.addAppender(appender);
        wasAdditive = logger.isAdditive();
        logger.setAdditive(false);
    }

    /** Starts collecting what {@code source}'s logger emits. */
    public static WarnCapture on(Class<?> source) {
        return new WarnCapture(source, null);
    }

    /** Starts collecting what {@code source}'s logger emits, DEBUG included; its level is restored on close. */
    public static WarnCapture atDebug(Class<?> source) {
        return new WarnCapture(source, Level.DEBUG);
    }

    /** The formatted messages at WARN or above, in order. */
    public List<String> warnings() {
        synchronized (appender) { // the lock AppenderBase.doAppend holds while it appends
            return appender.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                    .map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    /**
     * The formatted messages at every level the logger lets through, in order (DEBUG ones only
     * where its level allows them, e.g. during a CLI command run with {@code --debug}).
     */
    public List<String> messages() {
        synchronized (appender) {
            return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    /** The formatted messages at INFO exactly, in order. */
    public List<String> infos() {
        synchronized (appender) {
            return appender.list.stream().filter(e -> e.getLevel() == Level.INFO)
                    .map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    /** How many WARN-or-worse messages contain {@code text}. */
    public long count(String text) {
        return warnings().stream().filter(m -> m.contains(text)).count();
    }

    @Override
    public void close() {
        logger.setAdditive(wasAdditive);
        logger.detachAppender(appender);
        appender.stop();
        logger.setLevel(wasLevel);
    }
}
