package io.github.iommufd4j.backend.mock;

import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.IommuSpec;
import io.github.iommufd4j.api.IommufdException;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Shared fixture: a fresh backend and a few IOMMUs shaped like the kernel's selftest mock. */
abstract class MockTestSupport {
    /** Dirty tracking, nesting parent, family "default". */
    static final IommuSpec DIRTY = IommuSpec.of("iommu0", "default", true, true);
    /** No dirty tracking, no nesting parent, family "default" (a NO_DIRTY mock device). */
    static final IommuSpec NO_DIRTY = IommuSpec.of("iommu1", "default", false, false);
    /** Another family. */
    static final IommuSpec ARM = IommuSpec.of("smmu0", "arm", true, true);
    /** Start of the mock aperture (16 MiB): guest memory lives from here. */
    static final long MEM = IommuSpec.MOCK_APERTURE_START;
    static final long PAGE = 4096;

    final MockBackend be = new MockBackend();

    BoundDevice device(String name, IommuSpec iommu) {
        be.createDevice(DeviceSpec.plain(name, iommu));
        return be.bind(name);
    }

    BoundDevice vfDevice(String name, IommuSpec iommu) {
        be.createDevice(new DeviceSpec(name, iommu, false, true, true, true));
        return be.bind(name);
    }

    BoundDevice mdev(String name) {
        be.createDevice(new DeviceSpec(name, DIRTY, true, false, false, false));
        return be.bind(name);
    }

    static void assertErrno(Errno expected, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(IommufdException.class,
                e -> assertThat(e.errno()).as(e.getMessage()).isEqualTo(expected));
    }
}
