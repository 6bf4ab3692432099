/*
 * The floor for NativeIoctl: N calls of ioctl(fd, request, &arg) on /dev/null from C. The default request,
 * IOMMU_DESTROY, is answered ENOTTY (the failure path); FIOCLEX (0x5451) succeeds (the success path).
 * Prints the mean ns per call of each round and of the best one.
 *
 * Usage: ioctl_loop [calls per round (default 10000000)] [rounds (default 5)] [request, hex (default 0x3b80)]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* _IO(';', 0x80): no direction bits, no size. */
#define IOMMU_DESTROY 0x3b80UL

struct iommu_destroy {
	uint32_t size;
	uint32_t id;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long calls = argc > 1 ? atol(argv[1]) : 10000000L;
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	unsigned long request = argc > 3 ? strtoul(argv[3], NULL, 16) : IOMMU_DESTROY;
	int expect_errno;
	struct iommu_destroy arg = { .size = sizeof(arg), .id = 0 };
	double best = -1;
	int fd;

	if (calls <= 0 || rounds <= 0) {
		fprintf(stderr, "ioctl_loop: calls and rounds must be positive\n");
		return 2;
	}
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("ioctl_loop: open /dev/null");
		return 1;
	}
	expect_errno = ioctl(fd, request, &arg) == 0 ? 0 : errno;
	if (request == IOMMU_DESTROY && expect_errno != ENOTTY) {
		fprintf(stderr, "ioctl_loop: IOMMU_DESTROY on /dev/null did not fail with ENOTTY (errno %d)\n", errno);
		return 1;
	}
	for (int r = 0; r < rounds; r++) {
		long same = 0;
		uint64_t t0 = now_ns();

		for (long i = 0; i < calls; i++)
			same += (ioctl(fd, request, &arg) == 0 ? 0 : errno) == expect_errno;
		double ns = (double)(now_ns() - t0) / (double)calls;

		if (same != calls) {
			fprintf(stderr, "ioctl_loop: %ld of %ld calls did not answer errno %d\n", calls - same, calls,
				expect_errno);
			return 1;
		}
		printf("round %d: %.1f ns/op\n", r + 1, ns);
		if (best < 0 || ns < best)
			best = ns;
	}
	printf("ioctl_loop: request 0x%lx (errno %d): best of %d rounds of %ld calls: %.1f ns/op\n", request,
	       expect_errno, rounds, calls, best);
	close(fd);
	return 0;
}
