"""Shared lists: walks of the account for many servers, "missing from a walk" never meaning "gone", reads sharing
one list across a refresh and never judging by one begun before a write."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import httpx
import pytest
from _waits import joined

from pulumi_vpsorg import Client, WaitTimeoutError, listing, wait
from pulumi_vpsorg.emulator import Emulator
from pulumi_vpsorg.models import Snapshot
from pulumi_vpsorg.operations import take_snapshot
from pulumi_vpsorg.wait import wait_for_snapshot

TOKEN = "vps_listing"
SERVERS = [12345 + i for i in range(6)]


def _setup(page_size: int = 2, seconds: float = 0.0) -> tuple[Emulator, Client, dict[str, int]]:
    """An emulator with small pages, behind a transport that can delete a snapshot between two pages of a walk."""
    emu = Emulator(token=TOKEN, snapshot_seconds=seconds, servers=len(SERVERS), page_size=page_size)
    inner = emu.transport()
    victim = {"id": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        resp = inner.handle_request(request)
        walk_page_one = request.url.path == "/api/v1/snapshots/" and not request.url.query
        if request.method == "GET" and walk_page_one and victim["id"]:
            emu.handle("DELETE", f"/api/v1/snapshots/{victim['id']}/", f"Bearer {TOKEN}", b"")
            victim["id"] = 0  # one deletion: the next page shifts, and the walk skips a live snapshot
        return resp

    return emu, Client(TOKEN, "http://emulator/api/v1", transport=httpx.MockTransport(handler)), victim


@contextmanager
def _fleet(api: Client) -> Iterator[None]:
    """Operations in progress on every server: more servers than a walk has pages, so walks are chosen."""
    with ExitStack() as stack:
        for server in SERVERS:
            stack.enter_context(listing.operating(api, server))
        yield


def _three(emu: Emulator, api: Client) -> list[Snapshot]:
    """Three snapshots in id order on three servers: page 1 holds the first two, page 2 the third."""
    return [api.create_snapshot(server, f"s{i}") for i, server in enumerate(SERVERS[:3])]


def test_a_walk_serves_many_servers_with_one_request_per_page():
    emu, api, _ = _setup(page_size=20)
    _three(emu, api)
    emu.log.clear()
    since = time.monotonic()
    with _fleet(api):
        found = [listing.shared_list(api, server, since=since) for server in SERVERS]
    assert [len(snaps) for snaps, _ in found] == [1, 1, 1, 0, 0, 0] and all(certain for _, certain in found)
    assert [(r["path"], r["query"]) for r in emu.requests("GET")] == [("/api/v1/snapshots/", {})]


def _a_walk_will_skip_the_third() -> tuple[Emulator, Client, Snapshot]:
    """Three snapshots on pages of 2; the next walk loses the first after page 1, so the third moves unseen."""
    emu, api, victim = _setup()
    first, _, third = _three(emu, api)
    victim["id"] = first.id
    emu.log.clear()
    return emu, api, third


def test_missing_from_a_walk_is_looked_for_in_the_servers_own_list_before_a_read_says_gone():
    emu, api, third = _a_walk_will_skip_the_third()
    with _fleet(api):
        found = listing.find_snapshot(api, third.server_id, third.id, since=0.0)
    assert found is not None and found.id == third.id  # the walk skipped it; its server's list has it
    queries = [r["query"] for r in emu.requests("GET")]
    assert queries == [{}, {"page": "2"}, {"server_id": str(third.server_id)}]


def test_a_wait_does_not_fail_when_a_walk_skips_its_snapshot():
    emu, api, victim = _setup(seconds=0.0)
    first = api.create_snapshot(SERVERS[0], "victim")
    emu.snapshot_seconds = 0.3
    api.create_snapshot(SERVERS[1], "second")
    target = api.create_snapshot(SERVERS[2], "target")
    victim["id"] = first.id
    with _fleet(api):
        done = wait_for_snapshot(api, target, timeout=5, poll_interval=lambda _: 0.05)
    assert done.is_completed and done.id == target.id
    assert any(r["query"] == {"server_id": str(SERVERS[2])} for r in emu.requests("GET"))


def test_a_look_up_before_posting_never_trusts_a_walks_absence():
    emu, api, third = _a_walk_will_skip_the_third()
    with _fleet(api):
        snap, adopted = take_snapshot(api, third.server_id, third.name, wait=False)
    assert adopted and snap.id == third.id and emu.requests("POST") == []


def test_reads_share_one_list_across_a_refresh_in_any_order():
    emu, api, _ = _setup(page_size=20)
    made = [api.create_snapshot(SERVERS[i % 6], f"s{i}") for i in range(18)]
    emu.log.clear()
    found: list[Snapshot | None] = []
    for snap in made:  # one at a time, servers interleaved: a 50 ms gather alone would list 18 times
        with listing.reading(api, snap.server_id):
            since = listing.read_since(api, snap.server_id)
            found.append(listing.find_snapshot(api, snap.server_id, snap.id, since=since))
    assert [s.id if s else None for s in found] == [s.id for s in made]
    assert len(emu.requests("GET")) <= 2, emu.requests("GET")  # the first server's own list, then one walk


def test_a_read_after_a_write_never_judges_by_a_list_begun_before_it():
    emu, api, _ = _setup(page_size=20)
    with listing.reading(api, SERVERS[0]):
        assert listing.find_snapshot(api, SERVERS[0], 801, since=listing.read_since(api, SERVERS[0])) is None
    snap, _ = take_snapshot(api, SERVERS[0], "made", wait=False)
    with listing.reading(api, SERVERS[0]):
        found = listing.find_snapshot(api, SERVERS[0], snap.id, since=listing.read_since(api, SERVERS[0]))
    assert found is not None and found.id == snap.id


@pytest.mark.parametrize("concurrent", [4, 16])
def test_concurrent_reads_on_many_servers_cost_about_one_walk(concurrent):
    emu, api, _ = _setup(page_size=20)
    made = [api.create_snapshot(SERVERS[i % 6], f"s{i}") for i in range(18)]
    emu.log.clear()
    results: list[Snapshot | None] = []
    todo = list(made)
    lock = threading.Lock()

    def reader() -> None:
        while True:
            with lock:
                if not todo:
                    return
                snap = todo.pop(0)
            with listing.reading(api, snap.server_id):
                since = listing.read_since(api, snap.server_id)
                results.append(listing.find_snapshot(api, snap.server_id, snap.id, since=since))

    threads = [threading.Thread(target=reader) for _ in range(concurrent)]
    for t in threads:
        t.start()
    joined(threads)
    assert sorted(s.id for s in results if s) == sorted(s.id for s in made)
    assert len(emu.requests("GET")) <= 3, emu.requests("GET")


def test_a_duplicate_check_never_trusts_a_walks_absence():
    emu, api, victim = _setup()
    api.create_snapshot(SERVERS[0], "s0")
    api.create_snapshot(SERVERS[1], "s1")
    emu.snapshot_seconds = 0.05
    real_create = api.create_snapshot

    def create_after_another_machine(*args, **kwargs):  # their POST lands between our look and ours
        emu.handle("POST", "/api/v1/snapshots/", f"Bearer {TOKEN}", b'{"server_id": %d, "name": "n"}' % SERVERS[2])
        mine = real_create(*args, **kwargs)
        victim["id"] = 801  # the next walk loses s0 after page 1: page 2 then holds only ours, not theirs
        return mine

    api.create_snapshot = create_after_another_machine  # type: ignore[method-assign]
    with _fleet(api):
        snap, adopted = take_snapshot(api, SERVERS[2], "n", timeout=10)
    assert (snap.id, adopted) == (803, True)  # theirs, the lowest id, survives: the walk that showed ours lacked it
    assert [r["path"] for r in emu.requests("DELETE")] == ["/api/v1/snapshots/801/", "/api/v1/snapshots/804/"]


def test_a_certain_list_that_shows_the_snapshot_completed_serves_its_duplicate_check():
    emu, api, _ = _setup(seconds=0.3)
    snap, _ = take_snapshot(api, SERVERS[0], "n", timeout=10)
    (made,) = emu.snapshots()
    after = [r for r in emu.requests("GET") if r["t"] >= made["ready_at"]]
    assert snap.is_completed and [r["query"] for r in after] == [{"server_id": str(SERVERS[0])}]  # one, not two


def test_await_other_waits_waits_only_for_that_servers_waits():
    _, api, _ = _setup()
    a, b = threading.Event(), threading.Event()
    entered = threading.Barrier(3)

    def wait_on(server: int, until: threading.Event) -> None:
        with listing.waiting_for_snapshot(api, server):
            entered.wait(5)
            until.wait(30)

    threads = [threading.Thread(target=wait_on, args=(s, e)) for s, e in ((SERVERS[0], a), (SERVERS[1], b))]
    for t in threads:
        t.start()
    entered.wait(5)  # both waits are in progress
    awaiting = threading.Thread(target=listing.await_other_waits, args=(api, SERVERS[0], 30))
    awaiting.start()
    awaiting.join(0.2)
    assert awaiting.is_alive()  # server 0's wait is still going on
    a.set()
    awaiting.join(10)
    assert not awaiting.is_alive() and threads[1].is_alive()  # done once server 0's wait ended; server 1's goes on
    b.set()
    joined(threads)


def test_while_snapshots_complete_own_lists_serve_up_to_twice_the_walks_pages():
    _, api, _ = _setup(page_size=20)
    fleet = api.fleet
    with ExitStack() as stack:
        for server in SERVERS[:4]:
            stack.enter_context(listing.operating(api, server))
        fleet.walk_pages, fleet.last_walk = 2, (time.monotonic(), listing.Listing({}, certain=False, walk=True))
        assert listing.list_source(api, SERVERS[0])[0] == (api.serial, "walk")  # 4 servers, walks of 2 pages
        fleet.progress_at = fleet.last_walk[0]  # that walk showed snapshots completing
        assert listing.list_source(api, SERVERS[0])[0] == (api.serial, "snapshots", SERVERS[0])


def test_waits_served_by_walks_poll_as_often_as_the_lists_they_replace_would_cost():
    _, api, _ = _setup(page_size=20)
    fleet = api.fleet
    schedule = wait._fleet_schedule(api, SERVERS[0], wait.default_poll_interval)
    assert listing.walk_speedup(api, SERVERS[0]) == 1 and schedule(50) == 10  # no fleet: the server's own list
    with _fleet(api):  # 6 servers in play
        fleet.walk_pages = 3
        assert listing.walk_speedup(api, SERVERS[0]) == 2  # walks of 3 pages replace 6 lists
        assert schedule(50) == 5
        fleet.walk_pages = 1
        assert listing.walk_speedup(api, SERVERS[0]) == listing.WALK_SPEEDUP_MAX == 4  # at most four times
        assert schedule(50) == 2.5 and schedule(3) == 1  # never more often than once a second
        fleet.last_walk = (time.monotonic(), listing.Listing({}, certain=True, walk=True))
        fleet.progress_at = fleet.last_walk[0]  # that walk showed snapshots completing
        assert schedule(50) == 0.625 and schedule(3) == 0.5  # four times as often again, at most twice a second
    assert listing.walk_speedup(api, SERVERS[0]) == 1  # own lists again


# ----- absence is certain only from a complete list --------------------------------------------------------------


def _answering(pages: list[dict]) -> Client:
    """A client of a fake API that answers every list with ``pages`` (``next`` links added), whatever it asks."""

    def handler(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params.get("page", "1"))
        body = dict(pages[n - 1])
        body["next"] = f"http://emulator/api/v1/snapshots/?page={n + 1}" if n < len(pages) else None
        return httpx.Response(200, json=body)

    return Client(TOKEN, "http://emulator/api/v1", transport=httpx.MockTransport(handler))


def _snap(id_: int, server: int) -> dict:
    return {"id": id_, "name": f"s{id_}", "status": "completed", "server": {"id": server}}


@pytest.mark.parametrize(
    "pages",
    [
        [{"count": 3, "results": [_snap(801, SERVERS[0])]}, {"count": 3, "results": [_snap(803, SERVERS[1])]}],
        [{"count": 1, "results": []}],
        [{"count": 2, "results": [_snap(801, SERVERS[1]), _snap(802, SERVERS[2])]}],
    ],
    ids=["filter ignored and paged", "a count its results lack", "another server's snapshots only"],
)
def test_a_read_never_says_gone_from_an_incomplete_list(pages):
    api = _answering(pages)
    with pytest.raises(listing.AbsenceUncertainError, match="not proof that it is gone"):
        listing.find_snapshot(api, SERVERS[0], 802, since=listing.read_since(api, SERVERS[0]))


def test_a_get_without_a_server_never_says_gone_after_multi_page_walks():
    api = _answering([{"count": 2, "results": [_snap(801, SERVERS[0])]}, {"count": 2, "results": [_snap(803, 1)]}])
    for _ in range(2):
        with pytest.raises(listing.AbsenceUncertainError):
            listing.find_snapshot(api, None, 802, since=0.0)


def test_one_complete_page_is_proof_of_absence():
    api = _answering([{"count": 1, "results": [_snap(801, SERVERS[0])]}])
    assert listing.find_snapshot(api, SERVERS[0], 802, since=0.0) is None
    assert listing.find_snapshot(api, None, 802, since=0.0) is None


def test_a_delete_through_the_public_client_is_never_missed_by_the_next_look_up():
    emu, api, _ = _setup(page_size=20)
    first, adopted = take_snapshot(api, SERVERS[0], "x", wait=False)
    api.delete_snapshot(first.id)  # the public client, no helper around it
    again, adopted = take_snapshot(api, SERVERS[0], "x", wait=False)
    assert not adopted and again.id != first.id
    assert [s["id"] for s in emu.snapshots()] == [again.id]


def test_a_wait_never_says_vanished_from_an_incomplete_list():
    api = _answering([{"count": 3, "results": [_snap(801, SERVERS[0])]}, {"count": 3, "results": [_snap(803, 1)]}])
    waited = Snapshot(id=802, name="s802", status="in_progress", server={"id": SERVERS[0]})
    with pytest.raises(WaitTimeoutError):  # not SnapshotFailedError("disappeared"): no list could prove it
        wait_for_snapshot(api, waited, timeout=0.5, poll_interval=lambda _: 0.05)
