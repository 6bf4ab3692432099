package io.github.iommufd4j.qemulab;

import org.junit.jupiter.api.Test;

import java.util.List;

class ExploreLabIT {
    @Test
    void explore() {
        try (LabSession s = Lab.start(List.of(LabDevice.of("vf0", Lab.DIRTY, 3), LabDevice.of("vf1", Lab.PLAIN, 4),
                LabDevice.of("vf2", Lab.DIRTY, 5).withVfDirtyTracking(true)), "vf0")) {
            Lab.print("start " + s.timings(), s.log().entries());
            var h = s.hotplug("vf1");
            Lab.print("hotplug vf1 " + h.ok() + " " + h.error(), h.entries());
            System.out.println("stderr " + s.stderr());
            System.out.println("blockers " + s.blockers());
            var m = s.migrate();
            Lab.print("migrate " + m.status() + " " + m.error() + " " + m.blockers(), m.entries());
            var c = s.cont();
            Lab.print("cont", c.entries());
            var u = s.unplug("vf1");
            Lab.print("unplug vf1", u.entries());
            System.out.println("stderr " + s.stderr());
        }
        for (int i = 0; i < 3; i++) {
            try (LabSession s = Lab.start(List.of(LabDevice.of("vf0", Lab.DIRTY, 3)), "vf0")) {
                System.out.println("timings " + s.timings());
            }
        }
    }
}
