package io.github.iommufd4j.tck;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QEMU's warnings reach {@code System.Logger} as {@code io.github.iommufd4j.qemu} at WARNING (the README's logging
 * table), and {@code iommufd4j.tck.qemuLog=off} is the one line that keeps them out of a TCK run.
 */
class QemuLogTest {
    private final Logger qemu = Logger.getLogger("io.github.iommufd4j.qemu");
    private final List<LogRecord> records = new ArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            if (qemu.isLoggable(r.getLevel())) {
                records.add(r);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @TempDir
    Path reports;

    @BeforeEach
    void capture() {
        qemu.addHandler(capture);
        qemu.setUseParentHandlers(false); // captured, not printed
    }

    @AfterEach
    void release() {
        qemu.removeHandler(capture);
        qemu.setUseParentHandlers(true);
    }

    @Test
    void qemuWarningsAreLoggedAtWarningOnTheQemuLogger() {
        TckSummary s = TckRunner.runClass(MockBackendTckTest.class, "mock",
                Map.of(IommufdBackendVerification.QEMU_LOG_PROPERTY, "on"), reports, l -> { });
        assertThat(s.passed()).isTrue();
        assertThat(records).extracting(LogRecord::getLevel, LogRecord::getMessage)
                .contains(org.assertj.core.groups.Tuple.tuple(Level.WARNING,
                        "IOMMU instance for device b doesn't support dirty tracking"));
        assertThat(records).extracting(LogRecord::getLoggerName).containsOnly("io.github.iommufd4j.qemu");
    }

    @Test
    void qemuLogOff_silencesThemForTheRunOnlyAndRestoresTheLevel() {
        qemu.setLevel(Level.INFO);
        TckSummary s = TckRunner.runClass(MockBackendTckTest.class, "mock",
                Map.of(IommufdBackendVerification.QEMU_LOG_PROPERTY, "off"), reports, l -> { });
        assertThat(s.passed()).isTrue();
        assertThat(records).as("QEMU's warnings logged during the run").isEmpty();
        assertThat(qemu.getLevel()).as("the logger's level after the run").isEqualTo(Level.INFO);
        qemu.setLevel(null);
    }

    @Test
    void anUnknownQemuLogValueFailsTheRunNamingTheValuesItTakes() {
        TckSummary s = TckRunner.runClass(MockBackendTckTest.class, "mock",
                Map.of(IommufdBackendVerification.QEMU_LOG_PROPERTY, "quiet"), reports, l -> { });
        assertThat(s.problems()).containsExactly("iommufd4j.tck.qemuLog=quiet is not understood; give on (the default:"
                + " QEMU's warnings are logged) or off");
        assertThat(s.passed()).isFalse();
    }
}
