/* bcast.h: the piggyback queue: each signed item rides on a bounded number of packets. */
#ifndef RPN_BCAST_H
#define RPN_BCAST_H

#include <stddef.h>
#include <stdint.h>

struct bcast_item {
	uint64_t	 key;		/* a newer item with the same key replaces it */
	uint8_t		*data;
	uint32_t	 len;
	uint32_t	 transmits;
	uint64_t	 seq;
	int		 moved;		/* out of place since the last sort */
};

struct bcast {
	struct bcast_item *items;
	uint32_t	 n;
	uint32_t	 cap;
	uint32_t	 max_items;
	uint64_t	 seq;
	uint32_t	 fresh;		/* items not sent even once yet */
	struct bcast_item *moved;	/* bcast_sort()'s room */
	uint32_t	 capmoved;
};

void		bcast_init(struct bcast *, uint32_t max_items);
void		bcast_release(struct bcast *);
int		bcast_push(struct bcast *, uint64_t key, const uint8_t *, size_t);
uint32_t	bcast_fill(struct bcast *, size_t budget, uint32_t limit,
		    size_t (*cost)(size_t), const uint8_t **items, size_t *lens,
		    uint32_t max);
uint32_t	bcast_retransmit_limit(uint32_t mult, uint32_t nmembers);
uint32_t	bcast_fresh(const struct bcast *);

#endif
