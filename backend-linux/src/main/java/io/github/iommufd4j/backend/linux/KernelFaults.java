package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.FaultInjection;

import java.util.List;

/**
 * The {@link FaultInjection} of a {@code linux} backend opened with {@code faults=kernel}: the kernel itself
 * fails the call, through fail-nth ({@code /proc/thread-self/fail-nth}; see {@code kernel-lab/README.md},
 * "Kernel-made failures: fail-nth"). The call reaches the kernel with the N-th fault point of the calling thread
 * armed, the kernel fails that allocation or lookup, unwinds, and returns its own errno.
 *
 * <p>{@link #failNth(BackendOp, int, Errno)} takes the errno a scenario asks for and arms the fault point that
 * the measured table gives for that call and errno. It refuses, with {@link UnsupportedOperationException}, an
 * errno the kernel cannot give for that call (ENOMEM from SET_DIRTY_TRACKING, EBUSY from ATTACH, EIO from
 * GET_DIRTY_BITMAP, any failure of DESTROY); when the call comes, a device whose calls cannot give it refuses
 * the same way and the call is not made. {@link #failPoint} arms a fault point by its number, whatever errno the
 * kernel then gives: a sweep over every fault point of a call.
 *
 * <p>What the kernel answered is passed on as it is: an armed call that succeeds (the failure was absorbed, or
 * the call passed fewer fault points) succeeds, one that fails with another errno fails with that. {@link #shots()}
 * tells what each armed call did.
 *
 * <p>Obtained as {@code backend.faultInjection()} of such a backend: {@code (KernelFaults) b.faultInjection().get()}.
 */
public interface KernelFaults extends FaultInjection {

    /**
     * The {@code nth} next call of {@code op} (1 = the very next) is made with fault point {@code point} armed.
     *
     * @throws IllegalArgumentException for {@code nth} or {@code point} below 1
     */
    void failPoint(BackendOp op, int nth, int point);

    /** What every armed call did so far, oldest first. */
    List<Shot> shots();

    /**
     * One armed call.
     *
     * @param op       the call
     * @param call     its number among the calls of {@code op} since the backend was opened
     * @param point    the fault point armed
     * @param expected the errno asked for ({@link #failNth}), or null ({@link #failPoint})
     * @param errno    the kernel's errno, {@link Errno#UNKNOWN} for a number {@link Errno} does not list, null when the call succeeded
     * @param fired    whether the failure was injected (fail-nth read back 0)
     * @param made     whether the call reached the kernel (false: refused before, or failed before its ioctl)
     */
    record Shot(BackendOp op, long call, int point, Errno expected, Errno errno, boolean fired, boolean made) {

        /** Whether the kernel did what was asked: the failure fired and gave the expected errno (any, for {@link #failPoint}). */
        public boolean asAsked() {
            return made && fired && errno != null && (expected == null || expected == errno);
        }

        @Override
        public String toString() {
            return op + " #" + call + " at fault point " + point + (expected == null ? "" : " (for " + expected + ")") + ": "
                    + (!made ? "not made" : (errno == null ? "ok" : errno.name()) + (fired ? ", fired" : ", not fired"));
        }
    }
}
