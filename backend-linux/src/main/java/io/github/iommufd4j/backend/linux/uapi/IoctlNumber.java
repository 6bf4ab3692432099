package io.github.iommufd4j.backend.linux.uapi;

/**
 * Request numbers of the iommufd and VFIO commands: {@code _IO(';', nr)}. The struct size is not part of
 * the number (it travels in the struct's first {@code u32}), so the number is {@code 0x3b00 | nr}, plus the
 * {@code _IOC_NONE} direction bit {@code 0x20000000} on the architectures that define it as 1 (powerpc,
 * mips, sparc).
 */
public final class IoctlNumber {
    /** {@code IOMMUFD_TYPE} and {@code VFIO_TYPE}: the character {@code ';'}. */
    public static final int TYPE = ';';
    /** {@code IOMMUFD_CMD_BASE}. */
    public static final int IOMMUFD_CMD_BASE = 0x80;
    /** {@code VFIO_BASE}. */
    public static final int VFIO_BASE = 100;

    private static final int DIRECTION_NONE = directionNone(System.getProperty("os.arch", ""));

    private IoctlNumber() {
    }

    /** {@code _IO(';', nr)} on this machine. */
    public static int io(int nr) {
        return DIRECTION_NONE | (TYPE << 8) | nr;
    }

    /** The {@code _IOC_NONE} bits for {@code osArch} ({@code os.arch} spelling). */
    static int directionNone(String osArch) {
        String a = osArch.toLowerCase(java.util.Locale.ROOT);
        return a.startsWith("ppc") || a.startsWith("mips") || a.startsWith("sparc") ? 0x20000000 : 0;
    }
}
