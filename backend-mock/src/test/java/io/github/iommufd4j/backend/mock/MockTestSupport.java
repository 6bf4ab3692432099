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
    /** The selftest mock IOMMU's aperture start, 16 MiB: guest memory lives from here. */
    static final long APERTURE_START = 1L << 24;
    /** The selftest mock IOMMU's aperture end, 2 GiB - 1. */
    static final long APERTURE_LAST = (1L << 31) - 1;
    /** The selftest mock IOMMU's IOPTE size on a 4 KiB host. */
    static final long IOPTE_SIZE = 2048;
    /** Dirty tracking, nesting parent, family "default". */
    static final IommuSpec DIRTY = selftestShaped("iommu0", "default", true, true);
    /** No dirty tracking, no nesting parent, family "default" (a NO_DIRTY mock device). */
    static final IommuSpec NO_DIRTY = selftestShaped("iommu1", "default", false, false);
    /** Another family. */
    static final IommuSpec ARM = selftestShaped("smmu0", "arm", true, true);
    /** Where guest memory lives: the start of the aperture. */
    static final long MEM = APERTURE_START;
    static final long PAGE = 4096;

    final MockBackend be = new MockBackend();

    /** An IOMMU with the selftest mock's aperture and IOPTE size, which these tests are written against. */
    static IommuSpec selftestShaped(String id, String family, boolean dirtyTracking, boolean nestParent) {
        return new IommuSpec(id, family, dirtyTracking, nestParent, APERTURE_START, APERTURE_LAST, IOPTE_SIZE);
    }

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
