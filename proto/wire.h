/* wire.h: rpn's wire format: record bodies, gossip and stream messages, limits. */
#ifndef RPN_WIRE_H
#define RPN_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "proto/buf.h"

/* 2: boxes carry the sender's stamp (box.h).  A joiner sends its version. */
#define WIRE_VERSION		2
#define RPN_PORT_DEFAULT	7480

#define WIRE_KEY		32	/* Ed25519 public key = node id */
#define WIRE_SIG		64
#define SECRET_KEY		64	/* Ed25519 seed || pk (libsodium) */
#define WIRE_MESH_ID		16	/* BLAKE2b-128 of the mesh root key */
#define WIRE_NAME_MAX		63
#define WIRE_MAX_ADDRS		8
#define WIRE_MAX_CHAIN		8
#define WIRE_MAX_RECKEY		64	/* bytes of a record's key */
#define WIRE_MAX_RECORD		16384	/* a whole signed record */
#define WIRE_MAX_DATAGRAM	1200	/* IPv6 minimum MTU minus headers */
#define WIRE_MAX_FRAME		(4u << 20)
#define WIRE_MAX_ITEMS		65536	/* records in one stream frame */
#define WIRE_MAX_DIGEST		65536	/* authors in one digest */
#define WIRE_MAX_ERRMSG		200
#define WIRE_MAX_LANS		1024	/* LAN prefixes a node advertises */
#define WIRE_MAX_ALLOW		16	/* extra source prefixes of a service */
#define WIRE_MAX_ORDER		2048	/* an operator's signed order */

/* Record kinds; every record body starts [kind, version, flags, key, fields]. */
enum rec_kind {
	REC_NODE	= 1,
	REC_INVITE	= 2,
	REC_SERVICE	= 3,
	REC_HEALTH	= 4,	/* an owner's check of its backend */
	/* Operator statements (proto/oprec.h), authored by operators. */
	REC_OPERATOR	= 5,	/* an operator enrolled or removed */
	REC_GRANT	= 6,	/* a service's owners and access */
	REC_REVOKE	= 7,	/* a node revoked */
	REC_APPROVE	= 8,	/* a node's LAN prefixes approved */
	REC_NOTICE	= 9,	/* a signed suspect/dead claim; not stored */
	REC_ORDER	= 10,	/* an operator's order to one node; not stored */
	REC_PROGRAMMED	= 11,	/* what the author's kernel holds: a digest */
};

enum rec_flags {
	REC_F_DELETED	= 1u << 0,	/* tombstone: fields are empty */
	NODE_F_LEFT	= 1u << 1,	/* the node left the mesh */
};

enum notice_state {
	NOTICE_SUSPECT	= 1,
	NOTICE_DEAD	= 2,
};

struct wire_addr {
	uint8_t		family;		/* 4 or 6 */
	uint8_t		ip[16];
	uint16_t	port;
};

/* One admission link: issuer (the previous subject, or the root) vouches for subject. */
struct wire_cert {
	uint8_t		subject[WIRE_KEY];
	uint64_t	issued;		/* unix seconds */
	uint8_t		sig[WIRE_SIG];
};

struct rec_head {
	uint8_t		kind;
	uint64_t	version;
	uint32_t	flags;
	uint8_t		key[WIRE_MAX_RECKEY];
	uint8_t		keylen;
};

/* An address prefix: family 4 or 6 and a length up to 32 or 128. */
struct wire_prefix {
	uint8_t		family;
	uint8_t		ip[16];
	uint8_t		len;
};

struct rec_node {
	char		name[WIRE_NAME_MAX + 1];
	uint8_t		naddrs;
	struct wire_addr addrs[WIRE_MAX_ADDRS];
	uint8_t		nchain;
	struct wire_cert chain[WIRE_MAX_CHAIN];
	int		has_token;
	uint8_t		via_token[WIRE_KEY];
	uint16_t	nlans;
	struct wire_prefix lans[WIRE_MAX_LANS];	/* the site's own networks */
	uint64_t	floor;		/* this author's other records below it are void */
};

enum svc_proto {
	SVC_TCP = 6,
	SVC_UDP = 17,
};

/*
 * A service backend, authored by the node that owns it (key: the service
 * name).  Connections to port on any member are forwarded to an owner,
 * which forwards them to target.
 */
struct rec_service {
	char		name[WIRE_NAME_MAX + 1];
	uint8_t		proto;		/* enum svc_proto */
	uint16_t	port;		/* the mesh port */
	struct wire_addr target;	/* reachable from the owner */
	uint8_t		nallow;
	struct wire_prefix allow[WIRE_MAX_ALLOW];
	int		public;
};

/* A backend's health, checked by its owner and published in a health record. */
enum svc_health {
	SVC_H_UNKNOWN	= 0,	/* not checked yet (or an older owner) */
	SVC_H_UP	= 1,	/* answers */
	SVC_H_DOWN	= 2,	/* does not answer: gets no new connections */
	SVC_H_CONFLICT	= 3,	/* the owner listens on the port itself */
	SVC_H_MAX	= 3,
};

/* The owner's health record for its backend of a service (key: the name). */
struct rec_health {
	char		name[WIRE_NAME_MAX + 1];
	uint8_t		health;		/* enum svc_health */
	uint64_t	since;		/* unix ms of the last change */
};

/*
 * The author's word on its kernel (docs/protocol.md §2.7): a digest of the
 * service table its last committed transaction left there, and how many
 * services that is; 0 and 0 while the table is being repaired.
 */
struct rec_programmed {
	uint64_t	digest;
	uint32_t	services;
};

struct rec_invite {
	uint64_t	expires;	/* unix seconds */
};

struct rec_notice {
	uint64_t	incarnation;
	uint8_t		state;		/* enum notice_state */
};

/* Service records are defined with the data plane; the store treats them as opaque. */

int	rec_head_decode(const uint8_t *, size_t, struct rec_head *);
int	rec_node_decode(const uint8_t *, size_t, struct rec_head *,
	    struct rec_node *);
int	rec_invite_decode(const uint8_t *, size_t, struct rec_head *,
	    struct rec_invite *);
int	rec_notice_decode(const uint8_t *, size_t, struct rec_head *,
	    uint8_t subject[WIRE_KEY], struct rec_notice *);
int	rec_service_decode(const uint8_t *, size_t, struct rec_head *,
	    struct rec_service *);
int	rec_service_encode(struct buf *, uint64_t version,
	    const struct rec_service *);
int	rec_health_decode(const uint8_t *, size_t, struct rec_head *,
	    struct rec_health *);
int	rec_health_encode(struct buf *, uint64_t version,
	    const struct rec_health *);
int	rec_programmed_decode(const uint8_t *, size_t, struct rec_head *,
	    struct rec_programmed *);
int	rec_programmed_encode(struct buf *, uint64_t version,
	    const struct rec_programmed *);
int	wire_prefix_decode(const msgpack_object *, struct wire_prefix *);
int	wire_prefixes_decode(const msgpack_object *, uint32_t max,
	    struct wire_prefix *, uint32_t *n);

/* The record frame [kind, version, flags, key, fields], for every record file. */
struct mp_doc;
int	rec_parse(struct mp_doc *, const uint8_t *, size_t, struct rec_head *,
	    const msgpack_object **fields, uint32_t *nfields);
void	rec_head_encode(msgpack_packer *, uint8_t kind, uint64_t version,
	    uint32_t flags, const uint8_t *key, size_t keylen, size_t nfields);
/* A service's five fields: [proto, port, target, allow, public]. */
int	svc_fields_decode(const msgpack_object *, uint32_t n,
	    struct rec_service *);
void	svc_fields_encode(msgpack_packer *, const struct rec_service *);
void	wire_prefix_encode(msgpack_packer *, const struct wire_prefix *);

int	rec_node_encode(struct buf *, uint64_t version, uint32_t flags,
	    const struct rec_node *);
int	rec_invite_encode(struct buf *, uint64_t version, uint32_t flags,
	    const uint8_t token_pub[WIRE_KEY], const struct rec_invite *);
int	rec_tombstone_encode(struct buf *, uint8_t kind, uint64_t version,
	    const uint8_t *key, size_t keylen);
int	rec_reversion(struct buf *, const uint8_t *body, size_t len,
	    uint64_t version);
int	rec_notice_encode(struct buf *, uint64_t time,
	    const uint8_t subject[WIRE_KEY], const struct rec_notice *);

int	wire_name_ok(const char *);

/* Messages: datagrams (1-5) and stream frames (10-30). */
enum msg_type {
	MSG_PING	= 1,
	MSG_ACK		= 2,
	MSG_PINGREQ	= 3,
	MSG_NACK	= 4,
	MSG_GOSSIP	= 5,
	MSG_SYNC_REQ	= 10,
	MSG_RECORDS	= 11,
	MSG_SYNC_DIGEST	= 12,
	MSG_SYNC_DONE	= 13,
	MSG_TCP_PING	= 14,
	MSG_TCP_ACK	= 15,
	MSG_JOIN_HELLO	= 20,
	MSG_JOIN_OFFER	= 21,
	MSG_JOIN_RECORD	= 22,
	MSG_JOIN_RESERVE = 23,	/* ask a token's inviter to reserve it */
	MSG_JOIN_RESERVED = 24,	/* its answer: 0 or a WERR_* code */
	MSG_ERROR	= 30,
	MSG_SVC_REQ	= 40,	/* a member asks us to add or remove our backend */
	MSG_SVC_RESP	= 41,
};

/* One author in an anti-entropy digest: newest version held, and a hash of
 * the (kind, key, version) set held, which catches out-of-order gaps. */
struct wire_digest_ent {
	uint8_t		author[WIRE_KEY];
	uint64_t	version;
	uint64_t	sethash;
};

/* Signed records copied out of a message, frame or state file. */
struct wire_items {
	uint32_t	 n;
	uint8_t		*buf;
	uint32_t	*off;
	uint32_t	*len;
};

int	wire_items_decode(const msgpack_object *, uint32_t max, struct wire_items *);
int	wire_items_decode_in(const msgpack_object *, uint32_t max, uint8_t *base,
	    size_t size, struct wire_items *);
const uint8_t *wire_items_get(const struct wire_items *, uint32_t i, size_t *len);
void	wire_items_release(struct wire_items *);
/*
 * Envelopes, each lens[i] bytes.  Where authors is set and authors[i] is
 * not NULL, items[i] is the envelope after its magic byte and author (as
 * the store keeps it), put back together as it is written.
 */
void	wire_items_encode(msgpack_packer *, const uint8_t *const *authors,
	    const uint8_t *const *items, const size_t *lens, uint32_t n);
void	wire_cert_encode(msgpack_packer *, const struct wire_cert *);
int	wire_chain_decode(const msgpack_object *, struct wire_cert *, uint8_t *n);
void	wire_addr_encode(msgpack_packer *, const struct wire_addr *);
int	wire_addr_decode(const msgpack_object *, struct wire_addr *);
int	wire_addr_decode_port0(const msgpack_object *, struct wire_addr *);

/*
 * A decoded message.  Decoders copy out: items, digest and the error text are
 * owned by the struct and freed by wire_msg_release(), never pointers into
 * the input.
 */
struct wire_msg {
	uint8_t		type;
	uint32_t	seq;
	uint64_t	hash;		/* ping/ack: summary of held records */
	uint64_t	sum;
	uint8_t		target[WIRE_KEY];	/* pingreq */

	struct wire_items items;	/* signed records riding along */

	uint32_t	ndigest;
	struct wire_digest_ent *digest;

	/* join */
	uint8_t		version;	/* the joiner's protocol version */
	uint8_t		mesh_id[WIRE_MESH_ID];
	uint8_t		joiner[WIRE_KEY];
	char		name[WIRE_NAME_MAX + 1];
	uint8_t		token_pub[WIRE_KEY];
	uint8_t		token_sig[WIRE_SIG];
	uint8_t		root[WIRE_KEY];
	uint8_t		nchain;
	struct wire_cert chain[WIRE_MAX_CHAIN];

	/* error, service response, reservation answer */
	uint32_t	code;
	char		errmsg[WIRE_MAX_ERRMSG + 1];

	/* service request: op 1 add, 2 delete; force: as rpnctl --force */
	uint8_t		op;
	uint8_t		force;
	struct rec_service svc;
	uint8_t		order[WIRE_MAX_ORDER];	/* an operator's signed order */
	uint32_t	orderlen;
	uint8_t		grant[WIRE_MAX_ORDER];	/* the grant it relies on */
	uint32_t	grantlen;
};

int	wire_msg_decode(const uint8_t *, size_t, int stream, struct wire_msg *);
void	wire_msg_release(struct wire_msg *);

/* Encoders append one message to b; they return 0 or -1 (did not fit). */
int	wire_probe_encode(struct buf *, uint8_t type, uint32_t seq,
	    uint64_t hash, uint64_t sum, const uint8_t *const *items,
	    const size_t *lens, uint32_t n);
int	wire_pingreq_encode(struct buf *, uint32_t seq,
	    const uint8_t target[WIRE_KEY]);
int	wire_seq_encode(struct buf *, uint8_t type, uint32_t seq);
int	wire_items_msg_encode(struct buf *, uint8_t type,
	    const uint8_t *const *authors, const uint8_t *const *items,
	    const size_t *lens, uint32_t n);
int	wire_digest_encode(struct buf *, uint8_t type,
	    const struct wire_digest_ent *, uint32_t n);
int	wire_done_encode(struct buf *);
int	wire_hello_encode(struct buf *, const uint8_t mesh_id[WIRE_MESH_ID],
	    const uint8_t joiner[WIRE_KEY], const char *name,
	    const uint8_t token_pub[WIRE_KEY], const uint8_t token_sig[WIRE_SIG]);
int	wire_offer_encode(struct buf *, const uint8_t root[WIRE_KEY],
	    const uint8_t *record, size_t reclen,
	    const struct wire_cert *chain, uint8_t nchain);
int	wire_record_encode(struct buf *, uint8_t type, const uint8_t *, size_t);
int	wire_svc_req_encode(struct buf *, uint8_t op,
	    const struct rec_service *, int force, const uint8_t *order,
	    size_t orderlen, const uint8_t *grant, size_t grantlen);
int	wire_svc_resp_encode(struct buf *, uint32_t code, const char *msg);
int	wire_reserve_encode(struct buf *, const uint8_t token_pub[WIRE_KEY],
	    const uint8_t joiner[WIRE_KEY], const uint8_t token_sig[WIRE_SIG]);
int	wire_reserved_encode(struct buf *, uint32_t code, const char *msg);
int	wire_error_encode(struct buf *, uint32_t code, const char *msg);

/* Bytes one item of len bytes adds to a message (bin header + body). */
size_t	wire_item_cost(size_t len);

/* Error codes carried by MSG_ERROR. */
enum wire_err {
	WERR_INTERNAL		= 1,
	WERR_BAD_REQUEST	= 2,
	WERR_WRONG_MESH		= 3,
	WERR_TOKEN_UNKNOWN	= 4,
	WERR_TOKEN_EXPIRED	= 5,
	WERR_TOKEN_USED		= 6,
	WERR_BAD_PROOF		= 7,
	WERR_NAME_TAKEN		= 8,
	WERR_CHAIN_TOO_DEEP	= 9,
	WERR_NOT_MEMBER		= 10,
	WERR_REVOKED		= 11,
	WERR_SERVICE		= 12,	/* a service request was refused */
	WERR_REFUSED		= 13,	/* the node does not take requests from others */
	WERR_INVITER_UNREACHABLE = 14,	/* a token's inviter did not answer */
};

#endif
