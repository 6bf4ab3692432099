package io.github.iommufd4j.kernellab;

import static io.github.iommufd4j.kernellab.Uapi.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Boot 1 proof (no vIOMMU, beside the selftest mock): a real mediated device, the kernel's sample mtty,
 * through sysfs and its VFIO cdev, with raw JNA ioctls. The mdev has no IOMMU: binding it makes an iommufd
 * <em>access</em> object (Q-ATT-9's "straight onto the IOAS"), not a device. Key facts are also written to
 * {@code $KL_OUT/mdev.txt}.
 */
class MttyMdevKernelIT {
  static final long IOVA = 0x1000000L;
  static final int FEATURE_GET = 1 << 16;
  static final int FEATURE_SET = 1 << 17;
  static final int FEATURE_PROBE = 1 << 18;
  static final int FEATURE_MIGRATION = 1;
  static final int FEATURE_MIGRATION_STATE = 2;
  static final int FEATURE_DMA_LOGGING_START = 6;
  static final int FEATURE_DMA_LOGGING_STOP = 7;
  static final int FEATURE_DMA_LOGGING_REPORT = 8;
  static final int FEATURE_MIG_DATA_SIZE = 9;
  static final long MIGRATION_STOP_COPY = 1;
  static final long MIGRATION_P2P = 2;
  static final long MIGRATION_PRE_COPY = 4;

  private static final StringBuilder FACTS = new StringBuilder();

  private final List<String> mdevs = new ArrayList<>();
  private final List<Integer> fds = new ArrayList<>();
  private int iommufd = -1;

  @BeforeAll
  static void needMtty() {
    assumeTrue(inGuest() || Mtty.present(), "no mtty parent in sysfs on this host (run kernel-lab/run)");
    assertThat(Mtty.present()).as(Mtty.TYPES + " (CONFIG_SAMPLE_VFIO_MDEV_MTTY)").isTrue();
  }

  @AfterAll
  static void writeFacts() throws IOException {
    String out = System.getenv("KL_OUT");
    System.out.print(FACTS);
    if (out != null && FACTS.length() > 0) {
      Files.writeString(Path.of(out, "mdev.txt"), FACTS.toString(), StandardCharsets.UTF_8);
    }
  }

  private static void fact(String key, Object value) {
    synchronized (FACTS) {
      FACTS.append("mdev: ").append(key).append(" = ").append(value).append('\n');
    }
  }

  @BeforeEach
  void openIommufd() {
    iommufd = Uapi.open("/dev/iommu");
  }

  @AfterEach
  void cleanUp() {
    for (int fd : fds) {
      Sys.close(fd);
    }
    Uapi.close(iommufd);
    for (String uuid : mdevs) {
      if (Files.exists(Path.of(Mtty.devDir(uuid)))) {
        Mtty.remove(uuid);
      }
    }
  }

  private String newMdev(String type) {
    String uuid = Mtty.create(type);
    mdevs.add(uuid);
    return uuid;
  }

  private int openCdev(String uuid) {
    int fd = Sys.openOrThrow(Mtty.cdev(uuid), Sys.O_RDWR);
    fds.add(fd);
    return fd;
  }

  /** Opens and binds a new mdev's cdev to {@link #iommufd}; returns {fd, devid}. */
  private int[] boundMdev() {
    String uuid = newMdev(Mtty.DUAL);
    int fd = openCdev(uuid);
    Memory bind = vfioBindCmd(iommufd);
    assertThat(Sys.ioctlErrno(fd, VFIO_DEVICE_BIND_IOMMUFD, bind)).as("VFIO_DEVICE_BIND_IOMMUFD").isZero();
    return new int[] {fd, bind.getInt(12)};
  }

  private static int attach(int fd, int ptId, int[] ptOut) {
    Memory m = vfioAttachCmd(ptId);
    int errno = Sys.ioctlErrno(fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, m);
    if (ptOut != null) {
      ptOut[0] = m.getInt(8);
    }
    return errno;
  }

  private static int detach(int fd) {
    return Sys.ioctlErrno(fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, struct(8));
  }

  private int map(int ioas, long iova, long length) {
    Pointer mem = pages(Math.max(length, 4096));
    return Sys.ioctlErrno(iommufd, IOMMU_IOAS_MAP, ioasMapCmd(ioas, mem, length, iova));
  }

  private static Memory feature(int flags, int payload) {
    Memory m = new Memory(8 + payload);
    m.clear();
    m.setInt(0, 8 + payload);
    m.setInt(4, flags);
    return m;
  }

  // ------------------------------------------------------------------------------------------------------

  @Test
  @DisplayName("sysfs: mdev_bus/mtty with types mtty-1/mtty-2; create by UUID; cdev vfio-dev/vfioN; EEXIST; remove")
  void sysfsCreateCdevRemove() {
    assertThat(Mtty.list(Mtty.MDEV_BUS)).contains("mtty");
    assertThat(Mtty.list(Mtty.TYPES)).containsExactly(Mtty.SINGLE, Mtty.DUAL);
    fact("parent", Mtty.PARENT + " -> " + realPath(Mtty.PARENT));
    for (String t : List.of(Mtty.SINGLE, Mtty.DUAL)) {
      fact("type " + t, "name '" + Mtty.read(Mtty.typeDir(t) + "/name") + "', device_api '"
          + Mtty.read(Mtty.typeDir(t) + "/device_api") + "', available_instances "
          + Mtty.availableInstances(t) + ", files " + Mtty.list(Mtty.typeDir(t)));
    }
    int single = Mtty.availableInstances(Mtty.SINGLE);
    int dual = Mtty.availableInstances(Mtty.DUAL);
    assertThat(Mtty.read(Mtty.typeDir(Mtty.DUAL) + "/device_api")).isEqualTo("vfio-pci");
    assertThat(single).as("free ports").isEqualTo(2 * dual + single % 2);

    String a = newMdev(Mtty.DUAL);
    Path dev = Path.of(Mtty.devDir(a));
    assertThat(dev).exists();
    fact("mdev sysfs", Mtty.devDir(a) + " -> " + realPath(dev.toString()));
    assertThat(realPath(dev.toString())).isEqualTo("/sys/devices/virtual/mtty/mtty/" + a);
    assertThat(realPath(Mtty.devDir(a) + "/mdev_type")).endsWith("/mdev_supported_types/" + Mtty.DUAL);
    assertThat(Mtty.availableInstances(Mtty.DUAL)).isEqualTo(dual - 1);
    assertThat(Mtty.availableInstances(Mtty.SINGLE)).isEqualTo(single - 2);
    fact("mdev files", Mtty.list(Mtty.devDir(a)));

    String cdevA = Mtty.cdevName(a);
    assertThat(cdevA).matches("vfio[0-9]+");
    assertThat(Path.of(Mtty.CDEV_DIR, cdevA)).exists();
    String devNumbers = Mtty.read(Mtty.devDir(a) + "/vfio-dev/" + cdevA + "/dev");
    assertThat(devNumbers).matches("[0-9]+:[0-9]+");
    assertThat(Mtty.read("/sys/class/vfio-dev/" + cdevA + "/dev")).isEqualTo(devNumbers);
    fact("cdev of the first mdev", Mtty.CDEV_DIR + "/" + cdevA + " (" + Mtty.devDir(a) + "/vfio-dev/" + cdevA
        + ", dev " + devNumbers + ")");

    assertThat(Mtty.create(Mtty.DUAL, a)).as("create with a UUID in use").isEqualTo(Sys.EEXIST);
    assertThat(Mtty.create(Mtty.DUAL, "not-a-uuid")).as("create with a malformed UUID").isEqualTo(Sys.EINVAL);

    String b = newMdev(Mtty.SINGLE);
    String cdevB = Mtty.cdevName(b);
    assertThat(index(cdevB)).isGreaterThan(index(cdevA));
    assertThat(Mtty.remove(a)).as("remove a (cdev closed)").isZero();
    assertThat(dev).doesNotExist();
    assertThat(Path.of(Mtty.CDEV_DIR, cdevA)).doesNotExist();
    String c = newMdev(Mtty.SINGLE);
    String cdevC = Mtty.cdevName(c);
    assertThat(cdevC).as("the lowest free cdev number is reused").isEqualTo(cdevA);
    fact("cdev numbering", "first " + cdevA + ", second " + cdevB + "; after removing the first, a new mdev gets "
        + cdevC + " (lowest free index)");
    assertThat(Mtty.remove(b)).isZero();
    assertThat(Mtty.remove(c)).isZero();
    assertThat(Mtty.remove(c)).as("remove again: the sysfs file is gone").isEqualTo(Sys.ENOENT);
    assertThat(Mtty.availableInstances(Mtty.DUAL)).isEqualTo(dual);
    assertThat(Mtty.availableInstances(Mtty.SINGLE)).isEqualTo(single);
  }

  @Test
  @DisplayName("Q-ATT-9: BIND gives an access id; ATTACH to an IOAS keeps pt_id; HWPTs, GET_HW_INFO, HWPT_ALLOC: ENOENT")
  void bindAttachDetach() {
    String uuid = newMdev(Mtty.DUAL);
    int fd = openCdev(uuid);
    assertThat(attach(fd, 1, null)).as("ATTACH before BIND").isEqualTo(Sys.EINVAL);
    assertThat(Sys.ioctlErrno(fd, VFIO_DEVICE_FEATURE, feature(FEATURE_GET | FEATURE_MIGRATION, 8)))
        .as("VFIO_DEVICE_FEATURE before BIND").isEqualTo(Sys.EINVAL);

    Memory bind = vfioBindCmd(iommufd);
    assertThat(Sys.ioctlErrno(fd, VFIO_DEVICE_BIND_IOMMUFD, bind)).isZero();
    int devId = bind.getInt(12);
    assertThat(devId).as("out_devid on a fresh /dev/iommu: the access object is its first object").isEqualTo(1);
    assertThat(Sys.ioctlErrno(fd, VFIO_DEVICE_BIND_IOMMUFD, vfioBindCmd(iommufd))).as("BIND twice").isEqualTo(Sys.EINVAL);

    int ioas = ioasAlloc(iommufd);
    assertThat(ioas).isEqualTo(2);
    assertThat(Sys.ioctlErrno(iommufd, IOMMU_GET_HW_INFO, hwInfoCmd(devId, new Memory(64))))
        .as("GET_HW_INFO with the mdev's id").isEqualTo(Sys.ENOENT);
    assertThat(Sys.ioctlErrno(iommufd, IOMMU_HWPT_ALLOC, hwptAllocCmd(devId, ioas, 0)))
        .as("HWPT_ALLOC with the mdev's id").isEqualTo(Sys.ENOENT);
    assertThat(destroy(iommufd, devId)).as("IOMMU_DESTROY of the access id").isEqualTo(Sys.EBUSY);

    int[] pt = new int[1];
    assertThat(attach(fd, ioas, pt)).as("ATTACH to an IOAS").isZero();
    assertThat(pt[0]).as("pt_id written back: the IOAS id itself, no HWPT").isEqualTo(ioas);
    assertThat(attach(fd, ioas, pt)).as("ATTACH to the same IOAS again").isZero();
    assertThat(attach(fd, 999, null)).as("ATTACH to an unknown id").isEqualTo(Sys.ENOENT);
    assertThat(destroy(iommufd, ioas)).as("IOMMU_DESTROY of the IOAS the mdev is on").isEqualTo(Sys.EBUSY);
    int nextId = ioasAlloc(iommufd);
    assertThat(nextId).as("no HWPT or other object appeared with the attach").isEqualTo(3);

    assertThat(attach(fd, nextId, pt)).as("ATTACH to a second IOAS: a replace").isZero();
    assertThat(pt[0]).isEqualTo(nextId);
    assertThat(destroy(iommufd, ioas)).as("the first IOAS is free after the replace").isZero();
    assertThat(destroy(iommufd, nextId)).isEqualTo(Sys.EBUSY);

    // a HWPT (and an auto domain) of a mock device in the same iommufd: an mdev cannot attach to either
    int parking = ioasAlloc(iommufd);
    Memory md = mockDomainFlagsCmd(parking, 0);
    ok(iommufd, IOMMU_TEST_CMD, md, "MOCK_DOMAIN_FLAGS");
    int autoHwpt = md.getInt(20);
    int idev = md.getInt(24);
    Memory ha = hwptAllocCmd(idev, nextId, 0);
    ok(iommufd, IOMMU_HWPT_ALLOC, ha, "HWPT_ALLOC");
    int hwpt = ha.getInt(16);
    assertThat(attach(fd, hwpt, null)).as("ATTACH of the mdev to a HWPT").isEqualTo(Sys.ENOENT);
    assertThat(attach(fd, autoHwpt, null)).as("ATTACH of the mdev to an auto domain").isEqualTo(Sys.ENOENT);
    assertThat(attach(fd, idev, null)).as("ATTACH of the mdev to a device id").isEqualTo(Sys.ENOENT);
    assertThat(destroy(iommufd, nextId)).as("still on the IOAS after the refused attaches").isEqualTo(Sys.EBUSY);
    fact("ids on a fresh /dev/iommu", "bind: access " + devId + "; IOAS " + ioas + "; attach writes back pt_id "
        + ioas + " (no HWPT)");

    assertThat(detach(fd)).as("DETACH").isZero();
    assertThat(detach(fd)).as("DETACH again").isZero();
    assertThat(destroy(iommufd, hwpt)).isZero();
    assertThat(destroy(iommufd, nextId)).as("the IOAS is free after the DETACH").isZero();
    assertThat(destroy(iommufd, devId)).as("the access id while bound").isEqualTo(Sys.EBUSY);
  }

  @Test
  @DisplayName("alignment: an mdev on an IOAS needs PAGE_SIZE: smaller maps EINVAL, attach over a 2 KiB area EADDRINUSE")
  void alignment() {
    int fd = boundMdev()[0];
    int plain = ioasAlloc(iommufd);
    assertThat(map(plain, IOVA, 2048)).as("IOAS_MAP of 2 KiB on an IOAS with nothing attached").isZero();
    assertThat(attach(fd, plain, null)).as("ATTACH onto an IOAS holding a 2 KiB area").isEqualTo(Sys.EADDRINUSE);

    int ioas = ioasAlloc(iommufd);
    assertThat(attach(fd, ioas, null)).isZero();
    assertThat(map(ioas, IOVA, 2048)).as("IOAS_MAP of 2 KiB with the mdev on the IOAS").isEqualTo(Sys.EINVAL);
    assertThat(map(ioas, IOVA + 2048, 4096)).as("IOAS_MAP at a 2 KiB-aligned IOVA").isEqualTo(Sys.EINVAL);
    assertThat(map(ioas, IOVA, 4096)).as("IOAS_MAP of one page").isZero();
    assertThat(detach(fd)).isZero();
    assertThat(map(ioas, IOVA + (1L << 20), 2048)).as("IOAS_MAP of 2 KiB after the DETACH").isZero();

    // with a mock domain on the IOAS the alignment is the mock IOPTE (2 KiB); the mdev raises it to 4 KiB
    int parking = ioasAlloc(iommufd);
    Memory md = mockDomainFlagsCmd(parking, 0);
    ok(iommufd, IOMMU_TEST_CMD, md, "MOCK_DOMAIN_FLAGS");
    int withDomain = ioasAlloc(iommufd);
    ok(iommufd, IOMMU_TEST_CMD, replaceCmd(md.getInt(16), withDomain), "REPLACE onto an IOAS (auto domain)");
    assertThat(map(withDomain, IOVA, 2048)).as("IOAS_MAP of 2 KiB with a mock domain").isZero();
    assertThat(attach(fd, withDomain, null)).as("mdev ATTACH beside the mock domain, over a 2 KiB area")
        .isEqualTo(Sys.EADDRINUSE);
    fact("alignment", "IOAS alone 1 (2 KiB maps ok); mock domain 2048; mdev attached PAGE_SIZE 4096: 2 KiB map or "
        + "2 KiB-aligned IOVA EINVAL, attach over a 2 KiB area EADDRINUSE");
  }

  @Test
  @DisplayName("VFIO_DEVICE_FEATURE on mtty: MIGRATION (STOP_COPY|P2P|PRE_COPY) and DMA logging (stub ops) both present")
  void featureProbes() {
    int[] d = boundMdev();
    int fd = d[0];
    int ioas = ioasAlloc(iommufd);
    assertThat(attach(fd, ioas, null)).isZero();
    assertThat(map(ioas, IOVA, 2L << 20)).isZero();

    Memory mig = feature(FEATURE_GET | FEATURE_MIGRATION, 8);
    assertThat(Sys.ioctlErrno(fd, VFIO_DEVICE_FEATURE, mig)).as("GET MIGRATION").isZero();
    long flags = mig.getLong(8);
    fact("VFIO_DEVICE_FEATURE GET MIGRATION", "0, flags 0x" + Long.toHexString(flags));
    assertThat(flags).isEqualTo(MIGRATION_STOP_COPY | MIGRATION_P2P | MIGRATION_PRE_COPY);
    assertThat(Sys.ioctlErrno(fd, VFIO_DEVICE_FEATURE, feature(FEATURE_PROBE | FEATURE_GET | FEATURE_MIGRATION, 0)))
        .as("PROBE|GET MIGRATION").isZero();
    int probeSetMig = Sys.ioctlErrno(fd, VFIO_DEVICE_FEATURE, feature(FEATURE_PROBE | FEATURE_SET | FEATURE_MIGRATION, 0));
    fact("VFIO_DEVICE_FEATURE PROBE|SET MIGRATION", FailNthKernelIT.errnoName(probeSetMig));

    Memory state = feature(FEATURE_GET | FEATURE_MIGRATION_STATE, 8);
    assertThat(Sys.ioctlErrno(fd, VFIO_DEVICE_FEATURE, state)).as("GET MIG_DEVICE_STATE").isZero();
    fact("VFIO_DEVICE_FEATURE GET MIG_DEVICE_STATE", "0, state " + state.getInt(8));
    Memory size = feature(FEATURE_GET | FEATURE_MIG_DATA_SIZE, 8);
    int sizeErrno = Sys.ioctlErrno(fd, VFIO_DEVICE_FEATURE, size);
    fact("VFIO_DEVICE_FEATURE GET MIG_DATA_SIZE", FailNthKernelIT.errnoName(sizeErrno) + ", stop_copy_length "
        + size.getLong(8));

    int probeLog = Sys.ioctlErrno(fd, VFIO_DEVICE_FEATURE, feature(FEATURE_PROBE | FEATURE_SET | FEATURE_DMA_LOGGING_START, 0));
    fact("VFIO_DEVICE_FEATURE PROBE|SET DMA_LOGGING_START", FailNthKernelIT.errnoName(probeLog));
    assertThat(probeLog).as("mtty has vfio_log_ops (stubs)").isZero();

    Memory range = new Memory(16);
    range.setLong(0, IOVA);
    range.setLong(8, 2L << 20);
    Memory start = feature(FEATURE_SET | FEATURE_DMA_LOGGING_START, 24);
    start.setLong(8, 4096);
    start.setInt(16, 1);
    start.setLong(24, Pointer.nativeValue(range));
    assertThat(Sys.ioctlErrno(fd, VFIO_DEVICE_FEATURE, start)).as("SET DMA_LOGGING_START").isZero();
    Memory bitmap = new Memory(64);
    bitmap.clear();
    Memory report = feature(FEATURE_GET | FEATURE_DMA_LOGGING_REPORT, 32);
    report.setLong(8, IOVA);
    report.setLong(16, 2L << 20);
    report.setLong(24, 4096);
    report.setLong(32, Pointer.nativeValue(bitmap));
    assertThat(Sys.ioctlErrno(fd, VFIO_DEVICE_FEATURE, report)).as("GET DMA_LOGGING_REPORT").isZero();
    long bits = 0;
    for (int i = 0; i < 64; i += 8) {
      bits |= bitmap.getLong(i);
    }
    assertThat(bits).as("mtty's log_read_and_clear reports nothing").isZero();
    assertThat(Sys.ioctlErrno(fd, VFIO_DEVICE_FEATURE, feature(FEATURE_SET | FEATURE_DMA_LOGGING_STOP, 0)))
        .as("SET DMA_LOGGING_STOP").isZero();
    fact("DMA logging", "START (1 range, 4 KiB) 0, REPORT 0 with no bit set, STOP 0");
  }

  @Test
  @DisplayName("close(cdev) unbinds: the access object goes, the IOAS can be destroyed; a new BIND reuses the id")
  void closeUnbinds() {
    String uuid = newMdev(Mtty.DUAL);
    int fd = openCdev(uuid);
    Memory bind = vfioBindCmd(iommufd);
    assertThat(Sys.ioctlErrno(fd, VFIO_DEVICE_BIND_IOMMUFD, bind)).isZero();
    int devId = bind.getInt(12);
    int ioas = ioasAlloc(iommufd);
    assertThat(attach(fd, ioas, null)).isZero();
    assertThat(destroy(iommufd, ioas)).isEqualTo(Sys.EBUSY);
    Sys.close(fd);
    fds.remove(Integer.valueOf(fd));
    assertThat(destroy(iommufd, devId)).as("the access id after close").isEqualTo(Sys.ENOENT);
    int fd2 = openCdev(uuid);
    Memory bind2 = vfioBindCmd(iommufd);
    assertThat(Sys.ioctlErrno(fd2, VFIO_DEVICE_BIND_IOMMUFD, bind2)).as("BIND after reopening").isZero();
    assertThat(bind2.getInt(12)).as("the freed access id is reused").isEqualTo(devId);
    assertThat(destroy(iommufd, ioas)).as("the IOAS is free: close detached the mdev").isZero();
  }

  @Test
  @DisplayName("remove blocks while the cdev is open and finishes once it is closed")
  void removeWaitsForClose() throws Exception {
    String uuid = newMdev(Mtty.DUAL);
    String cdev = Mtty.cdevName(uuid);
    int fd = openCdev(uuid);
    AtomicInteger result = new AtomicInteger(-1);
    Thread remover = new Thread(() -> result.set(Mtty.remove(uuid)), "mdev-remove");
    remover.setDaemon(true);
    long t0 = System.nanoTime();
    remover.start();
    remover.join(1000);
    assertThat(remover.isAlive()).as("remove still blocked after 1 s while the cdev is open").isTrue();
    Sys.close(fd);
    fds.remove(Integer.valueOf(fd));
    remover.join(30_000);
    assertThat(remover.isAlive()).as("remove finished after the close").isFalse();
    assertThat(result.get()).isZero();
    assertThat(Path.of(Mtty.devDir(uuid))).doesNotExist();
    assertThat(Path.of(Mtty.CDEV_DIR, cdev)).doesNotExist();
    fact("remove while open", "blocks until the cdev fd is closed (" + (System.nanoTime() - t0) / 1_000_000 + " ms in all)");
  }

  @Test
  @DisplayName("mdev.yaml on the kernel: the mdev shares the mock device's IOAS and keeps it alive after it leaves")
  void besideMockDevice() {
    int parking = ioasAlloc(iommufd);
    Memory md = mockDomainFlagsCmd(parking, 0);
    ok(iommufd, IOMMU_TEST_CMD, md, "MOCK_DOMAIN_FLAGS");
    int stdev = md.getInt(16);
    int idev = md.getInt(24);
    int c = ioasAlloc(iommufd);
    Memory ha = hwptAllocCmd(idev, c, HWPT_ALLOC_DIRTY_TRACKING);
    ok(iommufd, IOMMU_HWPT_ALLOC, ha, "HWPT_ALLOC(DIRTY_TRACKING)");
    int hwpt = ha.getInt(16);
    ok(iommufd, IOMMU_TEST_CMD, replaceCmd(stdev, hwpt), "REPLACE vf0 onto the hwpt");
    assertThat(map(c, IOVA, 4L << 20)).isZero();

    int[] d = boundMdev();
    int[] pt = new int[1];
    assertThat(attach(d[0], c, pt)).as("md0 ATTACH to the container's IOAS").isZero();
    assertThat(pt[0]).isEqualTo(c);
    ok(iommufd, IOMMU_TEST_CMD, replaceCmd(stdev, parking), "vf0 detach (back to parking)");
    assertThat(destroy(iommufd, hwpt)).as("vf0's HWPT").isZero();
    assertThat(destroy(iommufd, c)).as("the IOAS while md0 is on it").isEqualTo(Sys.EBUSY);
    assertThat(detach(d[0])).isZero();
    assertThat(Sys.ioctlErrno(iommufd, IOMMU_IOAS_UNMAP, ioasUnmapCmd(c, IOVA, 4L << 20))).isZero();
    assertThat(destroy(iommufd, c)).isZero();
  }

  private static String realPath(String p) {
    try {
      return Path.of(p).toRealPath().toString();
    } catch (IOException e) {
      return "(" + e + ")";
    }
  }

  private static int index(String cdevName) {
    return Integer.parseInt(cdevName.substring("vfio".length()));
  }

}
