package io.github.iommufd4j.simulator.report;

/**
 * QEMU's migration decision for a device ({@code docs/reference/qemu-rules.md} section 5).
 *
 * @param allowed whether migration is allowed (no blocker)
 * @param fatal   whether the decision failed the device's realize ({@code enableMigration: on})
 * @param message the blocker or error text; null when allowed
 */
public record MigrationReport(boolean allowed, boolean fatal, String message) {
    public MigrationReport {
        if (allowed && fatal) {
            throw new IllegalArgumentException("a migration decision cannot be both allowed and fatal");
        }
    }
}
