package io.github.iommufd4j.backend.linux.sys;

/**
 * A block of native memory whose address is handed to the kernel inside a struct (a dirty bitmap, hw-info
 * driver data, DMA logging ranges, guest memory). Accesses are bounds-checked against {@link #size()}.
 * Closing frees it ({@code free} or {@code munmap}); closing twice is harmless.
 */
public interface NativeRegion extends AutoCloseable {

    /** The address to put in a struct's pointer field. */
    long address();

    /** Size in bytes. */
    long size();

    /** Reads the 64-bit word at {@code offset}. */
    long getLong(long offset);

    /** Writes the 64-bit word at {@code offset}. */
    void putLong(long offset, long value);

    /** Copies {@code dst.length} bytes from {@code offset} into {@code dst}. */
    void read(long offset, byte[] dst);

    /** Frees the memory. */
    @Override
    void close();

    /** Throws unless {@code [offset, offset + width)} lies inside a region of {@code size} bytes. */
    static void checkBounds(long size, long offset, long width) {
        if (offset < 0 || width < 0 || offset > size - width) {
            throw new IndexOutOfBoundsException(width + " bytes at offset " + offset + " outside a native region of "
                    + size + " bytes");
        }
    }
}
