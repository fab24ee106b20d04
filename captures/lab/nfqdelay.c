/* nfqdelay: hold every packet of an NFQUEUE queue for DELAY_MS +/- JITTER_MS
 * (uniform) and then accept it.  A stand-in for netem delay on kernels
 * without sch_netem.  Packets are released in due-time order, so jitter can
 * reorder them, as netem does.
 *
 * usage: nfqdelay QUEUE_NUM DELAY_MS JITTER_MS [REORDER_PCT REORDER_MS [DUP_PCT]]
 *
 * REORDER_PCT: that share of the packets (random) is held REORDER_MS longer
 * than DELAY +/- JITTER; later packets overtake it (reordering).
 * DUP_PCT: that share of the packets is also sent a second time, right after
 * the original is accepted: a copy of the whole IP packet is re-sent through
 * a raw socket (IP_HDRINCL) with SO_MARK 0x7717, so that a rule
 * "-m mark ! --mark 0x7717" does not queue it again; the UDP checksum of the
 * copy is recomputed (the queued original may carry a partial, offloaded one).
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
#include <sys/socket.h>
#include <netinet/in.h>

#define MAXHELD 8192

struct held { uint32_t id; double due; int dup; };
static struct held q[MAXHELD];
static int nq;
static double delay_ms, jitter_ms, reorder_pct, reorder_ms, dup_pct;
static volatile sig_atomic_t stop;
static unsigned long n_in, n_out, n_overflow, n_reordered, n_dup, n_dup_fail;
static int rawfd = -1;
/* copies of packets to duplicate, by slot */
static unsigned char *dupbuf[MAXHELD];
static int duplen[MAXHELD];

static uint16_t csum(const unsigned char *p, size_t n, uint32_t sum)
{
    while (n > 1) { sum += (p[0] << 8) | p[1]; p += 2; n -= 2; }
    if (n) sum += p[0] << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void send_copy(unsigned char *pkt, int len)
{
    if (len < 20 || (pkt[0] >> 4) != 4) { n_dup_fail++; return; }
    int ihl = (pkt[0] & 15) * 4;
    if (pkt[9] == 17 && len >= ihl + 8) {
        unsigned char *u = pkt + ihl;
        int ulen = len - ihl;
        u[6] = u[7] = 0;
        uint32_t s = 0;
        s += (pkt[12] << 8 | pkt[13]) + (pkt[14] << 8 | pkt[15]);
        s += (pkt[16] << 8 | pkt[17]) + (pkt[18] << 8 | pkt[19]);
        s += 17 + ulen;
        uint16_t c = csum(u, ulen, s);
        if (c == 0) c = 0xffff;
        u[6] = c >> 8; u[7] = c & 0xff;
    }
    struct sockaddr_in to = { .sin_family = AF_INET };
    memcpy(&to.sin_addr, pkt + 16, 4);
    if (sendto(rawfd, pkt, len, 0, (struct sockaddr *)&to, sizeof to) == len) n_dup++;
    else n_dup_fail++;
}

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
    if (reorder_pct > 0 && drand48() * 100.0 < reorder_pct) { due += reorder_ms; n_reordered++; }
    int dup = dup_pct > 0 && drand48() * 100.0 < dup_pct;
    unsigned char *pl = NULL;
    int pllen = dup ? nfq_get_payload(d, &pl) : 0;
    int i = nq++;
    while (i > 0 && q[i - 1].due > due) {
        q[i] = q[i - 1];
        dupbuf[i] = dupbuf[i - 1]; duplen[i] = duplen[i - 1];
        i--;
    }
    q[i].id = id;
    q[i].due = due;
    q[i].dup = dup && pllen > 0;
    dupbuf[i] = NULL; duplen[i] = 0;
    if (q[i].dup) {
        dupbuf[i] = malloc(pllen);
        memcpy(dupbuf[i], pl, pllen);
        duplen[i] = pllen;
    }
    return 0;
}

static void release(struct nfq_q_handle *qh, int all)
{
    double t = now_ms();
    int k = 0;
    while (k < nq && (all || q[k].due <= t)) {
        nfq_set_verdict(qh, q[k].id, NF_ACCEPT, 0, NULL);
        if (dupbuf[k]) { send_copy(dupbuf[k], duplen[k]); free(dupbuf[k]); dupbuf[k] = NULL; }
        k++;
    }
    if (k) {
        memmove(q, q + k, (nq - k) * sizeof q[0]);
        memmove(dupbuf, dupbuf + k, (nq - k) * sizeof dupbuf[0]);
        memmove(duplen, duplen + k, (nq - k) * sizeof duplen[0]);
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
    if (argc > 5) { reorder_pct = atof(argv[4]); reorder_ms = atof(argv[5]); }
    if (argc > 6) dup_pct = atof(argv[6]);
    if (dup_pct > 0) {
        rawfd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
        if (rawfd < 0) { perror("raw socket"); return 1; }
        int mark = 0x7717;
        if (setsockopt(rawfd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) < 0) { perror("SO_MARK"); return 1; }
    }
    srand48(getpid() ^ time(NULL));
    signal(SIGTERM, on_sig);
    signal(SIGINT, on_sig);

    struct nfq_handle *h = nfq_open();
    if (!h) { perror("nfq_open"); return 1; }
    struct nfq_q_handle *qh = nfq_create_queue(h, qnum, on_pkt, NULL);
    if (!qh) { perror("nfq_create_queue"); return 1; }
    if (nfq_set_mode(qh, dup_pct > 0 ? NFQNL_COPY_PACKET : NFQNL_COPY_META, 0xffff) < 0) { perror("nfq_set_mode"); return 1; }
    nfq_set_queue_maxlen(qh, MAXHELD);
    int fd = nfq_fd(h);
    char buf[65536];
    printf("ready queue=%d delay=%.1f jitter=%.1f reorder_pct=%.1f reorder_ms=%.1f dup_pct=%.1f\n",
           qnum, delay_ms, jitter_ms, reorder_pct, reorder_ms, dup_pct);
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
    fprintf(stderr, "nfqdelay: in=%lu out=%lu overflow=%lu reordered=%lu duplicated=%lu dup_failed=%lu\n",
            n_in, n_out, n_overflow, n_reordered, n_dup, n_dup_fail);
    nfq_destroy_queue(qh);
    nfq_close(h);
    return 0;
}
