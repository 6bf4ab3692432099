package io.github.iommufd4j.kernellab;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kernel's fault injection, one ioctl at a time, the way {@code iommufd_fail_nth.c} uses it:
 * writing N to {@code /proc/thread-self/fail-nth} makes the N-th fault point that the thread passes in its
 * next system calls fail; every fault point passed counts down the number, and reading the file gives what
 * is left (0 once the failure was injected). Fault points are {@code failslab} (every kmalloc/kmem_cache
 * allocation the knobs do not exempt), {@code fail_page_alloc} (page allocations of order >= its
 * {@code min-order}, 1) and, with {@code CONFIG_IOMMUFD_TEST}, iommufd's own {@code fail_iommufd} points
 * (in the page pinning and mock-domain code, which return EFAULT/ENOENT/EINVAL/ENOMEM of their own).
 *
 * <p>Mechanics that matter from Java: the file is opened from the thread that makes the ioctl (the fd names
 * that thread's task for good: {@code /proc/thread-self} resolves at open time); the write of N, the ioctl,
 * the read-back and the write of 0 are four direct-mapped JNA calls on that thread with nothing between
 * them that could enter the kernel (no allocation of native memory, no class loading, no exception). The
 * count is disarmed (0) right after the call: a count left over would fail a later, unrelated allocation of
 * the thread.
 */
final class FailNth implements AutoCloseable {
  static final String DEBUGFS = "/sys/kernel/debug";
  static final String FAIL_NTH = "/proc/thread-self/fail-nth";

  /** Which allocations count as fault points. */
  enum Mode {
    /**
     * failslab with {@code ignore-gfp-wait=N}: every slab allocation that may sleep counts (the default,
     * {@code Y}, exempts all GFP_KERNEL allocations, i.e. nearly all of iommufd's); fail_page_alloc stays
     * at its defaults (only allocations that cannot reclaim, none here); fail_iommufd always counts.
     */
    FAILSLAB,
    /** As {@code iommufd_fail_nth.c} sets up: FAILSLAB plus fail_page_alloc with ignore-gfp-wait/highmem=N. */
    SELFTEST
  }

  /** The result of one armed call. */
  record Shot(int n, int errno, int remaining, String attr, String site) {
    /** Whether the failure was injected (the count reached 0). */
    boolean injected() {
      return remaining == 0;
    }

    /** Fault points the call passed: N - remaining (when injected, at least N). */
    int pointsPassed() {
      return n - remaining;
    }
  }

  private final Thread owner = Thread.currentThread();
  private final int fd;
  private final Memory armText = new Memory(16);
  private final Memory zero = new Memory(1);
  private final Memory readBack = new Memory(32);
  private final Kmsg kmsg;

  private FailNth(int fd, Kmsg kmsg) {
    this.fd = fd;
    this.kmsg = kmsg;
    zero.setByte(0, (byte) '0');
  }

  /** Whether this kernel has fail-nth and the debugfs knobs. */
  static boolean available() {
    return Files.exists(Path.of(FAIL_NTH)) && Files.isDirectory(Path.of(DEBUGFS, "failslab"));
  }

  /** Sets the global knobs for {@code mode} (verbose 2: each injected failure logs its name and call trace). */
  static void configure(Mode mode) {
    knob("failslab/ignore-gfp-wait", "N");
    boolean pages = mode == Mode.SELFTEST;
    knob("fail_page_alloc/ignore-gfp-wait", pages ? "N" : "Y");
    knob("fail_page_alloc/ignore-gfp-highmem", pages ? "N" : "Y");
    for (String attr : List.of("failslab", "fail_page_alloc", "fail_iommufd")) {
      if (Files.isDirectory(Path.of(DEBUGFS, attr))) {
        knob(attr + "/verbose", "2");
      }
    }
  }

  /** Puts the knobs back to the kernel's defaults. */
  static void restoreDefaults() {
    knob("failslab/ignore-gfp-wait", "Y");
    knob("fail_page_alloc/ignore-gfp-wait", "Y");
    knob("fail_page_alloc/ignore-gfp-highmem", "Y");
  }

  private static void knob(String rel, String value) {
    int errno = Sys.writeFile(DEBUGFS + "/" + rel, value);
    if (errno != 0) {
      throw new IllegalStateException("cannot write " + value + " to " + DEBUGFS + "/" + rel + ": errno " + errno);
    }
  }

  /** Opens fail-nth for the calling thread and warms every call the armed window uses. */
  static FailNth open() {
    int fd = Sys.openOrThrow(FAIL_NTH, Sys.O_RDWR);
    FailNth f = new FailNth(fd, Kmsg.open());
    f.disarm();
    f.remaining();
    Sys.ioctl(-1, 0, Pointer.NULL); // EBADF: loads and links ioctl before the first armed call
    Sys.errno();
    return f;
  }

  /**
   * Arms N, runs {@code ioctl(iofd, request, arg)}, reads what is left of N and disarms, all on this
   * thread; then reads the kernel log for the fault point's name and call site.
   */
  Shot call(int n, int iofd, long request, Pointer arg) {
    if (Thread.currentThread() != owner) {
      throw new IllegalStateException("fail-nth was opened by " + owner + ", the call runs on " + Thread.currentThread());
    }
    byte[] digits = Integer.toString(n).getBytes(StandardCharsets.US_ASCII);
    armText.write(0, digits, 0, digits.length);
    kmsg.skipToEnd();
    // ---- armed window: nothing but these four native calls ----
    long w = Sys.write(fd, armText, digits.length);
    int rc = Sys.ioctl(iofd, request, arg);
    int errno = rc == 0 ? 0 : Sys.errno();
    long r = Sys.pread(fd, readBack, 31, 0);
    long d = Sys.write(fd, zero, 1);
    // ---- disarmed ----
    if (w != digits.length || r <= 0 || d != 1) {
      throw new IllegalStateException("fail-nth write/read failed (write " + w + ", read " + r + ", disarm " + d + ")");
    }
    int remaining = Integer.parseInt(readBack.getString(0, "US-ASCII").substring(0, (int) r).trim());
    String attr = null;
    String site = null;
    if (remaining == 0) {
      Kmsg.Injection inj = kmsg.lastInjection();
      if (inj != null) {
        attr = inj.attr();
        site = inj.site();
      }
    }
    return new Shot(n, errno, remaining, attr, site);
  }

  /** Kernel log records since the last call (e.g. WARNs of the unwinding or of a later close). */
  List<String> kernelLog() {
    return kmsg.drain();
  }

  private void disarm() {
    if (Sys.write(fd, zero, 1) != 1) {
      throw new IllegalStateException("cannot write 0 to " + FAIL_NTH + ": errno " + Sys.errno());
    }
  }

  private int remaining() {
    long r = Sys.pread(fd, readBack, 31, 0);
    if (r <= 0) {
      throw new IllegalStateException("cannot read " + FAIL_NTH + ": errno " + Sys.errno());
    }
    return Integer.parseInt(readBack.getString(0, "US-ASCII").substring(0, (int) r).trim());
  }

  @Override
  public void close() {
    Sys.close(fd);
    kmsg.close();
  }

  /** The kernel log through /dev/kmsg: the "forcing a failure" report of the last injected fault. */
  static final class Kmsg implements AutoCloseable {
    private static final Pattern NAME = Pattern.compile("name (\\S+), interval");
    private static final Pattern FRAME = Pattern.compile("^\\s*(?:\\? )?([A-Za-z0-9_.]+)\\+0x[0-9a-f]+/0x[0-9a-f]+");
    /** Frames of the fault-injection machinery, the allocators and the unwinder, skipped to find the caller. */
    private static final Pattern PLUMBING = Pattern.compile(
        "dump_stack.*|show_stack|should_fail.*|fail_dump|__should_fail.*|should_failslab|kmem_cache_alloc.*|"
            + "__kmalloc.*|kmalloc.*|__kvmalloc.*|kvmalloc.*|kzalloc.*|krealloc.*|slab_pre_alloc_hook.*|"
            + "__alloc_pages.*|alloc_pages.*|prepare_alloc_pages.*|__get_free_pages|get_zeroed_page.*|"
            + "iommufd_should_fail|xas_.*|xa_.*|__xa_.*|radix_tree.*|kstrdup.*|kmemdup.*|__kmem_cache.*|"
            + "kmalloc_trace.*|__kmalloc_cache.*|__kmalloc_node.*|new_slab|allocate_slab|___slab_alloc|__slab_alloc.*|"
            + "slab_alloc_node.*|kernfs_new_node|__kernfs_new_node|idr_.*|ida_.*|.*_noprof");

    record Injection(String attr, String site) {}

    private final int fd;
    private final Memory buf = new Memory(8192);

    private Kmsg(int fd) {
      this.fd = fd;
    }

    static Kmsg open() {
      return new Kmsg(Sys.openOrThrow("/dev/kmsg", Sys.O_RDONLY | Sys.O_NONBLOCK));
    }

    void skipToEnd() {
      Sys.lseek(fd, 0, Sys.SEEK_END);
    }

    /** Records written since {@link #skipToEnd()} (one printk line each; EPIPE means some were overwritten). */
    List<String> drain() {
      List<String> out = new ArrayList<>();
      while (true) {
        long n = Sys.read(fd, buf, buf.size());
        if (n < 0) {
          int e = Sys.errno();
          if (e == Sys.EPIPE) {
            continue; // records were overwritten; the read position moved on
          }
          break; // EAGAIN: no more
        }
        String rec = new String(buf.getByteArray(0, (int) n), StandardCharsets.UTF_8);
        int semi = rec.indexOf(';');
        String text = semi >= 0 ? rec.substring(semi + 1) : rec;
        int nl = text.indexOf('\n');
        out.add((nl >= 0 ? text.substring(0, nl) : text).replace("\\x0a", "\n"));
      }
      return out;
    }

    /** The name of the fault attribute and the first caller outside the allocator of the last report. */
    Injection lastInjection() {
      String attr = null;
      List<String> callers = new ArrayList<>();
      boolean inTrace = false;
      for (String rec : drain()) {
        for (String line : rec.split("\n")) {
          Matcher m = NAME.matcher(line);
          if (m.find()) {
            attr = m.group(1);
            callers.clear();
            inTrace = true;
            continue;
          }
          if (!inTrace) {
            continue;
          }
          Matcher f = FRAME.matcher(line);
          if (f.find() && !PLUMBING.matcher(f.group(1)).matches() && callers.size() < 3) {
            callers.add(f.group(1));
          }
        }
      }
      return attr == null ? null : new Injection(attr, String.join("<", callers));
    }

    @Override
    public void close() {
      Sys.close(fd);
    }
  }
}
