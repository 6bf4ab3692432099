package io.github.iommufd4j.backend.mock;

import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.IovaRange;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** VFIO_DEVICE_FEATURE_DMA_LOGGING_START / STOP / REPORT (device, or VF, dirty tracking). */
class DmaLoggingTest extends MockTestSupport {
    private static final List<IovaRange> RAM = List.of(new IovaRange(MEM, 64 * PAGE));

    private int ioas;
    private BoundDevice vf;

    @BeforeEach
    void attachedVf() {
        ioas = be.ioasAlloc();
        be.ioasMap(ioas, MEM, 128 * PAGE);
        vf = vfDevice("vf0", NO_DIRTY);
        be.attach(vf.devId(), ioas);
    }

    private DirtyBitmap report(long iova, long length, long pageSize) {
        DirtyBitmap bits = DirtyBitmap.forRange(length, pageSize);
        be.dmaLoggingReport(vf.devId(), iova, length, pageSize, bits);
        return bits;
    }

    @Test
    void start_onADeviceWithoutDmaLoggingIsEnotty() {
        BoundDevice plain = device("vf1", DIRTY);
        assertErrno(Errno.ENOTTY, () -> be.dmaLoggingStart(plain.devId(), RAM, PAGE));
        assertErrno(Errno.ENOTTY, () -> be.dmaLoggingStop(plain.devId()));
    }

    @Test
    void reportHoldsTheWrittenPagesAndClearsThem() {
        be.dmaLoggingStart(vf.devId(), RAM, PAGE);
        be.dmaWrite(vf.devId(), MEM + 3 * PAGE, 2 * PAGE);
        DirtyBitmap bits = report(MEM, 64 * PAGE, PAGE);
        assertThat(bits.cardinality()).isEqualTo(2);
        assertThat(bits.get(3) && bits.get(4)).isTrue();
        assertThat(report(MEM, 64 * PAGE, PAGE).isEmpty()).isTrue();
    }

    @Test
    void writesOutsideTheLoggedRangesAreNotLogged() {
        be.dmaLoggingStart(vf.devId(), RAM, PAGE);
        be.dmaWrite(vf.devId(), MEM + 100 * PAGE, PAGE);
        assertThat(report(MEM, 128 * PAGE, PAGE).isEmpty()).isTrue();
    }

    @Test
    void theLogIsKeptAtTheLoggingPageSize() {
        be.dmaLoggingStart(vf.devId(), RAM, 4 * PAGE);
        be.dmaWrite(vf.devId(), MEM + 5 * PAGE, 1);
        DirtyBitmap bits = report(MEM, 16 * PAGE, PAGE);
        assertThat(bits.cardinality()).isEqualTo(4);
        assertThat(bits.get(4) && bits.get(7)).isTrue();
    }

    @Test
    void reportWithoutARunningLogIsEinval() {
        assertErrno(Errno.EINVAL, () -> report(MEM, PAGE, PAGE));
    }

    @Test
    void stopWithoutARunningLogIsHarmless() {
        be.dmaLoggingStop(vf.devId());
        be.dmaLoggingStart(vf.devId(), RAM, PAGE);
        be.dmaLoggingStop(vf.devId());
        assertErrno(Errno.EINVAL, () -> report(MEM, PAGE, PAGE));
    }

    @Test
    void startTwiceIsEinval() {
        be.dmaLoggingStart(vf.devId(), RAM, PAGE);
        assertErrno(Errno.EINVAL, () -> be.dmaLoggingStart(vf.devId(), RAM, PAGE));
    }

    @Test
    void startRejectsBadRanges() {
        assertErrno(Errno.EINVAL, () -> be.dmaLoggingStart(vf.devId(), List.of(), PAGE));
        assertErrno(Errno.EINVAL, () -> be.dmaLoggingStart(vf.devId(), List.of(new IovaRange(MEM + 1, PAGE)), PAGE));
        assertErrno(Errno.EINVAL, () -> be.dmaLoggingStart(vf.devId(),
                List.of(new IovaRange(MEM, 2 * PAGE), new IovaRange(MEM + PAGE, PAGE)), PAGE));
        assertErrno(Errno.EINVAL, () -> be.dmaLoggingStart(vf.devId(), RAM, 3000));
        be.dmaLoggingStart(vf.devId(), RAM, PAGE); // none of the failures left a log running
    }

    @Test
    void reportRejectsLengthZeroAndOverflow() {
        be.dmaLoggingStart(vf.devId(), RAM, PAGE);
        assertErrno(Errno.EINVAL, () -> be.dmaLoggingReport(vf.devId(), MEM, 0, PAGE, new DirtyBitmap(0)));
        assertErrno(Errno.EOVERFLOW, () -> be.dmaLoggingReport(vf.devId(), -PAGE, PAGE, PAGE, new DirtyBitmap(1)));
    }

    @Test
    void aDetachedDeviceLogsNothing() {
        be.dmaLoggingStart(vf.devId(), RAM, PAGE);
        be.detach(vf.devId());
        be.dmaWrite(vf.devId(), MEM, PAGE);
        assertThat(report(MEM, 64 * PAGE, PAGE).isEmpty()).isTrue();
    }

    @Test
    void unbindStopsTheLog() {
        be.dmaLoggingStart(vf.devId(), RAM, PAGE);
        be.unbind(vf.devId());
        BoundDevice again = be.bind("vf0");
        assertErrno(Errno.EINVAL, () -> be.dmaLoggingReport(again.devId(), MEM, PAGE, PAGE, new DirtyBitmap(1)));
    }

    @Test
    void reportBitmapTooSmallIsRejectedBeforeTheCall() {
        assertThatThrownBy(() -> be.dmaLoggingReport(vf.devId(), MEM, 4 * PAGE, PAGE, new DirtyBitmap(2)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void dmaWriteOfAnUnboundDeviceIsAnArgumentError() {
        assertThatThrownBy(() -> be.dmaWrite(ioas, MEM, PAGE)).isInstanceOf(IllegalArgumentException.class);
    }
}
