// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "dataplane.h"
#include "dataplane_int.h"
#include "log.h"
#include "table_cache.h"
#include "vip_index.h"
#include "xlb_hash.h"
#include "xlb.skel.h"


/*
 * What a start does with a map pinned by an earlier process (or build):
 * its state is the point of a lossless restart, so it is taken, unless
 * the row says otherwise.
 */
enum map_adopt {
	ADOPT,			/* taken as it is (VIPs, backends, tables, settings) */
	ADOPT_OR_NEW,		/* an older build had none: made afresh, empty or rebuilt */
	ADOPT_SAME_SHAPE,	/* another shape (a counter added): made afresh, counts restart */
	ADOPT_COPY_FLOWS,	/* another shape (older flow flags): flows copied into a new one */
};

/* Every map of the data path, one row each: load, adoption, pins and fds follow it. */
static const struct dp_map {
	const char *name;	/* in the object and under the pin directory */
	size_t fd;		/* offsetof its fd in struct xlb_dp */
	enum map_adopt adopt;
} dp_maps[] = {
	{ "vips",		offsetof(struct xlb_dp, vips_fd),		ADOPT },
	{ "backends",		offsetof(struct xlb_dp, backends_fd),		ADOPT },
	{ "conns",		offsetof(struct xlb_dp, conns_fd),		ADOPT_COPY_FLOWS },
	{ "maglev_tables",	offsetof(struct xlb_dp, tables_fd),		ADOPT },
	{ "config",		offsetof(struct xlb_dp, config_fd),		ADOPT },
	{ "reason_stats",	offsetof(struct xlb_dp, reason_stats_fd),	ADOPT_SAME_SHAPE },
	{ "vip_stats",		offsetof(struct xlb_dp, vip_stats_fd),		ADOPT },
	{ "backend_stats",	offsetof(struct xlb_dp, backend_stats_fd),	ADOPT },
	{ "moved",		offsetof(struct xlb_dp, moved_fd),		ADOPT_OR_NEW },
	{ "vip_filter",		offsetof(struct xlb_dp, vip_filter_fd),		ADOPT_OR_NEW },
	{ "vip_index",		offsetof(struct xlb_dp, vip_index_fd),		ADOPT_OR_NEW },
	{ "memo",		offsetof(struct xlb_dp, memo_fd),		ADOPT_OR_NEW },
	{ "memo_epoch",		offsetof(struct xlb_dp, memo_epoch_fd),		ADOPT_OR_NEW },
};

/* Pins of older builds' maps that this build does without: removed at load. */
static const char *const retired_maps[] = { "syn_ring", "syn_ring_head" };

#define XLB_DP_NR_MAPS	(ARRAY_SIZE(dp_maps))

static int *map_fd_slot(struct xlb_dp *dp, size_t i)
{
	return (int *)((char *)dp + dp_maps[i].fd);
}

static struct xlb_dp *dp_alloc(void)
{
	struct xlb_dp *dp = calloc(1, sizeof(*dp));
	size_t i;

	if (!dp)
		return NULL;
	for (i = 0; i < XLB_DP_NR_MAPS; i++)
		*map_fd_slot(dp, i) = -1;
	for (i = 0; i < XLB_MAX_IFACES; i++)
		dp->link_fd[i] = -1;
	dp->nr_cpus = libbpf_num_possible_cpus();
	if (dp->nr_cpus <= 0) {
		free(dp);
		return NULL;
	}
	return dp;
}

static __u32 or_default(__u32 v, __u32 def)
{
	return v ? v : def;
}

static int pin_path(char *buf, size_t len, const char *dir, const char *name);

/*
 * A program with an index trusts it to say a key is absent: a data path
 * whose index this process cannot write must not write VIPs.
 */
static bool index_writable(const struct xlb_dp *dp)
{
	return dp->vip_index_fd < 0 || dp->vip_index;
}

/*
 * The VIP index's seq and the memo's epoch are read by the data path with
 * plain loads in program order (bpf/xlb.h: index_lookup; xlb.bpf.c:
 * memo_get): correct where the CPU keeps loads in order (x86, TSO), not
 * on a weakly ordered one (arm64, where a load of the slot may pass the
 * load of its seq). BPF's load-acquire needs a newer clang than Debian
 * 12's, so on such CPUs both are left out: every VIP lookup takes the VIP
 * map, and no memo is used. Decided here, once, for every program loaded.
 */
#if defined(__x86_64__) || defined(__i386__)
#define XLB_ORDERED_LOADS	1
#else
#define XLB_ORDERED_LOADS	0
#endif

static void fast_paths_for_cpu(struct xlb__rodata *r)
{
	static bool said;

	if (XLB_ORDERED_LOADS)
		return;
	r->vip_index_mask = 0;
	r->memo_on = 0;
	if (!said)
		pr_info("This CPU may reorder loads: the VIP index and the per-CPU memo are left out (every VIP lookup takes the VIP map, no memo); forwarding is correct, a same-flow hit costs more\n");
	said = true;
}

/* The seed, and what the data path derives from it, in one place. */
static void set_hash_seed(struct xlb__rodata *r, __u32 seed)
{
	r->hash_seed = seed;
	r->hash_v4_prefix = xlb_hash_v4_prefix(seed);
}

/* The memo epoch, mapped: moved with one atomic add, whoever else writes. */
static void memo_map(struct xlb_dp *dp)
{
	void *p;

	if (dp->memo_epoch_fd < 0)
		return;
	p = mmap(NULL, sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_SHARED,
		 dp->memo_epoch_fd, 0);
	if (p == MAP_FAILED)
		pr_warn("Couldn't map the memo epoch: %s; it is moved by map updates\n",
			strerror(errno));
	else
		dp->memo_epoch = p;
}

/*
 * After a write to VIPs, backends, tables or held flows: no memo made
 * before it is used after it (xlb_shared.h). Called once the write is in
 * (its syscall returned), so a packet that reads the new epoch sees the
 * write.
 */
void dp_memo_forget(struct xlb_dp *dp)
{
	__u32 zero = 0, e;

	if (dp->memo_epoch) {
		__atomic_fetch_add(dp->memo_epoch, 1, __ATOMIC_SEQ_CST);
		return;
	}
	if (dp->memo_epoch_fd >= 0 && !bpf_map_lookup_elem(dp->memo_epoch_fd, &zero, &e)) {
		e++;
		bpf_map_update_elem(dp->memo_epoch_fd, &zero, &e, BPF_ANY);
	}
}

static int map_info(int fd, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(fd, info, &len);
}

__u32 dp_map_capacity(int fd)
{
	struct bpf_map_info info;

	return map_info(fd, &info) ? 0 : info.max_entries;
}

/* A map's kernel id; 0 (never an id) when it cannot be read. */
__u32 dp_map_id(int fd)
{
	struct bpf_map_info info;

	return map_info(fd, &info) ? 0 : info.id;
}

/* Sizes as the maps have them: adopted or pinned maps keep their own. */
static void read_sizes(struct xlb_dp *dp)
{
	dp->max_vips = dp_map_capacity(dp->tables_fd) ?: dp->max_vips;
	dp->max_backends = dp_map_capacity(dp->backends_fd) ?: dp->max_backends;
	dp->moved_capacity = dp_map_capacity(dp->moved_fd);
	xlb_table_cache_free(dp->tables);
	dp->tables = xlb_table_cache_new(dp->max_vips);
	free(dp->old_since);
	dp->old_since = calloc(dp->max_vips ? dp->max_vips : 1, sizeof(*dp->old_since));
	free(dp->info);
	dp->info = calloc(dp->max_vips ? dp->max_vips : 1, sizeof(*dp->info));
}

/* What a table state written or read says, kept for /metrics and status. */
void dp_info_of(const struct xlb_table_state *ts, struct xlb_dp_table_info *in)
{
	__u32 i;

	in->m = ts->m;
	in->m_o = ts->o ? ts->m_o : 0;
	in->look = 0;
	for (i = 0; i < ts->m && !ts->legacy; i++)
		in->look += !!(ts->t[i] & XLB_SLOT_LOOK);
	in->known = true;
}

void dp_note_info(struct xlb_dp *dp, __u32 vip_id, const struct xlb_table_state *ts)
{
	if (dp->info && vip_id < dp->max_vips)
		dp_info_of(ts, &dp->info[vip_id]);
}

/*
 * ADOPT_SAME_SHAPE (the per-reason counters, whose shape a new build may
 * change: a reason added): such a pinned map is not reused; its counters
 * start again in a fresh map, pinned in its place after load. ADOPT_OR_NEW
 * maps missing from an older build's pins are made afresh: the moved-flow
 * table (empty until the next table change), the VIP filter and index
 * (written from the VIP map at load), the memos (empty).
 */
static bool counters_reshaped(struct bpf_map *map, int fd, const char *path)
{
	struct bpf_map_info info;

	if (map_info(fd, &info))
		return false;
	if (info.max_entries == bpf_map__max_entries(map) &&
	    info.value_size == bpf_map__value_size(map))
		return false;
	pr_warn("The pinned counters map '%s' has another shape in this build: its counters start again\n",
		path);
	return true;
}

/*
 * A flow table pinned by a build whose table has other flags (an older
 * build's per-CPU LRU): its flows are copied into this build's table after
 * load, so an upgrade loses none of them.
 */
static bool flows_reshaped(struct bpf_map *map, int fd)
{
	struct bpf_map_info info;

	if (map_info(fd, &info))
		return false;
	return info.map_flags != bpf_map__map_flags(map) ||
	       info.key_size != bpf_map__key_size(map) ||
	       info.value_size != bpf_map__value_size(map);
}

static int walk_map(int fd, xlb_dp_flow_fn fn, void *arg);

struct flow_copy {
	int to;
	__u32 copied, failed;
};

static int copy_one(const struct xlb_flow *f, const struct xlb_conn *c, void *arg)
{
	struct flow_copy *fc = arg;

	if (bpf_map_update_elem(fc->to, f, c, BPF_ANY))
		fc->failed++;
	else
		fc->copied++;
	return 0;
}

static void copy_flows(int from, int to)
{
	struct flow_copy fc = { .to = to };
	int err = walk_map(from, copy_one, &fc);

	pr_info("Flow table of an earlier build: %u flows copied into this build's table\n",
		fc.copied);
	if (err)
		pr_warn("Couldn't read the earlier flow table to the end: %s; flows not copied are picked again\n",
			strerror(-err));
	if (fc.failed)
		pr_warn("Couldn't copy %u flows into the new flow table: they are picked again\n",
			fc.failed);
}

static int reuse_pinned_maps(struct xlb *skel, const char *dir, bool repin[XLB_DP_NR_MAPS],
			     int *old_flows)
{
	struct bpf_map *map;
	char path[PATH_MAX];
	size_t i;
	int fd, err;

	for (i = 0; i < XLB_DP_NR_MAPS; i++) {
		map = bpf_object__find_map_by_name(skel->obj, dp_maps[i].name);
		err = map ? pin_path(path, sizeof(path), dir, dp_maps[i].name) : -ENOENT;
		fd = err ? err : bpf_obj_get(path);
		if (fd < 0 && !err && errno == ENOENT && dp_maps[i].adopt == ADOPT_OR_NEW) {
			repin[i] = true;
			continue;
		}
		if (fd < 0) {
			err = err ? err : -errno;
			pr_err("Couldn't open pinned map '%s': %s\n", path, strerror(-err));
			return err;
		}
		if (dp_maps[i].adopt == ADOPT_SAME_SHAPE && counters_reshaped(map, fd, path)) {
			close(fd);
			repin[i] = true;
			continue;
		}
		if (dp_maps[i].adopt == ADOPT_COPY_FLOWS && flows_reshaped(map, fd)) {
			*old_flows = fd;
			repin[i] = true;
			continue;
		}
		err = bpf_map__reuse_fd(map, fd);
		close(fd);
		if (err) {
			pr_err("Couldn't reuse pinned map '%s': %s\n", path, strerror(-err));
			return err;
		}
	}
	return 0;
}

int xlb_dp_load(struct xlb_dp **out, const struct xlb_dp_opts *opts)
{
	struct xlb_dp_opts o = opts ? *opts : (struct xlb_dp_opts){};
	struct xlb_dp *dp = dp_alloc();
	struct xlb *skel;
	struct xlb_settings cfg = { .mtu = XLB_DEFAULT_MTU };
	bool repin[XLB_DP_NR_MAPS] = {};
	int old_flows = -1;
	int err;
	size_t i;

	if (!dp)
		return -ENOMEM;
	o.max_vips = or_default(o.max_vips, XLB_DEFAULT_MAX_VIPS);
	o.max_backends = or_default(o.max_backends, XLB_DEFAULT_MAX_BACKENDS);
	o.lru_entries = or_default(o.lru_entries, XLB_DEFAULT_LRU_ENTRIES);
	o.moved_flows = or_default(o.moved_flows, XLB_DEFAULT_MOVED_FLOWS);
	o.udp_idle_ms = or_default(o.udp_idle_ms, XLB_DEFAULT_UDP_IDLE_SEC * 1000);
	o.tcp_idle_ms = or_default(o.tcp_idle_ms, XLB_DEFAULT_TCP_IDLE_SEC * 1000);
	o.hash_seed = or_default(o.hash_seed, XLB_HASH_SEED_DEFAULT);

	skel = xlb__open();
	if (!skel) {
		err = -errno;
		pr_err("Couldn't open BPF object 'xlb': %s\n", strerror(-err));
		free(dp);
		return err;
	}
	skel->rodata->udp_idle_ns = (__u64)o.udp_idle_ms * 1000000ull;
	set_hash_seed(skel->rodata, o.hash_seed);
	bpf_map__set_max_entries(skel->maps.vips, 2 * o.max_vips);
	bpf_map__set_max_entries(skel->maps.maglev_tables, o.max_vips);
	bpf_map__set_max_entries(skel->maps.vip_stats, o.max_vips);
	bpf_map__set_max_entries(skel->maps.backends, o.max_backends);
	bpf_map__set_max_entries(skel->maps.backend_stats, o.max_backends);
	bpf_map__set_max_entries(skel->maps.conns, o.lru_entries);
	bpf_map__set_max_entries(skel->maps.moved, o.moved_flows);
	bpf_map__set_max_entries(skel->maps.vip_index, xlb_vip_index_slots(o.max_vips));
	if (o.reuse_dir) {
		err = reuse_pinned_maps(skel, o.reuse_dir, repin, &old_flows);
		if (err) {
			if (old_flows >= 0)
				close(old_flows);
			xlb__destroy(skel);
			free(dp);
			return err;
		}
	}
	/* A pinned index keeps its size too (reused maps report their own). */
	skel->rodata->vip_index_mask = xlb_vip_index_mask(bpf_map__max_entries(skel->maps.vip_index));
	fast_paths_for_cpu(skel->rodata);

	err = xlb__load(skel);
	if (err) {
		pr_err("Couldn't load BPF program 'xlb_xdp': %s\n", strerror(-err));
		if (o.reuse_dir)
			pr_err("hint: the maps pinned under %s may come from an incompatible build; 'xlbd --reset' starts afresh (flows are lost)\n",
			       o.reuse_dir);
		else
			pr_err("hint: run as root on a kernel with BPF; -v shows the verifier log\n");
		if (old_flows >= 0)
			close(old_flows);
		xlb__destroy(skel);
		free(dp);
		return err;
	}
	dp->skel = skel;
	dp->max_vips = o.max_vips;
	dp->max_backends = o.max_backends;
	dp->hash_seed = o.hash_seed;
	dp->udp_idle_ms = o.udp_idle_ms;
	dp->tcp_idle_ms = o.tcp_idle_ms;
	for (i = 0; i < XLB_DP_NR_MAPS; i++)
		*map_fd_slot(dp, i) = bpf_map__fd(bpf_object__find_map_by_name(skel->obj,
									   dp_maps[i].name));
	if (old_flows >= 0) {
		copy_flows(old_flows, dp->conns_fd);
		close(old_flows);
	}
	/* A map made afresh takes the old one's place (if any) under the pins. */
	for (i = 0; i < XLB_DP_NR_MAPS; i++) {
		char path[PATH_MAX];

		if (!repin[i])
			continue;
		err = pin_path(path, sizeof(path), o.reuse_dir, dp_maps[i].name);
		if (!err && ((unlink(path) && errno != ENOENT) ||
			     bpf_obj_pin(*map_fd_slot(dp, i), path)))
			pr_warn("Couldn't pin the new map '%s': %s\n", path, strerror(errno));
	}
	for (i = 0; o.reuse_dir && i < ARRAY_SIZE(retired_maps); i++) {
		char path[PATH_MAX];

		if (!pin_path(path, sizeof(path), o.reuse_dir, retired_maps[i]))
			unlink(path);
	}
	/* Adopted maps keep the settings they carry. */
	err = o.reuse_dir ? 0 : xlb_dp_set_settings(dp, &cfg);
	/*
	 * Before the program is attached: an adopted filter or index may be
	 * stale (its pins outlived a downgrade that changed VIPs), and a fresh
	 * filter filters nothing, a fresh index holds nothing.
	 */
	dp->vip_index = xlb_vip_index_open(dp->vip_index_fd);
	if (!err && !index_writable(dp)) {
		pr_err("Couldn't map the VIP index 'vip_index': %s\n", strerror(errno ?: ENOMEM));
		pr_err("hint: the data path trusts the index, so xlbd must be able to write it; check the memory limits (ulimit -l, the cgroup's)\n");
		err = -ENOMEM;
	}
	memo_map(dp);
	/* A new program trusts no memo of one before it (another seed, say). */
	dp_memo_forget(dp);
	if (!err)
		err = xlb_dp_vip_sync(dp);
	if (err) {
		xlb_dp_destroy(dp);
		return err;
	}
	read_sizes(dp);
	*out = dp;
	return 0;
}

static int pin_path(char *buf, size_t len, const char *dir, const char *name)
{
	if ((size_t)snprintf(buf, len, "%s/%s", dir, name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int xlb_dp_open_pinned(struct xlb_dp **out, const char *dir)
{
	struct xlb_dp *dp = dp_alloc();
	char path[PATH_MAX];
	size_t i;
	int fd, err;

	if (!dp)
		return -ENOMEM;
	for (i = 0; i < XLB_DP_NR_MAPS; i++) {
		err = pin_path(path, sizeof(path), dir, dp_maps[i].name);
		fd = err ? err : bpf_obj_get(path);
		/* An older build's pins: its program reads no filter, records no SYN. */
		if (fd < 0 && !err && errno == ENOENT && dp_maps[i].adopt == ADOPT_OR_NEW)
			continue;
		if (fd < 0) {
			err = -errno;
			pr_err("Couldn't open pinned map '%s': %s\n", path, strerror(errno));
			pr_err("hint: is xlb loaded with its maps pinned under %s?\n", dir);
			xlb_dp_destroy(dp);
			return err;
		}
		*map_fd_slot(dp, i) = fd;
	}
	dp->hash_seed = XLB_HASH_SEED_DEFAULT;
	dp->tcp_idle_ms = XLB_DEFAULT_TCP_IDLE_SEC * 1000;
	dp->vip_index = xlb_vip_index_open(dp->vip_index_fd);
	memo_map(dp);
	read_sizes(dp);
	*out = dp;
	return 0;
}

void xlb_dp_destroy(struct xlb_dp *dp)
{
	size_t i;

	if (!dp)
		return;
	dp_batch_free(dp);
	for (i = 0; i < XLB_MAX_IFACES; i++)
		if (dp->link_fd[i] >= 0)
			close(dp->link_fd[i]);
	xlb__destroy(dp->trace);
	xlb_vip_index_close(dp->vip_index);
	if (dp->memo_epoch)
		munmap(dp->memo_epoch, sysconf(_SC_PAGESIZE));
	if (dp->skel) {
		xlb__destroy(dp->skel);
	} else {
		for (i = 0; i < XLB_DP_NR_MAPS; i++)
			if (*map_fd_slot(dp, i) >= 0)
				close(*map_fd_slot(dp, i));
	}
	xlb_table_cache_free(dp->tables);
	free(dp->old_since);
	free(dp->info);
	free(dp);
}

static int xdp_mode_flags(const char *mode, __u32 *flags)
{
	if (!mode || !strcmp(mode, "native"))
		*flags = XDP_FLAGS_DRV_MODE;
	else if (!strcmp(mode, "generic"))
		*flags = XDP_FLAGS_SKB_MODE;
	else if (!strcmp(mode, "auto"))
		*flags = 0;
	else
		return -EINVAL;
	return 0;
}

/*
 * Where slot's link is pinned: the first interface's as "link", as before
 * xlbd served several, so that pins of either build are adopted; the
 * others' as "link-IFNAME". bpffs refuses dots in names, and interface
 * names may have them (eth0.100) but never a colon: '.' is kept as ':'.
 */
#define LINK_PREFIX	"link-"

static void pin_name_of(const char *ifname, char *out, size_t len)
{
	size_t i;

	snprintf(out, len, LINK_PREFIX "%s", ifname);
	for (i = strlen(LINK_PREFIX); out[i]; i++)
		if (out[i] == '.')
			out[i] = ':';
}

static int link_path(char *path, size_t len, const char *dir, size_t slot, const char *ifname)
{
	char name[IF_NAMESIZE + 8];

	if (slot)
		pin_name_of(ifname, name, sizeof(name));
	else
		snprintf(name, sizeof(name), "link");
	return pin_path(path, len, dir, name);
}

static void set_link(struct xlb_dp *dp, size_t slot, const char *ifname, int fd)
{
	if (dp->link_fd[slot] >= 0)
		close(dp->link_fd[slot]);
	dp->link_fd[slot] = fd;
	snprintf(dp->link_if[slot], sizeof(dp->link_if[slot]), "%s", ifname);
}

int xlb_dp_attach_at(struct xlb_dp *dp, size_t slot, const char *ifname, const char *mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	unsigned int ifindex = if_nametoindex(ifname);
	int fd, err;

	if (slot >= XLB_MAX_IFACES)
		return -E2BIG;
	if (!ifindex) {
		pr_err("Couldn't find interface '%s': %s\n", ifname, strerror(errno));
		return -ENODEV;
	}
	if (xdp_mode_flags(mode, &opts.flags)) {
		pr_err("Couldn't use XDP mode '%s': expected native, generic or auto\n", mode);
		return -EINVAL;
	}
	fd = bpf_link_create(xlb_dp_prog_fd(dp), ifindex, BPF_XDP, &opts);
	if (fd < 0) {
		err = -errno;
		pr_err("Couldn't attach XDP program to '%s' in %s mode: %s\n", ifname,
		       mode ? mode : "native", strerror(-err));
		if (err == -EBUSY || err == -EEXIST)
			pr_err("hint: another XDP program is attached; 'ip link set dev %s xdp off' removes it\n",
			       ifname);
		return err;
	}
	set_link(dp, slot, ifname, fd);
	pr_info("Attached XDP program to '%s' (%s mode)\n", ifname, mode ? mode : "native");
	return 0;
}

int xlb_dp_attach(struct xlb_dp *dp, const char *ifname, const char *mode)
{
	return xlb_dp_attach_at(dp, 0, ifname, mode);
}

int xlb_dp_repin_link_at(struct xlb_dp *dp, size_t slot, const char *dir)
{
	char path[PATH_MAX];
	int err;

	err = link_path(path, sizeof(path), dir, slot, dp->link_if[slot]);
	if (err)
		return err;
	if (unlink(path) && errno != ENOENT)
		return -errno;
	if (dp->link_fd[slot] >= 0 && bpf_obj_pin(dp->link_fd[slot], path)) {
		err = -errno;
		pr_err("Couldn't pin XDP link '%s': %s\n", path, strerror(-err));
		return err;
	}
	return 0;
}

int xlb_dp_pin(struct xlb_dp *dp, const char *dir)
{
	char path[PATH_MAX];
	size_t slot;
	int err;

	if (mkdir(dir, 0700) && errno != EEXIST) {
		err = -errno;
		pr_err("Couldn't create pin directory '%s': %s\n", dir, strerror(errno));
		pr_err("hint: is bpffs mounted? 'mount -t bpf bpf /sys/fs/bpf'\n");
		return err;
	}
	/* The named maps only: a program's read-only data is its own. */
	for (size_t i = 0; i < XLB_DP_NR_MAPS; i++) {
		err = pin_path(path, sizeof(path), dir, dp_maps[i].name);
		if (!err && bpf_obj_pin(*map_fd_slot(dp, i), path) && errno != EEXIST)
			err = -errno;
		if (err) {
			pr_err("Couldn't pin map '%s': %s\n", path, strerror(-err));
			return err;
		}
	}
	for (slot = 0; slot < XLB_MAX_IFACES; slot++) {
		if (dp->link_fd[slot] < 0)
			continue;
		err = link_path(path, sizeof(path), dir, slot, dp->link_if[slot]);
		if (!err && bpf_obj_pin(dp->link_fd[slot], path))
			err = -errno;
		if (err) {
			pr_err("Couldn't pin XDP link at '%s': %s\n", path, strerror(-err));
			return err;
		}
	}
	return 0;
}

bool xlb_dp_pinned(const char *dir)
{
	char path[PATH_MAX];

	return !pin_path(path, sizeof(path), dir, "link") && !access(path, F_OK) &&
	       !pin_path(path, sizeof(path), dir, "vips") && !access(path, F_OK);
}

/*
 * -ENOLINK: nothing pinned for this slot, or a link that is not on ifname
 * now (severed when its interface went, or the config's order changed):
 * the caller attaches afresh, with the pinned maps.
 */
int xlb_dp_adopt_link_at(struct xlb_dp *dp, size_t slot, const char *ifname, const char *dir)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd, err;

	err = link_path(path, sizeof(path), dir, slot, ifname);
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0) {
		err = -errno;
		if (err == -ENOENT)
			return -ENOLINK;
		pr_err("Couldn't open pinned XDP link '%s': %s\n", path, strerror(-err));
		return err;
	}
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
	    info.xdp.ifindex != if_nametoindex(ifname)) {
		close(fd);
		return -ENOLINK;
	}
	if (bpf_link_update(fd, xlb_dp_prog_fd(dp), NULL)) {
		err = -errno;
		pr_err("Couldn't switch XDP link '%s' to the new program: %s\n", path,
		       strerror(-err));
		close(fd);
		return err;
	}
	set_link(dp, slot, ifname, fd);
	return 0;
}

/*
 * Links pinned for interfaces not in keep (the config dropped them):
 * unpinned, which detaches them once nobody holds them. Returns how many.
 */
int xlb_dp_prune_links(const char *dir, const char *const *keep, size_t nr_keep)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int pruned = 0;
	size_t i;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[PATH_MAX], want[IF_NAMESIZE + 8];

		if (strncmp(e->d_name, LINK_PREFIX, strlen(LINK_PREFIX)))
			continue;
		for (i = 0; i < nr_keep; i++) {
			pin_name_of(keep[i], want, sizeof(want));
			if (!strcmp(e->d_name, want))
				break;
		}
		if (i < nr_keep || pin_path(path, sizeof(path), dir, e->d_name))
			continue;
		if (!unlink(path)) {
			char *c, *ifname = e->d_name + strlen(LINK_PREFIX);

			for (c = ifname; *c; c++)
				*c = *c == ':' ? '.' : *c;
			pr_info("Detached from interface '%s': it is not in the config any more\n",
				ifname);
			pruned++;
		}
	}
	closedir(d);
	return pruned;
}

int xlb_dp_unpin(const char *dir, bool keep_dir)
{
	char path[PATH_MAX];
	size_t i;

	/* Unpinning the links detaches the program once no one holds them. */
	if (!pin_path(path, sizeof(path), dir, "link"))
		unlink(path);
	xlb_dp_prune_links(dir, NULL, 0);
	for (i = 0; i < XLB_DP_NR_MAPS; i++)
		if (!pin_path(path, sizeof(path), dir, dp_maps[i].name))
			unlink(path);
	if (keep_dir)
		return 0;
	return rmdir(dir) && errno != ENOENT ? -errno : 0;
}

int xlb_dp_prog_fd(const struct xlb_dp *dp)
{
	return dp->skel ? bpf_program__fd(dp->skel->progs.xlb_xdp) : -1;
}

__u32 xlb_dp_max_vips(const struct xlb_dp *dp)
{
	return dp->max_vips;
}

__u32 xlb_dp_max_backends(const struct xlb_dp *dp)
{
	return dp->max_backends;
}

__u32 xlb_dp_hash_seed(const struct xlb_dp *dp)
{
	return dp->hash_seed;
}

int dp_map_update(int fd, const char *map, const void *key, const void *val)
{
	if (bpf_map_update_elem(fd, key, val, BPF_ANY)) {
		int err = -errno;

		pr_err("Couldn't update map '%s': %s\n", map, strerror(errno));
		if (err == -E2BIG || err == -ENOSPC)
			pr_err("hint: the map is full; load with larger map sizes\n");
		return err;
	}
	return 0;
}

int dp_state_update(struct xlb_dp *dp, int fd, const char *map, const void *key,
		    const void *val)
{
	int err = dp_map_update(fd, map, key, val);

	dp_memo_forget(dp);
	return err;
}

int dp_state_delete(struct xlb_dp *dp, int fd, const void *key)
{
	int err = bpf_map_delete_elem(fd, key) && errno != ENOENT ? -errno : 0;

	dp_memo_forget(dp);
	return err;
}

int xlb_dp_set_settings(struct xlb_dp *dp, const struct xlb_settings *cfg)
{
	__u32 zero = 0;

	return dp_map_update(dp->config_fd, "config", &zero, cfg);
}

/* The address's bit cleared, before it goes into the VIP map (xlb_shared.h). */
static int vip_filter_admit(struct xlb_dp *dp, const union xlb_addr *addr)
{
	struct xlb_vip_filter f;
	__u32 zero = 0, bit = xlb_vip_filter_bit(addr);
	__u64 mask = 1ull << (bit % 64);

	if (dp->vip_filter_fd < 0)
		return 0;
	if (bpf_map_lookup_elem(dp->vip_filter_fd, &zero, &f))
		return -errno;
	if (!(f.none[bit / 64] & mask))
		return 0;
	f.none[bit / 64] &= ~mask;
	return dp_map_update(dp->vip_filter_fd, "vip_filter", &zero, &f);
}

static int vip_filter_sync(struct xlb_dp *dp)
{
	struct xlb_vip_key key, *prev = NULL;
	struct xlb_vip_filter f;
	__u32 zero = 0, bit;
	int err;

	if (dp->vip_filter_fd < 0)
		return 0;
	memset(&f, 0xff, sizeof(f));
	while (!(err = bpf_map_get_next_key(dp->vips_fd, prev, &key) ? -errno : 0)) {
		bit = xlb_vip_filter_bit(&key.addr);
		f.none[bit / 64] &= ~(1ull << (bit % 64));
		prev = &key;
	}
	if (err != -ENOENT)
		return err;
	return dp_map_update(dp->vip_filter_fd, "vip_filter", &zero, &f);
}

int xlb_dp_vip_sync(struct xlb_dp *dp)
{
	return vip_filter_sync(dp) ?: xlb_vip_index_sync(dp->vip_index, dp->vips_fd);
}

int xlb_dp_set_vip(struct xlb_dp *dp, const struct xlb_vip_key *key,
		   const struct xlb_vip *vip)
{
	int err;

	if (!(vip->flags & XLB_VIP_F_ADDR_ENTRY) && vip->id >= dp->max_vips) {
		pr_err("Couldn't add VIP id %u: only %u VIPs fit\n", vip->id, dp->max_vips);
		return -ENOSPC;
	}
	if (!index_writable(dp)) {
		pr_err("Couldn't write VIP id %u: the VIP index is not mapped\n", vip->id);
		pr_err("hint: change VIPs through xlbd, which maps the index its data path reads\n");
		return -EPERM;
	}
	if (dp->batch)
		return dp_batch_queue_vip(dp, key, vip);
	err = vip_filter_admit(dp, &key->addr);
	if (err) {
		dp_memo_forget(dp);
		return err;
	}
	err = dp_state_update(dp, dp->vips_fd, "vips", key, vip);
	if (!err)
		xlb_vip_index_put(dp->vip_index, key, vip);
	return err;
}

int xlb_dp_get_vip(struct xlb_dp *dp, const struct xlb_vip_key *key, struct xlb_vip *vip)
{
	return bpf_map_lookup_elem(dp->vips_fd, key, vip) ? -errno : 0;
}

int xlb_dp_set_backend(struct xlb_dp *dp, __u32 id, const struct xlb_backend *be)
{
	if (id >= dp->max_backends) {
		pr_err("Couldn't add backend id %u: only %u backends fit\n", id,
		       dp->max_backends);
		return -ENOSPC;
	}
	return dp_state_update(dp, dp->backends_fd, "backends", &id, be);
}

int xlb_dp_delete_vip(struct xlb_dp *dp, const struct xlb_vip_key *key)
{
	if (!index_writable(dp)) {
		pr_err("Couldn't remove a VIP: the VIP index is not mapped\n");
		pr_err("hint: change VIPs through xlbd, which maps the index its data path reads\n");
		return -EPERM;
	}
	xlb_vip_index_del(dp->vip_index, key);
	return dp_state_delete(dp, dp->vips_fd, key);
}

int xlb_dp_next_vip(struct xlb_dp *dp, const struct xlb_vip_key *prev,
		    struct xlb_vip_key *key, struct xlb_vip *vip)
{
	if (bpf_map_get_next_key(dp->vips_fd, prev, key))
		return -errno;
	return bpf_map_lookup_elem(dp->vips_fd, key, vip) ? -errno : 0;
}

int xlb_dp_get_backend(struct xlb_dp *dp, __u32 id, struct xlb_backend *be)
{
	return bpf_map_lookup_elem(dp->backends_fd, &id, be) ? -errno : 0;
}

/* Another instance of the program runs on this data path's maps. */
static int reuse_maps(struct xlb_dp *dp, struct bpf_object *obj, const char *except)
{
	struct bpf_map *map;
	size_t i;
	int err = 0;

	for (i = 0; i < XLB_DP_NR_MAPS && !err; i++) {
		if (except && !strcmp(dp_maps[i].name, except))
			continue;
		map = bpf_object__find_map_by_name(obj, dp_maps[i].name);
		/* An older build (xdp_bench --compare) may not have it. */
		if (!map && (dp_maps[i].adopt == ADOPT_OR_NEW))
			continue;
		err = map ? bpf_map__reuse_fd(map, *map_fd_slot(dp, i)) : -ENOENT;
	}
	return err;
}

/* The data path's VIP index mask for the index this data path has (and can write). */
static __u32 index_mask(struct xlb_dp *dp)
{
	return dp->vip_index && XLB_ORDERED_LOADS ?
	       xlb_vip_index_mask(dp_map_capacity(dp->vip_index_fd)) : 0;
}

/*
 * Sets a __u32 the loader sets in .rodata, by its name in the object's BTF;
 * an object without it (an older build) is left as it is.
 */
static void set_rodata_u32(struct bpf_object *obj, const char *name, __u32 val)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, ".rodata");
	struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	const void *now;
	size_t size;
	__u8 *data;
	int id, i;

	id = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC) : -1;
	now = map ? bpf_map__initial_value(map, &size) : NULL;
	if (id < 0 || !now || !(data = malloc(size)))
		return;
	memcpy(data, now, size);
	sec = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vs++)
		if (!strcmp(btf__name_by_offset(btf, btf__type_by_id(btf, vs->type)->name_off), name) &&
		    vs->size == sizeof(val) && vs->offset + sizeof(val) <= size)
			memcpy(data + vs->offset, &val, sizeof(val));
	bpf_map__set_initial_value(map, data, size);
	free(data);
}

int xlb_dp_load_sibling(struct xlb_dp *dp, const char *path, bool own_flows,
			struct bpf_object **out)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	int err = obj ? 0 : -errno;

	/* It hashes as this data path does (a build without the prefix skips it). */
	if (!err) {
		set_rodata_u32(obj, "hash_seed", dp->hash_seed);
		set_rodata_u32(obj, "hash_v4_prefix", xlb_hash_v4_prefix(dp->hash_seed));
	}
	if (!err)
		set_rodata_u32(obj, "vip_index_mask", index_mask(dp));
	if (!err)
		err = reuse_maps(dp, obj, own_flows ? "conns" : NULL);
	if (!err)
		err = bpf_object__load(obj);
	if (err) {
		pr_err("Couldn't load '%s' on the data path's maps: %s\n", path, strerror(-err));
		bpf_object__close(obj);
		return err;
	}
	*out = obj;
	return 0;
}

static int load_trace_instance(struct xlb_dp *dp)
{
	struct xlb *t = xlb__open();
	int err = t ? 0 : -errno;

	if (err)
		return err;
	t->rodata->trace_mode = 1;
	set_hash_seed(t->rodata, dp->hash_seed);
	t->rodata->vip_index_mask = index_mask(dp);
	fast_paths_for_cpu(t->rodata);
	t->rodata->udp_idle_ns = (__u64)dp->udp_idle_ms * 1000000ull;
	err = reuse_maps(dp, t->obj, NULL);
	if (!err)
		err = xlb__load(t);
	if (err) {
		pr_err("Couldn't load the trace instance of 'xlb_xdp': %s\n", strerror(-err));
		xlb__destroy(t);
		return err;
	}
	dp->trace = t;
	return 0;
}

int xlb_dp_trace(struct xlb_dp *dp, const void *pkt, __u32 len, struct xlb_trace *tr,
		 __u32 *verdict, void *out, __u32 *out_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = pkt,
		.data_size_in = len,
		.data_out = out,
		.data_size_out = *out_len,
		.repeat = 1,
	);
	int err;

	if (!dp->trace && (err = load_trace_instance(dp)))
		return err;
	/* .bss is mapped: this clears the instance's record in the kernel. */
	memset(&dp->trace->bss->trace_out, 0, sizeof(dp->trace->bss->trace_out));
	if (bpf_prog_test_run_opts(bpf_program__fd(dp->trace->progs.xlb_xdp), &opts))
		return -errno;
	*tr = dp->trace->bss->trace_out;
	*verdict = opts.retval;
	*out_len = opts.data_size_out;
	return 0;
}

int xlb_dp_hold_flow(struct xlb_dp *dp, const struct xlb_flow *f, const struct xlb_conn *c)
{
	if (!bpf_map_update_elem(dp->moved_fd, f, c, BPF_NOEXIST)) {
		dp->moved.held++;
		return 0;
	}
	if (errno == E2BIG || errno == ENOSPC) {
		dp->moved.refused++;
		return -E2BIG;
	}
	return -errno;
}

int xlb_dp_refresh_held(struct xlb_dp *dp, const struct xlb_flow *f, const struct xlb_conn *c)
{
	return bpf_map_update_elem(dp->moved_fd, f, c, BPF_EXIST) ? -errno : 0;
}

/*
 * Holding a flow or refreshing its time keeps its backend, the one a memo
 * of it holds: the memos stand. Letting it go may send it elsewhere.
 */
int xlb_dp_release_flow(struct xlb_dp *dp, const struct xlb_flow *f)
{
	int err = dp_state_delete(dp, dp->moved_fd, f);

	if (err)
		return err;
	if (dp->moved.held)
		dp->moved.held--;
	return 0;
}

bool xlb_dp_flow_in_lru(struct xlb_dp *dp, const struct xlb_flow *f)
{
	struct xlb_conn c;

	/* A syscall lookup does not mark the entry used: LRU order is kept. */
	return !bpf_map_lookup_elem(dp->conns_fd, f, &c);
}

void xlb_dp_moved_stats(struct xlb_dp *dp, struct xlb_dp_moved_stats *out)
{
	*out = dp->moved;
	out->capacity = dp->moved_capacity;
}

void xlb_dp_moved_count(struct xlb_dp *dp, __u32 held)
{
	dp->moved.held = held;
}

#define WALK_BATCH	4096

int xlb_dp_walk_flows(struct xlb_dp *dp, bool moved, xlb_dp_flow_fn fn, void *arg)
{
	return walk_map(moved ? dp->moved_fd : dp->conns_fd, fn, arg);
}

__u64 xlb_dp_tcp_idle_ns(const struct xlb_dp *dp)
{
	return (__u64)dp->tcp_idle_ms * 1000000ull;
}

__u32 xlb_dp_flow_capacity(const struct xlb_dp *dp)
{
	return dp_map_capacity(dp->conns_fd);
}

int xlb_dp_held_flow(struct xlb_dp *dp, const struct xlb_flow *f, struct xlb_conn *c)
{
	return bpf_map_lookup_elem(dp->moved_fd, f, c) ? -errno : 0;
}

int xlb_dp_record_flow(struct xlb_dp *dp, const struct xlb_flow *f, const struct xlb_conn *c)
{
	return bpf_map_update_elem(dp->conns_fd, f, c, BPF_ANY) ? -errno : 0;
}

int xlb_dp_forget_flow(struct xlb_dp *dp, const struct xlb_flow *f)
{
	return bpf_map_delete_elem(dp->conns_fd, f) ? -errno : 0;
}

int xlb_dp_learn_flow(struct xlb_dp *dp, const struct xlb_flow *f, const struct xlb_conn *c)
{
	if (bpf_map_update_elem(dp->conns_fd, f, c, BPF_NOEXIST))
		return errno == EEXIST ? 0 : -errno;
	return 0;
}

static int walk_map(int fd, xlb_dp_flow_fn fn, void *arg)
{
	struct xlb_flow *keys;
	struct xlb_conn *vals;
	__u8 token[sizeof(struct xlb_flow)];
	bool first = true, done = false;
	int err = 0;

	keys = calloc(WALK_BATCH, sizeof(*keys));
	vals = calloc(WALK_BATCH, sizeof(*vals));
	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	while (!done && !err) {
		LIBBPF_OPTS(bpf_map_batch_opts, opts);
		__u32 n = WALK_BATCH, i;

		if (bpf_map_lookup_batch(fd, first ? NULL : token, token, keys, vals, &n, &opts)) {
			if (errno != ENOENT) {
				err = -errno;
				break;
			}
			done = true;
		}
		first = false;
		for (i = 0; i < n && !err; i++)
			err = fn(&keys[i], &vals[i], arg);
	}
	free(keys);
	free(vals);
	return err;
}

/*
 * Empties the flow table in batches. Deleting the first key over and over
 * rescans the emptied buckets each time: quadratic, minutes for 500k flows.
 * The batch token is a bucket index, so taking each batch out as it is
 * read leaves the walk intact.
 */
int xlb_dp_flush_flows(struct xlb_dp *dp)
{
	int err = xlb_flush_flow_map(dp->conns_fd);

	dp_memo_forget(dp);
	return err;
}

int xlb_flush_flow_map(int fd)
{
	struct xlb_flow *keys = calloc(WALK_BATCH, sizeof(*keys));
	struct xlb_conn *vals = calloc(WALK_BATCH, sizeof(*vals));
	__u8 token[sizeof(struct xlb_flow)];
	bool first = true;
	int err = 0;

	if (!keys || !vals)
		err = -ENOMEM;
	while (!err) {
		__u32 n = WALK_BATCH;

		if (bpf_map_lookup_and_delete_batch(fd, first ? NULL : token, token,
						    keys, vals, &n, NULL)) {
			/* libbpf returns -1 or -errno by mode; errno is set either way. */
			if (errno != ENOENT)
				err = -errno;
			break;
		}
		first = false;
	}
	free(keys);
	free(vals);
	return err;
}

/* Per-CPU values of u64 fields, summed field by field into out. */
static int sum_percpu(struct xlb_dp *dp, int fd, __u32 key, void *out, size_t size)
{
	size_t nr_fields = size / sizeof(__u64), cpu, f;
	__u64 *vals, *sum = out;

	vals = calloc(dp->nr_cpus, size);
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &key, vals)) {
		int err = -errno;

		free(vals);
		return err;
	}
	memset(out, 0, size);
	for (cpu = 0; cpu < (size_t)dp->nr_cpus; cpu++)
		for (f = 0; f < nr_fields; f++)
			sum[f] += vals[cpu * nr_fields + f];
	free(vals);
	return 0;
}

int xlb_dp_reason_stats(struct xlb_dp *dp, __u32 reason, struct xlb_counter *out)
{
	return sum_percpu(dp, dp->reason_stats_fd, reason, out, sizeof(*out));
}

int xlb_dp_vip_stats(struct xlb_dp *dp, __u32 vip_id, struct xlb_vip_stats *out)
{
	return sum_percpu(dp, dp->vip_stats_fd, vip_id, out, sizeof(*out));
}

int xlb_dp_backend_stats(struct xlb_dp *dp, __u32 id, struct xlb_backend_stats *out)
{
	return sum_percpu(dp, dp->backend_stats_fd, id, out, sizeof(*out));
}

int xlb_dp_backend_stats_range(struct xlb_dp *dp, __u32 from, __u32 to,
			       struct xlb_backend_stats *by_id)
{
	enum { CHUNK = 1024 };
	size_t per = sizeof(struct xlb_backend_stats) / sizeof(__u64), cpus = dp->nr_cpus;
	__u32 keys[CHUNK], in, next, count, i;
	__u64 *vals;
	int err = 0;

	if (to >= dp->max_backends)
		to = dp->max_backends - 1;
	vals = malloc(CHUNK * cpus * sizeof(struct xlb_backend_stats));
	if (!vals)
		return -ENOMEM;
	while (from <= to && dp->max_backends) {
		count = to - from + 1 < CHUNK ? to - from + 1 : CHUNK;
		in = from - 1;
		/* The batch starts after key in: at 0 without one. */
		if (bpf_map_lookup_batch(dp->backend_stats_fd, from ? &in : NULL, &next, keys, vals,
					 &count, NULL) && errno != ENOENT) {
			err = -errno;
			break;
		}
		if (!count) {
			err = -EIO;	/* short of the map's size: never loop on it */
			break;
		}
		for (i = 0; i < count && keys[i] <= to; i++) {
			__u64 *sum = (__u64 *)&by_id[keys[i]];
			size_t cpu, f;

			memset(sum, 0, sizeof(struct xlb_backend_stats));
			for (cpu = 0; cpu < cpus; cpu++)
				for (f = 0; f < per; f++)
					sum[f] += vals[(i * cpus + cpu) * per + f];
		}
		if (keys[count - 1] >= to)
			break;
		from = keys[count - 1] + 1;
	}
	free(vals);
	return err;
}

int xlb_dp_backend_stats_all(struct xlb_dp *dp, struct xlb_backend_stats **out, __u32 *n)
{
	int err;

	*n = dp->max_backends;
	*out = calloc(*n ? *n : 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	err = *n ? xlb_dp_backend_stats_range(dp, 0, *n - 1, *out) : 0;
	if (err) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return err;
}

const char *xlb_reason_name(__u32 reason)
{
	static const char *const names[XLB_R_MAX] = {
		[XLB_R_PASS_NOT_IP] = "pass_not_ip",
		[XLB_R_PASS_NOT_VIP] = "pass_not_vip",
		[XLB_R_DROP_MALFORMED] = "drop_malformed",
		[XLB_R_DROP_FRAGMENT] = "drop_fragment",
		[XLB_R_DROP_TOO_BIG] = "drop_too_big",
		[XLB_R_TX_TOO_BIG] = "tx_too_big",
		[XLB_R_DROP_NO_BACKEND] = "drop_no_backend",
		[XLB_R_DROP_ENCAP] = "drop_encap_failed",
		[XLB_R_DROP_TTL] = "drop_ttl",
		[XLB_R_TX_FORWARD] = "tx_forward",
		[XLB_R_TX_ICMP_ERROR] = "tx_icmp_error",
		[XLB_R_TX_ECHO_REPLY] = "tx_echo_reply",
		[XLB_R_PASS_ICMP] = "pass_icmp",
		[XLB_R_DROP_EXT_HEADERS] = "drop_ext_headers",
		[XLB_R_LRU_HIT] = "lru_hit",
		[XLB_R_LRU_MISS] = "lru_miss",
		[XLB_R_LRU_STALE] = "lru_stale",
		[XLB_R_LRU_UPDATE_FAIL] = "lru_update_failed",
		[XLB_R_MOVED_HIT] = "moved_hit",
		[XLB_R_TABLE_HIT] = "table_hit",
		[XLB_R_SYN_REPEAT] = "syn_repeat",
	};

	return reason < XLB_R_MAX && names[reason] ? names[reason] : "unknown";
}
