"""Precomputed SRP key pairs (ComputePool(ephemerals=N)): used once, bounded, never kept by a forked child."""

from __future__ import annotations

import asyncio
import os
import secrets
import warnings
from collections.abc import Callable

import pytest

from aiocognito.compute import ComputePool
from aiocognito.core import srp
from aiocognito.core.flows import Compute, Env, NewEphemeral, new_ephemeral
from aiocognito.ephemerals import MAX_CAPACITY, MAX_SOURCES, EphemeralSpares


def _pair(seed: int) -> srp.Ephemeral:
    return srp.ephemeral(seed.to_bytes(srp.EPHEMERAL_BYTES, "big"))


def _counting_source() -> tuple[Callable[[int], bytes], list[int]]:
    calls: list[int] = []

    def source(n: int) -> bytes:
        calls.append(n)
        return secrets.token_bytes(n)

    return source, calls


async def _settle(pool: ComputePool, held: int, timeout: float = 10.0) -> None:
    assert pool.spares is not None
    deadline = asyncio.get_running_loop().time() + timeout
    while pool.spares.held() < held:
        assert asyncio.get_running_loop().time() < deadline, f"{pool.spares.held()} spares, not {held}"
        await asyncio.sleep(0.01)


def test_the_effect_is_a_compute_with_the_flows_randomness() -> None:
    source, calls = _counting_source()
    effect = new_ephemeral(Env(now=lambda: 0.0, random_bytes=source))
    assert isinstance(effect, NewEphemeral)
    assert isinstance(effect, Compute)  # a driver that does not know it runs it as it is
    assert effect.source is source
    assert calls == [srp.EPHEMERAL_BYTES]
    pair = effect.function(*effect.args)
    assert pow(srp.G, pair.a, srp.N) == pair.A
    assert "source" not in repr(effect)


def test_a_store_hands_each_pair_out_once_and_keeps_its_bounds() -> None:
    spares = EphemeralSpares(2)
    source, _ = _counting_source()
    assert spares.take(source) is None
    wanted, generation = spares.to_draw(source)
    assert wanted == 2
    assert spares.to_draw(source) == (0, generation)  # two are being drawn already
    spares.put(source, _pair(1), generation)
    spares.put(source, _pair(2), generation)
    spares.put(source, _pair(3), generation)  # over the capacity: dropped
    assert spares.held() == 2
    assert [spares.take(source), spares.take(source), spares.take(source)] == [_pair(1), _pair(2), None]
    assert str(_pair(1).a) not in repr(spares)


def test_a_cleared_store_drops_the_pairs_still_being_drawn() -> None:
    spares = EphemeralSpares(4)
    source, _ = _counting_source()
    _wanted, generation = spares.to_draw(source)
    spares.clear()
    spares.put(source, _pair(5), generation)
    assert spares.held() == 0
    assert spares.to_draw(source)[0] == 4


def test_sources_are_bounded_and_abandoned_draws_are_drawn_again() -> None:
    spares = EphemeralSpares(1)
    sources = [_counting_source()[0] for _ in range(MAX_SOURCES + 2)]
    for source in sources:
        _, generation = spares.to_draw(source)
        spares.put(source, _pair(7), generation)
    assert spares.held() == MAX_SOURCES
    assert spares.take(sources[0]) is None  # the oldest source was dropped
    last = sources[-1]
    assert spares.take(last) == _pair(7)
    assert spares.to_draw(last)[0] == 1
    spares.abandon(last)
    assert spares.to_draw(last)[0] == 1


@pytest.mark.parametrize("capacity", [-1, MAX_CAPACITY + 1, 1.5])
def test_bad_capacities_are_refused(capacity: int) -> None:
    with pytest.raises(ValueError, match="ephemerals"):
        ComputePool(workers=1, ephemerals=capacity)


def test_spares_need_worker_threads() -> None:
    with pytest.raises(ValueError, match="workers=0"):
        ComputePool(workers=0, ephemerals=4)


async def test_a_pool_answers_from_its_spares_and_draws_replacements_from_the_same_source() -> None:
    source, calls = _counting_source()
    env = Env(now=lambda: 0.0, random_bytes=source)
    async with ComputePool(workers=2, ephemerals=4) as pool:
        first_effect = new_ephemeral(env)
        first = await pool.run(first_effect)
        assert first == first_effect.function(*first_effect.args)  # none spare yet: computed now
        await _settle(pool, 4)
        assert len(calls) == 1 + 4  # the flow's draw, then four spares from the same source
        pairs = [await pool.run(new_ephemeral(env)) for _ in range(40)]
        for pair in pairs:
            assert pow(srp.G, pair.a, srp.N) == pair.A
        assert len({pair.a for pair in [*pairs, first]}) == 41  # each used once
        await _settle(pool, 4)
        other, other_calls = _counting_source()  # another source gets spares of its own
        await pool.run(new_ephemeral(Env(now=lambda: 0.0, random_bytes=other)))
        await _settle(pool, 8)
        assert len(other_calls) == 1 + 4
        assert pool.spares is not None
    assert pool.spares.held() == 0  # closing the pool forgets them


async def test_a_plain_compute_never_takes_a_spare() -> None:
    async with ComputePool(workers=1, ephemerals=2) as pool:
        a_bytes = bytes(range(1, srp.EPHEMERAL_BYTES + 1))
        assert await pool.run(Compute(srp.ephemeral, (a_bytes,))) == srp.ephemeral(a_bytes)
        assert pool.spares is not None
        assert pool.spares.held() == 0


def test_a_forked_child_has_none_of_its_parents_pairs() -> None:
    assert hasattr(os, "fork"), "os.fork is POSIX: where there is none, no child can inherit pairs"
    spares = EphemeralSpares(3)
    source, _ = _counting_source()
    _, generation = spares.to_draw(source)
    for seed in (1, 2, 3):
        spares.put(source, _pair(seed), generation)
    read, write = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork() in a process with threads
        child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        os.write(write, f"{spares.held()} {spares.take(source)}".encode())
        os._exit(0)
    os.close(write)
    report = os.read(read, 1000).decode()
    os.close(read)
    os.waitpid(child, 0)
    assert report == "0 None"
    assert spares.held() == 3  # the parent keeps its own
