package io.github.iommufd4j.simulator.scenario;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonValue;
import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.Errno;
import java.util.List;
import java.util.Objects;

/**
 * One step of a scenario: a map with exactly one key in the file, whose key is {@link #opName()}. The
 * annotations are the scenario-file binding: the key names the record ({@code WRAPPER_OBJECT}), in the order
 * of {@code docs/reference/scenario-format.md}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.WRAPPER_OBJECT)
@JsonSubTypes({@JsonSubTypes.Type(value = Step.Attach.class, name = "attach"),
        @JsonSubTypes.Type(value = Step.Detach.class, name = "detach"),
        @JsonSubTypes.Type(value = Step.StartDirtyTracking.class, name = "startDirtyTracking"),
        @JsonSubTypes.Type(value = Step.StopDirtyTracking.class, name = "stopDirtyTracking"),
        @JsonSubTypes.Type(value = Step.Dma.class, name = "dma"),
        @JsonSubTypes.Type(value = Step.Sync.class, name = "sync"),
        @JsonSubTypes.Type(value = Step.MapMemory.class, name = "map"),
        @JsonSubTypes.Type(value = Step.UnmapMemory.class, name = "unmap"),
        @JsonSubTypes.Type(value = Step.Fault.class, name = "fault"),
        // vIOMMU steps (Q-EV-5): the guest maps and unmaps through a translating intel-iommu
        @JsonSubTypes.Type(value = Step.ViommuMap.class, name = "viommuMap"),
        @JsonSubTypes.Type(value = Step.ViommuUnmap.class, name = "viommuUnmap"),
        @JsonSubTypes.Type(value = Step.Migrate.class, name = "migrate")})
@JsonClassDescription("a map with one key, the step (- attach: vf0)")
public sealed interface Step {

    /** The step's key in scenario files and its {@code op} in reports ({@code attach}, {@code startDirtyTracking}). */
    String opName();

    /** The device the step acts on, as the report's {@code target}; null for steps without one. */
    default String target() {
        return null;
    }

    /** {@code attach: DEVICE}: QEMU realizes the device and attaches it. */
    @JsonClassDescription("a device name")
    record Attach(@JsonValue String device) implements Step {
        @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
        public Attach {
            Checks.name(device, "");
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
    @JsonClassDescription("a device name")
    record Detach(@JsonValue String device) implements Step {
        @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
        public Detach {
            Checks.name(device, "");
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
    record Dma(
            @JsonProperty(required = true) @JsonPropertyDescription("the name of the device that writes") String device,
            @JsonProperty(required = true) @JsonPropertyDescription("the first guest address written") long iova,
            @JsonProperty(required = true) @JsonPropertyDescription("the number of bytes written") long length)
            implements Step {
        public Dma {
            Checks.name(device, "device");
            Checks.range(iova, length);
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
    @JsonClassDescription("{} for all memory or {iova, length}")
    record Sync(Long iova, Long length) implements Step {
        public Sync {
            if ((iova == null) != (length == null)) {
                throw new ScenarioValueException(iova == null ? "iova" : "length",
                        "missing; expected both iova and length, or neither (sync: {} syncs all memory)");
            }
            if (iova != null) {
                Checks.range(iova, length);
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
    record MapMemory(
            @JsonProperty(required = true) @JsonPropertyDescription("the first guest address to map") long iova,
            @JsonProperty(required = true) @JsonPropertyDescription("the size in bytes") long length)
            implements Step {
        public MapMemory {
            Checks.range(iova, length);
        }

        @Override
        public String opName() {
            return "map";
        }
    }

    /** {@code unmap: {iova, length}}: guest memory removed (unmapped from every container). */
    record UnmapMemory(
            @JsonProperty(required = true) @JsonPropertyDescription("the first guest address to unmap") long iova,
            @JsonProperty(required = true) @JsonPropertyDescription("the size in bytes") long length)
            implements Step {
        public UnmapMemory {
            Checks.range(iova, length);
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
    record Fault(
            @JsonProperty(required = true) @JsonPropertyDescription("an operation such as HWPT_ALLOC") BackendOp op,
            @JsonProperty(required = true) @JsonPropertyDescription("an errno name such as ENOMEM") Errno errno,
            @JsonProperty(defaultValue = "1") int nth) implements Step {
        public Fault {
            Objects.requireNonNull(op, "op");
            Objects.requireNonNull(errno, "errno");
            if (errno == Errno.UNKNOWN) {
                throw new ScenarioValueException("errno",
                        "UNKNOWN is not an errno; expected a Linux errno name such as ENOMEM");
            }
            if (nth < 1) {
                throw new ScenarioValueException("nth",
                        nth + " is out of range; expected 1 for the next call, 2 for the one after, ...");
            }
        }

        @Override
        public String opName() {
            return "fault";
        }
    }

    /**
     * {@code viommuMap: {device, iova, length}}: the guest maps {@code [iova, iova + length)} of its RAM 1:1 in the
     * translating vIOMMU the device sits behind ({@code viommuKind: intel-iommu}): one IOTLB entry, which QEMU's MAP
     * notifier shadows into the device's IOAS.
     *
     * @param iova   the IOVA (and guest address) of the entry, aligned to its length
     * @param length a power of two, at least the page size
     */
    record ViommuMap(
            @JsonProperty(required = true) @JsonPropertyDescription("the name of a device behind viommuKind: intel-iommu") String device,
            @JsonProperty(required = true) @JsonPropertyDescription("the IOVA (= guest address) of the mapping") long iova,
            @JsonProperty(required = true) @JsonPropertyDescription("its size, a power of two") long length)
            implements Step {
        public ViommuMap {
            Checks.name(device, "device");
            Checks.range(iova, length);
        }

        @Override
        public String opName() {
            return "viommuMap";
        }

        @Override
        public String target() {
            return device;
        }
    }

    /**
     * {@code viommuUnmap: {device, iova, length}}: the guest unmaps a mapping {@link ViommuMap} made; QEMU's UNMAP
     * notifier unmaps it from the device's IOAS (reading its dirty bits first from QEMU 11.0, Q-EV-5).
     */
    record ViommuUnmap(
            @JsonProperty(required = true) @JsonPropertyDescription("the name of a device behind viommuKind: intel-iommu") String device,
            @JsonProperty(required = true) @JsonPropertyDescription("the IOVA of a mapping made by viommuMap") long iova,
            @JsonProperty(required = true) @JsonPropertyDescription("its size") long length)
            implements Step {
        public ViommuUnmap {
            Checks.name(device, "device");
            Checks.range(iova, length);
        }

        @Override
        public String opName() {
            return "viommuUnmap";
        }

        @Override
        public String target() {
            return device;
        }
    }

    /**
     * {@code migrate: {}} or {@code migrate: {dma: [{device, iova, length}, ...]}}: QEMU migrates the paused VM and
     * runs it again, in QEMU 10.0's order: the blockers decide first; then {@code log_global_start}, the writes of
     * {@code dma}, the setup sync and the final sync, and {@code log_global_stop} ({@code docs/reference/scenario-format.md}).
     *
     * @param dma device writes made right after dirty tracking started, before the first sync, in order; default none
     */
    @JsonClassDescription("{} or {dma: [{device, iova, length}, ...]}")
    record Migrate(
            @JsonProperty(defaultValue = "[]") @JsonInclude(JsonInclude.Include.NON_EMPTY)
            @JsonPropertyDescription("device writes made right after dirty tracking started") List<DmaWrite> dma)
            implements Step {
        public Migrate {
            dma = dma == null ? List.of() : List.copyOf(dma);
        }

        /** A migration with no device write. */
        public static Migrate withoutWrites() {
            return new Migrate(List.of());
        }

        @Override
        public String opName() {
            return "migrate";
        }
    }
}
