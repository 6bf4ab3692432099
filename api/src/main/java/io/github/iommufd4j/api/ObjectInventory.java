package io.github.iommufd4j.api;

import java.util.List;

/** A backend ability: listing the objects alive in it. */
public interface ObjectInventory {
    /**
     * Objects alive now, by id: IOASes, HWPTs the caller allocated, bound devices. Auto domains the kernel
     * made for an attach to an IOAS are listed as HWPTs while they live.
     *
     * @return the live objects, by id
     */
    List<BackendObject> liveObjects();
}
