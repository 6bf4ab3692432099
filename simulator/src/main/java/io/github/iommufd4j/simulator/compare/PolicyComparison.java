package io.github.iommufd4j.simulator.compare;

import io.github.iommufd4j.core.Profile;
import io.github.iommufd4j.simulator.SimulationOptions;
import io.github.iommufd4j.simulator.SimulationResult;
import io.github.iommufd4j.simulator.Simulator;
import io.github.iommufd4j.simulator.oracle.DirtyCosts;
import io.github.iommufd4j.simulator.report.CallReport;
import io.github.iommufd4j.simulator.report.DeviceReport;
import io.github.iommufd4j.simulator.report.LostRun;
import io.github.iommufd4j.simulator.report.SimulationReport;
import io.github.iommufd4j.simulator.report.StepReport;
import io.github.iommufd4j.simulator.scenario.Scenario;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The same scenarios under several profiles, side by side: what each loses and what each costs. A profile may be
 * one of the named ones or a composition of policies built in code ({@link Profile#builder}).
 */
public final class PolicyComparison {
    private PolicyComparison() {
    }

    /**
     * One profile's figures over every scenario of a comparison.
     *
     * @param profile                 the profile's name
     * @param scenarios               scenarios run
     * @param scenariosLosingPages    scenarios with at least one lost page
     * @param pagesWritten            distinct pages written while tracking, summed over the scenarios
     * @param pagesLost               pages written and never reported since
     * @param costs                   pages copied, split into needed, over-reported and perpetual
     * @param hwptsAllocated          successful HWPT_ALLOC calls
     * @param backendCalls            backend calls the steps made
     * @param devicesAllowedToMigrate devices attached at the end whose migration decision allows migration
     * @param failedAttaches          attach steps that failed
     */
    public record Figures(String profile, int scenarios, int scenariosLosingPages, long pagesWritten, long pagesLost,
                          DirtyCosts costs, long hwptsAllocated, long backendCalls, long devicesAllowedToMigrate,
                          long failedAttaches) {
        public Figures {
            Objects.requireNonNull(profile, "profile");
            Objects.requireNonNull(costs, "costs");
        }

        Figures plus(SimulationResult r) {
            SimulationReport report = r.report();
            long lost = report.dirty().lost().stream().mapToLong(LostRun::pages).sum();
            long hwpts = 0;
            long calls = 0;
            long failed = 0;
            for (StepReport s : report.steps()) {
                calls += s.calls().size();
                for (CallReport c : s.calls()) {
                    if (c.op().equals(CallReport.HWPT_ALLOC) && c.isOk()) {
                        hwpts++;
                    }
                }
                if (s.op().equals("attach") && !s.ok()) {
                    failed++;
                }
            }
            long migrating = 0;
            for (DeviceReport d : report.devices()) {
                if (d.attached() && d.migration() != null && d.migration().allowed()) {
                    migrating++;
                }
            }
            return new Figures(profile, scenarios + 1, scenariosLosingPages + (lost > 0 ? 1 : 0),
                    pagesWritten + report.dirty().written(), pagesLost + lost, costs.plus(r.costs()), hwptsAllocated + hwpts,
                    backendCalls + calls, devicesAllowedToMigrate + migrating, failedAttaches + failed);
        }
    }

    /**
     * Runs every scenario under every profile on {@code simulator} (each run on a fresh backend, the scenario's
     * own), and returns one {@link Figures} per profile, in the order given.
     */
    public static List<Figures> compare(Simulator simulator, List<Scenario> scenarios, List<Profile> profiles) {
        List<Figures> out = new ArrayList<>();
        for (Profile p : profiles) {
            Figures f = new Figures(p.name(), 0, 0, 0, 0, DirtyCosts.NONE, 0, 0, 0, 0);
            SimulationOptions options = SimulationOptions.of(p);
            for (Scenario s : scenarios) {
                f = f.plus(simulator.run(s, options));
            }
            out.add(f);
        }
        return List.copyOf(out);
    }
}
