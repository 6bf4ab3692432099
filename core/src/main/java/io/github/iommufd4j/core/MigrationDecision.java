package io.github.iommufd4j.core;

/**
 * The outcome of QEMU's migration checks for one device at realize ({@code docs/reference/qemu-rules.md} section 5).
 *
 * @param rule    the row that decided, {@code Q-MIG-1} to {@code Q-MIG-6}, or a later version's row: {@code Q-EV-11}
 *                (the dirty-bitmap limit), {@code Q-EV-13} (the accelerated vSMMU's blocker)
 * @param allowed migration allowed (no blocker from this device)
 * @param fatal   the device's realize failed (enable-migration=on and a blocking row)
 * @param message the blocker or error text, null when allowed
 */
public record MigrationDecision(String rule, boolean allowed, boolean fatal, String message) {
}
