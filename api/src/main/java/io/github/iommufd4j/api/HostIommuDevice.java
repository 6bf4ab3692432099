package io.github.iommufd4j.api;

import java.util.Arrays;
import java.util.Objects;

/**
 * The host IOMMU seen through one device: what {@code IOMMU_GET_HW_INFO} returned for it (QEMU's
 * {@code HostIOMMUDevice} with {@code caps.type} and {@code caps.hw_caps}).
 *
 * @param deviceName     the name of the device it was read through
 * @param hwInfoTypeCode {@code out_data_type}, raw
 * @param capabilities   {@code out_capabilities}
 * @param vendorData     the driver data ({@code data_uptr} contents, {@code data_len} bytes); copied
 */
public record HostIommuDevice(String deviceName, int hwInfoTypeCode, FlagSet<HwCap> capabilities, byte[] vendorData) {

    /**
     * The hw info of one device; the driver data is copied.
     *
     * @param deviceName     the name of the device it was read through
     * @param hwInfoTypeCode {@code out_data_type}, raw
     * @param capabilities   {@code out_capabilities}
     * @param vendorData     the driver data, or null for none
     */
    public HostIommuDevice {
        Objects.requireNonNull(deviceName, "deviceName");
        Objects.requireNonNull(capabilities, "capabilities");
        vendorData = vendorData == null ? new byte[0] : vendorData.clone();
    }

    /**
     * The IOMMU family.
     *
     * @return the type named by {@link #hwInfoTypeCode()}, or {@link HwInfoType#UNKNOWN}
     */
    public HwInfoType hwInfoType() {
        return HwInfoType.ofCode(hwInfoTypeCode);
    }

    /**
     * Whether the IOMMU can track dirty pages.
     *
     * @return whether it reports {@code IOMMU_HW_CAP_DIRTY_TRACKING}
     */
    public boolean supportsDirtyTracking() {
        return capabilities.contains(HwCap.DIRTY_TRACKING);
    }

    /**
     * The driver data.
     *
     * @return a copy
     */
    @Override
    public byte[] vendorData() {
        return vendorData.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HostIommuDevice h && h.deviceName.equals(deviceName) && h.hwInfoTypeCode == hwInfoTypeCode
                && h.capabilities.equals(capabilities) && Arrays.equals(h.vendorData, vendorData);
    }

    @Override
    public int hashCode() {
        return Objects.hash(deviceName, hwInfoTypeCode, capabilities) * 31 + Arrays.hashCode(vendorData);
    }

    @Override
    public String toString() {
        return "HostIommuDevice[" + deviceName + ", type " + hwInfoType() + " (0x" + Integer.toHexString(hwInfoTypeCode)
                + "), caps " + capabilities + ", " + vendorData.length + " data bytes]";
    }
}
