package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.BackendUnavailableException;
import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.DeviceFeatures;
import io.github.iommufd4j.api.DeviceProvisioning;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.DmaSimulation;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.IommuSpec;
import io.github.iommufd4j.api.IommufdException;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * {@code mdev=<type>}: mediated devices made through sysfs, in front of another source that makes the rest
 * (the selftest mock, or VFIO cdevs). A spec with {@code mdev=true} is an mdev of {@code <type>} (the kernel's
 * sample {@code mtty} gives {@code mtty-1}); any other spec, and any other reference, goes to the inner source.
 *
 * <p>Mechanics, as measured on 6.12 by the kernel lab ({@code kernel-lab/README.md}, "A real mdev: mtty"):
 * {@code createDevice} writes a fresh UUID to {@code /sys/class/mdev_bus/<parent>/mdev_supported_types/<type>/create};
 * {@code bind} opens the cdev named in {@code /sys/bus/mdev/devices/<uuid>/vfio-dev/vfioN} and binds it with
 * {@link VfioCdevDevice#bind} (the devId is an iommufd <em>access</em>; ATTACH to an IOAS gives {@code pt_id}
 * back unchanged, no HWPT); closing the backend writes {@code 1} to each mdev's {@code remove} after every cdev
 * was closed (the write blocks while the cdev is open).
 *
 * <p><b>Features.</b> An mdev is a stand-in for the spec's device, like a selftest device is. The bound device
 * reports the spec's {@code migration} and {@code p2p}, and only when the real device has them too: the bind
 * probes the cdev ({@code VFIO_DEVICE_FEATURE}) and refuses a spec claiming a feature the device lacks. A feature
 * the device has and the spec does not claim is hidden: core then never calls it (mtty reports migration with
 * P2P, and accepts DMA logging that never sets a bit). VF dirty tracking is refused in {@link DeviceProvisioning#cannotCreate}:
 * no DMA can be simulated for an mdev, so a device log with dirty pages in it cannot be made. So every feature
 * core acts on is one the kernel's device has, and every call core makes for it reaches the kernel.
 */
final class MdevSource implements DeviceSource {
    /** Where mdev parents register. */
    static final String MDEV_BUS = "class/mdev_bus";
    /** Where mdevs appear. */
    static final String MDEV_DEVICES = "bus/mdev/devices";

    private record Made(DeviceSpec spec, String uuid) {
    }

    private final KernelCalls kernel;
    private final ObjectTable objects;
    private final Path sysfs;
    private final Path cdevDir;
    private final String type;
    private final Path typeDir;
    private final DeviceSource inner;
    private final Object lock;
    private final Map<String, Made> made = new LinkedHashMap<>();
    private final DeviceProvisioning provisioning = new Provisioning();

    /**
     * @param type  the mdev type ({@code mtty-1}), found under any parent of {@code /sys/class/mdev_bus}
     * @param inner the source of every device that is not an mdev
     * @param lock  the backend's monitor, which the abilities take
     * @throws BackendUnavailableException when no parent offers {@code type}
     */
    MdevSource(KernelCalls kernel, ObjectTable objects, LinuxHost host, String type, DeviceSource inner, Object lock) {
        this.kernel = kernel;
        this.objects = objects;
        this.sysfs = host.sysfs();
        this.cdevDir = host.vfioCdevDir();
        this.type = type;
        this.inner = inner;
        this.lock = lock;
        this.typeDir = findType(sysfs, type);
    }

    private static Path findType(Path sysfs, String type) {
        Path bus = sysfs.resolve(MDEV_BUS);
        List<Path> found = new ArrayList<>();
        if (Files.isDirectory(bus)) {
            try (DirectoryStream<Path> parents = Files.newDirectoryStream(bus)) {
                for (Path parent : parents) {
                    Path t = parent.resolve("mdev_supported_types").resolve(type);
                    if (Files.isDirectory(t.resolve(".")) && Files.exists(t.resolve("create"))) {
                        found.add(t);
                    }
                }
            } catch (IOException e) {
                throw new BackendUnavailableException("mdev=" + type + ": cannot list " + bus + ": " + e.getMessage());
            }
        }
        if (found.size() != 1) {
            throw new BackendUnavailableException("mdev=" + type + ": " + (found.isEmpty()
                    ? "no parent under " + bus + " offers that type (mtty-1 needs CONFIG_SAMPLE_VFIO_MDEV_MTTY and CONFIG_VFIO_MDEV)"
                    : "several parents offer it: " + found));
        }
        return found.get(0);
    }

    // ---------------------------------------------------------------- DeviceSource

    @Override
    public List<String> deviceRefs() {
        List<String> refs = new ArrayList<>(inner.deviceRefs());
        refs.addAll(made.keySet());
        return List.copyOf(refs);
    }

    @Override
    public Set<SourceKind> kinds() {
        Set<SourceKind> kinds = EnumSet.of(SourceKind.MDEV);
        kinds.addAll(inner.kinds());
        return kinds;
    }

    @Override
    public SourceKind kindOf(String ref) {
        return made.containsKey(ref) ? SourceKind.MDEV : inner.kindOf(ref);
    }

    /** An mdev of this source: its cdev, bound and probed; anything else: the inner source's. */
    @Override
    public SourceDevice bind(String ref) {
        Made m = made.get(ref);
        if (m == null) {
            return inner.bind(ref);
        }
        Path cdev = cdevOf(ref, m.uuid);
        return VfioCdevDevice.bind(kernel, SourceKind.MDEV, ref, cdev, (devId, probed) -> {
            DeviceSpec spec = m.spec;
            List<String> lacking = new ArrayList<>();
            if (spec.migration() && !probed.migration()) {
                lacking.add("migration (VFIO_DEVICE_FEATURE GET MIGRATION failed)");
            }
            if (spec.p2p() && !probed.p2p()) {
                lacking.add("P2P (VFIO_MIGRATION_P2P not in the migration flags)");
            }
            if (!lacking.isEmpty()) {
                throw new UnsupportedOperationException("mdev " + ref + " (" + type + " " + m.uuid + ", " + cdev
                        + "): the spec claims " + String.join(" and ", lacking) + ", which the device does not have");
            }
            return new BoundDevice(devId, ref, true, new DeviceFeatures(spec.migration(), false, spec.p2p()), null, null);
        });
    }

    /** {@code /dev/vfio/devices/vfioN} of the mdev, from {@code /sys/bus/mdev/devices/<uuid>/vfio-dev/vfioN}. */
    private Path cdevOf(String ref, String uuid) {
        Path vfioDev = sysfs.resolve(MDEV_DEVICES).resolve(uuid).resolve("vfio-dev");
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(vfioDev, "vfio*")) {
            ds.forEach(p -> names.add(p.getFileName().toString()));
        } catch (IOException e) {
            throw new IommufdException(BackendOp.BIND, ref, Errno.ENOENT, Errno.ENOENT.number(), "mdev " + uuid
                    + ": cannot list " + vfioDev + " (" + e + "); the kernel needs CONFIG_VFIO_DEVICE_CDEV");
        }
        if (names.size() != 1) {
            throw new IommufdException(BackendOp.BIND, ref, Errno.ENOENT, Errno.ENOENT.number(), "mdev " + uuid + ": "
                    + vfioDev + " lists " + names + ", not one vfioN");
        }
        return cdevDir.resolve(names.get(0));
    }

    /** Removes every mdev this source made (their cdevs are closed by now), then closes the inner source. */
    @Override
    public List<String> close() {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Made> e : made.entrySet()) {
            Path remove = sysfs.resolve(MDEV_DEVICES).resolve(e.getValue().uuid).resolve("remove");
            try {
                Files.writeString(remove, "1");
            } catch (IOException ex) {
                problems.add("removing mdev " + e.getKey() + " (" + e.getValue().uuid + ") through " + remove + ": " + ex);
            }
        }
        made.clear();
        problems.addAll(inner.close());
        return problems;
    }

    @Override
    public Optional<DeviceProvisioning> provisioning() {
        return Optional.of(provisioning);
    }

    /** The inner source's, refusing an mdev: no DMA can be simulated for one. */
    @Override
    public Optional<DmaSimulation> dmaSimulation() {
        return inner.dmaSimulation().map(d -> (devId, iova, length) -> {
            synchronized (lock) {
                SourceDevice dev = objects.device(devId);
                if (dev != null && dev.kind() == SourceKind.MDEV) {
                    throw new UnsupportedOperationException("dmaWrite: dev " + devId + " is an mdev (" + type
                            + "); this backend cannot make an mdev write guest memory");
                }
            }
            return d.dmaWrite(devId, iova, length);
        });
    }

    // ---------------------------------------------------------------- provisioning

    /** Why an mdev of this type cannot stand for {@code spec} (an mdev spec), or empty. */
    private Optional<String> cannotCreateMdev(DeviceSpec spec) {
        if (spec.vfDirtyTracking()) {
            return Optional.of("an mdev with VF dirty tracking: no DMA can be simulated for an mdev, so its DMA log could"
                    + " never hold a dirty page (mtty's accepts START/REPORT/STOP and never sets a bit)");
        }
        String available = read(typeDir.resolve("available_instances"));
        if (available != null && available.equals("0")) {
            return Optional.of("no instance of mdev type " + type + " is left (" + typeDir + "/available_instances is 0)");
        }
        return Optional.empty();
    }

    private static String read(Path p) {
        try {
            return Files.readString(p).trim();
        } catch (IOException e) {
            return null;
        }
    }

    private final class Provisioning implements DeviceProvisioning {
        @Override
        public IommuSpec iommu(String id, String family, boolean dirtyTracking, boolean nestParent) {
            return inner.provisioning().map(p -> p.iommu(id, family, dirtyTracking, nestParent))
                    .orElseGet(() -> IommuSpec.of(id, family, dirtyTracking, nestParent));
        }

        @Override
        public Optional<String> cannotCreate(DeviceSpec spec) {
            synchronized (lock) {
                if (spec.mdev()) {
                    return cannotCreateMdev(spec);
                }
                return inner.provisioning().map(p -> p.cannotCreate(spec)).orElseGet(() -> Optional.of(
                        "this backend makes mediated devices only (mdev=" + type + "); its other devices are found, not made"));
            }
        }

        /** An mdev: a fresh UUID written to the type's {@code create}; no kernel iommufd call. */
        @Override
        public String createDevice(DeviceSpec spec) {
            synchronized (lock) {
                kernel.checkOpen();
                if (made.containsKey(spec.name()) || inner.deviceRefs().contains(spec.name())) {
                    throw new IllegalArgumentException("a device named '" + spec.name() + "' already exists");
                }
                if (!spec.mdev()) {
                    DeviceProvisioning p = inner.provisioning().orElseThrow(() -> new UnsupportedOperationException(
                            "cannot create device " + spec.name() + ": this backend makes mediated devices only (mdev=" + type + ")"));
                    return p.createDevice(spec);
                }
                Optional<String> why = cannotCreateMdev(spec);
                if (why.isPresent()) {
                    throw new UnsupportedOperationException("cannot create mdev " + spec.name() + ": " + why.get());
                }
                String uuid = UUID.randomUUID().toString();
                Path create = typeDir.resolve("create");
                try {
                    Files.writeString(create, uuid);
                } catch (IOException e) {
                    throw new IllegalStateException("creating mdev " + spec.name() + ": writing " + uuid + " to " + create
                            + " failed: " + e, e);
                }
                made.put(spec.name(), new Made(spec, uuid));
                return spec.name();
            }
        }
    }
}
