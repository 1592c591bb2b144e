/* bcast.c: memberlist's TransmitLimitedQueue idea: fewest transmissions first. */
#include <stdlib.h>
#include <string.h>

#include "node/core/array.h"
#include "node/core/bcast.h"

void
bcast_init(struct bcast *b, uint32_t max_items)
{
	memset(b, 0, sizeof(*b));
	b->max_items = max_items;
}

void
bcast_release(struct bcast *b)
{
	for (uint32_t i = 0; i < b->n; i++)
		free(b->items[i].data);
	free(b->items);
	memset(b, 0, sizeof(*b));
}

static void
bcast_remove(struct bcast *b, uint32_t i)
{
	free(b->items[i].data);
	b->items[i] = b->items[--b->n];
	/* A slot past the end owns nothing (if i was last, it was freed). */
	b->items[b->n].data = NULL;
}

/*
 * bcast_push - queue a copy of an item.  When the queue is full, the item
 * that has already been sent most often makes room.
 */
int
bcast_push(struct bcast *b, uint64_t key, const uint8_t *data, size_t len)
{
	struct bcast_item	*it;
	uint8_t			*copy;

	if ((copy = malloc(len)) == NULL)
		return -1;
	memcpy(copy, data, len);
	for (uint32_t i = 0; i < b->n; i++)
		if (b->items[i].key == key) {
			bcast_remove(b, i);
			break;
		}
	if (b->n == b->max_items) {
		uint32_t	 worst = 0;

		for (uint32_t i = 1; i < b->n; i++)
			if (b->items[i].transmits > b->items[worst].transmits)
				worst = i;
		bcast_remove(b, worst);
	}
	if (array_reserve(&b->items, &b->cap, b->n + 1,
	    sizeof(*b->items)) == -1) {
		free(copy);
		return -1;
	}
	it = &b->items[b->n++];
	it->key = key;
	it->data = copy;
	it->len = (uint32_t)len;
	it->transmits = 0;
	it->seq = ++b->seq;
	return 0;
}

static int
item_cmp(const void *x, const void *y)
{
	const struct bcast_item	*a = x, *b = y;

	if (a->transmits != b->transmits)
		return a->transmits < b->transmits ? -1 : 1;
	return a->seq > b->seq ? -1 : a->seq < b->seq;
}

/*
 * bcast_fill - choose items for one packet with budget bytes to spare, the
 * least sent and newest first.  Items that reached limit transmissions are
 * dropped at the next call, so the returned pointers stay valid until then.
 */
uint32_t
bcast_fill(struct bcast *b, size_t budget, uint32_t limit,
    size_t (*cost)(size_t), const uint8_t **items, size_t *lens, uint32_t max)
{
	uint32_t	 n = 0;

	for (uint32_t i = 0; i < b->n;) {
		if (b->items[i].transmits >= limit)
			bcast_remove(b, i);
		else
			i++;
	}
	if (b->n == 0 || max == 0)
		return 0;
	qsort(b->items, b->n, sizeof(*b->items), item_cmp);
	for (uint32_t i = 0; i < b->n && n < max; i++) {
		size_t	 c = cost(b->items[i].len);

		if (c > budget)
			continue;
		budget -= c;
		items[n] = b->items[i].data;
		lens[n] = b->items[i].len;
		b->items[i].transmits++;
		n++;
	}
	return n;
}

/* RetransmitMult * ceil(log10(N + 1)), as memberlist's retransmitLimit(). */
uint32_t
bcast_retransmit_limit(uint32_t mult, uint32_t nmembers)
{
	uint32_t	 l = 0;

	for (uint64_t p = 1; p < (uint64_t)nmembers + 1; p *= 10)
		l++;
	if (l == 0)
		l = 1;
	return mult * l;
}

/* bcast_fresh - items not sent even once yet. */
uint32_t
bcast_fresh(const struct bcast *b)
{
	uint32_t	 n = 0;

	for (uint32_t i = 0; i < b->n; i++)
		n += b->items[i].transmits == 0;
	return n;
}
