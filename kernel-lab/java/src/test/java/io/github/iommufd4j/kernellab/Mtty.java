package io.github.iommufd4j.kernellab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The kernel's sample mediated device driver mtty (CONFIG_SAMPLE_VFIO_MDEV_MTTY) through sysfs: its parent
 * registers under the mdev_bus class, an mdev is made by writing a UUID to a type's {@code create} and
 * removed by writing 1 to its {@code remove}; its VFIO cdev is named in {@code <mdev>/vfio-dev/}.
 */
final class Mtty {
  static final String MDEV_BUS = "/sys/class/mdev_bus";
  static final String PARENT = MDEV_BUS + "/mtty";
  static final String TYPES = PARENT + "/mdev_supported_types";
  static final String DEVICES = "/sys/bus/mdev/devices";
  static final String CDEV_DIR = "/dev/vfio/devices";
  /** One port per mdev; 24 ports in all. */
  static final String SINGLE = "mtty-1";
  /** Two ports per mdev. */
  static final String DUAL = "mtty-2";

  private Mtty() {}

  static boolean present() {
    return Files.isDirectory(Path.of(TYPES));
  }

  static String typeDir(String type) {
    return TYPES + "/" + type;
  }

  static String devDir(String uuid) {
    return DEVICES + "/" + uuid;
  }

  /** Writes {@code uuid} to the type's create file; 0 or the errno. */
  static int create(String type, String uuid) {
    return Sys.writeFile(typeDir(type) + "/create", uuid);
  }

  /** A new mdev of {@code type}; returns its UUID. */
  static String create(String type) {
    String uuid = UUID.randomUUID().toString();
    int errno = create(type, uuid);
    if (errno != 0) {
      throw new IllegalStateException("creating an mdev of " + type + " failed: errno " + errno);
    }
    return uuid;
  }

  /** Writes 1 to the mdev's remove file (blocks while its VFIO cdev is open); 0 or the errno. */
  static int remove(String uuid) {
    return Sys.writeFile(devDir(uuid) + "/remove", "1");
  }

  /** The VFIO cdev name of the mdev ({@code vfioN}), from {@code <mdev>/vfio-dev/}. */
  static String cdevName(String uuid) {
    List<String> names = list(devDir(uuid) + "/vfio-dev");
    if (names.size() != 1) {
      throw new IllegalStateException(devDir(uuid) + "/vfio-dev lists " + names);
    }
    return names.get(0);
  }

  /** {@code /dev/vfio/devices/vfioN} of the mdev. */
  static String cdev(String uuid) {
    return CDEV_DIR + "/" + cdevName(uuid);
  }

  static int availableInstances(String type) {
    return Integer.parseInt(read(typeDir(type) + "/available_instances"));
  }

  static String read(String path) {
    try {
      return Files.readString(Path.of(path)).trim();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<String> list(String dir) {
    try (Stream<Path> s = Files.list(Path.of(dir))) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
