/* cpgload: join a CPG group and multicast COUNT messages of SIZE bytes,
 * INTERVAL_MS apart (0 = back to back, as fast as corosync flow control
 * allows).  Delivered messages are dispatched and discarded.  Used by the
 * corowire lab to put real totem mcast traffic (and knet fragments for
 * large SIZE) on the wire.
 *
 * usage: cpgload GROUP SIZE COUNT INTERVAL_MS [LINGER_MS]
 */
#include <corosync/cpg.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static unsigned long delivered;

static void on_deliver(cpg_handle_t h, const struct cpg_name *g, uint32_t nodeid,
                       uint32_t pid, void *msg, size_t len)
{
    (void)h; (void)g; (void)nodeid; (void)pid; (void)msg; (void)len;
    delivered++;
}

static void on_confchg(cpg_handle_t h, const struct cpg_name *g,
                       const struct cpg_address *m, size_t nm,
                       const struct cpg_address *l, size_t nl,
                       const struct cpg_address *j, size_t nj)
{
    (void)h; (void)g; (void)m; (void)nm; (void)l; (void)nl; (void)j; (void)nj;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void pump(cpg_handle_t h, int fd, int wait_ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    double end = now_ms() + wait_ms;
    for (;;) {
        int left = (int)(end - now_ms());
        if (left < 0) left = 0;
        int r = poll(&p, 1, left);
        if (r > 0) cpg_dispatch(h, CS_DISPATCH_ALL);
        if (left == 0) break;
    }
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s GROUP SIZE COUNT INTERVAL_MS [LINGER_MS]\n", argv[0]);
        return 2;
    }
    const char *group = argv[1];
    size_t size = strtoul(argv[2], NULL, 10);
    long count = strtol(argv[3], NULL, 10);
    int interval = atoi(argv[4]);
    int linger = argc > 5 ? atoi(argv[5]) : 200;

    cpg_callbacks_t cb = { .cpg_deliver_fn = on_deliver, .cpg_confchg_fn = on_confchg };
    cpg_handle_t h;
    cs_error_t e;
    for (int tries = 0; (e = cpg_initialize(&h, &cb)) != CS_OK; tries++) {
        if (tries > 50) { fprintf(stderr, "cpg_initialize: %d\n", e); return 1; }
        usleep(100000);
    }
    struct cpg_name name;
    name.length = strlen(group);
    memcpy(name.value, group, name.length);
    while ((e = cpg_join(h, &name)) == CS_ERR_TRY_AGAIN) usleep(10000);
    if (e != CS_OK) { fprintf(stderr, "cpg_join: %d\n", e); return 1; }
    int fd;
    cpg_fd_get(h, &fd);

    char *buf = malloc(size ? size : 1);
    unsigned long sent = 0, again = 0;
    for (long i = 0; i < count; i++) {
        memset(buf, 'a' + (int)(i % 26), size);
        if (size >= 8) snprintf(buf, 8, "%07ld", i % 10000000);
        struct iovec iov = { .iov_base = buf, .iov_len = size };
        while ((e = cpg_mcast_joined(h, CPG_TYPE_AGREED, &iov, 1)) == CS_ERR_TRY_AGAIN) {
            again++;
            pump(h, fd, 5);
        }
        if (e != CS_OK) { fprintf(stderr, "cpg_mcast_joined: %d\n", e); break; }
        sent++;
        pump(h, fd, interval);
    }
    pump(h, fd, linger);
    cpg_leave(h, &name);
    cpg_finalize(h);
    printf("sent=%lu delivered=%lu try_again=%lu\n", sent, delivered, again);
    return 0;
}
