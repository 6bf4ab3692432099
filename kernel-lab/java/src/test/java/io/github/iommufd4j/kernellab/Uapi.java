package io.github.iommufd4j.kernellab;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Raw iommufd / VFIO cdev calls through JNA, independent of backend-linux, so the lab proves the kernel
 * side on its own. Offsets and numbers are those of Linux 6.12 (see docs/reference/kernel-uapi.md).
 */
final class Uapi {
  static final int O_RDWR = 2;
  static final int O_CLOEXEC = 0x80000;

  static final int EINVAL = 22;
  static final int ENOENT = 2;
  static final int EBUSY = 16;
  static final int EOPNOTSUPP = 95;

  static final long IOMMU_DESTROY = 0x3b80;
  static final long IOMMU_IOAS_ALLOC = 0x3b81;
  static final long IOMMU_IOAS_MAP = 0x3b85;
  static final long IOMMU_IOAS_UNMAP = 0x3b86;
  static final long IOMMU_HWPT_ALLOC = 0x3b89;
  static final long IOMMU_GET_HW_INFO = 0x3b8a;
  static final long IOMMU_HWPT_SET_DIRTY_TRACKING = 0x3b8b;
  static final long IOMMU_HWPT_GET_DIRTY_BITMAP = 0x3b8c;
  static final long IOMMU_TEST_CMD = 0x3ba0;
  static final long VFIO_DEVICE_FEATURE = 0x3b75;
  static final long VFIO_DEVICE_BIND_IOMMUFD = 0x3b76;
  static final long VFIO_DEVICE_ATTACH_IOMMUFD_PT = 0x3b77;
  static final long VFIO_DEVICE_DETACH_IOMMUFD_PT = 0x3b78;

  static final int MAP_FIXED_IOVA = 1;
  static final int MAP_WRITEABLE = 2;
  static final int MAP_READABLE = 4;
  static final int HWPT_ALLOC_DIRTY_TRACKING = 1 << 1;
  static final int HW_CAP_DIRTY_TRACKING = 1;
  static final int HW_INFO_TYPE_INTEL_VTD = 1;
  static final int HW_INFO_TYPE_SELFTEST = 0xfeedbeef;

  static final int TEST_OP_MOCK_DOMAIN = 2;
  static final int TEST_OP_MOCK_DOMAIN_REPLACE = 10;
  static final int TEST_OP_MOCK_DOMAIN_FLAGS = 12;
  static final int TEST_OP_DIRTY = 13;
  static final int MOCK_FLAGS_DEVICE_NO_DIRTY = 1;
  static final int TEST_CMD_SIZE = 72;

  /** The few libc calls needed. */
  interface LibC extends Library {
    LibC INSTANCE = Native.load("c", LibC.class);

    int open(String path, int flags) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    int ioctl(int fd, long request, Pointer arg) throws LastErrorException;
  }

  private Uapi() {}

  /** System property set by kernel-lab/run in the guest: there, a missing device is a failure, not a skip. */
  static boolean inGuest() {
    return Boolean.getBoolean("kernellab.guest");
  }

  static boolean present(String path) {
    return Files.exists(Path.of(path));
  }

  static int open(String path) {
    try {
      return LibC.INSTANCE.open(path, O_RDWR | O_CLOEXEC);
    } catch (LastErrorException e) {
      throw new IllegalStateException("open(" + path + ") failed: errno " + e.getErrorCode(), e);
    }
  }

  static void close(int fd) {
    if (fd >= 0) {
      LibC.INSTANCE.close(fd);
    }
  }

  /** Runs an ioctl; returns 0 on success or the errno on failure. */
  static int ioctl(int fd, long request, Memory arg) {
    try {
      LibC.INSTANCE.ioctl(fd, request, arg);
      return 0;
    } catch (LastErrorException e) {
      return e.getErrorCode();
    }
  }

  /** Runs an ioctl that must succeed. */
  static void ok(int fd, long request, Memory arg, String what) {
    int errno = ioctl(fd, request, arg);
    if (errno != 0) {
      throw new AssertionError(what + " (ioctl 0x" + Long.toHexString(request) + ") failed with errno " + errno);
    }
  }

  static Memory struct(int size) {
    Memory m = new Memory(size);
    m.clear();
    m.setInt(0, size);
    return m;
  }

  static int ioasAlloc(int iommufd) {
    Memory m = struct(12);
    ok(iommufd, IOMMU_IOAS_ALLOC, m, "IOMMU_IOAS_ALLOC");
    return m.getInt(8);
  }

  /** IOAS_MAP of {@code buf}; returns the IOVA (the given one with FIXED_IOVA, else the kernel's). */
  static long ioasMap(int iommufd, int ioas, Pointer buf, long length, long iova, int flags) {
    Memory m = struct(40);
    m.setInt(4, flags);
    m.setInt(8, ioas);
    m.setLong(16, Pointer.nativeValue(buf));
    m.setLong(24, length);
    m.setLong(32, iova);
    ok(iommufd, IOMMU_IOAS_MAP, m, "IOMMU_IOAS_MAP ioas " + ioas + " length " + length);
    return m.getLong(32);
  }

  /** HWPT_ALLOC (48-byte 6.11+ layout); returns the errno, the id lands in {@code out[0]}. */
  static int hwptAlloc(int iommufd, int devId, int ptId, int flags, int[] out) {
    Memory m = struct(48);
    m.setInt(4, flags);
    m.setInt(8, devId);
    m.setInt(12, ptId);
    int errno = ioctl(iommufd, IOMMU_HWPT_ALLOC, m);
    out[0] = m.getInt(16);
    return errno;
  }

  /**
   * GET_HW_INFO with a 64-byte data buffer: returns {out_data_type, out_capabilities, data_len, data bytes 4..7}
   * (bytes 4..7 are {@code test_reg} of the selftest's {@code struct iommu_test_hw_info}).
   */
  static long[] hwInfo(int iommufd, int devId) {
    Memory data = new Memory(64);
    data.clear();
    Memory m = struct(40);
    m.setInt(8, devId);
    m.setInt(12, 64);
    m.setLong(16, Pointer.nativeValue(data));
    ok(iommufd, IOMMU_GET_HW_INFO, m, "IOMMU_GET_HW_INFO dev " + devId);
    return new long[] {m.getInt(24) & 0xffffffffL, m.getLong(32), m.getInt(12), data.getInt(4) & 0xffffffffL};
  }

  static int destroy(int iommufd, int id) {
    Memory m = struct(8);
    m.setInt(4, id);
    return ioctl(iommufd, IOMMU_DESTROY, m);
  }

  // ---- struct templates (filled, not sent): the fail-nth sweeps send them again and again ----

  /** A copy of a struct (a retry must not see what the failed call wrote back). */
  static Memory copy(Memory m) {
    Memory c = new Memory(m.size());
    c.write(0, m.getByteArray(0, (int) m.size()), 0, (int) m.size());
    return c;
  }

  static Memory ioasAllocCmd() {
    return struct(12);
  }

  static Memory destroyCmd(int id) {
    Memory m = struct(8);
    m.setInt(4, id);
    return m;
  }

  /** IOMMU_TEST_CMD MOCK_DOMAIN_FLAGS: out stdev@16, hwpt@20, idev@24; dev_flags@28. */
  static Memory mockDomainFlagsCmd(int ptId, int devFlags) {
    Memory m = struct(TEST_CMD_SIZE);
    m.setInt(4, TEST_OP_MOCK_DOMAIN_FLAGS);
    m.setInt(8, ptId);
    m.setInt(28, devFlags);
    return m;
  }

  /** IOMMU_TEST_CMD MOCK_DOMAIN_REPLACE: pt_id@16 in/out. */
  static Memory replaceCmd(int stdevId, int ptId) {
    Memory m = struct(TEST_CMD_SIZE);
    m.setInt(4, TEST_OP_MOCK_DOMAIN_REPLACE);
    m.setInt(8, stdevId);
    m.setInt(16, ptId);
    return m;
  }

  /** IOMMU_HWPT_ALLOC as backend-linux sends it: the 24-byte prefix; out_hwpt_id@16. */
  static Memory hwptAllocCmd(int devId, int ptId, int flags) {
    Memory m = struct(24);
    m.setInt(4, flags);
    m.setInt(8, devId);
    m.setInt(12, ptId);
    return m;
  }

  /** IOMMU_GET_HW_INFO into {@code data} (its whole size): out data_len@12, type@24, capabilities@32. */
  static Memory hwInfoCmd(int devId, Memory data) {
    Memory m = struct(40);
    m.setInt(8, devId);
    m.setInt(12, (int) data.size());
    m.setLong(16, Pointer.nativeValue(data));
    return m;
  }

  static Memory ioasMapCmd(int ioas, Pointer buf, long length, long iova) {
    Memory m = struct(40);
    m.setInt(4, MAP_FIXED_IOVA | MAP_READABLE | MAP_WRITEABLE);
    m.setInt(8, ioas);
    m.setLong(16, Pointer.nativeValue(buf));
    m.setLong(24, length);
    m.setLong(32, iova);
    return m;
  }

  /** IOMMU_IOAS_UNMAP: length@16 in/out (what was unmapped). */
  static Memory ioasUnmapCmd(int ioas, long iova, long length) {
    Memory m = struct(24);
    m.setInt(4, ioas);
    m.setLong(8, iova);
    m.setLong(16, length);
    return m;
  }

  static Memory setDirtyTrackingCmd(int hwpt, boolean enable) {
    Memory m = struct(16);
    m.setInt(4, enable ? 1 : 0);
    m.setInt(8, hwpt);
    return m;
  }

  static Memory getDirtyBitmapCmd(int hwpt, long iova, long length, long pageSize, Memory bitmap) {
    Memory m = struct(48);
    m.setInt(4, hwpt);
    m.setLong(16, iova);
    m.setLong(24, length);
    m.setLong(32, pageSize);
    m.setLong(40, Pointer.nativeValue(bitmap));
    return m;
  }

  /** IOMMU_TEST_CMD DIRTY: marks {@code pages} mock IOPTEs from {@code iova} (all bits of {@code bits}). */
  static Memory testDirtyCmd(int hwpt, long iova, long pages, long mockPage, Memory bits) {
    Memory m = struct(TEST_CMD_SIZE);
    m.setInt(4, TEST_OP_DIRTY);
    m.setInt(8, hwpt);
    m.setLong(24, iova);
    m.setLong(32, pages * mockPage);
    m.setLong(40, mockPage);
    m.setLong(48, Pointer.nativeValue(bits));
    return m;
  }

  /** VFIO_DEVICE_BIND_IOMMUFD: iommufd@8, out_devid@12. */
  static Memory vfioBindCmd(int iommufd) {
    Memory m = struct(16);
    m.setInt(8, iommufd);
    return m;
  }

  /** VFIO_DEVICE_ATTACH_IOMMUFD_PT: pt_id@8 in/out. */
  static Memory vfioAttachCmd(int ptId) {
    Memory m = struct(12);
    m.setInt(8, ptId);
    return m;
  }

  /** Page-aligned, zeroed anonymous memory the kernel can pin. */
  static Pointer pages(long length) {
    Memory m = new Memory(length + 4096);
    m.clear();
    return m.align(4096);
  }
}
