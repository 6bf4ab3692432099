package io.github.iommufd4j.simulator.scenario;

import com.fasterxml.jackson.annotation.JacksonInject;
import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.OptBoolean;
import io.github.iommufd4j.core.Profile;
import java.util.List;
import java.util.Objects;

/**
 * A scenario of {@code docs/reference/scenario-format.md}: the host and the steps to run on it. The record checks each
 * part on its own; {@link ScenarioValidator} checks how the parts fit together. The annotations are its
 * scenario-file binding (see {@link DeviceDef}): {@code name} defaults to the file name without extension.
 *
 * @param version  the format version, {@value #FORMAT_VERSION}
 * @param name     the scenario's name (the file name without extension when the file gives none)
 * @param profile  one of {@link #knownProfiles()}; null for the default ({@value #DEFAULT_PROFILE})
 * @param backend  a backend provider name; null for the default (the caller's choice, else {@value #DEFAULT_BACKEND})
 * @param pageSize host page size for bitmaps, a power of two; default {@value #DEFAULT_PAGE_SIZE}
 * @param memory   guest RAM ranges, in file order
 * @param iommus   host IOMMU instances, in file order
 * @param devices  assigned devices, in file order
 * @param steps    the steps, in order
 */
@JsonClassDescription("a map starting with version: 1")
public record Scenario(
        @JsonProperty(required = true) @JsonPropertyDescription("version: 1") int version,
        @JacksonInject(value = Scenario.FILE_NAME, useInput = OptBoolean.TRUE) String name,
        String profile,
        String backend,
        @JsonProperty(defaultValue = "4096") long pageSize,
        @JsonProperty(defaultValue = "[]") List<MemoryRange> memory,
        @JsonProperty(defaultValue = "[]") List<IommuDef> iommus,
        @JsonProperty(defaultValue = "[]") List<DeviceDef> devices,
        @JsonProperty(defaultValue = "[]") List<Step> steps) {

    /** The injection id of {@link #name()}'s default, the file's name without extension, which the reader knows. */
    public static final String FILE_NAME = "file name";

    /** The only format version there is. */
    public static final int FORMAT_VERSION = 1;
    /** The profile of a scenario that names none. */
    public static final String DEFAULT_PROFILE = "qemu-9.1";
    /** The names of every profile a scenario may name: those of core's {@link Profile#known()}. */
    public static List<String> knownProfiles() {
        return Profile.known().stream().map(Profile::name).toList();
    }
    /** The backend of a scenario that names none, when the caller does not choose one either. */
    public static final String DEFAULT_BACKEND = "mock";
    /** The page size of a scenario that names none. */
    public static final long DEFAULT_PAGE_SIZE = 4096;

    public Scenario {
        if (version != FORMAT_VERSION) {
            throw new ScenarioValueException("version", "version " + version + " is not supported; expected "
                    + FORMAT_VERSION);
        }
        Checks.name(name, "name");
        if (profile != null) {
            Checks.name(profile, "profile");
        }
        if (backend != null) {
            Checks.name(backend, "backend");
        }
        if (pageSize <= 0 || Long.bitCount(pageSize) != 1) {
            throw new ScenarioValueException("pageSize", pageSize
                    + " is not a page size; expected a positive power of two such as 4096");
        }
        memory = List.copyOf(Objects.requireNonNull(memory, "memory"));
        iommus = List.copyOf(Objects.requireNonNull(iommus, "iommus"));
        devices = List.copyOf(Objects.requireNonNull(devices, "devices"));
        steps = List.copyOf(Objects.requireNonNull(steps, "steps"));
    }

    /** The profile to run: {@link #profile()} or {@value #DEFAULT_PROFILE}. */
    public String profileOrDefault() {
        return profile == null ? DEFAULT_PROFILE : profile;
    }

    /** The device called {@code name}, or null. */
    public DeviceDef device(String deviceName) {
        for (DeviceDef d : devices) {
            if (d.name().equals(deviceName)) {
                return d;
            }
        }
        return null;
    }

    /** The IOMMU with this id, or null. */
    public IommuDef iommu(String id) {
        for (IommuDef i : iommus) {
            if (i.id().equals(id)) {
                return i;
            }
        }
        return null;
    }

    /**
     * The problems of this scenario as a whole ({@link ScenarioValidator#validate}); empty when it can run.
     */
    public List<ScenarioProblem> problems() {
        return ScenarioValidator.validate(this);
    }
}
