"""Random streams of one replicate: one generator per (mechanism, year), and per (mechanism, year, agent).

Every draw of the model comes from a generator seeded by (replicate seed, mechanism, year[, agent
key]) (docs/ODD.md, "Stochasticity"). Two scenarios run with the same seed therefore share every
draw of the mechanisms and agents their levers do not touch (common random numbers): a new fund,
institute or top scientist brings its own stream and leaves the others' draws as they were, and a
lever that starts in year Y cannot change any draw before Y. The order in which agents of a type
act each year comes from a per-agent key draw (:meth:`Streams.order`), not from Mesa's
``model.random``, so adding an agent does not reshuffle the others.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

import numpy as np

T = TypeVar("T")


def key_number(key: str) -> int:
    """A stable 32-bit number for an agent's key (CRC-32 of its UTF-8 text).

    Example:
        >>> key_number("angel_guidance_fund") == key_number("angel_guidance_fund")
        True
    """
    return zlib.crc32(key.encode("utf-8"))


def seed_words(*values: int) -> np.ndarray:
    """The entropy words ``np.random.SeedSequence`` makes of these non-negative integers (each split
    into 32-bit words, least significant first), as a uint32 array: seeding with it gives the same
    generator as seeding with the list of integers, at half the cost (the model seeds thousands).

    Example:
        >>> seed_words(5, 2**32 + 7).tolist()
        [5, 7, 1]
    """
    words = []
    for value in values:
        value = int(value)
        if value < 0:
            raise ValueError(f"seed values must be non-negative, got {value}")
        if value == 0:
            words.append(0)
        while value > 0:
            words.append(value & 0xFFFFFFFF)
            value >>= 32
    return np.array(words, dtype=np.uint32)


def generator(*values: int) -> np.random.Generator:
    """``np.random.default_rng([*values])``, seeded faster (see :func:`seed_words`)."""
    return np.random.default_rng(seed_words(*values))


class Streams:
    """Generators of one replicate, made on first use and kept for the current year.

    Args:
        seed: The replicate's seed.
        names: The mechanisms' names; a name's position is part of its seed, so new names go at
            the end of the tuple.
    """

    def __init__(self, seed: int, names: Sequence[str]) -> None:
        self.seed = int(seed)
        self.names = tuple(names)
        self._year: int | None = None
        self._cache: dict[tuple[str, int | None], np.random.Generator] = {}
        self._seed_words = seed_words(self.seed)
        self._firm_keys: dict[tuple[str, int, int], int] = {}

    def _index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(f"unknown random stream {name!r}; add it to STREAMS") from None

    def get(self, name: str, year: int, key: str | None = None) -> np.random.Generator:
        """The generator of a mechanism (and, with ``key``, of one agent) for a year."""
        if self._year != year:
            self._cache = {}
            self._year = year
        number = None if key is None else key_number(key)
        gen = self._cache.get((name, number))
        if gen is None:  # the words of [seed, stream, year(, key)]: the seed's once, the rest fit one word each
            tail = [self._index(name), year] + ([] if number is None else [number])
            words = np.concatenate([self._seed_words, np.array(tail, dtype=np.uint32)])
            gen = self._cache[(name, number)] = np.random.default_rng(words)
        return gen

    def order(self, agents: Iterable[T], name: str, year: int, key: Callable[[T], str]) -> list[T]:
        """Agents in this year's random order: sorted by a uniform keyed by (seed, name, year, agent key).

        An agent's place relative to any other depends only on their two keys, so adding or
        removing an agent leaves the order of the others unchanged.
        """
        index = self._index(name)
        agents = list(agents)
        head = np.concatenate([self._seed_words, np.array([index, year], dtype=np.uint32)])
        draws = [np.random.SeedSequence(np.append(head, np.uint32(key_number(key(a))))).generate_state(1)[0]
                 for a in agents]
        return [agents[i] for i in np.argsort(draws, kind="stable")]

    def firm_key(self, name: str, year: int, call: int = 0) -> int:
        """The key of the per-firm draws of a mechanism in a year (:func:`keyed_uniforms`); ``call``
        numbers the separate draws one mechanism takes per firm in a year."""
        cache_key = (name, year, call)
        key = self._firm_keys.get(cache_key)
        if key is None:
            key = self._firm_keys[cache_key] = mix_key(self.seed, self._index(name), year, call)
        return key


# ---------------------------------------------------------------------------------- per-firm draws
# A firm's draws in a mechanism come from a counter-based hash of (replicate seed, mechanism, year,
# call, firm uid), not from a position in a generator's output: a firm gets the same draw whichever
# other firms exist, whichever rows they hold and however many draws other calls took (splitmix64,
# Steele, Lea & Flood 2014, "Fast splittable pseudorandom number generators", OOPSLA; the idea of
# Random123's counter-based generators, Salmon et al. 2011).
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_MASK64 = (1 << 64) - 1


def splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser of uint64 values (a bijection that mixes every bit into every other);
    arrays wrap around on overflow, as the algorithm needs."""
    z = np.asarray(x, dtype=np.uint64) + _GOLDEN
    z ^= z >> np.uint64(30)
    z *= _MIX1
    z ^= z >> np.uint64(27)
    z *= _MIX2
    z ^= z >> np.uint64(31)
    return z


def _splitmix64_int(x: int) -> int:
    """:func:`splitmix64` of one Python integer (the same bits, without numpy's scalar overhead)."""
    z = (x + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def mix_key(*values: int) -> int:
    """One 64-bit key of several integers (each mixed in turn, negative ones taken modulo 2^64), for
    :func:`keyed_uniforms`.

    Example:
        >>> mix_key(1, 2) == mix_key(1, 2) != mix_key(2, 1)
        True
        >>> mix_key(5) == int(splitmix64(np.array([5], dtype=np.uint64))[0])
        True
    """
    z = 0
    for value in values:
        z = _splitmix64_int(z ^ (int(value) & _MASK64))
    return z


def keyed_uniforms(key: int, uids: np.ndarray) -> np.ndarray:
    """One uniform in (0, 1) per uid for this key (53 bits; never exactly 0 or 1).

    Example:
        >>> u = keyed_uniforms(mix_key(7), np.array([1, 2, 3], dtype=np.uint64))
        >>> bool(((u > 0) & (u < 1)).all() and u[1] == keyed_uniforms(mix_key(7), np.array([2], np.uint64))[0])
        True
    """
    z = splitmix64(np.asarray(uids, dtype=np.uint64) ^ np.uint64(key))
    z += np.uint64(key)
    z = splitmix64(z)
    return ((z >> np.uint64(11)).astype(np.float64) + 0.5) * (1.0 / (1 << 53))


def firm_uids(group: int, year: int, members: np.ndarray) -> np.ndarray:
    """Stable 64-bit identities of firms: entry group number, entry year (or any fixed number) and
    each firm's number within the group and year. Two scenarios give a firm the same uid whenever
    it enters by the same group in the same year at the same place, whatever else entered."""
    return splitmix64(np.asarray(members, dtype=np.uint64) ^ np.uint64(mix_key(group, year & 0xFFFF)))
