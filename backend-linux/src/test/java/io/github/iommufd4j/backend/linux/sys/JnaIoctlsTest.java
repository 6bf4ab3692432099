package io.github.iommufd4j.backend.linux.sys;

import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.backend.linux.uapi.IoasAlloc;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The real native layer on this host, with calls that need no iommufd: errno comes back, memory is bounded. */
class JnaIoctlsTest {
    private final JnaIoctls sys = JnaIoctls.get();

    @Test
    @DisplayName("open of a missing file returns -ENOENT")
    void openOfMissingFileReturnsMinusEnoent() {
        assertThat(sys.open("/nonexistent/iommufd4j-no-such-file", Ioctls.O_RDWR)).isEqualTo(-Errno.ENOENT.number());
    }

    @Test
    @DisplayName("K-GEN-1 an iommufd ioctl on a file that does not know it answers ENOTTY, and the struct is left as sent")
    void ioctlOnDevNullIsEnotty() {
        int fd = sys.open("/dev/null", Ioctls.O_RDWR | Ioctls.O_CLOEXEC);
        assertThat(fd).isNotNegative();
        try {
            NativeStruct s = IoasAlloc.encode();
            byte[] before = s.toBytes();
            assertThat(sys.ioctl(fd, IoasAlloc.REQUEST, s)).isEqualTo(Errno.ENOTTY.number());
            assertThat(s.toBytes()).isEqualTo(before);
        } finally {
            assertThat(sys.close(fd)).isZero();
        }
        assertThat(sys.close(fd)).as("closing twice").isEqualTo(Errno.EBADF.number());
    }

    @Test
    @DisplayName("anonymous guest memory is zeroed, readable and writable, and bounds-checked")
    void mmapAnonymousIsUsableAndBounded() {
        long length = 2L << 20;
        NativeRegion r = sys.mmapAnonymous(length);
        try {
            assertThat(r.address()).isNotZero();
            assertThat(r.address() % sys.pageSize()).isZero();
            assertThat(r.getLong(length - 8)).isZero();
            r.putLong(length - 8, 0x1122334455667788L);
            assertThat(r.getLong(length - 8)).isEqualTo(0x1122334455667788L);
            assertThatThrownBy(() -> r.getLong(length - 4)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> r.putLong(-8, 1)).isInstanceOf(IndexOutOfBoundsException.class);
        } finally {
            r.close();
        }
        assertThat(r.address()).as("freed region has no address").isZero();
        assertThatThrownBy(() -> r.getLong(0)).isInstanceOf(IllegalStateException.class);
        r.close(); // harmless
    }

    @Test
    @DisplayName("allocated buffers are zeroed and reject reads past their size")
    void allocateIsZeroedAndBounded() {
        try (NativeRegion r = sys.allocate(24)) {
            byte[] all = new byte[24];
            r.read(0, all);
            assertThat(all).containsOnly(0);
            r.putLong(16, -1L);
            assertThat(r.getLong(16)).isEqualTo(-1L);
            assertThatThrownBy(() -> r.read(20, new byte[8])).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @Test
    @DisplayName("the host page size is a power of two of at least 4 KiB")
    void pageSizeIsAPowerOfTwo() {
        long p = sys.pageSize();
        assertThat(p).isGreaterThanOrEqualTo(4096);
        assertThat(Long.bitCount(p)).isEqualTo(1);
    }

    @Test
    @DisplayName("fail-nth: without CONFIG_FAULT_INJECTION opening it is ENOENT; with it, an ioctl passing no fault point leaves the count")
    void failNthOnThisHost() throws InterruptedException {
        if (!java.nio.file.Files.exists(java.nio.file.Path.of(JnaIoctls.FAIL_NTH))) {
            assertThatThrownBy(sys::openFailNth).isInstanceOfSatisfying(NativeCallException.class,
                    e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT.number()));
            return;
        }
        int fd = sys.open("/dev/null", Ioctls.O_RDWR | Ioctls.O_CLOEXEC);
        try (FailNthFile f = sys.openFailNth()) {
            assertThat(f.owner()).isSameAs(Thread.currentThread());
            ArmedIoctl r = sys.ioctlFailingNth(fd, IoasAlloc.REQUEST, IoasAlloc.encode(), f, 1000);
            assertThat(r.errno()).isEqualTo(Errno.ENOTTY.number());
            assertThat(r.fired()).as("an ENOTTY ioctl allocates nothing: %s", r).isFalse();
            java.util.concurrent.atomic.AtomicReference<Throwable> other = new java.util.concurrent.atomic.AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    sys.ioctlFailingNth(fd, IoasAlloc.REQUEST, IoasAlloc.encode(), f, 1);
                } catch (Throwable e) {
                    other.set(e);
                }
            });
            t.start();
            t.join();
            assertThat(other.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("not opened by the calling thread");
        } finally {
            sys.close(fd);
        }
    }
}
