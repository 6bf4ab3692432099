package io.github.iommufd4j.api;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A decorator that gives any backend {@link FaultInjection}: it counts every kernel call made through it (one
 * {@link BackendOp} per {@link IommufdBackend} method, {@code UNBIND} included, failed calls included) and makes
 * chosen calls fail.
 *
 * <p>An injected failure is one the kernel never saw: the call throws an {@link IommufdException} with its
 * operation, its arguments (as {@link CallArguments} writes them), the errno and the hint
 * {@code injected fault (call N of OP)}, and never reaches the delegate. That matches the kernel's contract
 * that a failed call changes nothing the caller can see (K-FAIL in {@code docs/reference/kernel-uapi.md}), so to
 * the caller (QEMU's rules, the simulator) an injected fault is a faithful stand-in for a kernel failure. It
 * says nothing about the backend's own failure paths: a check of those needs a failure the backend made.
 *
 * <p>Faults are scheduled by a {@link FaultSchedule}: each as the absolute call number it fires on, so several may
 * be pending at once, on one operation or several, without shifting each other; when several aim at the same call,
 * the first registered gives the errno and all of them are used up.
 *
 * <p>Arguments that no kernel call could express (a null, a bitmap too small for the range, see
 * {@link IommufdBackend}) are rejected before the call is counted: they are not calls. After {@link #close()}
 * calls are passed on uncounted, for the delegate to refuse; the {@link FaultInjection} methods then throw
 * {@link IllegalStateException}.
 *
 * <p>Thread-safe. Counting and firing hold this decorator's monitor and the call itself runs outside it, so with
 * several threads "call N" is the Nth call to be counted.
 *
 * <pre>{@code
 * FaultInjectingBackend faults = new FaultInjectingBackend(backend);
 * faults.failNth(BackendOp.HWPT_ALLOC, 2, Errno.ENOMEM); // the second HWPT_ALLOC from now fails
 * }</pre>
 */
public final class FaultInjectingBackend extends ForwardingIommufdBackend implements FaultInjection {

    private final FaultSchedule<Errno> schedule = new FaultSchedule<>();
    private boolean closed;

    /**
     * Fault injection in front of {@code delegate}, with no fault pending and no call counted.
     *
     * @param delegate the backend calls go to when no fault fires
     */
    public FaultInjectingBackend(IommufdBackend delegate) {
        super(delegate);
    }

    // ---------------------------------------------------------------- FaultInjection

    /**
     * @throws IllegalArgumentException for {@code nth} below 1 or {@link Errno#UNKNOWN}
     * @throws IllegalStateException    after {@link #close()}
     */
    @Override
    public synchronized void failNth(BackendOp op, int nth, Errno errno) {
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(errno, "errno");
        if (nth < 1) {
            throw new IllegalArgumentException("nth must be 1 or more (1 = the very next call), not " + nth);
        }
        if (errno == Errno.UNKNOWN) {
            throw new IllegalArgumentException("inject a listed errno, not UNKNOWN");
        }
        ensureOpen();
        schedule.schedule(op, nth, errno);
    }

    @Override
    public synchronized void clearFaults() {
        ensureOpen();
        schedule.clear();
    }

    @Override
    public synchronized Map<BackendOp, Long> callCounts() {
        ensureOpen();
        return schedule.counts();
    }

    /** This decorator. */
    @Override
    public Optional<FaultInjection> faultInjection() {
        return Optional.of(this);
    }

    // ---------------------------------------------------------------- kernel calls

    @Override
    public int ioasAlloc() {
        admit(BackendOp.IOAS_ALLOC, () -> "");
        return delegate().ioasAlloc();
    }

    @Override
    public void ioasMap(int ioasId, long iova, long length) {
        admit(BackendOp.IOAS_MAP, () -> CallArguments.ioasRange(ioasId, iova, length));
        delegate().ioasMap(ioasId, iova, length);
    }

    @Override
    public void ioasUnmap(int ioasId, long iova, long length) {
        admit(BackendOp.IOAS_UNMAP, () -> CallArguments.ioasRange(ioasId, iova, length));
        delegate().ioasUnmap(ioasId, iova, length);
    }

    @Override
    public void destroy(int id) {
        admit(BackendOp.DESTROY, () -> CallArguments.destroy(id));
        delegate().destroy(id);
    }

    @Override
    public BoundDevice bind(String deviceRef) {
        Objects.requireNonNull(deviceRef, "deviceRef");
        admit(BackendOp.BIND, () -> deviceRef);
        return delegate().bind(deviceRef);
    }

    @Override
    public void unbind(int devId) {
        admit(BackendOp.UNBIND, () -> CallArguments.device(devId));
        delegate().unbind(devId);
    }

    @Override
    public HostIommuDevice getHwInfo(int devId) {
        admit(BackendOp.GET_HW_INFO, () -> CallArguments.device(devId));
        return delegate().getHwInfo(devId);
    }

    @Override
    public int hwptAlloc(int devId, int ptId, FlagSet<HwptAllocFlag> flags) {
        Objects.requireNonNull(flags, "flags");
        admit(BackendOp.HWPT_ALLOC, () -> CallArguments.hwptAlloc(devId, ptId, flags));
        return delegate().hwptAlloc(devId, ptId, flags);
    }

    @Override
    public int attach(int devId, int ptId) {
        admit(BackendOp.ATTACH, () -> CallArguments.attach(devId, ptId));
        return delegate().attach(devId, ptId);
    }

    @Override
    public void detach(int devId) {
        admit(BackendOp.DETACH, () -> CallArguments.device(devId));
        delegate().detach(devId);
    }

    @Override
    public void setDirtyTracking(int hwptId, boolean enable) {
        admit(BackendOp.SET_DIRTY_TRACKING, () -> CallArguments.setDirtyTracking(hwptId, enable));
        delegate().setDirtyTracking(hwptId, enable);
    }

    @Override
    public void getDirtyBitmap(int hwptId, long iova, long length, long pageSize, boolean noClear, DirtyBitmap into) {
        Objects.requireNonNull(into, "into");
        Supplier<String> args = () -> CallArguments.getDirtyBitmap(hwptId, iova, length, pageSize, noClear);
        into.requireCapacity(() -> BackendOp.GET_DIRTY_BITMAP + "(" + args.get() + ")", length, pageSize);
        admit(BackendOp.GET_DIRTY_BITMAP, args);
        delegate().getDirtyBitmap(hwptId, iova, length, pageSize, noClear, into);
    }

    @Override
    public void dmaLoggingStart(int devId, List<IovaRange> ranges, long pageSize) {
        List<IovaRange> copy = List.copyOf(Objects.requireNonNull(ranges, "ranges"));
        admit(BackendOp.DMA_LOGGING_START, () -> CallArguments.dmaLoggingStart(devId, copy, pageSize));
        delegate().dmaLoggingStart(devId, copy, pageSize);
    }

    @Override
    public void dmaLoggingStop(int devId) {
        admit(BackendOp.DMA_LOGGING_STOP, () -> CallArguments.device(devId));
        delegate().dmaLoggingStop(devId);
    }

    @Override
    public void dmaLoggingReport(int devId, long iova, long length, long pageSize, DirtyBitmap into) {
        Objects.requireNonNull(into, "into");
        Supplier<String> args = () -> CallArguments.dmaLoggingReport(devId, iova, length, pageSize);
        into.requireCapacity(() -> BackendOp.DMA_LOGGING_REPORT + "(" + args.get() + ")", length, pageSize);
        admit(BackendOp.DMA_LOGGING_REPORT, args);
        delegate().dmaLoggingReport(devId, iova, length, pageSize, into);
    }

    /** Drops every pending fault and closes the delegate. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            schedule.clear();
        }
        delegate().close();
    }

    // ---------------------------------------------------------------- counting and firing

    /** Counts one call of {@code op} and throws the fault aimed at it, if any (after close: neither). */
    private synchronized void admit(BackendOp op, Supplier<String> args) {
        if (closed) {
            return;
        }
        Errno fired = schedule.admit(op);
        if (fired != null) {
            throw new IommufdException(op, args.get(), fired, fired.number(),
                    "injected fault (call " + schedule.count(op) + " of " + op + ")");
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("backend closed");
        }
    }
}
