package io.github.iommufd4j.simulator.io;

import io.github.iommufd4j.simulator.testing.Fixtures;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.simulator.report.SimulationReport;
import org.junit.jupiter.api.Test;

class ReportJsonTest {

    @Test
    void keysAreInTheSpecsOrderNullsAreWrittenAndFlagsOnlyOnHwptAlloc() {
        String expected = """
                {
                  "formatVersion": 1,
                  "scenario": "fixture",
                  "profile": "qemu-9.1",
                  "backend": "mock",
                  "steps": [
                    {
                      "index": 0,
                      "op": "attach",
                      "target": "vf0",
                      "ok": true,
                      "errno": null,
                      "message": null,
                      "calls": [
                        {
                          "op": "HWPT_ALLOC",
                          "flags": [
                            "DIRTY_TRACKING"
                          ],
                          "result": "ok"
                        },
                        {
                          "op": "ATTACH",
                          "result": "ok"
                        }
                      ],
                      "warnings": []
                    },
                    {
                      "index": 1,
                      "op": "attach",
                      "target": "vf1",
                      "ok": false,
                      "errno": "EINVAL",
                      "message": "vf1: \\"quoted\\" failure",
                      "calls": [
                        {
                          "op": "ATTACH",
                          "result": "EINVAL"
                        }
                      ],
                      "warnings": [
                        "IOMMU instance for device vf1 doesn't support dirty tracking"
                      ]
                    }
                  ],
                  "containers": [
                    {
                      "ioasId": 2,
                      "dirtyPagesSupported": false,
                      "dirtyTrackingStarted": true,
                      "hwpts": [
                        {
                          "id": 7,
                          "flags": [],
                          "devices": [
                            "vf1"
                          ]
                        }
                      ],
                      "devices": [
                        "md0",
                        "vf1"
                      ]
                    },
                    {
                      "ioasId": 1,
                      "dirtyPagesSupported": true,
                      "dirtyTrackingStarted": false,
                      "hwpts": [
                        {
                          "id": 4,
                          "flags": [
                            "NEST_PARENT",
                            "DIRTY_TRACKING"
                          ],
                          "devices": [
                            "vf0"
                          ]
                        }
                      ],
                      "devices": [
                        "vf0"
                      ]
                    }
                  ],
                  "devices": [
                    {
                      "name": "vf0",
                      "attached": true,
                      "ioasId": 1,
                      "hwptId": 4,
                      "iommuDirtyTracking": true,
                      "migration": {
                        "allowed": true,
                        "fatal": false,
                        "message": null
                      }
                    },
                    {
                      "name": "vf1",
                      "attached": true,
                      "ioasId": 2,
                      "hwptId": 7,
                      "iommuDirtyTracking": false,
                      "migration": {
                        "allowed": false,
                        "fatal": false,
                        "message": "vf1: no dirty tracking"
                      }
                    },
                    {
                      "name": "md0",
                      "attached": true,
                      "ioasId": 2,
                      "hwptId": null,
                      "iommuDirtyTracking": false,
                      "migration": null
                    },
                    {
                      "name": "vf2",
                      "attached": false,
                      "ioasId": null,
                      "hwptId": null,
                      "iommuDirtyTracking": false,
                      "migration": null
                    }
                  ],
                  "warnings": [
                    "IOMMU instance for device vf1 doesn't support dirty tracking"
                  ],
                  "dirty": {
                    "written": 3,
                    "reported": 1,
                    "lost": [
                      {
                        "device": "vf1",
                        "iova": "0x1000000",
                        "pages": 2
                      }
                    ]
                  },
                  "leakedObjects": [
                    "HWPT 9"
                  ]
                }
                """;
        assertThat(ReportJson.write(Fixtures.report())).isEqualTo(expected);
    }

    @Test
    void whatIsWrittenReadsBackEqual() {
        SimulationReport r = Fixtures.report();
        assertThat(ReportJson.read(ReportJson.write(r))).isEqualTo(r);
    }
}
