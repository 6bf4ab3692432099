/**
 * The scenario model of {@code docs/reference/scenario-format.md}: a host (IOMMU instances, devices, guest memory) and the
 * steps to run on it. Plain immutable records, validated on construction; {@link
 * io.github.iommufd4j.simulator.scenario.ScenarioValidator} checks the rules that span several parts (unique ids,
 * references, page-size multiples) and names each problem by its key path.
 */
package io.github.iommufd4j.simulator.scenario;
