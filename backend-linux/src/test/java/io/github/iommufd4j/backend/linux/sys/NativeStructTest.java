package io.github.iommufd4j.backend.linux.sys;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NativeStructTest {

    @Test
    @DisplayName("fields are written in the machine's byte order at their offsets")
    void fieldsLandAtTheirOffsets() {
        NativeStruct s = new NativeStruct("t", 16).putInt(4, 0xfeedbeef).putLong(8, 0x0102030405060708L);
        ByteBuffer b = ByteBuffer.wrap(s.toBytes()).order(ByteOrder.nativeOrder());
        assertThat(b.getInt(0)).isZero();
        assertThat(b.getInt(4)).isEqualTo(0xfeedbeef);
        assertThat(b.getLong(8)).isEqualTo(0x0102030405060708L);
        assertThat(s.getInt(4)).isEqualTo(0xfeedbeef);
    }

    @Test
    @DisplayName("a field past the end is an exception, never a write beyond the struct")
    void outOfBoundsFieldsAreRejected() {
        NativeStruct s = new NativeStruct("iommu_destroy", 8);
        assertThatThrownBy(() -> s.putLong(4, 1)).isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessageContaining("iommu_destroy").hasMessageContaining("offset 4");
        assertThatThrownBy(() -> s.getInt(-1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> s.setBytes(new byte[9])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new NativeStruct("x", 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
