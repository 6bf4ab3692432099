package io.github.iommufd4j.simulator.scenario;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.Errno;
import java.util.Objects;

/** One step of a scenario: a map with exactly one key in the file, whose key is {@link #opName()}. */
public sealed interface Step {

    /** The step's key in scenario files and its {@code op} in reports ({@code attach}, {@code startDirtyTracking}). */
    String opName();

    /** The device the step acts on, as the report's {@code target}; null for steps without one. */
    default String target() {
        return null;
    }

    /** {@code attach: DEVICE}: QEMU realizes the device and attaches it. */
    record Attach(String device) implements Step {
        public Attach {
            Checks.name(device, "attach: device");
        }

        @Override
        public String opName() {
            return "attach";
        }

        @Override
        public String target() {
            return device;
        }
    }

    /** {@code detach: DEVICE}: QEMU unrealizes the device. */
    record Detach(String device) implements Step {
        public Detach {
            Checks.name(device, "detach: device");
        }

        @Override
        public String opName() {
            return "detach";
        }

        @Override
        public String target() {
            return device;
        }
    }

    /** {@code startDirtyTracking: {}}: QEMU's {@code log_global_start} on every container. */
    record StartDirtyTracking() implements Step {
        @Override
        public String opName() {
            return "startDirtyTracking";
        }
    }

    /** {@code stopDirtyTracking: {}}: QEMU's {@code log_global_stop} on every container. */
    record StopDirtyTracking() implements Step {
        @Override
        public String opName() {
            return "stopDirtyTracking";
        }
    }

    /**
     * {@code dma: {device, iova, length}}: the device writes guest memory.
     *
     * @param iova   first byte written, not negative
     * @param length bytes written, positive
     */
    record Dma(String device, long iova, long length) implements Step {
        public Dma {
            Checks.name(device, "dma: device");
            Checks.range(iova, length, "dma");
        }

        @Override
        public String opName() {
            return "dma";
        }

        @Override
        public String target() {
            return device;
        }
    }

    /**
     * {@code sync: {}} or {@code sync: {iova, length}}: QEMU's {@code log_sync}.
     *
     * @param iova   first byte, or null (with {@code length} null) for all guest memory
     * @param length bytes, or null (with {@code iova} null) for all guest memory
     */
    record Sync(Long iova, Long length) implements Step {
        public Sync {
            if ((iova == null) != (length == null)) {
                throw new IllegalArgumentException("sync: give both iova and length, or neither (all memory)");
            }
            if (iova != null) {
                Checks.range(iova, length, "sync");
            }
        }

        /** A sync over all guest memory. */
        public static Sync allMemory() {
            return new Sync(null, null);
        }

        /** Whether this sync covers all guest memory. */
        public boolean isAllMemory() {
            return iova == null;
        }

        @Override
        public String opName() {
            return "sync";
        }
    }

    /** {@code map: {iova, length}}: guest memory added (mapped into every container). */
    record MapMemory(long iova, long length) implements Step {
        public MapMemory {
            Checks.range(iova, length, "map");
        }

        @Override
        public String opName() {
            return "map";
        }
    }

    /** {@code unmap: {iova, length}}: guest memory removed (unmapped from every container). */
    record UnmapMemory(long iova, long length) implements Step {
        public UnmapMemory {
            Checks.range(iova, length, "unmap");
        }

        @Override
        public String opName() {
            return "unmap";
        }
    }

    /**
     * {@code fault: {op, errno, nth}}: the {@code nth} next call of backend operation {@code op} fails with
     * {@code errno}.
     *
     * @param nth 1 for the very next call; default 1
     */
    record Fault(BackendOp op, Errno errno, int nth) implements Step {
        public Fault {
            Objects.requireNonNull(op, "fault: op");
            Objects.requireNonNull(errno, "fault: errno");
            if (errno == Errno.UNKNOWN) {
                throw new IllegalArgumentException("fault: errno must be a named errno, not UNKNOWN");
            }
            if (nth < 1) {
                throw new IllegalArgumentException("fault: nth " + nth + " must be at least 1");
            }
        }

        @Override
        public String opName() {
            return "fault";
        }
    }
}
