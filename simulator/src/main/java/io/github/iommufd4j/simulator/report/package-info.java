/**
 * The simulation report of {@code docs/reference/scenario-format.md}: immutable records whose components match the JSON
 * report field for field and in key order, so a writer can emit them component by component.
 */
package io.github.iommufd4j.simulator.report;
