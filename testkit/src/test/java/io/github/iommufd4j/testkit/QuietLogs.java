package io.github.iommufd4j.testkit;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Silences core's log (every injected fault is logged as an error) during the reliability tests: thousands of
 * expected failures would flood the test output. The logger is held so its level is not lost to GC.
 */
final class QuietLogs {
    private static final Logger CORE = Logger.getLogger("io.github.iommufd4j");

    private QuietLogs() {
    }

    static void on() {
        CORE.setLevel(Level.OFF);
    }
}
