/*
 * The floor for benchmark (c): the 2-host topology of Isolated.Net built with nothing but raw syscalls
 * and rtnetlink, written from the kernel UAPI headers. Same work as Isolated.Net does for
 *   new TopologyBuilder().AddHost("a").AddHost("b").Link("a","b").Build()  then Dispose:
 * per host a fresh network namespace (unshare), loopback up, accept_dad=0 (all, default), a
 * netlink socket opened inside; then one veth pair with each end born in its namespace (IFLA_NET_NS_FD),
 * both ends up with an IPv4 /24 and an IPv6 /64 (RTM_NEWLINK, RTM_NEWADDR); dispose closes the fds and
 * lets the kernel reap. Requests to one namespace travel pipelined in one datagram, acks read after.
 *
 * With "lan N" it builds instead the N-host switched LAN of
 *   new TopologyBuilder().AddSwitch("lan").AddHost("h0").Connect("h0","lan")…  (N hosts)
 * a hub namespace holding one bridge, and per host a veth pair born with one end in the hub (a bridge
 * port) and the other in the host, then each host's eth0 up with its two addresses; one datagram per
 * namespace, the hub's first.
 *
 * usage: floor ITERATIONS WARMUP [lan N]   prints one line per measured iteration: elapsed nanoseconds.
 * Exit 0 on success; on failure the failing operation and errno on stderr, exit 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#define BUFSZ 4096
/* A request batch: 250 veth pairs and their masters (the largest LAN) fit in 64 KiB. */
#define BATCHSZ 65536

static void die(const char *what, int err)
{
    fprintf(stderr, "floor: %s failed: %s\n", what, strerror(err));
    exit(1);
}

struct batch { char buf[BATCHSZ]; size_t len; unsigned count; unsigned seq; };

static struct nlmsghdr *begin(struct batch *b, uint16_t type, uint16_t flags, const void *body, size_t bodylen)
{
    struct nlmsghdr *n = (struct nlmsghdr *)(b->buf + b->len);
    memset(n, 0, NLMSG_SPACE(bodylen));
    n->nlmsg_len = NLMSG_LENGTH(bodylen);
    n->nlmsg_type = type;
    n->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    n->nlmsg_seq = ++b->seq;
    memcpy(NLMSG_DATA(n), body, bodylen);
    return n;
}

static void end(struct batch *b, struct nlmsghdr *n)
{
    b->len += NLMSG_ALIGN(n->nlmsg_len);
    b->count++;
}

static struct rtattr *attr(struct nlmsghdr *n, uint16_t type, const void *data, size_t len)
{
    struct rtattr *a = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));
    a->rta_type = type;
    a->rta_len = RTA_LENGTH(len);
    if (len) memcpy(RTA_DATA(a), data, len);
    n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(a->rta_len);
    return a;
}

static void nest_end(struct nlmsghdr *n, struct rtattr *nest)
{
    nest->rta_len = (unsigned short)((char *)n + n->nlmsg_len - (char *)nest);
}

static void link_up(struct batch *b, int index)
{
    /* ip link set dev INDEX up */
    struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = index, .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
    end(b, begin(b, RTM_NEWLINK, 0, &ifi, sizeof ifi));
}

static void add_addr(struct batch *b, int family, int index, const char *text, int prefix)
{
    /* ip addr add TEXT/PREFIX dev INDEX [nodad] */
    struct ifaddrmsg ifa = { .ifa_family = family, .ifa_prefixlen = prefix, .ifa_index = index };
    unsigned char addr[16];
    if (inet_pton(family, text, addr) != 1) die("inet_pton", EINVAL);
    if (family == AF_INET6) ifa.ifa_flags = IFA_F_NODAD;
    struct nlmsghdr *n = begin(b, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof ifa);
    size_t len = family == AF_INET ? 4 : 16;
    attr(n, IFA_LOCAL, addr, len);
    attr(n, IFA_ADDRESS, addr, len);
    end(b, n);
}

static void add_veth(struct batch *b, const char *name, int index, const char *peer, int peer_index, int peer_ns)
{
    /* ip link add NAME index I up type veth peer name PEER index J netns PEER_NS */
    struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = index, .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
    struct nlmsghdr *n = begin(b, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof ifi);
    attr(n, IFLA_IFNAME, name, strlen(name) + 1);
    struct rtattr *info = attr(n, IFLA_LINKINFO, NULL, 0);
    attr(n, IFLA_INFO_KIND, "veth", 5);
    struct rtattr *data = attr(n, IFLA_INFO_DATA, NULL, 0);
    struct rtattr *peer_attr = attr(n, VETH_INFO_PEER, NULL, 0);
    struct ifinfomsg peer_ifi = { .ifi_family = AF_UNSPEC, .ifi_index = peer_index };
    memcpy((char *)n + n->nlmsg_len, &peer_ifi, sizeof peer_ifi);
    n->nlmsg_len += NLMSG_ALIGN(sizeof peer_ifi);
    attr(n, IFLA_IFNAME, peer, strlen(peer) + 1);
    uint32_t fd = (uint32_t)peer_ns;
    attr(n, IFLA_NET_NS_FD, &fd, sizeof fd);
    nest_end(n, peer_attr);
    nest_end(n, data);
    nest_end(n, info);
    end(b, n);
}

static void set_master(struct batch *b, int index, int master)
{
    /* ip link set dev INDEX master MASTER */
    struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = index };
    struct nlmsghdr *n = begin(b, RTM_NEWLINK, 0, &ifi, sizeof ifi);
    uint32_t m = (uint32_t)master;
    attr(n, IFLA_MASTER, &m, sizeof m);
    end(b, n);
}

static void add_bridge(struct batch *b, const char *name, int index)
{
    /* ip link add NAME index I up type bridge */
    struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = index, .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
    struct nlmsghdr *n = begin(b, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof ifi);
    attr(n, IFLA_IFNAME, name, strlen(name) + 1);
    struct rtattr *info = attr(n, IFLA_LINKINFO, NULL, 0);
    attr(n, IFLA_INFO_KIND, "bridge", 6);
    nest_end(n, info);
    end(b, n);
}

static void execute(int sock, struct batch *b, const char *what)
{
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    if (sendto(sock, b->buf, b->len, 0, (struct sockaddr *)&kernel, sizeof kernel) != (ssize_t)b->len) die(what, errno);
    unsigned acked = 0;
    char reply[BUFSZ];
    while (acked < b->count) {
        ssize_t got = recv(sock, reply, sizeof reply, 0);
        if (got < 0) { if (errno == EINTR) continue; die(what, errno); }
        for (struct nlmsghdr *m = (struct nlmsghdr *)reply; NLMSG_OK(m, (size_t)got); m = NLMSG_NEXT(m, got)) {
            if (m->nlmsg_type != NLMSG_ERROR) continue;
            struct nlmsgerr *e = NLMSG_DATA(m);
            if (e->error) die(what, -e->error);
            acked++;
        }
    }
    b->len = b->count = 0;
}

static void write_file(const char *path, const char *value)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) die(path, errno);
    if (write(fd, value, strlen(value)) < 0) die(path, errno);
    close(fd);
}

struct host { int ns; int nl; };

static void create_host_dad(struct host *h, int root, int no_dad);

static void create_host(struct host *h, int root) { create_host_dad(h, root, 1); }

static void create_host_dad(struct host *h, int root, int no_dad)
{
    if (unshare(CLONE_NEWNET) < 0) die("unshare(CLONE_NEWNET)", errno);
    h->ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (h->ns < 0) die("open ns", errno);
    h->nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (h->nl < 0) die("socket(NETLINK_ROUTE)", errno);
    if (no_dad) {
        write_file("/proc/sys/net/ipv6/conf/all/accept_dad", "0");
        write_file("/proc/sys/net/ipv6/conf/default/accept_dad", "0");
    }
    if (setns(root, CLONE_NEWNET) < 0) die("setns(root)", errno);
}

static void build_and_dispose(int root)
{
    static struct batch b;
    struct host a, c;
    create_host(&a, root);
    create_host(&c, root);

    link_up(&b, 1);
    add_veth(&b, "eth0", 2, "eth0", 2, c.ns);
    add_addr(&b, AF_INET, 2, "10.0.1.1", 24);
    add_addr(&b, AF_INET6, 2, "fd7a:15e:0:1::1", 64);
    execute(a.nl, &b, "host a: lo up, veth, addresses");

    link_up(&b, 1);
    link_up(&b, 2);
    add_addr(&b, AF_INET, 2, "10.0.1.2", 24);
    add_addr(&b, AF_INET6, 2, "fd7a:15e:0:1::2", 64);
    execute(c.nl, &b, "host b: lo up, eth0 up, addresses");

    close(a.nl); close(a.ns);
    close(c.nl); close(c.ns);
}

#define MAX_HOSTS 250

static void lan_build_and_dispose(int root, int hosts)
{
    static struct host h[MAX_HOSTS];
    struct host hub;
    static struct batch batch;
    struct batch *b = &batch;
    for (int i = 0; i < hosts; i++) create_host(&h[i], root);
    create_host_dad(&hub, root, 0);

    add_bridge(b, "lan", 2);
    for (int i = 0; i < hosts; i++) {
        char port[16];
        snprintf(port, sizeof port, "p%d", 3 + i);
        add_veth(b, port, 3 + i, "eth0", 2, h[i].ns);
        set_master(b, 3 + i, 2);
    }
    execute(hub.nl, b, "hub: bridge, ports");

    for (int i = 0; i < hosts; i++) {
        char v4[32], v6[64];
        snprintf(v4, sizeof v4, "10.0.1.%d", i + 1);
        snprintf(v6, sizeof v6, "fd7a:15e:0:1::%x", i + 1);
        link_up(b, 2);
        add_addr(b, AF_INET, 2, v4, 24);
        add_addr(b, AF_INET6, 2, v6, 64);
        execute(h[i].nl, b, "host: eth0 up, addresses");
    }
    for (int i = 0; i < hosts; i++) { close(h[i].nl); close(h[i].ns); }
    close(hub.nl); close(hub.ns);
}

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc != 3 && !(argc == 5 && strcmp(argv[3], "lan") == 0)) { fprintf(stderr, "usage: floor ITERATIONS WARMUP [lan N]\n"); return 2; }
    int iterations = atoi(argv[1]), warmup = atoi(argv[2]);
    int hosts = argc == 5 ? atoi(argv[4]) : 0;
    if (argc == 5 && (hosts < 1 || hosts > MAX_HOSTS)) { fprintf(stderr, "floor: lan N takes 1..%d hosts\n", MAX_HOSTS); return 2; }
    int root = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (root < 0) die("open root ns", errno);
    for (int i = 0; i < warmup; i++) hosts ? lan_build_and_dispose(root, hosts) : build_and_dispose(root);
    for (int i = 0; i < iterations; i++) {
        int64_t start = now_ns();
        if (hosts) lan_build_and_dispose(root, hosts); else build_and_dispose(root);
        printf("%lld\n", (long long)(now_ns() - start));
    }
    return 0;
}
