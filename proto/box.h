/* box.h: boxes between two members (XChaCha20-Poly1305), and replay windows. */
#ifndef RPN_BOX_H
#define RPN_BOX_H

#include <stddef.h>
#include <stdint.h>

#include "proto/buf.h"
#include "proto/wire.h"

#define BOX_MAGIC	0xb2
#define BOX_MAGIC_V1	0xb1	/* protocol version 1: no stamp; refused */
#define PLAIN_MAGIC	0xa1	/* a stream frame that is not boxed (joining) */
#define BOX_STAMP	16	/* epoch (8) || counter (8), big-endian */
#define BOX_AD		(1 + WIRE_KEY + BOX_STAMP)
#define BOX_NONCE	24
#define BOX_HDR		(BOX_AD + BOX_NONCE)
#define BOX_OVERHEAD	(BOX_HDR + 16)

/*
 * A box is BOX_MAGIC || sender || epoch || counter || nonce ||
 * XChaCha20-Poly1305(payload), keyed by the pair key of sender and receiver,
 * with the first BOX_AD bytes as associated data.  (epoch, counter) is the
 * sender's stamp: it only ever grows, so a receiver can refuse a copy.
 */
int	box_pair_key(uint8_t key[32], const uint8_t self_sk[SECRET_KEY],
	    const uint8_t peer[WIRE_KEY]);
int	box_seal(struct buf *, const uint8_t self[WIRE_KEY], const uint8_t key[32],
	    uint64_t epoch, uint64_t ctr, const uint8_t *, size_t);
int	box_peek(const uint8_t *, size_t, const uint8_t **sender,
	    uint64_t *epoch, uint64_t *ctr);
int	box_open(const uint8_t *, size_t, const uint8_t key[32], uint8_t *out,
	    size_t *outlen);

/*
 * The receiver's memory of one sender's stamps: the newest epoch, the
 * highest counter in it, and a bitmap of the BOX_WINDOW counters below
 * (RFC 6479: a ring of words, of which the one holding the top is partly
 * ahead, hence one word less than the ring).
 */
#define BOX_WIN_WORDS	32
#define BOX_WINDOW	((BOX_WIN_WORDS - 1) * 64)

struct box_window {
	uint64_t	 epoch;
	uint64_t	 top;
	uint64_t	 bits[BOX_WIN_WORDS];
	int		 used;
};

enum box_verdict {
	BOXW_NEW,	/* not seen: open it, then mark it */
	BOXW_DUP,	/* seen: a replay */
	BOXW_OLD,	/* too old to tell, or from an older epoch: refused */
};

enum box_verdict box_window_check(const struct box_window *,
	    uint64_t min_epoch, uint64_t epoch, uint64_t ctr);
enum box_verdict box_windows_check(const struct box_window *own,
	    const struct box_window *other, uint64_t min_epoch, uint64_t epoch,
	    uint64_t ctr);
void	box_window_mark(struct box_window *, uint64_t epoch, uint64_t ctr);

#endif
