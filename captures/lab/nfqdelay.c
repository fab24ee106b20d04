/* nfqdelay: hold every packet of an NFQUEUE queue for DELAY_MS +/- JITTER_MS
 * (uniform) and then accept it.  A stand-in for netem delay on kernels
 * without sch_netem.  Packets are released in due-time order, so jitter can
 * reorder them, as netem does.
 *
 * usage: nfqdelay QUEUE_NUM DELAY_MS JITTER_MS
 * Runs until SIGTERM/SIGINT; pending packets are accepted on exit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXHELD 8192

struct held { uint32_t id; double due; };
static struct held q[MAXHELD];
static int nq;
static double delay_ms, jitter_ms;
static volatile sig_atomic_t stop;
static unsigned long n_in, n_out, n_overflow;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int on_pkt(struct nfq_q_handle *qh, struct nfgenmsg *m, struct nfq_data *d, void *u)
{
    (void)m; (void)u;
    struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(d);
    if (!ph) return 0;
    uint32_t id = ntohl(ph->packet_id);
    n_in++;
    if (nq >= MAXHELD) {
        n_overflow++;
        return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
    }
    double j = jitter_ms > 0 ? (drand48() * 2.0 - 1.0) * jitter_ms : 0;
    double due = now_ms() + delay_ms + j;
    int i = nq++;
    while (i > 0 && q[i - 1].due > due) { q[i] = q[i - 1]; i--; }
    q[i].id = id;
    q[i].due = due;
    return 0;
}

static void release(struct nfq_q_handle *qh, int all)
{
    double t = now_ms();
    int k = 0;
    while (k < nq && (all || q[k].due <= t)) {
        nfq_set_verdict(qh, q[k].id, NF_ACCEPT, 0, NULL);
        k++;
    }
    if (k) {
        memmove(q, q + k, (nq - k) * sizeof q[0]);
        nq -= k;
        n_out += k;
    }
}

static void on_sig(int s) { (void)s; stop = 1; }

int main(int argc, char **argv)
{
    if (argc < 4) { fprintf(stderr, "usage: %s QUEUE DELAY_MS JITTER_MS\n", argv[0]); return 2; }
    int qnum = atoi(argv[1]);
    delay_ms = atof(argv[2]);
    jitter_ms = atof(argv[3]);
    srand48(getpid() ^ time(NULL));
    signal(SIGTERM, on_sig);
    signal(SIGINT, on_sig);

    struct nfq_handle *h = nfq_open();
    if (!h) { perror("nfq_open"); return 1; }
    struct nfq_q_handle *qh = nfq_create_queue(h, qnum, on_pkt, NULL);
    if (!qh) { perror("nfq_create_queue"); return 1; }
    if (nfq_set_mode(qh, NFQNL_COPY_META, 0) < 0) { perror("nfq_set_mode"); return 1; }
    nfq_set_queue_maxlen(qh, MAXHELD);
    int fd = nfq_fd(h);
    char buf[65536];
    printf("ready queue=%d delay=%.1f jitter=%.1f\n", qnum, delay_ms, jitter_ms);
    fflush(stdout);
    while (!stop) {
        int timeout = 50;
        if (nq) {
            double w = q[0].due - now_ms();
            timeout = w < 0 ? 0 : (int)w + 1;
            if (timeout > 50) timeout = 50;
        }
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int r = poll(&p, 1, timeout);
        if (r > 0) {
            for (;;) {
                ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
                if (n <= 0) break;
                nfq_handle_packet(h, buf, (int)n);
            }
        }
        release(qh, 0);
    }
    release(qh, 1);
    fprintf(stderr, "nfqdelay: in=%lu out=%lu overflow=%lu\n", n_in, n_out, n_overflow);
    nfq_destroy_queue(qh);
    nfq_close(h);
    return 0;
}
