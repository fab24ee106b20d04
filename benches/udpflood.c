/* Non-corosync UDP load for benches/live-load.sh: small datagrams sent with
 * sendmmsg(2) in batches, optionally paced to a target rate.
 *
 * usage: udpflood DST_IP DST_PORT SECONDS [PPS] [PAYLOAD_BYTES]
 *   PPS 0 (default) = as fast as possible.
 * Prints "sent N packets in S s = R pps" on stderr at the end.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s DST_IP DST_PORT SECONDS [PPS] [PAYLOAD_BYTES]\n", argv[0]);
		return 2;
	}
	struct sockaddr_in dst = { .sin_family = AF_INET };
	if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1) {
		fprintf(stderr, "bad address %s\n", argv[1]);
		return 2;
	}
	dst.sin_port = htons((unsigned short)atoi(argv[2]));
	double secs = atof(argv[3]);
	double pps = argc > 4 ? atof(argv[4]) : 0.0;
	size_t len = argc > 5 ? (size_t)atoi(argv[5]) : 18;
	if (len < 1 || len > 1400)
		len = 18;

	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	if (connect(fd, (struct sockaddr *)&dst, sizeof dst) < 0) {
		perror("connect");
		return 1;
	}
	static char payload[1400];
	memset(payload, 'x', sizeof payload);
	struct iovec iov[BATCH];
	struct mmsghdr msgs[BATCH];
	memset(msgs, 0, sizeof msgs);
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = payload;
		iov[i].iov_len = len;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	unsigned long long sent = 0, errors = 0;
	double t0 = now_s(), end = t0 + secs;
	for (;;) {
		double t = now_s();
		if (t >= end)
			break;
		if (pps > 0) {
			/* Pace: do not run ahead of the target count for this instant. */
			double due = (t - t0) * pps;
			if ((double)sent >= due) {
				double wait = ((double)sent + BATCH - due) / pps;
				struct timespec ts = { 0, (long)(wait * 1e9) };
				if (ts.tv_nsec > 999999999)
					ts.tv_nsec = 999999999;
				nanosleep(&ts, NULL);
				continue;
			}
		}
		int n = sendmmsg(fd, msgs, BATCH, 0);
		if (n < 0) {
			/* No listener: ICMP port unreachable comes back as ECONNREFUSED. */
			if (errno == ECONNREFUSED || errno == ENOBUFS || errno == EAGAIN)
				errors++;
			else {
				perror("sendmmsg");
				return 1;
			}
			continue;
		}
		sent += (unsigned long long)n;
	}
	double dt = now_s() - t0;
	fprintf(stderr, "sent %llu packets in %.1f s = %.0f pps (%llu send errors)\n", sent, dt,
		dt > 0 ? (double)sent / dt : 0.0, errors);
	return 0;
}
