package io.github.iommufd4j.tck;

import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * {@value IommufdBackendVerification#QEMU_LOG_PROPERTY}{@code =off}: QEMU's warnings and error reports, which rules
 * such as Q-ATT-5 provoke on purpose, stay out of the log while the rules of a class run. Works with the JDK's
 * default {@link System.Logger} (java.util.logging); the level of logger {@value #QEMU_LOGGER} is restored after
 * the class. With another logging backend, set that logger's level there.
 */
final class QemuLogSwitch implements BeforeAllCallback, AfterAllCallback {
    /** The logger core reports QEMU's messages on. */
    static final String QEMU_LOGGER = "io.github.iommufd4j.qemu";
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(QemuLogSwitch.class);

    /** The logger and its level before the class, held so that java.util.logging keeps the level set. */
    private record Saved(Logger logger, Level level) {
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        String value = context.getConfigurationParameter(IommufdBackendVerification.QEMU_LOG_PROPERTY)
                .orElse(System.getProperty(IommufdBackendVerification.QEMU_LOG_PROPERTY, "on")).strip();
        if (value.equals("on")) {
            return;
        }
        if (!value.equals("off")) {
            throw new TckRunFailure(IommufdBackendVerification.QEMU_LOG_PROPERTY + "=" + value
                    + " is not understood; give on (the default: QEMU's warnings are logged) or off");
        }
        Logger logger = Logger.getLogger(QEMU_LOGGER);
        context.getStore(NAMESPACE).put(Saved.class, new Saved(logger, logger.getLevel()));
        logger.setLevel(Level.OFF);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        Saved saved = context.getStore(NAMESPACE).remove(Saved.class, Saved.class);
        if (saved != null) {
            saved.logger().setLevel(saved.level());
        }
    }
}
