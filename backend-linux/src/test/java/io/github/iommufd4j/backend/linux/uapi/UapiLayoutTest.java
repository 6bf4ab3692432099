package io.github.iommufd4j.backend.linux.uapi;

import io.github.iommufd4j.api.HwCap;
import io.github.iommufd4j.api.HwInfoType;
import io.github.iommufd4j.api.HwptAllocFlag;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The layout proof: every size, offset, flag and request number the Java side uses, checked (1) against the
 * table of {@code docs/reference/kernel-uapi.md} written down here, and (2) against the kernel's own UAPI headers through a C
 * probe compiled with gcc. Every mismatch is reported at once.
 *
 * <p>Headers: {@code IOMMUFD4J_UAPI_INCLUDE} (system property or environment variable) names a directory
 * holding {@code linux/iommufd.h} and {@code linux/vfio.h}; otherwise {@code /usr/src/linux-headers-6.12*-common/
 * include/uapi} (Debian's package, installed by {@code .ci/install-uapi-headers}). {@code iommufd_test.h} is
 * compared when {@code IOMMUFD4J_IOMMUFD_TEST_H} names it or a {@code linux-source-6.12*} tree is unpacked in
 * {@code /usr/src}. Without headers or gcc the compiled part is skipped, except on CI ({@code CI=true}) where
 * it fails.
 */
class UapiLayoutTest {

    /** Where a fact is defined. */
    enum Header {
        /** {@code linux/iommufd.h} or {@code linux/vfio.h} of 6.12. */
        UAPI,
        /** {@code iommufd_test.h}. */
        TEST,
        /** Newer than the 6.12 headers: checked against docs/reference/kernel-uapi.md only. */
        NEWER
    }

    /**
     * One fact: the C expression, the Java value, and the value in docs/reference/kernel-uapi.md (null where the spec does
     * not list it).
     */
    record Fact(Header header, String c, long java, Long spec) {
    }

    private static final List<Fact> FACTS = new ArrayList<>();

    private static void uapi(String c, long java, Long spec) {
        FACTS.add(new Fact(Header.UAPI, c, java, spec));
    }

    private static void test(String c, long java, Long spec) {
        FACTS.add(new Fact(Header.TEST, c, java, spec));
    }

    private static void off(String struct, String field, long java, Long spec) {
        uapi("offsetof(struct " + struct + ", " + field + ")", java, spec);
    }

    private static void size(String struct, long java, Long spec) {
        uapi("sizeof(struct " + struct + ")", java, spec);
    }

    private static void req(String macro, int java, long spec) {
        uapi(macro, Integer.toUnsignedLong(java), spec);
    }

    private static Long s(long v) {
        return v;
    }

    static {
        // Request numbers (docs/reference/kernel-uapi.md section 1; x86-64 values).
        req("IOMMU_DESTROY", IommuDestroy.REQUEST, 0x3b80);
        req("IOMMU_IOAS_ALLOC", IoasAlloc.REQUEST, 0x3b81);
        req("IOMMU_IOAS_MAP", IoasMap.REQUEST, 0x3b85);
        req("IOMMU_IOAS_UNMAP", IoasUnmap.REQUEST, 0x3b86);
        req("IOMMU_HWPT_ALLOC", HwptAlloc.REQUEST, 0x3b89);
        req("IOMMU_GET_HW_INFO", HwInfo.REQUEST, 0x3b8a);
        req("IOMMU_HWPT_SET_DIRTY_TRACKING", SetDirtyTracking.REQUEST, 0x3b8b);
        req("IOMMU_HWPT_GET_DIRTY_BITMAP", GetDirtyBitmap.REQUEST, 0x3b8c);
        req("VFIO_DEVICE_FEATURE", VfioFeature.REQUEST, 0x3b75);
        req("VFIO_DEVICE_BIND_IOMMUFD", VfioBind.REQUEST, 0x3b76);
        req("VFIO_DEVICE_ATTACH_IOMMUFD_PT", VfioAttach.REQUEST, 0x3b77);
        req("VFIO_DEVICE_DETACH_IOMMUFD_PT", VfioDetach.REQUEST, 0x3b78);
        test("IOMMU_TEST_CMD", Integer.toUnsignedLong(IommuTestCmd.REQUEST), s(0x3ba0));

        size("iommu_destroy", IommuDestroy.SIZE, s(8));
        off("iommu_destroy", "size", IommuDestroy.OFF_SIZE, s(0));
        off("iommu_destroy", "id", IommuDestroy.OFF_ID, s(4));

        size("iommu_ioas_alloc", IoasAlloc.SIZE, s(12));
        off("iommu_ioas_alloc", "flags", IoasAlloc.OFF_FLAGS, s(4));
        off("iommu_ioas_alloc", "out_ioas_id", IoasAlloc.OFF_OUT_IOAS_ID, s(8));

        size("iommu_ioas_map", IoasMap.SIZE, s(40));
        off("iommu_ioas_map", "flags", IoasMap.OFF_FLAGS, s(4));
        off("iommu_ioas_map", "ioas_id", IoasMap.OFF_IOAS_ID, s(8));
        off("iommu_ioas_map", "__reserved", IoasMap.OFF_RESERVED, s(12));
        off("iommu_ioas_map", "user_va", IoasMap.OFF_USER_VA, s(16));
        off("iommu_ioas_map", "length", IoasMap.OFF_LENGTH, s(24));
        off("iommu_ioas_map", "iova", IoasMap.OFF_IOVA, s(32));
        uapi("IOMMU_IOAS_MAP_FIXED_IOVA", IoasMap.FLAG_FIXED_IOVA, s(1));
        uapi("IOMMU_IOAS_MAP_WRITEABLE", IoasMap.FLAG_WRITEABLE, s(2));
        uapi("IOMMU_IOAS_MAP_READABLE", IoasMap.FLAG_READABLE, s(4));

        size("iommu_ioas_unmap", IoasUnmap.SIZE, s(24));
        off("iommu_ioas_unmap", "ioas_id", IoasUnmap.OFF_IOAS_ID, s(4));
        off("iommu_ioas_unmap", "iova", IoasUnmap.OFF_IOVA, s(8));
        off("iommu_ioas_unmap", "length", IoasUnmap.OFF_LENGTH, s(16));

        size("iommu_hw_info", HwInfo.SIZE, s(40));
        off("iommu_hw_info", "flags", HwInfo.OFF_FLAGS, s(4));
        off("iommu_hw_info", "dev_id", HwInfo.OFF_DEV_ID, s(8));
        off("iommu_hw_info", "data_len", HwInfo.OFF_DATA_LEN, s(12));
        off("iommu_hw_info", "data_uptr", HwInfo.OFF_DATA_UPTR, s(16));
        off("iommu_hw_info", "out_data_type", HwInfo.OFF_OUT_DATA_TYPE, s(24));
        // docs/reference/kernel-uapi.md lists a u32 __reserved@28; the 6.12.117 headers split it into u8 out_max_pasid_log2@28
        // and u8 __reserved[3]@29.
        off("iommu_hw_info", "out_max_pasid_log2", HwInfo.OFF_OUT_MAX_PASID_LOG2, s(28));
        off("iommu_hw_info", "__reserved", HwInfo.OFF_RESERVED, null);
        off("iommu_hw_info", "out_capabilities", HwInfo.OFF_OUT_CAPABILITIES, s(32));
        uapi("IOMMU_HW_CAP_DIRTY_TRACKING", HwCap.DIRTY_TRACKING.bit(), s(1));
        uapi("IOMMU_HW_INFO_TYPE_NONE", HwInfoType.NONE.code(), s(0));
        uapi("IOMMU_HW_INFO_TYPE_INTEL_VTD", HwInfoType.INTEL_VTD.code(), s(1));
        // ARM SMMUv3 and Tegra241 hw-info types arrived after 6.12, as did PASID.
        FACTS.add(new Fact(Header.NEWER, "IOMMU_HW_INFO_TYPE_ARM_SMMUV3", HwInfoType.ARM_SMMUV3.code(), s(2)));
        FACTS.add(new Fact(Header.NEWER, "IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV", HwInfoType.TEGRA241_CMDQV.code(), s(3)));
        FACTS.add(new Fact(Header.NEWER, "IOMMU_HWPT_ALLOC_PASID", HwptAllocFlag.PASID.bit(), s(8)));

        size("iommu_hwpt_alloc", HwptAlloc.FULL_SIZE, s(48));
        off("iommu_hwpt_alloc", "flags", HwptAlloc.OFF_FLAGS, s(4));
        off("iommu_hwpt_alloc", "dev_id", HwptAlloc.OFF_DEV_ID, s(8));
        off("iommu_hwpt_alloc", "pt_id", HwptAlloc.OFF_PT_ID, s(12));
        off("iommu_hwpt_alloc", "out_hwpt_id", HwptAlloc.OFF_OUT_HWPT_ID, s(16));
        off("iommu_hwpt_alloc", "__reserved", HwptAlloc.OFF_RESERVED, s(20));
        off("iommu_hwpt_alloc", "data_type", HwptAlloc.OFF_DATA_TYPE, s(24));
        off("iommu_hwpt_alloc", "data_len", HwptAlloc.OFF_DATA_LEN, s(28));
        off("iommu_hwpt_alloc", "data_uptr", HwptAlloc.OFF_DATA_UPTR, s(32));
        off("iommu_hwpt_alloc", "fault_id", HwptAlloc.OFF_FAULT_ID, s(40));
        off("iommu_hwpt_alloc", "__reserved2", HwptAlloc.OFF_RESERVED2, s(44));
        // K-GEN-4: the 24 bytes sent end exactly where the driver-data fields begin (the 6.6 struct).
        off("iommu_hwpt_alloc", "data_type", HwptAlloc.SIZE, s(24));
        uapi("IOMMU_HWPT_ALLOC_NEST_PARENT", HwptAllocFlag.NEST_PARENT.bit(), s(1));
        uapi("IOMMU_HWPT_ALLOC_DIRTY_TRACKING", HwptAllocFlag.DIRTY_TRACKING.bit(), s(2));
        uapi("IOMMU_HWPT_FAULT_ID_VALID", HwptAllocFlag.FAULT_ID_VALID.bit(), s(4));

        size("iommu_hwpt_set_dirty_tracking", SetDirtyTracking.SIZE, s(16));
        off("iommu_hwpt_set_dirty_tracking", "flags", SetDirtyTracking.OFF_FLAGS, s(4));
        off("iommu_hwpt_set_dirty_tracking", "hwpt_id", SetDirtyTracking.OFF_HWPT_ID, s(8));
        off("iommu_hwpt_set_dirty_tracking", "__reserved", SetDirtyTracking.OFF_RESERVED, s(12));
        uapi("IOMMU_HWPT_DIRTY_TRACKING_ENABLE", SetDirtyTracking.FLAG_ENABLE, s(1));

        size("iommu_hwpt_get_dirty_bitmap", GetDirtyBitmap.SIZE, s(48));
        off("iommu_hwpt_get_dirty_bitmap", "hwpt_id", GetDirtyBitmap.OFF_HWPT_ID, s(4));
        off("iommu_hwpt_get_dirty_bitmap", "flags", GetDirtyBitmap.OFF_FLAGS, s(8));
        off("iommu_hwpt_get_dirty_bitmap", "__reserved", GetDirtyBitmap.OFF_RESERVED, s(12));
        off("iommu_hwpt_get_dirty_bitmap", "iova", GetDirtyBitmap.OFF_IOVA, s(16));
        off("iommu_hwpt_get_dirty_bitmap", "length", GetDirtyBitmap.OFF_LENGTH, s(24));
        off("iommu_hwpt_get_dirty_bitmap", "page_size", GetDirtyBitmap.OFF_PAGE_SIZE, s(32));
        off("iommu_hwpt_get_dirty_bitmap", "data", GetDirtyBitmap.OFF_DATA, s(40));
        uapi("IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR", GetDirtyBitmap.FLAG_NO_CLEAR, s(1));

        size("vfio_device_bind_iommufd", VfioBind.SIZE, s(16));
        off("vfio_device_bind_iommufd", "argsz", VfioBind.OFF_ARGSZ, s(0));
        off("vfio_device_bind_iommufd", "flags", VfioBind.OFF_FLAGS, s(4));
        off("vfio_device_bind_iommufd", "iommufd", VfioBind.OFF_IOMMUFD, s(8));
        off("vfio_device_bind_iommufd", "out_devid", VfioBind.OFF_OUT_DEVID, s(12));

        size("vfio_device_attach_iommufd_pt", VfioAttach.SIZE, s(12));
        off("vfio_device_attach_iommufd_pt", "flags", VfioAttach.OFF_FLAGS, s(4));
        off("vfio_device_attach_iommufd_pt", "pt_id", VfioAttach.OFF_PT_ID, s(8));

        size("vfio_device_detach_iommufd_pt", VfioDetach.SIZE, s(8));
        off("vfio_device_detach_iommufd_pt", "flags", VfioDetach.OFF_FLAGS, s(4));

        size("vfio_device_feature", VfioFeature.HEADER_SIZE, null);
        off("vfio_device_feature", "flags", VfioFeature.OFF_FLAGS, null);
        off("vfio_device_feature", "data", VfioFeature.OFF_DATA, null);
        uapi("VFIO_DEVICE_FEATURE_GET", VfioFeature.FLAG_GET, s(1 << 16));
        uapi("VFIO_DEVICE_FEATURE_SET", VfioFeature.FLAG_SET, s(1 << 17));
        uapi("VFIO_DEVICE_FEATURE_PROBE", VfioFeature.FLAG_PROBE, s(1 << 18));
        uapi("VFIO_DEVICE_FEATURE_MIGRATION", VfioFeature.FEATURE_MIGRATION, s(1));
        uapi("VFIO_DEVICE_FEATURE_DMA_LOGGING_START", VfioFeature.FEATURE_DMA_LOGGING_START, s(6));
        uapi("VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP", VfioFeature.FEATURE_DMA_LOGGING_STOP, s(7));
        uapi("VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT", VfioFeature.FEATURE_DMA_LOGGING_REPORT, s(8));
        uapi("VFIO_MIGRATION_STOP_COPY", VfioFeature.MIGRATION_STOP_COPY, null);
        uapi("VFIO_MIGRATION_P2P", VfioFeature.MIGRATION_P2P, null);
        size("vfio_device_feature_migration", VfioFeature.MIG_SIZE, null);
        off("vfio_device_feature_migration", "flags", VfioFeature.MIG_OFF_FLAGS, null);
        size("vfio_device_feature_dma_logging_control", VfioFeature.CTL_SIZE, null);
        off("vfio_device_feature_dma_logging_control", "page_size", VfioFeature.CTL_OFF_PAGE_SIZE, null);
        off("vfio_device_feature_dma_logging_control", "num_ranges", VfioFeature.CTL_OFF_NUM_RANGES, null);
        off("vfio_device_feature_dma_logging_control", "__reserved", VfioFeature.CTL_OFF_RESERVED, null);
        off("vfio_device_feature_dma_logging_control", "ranges", VfioFeature.CTL_OFF_RANGES, null);
        size("vfio_device_feature_dma_logging_range", VfioFeature.RANGE_SIZE, null);
        off("vfio_device_feature_dma_logging_range", "iova", VfioFeature.RANGE_OFF_IOVA, null);
        off("vfio_device_feature_dma_logging_range", "length", VfioFeature.RANGE_OFF_LENGTH, null);
        size("vfio_device_feature_dma_logging_report", VfioFeature.REPORT_SIZE, null);
        off("vfio_device_feature_dma_logging_report", "iova", VfioFeature.REPORT_OFF_IOVA, null);
        off("vfio_device_feature_dma_logging_report", "length", VfioFeature.REPORT_OFF_LENGTH, null);
        off("vfio_device_feature_dma_logging_report", "page_size", VfioFeature.REPORT_OFF_PAGE_SIZE, null);
        off("vfio_device_feature_dma_logging_report", "bitmap", VfioFeature.REPORT_OFF_BITMAP, null);

        // The selftest mock (docs/reference/kernel-uapi.md section 2 and 4).
        test("sizeof(struct iommu_test_cmd)", IommuTestCmd.SIZE, s(72));
        test("offsetof(struct iommu_test_cmd, op)", IommuTestCmd.OFF_OP, s(4));
        test("offsetof(struct iommu_test_cmd, id)", IommuTestCmd.OFF_ID, s(8));
        test("offsetof(struct iommu_test_cmd, __reserved)", IommuTestCmd.OFF_RESERVED, s(12));
        test("offsetof(struct iommu_test_cmd, last)", IommuTestCmd.OFF_LAST, s(64));
        test("offsetof(struct iommu_test_cmd, mock_domain.out_stdev_id)", IommuTestCmd.MD_OFF_OUT_STDEV_ID, s(16));
        test("offsetof(struct iommu_test_cmd, mock_domain.out_hwpt_id)", IommuTestCmd.MD_OFF_OUT_HWPT_ID, s(20));
        test("offsetof(struct iommu_test_cmd, mock_domain.out_idev_id)", IommuTestCmd.MD_OFF_OUT_IDEV_ID, s(24));
        test("offsetof(struct iommu_test_cmd, mock_domain_flags.dev_flags)", IommuTestCmd.MD_OFF_DEV_FLAGS, s(28));
        test("offsetof(struct iommu_test_cmd, mock_domain_replace.pt_id)", IommuTestCmd.REPLACE_OFF_PT_ID, s(16));
        test("offsetof(struct iommu_test_cmd, dirty.flags)", IommuTestCmd.DIRTY_OFF_FLAGS, s(16));
        test("offsetof(struct iommu_test_cmd, dirty.iova)", IommuTestCmd.DIRTY_OFF_IOVA, s(24));
        test("offsetof(struct iommu_test_cmd, dirty.length)", IommuTestCmd.DIRTY_OFF_LENGTH, s(32));
        test("offsetof(struct iommu_test_cmd, dirty.page_size)", IommuTestCmd.DIRTY_OFF_PAGE_SIZE, s(40));
        test("offsetof(struct iommu_test_cmd, dirty.uptr)", IommuTestCmd.DIRTY_OFF_UPTR, s(48));
        test("offsetof(struct iommu_test_cmd, dirty.out_nr_dirty)", IommuTestCmd.DIRTY_OFF_OUT_NR_DIRTY, s(56));
        test("IOMMU_TEST_OP_MOCK_DOMAIN", IommuTestCmd.OP_MOCK_DOMAIN, s(2));
        test("IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE", IommuTestCmd.OP_MOCK_DOMAIN_REPLACE, s(10));
        test("IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS", IommuTestCmd.OP_MOCK_DOMAIN_FLAGS, s(12));
        test("IOMMU_TEST_OP_DIRTY", IommuTestCmd.OP_DIRTY, s(13));
        test("MOCK_FLAGS_DEVICE_NO_DIRTY", IommuTestCmd.MOCK_FLAGS_DEVICE_NO_DIRTY, s(1));
        test("IOMMU_HW_INFO_TYPE_SELFTEST", Integer.toUnsignedLong(IommuTestCmd.HW_INFO_TYPE_SELFTEST), s(0xfeedbeefL));
    }

    @Test
    @DisplayName("K-GEN layout: every Java constant equals the docs/reference/kernel-uapi.md table (all mismatches at once)")
    void javaConstantsMatchTheSpecTable() {
        List<String> mismatches = new ArrayList<>();
        int compared = 0;
        for (Fact f : FACTS) {
            if (f.spec() != null) {
                compared++;
                if (f.spec() != f.java()) {
                    mismatches.add(f.c() + ": Java " + f.java() + ", docs/reference/kernel-uapi.md " + f.spec());
                }
            }
        }
        assertThat(mismatches).as("Java constants differing from docs/reference/kernel-uapi.md").isEmpty();
        assertThat(compared).as("facts compared with the spec table").isGreaterThan(90);
    }

    @Test
    @DisplayName("K-GEN layout: every Java constant equals the compiled kernel UAPI headers (all mismatches at once)")
    void javaConstantsMatchTheKernelHeaders(@TempDir Path tmp) throws Exception {
        Path include = findUapiInclude();
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        if (include == null || !gccWorks()) {
            String why = include == null
                    ? "no kernel UAPI headers: set IOMMUFD4J_UAPI_INCLUDE or run .ci/install-uapi-headers"
                      + " (Debian linux-headers-6.12.*-common)"
                    : "gcc is not installed";
            if (ci) {
                fail("the compiled layout proof must run on CI, but " + why);
            }
            assumeTrue(false, why);
        }
        Path testHeader = findIommufdTestHeader();
        Path inc = tmp.resolve("include/linux");
        Files.createDirectories(inc);
        // Only the iommufd and VFIO headers are taken from the kernel tree; <linux/types.h> and <linux/ioctl.h>
        // come from the system's sanitized copies (the raw uapi ones need kernel-internal headers).
        Files.copy(include.resolve("linux/iommufd.h"), inc.resolve("iommufd.h"));
        Files.copy(include.resolve("linux/vfio.h"), inc.resolve("vfio.h"));
        if (testHeader != null) {
            Files.copy(testHeader, inc.resolve("iommufd_test.h"));
        }
        List<Fact> facts = FACTS.stream().filter(f -> f.header() == Header.UAPI
                || (f.header() == Header.TEST && testHeader != null)).toList();
        StringBuilder c = new StringBuilder("#include <stddef.h>\n#include <stdio.h>\n#include <linux/iommufd.h>\n"
                + "#include <linux/vfio.h>\n");
        if (testHeader != null) {
            c.append("#include <linux/iommufd_test.h>\n");
        }
        c.append("int main(void) {\n");
        for (int i = 0; i < facts.size(); i++) {
            c.append("  printf(\"").append(i).append(" %llu\\n\", (unsigned long long)(").append(facts.get(i).c()).append("));\n");
        }
        c.append("  return 0;\n}\n");
        Path src = tmp.resolve("probe.c");
        Files.writeString(src, c.toString());
        Path exe = tmp.resolve("probe");
        String compileOut = run(tmp, "gcc", "-D__user=", "-I", tmp.resolve("include").toString(), "-o", exe.toString(),
                src.toString());
        assertThat(Files.isExecutable(exe)).as("probe compiled against %s; gcc said:%n%s", include, compileOut).isTrue();
        String out = run(tmp, exe.toString());

        Map<Integer, Long> values = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            String[] parts = line.trim().split(" ");
            if (parts.length == 2) {
                values.put(Integer.parseInt(parts[0]), Long.parseUnsignedLong(parts[1]));
            }
        }
        List<String> mismatches = new ArrayList<>();
        for (int i = 0; i < facts.size(); i++) {
            Long kernel = values.get(i);
            Fact f = facts.get(i);
            if (kernel == null) {
                mismatches.add(f.c() + ": the probe printed nothing");
            } else if (kernel != f.java()) {
                mismatches.add(f.c() + ": Java " + f.java() + ", kernel header " + kernel);
            }
        }
        System.out.println("layout proof: " + facts.size() + " facts compared with " + include
                + (testHeader == null ? " (iommufd_test.h not found: its facts checked against docs/reference/kernel-uapi.md only)"
                : " and " + testHeader));
        assertThat(mismatches).as("Java constants differing from the headers in %s", include).isEmpty();
    }

    @Test
    @DisplayName("K-GEN-1 mechanics: _IO(';', nr) gains the _IOC_NONE bit only on powerpc, mips and sparc")
    void requestNumbersFollowTheArchitecture() {
        assertThat(IoctlNumber.directionNone("amd64")).isZero();
        assertThat(IoctlNumber.directionNone("aarch64")).isZero();
        assertThat(IoctlNumber.directionNone("riscv64")).isZero();
        assertThat(IoctlNumber.directionNone("ppc64le")).isEqualTo(0x20000000);
        assertThat(IoctlNumber.directionNone("mips64el")).isEqualTo(0x20000000);
        assertThat(IoctlNumber.directionNone("sparcv9")).isEqualTo(0x20000000);
    }

    static Path findUapiInclude() throws IOException {
        String configured = System.getProperty("IOMMUFD4J_UAPI_INCLUDE", System.getenv("IOMMUFD4J_UAPI_INCLUDE"));
        if (configured != null && !configured.isBlank()) {
            Path p = Path.of(configured);
            if (!Files.isRegularFile(p.resolve("linux/iommufd.h"))) {
                fail("IOMMUFD4J_UAPI_INCLUDE=" + configured + " has no linux/iommufd.h");
            }
            return p;
        }
        return newest(Path.of("/usr/src"), "linux-headers-6.12*-common", "include/uapi/linux/iommufd.h", "include/uapi");
    }

    static Path findIommufdTestHeader() throws IOException {
        String configured = System.getProperty("IOMMUFD4J_IOMMUFD_TEST_H", System.getenv("IOMMUFD4J_IOMMUFD_TEST_H"));
        if (configured != null && !configured.isBlank() && Files.isRegularFile(Path.of(configured))) {
            return Path.of(configured);
        }
        Path dir = newest(Path.of("/usr/src"), "linux-source-6.12*", "drivers/iommu/iommufd/iommufd_test.h", ".");
        return dir == null ? null : dir.resolve("drivers/iommu/iommufd/iommufd_test.h").normalize();
    }

    private static Path newest(Path root, String glob, String mustHave, String result) throws IOException {
        if (!Files.isDirectory(root)) {
            return null;
        }
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root, glob)) {
            for (Path p : ds) {
                if (Files.isRegularFile(p.resolve(mustHave))) {
                    found.add(p);
                }
            }
        }
        return found.stream().max(Comparator.comparing(Path::toString)).map(p -> p.resolve(result).normalize()).orElse(null);
    }

    private static boolean gccWorks() {
        try {
            Process p = new ProcessBuilder("gcc", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String run(Path dir, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", command) + " did not finish in 60 s");
        }
        return out;
    }
}
