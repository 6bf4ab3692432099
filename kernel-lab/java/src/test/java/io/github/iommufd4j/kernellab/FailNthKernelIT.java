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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Boot 1 proof: the kernel's own failures through fault injection ({@code /proc/thread-self/fail-nth}), on
 * the calls core makes for one attach and detach of a selftest mock device through backend-linux (and the
 * other iommufd calls the examples use). For each call: a sweep N = 1, 2, ... fails the N-th fault point of
 * that one ioctl until the call passes fewer than N points; every failure must leave nothing behind (the
 * ids the call would have made are ENOENT to IOMMU_DESTROY, the identical call then succeeds with the same
 * results, the next free id is unchanged, closing the fd logs no kernel warning).
 *
 * <p>Each N runs on a fresh /dev/iommu fd whose state is rebuilt the same way, so ids are the same every
 * time (K-ID-1). The table of each sweep (N, errno, fault attribute, first callers outside the allocator) is
 * written to {@code $KL_OUT/fail-nth.txt}; its first line is printed.
 */
class FailNthKernelIT {
  static final long IOVA = 0x1000000L; // 16 MiB, the mock aperture's start
  static final long LENGTH = 256L << 10; // 64 host pages: small, so the sweeps that pin stay quick
  static final long MOCK_PAGE = 2048;
  static final int LIMIT = 400; // iommufd_fail_nth.c's bound

  /**
   * What each sweep found on Linux 6.12.117 (Debian's linux-source-6.12) in {@link FailNth.Mode#FAILSLAB}:
   * the number of fault points (a range where it is not deterministic) and, where it is, the result of each
   * N in order ("ok" = the injected failure was absorbed and the call succeeded). A difference fails the test
   * with both values: update kernel-lab/README.md and this table together.
   */
  record Expect(int min, int max, String results, boolean neverFails) {
    static Expect exactly(String results) {
      int n = results.isEmpty() ? 0 : results.split(" ").length;
      return new Expect(n, n, results, false);
    }

    /**
     * Results that a regular expression describes, for calls that allocate a domain: one of their absorbed
     * __GFP_NOWARN allocations (an xarray's first try) happens in some runs and not in others, so the points
     * after it shift by one from one N to the next (seen: HWPT_ALLOC 7 and 8 points, a detach that makes a new
     * auto domain 9 and 10, in the same boot).
     */
    static Expect varying(int min, int max, String regex) {
      return new Expect(min, max, "~" + regex, false);
    }

    /** Whether {@code actual} (one result per N) is what this expects. */
    boolean matches(String actual) {
      return results.startsWith("~") ? actual.matches(results.substring(1)) : actual.equals(results);
    }

    static Expect between(int min, int max) {
      return new Expect(min, max, null, false);
    }

    /** A call whose injected failures are all absorbed (their number varies). */
    static Expect neverFails(int min, int max) {
      return new Expect(min, max, null, true);
    }
  }

  static final Map<String, Expect> EXPECTED_FAILSLAB = new LinkedHashMap<>();

  // the calls swept (names as in the tables)
  static final String IOAS_ALLOC_NAME = "IOAS_ALLOC";
  static final String BIND_NAME = "bind: TEST_CMD MOCK_DOMAIN_FLAGS (mock device creation)";
  static final String HW_INFO_NAME = "GET_HW_INFO";
  static final String HWPT_ALLOC_NAME = "HWPT_ALLOC flags 0 (empty IOAS)";
  static final String HWPT_ALLOC_DIRTY_NAME = "HWPT_ALLOC DIRTY_TRACKING (empty IOAS)";
  static final String HWPT_ALLOC_MAPPED_NAME = "HWPT_ALLOC DIRTY_TRACKING (IOAS with 256 KiB mapped)";
  static final String ATTACH_NAME = "attach: TEST_CMD MOCK_DOMAIN_REPLACE onto the HWPT";
  static final String MAP_NAME = "IOAS_MAP 256 KiB (fresh mmap; dirty HWPT attached)";
  static final String MAP_NO_DOMAIN_NAME = "IOAS_MAP 256 KiB (fresh mmap; IOAS without a domain)";
  static final String SDT_ENABLE_NAME = "SET_DIRTY_TRACKING enable (256 KiB mapped)";
  static final String SDT_DISABLE_NAME = "SET_DIRTY_TRACKING disable";
  static final String GDB_NAME = "GET_DIRTY_BITMAP 256 KiB at 4 KiB (64 mock pages dirty)";
  static final String DETACH_NAME = "detach: TEST_CMD MOCK_DOMAIN_REPLACE back to the parking IOAS";
  static final String DESTROY_HWPT_NAME = "DESTROY hwpt (after detach)";
  static final String UNMAP_NAME = "IOAS_UNMAP 256 KiB (no domain left)";
  static final String DESTROY_IOAS_NAME = "DESTROY ioas";
  static final String UNBIND_NAME = "unbind: DESTROY stdev";
  static final String MDEV_BIND_NAME = "mdev: VFIO_DEVICE_BIND_IOMMUFD (mtty)";
  static final String MDEV_ATTACH_NAME = "mdev: VFIO_DEVICE_ATTACH_IOMMUFD_PT to an IOAS with 256 KiB mapped (mtty)";

  static {
    // {min, max}: exact where the count is deterministic; a range where it is not (kernfs inode numbers for a
    // new device, one mock map call per physically contiguous run of pinned pages, VMA merging of the fresh
    // mmap); measured on 6.12.117, see kernel-lab/README.md
    EXPECTED_FAILSLAB.put(IOAS_ALLOC_NAME, Expect.exactly("ENOMEM ok"));
    EXPECTED_FAILSLAB.put(BIND_NAME, Expect.between(38, 46));
    EXPECTED_FAILSLAB.put(HW_INFO_NAME, Expect.exactly("ENOENT ENOMEM"));
    // each N is its own run, with one or two absorbed points at the end
    EXPECTED_FAILSLAB.put(HWPT_ALLOC_NAME, Expect.varying(7, 8, "ENOENT EINVAL ENOMEM ENOMEM ENOMEM ENOMEM( ok){1,2}"));
    EXPECTED_FAILSLAB.put(HWPT_ALLOC_DIRTY_NAME, Expect.varying(7, 8, "ENOENT EINVAL ENOMEM ENOMEM ENOMEM ENOMEM( ok){1,2}"));
    EXPECTED_FAILSLAB.put(HWPT_ALLOC_MAPPED_NAME, Expect.between(8, LIMIT));
    EXPECTED_FAILSLAB.put(ATTACH_NAME, Expect.exactly("ENOENT ENOENT EINVAL ENOMEM"));
    EXPECTED_FAILSLAB.put(MAP_NAME, Expect.between(4, LIMIT));
    EXPECTED_FAILSLAB.put(MAP_NO_DOMAIN_NAME, Expect.exactly("ENOENT ENOMEM ENOMEM"));
    EXPECTED_FAILSLAB.put(SDT_ENABLE_NAME, Expect.exactly("ENOENT"));
    EXPECTED_FAILSLAB.put(SDT_DISABLE_NAME, Expect.exactly("ENOENT"));
    EXPECTED_FAILSLAB.put(GDB_NAME, Expect.exactly("ENOENT ENOMEM"));
    // each N is its own run with one or two absorbed points: N = 8 sees EINVAL or ok, N = 9 ENOMEM or EINVAL, and
    // N = 10 the attach handle's ENOMEM only in a run with two
    EXPECTED_FAILSLAB.put(DETACH_NAME, Expect.varying(9, 10,
        "ENOENT ENOENT ENOMEM ENOMEM ENOMEM ENOMEM ok( EINVAL| ok)( ENOMEM| EINVAL)( ENOMEM)?"));
    // 1 with 2 MiB mapped before, 2 with 256 KiB: the unmap's temporary buffers, each with a fallback
    EXPECTED_FAILSLAB.put(DESTROY_HWPT_NAME, Expect.neverFails(1, 4));
    EXPECTED_FAILSLAB.put(UNMAP_NAME, Expect.exactly("ENOENT"));
    EXPECTED_FAILSLAB.put(DESTROY_IOAS_NAME, Expect.exactly(""));
    EXPECTED_FAILSLAB.put(UNBIND_NAME, Expect.exactly("ok ok"));
    EXPECTED_FAILSLAB.put(MDEV_BIND_NAME, Expect.exactly("ENOMEM ok"));
    EXPECTED_FAILSLAB.put(MDEV_ATTACH_NAME, Expect.exactly("ENOENT"));
  }

  /** One call to fail, prepared on a fresh fd. */
  record Call(int ioFd, long request, Memory template, Function<Memory, List<Long>> outputs, boolean outputsAreNewIds,
              Runnable reset, List<Pointer[]> mappings, List<Integer> deviceFds) {}

  /** A named call and how to build the state it runs in. */
  record Scenario(String name, Function<Integer, Call> prepare) {}

  /** One row of a sweep table. */
  record Row(int n, int errno, boolean injected, String attr, String site) {}

  private static final StringBuilder REPORT = new StringBuilder();

  @BeforeAll
  static void needFaultInjection() {
    assumeTrue(inGuest() || present("/dev/iommu"), "no /dev/iommu on this host (run kernel-lab/run)");
    assertThat(FailNth.available())
        .as("/proc/thread-self/fail-nth and /sys/kernel/debug/failslab (CONFIG_FAULT_INJECTION_DEBUG_FS, FAILSLAB, debugfs mounted)")
        .isTrue();
  }

  @AfterAll
  static void restore() throws IOException {
    if (sweepMdev != null) {
      Mtty.remove(sweepMdev);
      sweepMdev = null;
    }
    if (FailNth.available()) {
      FailNth.restoreDefaults();
    }
    String out = System.getenv("KL_OUT");
    if (out != null && REPORT.length() > 0) {
      Files.writeString(Path.of(out, "fail-nth.txt"), REPORT.toString(), StandardCharsets.UTF_8);
    }
  }

  // ---- state builders (each on a fresh fd: P 1, stdev 2, idev 3, auto hwpt 4, C 5, H 6) ----

  /** The ids of the standard state: parking IOAS P, device, container IOAS C, HWPT H. */
  static final class State {
    final int fd;
    int parking;
    int stdev;
    int idev;
    int ioas;
    int hwpt;
    final List<Pointer[]> mappings = new ArrayList<>();
    final List<Integer> deviceFds = new ArrayList<>();
    int mdevFd = -1;

    State(int fd) {
      this.fd = fd;
    }

    State parking() {
      parking = ioasAlloc(fd);
      return this;
    }

    State device(int devFlags) {
      Memory m = mockDomainFlagsCmd(parking, devFlags);
      ok(fd, IOMMU_TEST_CMD, m, "MOCK_DOMAIN_FLAGS");
      stdev = m.getInt(16);
      idev = m.getInt(24);
      return this;
    }

    State container() {
      ioas = ioasAlloc(fd);
      return this;
    }

    State hwpt(int flags) {
      Memory m = hwptAllocCmd(idev, ioas, flags);
      ok(fd, IOMMU_HWPT_ALLOC, m, "HWPT_ALLOC");
      hwpt = m.getInt(16);
      return this;
    }

    State attach() {
      ok(fd, IOMMU_TEST_CMD, replaceCmd(stdev, hwpt), "MOCK_DOMAIN_REPLACE onto the hwpt");
      return this;
    }

    State map() {
      Pointer mem = Sys.mmapAnonymous(LENGTH);
      mappings.add(new Pointer[] {mem});
      ok(fd, IOMMU_IOAS_MAP, ioasMapCmd(ioas, mem, LENGTH, IOVA), "IOAS_MAP");
      return this;
    }

    State tracking() {
      ok(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, setDirtyTrackingCmd(hwpt, true), "SET_DIRTY_TRACKING");
      return this;
    }

    State dirty(int pages) {
      Memory bits = new Memory(Math.max(8, (pages + 63) / 64 * 8));
      for (long i = 0; i < bits.size(); i += 8) {
        bits.setLong(i, -1L);
      }
      Memory m = testDirtyCmd(hwpt, IOVA, pages, MOCK_PAGE, bits);
      ok(fd, IOMMU_TEST_CMD, m, "TEST_CMD DIRTY");
      assertThat(m.getLong(56)).as("out_nr_dirty").isEqualTo(pages);
      return this;
    }

    /** Opens the sweep's mtty mdev cdev (closed, i.e. unbound, with the state). */
    State mdevOpen() {
      mdevFd = Sys.openOrThrow(Mtty.cdev(sweepMdev()), Sys.O_RDWR);
      deviceFds.add(mdevFd);
      return this;
    }

    State mdevBind() {
      ok(mdevFd, VFIO_DEVICE_BIND_IOMMUFD, vfioBindCmd(fd), "VFIO_DEVICE_BIND_IOMMUFD (mdev)");
      return this;
    }

    State detach() {
      ok(fd, IOMMU_TEST_CMD, replaceCmd(stdev, parking), "MOCK_DOMAIN_REPLACE back to parking");
      return this;
    }

    State destroyHwpt() {
      assertThat(destroy(fd, hwpt)).as("DESTROY hwpt").isZero();
      return this;
    }

    Call call(long request, Memory template, Function<Memory, List<Long>> outputs, boolean newIds) {
      return new Call(fd, request, template, outputs, newIds, () -> {}, mappings, deviceFds);
    }

    /** The same call on a VFIO cdev fd of this state. */
    Call callOn(int ioFd, long request, Memory template, Function<Memory, List<Long>> outputs, boolean newIds) {
      return new Call(ioFd, request, template, outputs, newIds, () -> {}, mappings, deviceFds);
    }
  }

  static List<Long> ints(Memory m, int... offsets) {
    List<Long> out = new ArrayList<>();
    for (int o : offsets) {
      out.add((long) m.getInt(o));
    }
    return out;
  }

  /** The calls swept: core's attach and detach through backend-linux (selftest source), plus dirty tracking. */
  static List<Scenario> scenarios() {
    List<Scenario> s = new ArrayList<>();
    s.add(new Scenario(IOAS_ALLOC_NAME, fd -> new State(fd).call(IOMMU_IOAS_ALLOC, ioasAllocCmd(), m -> ints(m, 8), true)));
    s.add(new Scenario(BIND_NAME, fd -> {
      State st = new State(fd).parking();
      return st.call(IOMMU_TEST_CMD, mockDomainFlagsCmd(st.parking, 0), m -> ints(m, 16, 20, 24), true);
    }));
    s.add(new Scenario(HW_INFO_NAME, fd -> {
      State st = new State(fd).parking().device(0);
      Memory data = new Memory(256);
      data.clear();
      Call c = st.call(IOMMU_GET_HW_INFO, hwInfoCmd(st.idev, data),
          m -> List.of((long) m.getInt(12), (long) m.getInt(24), m.getLong(32), (long) data.getInt(4)), false);
      return new Call(c.ioFd(), c.request(), c.template(), c.outputs(), false, data::clear, c.mappings(), c.deviceFds());
    }));
    s.add(new Scenario(HWPT_ALLOC_NAME, fd -> {
      State st = new State(fd).parking().device(0).container();
      return st.call(IOMMU_HWPT_ALLOC, hwptAllocCmd(st.idev, st.ioas, 0), m -> ints(m, 16), true);
    }));
    s.add(new Scenario(HWPT_ALLOC_DIRTY_NAME, fd -> {
      State st = new State(fd).parking().device(0).container();
      return st.call(IOMMU_HWPT_ALLOC, hwptAllocCmd(st.idev, st.ioas, HWPT_ALLOC_DIRTY_TRACKING), m -> ints(m, 16), true);
    }));
    s.add(new Scenario(HWPT_ALLOC_MAPPED_NAME, fd -> {
      State st = new State(fd).parking().device(0).container().map();
      return st.call(IOMMU_HWPT_ALLOC, hwptAllocCmd(st.idev, st.ioas, HWPT_ALLOC_DIRTY_TRACKING), m -> ints(m, 16), true);
    }));
    s.add(new Scenario(ATTACH_NAME, fd -> {
      State st = new State(fd).parking().device(0).container().hwpt(HWPT_ALLOC_DIRTY_TRACKING);
      return st.call(IOMMU_TEST_CMD, replaceCmd(st.stdev, st.hwpt), m -> ints(m, 16), false);
    }));
    s.add(new Scenario(MAP_NAME, fd -> {
      State st = new State(fd).parking().device(0).container().hwpt(HWPT_ALLOC_DIRTY_TRACKING).attach();
      Pointer mem = Sys.mmapAnonymous(LENGTH);
      st.mappings.add(new Pointer[] {mem});
      return st.call(IOMMU_IOAS_MAP, ioasMapCmd(st.ioas, mem, LENGTH, IOVA), m -> List.of(m.getLong(32)), false);
    }));
    s.add(new Scenario(MAP_NO_DOMAIN_NAME, fd -> {
      State st = new State(fd).container();
      Pointer mem = Sys.mmapAnonymous(LENGTH);
      st.mappings.add(new Pointer[] {mem});
      return st.call(IOMMU_IOAS_MAP, ioasMapCmd(st.ioas, mem, LENGTH, IOVA), m -> List.of(m.getLong(32)), false);
    }));
    s.add(new Scenario(SDT_ENABLE_NAME, fd -> {
      State st = new State(fd).parking().device(0).container().hwpt(HWPT_ALLOC_DIRTY_TRACKING).attach().map();
      return st.call(IOMMU_HWPT_SET_DIRTY_TRACKING, setDirtyTrackingCmd(st.hwpt, true), m -> List.of(), false);
    }));
    s.add(new Scenario(SDT_DISABLE_NAME, fd -> {
      State st = new State(fd).parking().device(0).container().hwpt(HWPT_ALLOC_DIRTY_TRACKING).attach().map().tracking();
      return st.call(IOMMU_HWPT_SET_DIRTY_TRACKING, setDirtyTrackingCmd(st.hwpt, false), m -> List.of(), false);
    }));
    s.add(new Scenario(GDB_NAME, fd -> {
      State st = new State(fd).parking().device(0).container().hwpt(HWPT_ALLOC_DIRTY_TRACKING).attach().map().tracking()
          .dirty(64);
      Memory bitmap = new Memory(LENGTH / 4096 / 8);
      bitmap.clear();
      Function<Memory, List<Long>> words = m -> {
        List<Long> w = new ArrayList<>();
        for (long i = 0; i < bitmap.size(); i += 8) {
          w.add(bitmap.getLong(i));
        }
        return w;
      };
      return new Call(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, getDirtyBitmapCmd(st.hwpt, IOVA, LENGTH, 4096, bitmap), words, false,
          bitmap::clear, st.mappings, st.deviceFds);
    }));
    s.add(new Scenario(DETACH_NAME, fd -> {
      State st = new State(fd).parking().device(0).container().hwpt(HWPT_ALLOC_DIRTY_TRACKING).attach().map();
      return st.call(IOMMU_TEST_CMD, replaceCmd(st.stdev, st.parking), m -> ints(m, 16), true);
    }));
    s.add(new Scenario(DESTROY_HWPT_NAME, fd -> {
      State st = new State(fd).parking().device(0).container().hwpt(HWPT_ALLOC_DIRTY_TRACKING).attach().map().detach();
      return st.call(IOMMU_DESTROY, destroyCmd(st.hwpt), m -> List.of(), false);
    }));
    s.add(new Scenario(UNMAP_NAME, fd -> {
      State st = new State(fd).parking().device(0).container().hwpt(HWPT_ALLOC_DIRTY_TRACKING).attach().map().detach()
          .destroyHwpt();
      return st.call(IOMMU_IOAS_UNMAP, ioasUnmapCmd(st.ioas, IOVA, LENGTH), m -> List.of(m.getLong(16)), false);
    }));
    s.add(new Scenario(DESTROY_IOAS_NAME, fd -> {
      State st = new State(fd).parking().device(0).container();
      return st.call(IOMMU_DESTROY, destroyCmd(st.ioas), m -> List.of(), false);
    }));
    s.add(new Scenario(UNBIND_NAME, fd -> {
      State st = new State(fd).parking().device(0);
      return st.call(IOMMU_DESTROY, destroyCmd(st.stdev), m -> List.of(), false);
    }));
    if (Mtty.present()) {
      s.add(new Scenario(MDEV_BIND_NAME, fd -> {
        State st = new State(fd).mdevOpen();
        return st.callOn(st.mdevFd, VFIO_DEVICE_BIND_IOMMUFD, vfioBindCmd(fd), m -> ints(m, 12), true);
      }));
      s.add(new Scenario(MDEV_ATTACH_NAME, fd -> {
        State st = new State(fd).mdevOpen().mdevBind().container().map();
        return st.callOn(st.mdevFd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, vfioAttachCmd(st.ioas), m -> ints(m, 8), false);
      }));
    }
    return s;
  }

  private static String sweepMdev;

  /** One mtty mdev for the mdev sweeps, made on first use and removed after the class. */
  static synchronized String sweepMdev() {
    if (sweepMdev == null) {
      sweepMdev = Mtty.create(Mtty.SINGLE);
    }
    return sweepMdev;
  }

  @TestFactory
  @DisplayName("fail-nth sweeps, failslab mode (every sleeping slab allocation and fail_iommufd point counts)")
  Stream<DynamicTest> sweepsFailslab() {
    return sweeps(FailNth.Mode.FAILSLAB);
  }

  /** Off by default (the lab's time budget); {@code -Dkernellab.failNth.selftestMode=true} adds it. */
  @TestFactory
  @DisplayName("fail-nth sweeps, the kernel selftest's setup (failslab and fail_page_alloc)")
  Stream<DynamicTest> sweepsSelftestSetup() {
    return Boolean.getBoolean("kernellab.failNth.selftestMode") ? sweeps(FailNth.Mode.SELFTEST) : Stream.empty();
  }

  private Stream<DynamicTest> sweeps(FailNth.Mode mode) {
    return scenarios().stream().map(sc -> DynamicTest.dynamicTest(mode + ": " + sc.name(), () -> {
      FailNth.configure(mode);
      try (FailNth fn = FailNth.open()) {
        sweep(mode, sc, fn);
      }
    }));
  }

  private void sweep(FailNth.Mode mode, Scenario sc, FailNth fn) {
    List<String> problems = new ArrayList<>();
    // control: the call unarmed, its results and the next free id after it
    List<Long> expected;
    int nextId;
    {
      int fd = Uapi.open("/dev/iommu");
      Call c = sc.prepare().apply(fd);
      try {
        Memory arg = copy(c.template());
        c.reset().run();
        int e = Sys.ioctlErrno(c.ioFd(), c.request(), arg);
        assertThat(e).as(sc.name() + " unarmed").isZero();
        expected = c.outputs().apply(arg);
        nextId = ioasAlloc(fd);
      } finally {
        release(fd, c);
      }
    }
    List<Row> rows = new ArrayList<>();
    int points = -1;
    int lastInjected = 0;
    for (int n = 1; n <= LIMIT && points < 0; n++) {
      int fd = Uapi.open("/dev/iommu");
      Call c = sc.prepare().apply(fd);
      boolean closed = false;
      try {
        Memory arg = copy(c.template());
        c.reset().run();
        FailNth.Shot shot = fn.call(n, c.ioFd(), c.request(), arg);
        if (shot.errno() == 0 && !shot.injected()) {
          // the end: this run passed fewer points than N (an earlier run may have passed more: some counts
          // depend on the physical layout of pinned pages or on kernel-wide id allocators, see the README)
          points = shot.pointsPassed();
          if (!c.outputs().apply(arg).equals(expected)) {
            problems.add("N=" + n + ": unarmed-equivalent call gave " + c.outputs().apply(arg) + ", control " + expected);
          }
          break;
        }
        rows.add(new Row(n, shot.errno(), shot.injected(), shot.attr(), shot.site()));
        if (shot.injected()) {
          lastInjected = n;
        }
        if (!shot.injected()) {
          problems.add("N=" + n + ": errno " + shot.errno() + " without an injected failure");
          continue;
        }
        if (shot.errno() == 0) {
          // the injected failure was absorbed: the call must still have done its whole job
          if (!c.outputs().apply(arg).equals(expected)) {
            problems.add("N=" + n + ": swallowed failure but results " + c.outputs().apply(arg) + " instead of " + expected);
          }
        } else {
          if (c.outputsAreNewIds()) {
            for (long id : expected) {
              int e = destroy(fd, (int) id);
              if (e != Sys.ENOENT) {
                problems.add("N=" + n + ": the would-be id " + id + " answers IOMMU_DESTROY with errno " + e + ", not ENOENT");
              }
            }
          }
          Memory retry = copy(c.template());
          c.reset().run();
          int e = Sys.ioctlErrno(c.ioFd(), c.request(), retry);
          if (e != 0) {
            problems.add("N=" + n + ": the identical call after the failure gave errno " + e);
          } else if (!c.outputs().apply(retry).equals(expected)) {
            problems.add("N=" + n + ": the identical call after the failure gave " + c.outputs().apply(retry) + ", control " + expected);
          }
        }
        int id = ioasAlloc(fd);
        if (id != nextId) {
          problems.add("N=" + n + ": next free id " + id + ", control " + nextId + " (an object was left behind)");
        }
        release(fd, c);
        closed = true;
        for (String line : fn.kernelLog()) {
          if (line.contains("WARNING:") || line.contains("BUG:") || line.contains("refcount_t:")) {
            problems.add("N=" + n + ": kernel log: " + line);
          }
        }
      } finally {
        if (!closed) {
          release(fd, c);
        }
      }
    }
    String table = table(mode, sc.name(), rows, points, lastInjected, expected);
    System.out.print(table.substring(0, table.indexOf('\n') + 1)); // the full table goes to $KL_OUT/fail-nth.txt
    synchronized (REPORT) {
      REPORT.append(table);
    }
    assertThat(points).as(sc.name() + ": the sweep ended within " + LIMIT).isGreaterThanOrEqualTo(0);
    assertThat(problems).as(sc.name() + ": problems").isEmpty();
    if (mode == FailNth.Mode.FAILSLAB) {
      Expect want = EXPECTED_FAILSLAB.get(sc.name());
      assertThat(want).as(sc.name() + ": nothing expected in EXPECTED_FAILSLAB").isNotNull();
      assertThat(points).as(sc.name() + ": fault points on this kernel (kernel-lab/README.md, EXPECTED_FAILSLAB)")
          .isBetween(want.min(), want.max());
      if (want.neverFails()) {
        assertThat(rows).as(sc.name() + ": every injected failure is absorbed").allMatch(r -> r.errno() == 0);
      }
      if (want.results() != null) {
        if (!want.results().startsWith("~")) {
          assertThat(lastInjected).as(sc.name() + ": a deterministic count (every N up to it injected)").isEqualTo(points);
        }
        assertThat(want.matches(results(rows))).as(sc.name() + ": the result of each N is " + want.results()
            + " (kernel-lab/README.md, EXPECTED_FAILSLAB), not " + results(rows)).isTrue();
      }
    }
  }

  private static void release(int fd, Call c) {
    for (int dev : c.deviceFds()) {
      Sys.close(dev); // unbinds
    }
    c.deviceFds().clear();
    Uapi.close(fd);
    for (Pointer[] m : c.mappings()) {
      Sys.munmap(m[0], LENGTH);
    }
    c.mappings().clear();
  }

  private static String table(FailNth.Mode mode, String name, List<Row> rows, int points, int lastInjected,
                              List<Long> expected) {
    StringBuilder sb = new StringBuilder();
    TreeSet<String> errnos = new TreeSet<>();
    Map<String, AtomicInteger> attrs = new LinkedHashMap<>();
    for (Row r : rows) {
      errnos.add(r.errno() == 0 ? "0 (swallowed)" : errnoName(r.errno()));
      attrs.computeIfAbsent(String.valueOf(r.attr()), k -> new AtomicInteger()).incrementAndGet();
    }
    String count = lastInjected > points ? points + " (an earlier run had " + lastInjected + ")" : String.valueOf(points);
    sb.append(String.format("fail-nth %s | %s | %s fault point(s) | errnos %s | attrs %s | results %s%n", mode, name, count,
        errnos, attrs, expected));
    for (Row r : rows) {
      sb.append(String.format("  N=%-3d %-14s %-16s %s%n", r.n(), r.errno() == 0 ? "ok(swallowed)" : errnoName(r.errno()),
          r.attr(), r.site() == null ? "" : r.site()));
    }
    return sb.toString();
  }

  /** "ENOMEM ENOENT ok ...": the result of each N in order. */
  static String results(List<Row> rows) {
    List<String> r = new ArrayList<>();
    for (Row row : rows) {
      r.add(row.errno() == 0 ? "ok" : errnoName(row.errno()));
    }
    return String.join(" ", r);
  }

  static String errnoName(int e) {
    return switch (e) {
      case Sys.ENOENT -> "ENOENT";
      case Sys.ENOMEM -> "ENOMEM";
      case Sys.EFAULT -> "EFAULT";
      case Sys.EBUSY -> "EBUSY";
      case Sys.EINVAL -> "EINVAL";
      case Sys.ENOSPC -> "ENOSPC";
      case Sys.EOPNOTSUPP -> "EOPNOTSUPP";
      default -> "errno " + e;
    };
  }

  @Test
  @DisplayName("fail-nth belongs to the thread that opened it: armed from another thread, only the owner fails")
  void failNthIsPerThread() throws Exception {
    FailNth.configure(FailNth.Mode.FAILSLAB);
    int fd = Uapi.open("/dev/iommu");
    try {
      int nthFd = Sys.openOrThrow(FailNth.FAIL_NTH, Sys.O_RDWR); // names this (the test) thread
      try {
        // everything this thread needs after the other thread armed it is made first: an allocation of
        // native memory (malloc, maybe mmap) or a class load in between would use up the armed count
        Memory one = new Memory(1);
        one.setByte(0, (byte) '1');
        Memory zero = new Memory(1);
        zero.setByte(0, (byte) '0');
        Memory mine = ioasAllocCmd();
        Memory theirs = ioasAllocCmd();
        int[] other = new int[2];
        Thread t = new Thread(() -> {
          other[0] = (int) Sys.write(nthFd, one, 1); // arms the test thread, not this one
          other[1] = Sys.ioctlErrno(fd, IOMMU_IOAS_ALLOC, theirs);
        });
        Sys.ioctlErrno(-1, 0, Pointer.NULL); // link ioctl and errno on this thread beforehand
        t.start();
        t.join();
        int errno = Sys.ioctlErrno(fd, IOMMU_IOAS_ALLOC, mine);
        Sys.write(nthFd, zero, 1);
        assertThat(other[0]).as("write of 1 from the other thread").isEqualTo(1);
        assertThat(other[1]).as("IOAS_ALLOC on the other thread").isZero();
        assertThat(errno).as("IOAS_ALLOC on the thread that opened fail-nth").isEqualTo(Sys.ENOMEM);
      } finally {
        Sys.close(nthFd);
      }
    } finally {
      Uapi.close(fd);
      FailNth.restoreDefaults();
    }
  }
}
