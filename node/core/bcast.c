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
	free(b->moved);
	memset(b, 0, sizeof(*b));
}

static void
bcast_remove(struct bcast *b, uint32_t i)
{
	b->fresh -= b->items[i].transmits == 0;
	free(b->items[i].data);
	b->items[i] = b->items[--b->n];
	if (i < b->n)
		b->items[i].moved = 1;
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
	it->moved = 1;
	b->fresh++;
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
 * bcast_sort - put the queue in item_cmp() order, as one qsort() of it
 * would: the order is total (seq is unique), so it is the same order.
 * Since the last sort, only the items marked moved (new, sent, or moved
 * into a removed item's place) can be out of place; the others are still
 * in order.  So the moved ones are taken out, sorted and merged back: a
 * queue of a thousand records, filled for every packet, is not sorted
 * whole each time.
 */
static void
bcast_sort(struct bcast *b)
{
	uint32_t	 nmoved = 0, nkept = 0, i, j, k;

	for (i = 0; i < b->n; i++)
		nmoved += b->items[i].moved != 0;
	if (nmoved == 0)
		return;
	if (array_reserve(&b->moved, &b->capmoved, nmoved,
	    sizeof(*b->moved)) == -1) {
		qsort(b->items, b->n, sizeof(*b->items), item_cmp);
		for (i = 0; i < b->n; i++)
			b->items[i].moved = 0;
		return;
	}
	for (i = 0, j = 0; i < b->n; i++) {
		if (b->items[i].moved) {
			b->moved[j] = b->items[i];
			b->moved[j++].moved = 0;
		} else
			b->items[nkept++] = b->items[i];
	}
	qsort(b->moved, nmoved, sizeof(*b->moved), item_cmp);
	/* Merge from the end: the kept items are at the front, in order. */
	for (i = nkept, j = nmoved, k = b->n; j > 0;) {
		if (i > 0 && item_cmp(&b->items[i - 1], &b->moved[j - 1]) > 0)
			b->items[--k] = b->items[--i];
		else
			b->items[--k] = b->moved[--j];
	}
}

/*
 * bcast_fill - choose items for one packet with budget bytes to spare, the
 * least sent and newest first.  Items that reached limit transmissions are
 * dropped at the next call, so the returned pointers stay valid until then.
 * cost() must not fall as the length grows (wire_item_cost() does not):
 * once the budget is below cost(0), no other item fits.
 */
uint32_t
bcast_fill(struct bcast *b, size_t budget, uint32_t limit,
    size_t (*cost)(size_t), const uint8_t **items, size_t *lens, uint32_t max)
{
	uint32_t	 n = 0;
	size_t		 least;

	bcast_sort(b);
	/* Sorted, the items sent limit times or more are the last ones. */
	while (b->n > 0 && b->items[b->n - 1].transmits >= limit)
		bcast_remove(b, b->n - 1);
	if (b->n == 0 || max == 0)
		return 0;
	least = cost(0);
	for (uint32_t i = 0; i < b->n && n < max && budget >= least; i++) {
		size_t	 c = cost(b->items[i].len);

		if (c > budget)
			continue;
		budget -= c;
		items[n] = b->items[i].data;
		lens[n] = b->items[i].len;
		b->fresh -= b->items[i].transmits == 0;
		b->items[i].transmits++;
		b->items[i].moved = 1;
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
	return b->fresh;
}
