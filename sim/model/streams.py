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
