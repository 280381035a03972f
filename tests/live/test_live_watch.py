"""Watching: events after the list show up in fresh snapshots, bursts are debounced, 410 Gone relists,
dropped watches reconnect with backoff, and stop is prompt."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from apiserver import FakeApiServer, Fault, network_policy, pod
from conftest import shop_cluster

from kubenet_tui.engine.evaluate import evaluate, resolve_end
from kubenet_tui.engine.explain import Status
from kubenet_tui.sources.base import DataState, Snapshot
from kubenet_tui.sources.live import LiveOptions, LiveSource

WAIT = 10.0  # generous: these only bound how long a failing test hangs


class Watching:
    """A LiveSource watching in a background thread, its snapshots in a queue."""

    def __init__(self, source: LiveSource) -> None:
        self.source = source
        self.snapshots: queue.Queue[Snapshot] = queue.Queue()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=source.watch, args=(self.snapshots.put, self.stop), daemon=True)

    def until(self, predicate: Callable[[Snapshot], bool], timeout: float = WAIT) -> Snapshot:
        seen = []
        try:
            while True:
                snapshot = self.snapshots.get(timeout=timeout)
                seen.append(snapshot)
                if predicate(snapshot):
                    return snapshot
        except queue.Empty:
            raise AssertionError(f"no matching snapshot; saw {[s.load_summary() for s in seen]}") from None

    def drain(self, quiet: float) -> list[Snapshot]:
        out = []
        try:
            while True:
                out.append(self.snapshots.get(timeout=quiet))
        except queue.Empty:
            return out


@pytest.fixture
def watching(server: FakeApiServer, kubeconfig: Path) -> Iterator[Watching]:
    server.put_many(shop_cluster())
    source = LiveSource(LiveOptions(kubeconfig=str(kubeconfig), request_timeout=2, debounce=0.3, max_delay=3,
                                    backoff_initial=0.2, backoff_max=1, watch_timeout=5))
    source.load()
    w = Watching(source)
    w.thread.start()
    assert server.wait_for(lambda: server.watch_count() >= 6, WAIT)
    yield w
    w.stop.set()
    w.thread.join(WAIT)
    assert not w.thread.is_alive()


def pod_keys(snapshot: Snapshot) -> set[str]:
    return {p.key for p in snapshot.cluster.pods}


def test_add_modify_delete_are_reflected(server: FakeApiServer, watching: Watching) -> None:
    server.put(pod("shop", "cache", {"app": "cache"}, "10.0.1.30"))
    snapshot = watching.until(lambda s: "shop/cache" in pod_keys(s))
    assert snapshot.state is DataState.WATCHING

    server.put(pod("shop", "cache", {"app": "cache", "tier": "hot"}, "10.0.1.31"))
    snapshot = watching.until(lambda s: any(p.name == "cache" and p.labels.get("tier") == "hot"
                                            for p in s.cluster.pods))
    assert [str(ip) for p in snapshot.cluster.pods if p.name == "cache" for ip in p.ips] == ["10.0.1.31"]

    server.delete("Pod", "cache", "shop")
    watching.until(lambda s: "shop/cache" not in pod_keys(s))


def test_a_new_policy_changes_the_verdict(server: FakeApiServer, watching: Watching) -> None:
    def status(snapshot: Snapshot) -> Status:
        index = snapshot.cluster.index
        return evaluate(snapshot.cluster, resolve_end(index, "payments/api"), resolve_end(index, "shop/db"),
                        port=6379).status

    server.put(network_policy("shop", "db-from-pay", {
        "podSelector": {"matchLabels": {"app": "db"}},
        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "pay"}}}]}]}))
    snapshot = watching.until(lambda s: len(s.cluster.network_policies) == 4)
    assert status(snapshot) is Status.ALLOWED


def test_a_burst_of_events_yields_one_snapshot(server: FakeApiServer, watching: Watching) -> None:
    # Written at once, so the 30 events reach the watch together even when a loaded machine stalls the
    # writer longer than the debounce.
    server.put_many([pod("shop", f"burst-{i}", {"app": "burst"}, f"10.0.9.{i + 1}") for i in range(30)])
    snapshot = watching.until(lambda s: True)
    later = watching.drain(quiet=1.0)
    assert len(pod_keys(snapshot) - {"shop/frontend", "shop/db", "payments/api",
                                     "kube-system/calico-node-x7k2p"}) == 30
    assert later == []


def test_410_gone_relists(server: FakeApiServer, watching: Watching) -> None:
    # GIVEN the watches are cut, and while they are down the history they would resume from is
    # compacted away (an apiserver restart, or a long network outage)
    server.drop_watches()
    server.put(pod("shop", "during-outage", {}, "10.0.1.99"))
    server.delete("Pod", "frontend", "shop")
    server.compact()
    # THEN the watch gets 410 Gone, relists, and the snapshot has what changed meanwhile
    snapshot = watching.until(lambda s: "shop/during-outage" in pod_keys(s) and "shop/frontend" not in pod_keys(s))
    assert snapshot.state is DataState.WATCHING
    assert server.gone_sent >= 1
    lists_after = [r for r in server.requests if r.path == "/api/v1/pods" and not r.is_watch]
    assert len(lists_after) >= 2  # the load's list and the relist
    assert server.methods() == {"GET"}


def test_dropped_watch_reconnects_and_reports_stale_meanwhile(server: FakeApiServer, watching: Watching) -> None:
    # GIVEN pod watches fail for a while (503) after being cut
    server.faults.append(Fault("pods", 503, "apiserver is shutting down", watch_only=True, times=2))
    server.drop_watches()
    # THEN a STALE snapshot says which watch is down and why
    stale = watching.until(lambda s: s.state is DataState.STALE)
    assert any("watch of pods cluster-wide is down" in p.message and "503" in p.message for p in stale.problems)
    # AND once the server answers again, changes flow and the state is back to watching
    server.put(pod("shop", "after", {}, "10.0.1.77"))
    snapshot = watching.until(lambda s: "shop/after" in pod_keys(s) and s.state is DataState.WATCHING)
    assert not [p for p in snapshot.problems if "is down" in p.message]


def test_watch_renews_when_the_server_ends_it(server: FakeApiServer, watching: Watching) -> None:
    server.max_watch_seconds = 0.5  # every watch request ends after half a second, as timeoutSeconds does
    server.drop_watches()
    assert server.wait_for(lambda: len([r for r in server.requests if r.is_watch]) >= 18, WAIT)
    server.put(pod("shop", "late", {}, "10.0.1.55"))
    watching.until(lambda s: "shop/late" in pod_keys(s))
    watches = [r for r in server.requests if r.is_watch]
    # every watch resumes from a resourceVersion (never 0/empty: no full resend) and asks for a bounded time
    assert all(r.query["resourceVersion"] not in ("", "0") for r in watches)
    assert all(r.query["timeoutSeconds"] == "5" for r in watches)


def test_stop_is_prompt_with_open_watches(server: FakeApiServer, kubeconfig: Path) -> None:
    import time

    server.put_many(shop_cluster())
    source = LiveSource(LiveOptions(kubeconfig=str(kubeconfig), request_timeout=2, watch_timeout=60))
    source.load()
    w = Watching(source)
    w.thread.start()
    assert server.wait_for(lambda: server.watch_count() >= 6, WAIT)
    start = time.monotonic()
    w.stop.set()
    w.thread.join(WAIT)
    assert not w.thread.is_alive()
    assert time.monotonic() - start < 5


def test_watch_without_load_loads_first(server: FakeApiServer, kubeconfig: Path) -> None:
    server.put_many(shop_cluster())
    w = Watching(LiveSource(LiveOptions(kubeconfig=str(kubeconfig), request_timeout=2)))
    w.thread.start()
    try:
        first = w.until(lambda s: True)
        assert first.state is DataState.LIVE and len(first.cluster.pods) == 4
    finally:
        w.stop.set()
        w.thread.join(WAIT)
