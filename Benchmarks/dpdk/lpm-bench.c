/*
 * Reference harness for `vpcemu bench lpm`: the same route and address files, the same checksum
 * (sum of matched next hops, 0 on a miss), single and bulk lookups, with DPDK's rte_lpm (IPv4)
 * or rte_lpm6 (IPv6). Build with ./build.sh; run as
 *   ./lpm-bench --no-huge --no-pci -l 0 -m 2048 -- --routes routes4.txt --addrs addrs4.txt [--ipv6]
 *       [--repeat N] [--batch N]
 * Timing is the best of N repetitions; file parsing and table build are timed separately.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>

struct route { uint8_t ip[16]; uint8_t depth; uint32_t next_hop; };

static double now(void)
{
	struct timespec ts;
	/* CPU time of this thread, as `vpcemu bench lpm`: other processes on the core do not count. */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *what, const char *path, size_t line)
{
	fprintf(stderr, "lpm-bench: %s:%zu: %s\n", path, line, what);
	exit(1);
}

/* Reads `prefix/len nexthop` lines (blank lines skipped). */
static struct route *read_routes(const char *path, int family, size_t *count)
{
	FILE *f = fopen(path, "r");
	if (!f) { perror(path); exit(1); }
	size_t cap = 1 << 20, n = 0, line_no = 0;
	struct route *routes = malloc(cap * sizeof *routes);
	char line[256], text[128];
	unsigned depth, next_hop;
	while (fgets(line, sizeof line, f)) {
		line_no++;
		if (strspn(line, " \t\r\n") == strlen(line)) continue;
		if (sscanf(line, "%127[^/]/%u %u", text, &depth, &next_hop) != 3)
			die("expected 'prefix/len nexthop'", path, line_no);
		if (n == cap) routes = realloc(routes, (cap *= 2) * sizeof *routes);
		memset(&routes[n], 0, sizeof routes[n]);
		if (inet_pton(family, text, routes[n].ip) != 1) die("bad prefix", path, line_no);
		if (depth > (family == AF_INET ? 32u : 128u)) die("bad prefix length", path, line_no);
		if (next_hop >= (1u << 21)) die("next hop does not fit rte_lpm6's 21 bits", path, line_no);
		routes[n].depth = depth;
		routes[n].next_hop = next_hop;
		n++;
	}
	fclose(f);
	*count = n;
	return routes;
}

/* Reads one address per line into 4- or 16-byte network-order records. */
static uint8_t *read_addresses(const char *path, int family, size_t *count)
{
	FILE *f = fopen(path, "r");
	if (!f) { perror(path); exit(1); }
	size_t size = family == AF_INET ? 4 : 16, cap = 1 << 21, n = 0, line_no = 0;
	uint8_t *addrs = malloc(cap * size);
	char line[128];
	while (fgets(line, sizeof line, f)) {
		line_no++;
		line[strcspn(line, " \t\r\n")] = 0;
		if (!line[0]) continue;
		if (n == cap) addrs = realloc(addrs, (cap *= 2) * size);
		if (inet_pton(family, line, addrs + n * size) != 1) die("bad address", path, line_no);
		n++;
	}
	fclose(f);
	*count = n;
	return addrs;
}

/*
 * Best-of-`repeat` timing of single lookups (SINGLE(i) adds address i's next hop to `sum`) and
 * bulk lookups (BULK(i, m) looks up m addresses from i into `hops`, HIT(j)/HOP(j) read them).
 */
#define TIME_LOOKUPS(SINGLE, BULK, HIT, HOP)                                              \
	for (int r = 0; r < repeat; r++) {                                                \
		uint64_t sum = 0;                                                         \
		double t = now();                                                         \
		for (size_t i = 0; i < n; i++) SINGLE(i);                                 \
		double d = now() - t;                                                     \
		if (d < best_single) best_single = d;                                     \
		single_sum = sum;                                                         \
		sum = 0;                                                                  \
		t = now();                                                                \
		for (size_t i = 0; i < n; i += batch) {                                   \
			unsigned m = n - i < (size_t)batch ? n - i : (unsigned)batch;     \
			BULK(i, m);                                                       \
			for (unsigned j = 0; j < m; j++)                                  \
				if (HIT(j)) sum += HOP(j);                                \
		}                                                                         \
		d = now() - t;                                                            \
		if (d < best_bulk) best_bulk = d;                                         \
		bulk_sum = sum;                                                           \
	}

static uint32_t host_order(const uint8_t *ip) { uint32_t v; memcpy(&v, ip, 4); return ntohl(v); }

static void report(const char *family, size_t routes, size_t lookups, double build, size_t memory,
		   double single, double bulk, int batch, uint64_t checksum, uint64_t bulk_checksum)
{
	printf("family          %s (DPDK %s)\n", family, family[3] == '4' ? "rte_lpm" : "rte_lpm6");
	printf("routes          %zu\naddresses       %zu\n", routes, lookups);
	printf("build           %.3f s\n", build);
	printf("memory          %zu bytes (%.2f bytes/route)\n", memory, (double)memory / routes);
	printf("single lookup   %.1f Mlookups/s\n", lookups / single / 1e6);
	printf("bulk lookup     %.1f Mlookups/s (batch %d)\n", lookups / bulk / 1e6, batch);
	printf("checksum        %" PRIu64 "\n", checksum);
	if (bulk_checksum != checksum) {
		printf("bulk checksum   %" PRIu64 " DIFFERS\n", bulk_checksum);
		exit(1);
	}
}

static void bench_ipv4(struct route *routes, size_t n_routes, uint8_t *raw, size_t n, int repeat, int batch)
{
	uint32_t *ips = malloc(n * sizeof *ips), *hops = malloc(batch * sizeof *hops);
	for (size_t i = 0; i < n; i++) ips[i] = host_order(raw + 4 * i);
	/* One tbl8 group per /24 holding a longer route, at most. */
	uint32_t groups = 16;
	for (size_t i = 0; i < n_routes; i++) groups += routes[i].depth > 24;
	struct rte_lpm_config config = { .max_rules = n_routes, .number_tbl8s = groups };
	struct rte_lpm *lpm = rte_lpm_create("bench", 0, &config);
	if (!lpm) { fprintf(stderr, "rte_lpm_create failed\n"); exit(1); }
	double t = now();
	for (size_t i = 0; i < n_routes; i++)
		if (rte_lpm_add(lpm, host_order(routes[i].ip), routes[i].depth, routes[i].next_hop) < 0) {
			fprintf(stderr, "rte_lpm_add failed on route %zu\n", i + 1);
			exit(1);
		}
	double build = now() - t, best_single = 1e9, best_bulk = 1e9;
	uint64_t single_sum = 0, bulk_sum = 0;
#define SINGLE4(i) do { uint32_t hop; if (rte_lpm_lookup(lpm, ips[i], &hop) == 0) sum += hop; } while (0)
#define BULK4(i, m) rte_lpm_lookup_bulk(lpm, ips + (i), hops, (m))
#define HIT4(j) (hops[j] & RTE_LPM_LOOKUP_SUCCESS)
#define HOP4(j) (hops[j] & 0x00FFFFFF)
	TIME_LOOKUPS(SINGLE4, BULK4, HIT4, HOP4)
	/* tbl24 (2^24 four-byte entries) plus the tbl8 groups allocated up front (256 entries each). */
	size_t memory = ((size_t)1 << 24) * 4 + (size_t)groups * 256 * 4;
	report("IPv4", n_routes, n, build, memory, best_single, best_bulk, batch, single_sum, bulk_sum);
	rte_lpm_free(lpm);
}

static void bench_ipv6(struct route *routes, size_t n_routes, uint8_t *raw, size_t n, int repeat, int batch,
		       uint32_t tbl8s)
{
	int32_t *hops = malloc(batch * sizeof *hops);
	struct rte_lpm6_config config = { .max_rules = n_routes, .number_tbl8s = tbl8s };
	struct rte_lpm6 *lpm = rte_lpm6_create("bench6", 0, &config);
	if (!lpm) { fprintf(stderr, "rte_lpm6_create failed (try a smaller --tbl8s)\n"); exit(1); }
	double t = now();
	for (size_t i = 0; i < n_routes; i++)
		if (rte_lpm6_add(lpm, routes[i].ip, routes[i].depth, routes[i].next_hop) < 0) {
			fprintf(stderr, "rte_lpm6_add failed on route %zu (try a larger --tbl8s)\n", i + 1);
			exit(1);
		}
	double build = now() - t, best_single = 1e9, best_bulk = 1e9;
	uint64_t single_sum = 0, bulk_sum = 0;
	uint8_t (*ips)[16] = (uint8_t (*)[16])raw;
#define SINGLE6(i) do { uint32_t hop; if (rte_lpm6_lookup(lpm, ips[i], &hop) == 0) sum += hop; } while (0)
#define BULK6(i, m) rte_lpm6_lookup_bulk_func(lpm, ips + (i), hops, (m))
#define HIT6(j) (hops[j] >= 0)
#define HOP6(j) ((uint64_t)hops[j])
	TIME_LOOKUPS(SINGLE6, BULK6, HIT6, HOP6)
	/* tbl24 (2^24 four-byte entries) plus the tbl8 groups allocated up front; rules not counted. */
	size_t memory = ((size_t)1 << 24) * 4 + (size_t)tbl8s * 256 * 4;
	report("IPv6", n_routes, n, build, memory, best_single, best_bulk, batch, single_sum, bulk_sum);
	rte_lpm6_free(lpm);
}

int main(int argc, char **argv)
{
	int used = rte_eal_init(argc, argv);
	if (used < 0) { fprintf(stderr, "rte_eal_init failed\n"); return 1; }
	argc -= used;
	argv += used;
	const char *routes_path = NULL, *addrs_path = NULL;
	int ipv6 = 0, repeat = 5, batch = 64;
	uint32_t tbl8s = 1 << 16;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ipv6")) ipv6 = 1;
		else if (!strcmp(argv[i], "--routes") && i + 1 < argc) routes_path = argv[++i];
		else if (!strcmp(argv[i], "--addrs") && i + 1 < argc) addrs_path = argv[++i];
		else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) repeat = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--batch") && i + 1 < argc) batch = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--tbl8s") && i + 1 < argc) tbl8s = strtoul(argv[++i], NULL, 10);
		else { fprintf(stderr, "lpm-bench: unknown argument '%s'\n", argv[i]); return 1; }
	}
	if (!routes_path || !addrs_path || repeat < 1 || batch < 1) {
		fprintf(stderr, "usage: lpm-bench EAL-ARGS -- --routes FILE --addrs FILE [--ipv6] [--repeat N] "
				"[--batch N] [--tbl8s N]\n");
		return 1;
	}
	int family = ipv6 ? AF_INET6 : AF_INET;
	size_t n_routes, n_addrs;
	struct route *routes = read_routes(routes_path, family, &n_routes);
	uint8_t *addrs = read_addresses(addrs_path, family, &n_addrs);
	if (ipv6) bench_ipv6(routes, n_routes, addrs, n_addrs, repeat, batch, tbl8s);
	else bench_ipv4(routes, n_routes, addrs, n_addrs, repeat, batch);
	rte_eal_cleanup();
	return 0;
}
