# t-health-turns.sh: every backend's check gets its turn.  A node starts
# at most 128 checks a tick (256 a second), and a check is due again one
# round of all of them later.  When the engine's loop runs late (busy, as
# with 100,000 services), a round takes longer than that: the checks at
# the front of the list are due again before those at its end have run
# once, and each tick took its 128 from the front.  The end of the list
# was never checked (928 of 100,000 services in svc100k.sh), and a dead
# backend there kept its traffic.  Fails on the code before: 208 of 2,000
# backends here were never checked.
# rpn-test: alone (it times something, or loads the machine: run.sh runs it by itself)
. "$(dirname "$0")/lib.sh"

N=2000
hub
node n1 198.51.100.1
start n1
rpn n1 init --name n1 >/dev/null
engine=$(pgrep -P "$(cat "$W/n1/pid")" -x rpnd-engine) || fail "no engine"
backends() {	# backends HEALTH: how many n1 lists so (/metrics)
	nsx n1 curl -s --max-time 5 http://127.0.0.1:7481/metrics |
	    awk -v h="rpn_backends{health=\"$1\"}" '$1 == h {print $2}'
}
# N backends at 100.64.9.10:80, which n1 has no route to: each check
# fails at once, and the second failure marks the backend down
nsx n1 "$RPN_BUILD/rpn-tool" add-services "$(sock n1)" "$N" >/dev/null ||
    fail "adding $N services"
# The engine's loop late at every tick: stopped 0.3 s in every 0.4 s, for
# at most 80 s.  In n1's namespace, so that the cleanup ends it too, and
# not through nsx (a function): $! must be the loop itself, which resumes
# the engine when it is told to end.
ip netns exec "$(ns n1)" bash -c "trap 'kill -CONT $engine; exit 0' TERM
    for i in \$(seq 200); do kill -STOP $engine; sleep 0.3;
    kill -CONT $engine; sleep 0.1; done; kill -CONT $engine" &
staller=$!
# Two rounds, each about 16 late ticks: 20-30 s.  Before, 10 % were
# never checked, however long the wait.
t0=$(date +%s)
down=0
while [ $(($(date +%s) - t0)) -lt 70 ]; do
	down=$(backends down) || down=0
	[ "$down" = "$N" ] && break
	sleep 1
done
kill "$staller" 2>/dev/null || true
wait "$staller" 2>/dev/null || true
kill -CONT "$engine"
unknown=$(backends unknown) || true
[ "$down" = "$N" ] ||
    fail "$down of $N backends down after 70 s, $unknown unknown"
say "all $N backends checked twice and down after $(($(date +%s) - t0)) s, the engine stopped 0.3 s in every 0.4 s"
