"""The result store: a folder of Parquet parts plus a JSON manifest, written as runs finish.

Layout of a store folder::

    manifest.json        what made it: kind, design (scenario hashes, factors, seeds), code and
                         package versions, creation time, wall time
    parts/*.parquet      tidy result rows, one file per finished chunk of runs:
                         scenario, sample, replicate, seed, year, direction, district, indicator, value
    spending.parquet     scenario, sample, year, lever, project, direction, value (100m yuan):
                         what the levers paid out, recorded by the model, mean over replicates
    failures/*.json      one file per failed run: its keys, seed, parameters and error

Nothing is held only in memory: a part is written to a temporary name and renamed when complete,
so a killed process leaves only whole parts, and the set of finished runs is read back from them.
A store refuses runs from a different design (:class:`~sim.core.errors.StoreMismatchError`).
DuckDB reads the parts with plain SQL (:meth:`ResultStore.sql`).

Other files a store may hold: ``samples.parquet`` (a sweep's sample points: sample, factor, unit,
value), ``targets.csv`` (an ensemble's target table), ``indices.parquet`` and ``convergence.parquet``
(written by ``weilai analyze``), ``writer.lock`` (present while a process is writing).
``weilai status DIR`` (:meth:`ResultStore.status`) reports progress, failures and sessions.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.core.errors import InputError, StoreMismatchError

RESULT_COLUMNS = ["scenario", "sample", "replicate", "seed", "year", "direction", "district", "indicator", "value"]
RESULT_SCHEMA = pa.schema([
    ("scenario", pa.string()),
    ("sample", pa.int32()),
    ("replicate", pa.int32()),
    ("seed", pa.int64()),
    ("year", pa.int16()),
    ("direction", pa.string()),
    ("district", pa.string()),
    ("indicator", pa.string()),
    ("value", pa.float64()),
])
PACKAGES = ["mesa", "numpy", "pandas", "pyarrow", "pydantic", "SALib", "dask", "distributed", "duckdb",
            "altair", "vl-convert-python", "scipy"]


_CODE_VERSION: list = [0.0, ""]  # (time asked, answer): git is asked at most once a minute


def code_version() -> str:
    """The git commit of the code (with ``.dirty`` if the work tree has changes), or the package version.

    The answer is reused for 60 s, so a run of many short sessions does not call git each time.
    """
    if time.monotonic() - _CODE_VERSION[0] < 60 and _CODE_VERSION[1]:
        return _CODE_VERSION[1]
    _CODE_VERSION[:] = [time.monotonic(), _code_version()]
    return _CODE_VERSION[1]


def _code_version() -> str:
    from sim import __version__
    from sim.core.paths import REPO_ROOT

    try:
        commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO_ROOT,
                                capture_output=True, text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO_ROOT,
                               capture_output=True, text=True, timeout=5, check=True).stdout.strip()
        return f"{__version__}+{commit}{'.dirty' if dirty else ''}"
    except (OSError, subprocess.SubprocessError):
        return __version__


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        with suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(name)
    return out


class ResultStore:
    """A result store folder (see the module docstring for its layout)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    # ------------------------------------------------------------------ creation

    @classmethod
    def open_or_create(cls, path: str | Path, kind: str, design: dict[str, Any],
                       extra: dict[str, Any] | None = None) -> ResultStore:
        """Open a store for this design, creating it if new.

        Args:
            path: Store folder.
            kind: ``ensemble``, ``sweep``, ``comparison``, ``calibration``...
            design: Everything that decides which runs exist and what they compute (scenario hashes,
                factors and samples, seeds, replicate count, detail). Compared on reopening.
            extra: More manifest entries (documentation only, not compared).

        Raises:
            StoreMismatchError: if the folder holds a store of another design.
        """
        store = cls(path)
        design = json.loads(json.dumps(design, sort_keys=True, default=str))
        if store.manifest_file.exists():
            manifest = store.manifest
            if manifest.get("design") != design or manifest.get("kind") != kind:
                diff = _first_difference(manifest.get("design", {}), design)
                raise StoreMismatchError(
                    f"this store was written by a different design ({diff}); results would be mixed",
                    file=store.path, allowed="a new --out folder, or the command that made this store",
                )
            return store  # partial writes are cleaned once the writer lock is held (writer_lock)
        strays = [f for folder in ("parts", "failures") for f in (store.path / folder).glob("*")]
        if strays:
            raise InputError(f"the folder holds {len(strays)} result file(s) but no manifest.json: they are "
                             "not adopted into a new store", file=store.path,
                             allowed="a new --out folder (or restore the store's manifest.json)")
        (store.path / "parts").mkdir(parents=True, exist_ok=True)
        (store.path / "failures").mkdir(exist_ok=True)
        store._write_manifest({
            "kind": kind,
            "design": design,
            "code_version": code_version(),
            "packages": package_versions(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "sessions": [],
            **(extra or {}),
        })
        return store

    @property
    def manifest_file(self) -> Path:
        return self.path / "manifest.json"

    @property
    def manifest(self) -> dict[str, Any]:
        if not self.manifest_file.exists():
            raise InputError("not a result store (no manifest.json)", file=self.path,
                             allowed="a folder written by weilai run, compare or sweep")
        try:
            manifest = json.loads(self.manifest_file.read_text(encoding="utf-8"))
        except (ValueError, OSError) as exc:
            manifest = exc
        if not isinstance(manifest, dict) or not manifest:
            raise InputError("the store's manifest is damaged (empty, truncated or not a JSON object)",
                             file=self.manifest_file,
                             allowed="restore manifest.json from a backup, or run the command again into a new "
                             "--out folder (the runs cannot be identified without it)")
        return manifest

    def _write_manifest(self, manifest: dict[str, Any]) -> None:
        tmp = self.manifest_file.with_suffix(f".{uuid.uuid4().hex}.tmp")
        with _disk_errors(tmp):
            tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
            os.replace(tmp, self.manifest_file)

    def update_manifest(self, **entries: Any) -> None:
        """Add or replace top-level manifest entries (e.g. wall time at the end of a session)."""
        manifest = self.manifest
        manifest.update(entries)
        self._write_manifest(manifest)

    def record_session(self, **entries: Any) -> None:
        """Append one session's facts (runs done, wall time, code version) to the manifest; the
        session in progress (:meth:`start_session`) is over."""
        manifest = self.manifest
        manifest.pop("running", None)
        manifest.setdefault("sessions", []).append({"code_version": code_version(), **entries})
        self._write_manifest(manifest)

    def start_session(self, runs_planned: int, already_done: int, executor: str, retry: bool = False) -> None:
        """Note the session in progress, so that :meth:`status` can give its rate and time left.

        Args:
            runs_planned: Runs this session will do.
            already_done: Runs finished or failed before it.
            executor: Where it runs (for the status line).
            retry: A session rerunning failed runs (no rate is given for it).
        """
        self.update_manifest(running={"started": time.time(), "pid": os.getpid(), "host": socket.gethostname(),
                                      "runs_planned": runs_planned, "already_done": already_done,
                                      "executor": executor, "retry": retry})

    # ------------------------------------------------------------------ writing

    def write_part(self, frame: pd.DataFrame | pa.Table) -> Path:
        """Write finished runs atomically as one Parquet part.

        Args:
            frame: Rows with the :data:`RESULT_COLUMNS`, as a DataFrame or an Arrow table of
                :data:`RESULT_SCHEMA`.
        """
        if isinstance(frame, pa.Table):
            table = frame.select(RESULT_COLUMNS).cast(RESULT_SCHEMA)
        else:
            table = pa.Table.from_pandas(frame[RESULT_COLUMNS], schema=RESULT_SCHEMA, preserve_index=False)
        final = self.path / "parts" / f"part-{uuid.uuid4().hex}.parquet"
        tmp = final.with_suffix(".parquet.tmp")
        with _disk_errors(tmp):
            pq.write_table(table, tmp, compression="zstd")
            os.replace(tmp, final)
        return final

    def write_spending(self, frame: pd.DataFrame) -> None:
        """Write (or replace) the spending table."""
        tmp = self.path / "spending.parquet.tmp"
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, self.path / "spending.parquet")

    def write_failure(self, sample: int, replicate: int, record: dict[str, Any]) -> None:
        """Record a failed run (its keys, seed, parameters and error) without stopping the batch."""
        file = self.path / "failures" / f"fail-{sample}-{replicate}.json"
        tmp = file.with_suffix(f".{uuid.uuid4().hex}.tmp")
        with _disk_errors(tmp):
            tmp.write_text(json.dumps({"sample": sample, "replicate": replicate, **record}, indent=2,
                                      ensure_ascii=False, default=str), encoding="utf-8")
            os.replace(tmp, file)

    def clear_failure(self, sample: int, replicate: int) -> None:
        (self.path / "failures" / f"fail-{sample}-{replicate}.json").unlink(missing_ok=True)

    def write_table(self, name: str, frame: pd.DataFrame) -> Path:
        """Write (or replace) a named Parquet table in the store folder, atomically.

        Args:
            name: File name, e.g. ``samples.parquet`` or ``indices.parquet``.
            frame: The table.
        """
        final = self.path / name
        tmp = final.with_suffix(f".{uuid.uuid4().hex}.tmp")
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, final)
        return final

    def read_table(self, name: str) -> pd.DataFrame:
        """Read a named Parquet table written by :meth:`write_table`."""
        file = self.path / name
        if not file.exists():
            raise InputError(f"the store has no {name}", file=self.path,
                             allowed="the command that writes it (weilai sweep, weilai analyze)")
        try:
            return pd.read_parquet(file)
        except (OSError, ValueError, pa.ArrowException) as exc:
            raise _damaged(file, exc) from None

    def _remove_partial_writes(self) -> None:
        """Delete temporary files left by a process killed while writing (never whole parts)."""
        for folder in (self.path / "parts", self.path / "failures", self.path):
            for tmp in folder.glob("*.tmp"):
                tmp.unlink(missing_ok=True)

    def _writer_alive(self) -> bool:
        """Whether ``writer.lock`` is held by a live process (a lock left by a killed writer is not)."""
        lock = self.path / "writer.lock"
        try:
            holder = json.loads(lock.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return False
        except (OSError, ValueError):
            return True  # being written this instant
        if holder.get("host") != socket.gethostname():
            return True  # cannot tell for another machine
        return process_alive(int(holder.get("pid", -1)))

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        """Hold ``writer.lock`` while writing, so two processes never run into one store.

        A lock left by a process that no longer exists (killed) is taken over.

        Raises:
            InputError: if another live process on this machine holds the lock.
        """
        lock = self.path / "writer.lock"
        me = {"pid": os.getpid(), "host": socket.gethostname()}
        for _ in range(2):
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                try:
                    holder = json.loads(lock.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    holder = {}
                if holder.get("host") == me["host"] and not process_alive(int(holder.get("pid", -1))):
                    lock.unlink(missing_ok=True)  # stale: its writer was killed
                    continue
                raise InputError(
                    f"another process is writing this store (pid {holder.get('pid')} on "
                    f"{holder.get('host')})", file=self.path,
                    allowed="wait for it to finish, or stop it; delete writer.lock only if it is dead",
                ) from None
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(me, fh)
            break
        try:
            self._remove_partial_writes()  # only now: a live writer's temporary files are never touched
            yield
        finally:
            lock.unlink(missing_ok=True)

    # ------------------------------------------------------------------ reading

    def part_files(self) -> list[Path]:
        return sorted((self.path / "parts").glob("part-*.parquet"))

    def completed(self) -> set[tuple[int, int]]:
        """(sample, replicate) keys of every run whose rows are on disk."""
        if not self.part_files():
            return set()
        rows = self.sql("SELECT DISTINCT sample, replicate FROM results").fetchall()
        return {(int(s), int(r)) for s, r in rows}

    def duplicate_runs(self) -> int:
        """Runs whose rows are in more than one part (a copied part): read once, counted once."""
        if not self.part_files():
            return 0
        return int(self.sql("SELECT count(*) FROM (SELECT sample, replicate FROM all_rows GROUP BY ALL "
                            "HAVING count(DISTINCT filename) > 1)").fetchone()[0])

    def damaged_files(self) -> list[Path]:
        """Parts, ``samples.parquet`` and ``spending.parquet`` that cannot be read (empty, truncated,
        another schema)."""
        bad = []
        for part in self.part_files():
            try:
                if not pq.read_schema(part).equals(RESULT_SCHEMA, check_metadata=False):
                    bad.append(part)
                    continue
                pq.ParquetFile(part).read()
            except (OSError, ValueError, pa.ArrowException):
                bad.append(part)
        for name in ("samples.parquet", "spending.parquet"):
            file = self.path / name
            if file.exists():
                try:
                    pq.read_table(file)
                except (OSError, ValueError, pa.ArrowException):
                    bad.append(file)
        return bad

    def failures(self) -> list[dict[str, Any]]:
        """Records of failed runs (sample, replicate, seed, parameters, error), oldest key first."""
        return [json.loads(f.read_text(encoding="utf-8"))
                for f in sorted((self.path / "failures").glob("fail-*.json"))]

    def failed_keys(self) -> set[tuple[int, int]]:
        """(sample, replicate) keys of runs recorded as failed and not since retried successfully."""
        keys = set()
        for f in (self.path / "failures").glob("fail-*.json"):
            _, sample, replicate = f.stem.split("-")
            keys.add((int(sample), int(replicate)))
        return keys

    def status(self) -> dict[str, Any]:
        """Progress of the store: runs planned, done, failed and missing, sessions and wall time.

        Returns:
            Dict with kind, name, created, code_version, runs_total, runs_done, runs_failed,
            runs_missing, parts, sessions (count), wall_seconds (sum over sessions), last_rate
            (runs per second of the last session), writing (True while a writer holds the lock), and
            for the session in progress running_rate (runs/s), running_seconds_left, running_executor.
        """
        manifest = self.manifest
        done = self.completed()
        failed = self.failed_keys() - done
        total = int(manifest.get("n_runs", 0))
        sessions = manifest.get("sessions", [])
        last = sessions[-1] if sessions else {}
        wall = sum(float(s.get("wall_seconds", 0.0)) for s in sessions)
        rate = (last.get("runs_ok", 0) + last.get("runs_failed", 0)) / last["wall_seconds"] \
            if last.get("wall_seconds") else float("nan")
        writing = self._writer_alive()
        running = manifest.get("running") if writing else None
        now_rate = left = float("nan")
        if running and not running.get("retry"):
            elapsed = max(1e-9, time.time() - float(running["started"]))
            finished = len(done) + len(failed) - int(running["already_done"])
            now_rate = finished / elapsed
            remaining = int(running["runs_planned"]) - finished
            left = remaining / now_rate if now_rate > 0 else float("nan")
        return {
            "path": str(self.path),
            "kind": manifest.get("kind"),
            "name": manifest.get("name", self.path.name),
            "created": manifest.get("created"),
            "code_version": manifest.get("code_version"),
            "runs_total": total,
            "runs_done": len(done),
            "runs_failed": len(failed),
            "runs_missing": max(0, total - len(done) - len(failed)),
            "parts": len(self.part_files()),
            "sessions": len(sessions),
            "wall_seconds": wall,
            "last_rate": rate,
            "writing": writing,
            "running_rate": now_rate,
            "running_seconds_left": left,
            "running_executor": running.get("executor") if running else None,
        }

    def sql(self, query: str) -> duckdb.DuckDBPyConnection:
        """Run SQL with views ``results`` (all parts; a run present in two parts, e.g. a copied part,
        is read from the first only) and ``spending`` (if written).

        Raises:
            InputError: naming a damaged file and ``weilai status --repair``.
        """
        try:
            return self._connect().execute(query)
        except duckdb.Error as exc:
            bad = self.damaged_files()
            if bad:
                raise _damaged(bad[0], exc, more=len(bad) - 1) from None
            raise

    def _connect(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect()
        parts = _quote(str(self.path / "parts" / "part-*.parquet"))
        if self.part_files():
            con.execute(f"CREATE VIEW all_rows AS SELECT * FROM read_parquet({parts}, filename = true)")
            con.execute("CREATE VIEW results AS SELECT " + ", ".join(f"r.{c}" for c in RESULT_COLUMNS) +
                        " FROM all_rows r JOIN (SELECT sample, replicate, min(filename) AS first_part FROM all_rows"
                        " GROUP BY ALL) k ON r.sample = k.sample AND r.replicate = k.replicate"
                        " AND r.filename = k.first_part")
        spending = self.path / "spending.parquet"
        if spending.exists():
            con.execute(f"CREATE VIEW spending AS SELECT * FROM read_parquet({_quote(str(spending))})")
        return con

    def results(self, indicators: list[str] | None = None, directions: list[str] | None = None,
                city_only: bool = False, district: str | None = None) -> pd.DataFrame:
        """Tidy result rows, optionally filtered (in DuckDB, before anything reaches memory), sorted by
        their keys. ``district="all"`` leaves out the per-district rows (most of a full-detail store)."""
        if not self.part_files():
            return pd.DataFrame({c: pd.Series(dtype=t.to_pandas_dtype()) for c, t in
                                 zip(RESULT_SCHEMA.names, RESULT_SCHEMA.types)})
        where = []
        if indicators:
            where.append("indicator IN (" + ", ".join(_quote(i) for i in indicators) + ")")
        if directions:
            where.append("direction IN (" + ", ".join(_quote(d) for d in directions) + ")")
        if city_only:
            where.append("direction = 'all'")
        if district is not None:
            where.append(f"district = {_quote(district)}")
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        return self.frame(f"SELECT * FROM results {clause} ORDER BY scenario, sample, replicate, year, "
                          "direction, district, indicator")

    def frame(self, query: str) -> pd.DataFrame:
        """A query's rows (:meth:`sql`) as a DataFrame, through Arrow: each distinct text (scenario,
        direction, indicator...) is one Python object, so large tables stay small in memory."""
        try:
            relation = self._connect().sql(query)
            table = relation.to_arrow_table() if hasattr(relation, "to_arrow_table") else relation.arrow()
        except duckdb.Error as exc:
            bad = self.damaged_files()
            if bad:
                raise _damaged(bad[0], exc, more=len(bad) - 1) from None
            raise
        if set(RESULT_SCHEMA.names) == set(table.column_names):
            table = table.select(RESULT_SCHEMA.names).cast(RESULT_SCHEMA)
        return table.to_pandas(deduplicate_objects=True)

    def delivered_spending(self, projects: dict[str, int]) -> pd.DataFrame:
        """Money each lever paid out, as the model recorded it (indicators ``spending_<lever>``), averaged
        over replicates: by direction where the runs kept directions, else city totals (direction "all").

        Args:
            projects: Lever name -> major project number (for the ``project`` column).

        Returns:
            Columns scenario, sample, year, lever, project, direction, value (100m yuan per year).
        """
        columns = ["scenario", "sample", "year", "lever", "project", "direction", "value"]
        if not self.part_files():
            return pd.DataFrame(columns=columns)
        frame = self.sql(
            "SELECT scenario, sample, year, indicator, direction, avg(value) AS value FROM results "
            "WHERE indicator LIKE 'spending_%' AND indicator <> 'spending_100m_yuan' AND district = 'all' "
            "GROUP BY scenario, sample, year, indicator, direction").df()
        if frame.empty:
            return pd.DataFrame(columns=columns)
        has_directions = (frame["direction"] != "all").groupby([frame["scenario"], frame["sample"]]).transform("any")
        frame = frame[(frame["direction"] != "all") | ~has_directions]
        frame["lever"] = frame.pop("indicator").str.removeprefix("spending_")
        frame["project"] = frame["lever"].map(projects).fillna(0).astype(int)
        return frame[columns].sort_values(columns[:6]).reset_index(drop=True)

    def spending(self) -> pd.DataFrame:
        file = self.path / "spending.parquet"
        return pd.read_parquet(file) if file.exists() else pd.DataFrame(
            columns=["scenario", "sample", "year", "lever", "project", "direction", "value"])


def _damaged(file: Path, exc: BaseException, more: int = 0) -> InputError:
    others = f" (and {more} more)" if more > 0 else ""
    return InputError(f"a damaged file in the result store (empty, truncated or not written by weilai){others}: "
                      f"{str(exc).splitlines()[0][:120]}", file=file,
                      allowed=f"weilai status --repair {file.parent.parent if file.parent.name == 'parts' else file.parent}"
                      " sets it aside; the same command then reruns its runs")


@contextmanager
def _disk_errors(tmp: Path) -> Iterator[None]:
    """A full disk (or quota) while writing is an InputError; the temporary file is removed and the
    store keeps every whole part written before."""
    import errno

    try:
        yield
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or "No space left" in str(exc):
            raise InputError(f"cannot write the result store: {exc.strerror or 'no space left'}", file=tmp.parent,
                             allowed="free some space, then run the same command: it resumes from the runs on disk"
                             ) from None
        raise


def _quote(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _first_difference(old: dict, new: dict, prefix: str = "") -> str:
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a != b:
            if isinstance(a, dict) and isinstance(b, dict):
                return _first_difference(a, b, f"{prefix}{key}.")
            return f"{prefix}{key}: {_short(a)} here, {_short(b)} now"
    return "no difference"


def _short(value: Any) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def process_alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie (a killed process not yet reaped counts as gone)."""
    if pid <= 0:
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except FileNotFoundError:
        return False
    except (OSError, IndexError):  # no /proc: fall back to a signal probe
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def format_status(status: dict[str, Any], failures: list[dict[str, Any]] | None = None) -> str:
    """A few lines for the terminal from :meth:`ResultStore.status`."""
    total = status["runs_total"] or 0
    done = status["runs_done"]
    share = f" ({100 * done / total:.1f}%)" if total else ""
    lines = [
        f"{status['path']}: {status['kind']} '{status['name']}', created {status['created']}",
        f"  runs: {done} of {total} done{share}, {status['runs_failed']} failed, "
        f"{status['runs_missing']} still to run; {status['parts']} Parquet parts",
        f"  sessions: {status['sessions']}, wall time {status['wall_seconds'] / 60:.1f} min"
        + (f", last session {status['last_rate']:.2f} runs/s" if status["last_rate"] == status["last_rate"]
           else ""),
        f"  code version at creation: {status['code_version']}",
    ]
    if status["writing"]:
        line = "  a process is writing this store now (writer.lock)"
        if status.get("running_rate") == status.get("running_rate"):  # not NaN
            left = status["running_seconds_left"]
            line += (f": {status['running_rate']:.2f} runs/s on {status['running_executor']}"
                     + (f", about {left / 60:.0f} min left" if left == left else ""))
        lines.append(line)
    if status["runs_missing"] and not status["writing"]:
        lines.append("  resume: run the same command again; it runs only what is missing")
    for record in (failures or [])[:5]:
        lines.append(f"  failed: sample {record['sample']} replicate {record['replicate']} "
                     f"seed {record.get('seed')}: {record.get('error', '')[:100]}")
    if failures and len(failures) > 5:
        lines.append(f"  ... {len(failures) - 5} more in failures/")
    if status["runs_failed"]:
        lines.append("  retry the failed runs alone: the same command with --retry-failures")
    return "\n".join(lines)
