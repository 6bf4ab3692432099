package io.github.iommufd4j.backend.linux.sys;

/**
 * The outcome of one ioctl made with fail-nth armed ({@link Ioctls#ioctlFailingNth}).
 *
 * @param nth       the count that was armed: the N-th fault point the thread passes fails
 * @param errno     the ioctl's errno, 0 when it succeeded
 * @param remaining what the fail-nth file read back right after the ioctl: 0 when the failure was injected,
 *                  else {@code nth} minus the fault points the call passed
 */
public record ArmedIoctl(int nth, int errno, int remaining) {

    /** Whether the armed failure was injected during the call (the count reached 0). */
    public boolean fired() {
        return remaining == 0;
    }

    /** Fault points the call passed when the failure did not fire. */
    public int pointsPassed() {
        return nth - remaining;
    }
}
