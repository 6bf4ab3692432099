package io.github.iommufd4j.tck;

import io.github.iommufd4j.api.BackendCall;
import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.DmaSimulation;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.FaultInjection;
import io.github.iommufd4j.api.FlagSet;
import io.github.iommufd4j.api.HwCap;
import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdException;
import io.github.iommufd4j.api.IovaRange;
import io.github.iommufd4j.api.ObjectInventory;
import io.github.iommufd4j.api.RecordingBackend;
import io.github.iommufd4j.core.DeviceConfig;
import io.github.iommufd4j.core.Diagnostic;
import io.github.iommufd4j.core.OnOffAuto;
import io.github.iommufd4j.core.Profile;
import io.github.iommufd4j.core.Snapshots;
import io.github.iommufd4j.core.VfioException;
import io.github.iommufd4j.core.VfioIommufd;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The TCK: every rule of {@link IommufdBackendRules} as a JUnit 5 test. A backend writer extends this class and
 * returns a {@link TckFixture} from {@link #fixture()}; each rule gets a fresh backend and closes it.
 *
 * <p>Rules that need something the fixture or the backend cannot provide are aborted with the reason (reported
 * as skipped). A skipped <em>optional</em> rule is fine; a skipped <em>required</em> rule fails the run at the end
 * of the class ({@link TckRunFailure}), so a run that verified nothing is never green. Every failure is a
 * {@link RuleViolation}: the rule, the backend call that broke it, expected and actual, the rule's
 * {@link OnFailure hint}, and the earlier failed rule it {@link RestsOn follows from}. Rules run in catalogue
 * order, kernel rules before the QEMU rules resting on them. At the end of the class a digest (counts, what
 * follows from what, every skip with its reason) is printed on standard output; the configuration parameter
 * {@code iommufd4j.tck.digest=false} leaves it out.
 *
 * <p>Memory is mapped at 16 MiB in 2 MiB pieces and bitmaps use 4096-byte pages, so every rule also holds on a
 * kernel with {@code CONFIG_IOMMUFD_TEST} devices (aperture [16 MiB, 2 GiB - 1], IOPTE 2048).
 *
 * <p>QEMU's warnings, which some rules provoke on purpose, are logged by core through {@link System.Logger} as
 * {@code io.github.iommufd4j.qemu}; the configuration parameter {@value #QEMU_LOG_PROPERTY}{@code =off} keeps
 * them out of the log while the rules run (with the JDK's default logging).
 */
@ExtendWith(RuleReporting.class)
@ExtendWith(QemuLogSwitch.class)
@TestMethodOrder(RuleOrder.class)
public abstract class IommufdBackendVerification implements IommufdBackendRules {
    /**
     * Configuration parameter (or system property): {@code off} silences QEMU's warnings and error reports
     * (logger {@code io.github.iommufd4j.qemu}) while the rules of a class run; {@code on}, the default, leaves the
     * logging configuration alone.
     */
    public static final String QEMU_LOG_PROPERTY = "iommufd4j.tck.qemuLog";
    /** Where the TCK maps memory: 16 MiB, the start of the selftest mock's aperture. */
    protected static final long MEM = 0x100_0000L;
    /** One mapping: 2 MiB. */
    protected static final long MEM_LEN = 0x20_0000L;
    /** The page size of every bitmap the TCK reads. */
    protected static final long PAGE = 4096;
    /** An id no backend has handed out in a test this small. */
    private static final int UNUSED_ID = 1_000_000;
    private static final String NO_DMA = "the backend has no DmaSimulation ability: the TCK cannot make pages dirty";

    private TckFixture fixture;
    private IommufdBackend opened;
    /** The backend under test, every call recorded: a failure names the call that broke the rule. */
    private RecordingBackend backend;
    private final List<BackendCall> history = new ArrayList<>();
    private final List<IommufdBackend> extraBackends = new ArrayList<>();

    /**
     * The fixture of the backend under test; called before each rule.
     *
     * @return the fixture that opens the backend and makes its devices
     */
    protected abstract TckFixture fixture();

    @BeforeEach
    final void openBackend() {
        fixture = fixture();
        opened = Objects.requireNonNull(fixture.open(), "the fixture opened no backend (TckFixture.open returned null)");
        backend = new RecordingBackend(opened);
    }

    @AfterEach
    final void closeBackends() {
        for (IommufdBackend b : extraBackends) {
            b.close();
        }
        if (opened != null) {
            opened.close();
        }
    }

    /** The last backend call of the rule running (by the TCK or by core), or null when none was made. */
    final BackendCall lastCall() {
        drainHistory();
        return history.isEmpty() ? null : history.get(history.size() - 1);
    }

    /** The last backend call of the rule running that failed. */
    final Optional<BackendCall> lastFailedCall() {
        drainHistory();
        for (int i = history.size() - 1; i >= 0; i--) {
            if (!history.get(i).ok()) {
                return Optional.of(history.get(i));
            }
        }
        return Optional.empty();
    }

    private void drainHistory() {
        if (backend != null) {
            history.addAll(backend.drain());
        }
    }

    // =================================================================== objects

    @Test
    @DisplayName("K-ID-1 (required): ids start at 1, lowest free first, reused at once, per backend")
    @Override
    public void required_kId1_idsStartAtOneLowestFreeFirstAndPerBackend() {
        expectValue("K-ID-1: id of the first IOAS of a fresh backend", 1, backend.ioasAlloc());
        expectValue("K-ID-1: id of the second IOAS", 2, backend.ioasAlloc());
        expectValue("K-ID-1: id of the third IOAS", 3, backend.ioasAlloc());
        backend.destroy(2);
        expectValue("K-ID-1: id of the IOAS allocated after destroying IOAS 2 (lowest free first)", 2, backend.ioasAlloc());
        backend.destroy(1);
        expectValue("K-ID-1: id of the IOAS allocated after destroying IOAS 1", 1, backend.ioasAlloc());
        IommufdBackend second = fixture.open();
        extraBackends.add(second);
        RecordingBackend recorded = new RecordingBackend(second);
        int first = recorded.ioasAlloc();
        expect(first == 1, "K-ID-1: id of the first IOAS of a second backend (ids are per fd)",
                recorded.drain().get(0).toString(), "1", String.valueOf(first));
    }

    @Test
    @DisplayName("K-DES-1 (required): DESTROY of 0, an unknown id or a destroyed id is ENOENT")
    @Override
    public void required_kDes1_destroyOfUnknownIdOrZeroIsEnoent() {
        int ioas = backend.ioasAlloc();
        expectErrno("K-DES-1: DESTROY(0)", Errno.ENOENT, () -> backend.destroy(0));
        expectErrno("K-DES-1: DESTROY of an unused id", Errno.ENOENT, () -> backend.destroy(UNUSED_ID));
        backend.destroy(ioas);
        expectErrno("K-DES-1: DESTROY of IOAS " + ioas + " a second time", Errno.ENOENT, () -> backend.destroy(ioas));
    }

    @Test
    @DisplayName("K-DES-2 (required): DESTROY of a referenced IOAS, HWPT or device is EBUSY")
    @Override
    public void required_kDes2_destroyOfReferencedObjectIsEbusy() {
        BoundDevice a = bind(DeviceKind.DIRTY_CAPABLE, "a");
        int ioas = backend.ioasAlloc();
        int hwpt = backend.hwptAlloc(a.devId(), ioas, HwptAllocFlag.none());
        expectErrno("K-DES-2: DESTROY of IOAS " + ioas + " holding HWPT " + hwpt, Errno.EBUSY, () -> backend.destroy(ioas));
        backend.attach(a.devId(), hwpt);
        expectErrno("K-DES-2: DESTROY of HWPT " + hwpt + " with device a attached", Errno.EBUSY, () -> backend.destroy(hwpt));
        expectErrno("K-DES-2: DESTROY of bound device id " + a.devId(), Errno.EBUSY, () -> backend.destroy(a.devId()));
        backend.detach(a.devId());
        backend.destroy(hwpt);
        backend.destroy(ioas);
        expectErrno("K-DES-1: DESTROY of IOAS " + ioas + " after it was destroyed", Errno.ENOENT, () -> backend.destroy(ioas));
    }

    @Test
    @DisplayName("K-HWI-2 (required): GET_HW_INFO of an IOAS or an unknown id is ENOENT")
    @Override
    public void required_kHwi2_hwInfoOfNonDeviceIsEnoent() {
        int ioas = backend.ioasAlloc();
        expectErrno("K-HWI-2: GET_HW_INFO of IOAS " + ioas, Errno.ENOENT, () -> backend.getHwInfo(ioas));
        expectErrno("K-HWI-2: GET_HW_INFO of an unused id", Errno.ENOENT, () -> backend.getHwInfo(UNUSED_ID));
    }

    @Test
    @DisplayName("K-HWI-3 (required): out_capabilities has DIRTY_TRACKING exactly for a dirty-capable IOMMU")
    @Override
    public void required_kHwi3_hwInfoReportsDirtyTrackingCapability() {
        BoundDevice a = bind(DeviceKind.DIRTY_CAPABLE, "a");
        BoundDevice b = bind(DeviceKind.NOT_DIRTY_CAPABLE, "b");
        FlagSet<HwCap> capsA = backend.getHwInfo(a.devId()).capabilities();
        expect(capsA.contains(HwCap.DIRTY_TRACKING), "K-HWI-3: capabilities of dirty-capable device a",
                null, "[DIRTY_TRACKING]", capsA.toString());
        FlagSet<HwCap> capsB = backend.getHwInfo(b.devId()).capabilities();
        expect(!capsB.contains(HwCap.DIRTY_TRACKING), "K-HWI-3: capabilities of device b, whose IOMMU has no dirty tracking",
                null, "no DIRTY_TRACKING", capsB.toString());
    }

    // =================================================================== HWPT_ALLOC

    @Test
    @DisplayName("K-ALLOC-3 (required): HWPT_ALLOC for an IOAS or unknown dev_id is ENOENT")
    @Override
    public void required_kAlloc3_allocForNonDeviceIsEnoent() {
        int ioas = backend.ioasAlloc();
        expectErrno("K-ALLOC-3: HWPT_ALLOC with dev_id = IOAS " + ioas, Errno.ENOENT,
                () -> backend.hwptAlloc(ioas, ioas, HwptAllocFlag.none()));
        expectErrno("K-ALLOC-3: HWPT_ALLOC with an unused dev_id", Errno.ENOENT,
                () -> backend.hwptAlloc(UNUSED_ID, ioas, HwptAllocFlag.none()));
    }

    @Test
    @DisplayName("K-ALLOC-4 (required): HWPT_ALLOC on an unknown pt_id or a device is EINVAL")
    @Override
    public void required_kAlloc4_allocOnMissingOrWrongPtIsEinval() {
        BoundDevice a = bind(DeviceKind.DIRTY_CAPABLE, "a");
        expectErrno("K-ALLOC-4: HWPT_ALLOC with an unused pt_id", Errno.EINVAL,
                () -> backend.hwptAlloc(a.devId(), UNUSED_ID, HwptAllocFlag.none()));
        expectErrno("K-ALLOC-4: HWPT_ALLOC with pt_id = the device's own id " + a.devId(), Errno.EINVAL,
                () -> backend.hwptAlloc(a.devId(), a.devId(), HwptAllocFlag.none()));
    }

    @Test
    @DisplayName("K-ALLOC-5 (required): HWPT_ALLOC with an unknown flag bit is EOPNOTSUPP")
    @Override
    public void required_kAlloc5_unknownFlagBitsAreEopnotsupp() {
        BoundDevice a = bind(DeviceKind.DIRTY_CAPABLE, "a");
        int ioas = backend.ioasAlloc();
        FlagSet<HwptAllocFlag> unknown = FlagSet.ofBits(HwptAllocFlag.class, 1L << 16);
        expectErrno("K-ALLOC-5: HWPT_ALLOC with flag bit 1<<16", Errno.EOPNOTSUPP,
                () -> backend.hwptAlloc(a.devId(), ioas, unknown));
    }

    @Test
    @DisplayName("K-ALLOC-6 (required): HWPT_ALLOC(DIRTY_TRACKING) for a device without dirty tracking is EOPNOTSUPP")
    @Override
    public void required_kAlloc6_dirtyAllocOnNonDirtyDeviceIsEopnotsupp() {
        BoundDevice b = bind(DeviceKind.NOT_DIRTY_CAPABLE, "b");
        int ioas = backend.ioasAlloc();
        expectErrno("K-ALLOC-6: HWPT_ALLOC(DIRTY_TRACKING) for device b, whose IOMMU has no dirty tracking",
                Errno.EOPNOTSUPP, () -> backend.hwptAlloc(b.devId(), ioas, dirtyFlag()));
        int hwpt = backend.hwptAlloc(b.devId(), ioas, HwptAllocFlag.none());
        expect(hwpt > 0 && hwpt != ioas, "K-ALLOC-6: id of the HWPT b allocates without the flag", null,
                "a new id (not IOAS " + ioas + ")", String.valueOf(hwpt));
    }

    // =================================================================== ATTACH / DETACH

    @Test
    @DisplayName("K-ATT-1 (required): ATTACH to an unknown pt_id is ENOENT")
    @Override
    public void required_kAtt1_attachToUnknownPtIsEnoent() {
        BoundDevice a = bind(DeviceKind.DIRTY_CAPABLE, "a");
        expectErrno("K-ATT-1: ATTACH of device a to an unused pt_id", Errno.ENOENT, () -> backend.attach(a.devId(), UNUSED_ID));
    }

    @Test
    @DisplayName("K-ATT-2 (required): a device without dirty tracking on a DIRTY_TRACKING HWPT is EINVAL; the converse attaches")
    @Override
    public void required_kAtt2_nonDirtyDeviceOnDirtyHwptIsEinval() {
        BoundDevice a = bind(DeviceKind.DIRTY_CAPABLE, "a");
        BoundDevice b = bind(DeviceKind.NOT_DIRTY_CAPABLE, "b");
        int ioas = backend.ioasAlloc();
        int dirty = backend.hwptAlloc(a.devId(), ioas, dirtyFlag());
        int plain = backend.hwptAlloc(b.devId(), ioas, HwptAllocFlag.none());
        expectErrno("K-ATT-2: ATTACH of device b (no dirty tracking) to DIRTY_TRACKING HWPT " + dirty, Errno.EINVAL,
                () -> backend.attach(b.devId(), dirty));
        expectValue("K-ATT-2: HWPT id written back by ATTACH of dirty-capable device a to HWPT " + plain
                + " (no DIRTY_TRACKING)", plain, backend.attach(a.devId(), plain));
    }

    @Test
    @DisplayName("K-ATT-3 (required): a second ATTACH replaces; the same target is a no-op")
    @Override
    public void required_kAtt3_secondAttachReplacesAndSameTargetIsNoop() {
        BoundDevice a = bind(DeviceKind.DIRTY_CAPABLE, "a");
        int ioas = backend.ioasAlloc();
        int h1 = backend.hwptAlloc(a.devId(), ioas, HwptAllocFlag.none());
        int h2 = backend.hwptAlloc(a.devId(), ioas, HwptAllocFlag.none());
        expectValue("K-ATT-3: HWPT id written back by ATTACH(a, " + h1 + ")", h1, backend.attach(a.devId(), h1));
        expectValue("K-ATT-3: HWPT id written back by ATTACH(a, " + h1 + ") again (a no-op)", h1, backend.attach(a.devId(), h1));
        expectValue("K-ATT-3: HWPT id written back by ATTACH(a, " + h2 + ") replacing " + h1, h2, backend.attach(a.devId(), h2));
        expectErrno("K-ATT-3: DESTROY of HWPT " + h2 + " that a now uses", Errno.EBUSY, () -> backend.destroy(h2));
        expectSuccess("K-ATT-3: DESTROY of HWPT " + h1 + ", which a left when it was replaced", () -> backend.destroy(h1));
    }

    @Test
    @DisplayName("K-ATT-4 (required): ATTACH to an IOAS gives an auto domain without dirty tracking")
    @Override
    public void required_kAtt4_attachToIoasGivesNonDirtyAutoDomain() {
        BoundDevice a = bind(DeviceKind.DIRTY_CAPABLE, "a");
        int ioas = backend.ioasAlloc();
        int auto = backend.attach(a.devId(), ioas);
        expect(auto > 0 && auto != ioas, "K-ATT-4: HWPT id written back by ATTACH(a, IOAS " + ioas + ")", null,
                "an auto domain's id (not IOAS " + ioas + ")", String.valueOf(auto));
        expectErrno("K-ATT-4: SET_DIRTY_TRACKING on auto domain " + auto + " (never dirty-tracking)", Errno.EOPNOTSUPP,
                () -> backend.setDirtyTracking(auto, true));
        expectErrno("K-ATT-4: DESTROY of IOAS " + ioas + " while a is on its auto domain", Errno.EBUSY,
                () -> backend.destroy(ioas));
        backend.detach(a.devId());
        expectSuccess("K-ATT-4: DESTROY of IOAS " + ioas + " once a detached (the auto domain died with it)",
                () -> backend.destroy(ioas));
    }

    @Test
    @DisplayName("K-DETACH (required): DETACH of a device that is not attached is a no-op")
    @Override
    public void required_kDetach_detachOfUnattachedDeviceIsNoop() {
        BoundDevice a = bind(DeviceKind.DIRTY_CAPABLE, "a");
        expectSuccess("K-DETACH: DETACH of device a, never attached", () -> backend.detach(a.devId()));
        int ioas = backend.ioasAlloc();
        int hwpt = backend.hwptAlloc(a.devId(), ioas, HwptAllocFlag.none());
        backend.attach(a.devId(), hwpt);
        expectSuccess("K-DETACH: DETACH of device a from HWPT " + hwpt, () -> backend.detach(a.devId()));
        expectSuccess("K-DETACH: DETACH of device a again", () -> backend.detach(a.devId()));
        expectSuccess("K-DETACH: DESTROY of HWPT " + hwpt + " after the DETACH (not busy any more)", () -> backend.destroy(hwpt));
    }

    // =================================================================== IOAS_MAP / IOAS_UNMAP

    @Test
    @DisplayName("K-MAP (required): IOAS_MAP refuses overlaps (EEXIST), length 0 (EINVAL), unknown IOAS (ENOENT)")
    @Override
    public void required_kMap_mapChecksOverlapLengthAndIoas() {
        int ioas = backend.ioasAlloc();
        expectSuccess("K-MAP: IOAS_MAP of " + range(MEM, MEM_LEN), () -> backend.ioasMap(ioas, MEM, MEM_LEN));
        expectSuccess("K-MAP: IOAS_MAP of the adjacent " + range(MEM + MEM_LEN, MEM_LEN),
                () -> backend.ioasMap(ioas, MEM + MEM_LEN, MEM_LEN));
        expectErrno("K-MAP: IOAS_MAP of " + range(MEM + MEM_LEN / 2, MEM_LEN) + ", overlapping both", Errno.EEXIST,
                () -> backend.ioasMap(ioas, MEM + MEM_LEN / 2, MEM_LEN));
        expectErrno("K-MAP: IOAS_MAP of length 0", Errno.EINVAL, () -> backend.ioasMap(ioas, MEM + 4 * MEM_LEN, 0));
        expectErrno("K-MAP: IOAS_MAP into an unused IOAS id", Errno.ENOENT, () -> backend.ioasMap(UNUSED_ID, MEM, MEM_LEN));
    }

    @Test
    @DisplayName("K-UNMAP (required): IOAS_UNMAP removes whole areas only; 0/U64_MAX removes everything")
    @Override
    public void required_kUnmap_unmapTakesWholeAreasOnly() {
        int ioas = backend.ioasAlloc();
        expectSuccess("K-UNMAP: IOAS_UNMAP(0, U64_MAX) of an empty IOAS", () -> backend.ioasUnmap(ioas, 0, -1L));
        backend.ioasMap(ioas, MEM, MEM_LEN);
        backend.ioasMap(ioas, MEM + MEM_LEN, MEM_LEN);
        expectErrno("K-UNMAP: IOAS_UNMAP of " + range(MEM, MEM_LEN / 2) + ", cutting into " + range(MEM, MEM_LEN),
                Errno.ENOENT, () -> backend.ioasUnmap(ioas, MEM, MEM_LEN / 2));
        expectErrno("K-UNMAP: IOAS_UNMAP of " + range(MEM + 8 * MEM_LEN, MEM_LEN) + ", where nothing is mapped",
                Errno.ENOENT, () -> backend.ioasUnmap(ioas, MEM + 8 * MEM_LEN, MEM_LEN));
        expectErrno("K-UNMAP: IOAS_UNMAP of length 0", Errno.EINVAL, () -> backend.ioasUnmap(ioas, MEM, 0));
        backend.ioasUnmap(ioas, MEM, MEM_LEN);
        expectSuccess("K-UNMAP: IOAS_MAP of " + range(MEM, MEM_LEN) + " again after unmapping that whole area",
                () -> backend.ioasMap(ioas, MEM, MEM_LEN));
        backend.ioasUnmap(ioas, 0, -1L);
        expectSuccess("K-UNMAP: IOAS_MAP of " + range(MEM, MEM_LEN) + " after IOAS_UNMAP(0, U64_MAX)",
                () -> backend.ioasMap(ioas, MEM, MEM_LEN));
        expectSuccess("K-UNMAP: IOAS_MAP of " + range(MEM + MEM_LEN, MEM_LEN) + " after IOAS_UNMAP(0, U64_MAX)",
                () -> backend.ioasMap(ioas, MEM + MEM_LEN, MEM_LEN));
        expectErrno("K-UNMAP: IOAS_UNMAP of an unused IOAS id", Errno.ENOENT, () -> backend.ioasUnmap(UNUSED_ID, 0, -1L));
    }

    // =================================================================== SET_DIRTY_TRACKING

    @Test
    @DisplayName("K-SDT-2 (required): SET_DIRTY_TRACKING of an IOAS or unknown id is ENOENT")
    @Override
    public void required_kSdt2_setDirtyTrackingOnNonHwptIsEnoent() {
        int ioas = backend.ioasAlloc();
        expectErrno("K-SDT-2: SET_DIRTY_TRACKING of IOAS " + ioas, Errno.ENOENT, () -> backend.setDirtyTracking(ioas, true));
        expectErrno("K-SDT-2: SET_DIRTY_TRACKING of an unused id", Errno.ENOENT,
                () -> backend.setDirtyTracking(UNUSED_ID, true));
    }

    @Test
    @DisplayName("K-SDT-3 (required): SET_DIRTY_TRACKING on a HWPT without DIRTY_TRACKING is EOPNOTSUPP")
    @Override
    public void required_kSdt3_setDirtyTrackingOnNonDirtyHwptIsEopnotsupp() {
        BoundDevice a = bind(DeviceKind.DIRTY_CAPABLE, "a");
        int ioas = backend.ioasAlloc();
        int hwpt = backend.hwptAlloc(a.devId(), ioas, HwptAllocFlag.none());
        expectErrno("K-SDT-3: SET_DIRTY_TRACKING(enable) on HWPT " + hwpt + " allocated without DIRTY_TRACKING",
                Errno.EOPNOTSUPP, () -> backend.setDirtyTracking(hwpt, true));
        expectErrno("K-SDT-3: SET_DIRTY_TRACKING(disable) on HWPT " + hwpt + " allocated without DIRTY_TRACKING",
                Errno.EOPNOTSUPP, () -> backend.setDirtyTracking(hwpt, false));
    }

    @Test
    @DisplayName("K-SDT-4 (required): enabling twice and disabling twice succeed, with no device attached")
    @Override
    public void required_kSdt4_enableTwiceAndWithoutDevicesSucceeds() {
        BoundDevice a = bind(DeviceKind.DIRTY_CAPABLE, "a");
        int ioas = backend.ioasAlloc();
        backend.ioasMap(ioas, MEM, MEM_LEN);
        int hwpt = backend.hwptAlloc(a.devId(), ioas, dirtyFlag());
        expectSuccess("K-SDT-4: SET_DIRTY_TRACKING(enable) of HWPT " + hwpt + " with no device attached",
                () -> backend.setDirtyTracking(hwpt, true));
        expectSuccess("K-SDT-4: SET_DIRTY_TRACKING(enable) of HWPT " + hwpt + " a second time",
                () -> backend.setDirtyTracking(hwpt, true));
        expectIovas("K-SDT-4: pages reported dirty with no device ever attached", List.of(), readDirty(hwpt, false));
        expectSuccess("K-SDT-4: SET_DIRTY_TRACKING(disable) of HWPT " + hwpt, () -> backend.setDirtyTracking(hwpt, false));
        expectSuccess("K-SDT-4: SET_DIRTY_TRACKING(disable) of HWPT " + hwpt + " a second time",
                () -> backend.setDirtyTracking(hwpt, false));
    }

    @Test
    @DisplayName("K-SDT-4 (required): enabling clears every dirty bit")
    @Override
    public void required_kSdt4_enablingClearsDirtyBits() {
        DmaSimulation dma = dma();
        DirtyHwpt d = dirtyHwptWithDevice();
        backend.setDirtyTracking(d.hwpt, true);
        write(dma, d.devId, 3);
        backend.setDirtyTracking(d.hwpt, false);
        backend.setDirtyTracking(d.hwpt, true);
        expectIovas("K-SDT-4: pages reported after a write to page 3, disable, enable", List.of(), readDirty(d.hwpt, false));
        write(dma, d.devId, 5);
        backend.setDirtyTracking(d.hwpt, true);
        expectIovas("K-SDT-4: pages reported after a write to page 5 and a second enable", List.of(), readDirty(d.hwpt, false));
        write(dma, d.devId, 7);
        expectIovas("K-SDT-4: pages reported after a write to page 7 with tracking on", iovas(7), readDirty(d.hwpt, false));
    }

    @Test
    @DisplayName("K-SDT-4 (required): after disabling, device writes are not tracked")
    @Override
    public void required_kSdt4_disablingStopsTracking() {
        DmaSimulation dma = dma();
        DirtyHwpt d = dirtyHwptWithDevice();
        backend.setDirtyTracking(d.hwpt, true);
        long on = dma.dmaWrite(d.devId, MEM, PAGE);
        expect(on > 0, "K-SDT-4: IOPTEs marked by device a writing " + range(MEM, PAGE) + " with tracking on",
                null, "at least 1", String.valueOf(on));
        backend.setDirtyTracking(d.hwpt, false);
        long off = dma.dmaWrite(d.devId, MEM + PAGE, PAGE);
        expect(off == 0, "K-SDT-4: IOPTEs marked by device a writing " + range(MEM + PAGE, PAGE) + " after disabling",
                null, "0", String.valueOf(off));
        backend.setDirtyTracking(d.hwpt, true);
        expectIovas("K-SDT-4: pages reported after disable, write, enable", List.of(), readDirty(d.hwpt, false));
    }

    // =================================================================== GET_DIRTY_BITMAP

    @Test
    @DisplayName("K-GDB-2 (required): GET_DIRTY_BITMAP of an IOAS or unknown id is ENOENT")
    @Override
    public void required_kGdb2_bitmapOfNonHwptIsEnoent() {
        int ioas = backend.ioasAlloc();
        backend.ioasMap(ioas, MEM, MEM_LEN);
        DirtyBitmap bits = DirtyBitmap.forRange(MEM_LEN, PAGE);
        expectErrno("K-GDB-2: GET_DIRTY_BITMAP of IOAS " + ioas, Errno.ENOENT,
                () -> backend.getDirtyBitmap(ioas, MEM, MEM_LEN, PAGE, false, bits));
        expectErrno("K-GDB-2: GET_DIRTY_BITMAP of an unused id", Errno.ENOENT,
                () -> backend.getDirtyBitmap(UNUSED_ID, MEM, MEM_LEN, PAGE, false, bits));
    }

    @Test
    @DisplayName("K-GDB-3 (required): iova + length - 1 overflowing is EOVERFLOW")
    @Override
    public void required_kGdb3_overflowingRangeIsEoverflow() {
        DirtyHwpt d = dirtyHwpt();
        DirtyBitmap bits = DirtyBitmap.forRange(2 * PAGE, PAGE);
        expectErrno("K-GDB-3: GET_DIRTY_BITMAP(iova 0xfffffffffffff000, length 0x2000)", Errno.EOVERFLOW,
                () -> backend.getDirtyBitmap(d.hwpt, -PAGE, 2 * PAGE, PAGE, false, bits));
        // Length 0 is EINVAL on a real 6.12 kernel (measured in the kernel lab), not the EOVERFLOW
        // docs/reference/kernel-uapi.md's K-GDB-3 derives from iova + length - 1 wrapping: the kernel is right.
        expectErrno("K-GDB-3: GET_DIRTY_BITMAP(iova 0x1000000, length 0)", Errno.EINVAL,
                () -> backend.getDirtyBitmap(d.hwpt, MEM, 0, PAGE, false, bits));
    }

    @Test
    @DisplayName("K-GDB-4 (required): a range not aligned to the page size, or page size 0, is EINVAL")
    @Override
    public void required_kGdb4_misalignedRangeOrPageSizeIsEinval() {
        DirtyHwpt d = dirtyHwpt();
        DirtyBitmap bits = DirtyBitmap.forRange(MEM_LEN, PAGE);
        expectErrno("K-GDB-4: GET_DIRTY_BITMAP(iova 0x1000001)", Errno.EINVAL,
                () -> backend.getDirtyBitmap(d.hwpt, MEM + 1, PAGE, PAGE, false, bits));
        expectErrno("K-GDB-4: GET_DIRTY_BITMAP(iova 0x1000800, page size 4096)", Errno.EINVAL,
                () -> backend.getDirtyBitmap(d.hwpt, MEM + PAGE / 2, PAGE, PAGE, false, bits));
        expectErrno("K-GDB-4: GET_DIRTY_BITMAP(length 0x1800, page size 4096)", Errno.EINVAL,
                () -> backend.getDirtyBitmap(d.hwpt, MEM, PAGE + PAGE / 2, PAGE, false, bits));
        expectErrno("K-GDB-4: GET_DIRTY_BITMAP(page size 0)", Errno.EINVAL,
                () -> backend.getDirtyBitmap(d.hwpt, MEM, MEM_LEN, 0, false, bits));
    }

    @Test
    @DisplayName("K-GDB-5 (required): a HWPT without DIRTY_TRACKING is EOPNOTSUPP, after the K-GDB-2..4 checks")
    @Override
    public void required_kGdb5_nonDirtyHwptIsEopnotsuppAfterRangeChecks() {
        BoundDevice a = bind(DeviceKind.DIRTY_CAPABLE, "a");
        int ioas = backend.ioasAlloc();
        backend.ioasMap(ioas, MEM, MEM_LEN);
        int plain = backend.hwptAlloc(a.devId(), ioas, HwptAllocFlag.none());
        DirtyBitmap bits = DirtyBitmap.forRange(MEM_LEN, PAGE);
        expectErrno("K-GDB-5: GET_DIRTY_BITMAP of HWPT " + plain + " allocated without DIRTY_TRACKING", Errno.EOPNOTSUPP,
                () -> backend.getDirtyBitmap(plain, MEM, MEM_LEN, PAGE, false, bits));
        expectErrno("K-GDB-3 before K-GDB-5: an overflowing range on HWPT " + plain, Errno.EOVERFLOW,
                () -> backend.getDirtyBitmap(plain, -PAGE, 2 * PAGE, PAGE, false, bits));
        expectErrno("K-GDB-4 before K-GDB-5: a misaligned range on HWPT " + plain, Errno.EINVAL,
                () -> backend.getDirtyBitmap(plain, MEM + PAGE / 2, PAGE, PAGE, false, bits));
        expectErrno("K-GDB-2 before K-GDB-3: an unused id with an overflowing range", Errno.ENOENT,
                () -> backend.getDirtyBitmap(UNUSED_ID, -PAGE, 2 * PAGE, PAGE, false, bits));
    }

    @Test
    @DisplayName("K-GDB-6 (required): bit i stands for page iova + i * page_size")
    @Override
    public void required_kGdb6_bitIMeansPageIovaPlusITimesPageSize() {
        DmaSimulation dma = dma();
        DirtyHwpt d = dirtyHwptWithDevice();
        backend.setDirtyTracking(d.hwpt, true);
        long[] pages = {0, 1, 5, 63, 64, 65, 127, 128, 300, 511};
        write(dma, d.devId, pages);
        expectIovas("K-GDB-6: pages read over " + range(MEM, MEM_LEN) + " after device a wrote them", iovas(pages),
                readDirty(d.hwpt, false));
        write(dma, d.devId, pages);
        long window = MEM + 64 * PAGE;
        DirtyBitmap bits = DirtyBitmap.forRange(128 * PAGE, PAGE);
        backend.getDirtyBitmap(d.hwpt, window, 128 * PAGE, PAGE, false, bits);
        expectIovas("K-GDB-6: pages read over " + range(window, 128 * PAGE) + " (bit i is " + hex(window) + " + i * 4096)",
                iovas(64, 65, 127, 128), iovasOf(window, bits));
    }

    @Test
    @DisplayName("K-GDB-6 (required): bits are OR-ed into the buffer, never cleared")
    @Override
    public void required_kGdb6_bitsAreOredIntoTheBuffer() {
        DmaSimulation dma = dma();
        DirtyHwpt d = dirtyHwptWithDevice();
        backend.setDirtyTracking(d.hwpt, true);
        write(dma, d.devId, 7);
        DirtyBitmap bits = DirtyBitmap.forRange(MEM_LEN, PAGE);
        bits.set(2);
        bits.set(400);
        backend.getDirtyBitmap(d.hwpt, MEM, MEM_LEN, PAGE, false, bits);
        expectIovas("K-GDB-6: pages in a buffer already holding " + hex(MEM + 2 * PAGE) + " and " + hex(MEM + 400 * PAGE)
                + ", after reading dirty page " + hex(MEM + 7 * PAGE) + " into it", iovas(2, 7, 400), iovasOf(MEM, bits));
    }

    @Test
    @DisplayName("K-GDB-6 (required): a read clears the bits unless NO_CLEAR")
    @Override
    public void required_kGdb6_readClearsUnlessNoClear() {
        DmaSimulation dma = dma();
        DirtyHwpt d = dirtyHwptWithDevice();
        backend.setDirtyTracking(d.hwpt, true);
        write(dma, d.devId, 3, 9);
        expectIovas("K-GDB-6: first read with NO_CLEAR", iovas(3, 9), readDirty(d.hwpt, true));
        expectIovas("K-GDB-6: second read with NO_CLEAR", iovas(3, 9), readDirty(d.hwpt, true));
        expectIovas("K-GDB-6: read without NO_CLEAR", iovas(3, 9), readDirty(d.hwpt, false));
        expectIovas("K-GDB-6: read after a clearing read", List.of(), readDirty(d.hwpt, false));
    }

    // =================================================================== QEMU's rules through core

    @Test
    @DisplayName("Q-ATT-2 (required): EINVAL from a HWPT means try the next; newest first")
    @Override
    public void required_qAtt2_einvalMeansTryTheNextHwpt() {
        Vmm vmm = new Vmm();
        vmm.attach(DeviceKind.DIRTY_CAPABLE, "a");
        vmm.drain();
        vmm.attach(DeviceKind.NOT_DIRTY_CAPABLE, "b");
        expectCalls("Q-ATT-2: calls of attaching b (no dirty tracking) after a (a's HWPT is DIRTY_TRACKING)",
                List.of("BIND=ok", "GET_HW_INFO=ok", "ATTACH=EINVAL", "HWPT_ALLOC=ok", "ATTACH=ok"), vmm.drain(), OP);
        String c = vmm.attach(DeviceKind.NOT_DIRTY_CAPABLE, "c");
        expectCalls("Q-ATT-2: calls of attaching c (no dirty tracking) after a and b: b's HWPT, the newest, first",
                List.of("BIND=ok", "GET_HW_INFO=ok", "ATTACH=ok"), vmm.drain(), OP);
        Snapshots.ContainerView container = vmm.onlyContainer();
        expectValue("Q-ATT-2: number of HWPTs in the container", 2, container.hwpts().size());
        expectValue("Q-ATT-2: devices of the newest HWPT", List.of(c, "b"), container.hwpts().get(0).devices());
    }

    @Test
    @DisplayName("Q-ATT-3 (required): HWPT_ALLOC asks for DIRTY_TRACKING exactly when the IOMMU reports it")
    @Override
    public void required_qAtt3_dirtyTrackingAskedForIffCapability() {
        Vmm vmm = new Vmm();
        vmm.attach(DeviceKind.DIRTY_CAPABLE, "a");
        expectCalls("Q-ATT-3: calls of attaching dirty-capable a, with HWPT_ALLOC's flags",
                List.of("BIND=ok", "GET_HW_INFO=ok", "IOAS_ALLOC=ok", "HWPT_ALLOC[DIRTY_TRACKING]=ok", "ATTACH=ok"),
                vmm.drain(), OP_FLAGS);
        vmm.attach(DeviceKind.NOT_DIRTY_CAPABLE, "b");
        expectCalls("Q-ATT-3: calls of attaching b (no dirty tracking) after a, with HWPT_ALLOC's flags",
                List.of("BIND=ok", "GET_HW_INFO=ok", "ATTACH=EINVAL", "HWPT_ALLOC[]=ok", "ATTACH=ok"), vmm.drain(), OP_FLAGS);
        Snapshots.Topology t = vmm.vmm.snapshot();
        expectValue("Q-ATT-3: iommu_dirty_tracking of a", true, t.device("a").iommuDirtyTracking());
        expectValue("Q-ATT-3: iommu_dirty_tracking of b", false, t.device("b").iommuDirtyTracking());
        expectValue("Q-ATT-3: dirty_pages_supported of the container", true, vmm.onlyContainer().dirtyPagesSupported());
    }

    @Test
    @DisplayName("Q-ATT-4 (required): a dirty-capable device reusing a plain HWPT takes its flag; no warning")
    @Override
    public void required_qAtt4_reuseTakesTheHwptFlag() {
        Vmm vmm = new Vmm();
        vmm.attach(DeviceKind.NOT_DIRTY_CAPABLE, "b");
        vmm.drain();
        vmm.attach(DeviceKind.DIRTY_CAPABLE, "a");
        expectCalls("Q-ATT-4: calls of attaching dirty-capable a after b (b's HWPT has no DIRTY_TRACKING)",
                List.of("BIND=ok", "GET_HW_INFO=ok", "ATTACH=ok"), vmm.drain(), OP);
        Snapshots.DeviceView a = vmm.vmm.snapshot().device("a");
        expectValue("Q-ATT-4: dirty tracking of a's IOMMU (GET_HW_INFO)", true, a.hostIommu().supportsDirtyTracking());
        expectValue("Q-ATT-4: iommu_dirty_tracking of a on b's plain HWPT", false, a.iommuDirtyTracking());
        expectValue("Q-ATT-4: dirty_pages_supported of the container", false, vmm.onlyContainer().dirtyPagesSupported());
        expectValue("Q-ATT-4: QEMU's warnings", List.of(), vmm.warnings());
    }

    @Test
    @DisplayName("Q-ATT-5 (required): a then b warns for b; dirty_pages_supported stays true")
    @Override
    public void required_qAtt5_warningForNonDirtyDeviceAfterDirtyOne() {
        Vmm vmm = new Vmm();
        vmm.attach(DeviceKind.DIRTY_CAPABLE, "a");
        vmm.drain();
        vmm.attach(DeviceKind.NOT_DIRTY_CAPABLE, "b");
        expectCalls("Q-ATT-5: calls of attaching b (no dirty tracking) after dirty-capable a",
                List.of("BIND=ok", "GET_HW_INFO=ok", "ATTACH=EINVAL", "HWPT_ALLOC[]=ok", "ATTACH=ok"), vmm.drain(), OP_FLAGS);
        expectValue("Q-ATT-5: QEMU's warnings after attaching a then b",
                List.of("IOMMU instance for device b doesn't support dirty tracking"), vmm.warnings());
        Snapshots.ContainerView c = vmm.onlyContainer();
        expectValue("Q-ATT-5: dirty_pages_supported of the container", true, c.dirtyPagesSupported());
        expectValue("Q-ATT-5: DIRTY_TRACKING of the container's HWPTs, newest first", List.of(false, true),
                c.hwpts().stream().map(Snapshots.HwptView::dirtyTracking).toList());
    }

    @Test
    @DisplayName("Q-DET-1 (required): the last device of a HWPT frees it; the last of the container frees the IOAS")
    @Override
    public void required_qDet1_lastDeviceFreesHwptThenIoas() {
        Vmm vmm = new Vmm();
        vmm.attach(DeviceKind.DIRTY_CAPABLE, "a");
        vmm.drain();
        vmm.attach(DeviceKind.NOT_DIRTY_CAPABLE, "b");
        expectCalls("Q-DET-1: calls of attaching b (no dirty tracking) after dirty-capable a, into a HWPT of its own",
                List.of("BIND=ok", "GET_HW_INFO=ok", "ATTACH=EINVAL", "HWPT_ALLOC=ok", "ATTACH=ok"), vmm.drain(), OP);
        Snapshots.Topology t = vmm.vmm.snapshot();
        int ioas = t.device("a").ioasId();
        int ha = t.device("a").hwptId();
        int hb = t.device("b").hwptId();
        int devA = vmm.devId("a");
        int devB = vmm.devId("b");
        vmm.vmm.detach("b");
        expectCalls("Q-DET-1: calls of detaching b", List.of("DETACH(devId " + devB + ")=ok", "DESTROY(id " + hb + ")=ok",
                "UNBIND(devId " + devB + ")=ok"), vmm.drain(), ARGS);
        expectValue("Q-DET-1: HWPTs left in the container", List.of(ha),
                vmm.onlyContainer().hwpts().stream().map(Snapshots.HwptView::id).toList());
        vmm.vmm.detach("a");
        expectCalls("Q-DET-1: calls of detaching a, the last device", List.of("DETACH(devId " + devA + ")=ok",
                "DESTROY(id " + ha + ")=ok", "DESTROY(id " + ioas + ")=ok", "UNBIND(devId " + devA + ")=ok"), vmm.drain(), ARGS);
        expectValue("Q-DET-1: containers left", List.of(), vmm.vmm.snapshot().containers());
        backend.inventory().ifPresent(inv -> expectValue("Q-DET-1: objects alive in the backend after detaching every"
                + " device (ObjectInventory)", List.of(), inv.liveObjects()));
    }

    @Test
    @DisplayName("Q-DT-2 (required): start and stop set dirty tracking on dirty-tracking HWPTs only")
    @Override
    public void required_qDt2_startAndStopSetOnlyDirtyHwpts() {
        Vmm vmm = new Vmm();
        vmm.vmm.mapMemory(MEM, MEM_LEN);
        vmm.attach(DeviceKind.DIRTY_CAPABLE, "a");
        vmm.attach(DeviceKind.NOT_DIRTY_CAPABLE, "b");
        int ha = vmm.vmm.snapshot().device("a").hwptId();
        vmm.drain();
        vmm.vmm.startDirtyTracking();
        expectCalls("Q-DT-2: calls of start (HWPT " + ha + " is a's, the only DIRTY_TRACKING one)",
                List.of("SET_DIRTY_TRACKING(hwptId " + ha + ", enable true)=ok"), vmm.drain(), ARGS);
        vmm.vmm.stopDirtyTracking();
        expectCalls("Q-DT-2: calls of stop", List.of("SET_DIRTY_TRACKING(hwptId " + ha + ", enable false)=ok"),
                vmm.drain(), ARGS);
    }

    @Test
    @DisplayName("Q-DT-3 (required): a sync reports exactly the pages written, once")
    @Override
    public void required_qDt3_syncReportsPagesWrittenThroughTheDirtyHwpt() {
        DmaSimulation dma = dma();
        Vmm vmm = new Vmm();
        vmm.vmm.mapMemory(MEM, MEM_LEN);
        vmm.attach(DeviceKind.DIRTY_CAPABLE, "a");
        vmm.vmm.startDirtyTracking();
        write(dma, vmm.devId("a"), 3, 4, 100);
        VfioIommufd.SyncResult sync = vmm.vmm.sync(MEM, MEM_LEN);
        expectValue("Q-DT-3: failure of the sync", null, sync.failure());
        expectValue("Q-DT-3: runs reported by a sync after device a wrote pages " + hexList(iovas(3, 4, 100)),
                List.of(new IovaRange(MEM + 3 * PAGE, 2 * PAGE), new IovaRange(MEM + 100 * PAGE, PAGE)), sync.dirtyRuns());
        expectValue("Q-DT-3: runs reported by a second sync", List.of(), vmm.vmm.sync(MEM, MEM_LEN).dirtyRuns());
    }

    // =================================================================== optional

    @Test
    @DisplayName("K-ATT-2 (optional): a device of another IOMMU family on a HWPT is EINVAL")
    @Override
    public void optional_kAtt2_otherFamilyDeviceOnHwptIsEinval() {
        BoundDevice a = bind(DeviceKind.DIRTY_CAPABLE, "a");
        BoundDevice x = bind(DeviceKind.OTHER_FAMILY, "x");
        int ioas = backend.ioasAlloc();
        int hwpt = backend.hwptAlloc(a.devId(), ioas, HwptAllocFlag.none());
        expectErrno("K-ATT-2: ATTACH of device x (other IOMMU family) to HWPT " + hwpt + " of device a", Errno.EINVAL,
                () -> backend.attach(x.devId(), hwpt));
    }

    @Test
    @DisplayName("Q-DT-3 (optional): the bitmap is the OR of every dirty-tracking HWPT")
    @Override
    public void optional_qDt3_bitmapIsOrOfEveryDirtyHwpt() {
        Vmm vmm = new Vmm();
        vmm.vmm.mapMemory(MEM, MEM_LEN);
        vmm.attach(DeviceKind.DIRTY_CAPABLE, "a");
        vmm.drain();
        vmm.attach(DeviceKind.OTHER_FAMILY, "x");
        expectCalls("Q-DT-3: calls of attaching x (another IOMMU family) after a",
                List.of("BIND=ok", "GET_HW_INFO=ok", "ATTACH=EINVAL", "HWPT_ALLOC[DIRTY_TRACKING]=ok", "ATTACH=ok"),
                vmm.drain(), OP_FLAGS);
        DmaSimulation dma = dma();
        expectValue("Q-DT-3: DIRTY_TRACKING of the HWPTs of x and a", List.of(true, true),
                vmm.onlyContainer().hwpts().stream().map(Snapshots.HwptView::dirtyTracking).toList());
        vmm.vmm.startDirtyTracking();
        write(dma, vmm.devId("a"), 1);
        write(dma, vmm.devId("x"), 7);
        expectValue("Q-DT-3: runs reported after a wrote " + hex(MEM + PAGE) + " and x wrote " + hex(MEM + 7 * PAGE),
                List.of(new IovaRange(MEM + PAGE, PAGE), new IovaRange(MEM + 7 * PAGE, PAGE)),
                vmm.vmm.sync(MEM, MEM_LEN).dirtyRuns());
    }

    @Test
    @DisplayName("Q-DT-2 (optional): a failed start sets every dirty-tracking HWPT back, newest first")
    @Override
    public void optional_qDt2_failedStartRollsBackEveryDirtyHwpt() {
        FaultInjection faults = faults();
        Vmm vmm = new Vmm();
        vmm.vmm.mapMemory(MEM, MEM_LEN);
        vmm.attach(DeviceKind.DIRTY_CAPABLE, "a"); // H1{D}
        vmm.drain();
        vmm.attach(DeviceKind.NOT_DIRTY_CAPABLE, "b"); // H2{}
        expectCalls("Q-DT-2: calls of attaching b (no dirty tracking) after dirty-capable a",
                List.of("BIND=ok", "GET_HW_INFO=ok", "ATTACH=EINVAL", "HWPT_ALLOC[]=ok", "ATTACH=ok"), vmm.drain(), OP_FLAGS);
        vmm.attach(DeviceKind.OTHER_FAMILY, "x"); // H3{D}
        expectCalls("Q-DT-2: calls of attaching x (another IOMMU family) after a and b",
                List.of("BIND=ok", "GET_HW_INFO=ok", "ATTACH=EINVAL", "ATTACH=EINVAL", "HWPT_ALLOC[DIRTY_TRACKING]=ok",
                        "ATTACH=ok"), vmm.drain(), OP_FLAGS);
        Snapshots.Topology t = vmm.vmm.snapshot();
        int h1 = t.device("a").hwptId();
        int h3 = t.device("x").hwptId();
        inject(faults, BackendOp.SET_DIRTY_TRACKING, 2, Errno.ENOMEM);
        VfioException failure = null;
        try {
            vmm.vmm.startDirtyTracking();
        } catch (VfioException e) {
            failure = e;
        }
        List<BackendCall> calls = vmm.drain();
        expectCalls("Q-DT-2: calls of the start whose second SET_DIRTY_TRACKING fails (injected ENOMEM), over HWPTs"
                        + " [" + h3 + "{D}, H2{}, " + h1 + "{D}]",
                List.of("SET_DIRTY_TRACKING(hwptId " + h3 + ", enable true)=ok", "SET_DIRTY_TRACKING(hwptId " + h1
                        + ", enable true)=ENOMEM", "SET_DIRTY_TRACKING(hwptId " + h3 + ", enable false)=ok",
                        "SET_DIRTY_TRACKING(hwptId " + h1 + ", enable false)=ok"), calls, ARGS);
        expect(failure != null, "Q-DT-2: the start with an injected ENOMEM", null, "a failed start", "the start succeeded");
        expectValue("Q-DT-2: QEMU's message for the failed start",
                "vfio: Could not start dirty page tracking - IOMMU_HWPT_SET_DIRTY_TRACKING(hwpt_id " + h1 + ") failed",
                failure.qemuMessage());
        expectValue("Q-DT-2: errno of the failed start", Errno.ENOMEM, failure.errno());
        Optional<DmaSimulation> dma = backend.dmaSimulation();
        if (dma.isPresent()) {
            long marked = dma.get().dmaWrite(vmm.devId("x"), MEM, PAGE);
            expect(marked == 0, "Q-DT-2: IOPTEs marked by x writing " + range(MEM, PAGE) + " after the rolled-back start"
                    + " (HWPT " + h3 + " must be disabled)", null, "0", String.valueOf(marked));
        }
    }

    @Test
    @DisplayName("Q-ATT-7 (optional): a failed search in the only container makes a new container")
    @Override
    public void optional_qAtt7_failedSearchFallsBackToNewContainer() {
        FaultInjection faults = faults();
        Vmm vmm = new Vmm();
        vmm.attach(DeviceKind.DIRTY_CAPABLE, "a");
        Snapshots.ContainerView first = vmm.onlyContainer();
        vmm.drain();
        inject(faults, BackendOp.ATTACH, 1, Errno.EBUSY);
        vmm.attach(DeviceKind.DIRTY_CAPABLE, "c");
        expectCalls("Q-ATT-7: calls of attaching c with its first ATTACH failing with EBUSY (injected)",
                List.of("BIND=ok", "GET_HW_INFO=ok", "ATTACH=EBUSY", "IOAS_ALLOC=ok", "HWPT_ALLOC=ok", "ATTACH=ok"),
                vmm.drain(), OP);
        Snapshots.Topology t = vmm.vmm.snapshot();
        expectValue("Q-ATT-7: number of containers", 2, t.containers().size());
        expect(t.device("c").ioasId() != first.ioasId(), "Q-ATT-7: IOAS of c", null,
                "a new IOAS (not " + first.ioasId() + ")", String.valueOf(t.device("c").ioasId()));
        expectValue("Q-ATT-7: HWPTs of the first container", first.hwpts(), t.container(first.ioasId()).hwpts());
    }

    @Test
    @DisplayName("K-FAIL (optional): a failed HWPT_ALLOC leaves no object behind")
    @Override
    public void optional_kFail_failedAllocLeavesNoObject() {
        ObjectInventory inventory = backend.inventory()
                .orElseGet(() -> abort("the backend has no ObjectInventory ability: the TCK cannot list live objects"));
        Optional<FaultInjection> faults = backend.faultInjection();
        Optional<BoundDevice> plain = tryBind(DeviceKind.NOT_DIRTY_CAPABLE, "b");
        if (plain.isEmpty() && faults.isEmpty()) {
            abort("K-FAIL needs a failing HWPT_ALLOC: the backend has no FaultInjection and the fixture cannot make a"
                    + " device without dirty tracking (K-ALLOC-6)");
        }
        int ioas = backend.ioasAlloc();
        backend.ioasMap(ioas, MEM, MEM_LEN);
        if (plain.isPresent()) {
            int dev = plain.get().devId();
            assertAllocFailureLeavesNothing(inventory, "K-ALLOC-6 failure (DIRTY_TRACKING for device b)", Errno.EOPNOTSUPP,
                    () -> backend.hwptAlloc(dev, ioas, dirtyFlag()));
        }
        if (faults.isPresent()) {
            BoundDevice a = bind(DeviceKind.DIRTY_CAPABLE, "a");
            faults.get().failNth(BackendOp.HWPT_ALLOC, 1, Errno.ENOMEM);
            assertAllocFailureLeavesNothing(inventory, "injected ENOMEM", Errno.ENOMEM,
                    () -> backend.hwptAlloc(a.devId(), ioas, dirtyFlag()));
        }
    }

    private void assertAllocFailureLeavesNothing(ObjectInventory inventory, String what, Errno errno, Runnable failingAlloc) {
        List<BackendObject> before = inventory.liveObjects();
        int probe = backend.ioasAlloc();
        backend.destroy(probe); // probe is now the lowest free id (K-ID-1)
        expectErrno("K-FAIL: HWPT_ALLOC with " + what, errno, failingAlloc);
        BackendCall failed = lastCall();
        List<BackendObject> after = inventory.liveObjects();
        expect(after.equals(before), "K-FAIL: live objects after a HWPT_ALLOC failing with " + what, failed.toString(),
                before.toString(), after.toString());
        int next = backend.ioasAlloc();
        expect(next == probe, "K-FAIL: id of the next IOAS after a HWPT_ALLOC failing with " + what + " (id " + probe
                + " was the lowest free before)", failed.toString(), String.valueOf(probe), String.valueOf(next));
        backend.destroy(next);
    }

    @Test
    @DisplayName("Q-ATT-9 (optional): an mdev attaches straight to the IOAS, no HWPT")
    @Override
    public void optional_qAtt9_mdevAttachesStraightToIoas() {
        Vmm vmm = new Vmm();
        vmm.attach(DeviceKind.MDEV, "m");
        expectCalls("Q-ATT-9: calls of attaching mdev m", List.of("BIND=ok", "IOAS_ALLOC=ok", "ATTACH=ok"), vmm.drain(), OP);
        Snapshots.DeviceView m = vmm.vmm.snapshot().device("m");
        expectValue("Q-ATT-9: HWPT of mdev m", null, m.hwptId());
        expectValue("Q-ATT-9: iommu_dirty_tracking of mdev m", false, m.iommuDirtyTracking());
        int ioas = m.ioasId();
        vmm.vmm.detach("m");
        expectCalls("Q-ATT-9: calls of detaching mdev m (IOAS " + ioas + ")", List.of("DETACH=ok", "DESTROY=ok", "UNBIND=ok"),
                vmm.drain(), OP);
    }

    @Test
    @DisplayName("Q-DT-4 (optional): a container whose devices all have VF dirty tracking uses DMA logging")
    @Override
    public void optional_qDt4_deviceTrackerUsedWhenEveryDeviceHasIt() {
        Vmm vmm = new Vmm();
        vmm.vmm.mapMemory(MEM, MEM_LEN);
        vmm.attach(DeviceKind.VF_DIRTY_TRACKING, "v");
        DmaSimulation dma = dma();
        vmm.drain();
        vmm.vmm.startDirtyTracking();
        expectCalls("Q-DT-4: calls of start with one VF-tracking device", List.of("DMA_LOGGING_START=ok"), vmm.drain(), OP);
        dma.dmaWrite(vmm.devId("v"), MEM + 9 * PAGE, PAGE); // no IOMMU tracking here: the DMA log records it
        VfioIommufd.SyncResult sync = vmm.vmm.sync(MEM, MEM_LEN);
        expectCalls("Q-DT-4: calls of the sync", List.of("DMA_LOGGING_REPORT=ok"), vmm.drain(), OP);
        expectValue("Q-DT-4: runs reported after v wrote " + hex(MEM + 9 * PAGE), List.of(new IovaRange(MEM + 9 * PAGE, PAGE)),
                sync.dirtyRuns());
        vmm.vmm.stopDirtyTracking();
        expectCalls("Q-DT-4: calls of stop", List.of("DMA_LOGGING_STOP=ok"), vmm.drain(), OP);
    }

    // =================================================================== helpers

    /** A DIRTY_TRACKING HWPT over an IOAS with [16 MiB, +2 MiB) mapped, and the device that allocated it. */
    private record DirtyHwpt(int devId, int ioas, int hwpt) {
    }

    /** A dirty HWPT, its device not attached. */
    private DirtyHwpt dirtyHwpt() {
        BoundDevice a = bind(DeviceKind.DIRTY_CAPABLE, "a");
        int ioas = backend.ioasAlloc();
        backend.ioasMap(ioas, MEM, MEM_LEN);
        int hwpt = backend.hwptAlloc(a.devId(), ioas, dirtyFlag());
        return new DirtyHwpt(a.devId(), ioas, hwpt);
    }

    /** A dirty HWPT with its device attached (so the device's writes reach it). */
    private DirtyHwpt dirtyHwptWithDevice() {
        DirtyHwpt d = dirtyHwpt();
        expectValue("HWPT id written back by ATTACH of device a to its DIRTY_TRACKING HWPT " + d.hwpt, d.hwpt,
                backend.attach(d.devId, d.hwpt));
        return d;
    }

    /** Device {@code devId} writes each page (index from 16 MiB, 4096 bytes); each write must mark an IOPTE. */
    private static void write(DmaSimulation dma, int devId, long... pages) {
        for (long p : pages) {
            long iova = MEM + p * PAGE;
            long marked = dma.dmaWrite(devId, iova, PAGE);
            if (marked <= 0) {
                throw new Mismatch("IOPTEs marked by device " + devId + " writing " + range(iova, PAGE) + " with tracking on",
                        "dmaWrite(devId " + devId + ", iova " + hex(iova) + ", length " + hex(PAGE) + ") = " + marked,
                        "at least 1", String.valueOf(marked), List.of());
            }
        }
    }

    /** The IOVAs of the pages reported dirty over [16 MiB, +2 MiB) at 4096. */
    private List<Long> readDirty(int hwpt, boolean noClear) {
        DirtyBitmap bits = DirtyBitmap.forRange(MEM_LEN, PAGE);
        backend.getDirtyBitmap(hwpt, MEM, MEM_LEN, PAGE, noClear, bits);
        return iovasOf(MEM, bits);
    }

    /** The IOVA of each set bit of a bitmap read from {@code start} at 4096 (K-GDB-6: bit i is start + i * 4096). */
    private static List<Long> iovasOf(long start, DirtyBitmap bits) {
        List<Long> out = new ArrayList<>();
        bits.forEachSetBit(i -> out.add(start + i * PAGE));
        return out;
    }

    /** The IOVAs of pages (index from 16 MiB). */
    private static List<Long> iovas(long... pages) {
        return LongStream.of(pages).map(p -> MEM + p * PAGE).boxed().toList();
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    private static String hexList(List<Long> iovas) {
        return iovas.stream().map(IommufdBackendVerification::hex).collect(Collectors.joining(", ", "[", "]"));
    }

    private static String range(long iova, long length) {
        return new IovaRange(iova, length).toString();
    }

    private static FlagSet<HwptAllocFlag> dirtyFlag() {
        return HwptAllocFlag.setOf(HwptAllocFlag.DIRTY_TRACKING);
    }

    private String lastCallText() {
        BackendCall c = lastCall();
        return c == null ? null : c.toString();
    }

    /** Checks {@code ok}; when false the rule fails naming the call (null: the last one), expected and actual. */
    private void expect(boolean ok, String check, String call, String expected, String actual) {
        if (!ok) {
            throw new Mismatch(check, call == null ? lastCallText() : call, expected, actual, List.of());
        }
    }

    /** Checks that {@code actual}, which the last call produced, equals {@code expected}. */
    private void expectValue(String check, Object expected, Object actual) {
        expect(Objects.equals(expected, actual), check, null, String.valueOf(expected), String.valueOf(actual));
    }

    /** Checks that the dirty pages read are exactly {@code expected}, both as IOVAs. */
    private void expectIovas(String check, List<Long> expected, List<Long> actual) {
        expect(expected.equals(actual), check, null, hexList(expected), hexList(actual));
    }

    /** Checks that {@code call} fails with exactly {@code expected}. */
    private void expectErrno(String check, Errno expected, Runnable call) {
        try {
            call.run();
        } catch (IommufdException e) {
            if (e.errno() != expected) {
                throw new Mismatch(check, lastCallText(), expected.name(),
                        e.errno() == Errno.UNKNOWN ? "errno " + e.errnoNumber() : e.errno().name(),
                        List.of("backend said: " + e.getMessage()));
            }
            return;
        }
        throw new Mismatch(check, lastCallText(), expected.name(), "success (the call was accepted)", List.of());
    }

    /** Checks that {@code call} succeeds. */
    private void expectSuccess(String check, Runnable call) {
        try {
            call.run();
        } catch (IommufdException e) {
            throw new Mismatch(check, lastCallText(), "success",
                    e.errno() == Errno.UNKNOWN ? "errno " + e.errnoNumber() : e.errno().name(),
                    List.of("backend said: " + e.getMessage()));
        }
    }

    /** A call as {@code OP=ok} or {@code OP=ERRNO}. */
    private static final Function<BackendCall, String> OP = c -> c.op() + "=" + result(c);
    /** A call as {@code OP[FLAGS]=ok}: the flags of a HWPT_ALLOC shown. */
    private static final Function<BackendCall, String> OP_FLAGS = c -> c.op() + (c.flags() == null ? "" : c.flags().toString())
            + "=" + result(c);
    /** A call as {@code OP(arguments)=ok}. */
    private static final Function<BackendCall, String> ARGS = c -> c.op() + "(" + c.arguments() + ")=" + result(c);

    private static String result(BackendCall c) {
        return c.ok() ? "ok" : c.result().name();
    }

    /**
     * Checks the calls core made, each rendered by {@code render}. On a difference the rule fails naming the first
     * call that differs, with both sequences in full.
     */
    private static void expectCalls(String check, List<String> expected, List<BackendCall> calls,
                                    Function<BackendCall, String> render) {
        List<String> actual = calls.stream().map(render).toList();
        if (actual.equals(expected)) {
            return;
        }
        int i = 0;
        while (i < actual.size() && i < expected.size() && actual.get(i).equals(expected.get(i))) {
            i++;
        }
        String call = i < calls.size() ? calls.get(i) + " (call " + (i + 1) + " of " + calls.size() + ")"
                : "none: the calls ended after " + calls.size() + (calls.isEmpty() ? "" : ", the last " + calls.get(calls.size() - 1));
        throw new Mismatch(check, call, i < expected.size() ? expected.get(i) : "no further call",
                i < actual.size() ? actual.get(i) : "no further call",
                List.of("calls expected: " + expected, "calls made:     " + actual));
    }

    private DmaSimulation dma() {
        return backend.dmaSimulation().orElseGet(() -> abort(NO_DMA));
    }

    /**
     * Arms a fault, or skips the rule when the backend's FaultInjection cannot make that one (a backend whose kernel
     * makes the failure gives only the errnos the kernel can, and refuses the others with
     * {@link UnsupportedOperationException}).
     */
    private static void inject(FaultInjection faults, BackendOp op, int nth, Errno errno) {
        try {
            faults.failNth(op, nth, errno);
        } catch (UnsupportedOperationException e) {
            abort("the backend's FaultInjection cannot make " + op + " fail with " + errno + ": " + e.getMessage());
        }
    }

    private FaultInjection faults() {
        return backend.faultInjection()
                .orElseGet(() -> abort("the backend has no FaultInjection ability: the TCK cannot make a call fail"));
    }

    private static <T> T abort(String reason) {
        Assumptions.abort(reason);
        throw new AssertionError("unreachable");
    }

    /** The reference of a new device of {@code kind}, or abort with the fixture's reason. */
    private String deviceRef(DeviceKind kind, String name) {
        DeviceOffer offer = fixture.device(opened, kind, name);
        if (!offer.isMade()) {
            abort(offer.reason());
        }
        return offer.ref();
    }

    private BoundDevice bind(DeviceKind kind, String name) {
        return backend.bind(deviceRef(kind, name));
    }

    private Optional<BoundDevice> tryBind(DeviceKind kind, String name) {
        DeviceOffer offer = fixture.device(opened, kind, name);
        if (!offer.isMade()) {
            return Optional.empty();
        }
        return Optional.of(backend.bind(offer.ref()));
    }

    /** core's VMM over a recording wrapper of the backend under test, with its warnings. */
    private final class Vmm {
        final RecordingBackend recorder = new RecordingBackend(backend);
        final VfioIommufd vmm = new VfioIommufd(recorder, Profile.QEMU_9_1, PAGE);
        final List<Diagnostic> diagnostics = new ArrayList<>();

        Vmm() {
            vmm.addDiagnosticListener(diagnostics::add);
        }

        /** Makes a device of {@code kind} called {@code name} and attaches it with QEMU's defaults; returns the name. */
        String attach(DeviceKind kind, String name) {
            String ref = deviceRef(kind, name);
            vmm.attach(new DeviceConfig(name, ref, OnOffAuto.AUTO, OnOffAuto.ON, false));
            return name;
        }

        int devId(String name) {
            int id = vmm.devId(name);
            expect(id > 0, "dev id of attached device " + name, null, "a positive id", String.valueOf(id));
            return id;
        }

        /** The calls core made since the last drain. */
        List<BackendCall> drain() {
            return recorder.drain();
        }

        List<String> warnings() {
            return diagnostics.stream().filter(d -> d.level() == Diagnostic.Level.WARNING).map(Diagnostic::text).toList();
        }

        Snapshots.ContainerView onlyContainer() {
            List<Snapshots.ContainerView> cs = vmm.snapshot().containers();
            expect(cs.size() == 1, "containers of the VMM", null, "1 container", cs.size() + " containers: "
                    + cs.stream().map(c -> "IOAS " + c.ioasId() + " with HWPTs " + c.hwpts().stream()
                            .map(h -> h.id() + h.flags().toString() + h.devices()).toList()).collect(Collectors.joining("; ")));
            return cs.get(0);
        }
    }
}
