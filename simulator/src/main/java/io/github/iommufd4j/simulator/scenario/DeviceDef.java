package io.github.iommufd4j.simulator.scenario;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.github.iommufd4j.core.OnOffAuto;
import io.github.iommufd4j.core.ViommuKind;
import java.util.Objects;

/**
 * An assigned device of a scenario ({@code devices[]}). The annotations are its scenario-file binding: a key
 * is required, or the reader takes its {@code defaultValue} (written as in a file) when the file leaves it
 * out; false, 0 and null need none.
 *
 * @param name                    unique among the scenario's devices; used in messages; default none (required)
 * @param iommu                   the id of the {@link IommuDef} the device sits behind (required)
 * @param mdev                    a mediated device; default false
 * @param vfDirtyTracking         device (VF) DMA logging supported; default false
 * @param migration               VFIO migration supported; default true
 * @param p2p                     the P2P migration states supported; default true
 * @param enableMigration         QEMU {@code enable-migration}; default {@link OnOffAuto#AUTO}
 * @param deviceDirtyPageTracking QEMU {@code x-device-dirty-page-tracking}; default {@link OnOffAuto#ON}
 * @param viommu                  behind a vIOMMU (an address space of its own, Q-ATT-8); default false
 * @param viommuKind              which vIOMMU, when it matters (a {@link ViommuKind} spelling: {@code intel-iommu},
 *                                {@code intel-iommu-x-flts}, {@code arm-smmuv3-accel}); only with {@code viommu: true};
 *                                default none (null): a vIOMMU that asks nothing of VFIO, as in version 1
 */
@JsonClassDescription("a map with at least name and iommu")
public record DeviceDef(
        @JsonProperty(required = true) @JsonPropertyDescription("a unique device name such as vf0") String name,
        @JsonProperty(required = true) @JsonPropertyDescription("the id of an IOMMU in iommus") String iommu,
        boolean mdev,
        boolean vfDirtyTracking,
        @JsonProperty(defaultValue = "true") boolean migration,
        @JsonProperty(defaultValue = "true") boolean p2p,
        @JsonProperty(defaultValue = "auto") OnOffAuto enableMigration,
        @JsonProperty(defaultValue = "on") OnOffAuto deviceDirtyPageTracking,
        boolean viommu,
        @JsonPropertyDescription("one of intel-iommu, intel-iommu-x-flts, arm-smmuv3-accel") String viommuKind) {
    public DeviceDef {
        Checks.name(name, "name");
        Checks.name(iommu, "iommu");
        Objects.requireNonNull(enableMigration, "enableMigration of device " + name);
        Objects.requireNonNull(deviceDirtyPageTracking, "deviceDirtyPageTracking of device " + name);
        if (viommuKind != null) {
            if (ViommuKind.ofSpelling(viommuKind).isEmpty()) {
                throw new ScenarioValueException("viommuKind", "'" + viommuKind + "' is not a vIOMMU kind; expected one of "
                        + String.join(", ", ViommuKind.spellings()));
            }
            if (!viommu) {
                throw new ScenarioValueException("viommuKind", "a vIOMMU kind needs viommu: true (the device sits behind"
                        + " the vIOMMU)");
            }
        }
    }

    /** A device of scenario format version 1: no vIOMMU kind. */
    public DeviceDef(String name, String iommu, boolean mdev, boolean vfDirtyTracking, boolean migration, boolean p2p,
                     OnOffAuto enableMigration, OnOffAuto deviceDirtyPageTracking, boolean viommu) {
        this(name, iommu, mdev, vfDirtyTracking, migration, p2p, enableMigration, deviceDirtyPageTracking, viommu, null);
    }

    /** A device behind {@code iommu} with every other field at its default. */
    public static DeviceDef withDefaults(String name, String iommu) {
        return new DeviceDef(name, iommu, false, false, true, true, OnOffAuto.AUTO, OnOffAuto.ON, false);
    }

    /** The vIOMMU the device sits behind: {@link ViommuKind#NONE}, its {@code viommuKind}, or {@link ViommuKind#GENERIC}. */
    public ViommuKind viommuKindOrDefault() {
        return !viommu ? ViommuKind.NONE : viommuKind == null ? ViommuKind.GENERIC : ViommuKind.ofSpelling(viommuKind).orElseThrow();
    }
}
