package io.github.iommufd4j.tck;

/**
 * Every rule of the TCK, one method each. {@link IommufdBackendVerification} implements this interface, so a
 * rule cannot be listed here and forgotten there.
 *
 * <p>Method names carry the level and the rule id: {@code required_kAlloc6_...} checks K-ALLOC-6 of
 * {@code docs/reference/kernel-uapi.md}, {@code optional_qDt2_...} Q-DT-2 of {@code docs/reference/qemu-rules.md}. Ids without a number
 * ({@code K-MAP}, {@code K-UNMAP}, {@code K-DETACH}, {@code K-FAIL}) name sections of {@code docs/reference/kernel-uapi.md}
 * that carry no numbered id (IOAS_MAP, IOAS_UNMAP, DETACH, and the selftests' fail_nth idea of section 5).
 *
 * <p>Each method carries its {@link OnFailure} hint (what to look at when it fails), shown with every failure,
 * and the rules it {@link RestsOn rests on} (run before it; a failure of one of them marks this rule's failure as
 * following from it).
 *
 * <ul>
 *   <li><b>Required</b>: every backend must honour it. It can be skipped only when the backend lacks an ability
 *   the rule needs to observe the behaviour (a device kind, or {@code DmaSimulation} to make pages dirty), and
 *   then the run fails: a backend is verified only when every required rule ran.</li>
 *   <li><b>Optional</b>: it needs something a backend may legitimately lack (two IOMMU families, an mdev, VF
 *   dirty tracking, {@code FaultInjection}, {@code ObjectInventory}); without it the rule is skipped with the
 *   reason, never red.</li>
 * </ul>
 *
 * <p>Q- rules run {@code io.github.iommufd4j.core.VfioIommufd} (profile {@code qemu-9.1}, 4 KiB pages) over a
 * {@code RecordingBackend} wrapping the backend under test and check the calls it made and the state it
 * reached. Every range lies in [16 MiB, 2 GiB - 1] (the selftest mock's aperture), is a multiple of 2 MiB and
 * bitmaps use a 4096-byte page, so the rules hold on a real 6.12 kernel; no rule asserts K-GDB-7 edges.
 */
public interface IommufdBackendRules {

    // ------------------------------------------------------------------ objects (docs/reference/kernel-uapi.md §1, §3)

    /**
     * K-ID-1 (required). On a fresh backend IOAS_ALLOC gives 1, 2, 3; after destroying 2 the next IOAS is 2
     * (lowest free first, reused at once); a second fresh backend starts at 1 again (ids are per fd).
     * Skipped: never.
     */
    @OnFailure("the id allocator (a counter instead of the lowest free id, or ids shared between backends)")
    void required_kId1_idsStartAtOneLowestFreeFirstAndPerBackend();

    /**
     * K-DES-1 (required). DESTROY of 0, of an id never used, and of an id already destroyed: ENOENT.
     * Skipped: never.
     */
    @OnFailure("the lookup of DESTROY (EINVAL for 0 is a common slip)")
    void required_kDes1_destroyOfUnknownIdOrZeroIsEnoent();

    /**
     * K-DES-2 (required). EBUSY for an IOAS holding a HWPT, a HWPT with an attached device, and a bound device's
     * id; once the device is detached the HWPT and then the IOAS can be destroyed.
     * Skipped: without a dirty-capable device.
     */
    @OnFailure("reference counting of IOAS/HWPT/device objects")
    void required_kDes2_destroyOfReferencedObjectIsEbusy();

    /**
     * K-HWI-2 (required). GET_HW_INFO of an IOAS id and of an unknown id: ENOENT.
     * Skipped: never.
     */
    @OnFailure("the object-type check of GET_HW_INFO")
    void required_kHwi2_hwInfoOfNonDeviceIsEnoent();

    /**
     * K-HWI-3 (required). {@code out_capabilities} has DIRTY_TRACKING for a device behind a dirty-capable IOMMU
     * and lacks it for one behind an IOMMU without dirty tracking.
     * Skipped: without both device kinds.
     */
    @OnFailure("the capability word decoding (bit 0, IOMMU_HW_CAP_DIRTY_TRACKING)")
    void required_kHwi3_hwInfoReportsDirtyTrackingCapability();

    // ------------------------------------------------------------------ HWPT_ALLOC

    /**
     * K-ALLOC-3 (required). HWPT_ALLOC whose dev_id is an IOAS or unknown: ENOENT.
     * Skipped: never.
     */
    @OnFailure("the dev_id lookup (it must come first)")
    void required_kAlloc3_allocForNonDeviceIsEnoent();

    /**
     * K-ALLOC-4 (required). HWPT_ALLOC whose pt_id is unknown or a device: EINVAL (not ENOENT: a kernel quirk).
     * Skipped: without a dirty-capable device.
     */
    @OnFailure("a backend \"correcting\" the quirk to ENOENT")
    void required_kAlloc4_allocOnMissingOrWrongPtIsEinval();

    /**
     * K-ALLOC-5 (required). HWPT_ALLOC with an unknown flag bit (1 &lt;&lt; 16): EOPNOTSUPP.
     * Skipped: without a dirty-capable device.
     */
    @OnFailure("the flag mask (unknown bits ignored, or EINVAL)")
    void required_kAlloc5_unknownFlagBitsAreEopnotsupp();

    /**
     * K-ALLOC-6 (required). HWPT_ALLOC(DIRTY_TRACKING) for a device whose IOMMU lacks dirty tracking: EOPNOTSUPP
     * ({@code enforce_dirty}); the same device allocates a HWPT without the flag.
     * Skipped: without a device that is not dirty-capable.
     */
    @OnFailure("the errno (EINVAL is the usual slip)")
    void required_kAlloc6_dirtyAllocOnNonDirtyDeviceIsEopnotsupp();

    // ------------------------------------------------------------------ ATTACH / DETACH

    /**
     * K-ATT-1 (required). ATTACH to an unknown pt_id: ENOENT (unlike HWPT_ALLOC's EINVAL).
     * Skipped: without a dirty-capable device.
     */
    @OnFailure("the pt_id lookup of ATTACH")
    void required_kAtt1_attachToUnknownPtIsEnoent();

    /**
     * K-ATT-2 (required). A device without dirty tracking on a DIRTY_TRACKING HWPT: EINVAL; the converse (a
     * dirty-capable device on a HWPT without the flag) is accepted. QEMU's Q-ATT-2 rests on this EINVAL.
     * Skipped: without both device kinds.
     */
    @OnFailure("the compatibility check of ATTACH: an incompatible HWPT is EINVAL, never EBUSY or "
            + "ENOENT; QEMU reads only EINVAL as \"try the next HWPT\" (Q-ATT-2)")
    void required_kAtt2_nonDirtyDeviceOnDirtyHwptIsEinval();

    /**
     * K-ATT-3 (required). A second ATTACH to the same HWPT is a no-op returning it; ATTACH to another HWPT
     * replaces: the first HWPT is free to destroy, the second is busy.
     * Skipped: without a dirty-capable device.
     */
    @OnFailure("replace semantics (EBUSY, or both HWPTs kept busy)")
    void required_kAtt3_secondAttachReplacesAndSameTargetIsNoop();

    /**
     * K-ATT-4 (required). ATTACH to an IOAS returns an auto domain (a HWPT id other than the IOAS) without dirty
     * tracking (SET_DIRTY_TRACKING on it: EOPNOTSUPP); the IOAS is busy until the device detaches.
     * Skipped: without a dirty-capable device.
     */
    @OnFailure("the auto-domain path of ATTACH")
    void required_kAtt4_attachToIoasGivesNonDirtyAutoDomain();

    /**
     * K-DETACH (required). DETACH of a bound device that is not attached succeeds (a no-op), also right after a
     * DETACH; after DETACH the HWPT it left can be destroyed.
     * Skipped: without a dirty-capable device.
     */
    @OnFailure("DETACH erroring on an idle device")
    void required_kDetach_detachOfUnattachedDeviceIsNoop();

    // ------------------------------------------------------------------ IOAS_MAP / IOAS_UNMAP

    /**
     * K-MAP (required). IOAS_MAP of 2 MiB at 16 MiB succeeds, and an adjacent one; an overlapping one is EEXIST;
     * length 0 is EINVAL; an unknown IOAS is ENOENT.
     * Skipped: never.
     */
    @OnFailure("the area bookkeeping of IOAS_MAP")
    void required_kMap_mapChecksOverlapLengthAndIoas();

    /**
     * K-UNMAP (required). IOAS_UNMAP cutting into an area or over nothing: ENOENT; length 0: EINVAL; a whole area
     * is removed (it can be mapped again); {@code iova 0, length U64_MAX} removes everything, also on an empty IOAS.
     * Skipped: never.
     */
    @OnFailure("partial unmaps, or unmap-all refused")
    void required_kUnmap_unmapTakesWholeAreasOnly();

    // ------------------------------------------------------------------ SET_DIRTY_TRACKING

    /**
     * K-SDT-2 (required). SET_DIRTY_TRACKING of an IOAS id or an unknown id: ENOENT.
     * Skipped: never.
     */
    @OnFailure("the paging-HWPT lookup")
    void required_kSdt2_setDirtyTrackingOnNonHwptIsEnoent();

    /**
     * K-SDT-3 (required). SET_DIRTY_TRACKING, enable or disable, on a HWPT allocated without DIRTY_TRACKING:
     * EOPNOTSUPP. Skipped: without a dirty-capable device.
     */
    @OnFailure("the dirty-ops check")
    void required_kSdt3_setDirtyTrackingOnNonDirtyHwptIsEopnotsupp();

    /**
     * K-SDT-4 (required). On a DIRTY_TRACKING HWPT with no device attached: enable, enable again, disable,
     * disable again all succeed, and a bitmap read while enabled reports nothing.
     * Skipped: without a dirty-capable device.
     */
    @OnFailure("state checks that refuse a repeated request")
    void required_kSdt4_enableTwiceAndWithoutDevicesSucceeds();

    /**
     * K-SDT-4 (required). Enabling first clears every dirty bit: pages written, tracking disabled and enabled
     * again (QEMU's stop then start), or enabled a second time, read back empty; pages written afterwards are
     * reported (so the empty read is not vacuous).
     * Skipped: without DmaSimulation.
     */
    @OnFailure("stale bits from a previous round leak into the next")
    void required_kSdt4_enablingClearsDirtyBits();

    /**
     * K-SDT-4 (required). After disabling, a device write marks nothing ({@code dmaWrite} returns 0) while with
     * tracking on it marks IOPTEs; after enabling again a read reports nothing.
     * Skipped: without DmaSimulation.
     */
    @OnFailure("disable ignored or not forwarded")
    void required_kSdt4_disablingStopsTracking();

    // ------------------------------------------------------------------ GET_DIRTY_BITMAP

    /**
     * K-GDB-2 (required). GET_DIRTY_BITMAP of an IOAS id or an unknown id: ENOENT.
     * Skipped: never.
     */
    @OnFailure("the paging-HWPT lookup")
    void required_kGdb2_bitmapOfNonHwptIsEnoent();

    /**
     * K-GDB-3 (required). {@code iova + length - 1} overflowing 64 bits: EOVERFLOW. Length 0 is EINVAL, as a real
     * 6.12 kernel answers (docs/reference/kernel-uapi.md derives EOVERFLOW; measured in the kernel lab, the kernel wins).
     * Skipped: without a dirty-capable device.
     */
    @OnFailure("the overflow check")
    void required_kGdb3_overflowingRangeIsEoverflow();

    /**
     * K-GDB-4 (required). iova or iova + length not aligned to the page size (or the IOAS alignment), or page
     * size 0: EINVAL. Skipped: without a dirty-capable device.
     */
    @OnFailure("the alignment checks")
    void required_kGdb4_misalignedRangeOrPageSizeIsEinval();

    /**
     * K-GDB-5 (required). A HWPT allocated without DIRTY_TRACKING: EOPNOTSUPP, checked after K-GDB-2, -3 and -4
     * (an overflowing range on it is EOVERFLOW, a misaligned one EINVAL, an unknown id with a bad range ENOENT).
     * Skipped: without a dirty-capable device.
     */
    @OnFailure("the order of the checks")
    @RestsOn({"K-GDB-2", "K-GDB-3", "K-GDB-4"})
    void required_kGdb5_nonDirtyHwptIsEopnotsuppAfterRangeChecks();

    /**
     * K-GDB-6 (required). Bit i stands for page {@code iova + i * 4096}: the pages a device wrote come back as
     * exactly their bits, read from the start of the mapping and from an offset inside it.
     * Skipped: without DmaSimulation.
     */
    @OnFailure("the bit layout (word order, bit order, offset from iova)")
    void required_kGdb6_bitIMeansPageIovaPlusITimesPageSize();

    /**
     * K-GDB-6 (required). The backend only sets bits: bits already set in the buffer stay set (QEMU ORs every
     * HWPT into one buffer, Q-DT-3). Skipped: without DmaSimulation.
     */
    @OnFailure("the buffer cleared or overwritten before writing")
    void required_kGdb6_bitsAreOredIntoTheBuffer();

    /**
     * K-GDB-6 (required). With NO_CLEAR the bits stay for the next read; without it they are cleared.
     * Skipped: without DmaSimulation.
     */
    @OnFailure("NO_CLEAR ignored, or bits never cleared")
    void required_kGdb6_readClearsUnlessNoClear();

    // ------------------------------------------------------------------ QEMU's rules over the backend

    /**
     * Q-ATT-2 (required). Through core: b (no dirty tracking) after a (dirty-capable) tries a's HWPT, gets
     * EINVAL and allocates its own; c (no dirty tracking) then tries b's HWPT first (newest) and reuses it:
     * BIND, GET_HW_INFO, ATTACH=ok. Skipped: without both device kinds.
     */
    @OnFailure("K-ATT-2: core moves on to the next HWPT only when ATTACH answers EINVAL; any other "
            + "errno ends the search in this container (Q-ATT-7)")
    @RestsOn({"K-HWI-3", "K-ATT-2"})
    void required_qAtt2_einvalMeansTryTheNextHwpt();

    /**
     * Q-ATT-3 (required). Through core: HWPT_ALLOC asks for DIRTY_TRACKING exactly when GET_HW_INFO reports the
     * capability ([DIRTY_TRACKING] for a, [] for b), and the container's {@code dirty_pages_supported} is set.
     * Skipped: without both device kinds.
     */
    @OnFailure("K-ATT-2 (b must be refused by a's DIRTY_TRACKING HWPT with EINVAL), K-HWI-3 (the "
            + "capability bit core reads) or K-ALLOC-6")
    @RestsOn({"K-HWI-3", "K-ALLOC-6", "K-ATT-2"})
    void required_qAtt3_dirtyTrackingAskedForIffCapability();

    /**
     * Q-ATT-4 (required). Through core: a dirty-capable device attached after one without dirty tracking reuses
     * its HWPT (the kernel accepts it), takes the HWPT's flag ({@code iommu_dirty_tracking} false), no warning.
     * Skipped: without both device kinds.
     */
    @OnFailure("K-ATT-2's converse: a dirty-capable device must attach to a HWPT without DIRTY_TRACKING")
    @RestsOn({"K-HWI-3", "K-ATT-2"})
    void required_qAtt4_reuseTakesTheHwptFlag();

    /**
     * Q-ATT-5 (required). Through core: a (dirty-capable) then b (not): b gets a HWPT of its own and the warning
     * {@code IOMMU instance for device b doesn't support dirty tracking}; {@code dirty_pages_supported} stays true.
     * Skipped: without both device kinds.
     */
    @OnFailure("K-ATT-2 (EINVAL for b on a's HWPT) or K-ALLOC-6: the warning comes from b's own "
            + "HWPT_ALLOC without the flag")
    @RestsOn({"K-HWI-3", "K-ALLOC-6", "K-ATT-2"})
    void required_qAtt5_warningForNonDirtyDeviceAfterDirtyOne();

    /**
     * Q-DET-1 (required). Through core: detaching the last device of a HWPT destroys that HWPT (DESTROY ok), the
     * last device of the container also its IOAS; nothing of core's is left in the backend.
     * Skipped: without both device kinds.
     */
    @OnFailure("DETACH not releasing the HWPT (EBUSY on DESTROY, K-DES-2), or K-ATT-2 when b did not "
            + "get a HWPT of its own")
    @RestsOn({"K-ATT-2", "K-DETACH", "K-DES-2"})
    void required_qDet1_lastDeviceFreesHwptThenIoas();

    /**
     * Q-DT-2 (required). Through core: start sends SET_DIRTY_TRACKING(ENABLE) to the dirty-tracking HWPT only,
     * stop sends SET_DIRTY_TRACKING(0) to it; both succeed.
     * Skipped: without both device kinds.
     */
    @OnFailure("K-SDT-2..4 answers, or K-ATT-2 when the devices ended in other containers")
    @RestsOn({"K-ATT-2", "K-SDT-3", "K-SDT-4"})
    void required_qDt2_startAndStopSetOnlyDirtyHwpts();

    /**
     * Q-DT-3 (required). Through core: after start, the pages a device wrote are exactly the runs a sync reports;
     * a second sync reports nothing (the read cleared them).
     * Skipped: without DmaSimulation.
     */
    @OnFailure("K-GDB-6 (bit layout, clearing read) or K-SDT-4")
    @RestsOn({"K-SDT-4", "K-GDB-6"})
    void required_qDt3_syncReportsPagesWrittenThroughTheDirtyHwpt();

    // ------------------------------------------------------------------ optional

    /**
     * K-ATT-2 (optional, two IOMMU families). A device of another family on a HWPT: EINVAL.
     * Skipped: without a second family.
     */
    @OnFailure("the family check of ATTACH")
    void optional_kAtt2_otherFamilyDeviceOnHwptIsEinval();

    /**
     * Q-DT-3 (optional, two families and DmaSimulation). Through core, two dirty-tracking HWPTs in one container
     * (a second family forces the second HWPT): a sync reports the pages written through either, the OR of both.
     * Skipped: without a second family or DmaSimulation.
     */
    @OnFailure("K-GDB-6 (bits overwritten, not OR-ed), or K-ATT-2 when x did not get a HWPT of its own")
    @RestsOn({"K-ATT-2", "K-GDB-6"})
    void optional_qDt3_bitmapIsOrOfEveryDirtyHwpt();

    /**
     * Q-DT-2 (optional, FaultInjection and two families). Through core with HWPTs [H3{D}, H2{}, H1{D}], the
     * second SET_DIRTY_TRACKING failing: SET(H3,on) ok, SET(H1,on) fails, SET(H3,0), SET(H1,0); the start fails
     * with QEMU's message and the errno injected. Skipped: without FaultInjection, a second family or a device
     * that is not dirty-capable.
     */
    @OnFailure("injected faults changing state, SET_DIRTY_TRACKING refusing 0 (K-SDT-4), or K-ATT-2 "
            + "when the HWPTs are not [H3{D}, H2{}, H1{D}]")
    @RestsOn({"K-ATT-2", "K-SDT-4"})
    void optional_qDt2_failedStartRollsBackEveryDirtyHwpt();

    /**
     * Q-ATT-7 (optional, FaultInjection). Through core: an ATTACH failing with EBUSY in the only container makes
     * core create a second container (IOAS_ALLOC, HWPT_ALLOC, ATTACH ok) and leave the first alone.
     * Skipped: without FaultInjection.
     */
    @OnFailure("the injected fault not firing on the right call")
    void optional_qAtt7_failedSearchFallsBackToNewContainer();

    /**
     * K-FAIL (optional, ObjectInventory). A failed HWPT_ALLOC (K-ALLOC-6, and an injected fault where the backend
     * has FaultInjection) leaves no object: the live objects are unchanged and the next IOAS takes the id that
     * was free before (K-ID-1). An injected fault from the api's {@code FaultInjectingBackend} never reaches the
     * backend, so that branch holds by construction; the K-ALLOC-6 branch is the one that checks the backend's own
     * error path. Skipped: without ObjectInventory, or with neither a non-dirty-capable device nor
     * FaultInjection.
     */
    @OnFailure("a partial object left behind on the error path (or K-ALLOC-6's errno, which this rule expects too)")
    @RestsOn({"K-ID-1", "K-ALLOC-6"})
    void optional_kFail_failedAllocLeavesNoObject();

    /**
     * Q-ATT-9 (optional, mdev). Through core: an mdev is attached straight to the IOAS (BIND, IOAS_ALLOC,
     * ATTACH; no GET_HW_INFO, no HWPT_ALLOC), has no HWPT and no IOMMU dirty tracking; detach destroys the IOAS.
     * Skipped: without an mdev.
     */
    @OnFailure("ATTACH of an access to an IOAS")
    void optional_qAtt9_mdevAttachesStraightToIoas();

    /**
     * Q-DT-4 (optional, VF dirty tracking and DmaSimulation). Through core, a container whose only device has VF
     * dirty tracking uses DMA logging: start is DMA_LOGGING_START (no SET_DIRTY_TRACKING), a sync reports the
     * written page through DMA_LOGGING_REPORT, stop is DMA_LOGGING_STOP.
     * Skipped: without VF dirty tracking or DmaSimulation.
     */
    @OnFailure("the DMA logging calls")
    void optional_qDt4_deviceTrackerUsedWhenEveryDeviceHasIt();
}
