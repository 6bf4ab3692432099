package io.github.iommufd4j.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.iommufd4j.api.BackendCall;
import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.api.IommuSpec;
import io.github.iommufd4j.api.IovaRange;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The rows of section 6 of {@code docs/reference/qemu-rules.md} after 10.0 (Q-EV-2 to Q-EV-13), each under the first
 * profile that has it and under the profile just before, on backend-mock. Q-EV-1 and Q-EV-7 are {@code qemu-10.0}'s
 * ({@code DirtyTrackingRulesTest}); Q-EV-8 (CPR) is not modelled.
 */
class LaterQemuRulesTest {
    static final IommuSpec SMMU_DIRTY = IommuSpec.of("smmu-dirty", "arm-smmu-v3", true, true);
    static final IommuSpec SMMU_PLAIN = IommuSpec.of("smmu-plain", "arm-smmu-v3", false, true);
    static final long PAGE = 4096;
    static final long IOVA = TestHost.MEMORY_IOVA;

    static DeviceConfig behind(String name, ViommuKind kind) {
        return DeviceConfig.of(name).behind(kind);
    }

    static DeviceSpec vf(String name, IommuSpec iommu) {
        return new DeviceSpec(name, iommu, false, true, true, true);
    }

    /** Calls as {@code OP(args)=result}, arguments included. */
    static List<String> withArgs(TestHost h) {
        return h.fullCalls().stream().map(c -> c.op() + "(" + c.arguments() + ")=" + (c.ok() ? "ok" : c.result().name()))
                .toList();
    }

    @Nested
    @DisplayName("Q-EV-2 (qemu-10.1): GET_HW_INFO on the allocation path, realize after the attach")
    class QEv2 {
        @Test
        @DisplayName("Q-EV-2: a new container's first device reads GET_HW_INFO just before HWPT_ALLOC and again after the listener")
        void allocationPathReadsHwInfoTwice() {
            TestHost h = new TestHost(Profile.QEMU_10_1).withMemory().device("a", TestHost.DIRTY);
            h.attach("a");
            assertThat(h.fullCalls().stream().map(c -> c.op() + (c.flags() == null ? "" : c.flags().toString())).toList())
                    .containsExactly("BIND", "IOAS_ALLOC", "GET_HW_INFO", "HWPT_ALLOC[DIRTY_TRACKING]", "ATTACH", "IOAS_MAP",
                            "GET_HW_INFO");
            assertThat(h.dev("a").hostIommu().supportsDirtyTracking()).isTrue();
            TestHost old = new TestHost(Profile.QEMU_10_0).withMemory().device("a", TestHost.DIRTY);
            old.attach("a");
            assertThat(old.calls()).containsExactly("BIND=ok", "GET_HW_INFO=ok", "IOAS_ALLOC=ok", "HWPT_ALLOC=ok",
                    "ATTACH=ok", "IOAS_MAP=ok");
        }

        @Test
        @DisplayName("Q-EV-2: a device that reuses a HWPT reads no hardware information before its ATTACH")
        void reuseNeedsNoHwInfo() {
            TestHost h = new TestHost(Profile.QEMU_10_1).withMemory().device("a", TestHost.DIRTY).device("b", TestHost.DIRTY);
            h.attach("a");
            h.calls();
            h.attach("b");
            assertThat(h.calls()).containsExactly("BIND=ok", "ATTACH=ok", "GET_HW_INFO=ok");
        }

        @Test
        @DisplayName("Q-EV-2: a failed realize after the attach unwinds it: DETACH, the HWPT, the mappings, the IOAS")
        void failedRealizeUnwinds() {
            TestHost h = new TestHost(Profile.QEMU_10_1).withMemory().device("a", TestHost.DIRTY);
            h.mock.failNth(BackendOp.GET_HW_INFO, 2, Errno.ENOMEM); // the realize, not the allocation path
            assertThatThrownBy(() -> h.attach("a")).isInstanceOfSatisfying(VfioException.class, e -> {
                assertThat(e.qemuMessage()).isEqualTo("Failed to get hardware info");
                assertThat(e.errno()).isEqualTo(Errno.ENOMEM);
            });
            assertThat(h.calls()).containsExactly("BIND=ok", "IOAS_ALLOC=ok", "GET_HW_INFO=ok", "HWPT_ALLOC=ok",
                    "ATTACH=ok", "IOAS_MAP=ok", "GET_HW_INFO=ENOMEM", "DETACH=ok", "DESTROY=ok", "IOAS_UNMAP=ok",
                    "DESTROY=ok", "UNBIND=ok");
            assertThat(h.topology().containers()).isEmpty();
            assertThat(h.mock.liveObjects()).isEmpty();
        }

        @Test
        @DisplayName("Q-EV-2: a failed realize of a device that joined a container leaves the container and its HWPT")
        void failedRealizeInASharedContainer() {
            TestHost h = new TestHost(Profile.QEMU_10_1).withMemory().device("a", TestHost.DIRTY).device("b", TestHost.DIRTY);
            h.attach("a");
            Snapshots.ContainerView before = h.onlyContainer();
            h.calls();
            h.mock.failNth(BackendOp.GET_HW_INFO, 1, Errno.EIO);
            assertThatThrownBy(() -> h.attach("b")).isInstanceOf(VfioException.class);
            assertThat(h.calls()).containsExactly("BIND=ok", "ATTACH=ok", "GET_HW_INFO=EIO", "DETACH=ok", "UNBIND=ok");
            assertThat(h.onlyContainer()).isEqualTo(before);
        }

        @Test
        @DisplayName("Q-EV-2 with Q-ATT-7: a failed GET_HW_INFO on an existing container's allocation path moves the device on")
        void failedHwInfoOnTheAllocationPathIsAContainerFailure() {
            TestHost h = new TestHost(Profile.QEMU_10_1).withMemory().device("a", TestHost.DIRTY)
                    .device("x", TestHost.OTHER_FAMILY);
            h.attach("a");
            h.calls();
            h.mock.failNth(BackendOp.GET_HW_INFO, 1, Errno.ENOMEM);
            h.attach("x");
            assertThat(h.calls()).containsExactly("BIND=ok", "ATTACH=EINVAL", "GET_HW_INFO=ENOMEM", "IOAS_ALLOC=ok",
                    "GET_HW_INFO=ok", "HWPT_ALLOC=ok", "ATTACH=ok", "IOAS_MAP=ok", "GET_HW_INFO=ok");
            assertThat(h.topology().containers()).hasSize(2);
        }

        @Test
        @DisplayName("Q-EV-2: a placement that decides by capability before the search cannot be composed with it")
        void capabilityPlacementsNeedTheEarlyRealize() {
            assertThatThrownBy(() -> Profile.QEMU_10_1.derive("x").hwptPlacement(HwptPlacement.BY_CAPABILITY).build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("HwptPlacement.BY_CAPABILITY").hasMessageContaining("Q-EV-2");
            assertThatThrownBy(() -> Profile.QEMU_10_1.derive("y")
                    .containerPlacement(ContainerPlacement.SEPARATE_DIRTY_AND_PLAIN).build())
                    .hasMessageContaining("SEPARATE_DIRTY_AND_PLAIN");
            assertThat(Profile.QEMU_10_1.derive("z").hostIommuRealize(HostIommuRealize.BEFORE_ATTACH)
                    .hwptPlacement(HwptPlacement.BY_CAPABILITY).build().hwptPlacement()).isEqualTo(HwptPlacement.BY_CAPABILITY);
        }
    }

    /** A device behind a translating intel-iommu, with one vIOMMU mapping of a page of guest RAM. */
    static TestHost translating(Profile p, IommuSpec iommu, boolean vfTracking) {
        TestHost h = new TestHost(p).withMemory().device(vfTracking ? vf("d", iommu) : DeviceSpec.plain("d", iommu));
        h.vmm.attach(behind("d", ViommuKind.INTEL_IOMMU));
        h.vmm.viommuMap("d", IOVA, PAGE);
        h.calls();
        return h;
    }

    @Nested
    @DisplayName("Q-EV-9 (qemu-10.2): unmap-all in one call")
    class QEv9 {
        List<String> unmapsOnDetach(Profile p) {
            TestHost h = translating(p, TestHost.DIRTY, false);
            h.vmm.detach("d");
            return withArgs(h).stream().filter(c -> c.startsWith("IOAS_UNMAP")).toList();
        }

        @Test
        @DisplayName("Q-EV-9: qemu-10.2 leaves a translating vIOMMU container with one IOAS_UNMAP(0, U64_MAX)")
        void oneCall() {
            assertThat(unmapsOnDetach(Profile.QEMU_10_2))
                    .containsExactly("IOAS_UNMAP(ioasId 2, iova 0x0, length 0xffffffffffffffff)=ok");
        }

        @Test
        @DisplayName("Q-EV-9: qemu-10.0 and qemu-10.1 unmap the two halves (the second finds nothing: ENOENT, taken as success)")
        void twoHalves() {
            List<String> halves = List.of("IOAS_UNMAP(ioasId 2, iova 0x0, length 0x8000000000000000)=ok",
                    "IOAS_UNMAP(ioasId 2, iova 0x8000000000000000, length 0x8000000000000000)=ENOENT");
            assertThat(unmapsOnDetach(Profile.QEMU_10_0)).isEqualTo(halves);
            assertThat(unmapsOnDetach(Profile.QEMU_10_1)).isEqualTo(halves);
        }

        @Test
        @DisplayName("Q-EV-9: a failed first half: qemu-10.0 still unmaps the second, qemu-10.1 (9458d9b4dc) does not")
        void failedFirstHalf() {
            for (Profile p : List.of(Profile.QEMU_10_0, Profile.QEMU_10_1)) {
                TestHost h = translating(p, TestHost.DIRTY, false);
                h.mock.failNth(BackendOp.IOAS_UNMAP, 1, Errno.EIO);
                h.vmm.detach("d");
                long unmaps = h.fullCalls().stream().filter(c -> c.op() == BackendOp.IOAS_UNMAP).count();
                assertThat(unmaps).as(p.name()).isEqualTo(p == Profile.QEMU_10_0 ? 2 : 1);
            }
        }

        @Test
        @DisplayName("Q-EV-9: containers of guest RAM never unmap-all: their sections are unmapped one by one in every profile")
        void ramContainersUnmapTheirSections() {
            for (Profile p : List.of(Profile.QEMU_10_0, Profile.QEMU_10_2)) {
                TestHost h = new TestHost(p).withMemory().device("a", TestHost.DIRTY);
                h.attach("a");
                h.calls();
                h.vmm.detach("a");
                assertThat(withArgs(h)).filteredOn(c -> c.startsWith("IOAS_UNMAP"))
                        .containsExactly("IOAS_UNMAP(ioasId 2, iova 0x1000000, length 0x400000)=ok");
            }
        }
    }

    @Nested
    @DisplayName("Q-EV-3 (qemu-11.0): nesting parents for vIOMMUs that want one")
    class QEv3 {
        @Test
        @DisplayName("Q-EV-3: intel-iommu x-flts asks for NEST_PARENT next to DIRTY_TRACKING; the device may migrate")
        void xFltsNestingParent() {
            TestHost h = new TestHost(Profile.QEMU_11_0).withMemory().device("d", TestHost.DIRTY);
            h.vmm.attach(behind("d", ViommuKind.INTEL_IOMMU_X_FLTS));
            BackendCall alloc = h.fullCalls().stream().filter(c -> c.op() == BackendOp.HWPT_ALLOC).findFirst().orElseThrow();
            assertThat(alloc.flags()).isEqualTo(HwptAllocFlag.setOf(HwptAllocFlag.NEST_PARENT, HwptAllocFlag.DIRTY_TRACKING));
            assertThat(h.onlyContainer().hwpts().get(0).dirtyTracking()).isTrue();
            assertThat(h.dev("d").migration().rule()).isEqualTo("Q-MIG-6");
        }

        @Test
        @DisplayName("Q-EV-3: arm-smmu-v3 refuses DIRTY_TRACKING with NEST_PARENT; no retry, the attach fails")
        void smmuRefusesTheCombination() {
            TestHost h = new TestHost(Profile.QEMU_11_0).withMemory().device("d", SMMU_DIRTY);
            assertThatThrownBy(() -> h.vmm.attach(behind("d", ViommuKind.ARM_SMMUV3_ACCEL)))
                    .isInstanceOfSatisfying(VfioException.class, e -> {
                        assertThat(e.qemuMessage()).isEqualTo("Failed to allocate hwpt");
                        assertThat(e.errno()).isEqualTo(Errno.EOPNOTSUPP);
                    });
            assertThat(h.calls()).containsExactly("BIND=ok", "IOAS_ALLOC=ok", "GET_HW_INFO=ok", "HWPT_ALLOC=EOPNOTSUPP",
                    "DESTROY=ok", "UNBIND=ok");
            assertThat(h.mock.liveObjects()).isEmpty();
        }

        @Test
        @DisplayName("Q-EV-3: accelerated vSMMU devices share one address space and reuse the nesting parent; others do not join")
        void smmuDevicesShareOneContainer() {
            TestHost h = new TestHost(Profile.QEMU_11_0).withMemory().device("d0", SMMU_PLAIN).device("d1", SMMU_PLAIN)
                    .device("p", SMMU_PLAIN);
            h.vmm.attach(behind("d0", ViommuKind.ARM_SMMUV3_ACCEL));
            h.vmm.attach(behind("d1", ViommuKind.ARM_SMMUV3_ACCEL));
            h.attach("p");
            Snapshots.Topology t = h.topology();
            assertThat(t.containers()).hasSize(2);
            Snapshots.ContainerView accel = t.container(t.device("d0").ioasId());
            assertThat(accel.devices()).containsExactly("d1", "d0");
            assertThat(accel.hwpts()).singleElement().satisfies(hw -> {
                assertThat(hw.flags()).isEqualTo(HwptAllocFlag.setOf(HwptAllocFlag.NEST_PARENT));
                assertThat(hw.devices()).containsExactly("d1", "d0");
            });
            assertThat(t.container(t.device("p").ioasId()).hwpts().get(0).flags()).isEqualTo(HwptAllocFlag.none());
        }

        @Test
        @DisplayName("Q-EV-3: qemu-10.2 never asks for NEST_PARENT, and its intel-iommu x-flts refuses the host device")
        void beforeElevenXFltsRefusesHostDevices() {
            TestHost h = new TestHost(Profile.QEMU_10_2).withMemory().device("d", TestHost.DIRTY);
            assertThatThrownBy(() -> h.vmm.attach(behind("d", ViommuKind.INTEL_IOMMU_X_FLTS)))
                    .isInstanceOfSatisfying(VfioException.class, e -> {
                        assertThat(e.qemuMessage())
                                .isEqualTo("Failed to set vIOMMU: host device is uncompatible with stage-1 translation");
                        assertThat(e.errno()).isNull();
                    });
            List<BackendCall> calls = h.fullCalls();
            assertThat(calls.stream().filter(c -> c.op() == BackendOp.HWPT_ALLOC).findFirst().orElseThrow().flags())
                    .isEqualTo(HwptAllocFlag.setOf(HwptAllocFlag.DIRTY_TRACKING));
            assertThat(calls.stream().map(c -> c.op().name()).toList()).containsExactly("BIND", "IOAS_ALLOC", "GET_HW_INFO",
                    "HWPT_ALLOC", "ATTACH", "IOAS_MAP", "GET_HW_INFO", "DETACH", "DESTROY", "IOAS_UNMAP", "DESTROY", "UNBIND");
            assertThat(h.dev("d").attached()).isFalse();
            assertThat(h.dev("d").migration()).isNull();
        }

        @Test
        @DisplayName("Q-EV-3: a vIOMMU kind the profile's QEMU lacks is refused before any call")
        void kindsAProfileLacks() {
            TestHost old = new TestHost(Profile.QEMU_9_1).device("d", TestHost.DIRTY);
            assertThatThrownBy(() -> old.vmm.attach(behind("d", ViommuKind.INTEL_IOMMU_X_FLTS)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("Property 'intel-iommu.x-flts' not found").hasMessageContaining("qemu-9.1");
            TestHost mid = new TestHost(Profile.QEMU_10_2).device("d", SMMU_PLAIN);
            assertThatThrownBy(() -> mid.vmm.attach(behind("d", ViommuKind.ARM_SMMUV3_ACCEL)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("Property 'arm-smmuv3.accel' not found");
            assertThat(old.calls()).isEmpty();
            assertThat(mid.calls()).isEmpty();
        }
    }

    @Nested
    @DisplayName("Q-EV-13 (qemu-11.0): the accelerated vSMMU blocks migration")
    class QEv13 {
        @Test
        @DisplayName("Q-EV-13: a device VFIO would let migrate is blocked by the vSMMU's blocker, never fatally")
        void accelBlocks() {
            for (OnOffAuto e : List.of(OnOffAuto.AUTO, OnOffAuto.ON)) {
                TestHost h = new TestHost(Profile.QEMU_11_0).withMemory().device("d", TestHost.DIRTY); // takes both flags
                h.vmm.attach(new DeviceConfig("d", "d", e, OnOffAuto.ON, ViommuKind.ARM_SMMUV3_ACCEL));
                MigrationDecision m = h.dev("d").migration();
                assertThat(m.rule()).isEqualTo("Q-EV-13");
                assertThat(m.allowed()).isFalse();
                assertThat(m.fatal()).isFalse();
                assertThat(m.message()).isEqualTo("Migration not supported with SMMUv3 accelerator mode enabled");
                assertThat(h.dev("d").attached()).isTrue();
            }
        }

        @Test
        @DisplayName("Q-EV-13: VFIO's own blocker comes first (Q-MIG-3 for a device without any tracking)")
        void vfioBlockerFirst() {
            TestHost h = new TestHost(Profile.QEMU_11_0).withMemory().device("d", SMMU_PLAIN);
            h.vmm.attach(behind("d", ViommuKind.ARM_SMMUV3_ACCEL));
            assertThat(h.dev("d").migration().rule()).isEqualTo("Q-MIG-3");
        }
    }

    @Nested
    @DisplayName("Q-EV-5 (qemu-11.0): dirty bits read before a vIOMMU unmap")
    class QEv5 {
        List<DirtyRun> runs(TestHost h) {
            List<DirtyRun> runs = new ArrayList<>();
            h.vmm.addDirtyListener(runs::add);
            return runs;
        }

        @Test
        @DisplayName("Q-EV-5: with the IOMMU tracker, GET_DIRTY_BITMAP with NO_CLEAR, then IOAS_UNMAP; the page is reported")
        void iommuTrackerQueriesFirst() {
            TestHost h = translating(Profile.QEMU_11_0, TestHost.DIRTY, false);
            List<DirtyRun> runs = runs(h);
            h.vmm.startDirtyTracking();
            h.mock.dmaWrite(h.vmm.devId("d"), IOVA, PAGE);
            h.calls();
            h.vmm.viommuUnmap("d", IOVA, PAGE);
            List<BackendCall> calls = h.fullCalls();
            assertThat(calls.stream().map(c -> c.op().name()).toList()).containsExactly("GET_DIRTY_BITMAP", "IOAS_UNMAP");
            assertThat(calls.get(0).args()).containsEntry("noClear", true);
            assertThat(runs).containsExactly(new DirtyRun(new IovaRange(IOVA, PAGE), false));
        }

        @Test
        @DisplayName("Q-EV-5: qemu-10.2 only unmaps: the page written through the mapping is never reported")
        void beforeElevenTheBitsAreDropped() {
            TestHost h = translating(Profile.QEMU_10_2, TestHost.DIRTY, false);
            List<DirtyRun> runs = runs(h);
            h.vmm.startDirtyTracking();
            h.mock.dmaWrite(h.vmm.devId("d"), IOVA, PAGE);
            h.calls();
            h.vmm.viommuUnmap("d", IOVA, PAGE);
            assertThat(h.calls()).containsExactly("IOAS_UNMAP=ok");
            h.vmm.syncAllMemory();
            assertThat(runs).isEmpty();
        }

        @Test
        @DisplayName("Q-EV-5: with the device tracker, IOAS_UNMAP first, then the DMA logging report (flags 0)")
        void deviceTrackerUnmapsFirst() {
            TestHost h = translating(Profile.QEMU_11_0, TestHost.PLAIN, true);
            List<DirtyRun> runs = runs(h);
            h.vmm.startDirtyTracking();
            assertThat(h.calls()).containsExactly("DMA_LOGGING_START=ok");
            h.mock.dmaWrite(h.vmm.devId("d"), IOVA, PAGE);
            h.vmm.viommuUnmap("d", IOVA, PAGE);
            assertThat(h.calls()).containsExactly("IOAS_UNMAP=ok", "DMA_LOGGING_REPORT=ok");
            assertThat(runs).containsExactly(new DirtyRun(new IovaRange(IOVA, PAGE), false));
        }

        @Test
        @DisplayName("Q-EV-5: before tracking has started, an unmap is only an unmap")
        void beforeTrackingOnlyUnmap() {
            TestHost h = translating(Profile.QEMU_11_0, TestHost.DIRTY, false);
            h.vmm.viommuUnmap("d", IOVA, PAGE);
            assertThat(h.calls()).containsExactly("IOAS_UNMAP=ok");
        }

        @Test
        @DisplayName("Q-EV-5: a failed query still unmaps (no stale mapping) and fails with the query's errno")
        void failedQueryStillUnmaps() {
            TestHost h = translating(Profile.QEMU_11_0, TestHost.DIRTY, false);
            h.vmm.startDirtyTracking();
            h.calls();
            h.mock.failNth(BackendOp.GET_DIRTY_BITMAP, 1, Errno.EIO);
            assertThatThrownBy(() -> h.vmm.viommuUnmap("d", IOVA, PAGE)).isInstanceOfSatisfying(VfioException.class,
                    e -> {
                        assertThat(e.errno()).isEqualTo(Errno.EIO);
                        assertThat(e.qemuMessage()).startsWith("vfio_container_dma_unmap(ioas 2, iova 0x1000000, size 0x1000)");
                    });
            assertThat(h.calls()).containsExactly("GET_DIRTY_BITMAP=EIO", "IOAS_UNMAP=ok");
            assertThat(h.vmm.viommuMappings("d")).isEmpty();
        }

        @Test
        @DisplayName("Q-EV-5: the unmap's own failure wins over a good query")
        void unmapFailureWins() {
            TestHost h = translating(Profile.QEMU_11_0, TestHost.DIRTY, false);
            h.vmm.startDirtyTracking();
            h.calls();
            h.mock.failNth(BackendOp.IOAS_UNMAP, 1, Errno.ENOMEM);
            assertThatThrownBy(() -> h.vmm.viommuUnmap("d", IOVA, PAGE))
                    .isInstanceOfSatisfying(VfioException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOMEM));
            assertThat(h.calls()).containsExactly("GET_DIRTY_BITMAP=ok", "IOAS_UNMAP=ENOMEM");
        }

        @Test
        @DisplayName("vIOMMU mappings: one IOTLB entry of writable guest RAM, replayed into the next container")
        void mappingsAreTheGuests() {
            TestHost h = translating(Profile.QEMU_11_0, TestHost.DIRTY, false);
            assertThatThrownBy(() -> h.vmm.viommuMap("d", IOVA + PAGE, 3 * PAGE)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("one IOTLB entry");
            assertThatThrownBy(() -> h.vmm.viommuMap("d", 0x40000000L, PAGE)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not writable guest memory");
            assertThatThrownBy(() -> h.vmm.viommuMap("d", IOVA, 2 * PAGE)).hasMessageContaining("overlaps");
            h.vmm.detach("d");
            h.calls();
            h.vmm.attach(behind("d", ViommuKind.INTEL_IOMMU));
            assertThat(withArgs(h)).filteredOn(c -> c.startsWith("IOAS_MAP"))
                    .containsExactly("IOAS_MAP(ioasId 2, iova 0x1000000, length 0x1000)=ok");
            TestHost plain = new TestHost(Profile.QEMU_11_0).withMemory().device("p", TestHost.DIRTY);
            plain.attach("p");
            assertThatThrownBy(() -> plain.vmm.viommuMap("p", IOVA, PAGE)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("no translating vIOMMU");
        }
    }

    @Nested
    @DisplayName("Q-EV-10 (qemu-11.0): guest RAM leaving during dirty logging is synced first")
    class QEv10 {
        List<String> unmapDuringTracking(Profile p) {
            TestHost h = new TestHost(p).withMemory().device("a", TestHost.DIRTY);
            h.attach("a");
            h.vmm.startDirtyTracking();
            h.calls();
            h.vmm.unmapMemory(TestHost.MEMORY_IOVA, TestHost.MEMORY_LENGTH);
            return withArgs(h);
        }

        @Test
        @DisplayName("Q-EV-10: qemu-11.0 queries the range with NO_CLEAR before IOAS_UNMAP")
        void queriedFirst() {
            assertThat(unmapDuringTracking(Profile.QEMU_11_0)).containsExactly(
                    "GET_DIRTY_BITMAP(hwptId 3, iova 0x1000000, length 0x400000, pageSize 4096, noClear true)=ok",
                    "IOAS_UNMAP(ioasId 2, iova 0x1000000, length 0x400000)=ok");
        }

        @Test
        @DisplayName("Q-EV-10: qemu-10.2 unmaps only; outside dirty logging qemu-11.0 does too")
        void unmapOnly() {
            assertThat(unmapDuringTracking(Profile.QEMU_10_2))
                    .containsExactly("IOAS_UNMAP(ioasId 2, iova 0x1000000, length 0x400000)=ok");
            TestHost h = new TestHost(Profile.QEMU_11_0).withMemory().device("a", TestHost.DIRTY);
            h.attach("a");
            h.calls();
            h.vmm.unmapMemory(TestHost.MEMORY_IOVA, TestHost.MEMORY_LENGTH);
            assertThat(h.calls()).containsExactly("IOAS_UNMAP=ok");
        }
    }

    @Nested
    @DisplayName("Q-EV-12 (qemu-11.0): read-only memory is not tracked")
    class QEv12 {
        static final long ROM = 0x2000000;

        TestHost withRom(Profile p, DeviceSpec spec) {
            TestHost h = new TestHost(p).withMemory().device(spec);
            h.vmm.mapMemory(ROM, 0x100000, true);
            h.attach(spec.name());
            h.calls();
            return h;
        }

        @Test
        @DisplayName("Q-EV-12: both profiles map the read-only range; only qemu-10.2 syncs it")
        void syncSkipsReadOnly() {
            for (Profile p : List.of(Profile.QEMU_10_2, Profile.QEMU_11_0)) {
                TestHost h = new TestHost(p).withMemory().device("a", TestHost.DIRTY);
                h.vmm.mapMemory(ROM, 0x100000, true);
                h.attach("a");
                assertThat(h.calls()).as(p.name()).filteredOn(c -> c.startsWith("IOAS_MAP")).hasSize(2);
                h.vmm.startDirtyTracking();
                h.calls();
                h.vmm.syncAllMemory();
                assertThat(h.calls()).as(p.name()).hasSize(p == Profile.QEMU_11_0 ? 1 : 2);
            }
            assertThat(new TestHost().vmm.readOnlyMemory()).isEmpty();
        }

        @Test
        @DisplayName("Q-EV-12: qemu-11.0 leaves read-only memory out of the DMA-logging ranges (one range either way,"
                + " Q-DT-8: 10.2's reaches over the ROM, 11.0's ends with the RAM)")
        void loggingRanges() {
            for (Profile p : List.of(Profile.QEMU_10_2, Profile.QEMU_11_0)) {
                TestHost h = withRom(p, vf("v", TestHost.PLAIN));
                h.vmm.startDirtyTracking();
                BackendCall start = h.fullCalls().get(0);
                assertThat(start.op()).isEqualTo(BackendOp.DMA_LOGGING_START);
                assertThat(start.args()).as(p.name()).containsEntry("ranges", 1);
                // A write into the ROM is logged only where the range covers it.
                int dev = h.vmm.devId("v");
                h.mock.dmaWrite(dev, ROM, 4096);
                io.github.iommufd4j.api.DirtyBitmap bits = io.github.iommufd4j.api.DirtyBitmap.forRange(4096, 4096);
                h.mock.dmaLoggingReport(dev, ROM, 4096, 4096, bits);
                assertThat(bits.cardinality()).as(p.name()).isEqualTo(p == Profile.QEMU_11_0 ? 0 : 1);
            }
        }

        @Test
        @DisplayName("Q-EV-12: read-only memory leaving during dirty logging carries no IOTLB entry (no query)")
        void readOnlyUnmapNotQueried() {
            TestHost h = withRom(Profile.QEMU_11_0, DeviceSpec.plain("a", TestHost.DIRTY));
            h.vmm.startDirtyTracking();
            h.calls();
            h.vmm.unmapMemory(ROM, 0x100000);
            assertThat(h.calls()).containsExactly("IOAS_UNMAP=ok");
            assertThat(h.vmm.readOnlyMemory()).isEmpty();
        }
    }

    @Nested
    @DisplayName("Q-EV-6 (qemu-11.0): the vIOMMU blocker only for devices using their own dirty tracking")
    class QEv6 {
        MigrationDecision decision(Profile p, DeviceSpec spec) {
            TestHost h = new TestHost(p).withMemory().device(spec);
            h.vmm.attach(new DeviceConfig(spec.name(), spec.name(), OnOffAuto.AUTO, OnOffAuto.ON, true));
            return h.dev(spec.name()).migration();
        }

        @Test
        @DisplayName("Q-EV-6: a device on IOMMU dirty tracking behind a vIOMMU: blocked by Q-MIG-5 in qemu-10.2, allowed in qemu-11.0")
        void iommuTrackedDeviceAllowed() {
            assertThat(decision(Profile.QEMU_10_2, DeviceSpec.plain("d", TestHost.DIRTY)).rule()).isEqualTo("Q-MIG-5");
            MigrationDecision now = decision(Profile.QEMU_11_0, DeviceSpec.plain("d", TestHost.DIRTY));
            assertThat(now.rule()).isEqualTo("Q-MIG-6");
            assertThat(now.allowed()).isTrue();
        }

        @Test
        @DisplayName("Q-EV-6: a device with its own DMA logging behind a vIOMMU is blocked in both")
        void vfDeviceStillBlocked() {
            assertThat(decision(Profile.QEMU_10_2, vf("d", TestHost.DIRTY)).message())
                    .isEqualTo("d: Migration is currently not supported with vIOMMU enabled");
            assertThat(decision(Profile.QEMU_11_0, vf("d", TestHost.DIRTY)).rule()).isEqualTo("Q-MIG-5");
        }
    }

    @Nested
    @DisplayName("Q-EV-11 (qemu-11.0): the dirty-bitmap limit with enable-migration=on")
    class QEv11 {
        TestHost heterogeneous(Profile p) {
            TestHost h = new TestHost(p).withMemory().device("a", TestHost.DIRTY).device("b", TestHost.PLAIN);
            h.attach("a");
            h.calls();
            return h;
        }

        @Test
        @DisplayName("Q-EV-11: in a container with dirty_pages_supported, a device without tracking and enable-migration=on fails to realize")
        void blocksFatallyWhenTheContainerSupportsDirtyPages() {
            TestHost h = heterogeneous(Profile.QEMU_11_0);
            assertThatThrownBy(() -> h.attach("b", OnOffAuto.ON)).isInstanceOfSatisfying(VfioException.class, e -> {
                assertThat(e.qemuMessage()).isEqualTo("b: Migration is currently not supported with large memory VM due"
                        + " to dirty tracking limitation in backend");
                assertThat(e.errno()).isNull();
            });
            assertThat(h.dev("b").migration().rule()).isEqualTo("Q-EV-11");
            assertThat(h.dev("b").migration().fatal()).isTrue();
            assertThat(h.dev("b").attached()).isFalse();
            assertThat(h.warnings()).containsExactly("IOMMU instance for device b doesn't support dirty tracking");
        }

        @Test
        @DisplayName("Q-EV-11: qemu-10.2 only warns (Q-MIG-3 with on) and the device stays")
        void beforeElevenOnlyWarns() {
            TestHost h = heterogeneous(Profile.QEMU_10_2);
            h.attach("b", OnOffAuto.ON);
            assertThat(h.dev("b").attached()).isTrue();
            assertThat(h.warnings()).contains("b: VFIO device doesn't support device and IOMMU dirty tracking");
        }

        @Test
        @DisplayName("Q-EV-11: a container without dirty_pages_supported has no limit: warning only in qemu-11.0 too")
        void noLimitWithoutDirtyPages() {
            TestHost h = new TestHost(Profile.QEMU_11_0).withMemory().device("b", TestHost.PLAIN);
            h.attach("b", OnOffAuto.ON);
            assertThat(h.dev("b").attached()).isTrue();
            assertThat(h.dev("b").migration().allowed()).isTrue();
            assertThat(h.warnings()).containsExactly("b: VFIO device doesn't support device and IOMMU dirty tracking");
        }
    }

    @Test
    @DisplayName("the later profiles are qemu-10.0 plus their rows, each derived from the one before")
    void profilesAreCompositions() {
        assertThat(Profile.named("qemu-10.1")).isSameAs(Profile.QEMU_10_1);
        assertThat(Profile.named("qemu-10.2")).isSameAs(Profile.QEMU_10_2);
        assertThat(Profile.named("qemu-11.0")).isSameAs(Profile.QEMU_11_0);
        for (Profile p : List.of(Profile.QEMU_10_1, Profile.QEMU_10_2, Profile.QEMU_11_0)) {
            assertThat(p.startStopGuard()).as(p.name()).isEqualTo(Profile.QEMU_10_0.startStopGuard());
            assertThat(p.tracker()).isSameAs(Profile.QEMU_10_0.tracker());
            assertThat(p.hwptPlacement()).isEqualTo(Profile.QEMU_10_0.hwptPlacement());
            assertThat(p.hostIommuRealize()).isEqualTo(HostIommuRealize.AFTER_ATTACH);
        }
        assertThat(Profile.QEMU_10_0.hostIommuRealize()).isEqualTo(HostIommuRealize.BEFORE_ATTACH);
        assertThat(List.of(Profile.QEMU_10_0.unmapAll(), Profile.QEMU_10_1.unmapAll(), Profile.QEMU_10_2.unmapAll(),
                Profile.QEMU_11_0.unmapAll())).containsExactly(UnmapAll.TWO_HALVES, UnmapAll.TWO_HALVES_UNTIL_FAILURE,
                UnmapAll.ONE_CALL, UnmapAll.ONE_CALL);
        assertThat(Profile.QEMU_10_2.nestingParentRequest()).isEqualTo(NestingParentRequest.NEVER);
        assertThat(Profile.QEMU_11_0.nestingParentRequest()).isEqualTo(NestingParentRequest.WHEN_VIOMMU_WANTS);
        assertThat(Profile.QEMU_11_0.toString()).startsWith("qemu-11.0 [").contains("unmap-all ONE_CALL", "vIOMMUs NESTED");
    }
}
