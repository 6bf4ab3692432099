package io.github.iommufd4j.backend.linux.sys;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The bytes of one ioctl argument struct, held on the Java heap in the machine's byte order. Structs are
 * built and read through named offsets (the classes of {@code io.github.iommufd4j.backend.linux.uapi});
 * {@link Ioctls#ioctl} copies the bytes to native memory for the call and back afterwards. Every access is
 * bounds-checked, so a wrong offset is an exception, never a write past the struct.
 */
public final class NativeStruct {
    private final String name;
    private final ByteBuffer bytes;

    /** A zeroed struct of {@code size} bytes; {@code name} is the C struct name, for messages. */
    public NativeStruct(String name, int size) {
        if (size <= 0) {
            throw new IllegalArgumentException("struct " + name + ": size " + size + " is not positive");
        }
        this.name = name;
        this.bytes = ByteBuffer.allocate(size).order(ByteOrder.nativeOrder());
    }

    /** The C struct name. */
    public String name() {
        return name;
    }

    /** Size in bytes (what is copied to the kernel). */
    public int size() {
        return bytes.capacity();
    }

    /** Writes a {@code __u32} (or {@code __s32}) at {@code offset}. */
    public NativeStruct putInt(int offset, int value) {
        check(offset, 4);
        bytes.putInt(offset, value);
        return this;
    }

    /** Writes a {@code __u64} at {@code offset}. */
    public NativeStruct putLong(int offset, long value) {
        check(offset, 8);
        bytes.putLong(offset, value);
        return this;
    }

    /** Reads a {@code __u32} at {@code offset}. */
    public int getInt(int offset) {
        check(offset, 4);
        return bytes.getInt(offset);
    }

    /** Reads a {@code __u64} at {@code offset}. */
    public long getLong(int offset) {
        check(offset, 8);
        return bytes.getLong(offset);
    }

    /** A copy of all bytes. */
    public byte[] toBytes() {
        return Arrays.copyOf(bytes.array(), bytes.capacity());
    }

    /** Replaces all bytes (what the kernel wrote back); {@code src} must be exactly {@link #size()} long. */
    public void setBytes(byte[] src) {
        if (src.length != bytes.capacity()) {
            throw new IllegalArgumentException("struct " + name + ": " + src.length + " bytes given for a "
                    + bytes.capacity() + "-byte struct");
        }
        System.arraycopy(src, 0, bytes.array(), 0, src.length);
    }

    private void check(int offset, int width) {
        if (offset < 0 || offset > bytes.capacity() - width) {
            throw new IndexOutOfBoundsException("struct " + name + ": " + width + "-byte field at offset " + offset
                    + " outside its " + bytes.capacity() + " bytes");
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(name).append('[').append(size()).append(" bytes:");
        for (int i = 0; i < bytes.capacity(); i++) {
            sb.append(i % 4 == 0 ? " " : "").append(String.format("%02x", bytes.get(i)));
        }
        return sb.append(']').toString();
    }
}
