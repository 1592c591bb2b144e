#!/usr/bin/env python3
"""serf-model.py: Serf's convergence, as a model (not a measurement).

memberlist's DefaultLANConfig, which Serf uses: GossipNodes 3,
GossipInterval 200 ms, RetransmitMult 4 (an item is sent 4 * ceil(log10(N+1))
times), ProbeInterval 1 s, ProbeTimeout 500 ms, SuspicionMult 4 (suspicion
timeout 4 * max(1, log10 N) * ProbeInterval, down from 6 times that with
SuspicionMult - 2 = 2 independent confirmations), PushPullInterval 30 s
scaled by ceil(log2 N - log2 32) + 1 above 32 nodes, UDPBufferSize 1400.

Dissemination is a Monte-Carlo run of that push gossip on the simulator's
network (one-way latency 5-45 ms per link plus 10 % exponential jitter, the
same loss): every node holding the item gossips every 200 ms (its own phase)
to 3 random members until it has sent the item the retransmit limit times.
Failure detection is the formula: first probe of the dead node (~ ProbeInterval
/ 2 on average by someone, at large N almost at once) + ProbeTimeout + the
suspicion timeout at its minimum (confirmations arrive within a few probe
intervals at these sizes) + dissemination of the dead message.
Traffic: gossip at most 3 * 5 packets/s of up to 1400 bytes while a node has
something to send; idle = probes (measured for Serf in tests/bench/gossip.sh:
298 B/s at N = 100) + push/pull of the member list (N entries of ~80 bytes,
both ways, every PushPullInterval * scale).

usage: serf-model.py [--loss P] [--seed S] N...
"""
import heapq
import math
import random
import sys


def retransmit_limit(n):
    return 4 * max(1, math.ceil(math.log10(n + 1)))


def pushpull_interval(n):
    scale = 1.0
    if n > 32:
        scale = math.ceil(math.log2(n) - math.log2(32)) + 1
    return 30.0 * scale


def disseminate(n, loss, rng):
    """Seconds until 50/99/99.9/100 % hold an item published at t = 0."""
    lo, hi = 0.005, 0.045
    limit = retransmit_limit(n)
    got = [None] * n
    sent = [0] * n
    phase = [rng.random() * 0.2 for _ in range(n)]
    got[0] = 0.0
    ev = []  # (time, kind, node): kind 0 = gossip tick, 1 = arrival
    heapq.heappush(ev, (phase[0], 0, 0))
    while ev:
        t, kind, node = heapq.heappop(ev)
        if kind == 1:
            if got[node] is None:
                got[node] = t
                nxt = t + ((phase[node] - t) % 0.2)
                heapq.heappush(ev, (nxt, 0, node))
            continue
        if sent[node] >= limit:
            continue
        for _ in range(3):
            if sent[node] >= limit:
                break
            peer = rng.randrange(n - 1)
            if peer >= node:
                peer += 1
            sent[node] += 1
            if rng.random() < loss:
                continue
            d = lo + rng.random() * (hi - lo)
            d += rng.expovariate(1.0) * d * 0.1
            heapq.heappush(ev, (t + d, 1, peer))
        heapq.heappush(ev, (t + 0.2, 0, node))
    times = sorted(x for x in got if x is not None)
    have = len(times)

    def reach(frac):
        need = max(1, math.ceil(frac * n - 1e-9))
        return times[need - 1] if need <= have else float("nan")

    return reach(0.5), reach(0.99), reach(0.999), reach(1.0), have


def main():
    loss, seed, sizes = 0.01, 1, []
    args = sys.argv[1:]
    while args:
        a = args.pop(0)
        if a == "--loss":
            loss = float(args.pop(0))
        elif a == "--seed":
            seed = int(args.pop(0))
        else:
            sizes.append(int(a))
    rng = random.Random(seed)
    for n in sizes or [100, 1000, 10000]:
        r50, r99, r999, r100, have = disseminate(n, loss, rng)
        susp = 4 * max(1.0, math.log10(n)) * 1.0
        detect = 0.5 + 0.5 + susp + r100
        pp = pushpull_interval(n)
        idle_bps = 298 + 2 * n * 80 / pp
        peak_kbps = 3 * 5 * 1400 * 8 / 1000 + 298 * 8 / 1000
        print("serf-model n=%d loss=%g reach50_s=%.3f reach99_s=%.3f "
              "reach999_s=%.3f reach100_s=%.3f reached=%d detect_all_s=%.1f "
              "suspicion_s=%.1f pushpull_s=%.0f peak_kbps=%.0f idle_kbps=%.2f"
              % (n, loss, r50, r99, r999, r100, have, detect, susp, pp,
                 peak_kbps, idle_bps * 8 / 1000))


if __name__ == "__main__":
    main()
