/* ctl.c: encode and strictly decode control requests; frame helpers. */
#include <string.h>

#include "proto/compat.h"
#include "proto/ctl.h"
#include "proto/mp.h"

static const char *const cmd_names[] = {
	[CTL_STATUS] = "status",
	[CTL_INVITE] = "invite",
	[CTL_INIT] = "init",
	[CTL_JOIN] = "join",
	[CTL_LEAVE] = "leave",
	[CTL_SERVICE_ADD] = "service-add",
	[CTL_SERVICE_DEL] = "service-del",
	[CTL_SERVICE_LIST] = "service-list",
	[CTL_SERVICE_SHOW] = "service-show",
	[CTL_SUBMIT] = "submit",
	[CTL_OPERATORS] = "operators",
	[CTL_AUDIT] = "audit",
	[CTL_ADOPT] = "adopt",
	[CTL_WEB_ENROLL] = "web-enroll",
	[CTL_WEB_WAIT] = "web-wait",
	[CTL_SERVICE_CHECK] = "service-check",
};

/* An add and the question whether it would be taken carry the same fields. */
static int
has_service(enum ctl_cmd c)
{
	return c == CTL_SERVICE_ADD || c == CTL_SERVICE_CHECK;
}

const char *
ctl_cmd_name(enum ctl_cmd c)
{
	if (c < CTL_STATUS || c > CTL_CMD_MAX)
		return NULL;
	return cmd_names[c];
}

const msgpack_object *
ctl_map_get(const msgpack_object *map, const char *key)
{
	size_t	 klen = strlen(key);

	if (map->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (uint32_t i = 0; i < map->via.map.size; i++) {
		const msgpack_object	*k = &map->via.map.ptr[i].key;

		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == klen &&
		    memcmp(k->via.str.ptr, key, klen) == 0)
			return &map->via.map.ptr[i].val;
	}
	return NULL;
}

int
ctl_req_encode(struct buf *b, const struct ctl_req *r)
{
	msgpack_packer	 pk;
	int		 n = 1;

	mp_packer_init(&pk, b);
	n += r->name[0] != '\0';
	n += r->token[0] != '\0';
	n += r->has_peer;
	n += r->ttl_ms != 0;
	n += r->nadvertise != 0;
	n += r->node[0] != '\0';
	if (has_service(r->cmd))
		n += 6;
	n += r->signed_len != 0;
	n += r->has_operator ? 2 : 0;
	msgpack_pack_map(&pk, n);
	if (r->signed_len != 0) {
		mp_pack_str(&pk, "signed");
		msgpack_pack_bin_with_body(&pk, r->signed_rec, r->signed_len);
	}
	if (r->has_operator) {
		mp_pack_str(&pk, "operator_key");
		msgpack_pack_bin_with_body(&pk, r->operator_key, WIRE_KEY);
		mp_pack_str(&pk, "operator_name");
		mp_pack_str(&pk, r->operator_name);
	}
	mp_pack_str(&pk, "cmd");
	mp_pack_str(&pk, ctl_cmd_name(r->cmd));
	if (r->name[0]) {
		mp_pack_str(&pk, "name");
		mp_pack_str(&pk, r->name);
	}
	if (r->token[0]) {
		mp_pack_str(&pk, "token");
		mp_pack_str(&pk, r->token);
	}
	if (r->has_peer) {
		mp_pack_str(&pk, "peer");
		wire_addr_encode(&pk, &r->peer);
	}
	if (r->ttl_ms) {
		mp_pack_str(&pk, "ttl_ms");
		msgpack_pack_uint64(&pk, r->ttl_ms);
	}
	if (r->node[0]) {
		mp_pack_str(&pk, "node");
		mp_pack_str(&pk, r->node);
	}
	if (r->nadvertise) {
		mp_pack_str(&pk, "advertise");
		msgpack_pack_array(&pk, r->nadvertise);
		for (int i = 0; i < r->nadvertise; i++)
			wire_addr_encode(&pk, &r->advertise[i]);
	}
	if (has_service(r->cmd)) {
		mp_pack_str(&pk, "proto");
		msgpack_pack_uint8(&pk, r->proto);
		mp_pack_str(&pk, "port");
		msgpack_pack_uint16(&pk, r->port);
		mp_pack_str(&pk, "target");
		wire_addr_encode(&pk, &r->target);
		mp_pack_str(&pk, "allow");
		msgpack_pack_array(&pk, r->nallow);
		for (int i = 0; i < r->nallow; i++)
			wire_prefix_encode(&pk, &r->allow[i]);
		mp_pack_str(&pk, "public");
		if (r->public)
			msgpack_pack_true(&pk);
		else
			msgpack_pack_false(&pk);
		mp_pack_str(&pk, "force");
		if (r->force)
			msgpack_pack_true(&pk);
		else
			msgpack_pack_false(&pk);
	}
	return b->err ? -1 : 0;
}

static int
decode_service(const msgpack_object *root, struct ctl_req *r, const char **why)
{
	const msgpack_object	*o, *a;
	uint32_t		 v, n;

	*why = "bad service fields";
	if ((o = ctl_map_get(root, "proto")) == NULL ||
	    mp_u32(o, 255, &v) == -1 || (v != 6 && v != 17))
		return -1;
	r->proto = (uint8_t)v;
	if ((o = ctl_map_get(root, "port")) == NULL ||
	    mp_u32(o, 65535, &v) == -1 || v == 0)
		return -1;
	r->port = (uint16_t)v;
	if ((o = ctl_map_get(root, "target")) == NULL ||
	    wire_addr_decode(o, &r->target) == -1)
		return -1;
	if ((o = ctl_map_get(root, "allow")) != NULL) {
		if (mp_array(o, 0, CTL_MAX_ALLOW, &a, &n) == -1)
			return -1;
		for (uint32_t i = 0; i < n; i++)
			if (wire_prefix_decode(&a[i], &r->allow[i]) == -1)
				return -1;
		r->nallow = (uint8_t)n;
	}
	if ((o = ctl_map_get(root, "public")) != NULL &&
	    mp_bool(o, &r->public) == -1)
		return -1;
	if ((o = ctl_map_get(root, "force")) != NULL &&
	    mp_bool(o, &r->force) == -1)
		return -1;
	return 0;
}

/*
 * ctl_req_decode - strict: unknown commands, wrong types and out-of-range
 * values are refused with a reason in *why.
 */
int
ctl_req_decode(const uint8_t *p, size_t len, struct ctl_req *r,
    const char **why)
{
	struct mp_doc		 d;
	const msgpack_object	*o, *a;
	char			 cmd[32];
	uint32_t		 n;
	int			 rc = -1;

	memset(r, 0, sizeof(*r));
	*why = "not a msgpack map";
	if (len > CTL_MAX_REQ || mp_parse(&d, p, len) == -1)
		return -1;
	if (d.root.type != MSGPACK_OBJECT_MAP)
		goto out;
	*why = "missing or unknown command";
	if ((o = ctl_map_get(&d.root, "cmd")) == NULL ||
	    mp_str_copy(o, cmd, sizeof(cmd)) == -1)
		goto out;
	for (int c = CTL_STATUS; c <= CTL_CMD_MAX; c++)
		if (strcmp(cmd, cmd_names[c]) == 0)
			r->cmd = (enum ctl_cmd)c;
	if (r->cmd == 0)
		goto out;
	*why = "bad name";
	if ((o = ctl_map_get(&d.root, "name")) != NULL &&
	    (mp_str_copy(o, r->name, sizeof(r->name)) == -1 ||
	    !wire_name_ok(r->name)))
		goto out;
	*why = "bad node name";
	if ((o = ctl_map_get(&d.root, "node")) != NULL &&
	    (mp_str_copy(o, r->node, sizeof(r->node)) == -1 ||
	    !wire_name_ok(r->node)))
		goto out;
	*why = "bad signed record";
	if ((o = ctl_map_get(&d.root, "signed")) != NULL) {
		const uint8_t	*sp;
		size_t		 sl;

		if (mp_bin(o, 1, CTL_MAX_SIGNED, &sp, &sl) == -1)
			goto out;
		memcpy(r->signed_rec, sp, sl);
		r->signed_len = (uint32_t)sl;
	}
	*why = "bad operator";
	if ((o = ctl_map_get(&d.root, "operator_key")) != NULL) {
		if (mp_bin_exact(o, r->operator_key, WIRE_KEY) == -1 ||
		    (o = ctl_map_get(&d.root, "operator_name")) == NULL ||
		    mp_str_copy(o, r->operator_name,
		    sizeof(r->operator_name)) == -1 ||
		    !wire_name_ok(r->operator_name))
			goto out;
		r->has_operator = 1;
	}
	*why = "bad token";
	if ((o = ctl_map_get(&d.root, "token")) != NULL &&
	    mp_str_copy(o, r->token, sizeof(r->token)) == -1)
		goto out;
	*why = "bad peer address";
	if ((o = ctl_map_get(&d.root, "peer")) != NULL) {
		if (wire_addr_decode(o, &r->peer) == -1)
			goto out;
		r->has_peer = 1;
	}
	*why = "bad ttl";
	if ((o = ctl_map_get(&d.root, "ttl_ms")) != NULL &&
	    (mp_u64(o, 365ULL * 86400 * 1000, &r->ttl_ms) == -1 ||
	    r->ttl_ms == 0))
		goto out;
	*why = "bad advertise list";
	if ((o = ctl_map_get(&d.root, "advertise")) != NULL) {
		if (mp_array(o, 1, WIRE_MAX_ADDRS, &a, &n) == -1)
			goto out;
		for (uint32_t i = 0; i < n; i++)
			if (wire_addr_decode_port0(&a[i], &r->advertise[i]) == -1)
				goto out;
		r->nadvertise = (uint8_t)n;
	}
	if (has_service(r->cmd) && decode_service(&d.root, r, why) == -1)
		goto out;
	rc = 0;
out:
	mp_doc_release(&d);
	return rc;
}

/* ctl_frame - append a 4-byte big-endian length and the payload. */
int
ctl_frame(struct buf *out, const struct buf *payload)
{
	uint8_t	 hdr[4];
	size_t	 n = payload->len;

	hdr[0] = (uint8_t)(n >> 24);
	hdr[1] = (uint8_t)(n >> 16);
	hdr[2] = (uint8_t)(n >> 8);
	hdr[3] = (uint8_t)n;
	buf_put(out, hdr, 4);
	buf_put(out, payload->p, n);
	return out->err ? -1 : 0;
}

/*
 * ctl_frame_len - 1 when a whole frame is buffered (its payload length in
 * *len), 0 when more bytes are needed, -1 when the length is over max.
 */
int
ctl_frame_len(const uint8_t *p, size_t have, uint32_t max, uint32_t *len)
{
	uint32_t	 n;

	if (have < 4)
		return 0;
	n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
	    p[3];
	if (n > max)
		return -1;
	*len = n;
	return have - 4 >= n ? 1 : 0;
}
