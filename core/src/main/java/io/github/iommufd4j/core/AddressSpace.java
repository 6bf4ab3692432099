package io.github.iommufd4j.core;

import java.util.ArrayList;
import java.util.List;

/** QEMU's {@code VFIOAddressSpace}: containers, newest first. Guarded by the {@link VfioIommufd} lock. */
final class AddressSpace {
    static final String SYSTEM = "system";

    final String id;
    final List<Container> containers = new ArrayList<>();

    AddressSpace(String id) {
        this.id = id;
    }
}
