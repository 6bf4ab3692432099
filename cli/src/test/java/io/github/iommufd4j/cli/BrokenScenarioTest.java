package io.github.iommufd4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every broken scenario ends with exit status 2, nothing on stdout, and one line on stderr per problem, each
 * naming the file, line, column and key path ({@code docs/reference/scenario-format.md}: "Unknown keys, wrong
 * types and dangling references are errors that name the file, the line and column, and the key path"), every
 * problem of a file at once, in file order.
 */
class BrokenScenarioTest {
    private static final String DIR = "src/test/resources/broken/";

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            unknown-key.yaml           | 7:5: devices[0].colour: unknown key; expected one of name, iommu, mdev, vfDirtyTracking, migration, p2p, enableMigration, deviceDirtyPageTracking, viommu, viommuKind
            wrong-type.yaml            | 4:20: iommus[0].dirtyTracking: found the string 'yes'; expected true or false
            missing-version.yaml       | 1:1: version: missing required key; expected version: 1
            version-2.yaml             | 1:10: version: version 2 is not supported; expected 1
            dangling-iommu.yaml        | 9:14: devices[2].iommu: unknown IOMMU 'smmu9'; expected one of iommu0, iommu1
            not-page-multiple.yaml     | 4:31: memory[0].length: 0x1800 is not a multiple of pageSize 4096; expected a multiple of 0x1000
            unknown-step.yaml          | 6:5: steps[1].atach: unknown step; expected one of attach, detach, startDirtyTracking, stopDirtyTracking, dma, sync, map, unmap, fault, viommuMap, viommuUnmap, migrate
            two-keys-step.yaml         | 6:5: steps[0].detach: a second key in one step; expected exactly one key per step (write each step as its own list item)
            step-not-map.yaml          | 3:5: steps[0]: found the string 'startDirtyTracking'; expected a map with one key, the step (- attach: vf0)
            bad-fault-op.yaml          | 3:17: steps[0].fault.op: found the string 'HWPT_ALOC'; expected one of IOAS_ALLOC, IOAS_MAP, IOAS_UNMAP, DESTROY, BIND, UNBIND, GET_HW_INFO, HWPT_ALLOC, ATTACH, DETACH, SET_DIRTY_TRACKING, GET_DIRTY_BITMAP, DMA_LOGGING_START, DMA_LOGGING_STOP, DMA_LOGGING_REPORT
            bad-errno.yaml             | 5:14: steps[0].fault.errno: found the string 'ENOMEMORY'; expected a Linux errno name, one of EPERM, ENOENT, EINTR, EIO, ENXIO, E2BIG, EBADF, EAGAIN, ENOMEM, EACCES, EFAULT, EBUSY, EEXIST, ENODEV, EINVAL, ENFILE, EMFILE, ENOTTY, ENOSPC, ERANGE, ENOSYS, EOVERFLOW, EBADFD, EOPNOTSUPP, EADDRINUSE, ETIMEDOUT
            bad-on-off-auto.yaml       | 6:22: devices[0].enableMigration: found the string 'maybe'; expected on, off or auto
            duplicate-id.yaml          | 4:9: iommus[1].id: duplicate IOMMU id 'iommu0'; expected a unique id
            zero-length.yaml           | 5:49: steps[0].dma.length: length 0 is not positive; expected a positive number of bytes
            half-sync.yaml             | 3:11: steps[0].sync.length: missing; expected both iova and length, or neither (sync: {} syncs all memory)
            malformed.yaml             | 4:4: iommus: malformed YAML: while parsing a block collection expected <block end>, but found '<block mapping start>'
            unknown-backend.yaml       | 2:10: backend: unknown backend 'qemu'; expected one of linux, mock
            negative-iova.json         | 3:23: memory[0].iova: negative address -4096; expected an address of 0 or more
            malformed.json             | 3:31: iommus: malformed JSON: Unexpected character (']' (code 93)): expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')
            missing-device-iommu.json  | 6:5: devices[1].iommu: missing required key; expected the id of an IOMMU in iommus
            dangling-step-device.json  | 7:24: steps[1].dma.device: unknown device 'vf9'; expected one of vf0
            duplicate-key.json         | 4:3: pageSize: duplicate key (first at 3:15); expected each key once
            bad-hex.json               | 3:23: memory[0].iova: found the string '0x10g0000'; expected an integer (decimal or 0x hex, at most 0x7fffffffffffffff)
            on-as-boolean.json         | 4:77: devices[0].deviceDirtyPageTracking: found the boolean true; expected on, off or auto
            """)
    void brokenScenarioExitsTwoWithFileLineColumnAndKeyPath(String file, String expected) {
        Cli.Result r = Cli.run("simulate", "--format", "json", DIR + file);
        assertThat(r.exit()).as(r.err()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo(DIR + file + ":" + expected + System.lineSeparator());
        assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @org.junit.jupiter.api.Test
    void everyProblemOfAFileIsReportedAtOnceInFileOrder() {
        Cli.Result r = Cli.run("simulate", "--format", "json", DIR + "several-problems.yaml");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().lines()).containsExactly(
                DIR + "several-problems.yaml:3:1: pageSize: duplicate key (first at 2:11); expected each key once",
                DIR + "several-problems.yaml:6:20: iommus[0].dirtyTracking: found the string 'yes'; expected true or false",
                DIR + "several-problems.yaml:7:5: iommus[0].colour: unknown key; expected one of id, family,"
                        + " dirtyTracking, nestParent",
                DIR + "several-problems.yaml:9:49: devices[0].enableMigration: found the string 'maybe'; expected on,"
                        + " off or auto",
                DIR + "several-problems.yaml:10:5: devices[1].iommu: missing required key; expected the id of an IOMMU"
                        + " in iommus",
                DIR + "several-problems.yaml:13:5: steps[1].atach: unknown step; expected one of attach, detach,"
                        + " startDirtyTracking, stopDirtyTracking, dma, sync, map, unmap, fault, viommuMap, viommuUnmap,"
                        + " migrate",
                DIR + "several-problems.yaml:14:49: steps[2].dma.length: length 0 is not positive; expected a positive"
                        + " number of bytes",
                DIR + "several-problems.yaml:15:17: steps[3].fault.op: found the string 'HWPT_ALOC'; expected one of"
                        + " IOAS_ALLOC, IOAS_MAP, IOAS_UNMAP, DESTROY, BIND, UNBIND, GET_HW_INFO, HWPT_ALLOC, ATTACH,"
                        + " DETACH, SET_DIRTY_TRACKING, GET_DIRTY_BITMAP, DMA_LOGGING_START, DMA_LOGGING_STOP,"
                        + " DMA_LOGGING_REPORT",
                DIR + "several-problems.yaml:16:11: steps[4].sync.length: missing; expected both iova and length, or"
                        + " neither (sync: {} syncs all memory)");
    }

    @org.junit.jupiter.api.Test
    void problemsOfHowThePartsFitAndAnUnknownBackendAreReportedWithTheOthersOnceEveryPartCouldBeRead() {
        Cli.Result r = Cli.run("simulate", "--format", "json", DIR + "unknown-key-and-dangling.json");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().lines()).containsExactly(
                DIR + "unknown-key-and-dangling.json:3:14: backend: unknown backend 'qemu'; expected one of linux, mock",
                DIR + "unknown-key-and-dangling.json:4:31: iommus[0].colour: unknown key; expected one of id, family,"
                        + " dirtyTracking, nestParent",
                DIR + "unknown-key-and-dangling.json:5:40: devices[0].iommu: unknown IOMMU 'smmu9'; expected one of"
                        + " iommu0",
                DIR + "unknown-key-and-dangling.json:6:24: steps[0].attach: unknown device 'vf1'; expected one of vf0");
    }

    @org.junit.jupiter.api.Test
    void anUnknownProfileNamesTheProfilesCoreKnows() {
        Cli.Result r = Cli.run("simulate", DIR + "unknown-profile.yaml");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).isEqualTo(DIR + "unknown-profile.yaml:2:10: profile: unknown profile 'qemu-8.0'; expected one of "
                + String.join(", ", io.github.iommufd4j.simulator.scenario.Scenario.knownProfiles()) + System.lineSeparator());
        assertThat(io.github.iommufd4j.simulator.scenario.Scenario.knownProfiles()).contains("qemu-9.1").doesNotContain("qemu-8.0");
    }

    @org.junit.jupiter.api.Test
    void aFileThatIsNeitherYamlNorJsonIsRejectedByName() {
        Cli.Result r = Cli.run("simulate", DIR + "wrong-extension.txt");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).isEqualTo(DIR + "wrong-extension.txt: unknown file type; expected a .yaml, .yml or .json file"
                + System.lineSeparator());
    }

    @org.junit.jupiter.api.Test
    void aMissingFileIsInvalidInputNotAnInternalError() {
        Cli.Result r = Cli.run("simulate", DIR + "no-such-file.yaml");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).startsWith(DIR + "no-such-file.yaml: cannot read the file (NoSuchFileException");
    }

    @org.junit.jupiter.api.Test
    void problemsOfEveryFileAreReportedAndNothingRuns() {
        Cli.Result r = Cli.run("simulate", "--format", "json", "src/test/resources/valid/lossy.yml",
                DIR + "version-2.yaml", DIR + "wrong-type.yaml");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().lines()).containsExactly(
                DIR + "version-2.yaml:1:10: version: version 2 is not supported; expected 1",
                DIR + "wrong-type.yaml:4:20: iommus[0].dirtyTracking: found the string 'yes'; expected true or false");
    }
}
