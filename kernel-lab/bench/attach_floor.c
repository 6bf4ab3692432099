// attach_floor: the C floor for attach throughput on the kernel's iommufd selftest mock.
//
// One cycle issues exactly the ioctl sequence that core's VfioIommufd makes through the `linux` backend with
// `source=selftest` for one attach and one detach of a device into an empty address space (the
// AttachThroughput case with no other container):
//
//   bind      IOMMU_TEST_CMD MOCK_DOMAIN_FLAGS(parking IOAS, dev_flags)  -> stdev, idev (parked on an auto domain)
//   attach    IOMMU_GET_HW_INFO(idev, 256-byte buffer)
//             IOMMU_IOAS_ALLOC                                           -> ioas
//             IOMMU_HWPT_ALLOC(idev, ioas, DIRTY_TRACKING iff the device has the capability; 24-byte struct)
//             IOMMU_TEST_CMD MOCK_DOMAIN_REPLACE(stdev, hwpt)
//             [mmap + IOMMU_IOAS_MAP(ioas, FIXED|READABLE|WRITEABLE, 16 MiB, --map bytes)]
//   detach    IOMMU_TEST_CMD MOCK_DOMAIN_REPLACE(stdev, parking IOAS)
//             IOMMU_DESTROY(hwpt)
//             [IOMMU_IOAS_UNMAP(ioas, 16 MiB, --map bytes) + munmap]
//             IOMMU_DESTROY(ioas)
//   unbind    IOMMU_DESTROY(stdev)
//
// The parking IOAS is allocated once, before timing (the backend allocates it at its first bind). Every
// ioctl must succeed; any failure ends the program with exit 1. It prints ns per attach+detach cycle for
// each round and the best round; --breakdown adds the mean ns of each call (clock reads around every call
// slow the cycle a little, so compare cycles without --breakdown).
//
// Struct layouts are those of Linux 6.12 (include/uapi/linux/iommufd.h, drivers/iommu/iommufd/iommufd_test.h),
// written out here so the program builds without kernel headers; the static asserts pin the sizes.
//
// Build (kernel-lab/run does this): gcc -O2 -static -o attach_floor attach_floor.c
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define IOMMU_DESTROY 0x3b80
#define IOMMU_IOAS_ALLOC 0x3b81
#define IOMMU_IOAS_MAP 0x3b85
#define IOMMU_IOAS_UNMAP 0x3b86
#define IOMMU_HWPT_ALLOC 0x3b89
#define IOMMU_GET_HW_INFO 0x3b8a
#define IOMMU_TEST_CMD 0x3ba0

#define IOAS_MAP_FIXED_IOVA 1u
#define IOAS_MAP_WRITEABLE 2u
#define IOAS_MAP_READABLE 4u
#define HWPT_ALLOC_DIRTY_TRACKING 2u
#define HW_CAP_DIRTY_TRACKING 1ull
#define TEST_OP_MOCK_DOMAIN_REPLACE 10u
#define TEST_OP_MOCK_DOMAIN_FLAGS 12u
#define MOCK_FLAGS_DEVICE_NO_DIRTY 1u
#define MAP_IOVA 0x1000000ull /* start of the mock aperture, 16 MiB */

struct iommu_destroy { uint32_t size, id; };
struct iommu_ioas_alloc { uint32_t size, flags, out_ioas_id; };
struct iommu_ioas_map {
    uint32_t size, flags, ioas_id, reserved;
    uint64_t user_va, length, iova;
};
struct iommu_ioas_unmap { uint32_t size, ioas_id; uint64_t iova, length; };
/* the first 24 bytes of struct iommu_hwpt_alloc: what the backend sends (no driver data, no fault queue) */
struct iommu_hwpt_alloc24 { uint32_t size, flags, dev_id, pt_id, out_hwpt_id, reserved; };
struct iommu_hw_info {
    uint32_t size, flags, dev_id, data_len;
    uint64_t data_uptr;
    uint32_t out_data_type, reserved;
    uint64_t out_capabilities;
};
struct iommu_test_cmd {
    uint32_t size, op, id, reserved;
    union {
        struct { uint32_t out_stdev_id, out_hwpt_id, out_idev_id, dev_flags; } mock_domain_flags;
        struct { uint32_t pt_id; } mock_domain_replace;
        uint64_t pad[6];
    } u;
    uint32_t last;
    uint32_t tail_pad;
};
_Static_assert(sizeof(struct iommu_destroy) == 8, "iommu_destroy");
_Static_assert(sizeof(struct iommu_ioas_alloc) == 12, "iommu_ioas_alloc");
_Static_assert(sizeof(struct iommu_ioas_map) == 40, "iommu_ioas_map");
_Static_assert(sizeof(struct iommu_ioas_unmap) == 24, "iommu_ioas_unmap");
_Static_assert(sizeof(struct iommu_hwpt_alloc24) == 24, "iommu_hwpt_alloc (24-byte prefix)");
_Static_assert(sizeof(struct iommu_hw_info) == 40, "iommu_hw_info");
_Static_assert(sizeof(struct iommu_test_cmd) == 72, "iommu_test_cmd");
_Static_assert(__builtin_offsetof(struct iommu_test_cmd, last) == 64, "iommu_test_cmd.last");

enum call { C_BIND, C_HWINFO, C_IOAS_ALLOC, C_HWPT_ALLOC, C_ATTACH, C_MAP, C_DETACH, C_DESTROY_HWPT, C_UNMAP,
            C_DESTROY_IOAS, C_UNBIND, C_COUNT };
static const char *const call_names[C_COUNT] = {
    "bind (MOCK_DOMAIN_FLAGS)", "GET_HW_INFO", "IOAS_ALLOC", "HWPT_ALLOC", "attach (MOCK_DOMAIN_REPLACE)",
    "mmap + IOAS_MAP", "detach (MOCK_DOMAIN_REPLACE to parking)", "DESTROY hwpt", "IOAS_UNMAP + munmap",
    "DESTROY ioas", "unbind (DESTROY stdev)"};

static int iommufd = -1;
static uint32_t parking;
static uint32_t dev_flags;
static uint64_t map_bytes;
static int breakdown;
static uint64_t call_ns[C_COUNT];
static unsigned char hw_info_data[256];

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

static void must(int rc, const char *what) {
    if (rc != 0) {
        fprintf(stderr, "attach_floor: %s failed: %s (errno %d)\n", what, strerror(errno), errno);
        exit(1);
    }
}

static uint32_t ioas_alloc(void) {
    struct iommu_ioas_alloc a = {.size = sizeof(a)};
    must(ioctl(iommufd, IOMMU_IOAS_ALLOC, &a), "IOMMU_IOAS_ALLOC");
    return a.out_ioas_id;
}

static void destroy(uint32_t id, const char *what) {
    struct iommu_destroy d = {.size = sizeof(d), .id = id};
    must(ioctl(iommufd, IOMMU_DESTROY, &d), what);
}

static void replace(uint32_t stdev, uint32_t pt, const char *what) {
    struct iommu_test_cmd c = {.size = sizeof(c), .op = TEST_OP_MOCK_DOMAIN_REPLACE, .id = stdev};
    c.u.mock_domain_replace.pt_id = pt;
    must(ioctl(iommufd, IOMMU_TEST_CMD, &c), what);
}

#define TIMED(slot, ...)                                                                    \
    do {                                                                                    \
        uint64_t t0_ = breakdown ? now_ns() : 0;                                            \
        __VA_ARGS__;                                                                        \
        if (breakdown) call_ns[slot] += now_ns() - t0_;                                     \
    } while (0)

/* One attach+detach cycle; ids[] gets stdev, idev, ioas, hwpt (for the first-cycle printout). */
static void cycle(uint32_t ids[4]) {
    struct iommu_test_cmd bind = {.size = sizeof(bind), .op = TEST_OP_MOCK_DOMAIN_FLAGS, .id = parking};
    bind.u.mock_domain_flags.dev_flags = dev_flags;
    TIMED(C_BIND, must(ioctl(iommufd, IOMMU_TEST_CMD, &bind), "bind: IOMMU_TEST_CMD MOCK_DOMAIN_FLAGS"));
    uint32_t stdev = bind.u.mock_domain_flags.out_stdev_id, idev = bind.u.mock_domain_flags.out_idev_id;

    struct iommu_hw_info info = {.size = sizeof(info), .dev_id = idev, .data_len = sizeof(hw_info_data),
                                 .data_uptr = (uintptr_t) hw_info_data};
    TIMED(C_HWINFO, must(ioctl(iommufd, IOMMU_GET_HW_INFO, &info), "IOMMU_GET_HW_INFO"));

    uint32_t ioas;
    TIMED(C_IOAS_ALLOC, ioas = ioas_alloc());

    struct iommu_hwpt_alloc24 h = {.size = sizeof(h), .dev_id = idev, .pt_id = ioas,
                                   .flags = (info.out_capabilities & HW_CAP_DIRTY_TRACKING) ? HWPT_ALLOC_DIRTY_TRACKING : 0};
    TIMED(C_HWPT_ALLOC, must(ioctl(iommufd, IOMMU_HWPT_ALLOC, &h), "IOMMU_HWPT_ALLOC"));
    TIMED(C_ATTACH, replace(stdev, h.out_hwpt_id, "attach: IOMMU_TEST_CMD MOCK_DOMAIN_REPLACE onto the hwpt"));

    void *mem = NULL;
    if (map_bytes) {
        TIMED(C_MAP, {
            mem = mmap(NULL, map_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (mem == MAP_FAILED) must(-1, "mmap of guest memory");
            struct iommu_ioas_map m = {.size = sizeof(m), .ioas_id = ioas, .user_va = (uintptr_t) mem,
                                       .length = map_bytes, .iova = MAP_IOVA,
                                       .flags = IOAS_MAP_FIXED_IOVA | IOAS_MAP_READABLE | IOAS_MAP_WRITEABLE};
            must(ioctl(iommufd, IOMMU_IOAS_MAP, &m), "IOMMU_IOAS_MAP");
        });
    }

    TIMED(C_DETACH, replace(stdev, parking, "detach: IOMMU_TEST_CMD MOCK_DOMAIN_REPLACE back to the parking IOAS"));
    TIMED(C_DESTROY_HWPT, destroy(h.out_hwpt_id, "IOMMU_DESTROY hwpt"));
    if (map_bytes) {
        TIMED(C_UNMAP, {
            struct iommu_ioas_unmap u = {.size = sizeof(u), .ioas_id = ioas, .iova = MAP_IOVA, .length = map_bytes};
            must(ioctl(iommufd, IOMMU_IOAS_UNMAP, &u), "IOMMU_IOAS_UNMAP");
            must(munmap(mem, map_bytes), "munmap of guest memory");
        });
    }
    TIMED(C_DESTROY_IOAS, destroy(ioas, "IOMMU_DESTROY ioas"));
    TIMED(C_UNBIND, destroy(stdev, "unbind: IOMMU_DESTROY stdev"));
    ids[0] = stdev; ids[1] = idev; ids[2] = ioas; ids[3] = h.out_hwpt_id;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y ? -1 : x > y;
}

static void usage(void) {
    fprintf(stderr, "usage: attach_floor [--cycles N (1000)] [--rounds R (3)] [--warmup W (100)] [--map BYTES (0)]\n"
                    "                    [--no-dirty] [--breakdown] [--device /dev/iommu]\n");
    exit(2);
}

int main(int argc, char **argv) {
    long cycles = 1000, rounds = 3, warmup = 100;
    const char *device = "/dev/iommu";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--cycles") && i + 1 < argc) cycles = atol(argv[++i]);
        else if (!strcmp(a, "--rounds") && i + 1 < argc) rounds = atol(argv[++i]);
        else if (!strcmp(a, "--warmup") && i + 1 < argc) warmup = atol(argv[++i]);
        else if (!strcmp(a, "--map") && i + 1 < argc) map_bytes = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(a, "--device") && i + 1 < argc) device = argv[++i];
        else if (!strcmp(a, "--no-dirty")) dev_flags = MOCK_FLAGS_DEVICE_NO_DIRTY;
        else if (!strcmp(a, "--breakdown")) breakdown = 1;
        else usage();
    }
    if (cycles <= 0 || rounds <= 0 || warmup < 0 || rounds > 100) usage();
    if (map_bytes % 4096 != 0 || map_bytes > (1ull << 30)) {
        fprintf(stderr, "attach_floor: --map must be a multiple of 4096 and at most 1 GiB\n");
        return 2;
    }
    iommufd = open(device, O_RDWR | O_CLOEXEC);
    if (iommufd < 0) {
        fprintf(stderr, "attach_floor: open(%s): %s\n", device, strerror(errno));
        return 1;
    }
    parking = ioas_alloc();

    uint32_t ids[4];
    cycle(ids);
    printf("attach_floor: %s, parking IOAS %u; first cycle: stdev %u, idev %u, ioas %u, hwpt %u; device %s; "
           "guest memory %llu bytes\n", device, parking, ids[0], ids[1], ids[2], ids[3],
           dev_flags ? "NO_DIRTY" : "dirty-capable", (unsigned long long) map_bytes);
    for (long i = 1; i < warmup; i++) cycle(ids);
    memset(call_ns, 0, sizeof(call_ns));

    uint64_t per[100];
    for (long r = 0; r < rounds; r++) {
        uint64_t t0 = now_ns();
        for (long i = 0; i < cycles; i++) cycle(ids);
        per[r] = (now_ns() - t0) / (uint64_t) cycles;
        printf("attach_floor: round %ld: %ld cycles, %llu ns/cycle\n", r + 1, cycles, (unsigned long long) per[r]);
    }
    uint64_t sorted[100];
    memcpy(sorted, per, sizeof(uint64_t) * (size_t) rounds);
    qsort(sorted, (size_t) rounds, sizeof(uint64_t), cmp_u64);
    if (breakdown) {
        uint64_t total = (uint64_t) cycles * (uint64_t) rounds;
        for (int c = 0; c < C_COUNT; c++) {
            if (c == C_MAP || c == C_UNMAP) {
                if (!map_bytes) continue;
            }
            printf("attach_floor: call %-42s %10llu ns\n", call_names[c], (unsigned long long) (call_ns[c] / total));
        }
    }
    printf("attach_floor: RESULT cycles=%ld rounds=%ld map=%llu dirty=%d best_ns_per_cycle=%llu median_ns_per_cycle=%llu\n",
           cycles, rounds, (unsigned long long) map_bytes, dev_flags ? 0 : 1, (unsigned long long) sorted[0],
           (unsigned long long) sorted[rounds / 2]);
    /* ids are reused (lowest free first): a steady cycle hands out the same ids every time */
    close(iommufd);
    return 0;
}
