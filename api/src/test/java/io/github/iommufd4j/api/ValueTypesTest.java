package io.github.iommufd4j.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ValueTypesTest {

    @Test
    void errnoNamesAndNumbers() {
        assertThat(Errno.ofNumber(22)).isEqualTo(Errno.EINVAL);
        assertThat(Errno.ofNumber(95)).isEqualTo(Errno.EOPNOTSUPP);
        assertThat(Errno.ofNumber(1000)).isEqualTo(Errno.UNKNOWN);
        assertThat(Errno.ofName("EBUSY")).contains(Errno.EBUSY);
        assertThat(Errno.ofName("UNKNOWN")).isEmpty();
    }

    @Test
    void exceptionMessageNamesTheCallItsArgumentsAndTheErrno() {
        IommufdException e = new IommufdException(BackendOp.HWPT_ALLOC, "dev 3, ioas 1, [DIRTY_TRACKING]", Errno.EOPNOTSUPP,
                95, "the IOMMU of device vf1 has no dirty tracking");
        assertThat(e).hasMessage("HWPT_ALLOC(dev 3, ioas 1, [DIRTY_TRACKING]) failed: EOPNOTSUPP - the IOMMU of device vf1 "
                + "has no dirty tracking");
        assertThat(new IommufdException(BackendOp.ATTACH, "dev 1", Errno.UNKNOWN, 555, null))
                .hasMessage("ATTACH(dev 1) failed: errno 555");
    }

    @Test
    void iovaRangeRejectsZeroLengthAndOverflow() {
        assertThat(new IovaRange(0x1000, 0x1000).last()).isEqualTo(0x1fff);
        assertThat(new IovaRange(-4096, 4096).last()).isEqualTo(-1L);
        assertThatThrownBy(() -> new IovaRange(0x1000, 0)).hasMessageContaining("length 0");
        assertThatThrownBy(() -> new IovaRange(-4096, 8192)).hasMessageContaining("overflows");
    }

    @Test
    void iovaRangeIntersection() {
        IovaRange a = new IovaRange(0x1000, 0x3000);
        assertThat(a.intersection(new IovaRange(0x2000, 0x4000))).isEqualTo(new IovaRange(0x2000, 0x2000));
        assertThat(a.intersection(new IovaRange(0x4000, 0x1000))).isNull();
        assertThat(a.intersection(new IovaRange(0x3fff, 1))).isEqualTo(new IovaRange(0x3fff, 1));
        assertThat(new IovaRange(-8192, 8192).intersection(new IovaRange(-4096, 4096))).isEqualTo(new IovaRange(-4096, 4096));
    }

    @Test
    void backendOptionsParseKeyValuePairs() {
        BackendOptions o = BackendOptions.parse(List.of("source=selftest", "devices=a,b"));
        assertThat(o.get("source", null)).isEqualTo("selftest");
        assertThat(o.get("missing", "dflt")).isEqualTo("dflt");
        assertThatThrownBy(() -> BackendOptions.parse(List.of("novalue"))).hasMessageContaining("key=value");
    }

    @Test
    void unavailableMustSayWhy() {
        assertThat(Availability.no("no /dev/iommu")).hasToString("unavailable: no /dev/iommu");
        assertThatThrownBy(() -> new Availability(false, null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void hostIommuDeviceCopiesVendorData() {
        byte[] data = {1, 2, 3};
        HostIommuDevice h = new HostIommuDevice("vf0", 0xfeedbeef, HwCap.setOf(HwCap.DIRTY_TRACKING), data);
        data[0] = 9;
        assertThat(h.vendorData()[0]).isEqualTo((byte) 1);
        assertThat(h.hwInfoType()).isEqualTo(HwInfoType.SELFTEST);
        assertThat(h.supportsDirtyTracking()).isTrue();
    }
}
