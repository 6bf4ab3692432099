/*
 * qemu-lab's scripted kernel: an LD_PRELOAD library that stands for /dev/iommu and VFIO cdev devices
 * inside one QEMU process.
 *
 * The lab hands QEMU descriptor numbers on its command line (`-object iommufd,fd=N`,
 * `-device vfio-pci,fd=M`). This library's constructor opens a placeholder (/dev/null) at each of those
 * numbers, then answers the calls QEMU makes on them:
 *   - the PCI plumbing a vfio-pci realize needs (device, region and IRQ info, config space reads and
 *     writes, SET_IRQS, RESET, the migration data descriptor) is answered here, and reported to the lab
 *     as an event;
 *   - every iommufd call, BIND, ATTACH/DETACH, closing a device (unbind) and the device features that
 *     matter (MIGRATION, MIG_DEVICE_STATE, DMA logging) are forwarded over a unix socket to the lab's JVM,
 *     which answers them with the project's mock backend, and the answer is written back into QEMU's
 *     structures.
 *
 * Wire protocol (text, one line each way, strictly alternating under a mutex):
 *   library -> lab   "Q <OP> key=value ..."   a request; the lab answers one line:
 *   lab -> library   "ok key=value ..."  or  "err <errno number>"
 *   library -> lab   "E <OP> key=value ..."   an event (a call answered here); the lab acknowledges it with
 *                                            "ok" before QEMU goes on, so the lab's log keeps QEMU's order
 *                                            across the socket and QMP.
 * Numbers are decimal or 0x hex; bitmaps come back as runs "runs=<first bit>:<count>,...".
 *
 * Environment (read once, then removed so that children such as the `exec:` migration command do not
 * load the library):
 *   QEMU_LAB_SOCKET   path of the lab's unix socket (without it the library does nothing)
 *   QEMU_LAB_IOMMUFD  descriptor number that stands for /dev/iommu
 *   QEMU_LAB_DEVICES  "<fd>:<name>,<fd>:<name>,..." descriptor numbers that stand for VFIO cdevs
 * The library is active only in a process whose name starts with "qemu-system" and only in the process
 * that loaded it (a forked child passes every call through).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#define MAX_FD 4096
#define MAX_DEVICES 64
#define CONFIG_SIZE 256
#define REGION_SHIFT 40
#define MAX_LOG_RANGES 256
#define MAX_IOVA_RANGES 64
#define MAX_REPLY (64u << 20)

enum role { ROLE_NONE = 0, ROLE_IOMMUFD, ROLE_DEVICE };

struct lab_device {
    int fd;
    char name[64];
    int bound;
    uint32_t devid;
    uint32_t mig_state;
    uint8_t config[CONFIG_SIZE];
};

static int active;
static pid_t lab_pid;
static int sock = -1;
static int iommufd_fd = -1;
static unsigned char role[MAX_FD];
static int dev_index[MAX_FD];
static struct lab_device devices[MAX_DEVICES];
static int ndevices;
static pthread_mutex_t wire = PTHREAD_MUTEX_INITIALIZER;
static char *reply_buf;
static size_t reply_cap;

static int (*real_ioctl)(int, unsigned long, ...);
static int (*real_close)(int);
static ssize_t (*real_pread64)(int, void *, size_t, off64_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off64_t);
static ssize_t (*real_pread64_chk)(int, void *, size_t, off64_t, size_t);

static void resolve(void)
{
    if (!real_ioctl) {
        real_ioctl = dlsym(RTLD_NEXT, "ioctl");
        real_close = dlsym(RTLD_NEXT, "close");
        real_pread64 = dlsym(RTLD_NEXT, "pread64");
        real_pwrite64 = dlsym(RTLD_NEXT, "pwrite64");
        real_pread64_chk = dlsym(RTLD_NEXT, "__pread64_chk");
    }
}

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("qemu-lab kernel: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    _exit(70);
}

/* Which of our descriptors is fd, in this process (a forked child sees none). */
static int our_role(int fd)
{
    if (!active || fd < 0 || fd >= MAX_FD || role[fd] == ROLE_NONE) {
        return ROLE_NONE;
    }
    return getpid() == lab_pid ? role[fd] : ROLE_NONE;
}

/* ------------------------------------------------------------------------------------------- wire */

static int write_all(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(sock, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_line(void)
{
    size_t len = 0;
    for (;;) {
        if (len + 1 >= reply_cap) {
            size_t cap = reply_cap ? reply_cap * 2 : 4096;
            if (cap > MAX_REPLY) {
                return -1;
            }
            char *b = realloc(reply_buf, cap);
            if (!b) {
                return -1;
            }
            reply_buf = b;
            reply_cap = cap;
        }
        ssize_t r = recv(sock, reply_buf + len, 1, 0);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return -1;
        }
        if (reply_buf[len] == '\n') {
            reply_buf[len] = 0;
            return 0;
        }
        len++;
    }
}

static char *vformat(const char *kind, const char *op, const char *fmt, va_list ap)
{
    char *args = NULL, *line = NULL;
    if (vasprintf(&args, fmt, ap) < 0) {
        return NULL;
    }
    if (asprintf(&line, "%s %s%s%s\n", kind, op, *args ? " " : "", args) < 0) {
        line = NULL;
    }
    free(args);
    return line;
}

/* An event: QEMU waits for the lab's acknowledgement, so the lab records it before QEMU's next step. */
static void event(const char *op, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *line = vformat("E", op, fmt, ap);
    va_end(ap);
    if (!line) {
        return;
    }
    pthread_mutex_lock(&wire);
    if (write_all(line, strlen(line)) < 0 || read_line() < 0) {
        pthread_mutex_unlock(&wire);
        die("lost the lab's socket while reporting %s", op);
    }
    pthread_mutex_unlock(&wire);
    free(line);
}

/*
 * A request. Returns 0 with *out pointing at the answer's key=value text (valid until the next request by
 * this thread's holder of the lock: callers copy what they need under the returned lock), or a positive
 * errno. The wire lock stays held on return; the caller releases it with done().
 */
static int request(const char **out, const char *op, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *line = vformat("Q", op, fmt, ap);
    va_end(ap);
    if (!line) {
        die("out of memory formatting %s", op);
    }
    pthread_mutex_lock(&wire);
    if (write_all(line, strlen(line)) < 0 || read_line() < 0) {
        pthread_mutex_unlock(&wire);
        die("lost the lab's socket during %s", line);
    }
    free(line);
    if (strncmp(reply_buf, "ok", 2) == 0 && (reply_buf[2] == 0 || reply_buf[2] == ' ')) {
        *out = reply_buf[2] ? reply_buf + 3 : reply_buf + 2;
        return 0;
    }
    int e = 0;
    if (sscanf(reply_buf, "err %d", &e) == 1 && e > 0) {
        *out = "";
        return e;
    }
    char bad[128];
    snprintf(bad, sizeof bad, "%s", reply_buf);
    pthread_mutex_unlock(&wire);
    die("the lab answered %s with '%s' (neither 'ok ...' nor 'err N')", op, bad);
    return EIO;
}

static void done(void)
{
    pthread_mutex_unlock(&wire);
}

/* The value of key in an answer ("key=value"), or def. */
static uint64_t field(const char *answer, const char *key, uint64_t def)
{
    size_t k = strlen(key);
    for (const char *p = answer; p && *p;) {
        if (strncmp(p, key, k) == 0 && p[k] == '=') {
            return strtoull(p + k + 1, NULL, 0);
        }
        p = strchr(p, ' ');
        if (p) {
            p++;
        }
    }
    return def;
}

static const char *field_text(const char *answer, const char *key)
{
    size_t k = strlen(key);
    for (const char *p = answer; p && *p;) {
        if (strncmp(p, key, k) == 0 && p[k] == '=') {
            return p + k + 1;
        }
        p = strchr(p, ' ');
        if (p) {
            p++;
        }
    }
    return NULL;
}

/*
 * ORs the runs "first:count,first:count" of an answer into a bitmap of nbits bits. Every run is checked
 * against nbits before a bit is written; a run outside is a lab error (EIO), and nothing is written.
 */
static int or_runs(const char *answer, uint64_t *bitmap, uint64_t nbits)
{
    const char *runs = field_text(answer, "runs");
    if (!runs || *runs == ' ' || *runs == 0) {
        return 0;
    }
    for (int pass = 0; pass < 2; pass++) {
        const char *p = runs;
        while (*p && *p != ' ') {
            char *end;
            uint64_t first = strtoull(p, &end, 0);
            if (*end != ':') {
                return EIO;
            }
            uint64_t count = strtoull(end + 1, &end, 0);
            if (count == 0 || first >= nbits || count > nbits - first) {
                return EIO;
            }
            if (pass == 1) {
                for (uint64_t i = first; i < first + count; i++) {
                    bitmap[i / 64] |= 1ull << (i % 64);
                }
            }
            p = end;
            if (*p == ',') {
                p++;
            }
        }
    }
    return 0;
}

static int fail(int e)
{
    errno = e;
    return -1;
}

/* ------------------------------------------------------------------------------------------- iommufd */

/* K-GEN-3, K-GEN-4: the struct's size below the minimum is EINVAL; a larger size must have a zero tail. */
static int check_size(const void *arg, uint32_t size, size_t min, size_t kernel)
{
    if (size < min) {
        return EINVAL;
    }
    for (size_t i = kernel; i < size; i++) {
        if (((const uint8_t *)arg)[i]) {
            return E2BIG;
        }
    }
    return 0;
}

#define MINSZ(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))

static int iommufd_ioctl(unsigned long req, void *arg)
{
    const char *a;
    int e;
    uint32_t size = *(uint32_t *)arg;

    switch (req) {
    case IOMMU_DESTROY: {
        struct iommu_destroy *c = arg;
        if ((e = check_size(arg, size, MINSZ(struct iommu_destroy, id), sizeof *c))) {
            return fail(e);
        }
        e = request(&a, "DESTROY", "id=%u", c->id);
        done();
        return e ? fail(e) : 0;
    }
    case IOMMU_IOAS_ALLOC: {
        struct iommu_ioas_alloc *c = arg;
        if ((e = check_size(arg, size, MINSZ(struct iommu_ioas_alloc, out_ioas_id), sizeof *c))) {
            return fail(e);
        }
        e = request(&a, "IOAS_ALLOC", "flags=%u", c->flags);
        if (!e) {
            c->out_ioas_id = (uint32_t)field(a, "id", 0);
        }
        done();
        return e ? fail(e) : 0;
    }
    case IOMMU_IOAS_IOVA_RANGES: {
        struct iommu_ioas_iova_ranges *c = arg;
        if ((e = check_size(arg, size, MINSZ(struct iommu_ioas_iova_ranges, out_iova_alignment), sizeof *c))) {
            return fail(e);
        }
        uint64_t starts[MAX_IOVA_RANGES], lasts[MAX_IOVA_RANGES];
        uint32_t n = 0;
        uint64_t align = 0;
        e = request(&a, "IOVA_RANGES", "ioas=%u num=%u reserved=%u", c->ioas_id, c->num_iovas, c->__reserved);
        if (!e) {
            align = field(a, "align", 0);
            const char *p = field_text(a, "ranges");
            while (p && *p && *p != ' ' && n < MAX_IOVA_RANGES) {
                char *end;
                starts[n] = strtoull(p, &end, 0);
                if (*end != ':') {
                    e = EIO;
                    break;
                }
                lasts[n] = strtoull(end + 1, &end, 0);
                n++;
                p = *end == ',' ? end + 1 : end;
            }
        }
        done();
        if (e) {
            return fail(e);
        }
        /* The kernel fills what fits, always reports the total, and says EMSGSIZE when it did not all fit. */
        struct iommu_iova_range *out = (struct iommu_iova_range *)(uintptr_t)c->allowed_iovas;
        for (uint32_t i = 0; i < n && i < c->num_iovas; i++) {
            out[i].start = starts[i];
            out[i].last = lasts[i];
        }
        uint32_t given = c->num_iovas;
        c->num_iovas = n;
        c->out_iova_alignment = align;
        return given < n ? fail(EMSGSIZE) : 0;
    }
    case IOMMU_IOAS_MAP: {
        struct iommu_ioas_map *c = arg;
        if ((e = check_size(arg, size, MINSZ(struct iommu_ioas_map, iova), sizeof *c))) {
            return fail(e);
        }
        e = request(&a, "IOAS_MAP", "ioas=%u flags=%u reserved=%u va=0x%" PRIx64 " iova=0x%" PRIx64 " length=0x%" PRIx64,
                    c->ioas_id, c->flags, c->__reserved, (uint64_t)c->user_va, (uint64_t)c->iova, (uint64_t)c->length);
        done();
        return e ? fail(e) : 0;
    }
    case IOMMU_IOAS_UNMAP: {
        struct iommu_ioas_unmap *c = arg;
        if ((e = check_size(arg, size, MINSZ(struct iommu_ioas_unmap, length), sizeof *c))) {
            return fail(e);
        }
        e = request(&a, "IOAS_UNMAP", "ioas=%u iova=0x%" PRIx64 " length=0x%" PRIx64, c->ioas_id,
                    (uint64_t)c->iova, (uint64_t)c->length);
        if (!e) {
            c->length = field(a, "length", c->length);
        }
        done();
        return e ? fail(e) : 0;
    }
    case IOMMU_HWPT_ALLOC: {
        struct iommu_hwpt_alloc *c = arg;
        if ((e = check_size(arg, size, MINSZ(struct iommu_hwpt_alloc, __reserved), sizeof *c))) {
            return fail(e);
        }
        uint32_t data_type = size >= MINSZ(struct iommu_hwpt_alloc, data_type) ? c->data_type : 0;
        uint32_t data_len = size >= MINSZ(struct iommu_hwpt_alloc, data_len) ? c->data_len : 0;
        uint32_t fault_id = size >= MINSZ(struct iommu_hwpt_alloc, fault_id) ? c->fault_id : 0;
        e = request(&a, "HWPT_ALLOC", "flags=%u dev=%u pt=%u reserved=%u data_type=%u data_len=%u fault_id=%u",
                    c->flags, c->dev_id, c->pt_id, c->__reserved, data_type, data_len, fault_id);
        if (!e) {
            c->out_hwpt_id = (uint32_t)field(a, "id", 0);
        }
        done();
        return e ? fail(e) : 0;
    }
    case IOMMU_GET_HW_INFO: {
        struct iommu_hw_info *c = arg;
        if ((e = check_size(arg, size, MINSZ(struct iommu_hw_info, out_data_type) + 4, sizeof *c))) {
            return fail(e);
        }
        uint8_t reserved = c->out_max_pasid_log2 | c->__reserved[0] | c->__reserved[1] | c->__reserved[2];
        e = request(&a, "GET_HW_INFO", "flags=%u dev=%u data_len=%u reserved=%u", c->flags, c->dev_id, c->data_len,
                    reserved);
        if (!e) {
            /* Driver data: copy what the user's buffer holds, zero the rest of it (K-HWI-3). */
            uint8_t data[256];
            uint32_t have = 0;
            const char *hex = field_text(a, "data");
            while (hex && hex[0] && hex[0] != ' ' && hex[1] && have < sizeof data) {
                unsigned v;
                if (sscanf(hex, "%2x", &v) != 1) {
                    break;
                }
                data[have++] = (uint8_t)v;
                hex += 2;
            }
            uint32_t want = c->data_len;
            uint8_t *user = (uint8_t *)(uintptr_t)c->data_uptr;
            if (want && user) {
                uint32_t n = want < have ? want : have;
                memcpy(user, data, n);
                memset(user + n, 0, want - n);
            }
            c->data_len = have;
            c->out_data_type = (uint32_t)field(a, "type", 0);
            if (size >= MINSZ(struct iommu_hw_info, out_capabilities)) {
                c->out_capabilities = field(a, "caps", 0);
            }
        }
        done();
        return e ? fail(e) : 0;
    }
    case IOMMU_HWPT_SET_DIRTY_TRACKING: {
        struct iommu_hwpt_set_dirty_tracking *c = arg;
        if ((e = check_size(arg, size, MINSZ(struct iommu_hwpt_set_dirty_tracking, __reserved), sizeof *c))) {
            return fail(e);
        }
        e = request(&a, "SET_DIRTY_TRACKING", "hwpt=%u flags=%u", c->hwpt_id, c->flags);
        done();
        return e ? fail(e) : 0;
    }
    case IOMMU_HWPT_GET_DIRTY_BITMAP: {
        struct iommu_hwpt_get_dirty_bitmap *c = arg;
        if ((e = check_size(arg, size, MINSZ(struct iommu_hwpt_get_dirty_bitmap, data), sizeof *c))) {
            return fail(e);
        }
        e = request(&a, "GET_DIRTY_BITMAP", "hwpt=%u flags=%u reserved=%u iova=0x%" PRIx64 " length=0x%" PRIx64
                    " page=0x%" PRIx64, c->hwpt_id, c->flags, c->__reserved, (uint64_t)c->iova,
                    (uint64_t)c->length, (uint64_t)c->page_size);
        if (!e) {
            /* The bitmap holds ceil(length / page_size) bits; every run is checked against that. */
            uint64_t nbits = c->page_size ? c->length / c->page_size + (c->length % c->page_size != 0) : 0;
            e = or_runs(a, (uint64_t *)(uintptr_t)c->data, nbits);
        }
        done();
        return e ? fail(e) : 0;
    }
    default: { /* K-GEN-1: an unknown command is ENOTTY */
        event("UNKNOWN_IOCTL", "fd=iommufd req=0x%lx", req);
        return fail(ENOTTY);
    }
    }
}

/* ------------------------------------------------------------------------------------------- device */

static void init_config(struct lab_device *d)
{
    memset(d->config, 0, sizeof d->config);
    /* Vendor 0x1234 device 0x11e8 (no VFIO quirk in QEMU), class 0x00ff00, header type 0, no capability
     * list, interrupt pin 0 (no INTx), every BAR and the ROM BAR 0. */
    d->config[0x00] = 0x34; d->config[0x01] = 0x12;
    d->config[0x02] = 0xe8; d->config[0x03] = 0x11;
    d->config[0x0a] = 0xff; d->config[0x0b] = 0x00;
}

static int feature(struct lab_device *d, struct vfio_device_feature *f)
{
    const char *a;
    int e;
    uint32_t index = f->flags & VFIO_DEVICE_FEATURE_MASK;
    int get = !!(f->flags & VFIO_DEVICE_FEATURE_GET);
    int set = !!(f->flags & VFIO_DEVICE_FEATURE_SET);
    int probe = !!(f->flags & VFIO_DEVICE_FEATURE_PROBE);
    size_t have = f->argsz >= sizeof *f ? f->argsz - sizeof *f : 0;

    if (f->argsz < sizeof *f || (f->flags & ~(VFIO_DEVICE_FEATURE_MASK | VFIO_DEVICE_FEATURE_GET
                                                | VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_PROBE))) {
        return fail(EINVAL);
    }
    if (get && set) {
        return fail(EINVAL);
    }
    switch (index) {
    case VFIO_DEVICE_FEATURE_MIGRATION:
        e = request(&a, "MIGRATION", "dev=%u get=%d set=%d probe=%d", d->devid, get, set, probe);
        if (!e && get && !probe) {
            if (have < sizeof(struct vfio_device_feature_migration)) {
                e = EINVAL;
            } else {
                ((struct vfio_device_feature_migration *)f->data)->flags = field(a, "flags", 0);
            }
        }
        done();
        return e ? fail(e) : 0;
    case VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE: {
        struct vfio_device_feature_mig_state *s = (void *)f->data;
        if (have < sizeof *s) {
            return fail(EINVAL);
        }
        uint32_t to = set ? s->device_state : d->mig_state;
        e = request(&a, "MIG_DEVICE_STATE", "dev=%u get=%d set=%d probe=%d from=%u to=%u", d->devid, get, set, probe,
                    d->mig_state, to);
        done();
        if (e || probe) {
            return e ? fail(e) : 0;
        }
        if (get) {
            s->device_state = d->mig_state;
            s->data_fd = -1;
            return 0;
        }
        d->mig_state = to;
        s->data_fd = -1;
        if (to == VFIO_DEVICE_STATE_STOP_COPY || to == VFIO_DEVICE_STATE_RESUMING) {
            /* The data session: reads end at once (an empty device state), writes are taken. */
            s->data_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
            if (s->data_fd < 0) {
                return -1;
            }
            event("MIG_DATA_FD", "dev=%u state=%u fd=%d", d->devid, to, s->data_fd);
        }
        return 0;
    }
    case VFIO_DEVICE_FEATURE_MIG_DATA_SIZE: {
        /* The lab answers (non-zero, or QEMU cannot size its migration buffer; ENOTTY without migration). */
        struct vfio_device_feature_mig_data_size *z = (void *)f->data;
        if (!probe && (!get || have < sizeof *z)) {
            return fail(EINVAL);
        }
        e = request(&a, "MIG_DATA_SIZE", "dev=%u get=%d set=%d probe=%d", d->devid, get, set, probe);
        if (!e && !probe) {
            z->stop_copy_length = field(a, "length", 0);
        }
        done();
        return e ? fail(e) : 0;
    }
    case VFIO_DEVICE_FEATURE_DMA_LOGGING_START: {
        if (probe) {
            e = request(&a, "DMA_LOGGING_PROBE", "dev=%u feature=%u get=%d set=%d", d->devid, index, get, set);
            done();
            return e ? fail(e) : 0;
        }
        struct vfio_device_feature_dma_logging_control *c = (void *)f->data;
        if (!set || have < sizeof *c) {
            return fail(EINVAL);
        }
        if (c->num_ranges == 0 || c->num_ranges > MAX_LOG_RANGES) {
            return fail(c->num_ranges ? E2BIG : EINVAL);
        }
        const struct vfio_device_feature_dma_logging_range *r = (void *)(uintptr_t)c->ranges;
        char *list = calloc(c->num_ranges, 48);
        if (!list) {
            return fail(ENOMEM);
        }
        size_t off = 0;
        for (uint32_t i = 0; i < c->num_ranges; i++) {
            off += (size_t)sprintf(list + off, "%s0x%" PRIx64 ":0x%" PRIx64, i ? "," : "", (uint64_t)r[i].iova,
                                   (uint64_t)r[i].length);
        }
        e = request(&a, "DMA_LOGGING_START", "dev=%u page=0x%" PRIx64 " reserved=%u ranges=%s", d->devid,
                    (uint64_t)c->page_size, c->__reserved, list);
        if (!e) {
            c->page_size = field(a, "page", c->page_size);
        }
        done();
        free(list);
        return e ? fail(e) : 0;
    }
    case VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP:
        if (probe) {
            e = request(&a, "DMA_LOGGING_PROBE", "dev=%u feature=%u get=%d set=%d", d->devid, index, get, set);
            done();
            return e ? fail(e) : 0;
        }
        if (!set) {
            return fail(EINVAL);
        }
        e = request(&a, "DMA_LOGGING_STOP", "dev=%u", d->devid);
        done();
        return e ? fail(e) : 0;
    case VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT: {
        if (probe) {
            e = request(&a, "DMA_LOGGING_PROBE", "dev=%u feature=%u get=%d set=%d", d->devid, index, get, set);
            done();
            return e ? fail(e) : 0;
        }
        struct vfio_device_feature_dma_logging_report *c = (void *)f->data;
        if (!get || have < sizeof *c) {
            return fail(EINVAL);
        }
        e = request(&a, "DMA_LOGGING_REPORT", "dev=%u iova=0x%" PRIx64 " length=0x%" PRIx64 " page=0x%" PRIx64,
                    d->devid, (uint64_t)c->iova, (uint64_t)c->length, (uint64_t)c->page_size);
        if (!e) {
            uint64_t nbits = c->page_size ? c->length / c->page_size + (c->length % c->page_size != 0) : 0;
            e = or_runs(a, (uint64_t *)(uintptr_t)c->bitmap, nbits);
        }
        done();
        return e ? fail(e) : 0;
    }
    default:
        event("UNKNOWN_FEATURE", "dev=%u feature=%u flags=0x%x", d->devid, index, f->flags);
        return fail(ENOTTY);
    }
}

static int device_ioctl(struct lab_device *d, unsigned long req, void *arg)
{
    const char *a;
    int e;
    uint32_t argsz = arg ? *(uint32_t *)arg : 0; /* VFIO_DEVICE_RESET takes no argument */

    if (req == VFIO_DEVICE_BIND_IOMMUFD) {
        struct vfio_device_bind_iommufd *b = arg;
        if (argsz < MINSZ(struct vfio_device_bind_iommufd, out_devid) || b->flags || b->iommufd < 0) {
            return fail(EINVAL);
        }
        if (d->bound) {
            return fail(EINVAL);
        }
        if (b->iommufd != iommufd_fd) {
            return fail(fcntl(b->iommufd, F_GETFD) < 0 ? EBADF : EBADFD);
        }
        e = request(&a, "BIND", "fd=%d name=%s", d->fd, d->name);
        if (!e) {
            d->devid = (uint32_t)field(a, "devid", 0);
            d->bound = 1;
            d->mig_state = VFIO_DEVICE_STATE_RUNNING;
            b->out_devid = d->devid;
        }
        done();
        return e ? fail(e) : 0;
    }
    if (!d->bound) {
        event("UNBOUND_IOCTL", "fd=%d req=0x%lx", d->fd, req);
        return fail(EINVAL); /* every other call before bind */
    }
    switch (req) {
    case VFIO_DEVICE_ATTACH_IOMMUFD_PT: {
        struct vfio_device_attach_iommufd_pt *c = arg;
        if (argsz < MINSZ(struct vfio_device_attach_iommufd_pt, pt_id) || c->flags) {
            return fail(EINVAL);
        }
        e = request(&a, "ATTACH", "dev=%u pt=%u", d->devid, c->pt_id);
        if (!e) {
            c->pt_id = (uint32_t)field(a, "pt", c->pt_id);
        }
        done();
        return e ? fail(e) : 0;
    }
    case VFIO_DEVICE_DETACH_IOMMUFD_PT: {
        struct vfio_device_detach_iommufd_pt *c = arg;
        if (argsz < MINSZ(struct vfio_device_detach_iommufd_pt, flags) || c->flags) {
            return fail(EINVAL);
        }
        e = request(&a, "DETACH", "dev=%u", d->devid);
        done();
        return e ? fail(e) : 0;
    }
    case VFIO_DEVICE_GET_INFO: {
        struct vfio_device_info *i = arg;
        if (argsz < MINSZ(struct vfio_device_info, num_irqs)) {
            return fail(EINVAL);
        }
        i->flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
        i->num_regions = VFIO_PCI_NUM_REGIONS;
        i->num_irqs = VFIO_PCI_NUM_IRQS;
        if (argsz >= MINSZ(struct vfio_device_info, cap_offset)) {
            i->cap_offset = 0;
        }
        event("GET_INFO", "dev=%u", d->devid);
        return 0;
    }
    case VFIO_DEVICE_GET_REGION_INFO: {
        struct vfio_region_info *r = arg;
        if (argsz < MINSZ(struct vfio_region_info, offset) || r->index >= VFIO_PCI_NUM_REGIONS) {
            return fail(EINVAL);
        }
        r->cap_offset = 0;
        r->offset = (uint64_t)r->index << REGION_SHIFT;
        if (r->index == VFIO_PCI_CONFIG_REGION_INDEX) {
            r->size = CONFIG_SIZE;
            r->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
        } else {
            r->size = 0;
            r->flags = 0;
        }
        event("GET_REGION_INFO", "dev=%u index=%u size=0x%" PRIx64, d->devid, r->index, (uint64_t)r->size);
        return 0;
    }
    case VFIO_DEVICE_GET_IRQ_INFO: {
        struct vfio_irq_info *q = arg;
        if (argsz < MINSZ(struct vfio_irq_info, count) || q->index >= VFIO_PCI_NUM_IRQS) {
            return fail(EINVAL);
        }
        switch (q->index) {
        case VFIO_PCI_INTX_IRQ_INDEX:
            q->count = 1;
            q->flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
            break;
        case VFIO_PCI_ERR_IRQ_INDEX:
        case VFIO_PCI_REQ_IRQ_INDEX:
            q->count = 1;
            q->flags = VFIO_IRQ_INFO_EVENTFD;
            break;
        default: /* no MSI or MSI-X capability */
            q->count = 0;
            q->flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE;
            break;
        }
        event("GET_IRQ_INFO", "dev=%u index=%u count=%u", d->devid, q->index, q->count);
        return 0;
    }
    case VFIO_DEVICE_SET_IRQS: {
        struct vfio_irq_set *s = arg;
        if (argsz < MINSZ(struct vfio_irq_set, count) || s->index >= VFIO_PCI_NUM_IRQS) {
            return fail(EINVAL);
        }
        event("SET_IRQS", "dev=%u index=%u flags=0x%x start=%u count=%u", d->devid, s->index, s->flags, s->start,
              s->count);
        return 0;
    }
    case VFIO_DEVICE_RESET:
        event("RESET", "dev=%u", d->devid);
        return 0;
    case VFIO_DEVICE_FEATURE:
        return feature(d, arg);
    default:
        event("UNKNOWN_IOCTL", "fd=%d dev=%u req=0x%lx", d->fd, d->devid, req);
        return fail(ENOTTY);
    }
}

/* ------------------------------------------------------------------------------------------- wrappers */

int ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    va_start(ap, req);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    resolve();
    switch (our_role(fd)) {
    case ROLE_IOMMUFD:
        if (!arg) {
            return fail(EFAULT);
        }
        return iommufd_ioctl(req, arg);
    case ROLE_DEVICE:
        if (!arg && req != VFIO_DEVICE_RESET) {
            return fail(EFAULT);
        }
        return device_ioctl(&devices[dev_index[fd]], req, arg);
    default:
        return real_ioctl(fd, req, arg);
    }
}

int close(int fd)
{
    resolve();
    switch (our_role(fd)) {
    case ROLE_DEVICE: {
        /* Closing a device unbinds it. The descriptor number stays ours (a placeholder) so that the device
         * can be plugged again with the same fd=. */
        struct lab_device *d = &devices[dev_index[fd]];
        if (d->bound) {
            const char *a;
            int e = request(&a, "UNBIND", "fd=%d dev=%u", fd, d->devid);
            done();
            d->bound = 0;
            d->mig_state = 0;
            if (e) {
                return fail(e);
            }
        } else {
            event("CLOSE", "fd=%d bound=0", fd);
        }
        return 0;
    }
    case ROLE_IOMMUFD:
        event("CLOSE", "fd=%d iommufd=1", fd);
        return 0;
    default:
        return real_close(fd);
    }
}

static ssize_t config_read(struct lab_device *d, void *buf, size_t n, off64_t off)
{
    uint64_t region = (uint64_t)off >> REGION_SHIFT;
    uint64_t at = (uint64_t)off & ((1ull << REGION_SHIFT) - 1);
    if (region != VFIO_PCI_CONFIG_REGION_INDEX) {
        event("REGION_READ", "dev=%u region=%" PRIu64 " offset=0x%" PRIx64 " count=%zu", d->devid, region, at, n);
        return fail(EINVAL);
    }
    size_t got = at >= CONFIG_SIZE ? 0 : (n < CONFIG_SIZE - at ? n : CONFIG_SIZE - at);
    memcpy(buf, d->config + at, got);
    event("CONFIG_READ", "dev=%u offset=0x%" PRIx64 " count=%zu", d->devid, at, n);
    return (ssize_t)got;
}

ssize_t pread64(int fd, void *buf, size_t n, off64_t off)
{
    resolve();
    if (our_role(fd) == ROLE_DEVICE) {
        return config_read(&devices[dev_index[fd]], buf, n, off);
    }
    return real_pread64(fd, buf, n, off);
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
    return pread64(fd, buf, n, off);
}

/* Debian builds QEMU with _FORTIFY_SOURCE: reads of a known-size buffer arrive here. */
ssize_t __pread64_chk(int fd, void *buf, size_t n, off64_t off, size_t buflen)
{
    resolve();
    if (our_role(fd) == ROLE_DEVICE) {
        if (n > buflen) {
            die("__pread64_chk: %zu bytes into a %zu-byte buffer", n, buflen);
        }
        return config_read(&devices[dev_index[fd]], buf, n, off);
    }
    return real_pread64_chk(fd, buf, n, off, buflen);
}

ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen)
{
    return __pread64_chk(fd, buf, n, off, buflen);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
    resolve();
    if (our_role(fd) == ROLE_DEVICE) {
        struct lab_device *d = &devices[dev_index[fd]];
        uint64_t region = (uint64_t)off >> REGION_SHIFT;
        uint64_t at = (uint64_t)off & ((1ull << REGION_SHIFT) - 1);
        uint64_t value = 0;
        memcpy(&value, buf, n < sizeof value ? n : sizeof value);
        if (region != VFIO_PCI_CONFIG_REGION_INDEX) {
            event("REGION_WRITE", "dev=%u region=%" PRIu64 " offset=0x%" PRIx64 " count=%zu", d->devid, region, at, n);
            return fail(EINVAL);
        }
        /* Writes are taken and dropped: every register reads back as initialised. For the ROM BAR this is
         * what matters: an echoed sizing pattern would announce a ROM that cannot be read. */
        event("CONFIG_WRITE", "dev=%u offset=0x%" PRIx64 " count=%zu value=0x%" PRIx64, d->devid, at, n, value);
        return (ssize_t)n;
    }
    return real_pwrite64(fd, buf, n, off);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    return pwrite64(fd, buf, n, off);
}

/* ------------------------------------------------------------------------------------------- setup */

static void placeholder(int fd, enum role r)
{
    if (fd < 3 || fd >= MAX_FD) {
        die("descriptor %d is out of the range 3..%d", fd, MAX_FD - 1);
    }
    if (fcntl(fd, F_GETFD) >= 0) {
        die("descriptor %d is already open in this process", fd);
    }
    int t = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (t < 0 || dup3(t, fd, O_CLOEXEC) != fd) {
        die("cannot open a placeholder at descriptor %d: %s", fd, strerror(errno));
    }
    real_close(t);
    role[fd] = (unsigned char)r;
}

__attribute__((constructor)) static void lab_init(void)
{
    resolve();
    const char *path = getenv("QEMU_LAB_SOCKET");
    if (!path || strncmp(program_invocation_short_name, "qemu-system", 11) != 0) {
        return;
    }
    const char *iommufd = getenv("QEMU_LAB_IOMMUFD");
    const char *devs = getenv("QEMU_LAB_DEVICES");
    if (!iommufd) {
        die("QEMU_LAB_SOCKET is set but QEMU_LAB_IOMMUFD is not");
    }
    char sockpath[sizeof(((struct sockaddr_un *)0)->sun_path)];
    if (strlen(path) >= sizeof sockpath) {
        die("socket path too long: %s", path);
    }
    strcpy(sockpath, path);
    char devlist[4096];
    snprintf(devlist, sizeof devlist, "%s", devs ? devs : "");
    iommufd_fd = atoi(iommufd);

    /* Children (the exec: migration command, helpers) must not load the library again. */
    unsetenv("LD_PRELOAD");
    unsetenv("QEMU_LAB_SOCKET");
    unsetenv("QEMU_LAB_IOMMUFD");
    unsetenv("QEMU_LAB_DEVICES");

    placeholder(iommufd_fd, ROLE_IOMMUFD);
    for (char *save = NULL, *tok = strtok_r(devlist, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(tok, ':');
        if (!colon || ndevices >= MAX_DEVICES) {
            die("bad QEMU_LAB_DEVICES entry '%s' (want <fd>:<name>, at most %d)", tok, MAX_DEVICES);
        }
        *colon = 0;
        struct lab_device *d = &devices[ndevices];
        d->fd = atoi(tok);
        snprintf(d->name, sizeof d->name, "%s", colon + 1);
        init_config(d);
        placeholder(d->fd, ROLE_DEVICE);
        dev_index[d->fd] = ndevices++;
    }

    sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, sockpath);
    if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof sa) < 0) {
        die("cannot connect to the lab at %s: %s", sockpath, strerror(errno));
    }
    lab_pid = getpid();
    active = 1;
    event("HELLO", "pid=%d iommufd=%d devices=%d", (int)lab_pid, iommufd_fd, ndevices);
}
