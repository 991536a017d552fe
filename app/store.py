"""Storage behind one small interface; the embedded default is SQLite in WAL mode in the instance folder.
Comparisons are immutable once written (INSERT OR IGNORE); jobs are the mutable part. JSON only: nothing is pickled."""
from __future__ import annotations
import json, os, sqlite3, threading, time
from typing import Any, Callable

# each entry moves the schema one version up; applied in order, in one transaction each
MIGRATIONS = [
  """CREATE TABLE comparisons (id TEXT PRIMARY KEY, created REAL NOT NULL, device TEXT NOT NULL, tinygrad TEXT NOT NULL,
       modes TEXT NOT NULL, spec TEXT NOT NULL, request TEXT NOT NULL, data TEXT NOT NULL);
     CREATE INDEX comparisons_created ON comparisons(created);
     CREATE TABLE jobs (id TEXT PRIMARY KEY, comparison_id TEXT NOT NULL, state TEXT NOT NULL, progress TEXT NOT NULL,
       message TEXT NOT NULL DEFAULT '', request TEXT NOT NULL, client TEXT NOT NULL DEFAULT '', created REAL NOT NULL, updated REAL NOT NULL);
     CREATE INDEX jobs_comparison ON jobs(comparison_id, state);""",
  # what a history row shows (fired / fastest / NEW/OLD / worst error), kept beside the data so a listing reads no runs;
  # rows from before are filled in on first listing
  """ALTER TABLE comparisons ADD COLUMN outcome TEXT""",
  # a sweep: a network's distinct convs, each an ordinary comparison; `layers` is its table (spec, names, comparison id,
  # the job that runs it, status), rewritten as the layers finish; `totals` (per mode, and the ratios) once it is done
  """CREATE TABLE sweeps (id TEXT PRIMARY KEY, created REAL NOT NULL, updated REAL NOT NULL, state TEXT NOT NULL,
       request TEXT NOT NULL, layers TEXT NOT NULL, client TEXT NOT NULL DEFAULT '', message TEXT NOT NULL DEFAULT '', totals TEXT);
     CREATE INDEX sweeps_created ON sweeps(created);""",
]
ACTIVE = ("queued", "running")
_job_listeners: dict[str, list] = {}  # a database's real path -> what Store.on_job_state registered

class NewerSchema(RuntimeError):
  """The database was written by a newer wino-dash: its tables are not the ones this code knows, so it is not opened."""

def _tinygrads(comparison:dict) -> list[str]:
  """The tinygrads a comparison's columns ran on (the pinned version, environment names), for history's column and filter."""
  return list(dict.fromkeys(r.get("tinygrad") or comparison["tinygrad"] for r in comparison["runs"].values())) or [comparison["tinygrad"]]

def _outcome(comparison:dict, request:dict) -> dict | None:
  from wino_core.verdict import outcome
  try: return outcome(comparison, request)
  except (KeyError, TypeError, ValueError, ZeroDivisionError): return None  # a partial record (tests, faults): no summary

class Store:
  def __init__(self, path:str):
    self.path, self._local = path, threading.local()
    self._write_lock = threading.Lock()
    self.migrate()

  def _db(self) -> sqlite3.Connection:
    if (db:=getattr(self._local, "db", None)) is None:
      db = self._local.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
      db.row_factory = sqlite3.Row
      db.execute("PRAGMA journal_mode=WAL")
      db.execute("PRAGMA synchronous=NORMAL")
    return db

  def migrate(self):
    db = self._db()
    with self._write_lock:
      version = db.execute("PRAGMA user_version").fetchone()[0]
      if version > len(MIGRATIONS):
        raise NewerSchema(f"{self.path} has schema v{version}, newer than this wino-dash's v{len(MIGRATIONS)}: a newer wino-dash "
                          "wrote it; serve it with that one (or update this checkout), or give another --db. It was not changed.")
      for i, sql in enumerate(MIGRATIONS[version:], start=version + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
          for stmt in filter(str.strip, sql.split(";")): db.execute(stmt)
          db.execute(f"PRAGMA user_version={i}")
          db.execute("COMMIT")
        except Exception:
          db.execute("ROLLBACK")
          raise

  def ping(self) -> int:
    """Reads the file (a health check); returns the schema version."""
    self._db().execute("SELECT 1 FROM jobs LIMIT 1").fetchall()
    return self.schema_version

  @property
  def schema_version(self) -> int: return self._db().execute("PRAGMA user_version").fetchone()[0]

  # ***** comparisons: written once, never changed *****
  def put_comparison(self, cid:str, request:dict, comparison:dict) -> bool:
    """Stores a comparison under its id; False (and nothing changes) if that id is already stored."""
    cur = self._db().execute("INSERT OR IGNORE INTO comparisons (id, created, device, tinygrad, modes, spec, request, data, outcome) VALUES (?,?,?,?,?,?,?,?,?)",
      (cid, time.time(), comparison["device"], ",".join(_tinygrads(comparison)), ",".join(comparison["runs"]), json.dumps(comparison["spec"], sort_keys=True),
       json.dumps(request, sort_keys=True), json.dumps(comparison), json.dumps(_outcome(comparison, request))))
    return cur.rowcount == 1

  def has_comparison(self, cid:str) -> bool:
    return self._db().execute("SELECT 1 FROM comparisons WHERE id=?", (cid,)).fetchone() is not None

  def get_comparison(self, cid:str) -> dict | None:
    row = self._db().execute("SELECT id, created, request, data FROM comparisons WHERE id=?", (cid,)).fetchone()
    if row is None: return None
    return {**json.loads(row["data"]), "id": row["id"], "created": row["created"], "request": json.loads(row["request"])}

  def list_comparisons(self, limit:int=100, offset:int=0, shape:dict[str, int]|None=None, device:str|None=None,
                       search:dict|None=None, tinygrad:str|None=None) -> list[dict]:
    """Newest first; `shape` filters on spec fields (batch, cin, cout, h, w, dtype, ...) by equality, `device` on the
    device, `search` on the request's search setting ({} the heuristics, {"beam": N[, "seed": True]}, {"noopt": True}), `tinygrad` on
    a tinygrad one of the columns ran on (a version or an environment's name)."""
    where, args = [], []
    if tinygrad: where, args = [*where, "',' || tinygrad || ',' LIKE ? ESCAPE '\\'"], [*args, "%," + tinygrad.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ",%"]
    for k, v in (shape or {}).items():
      where.append(f"json_extract(spec, '$.{k}') = ?")
      args.append(v)
    if device: where, args = [*where, "device = ?"], [*args, device]
    if search == {}: where.append("json_extract(request, '$.search') IS NULL")
    if search and "beam" in search and "seed" not in search: where.append("json_extract(request, '$.search.seed') IS NULL")  # BEAM=N: unseeded
    for k, v in (search or {}).items():
      where.append(f"json_extract(request, '$.search.{k}') = ?")
      args.append(int(v))
    sql = ("SELECT id, created, device, tinygrad, modes, spec, request, outcome FROM comparisons" + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY created DESC LIMIT ? OFFSET ?")
    return [{"id": r["id"], "created": r["created"], "device": r["device"], "tinygrad": r["tinygrad"], "modes": r["modes"].split(","),
             "spec": json.loads(r["spec"]), "request": json.loads(r["request"]),
             "outcome": json.loads(r["outcome"]) if r["outcome"] else self._fill_outcome(r["id"])}
            for r in self._db().execute(sql, (*args, limit, offset))]

  def _fill_outcome(self, cid:str) -> dict | None:
    """A row stored before the outcome column: computed once from its data and kept."""
    if (c:=self.get_comparison(cid)) is None: return None
    out = _outcome(c, c["request"])
    self._db().execute("UPDATE comparisons SET outcome=? WHERE id=? AND outcome IS NULL", (json.dumps(out), cid))
    return out

  def devices(self) -> list[str]: return [r[0] for r in self._db().execute("SELECT DISTINCT device FROM comparisons ORDER BY device")]
  def tinygrads(self) -> list[str]:
    return sorted({t for (r,) in self._db().execute("SELECT DISTINCT tinygrad FROM comparisons") for t in r.split(",")})

  def count_comparisons(self) -> int: return self._db().execute("SELECT count(*) FROM comparisons").fetchone()[0]

  # ***** jobs *****
  def create_job(self, jid:str, cid:str, request:dict, client:str, progress:dict) -> dict:
    """Creates a queued job unless one for the same comparison is already queued or running: then returns that one."""
    db = self._db()
    with self._write_lock:
      db.execute("BEGIN IMMEDIATE")
      try:
        row = db.execute(f"SELECT * FROM jobs WHERE comparison_id=? AND state IN {ACTIVE}", (cid,)).fetchone()
        if row is None:
          now = time.time()
          db.execute("INSERT INTO jobs (id, comparison_id, state, progress, request, client, created, updated) VALUES (?,?,?,?,?,?,?,?)",
                     (jid, cid, "queued", json.dumps(progress), json.dumps(request, sort_keys=True), client, now, now))
          row = db.execute("SELECT * FROM jobs WHERE id=?", (jid,)).fetchone()
        db.execute("COMMIT")
      except Exception:
        db.execute("ROLLBACK")
        raise
    return _job(row)

  def update_job(self, jid:str, *, state:str|None=None, progress:dict|None=None, message:str|None=None):
    sets, args = ["updated=?"], [time.time()]
    for col, val in (("state", state), ("progress", None if progress is None else json.dumps(progress)), ("message", message)):
      if val is not None:
        sets.append(f"{col}=?")
        args.append(val)
    self._db().execute(f"UPDATE jobs SET {', '.join(sets)} WHERE id=?", (*args, jid))
    if state is not None:
      for fn in list(_job_listeners.get(os.path.realpath(self.path), ())): fn(jid, state)

  def on_job_state(self, fn) -> Callable[[], None]:
    """fn(job id, state) after each write of a job's state (running, done, failed) to this database by any Store of
    this process, in the writer's thread: every runner writes its jobs' states through a Store, so whoever waits on a
    job hears of it without polling. Returns the function that stops it."""
    fns = _job_listeners.setdefault(os.path.realpath(self.path), [])
    fns.append(fn)
    return lambda: fns.remove(fn)

  def get_job(self, jid:str) -> dict | None:
    row = self._db().execute("SELECT * FROM jobs WHERE id=?", (jid,)).fetchone()
    return None if row is None else _job(row)

  def active_jobs(self, client:str|None=None) -> list[dict]:
    sql, args = f"SELECT * FROM jobs WHERE state IN {ACTIVE}", ()
    if client is not None: sql, args = sql + " AND client=?", (client,)
    return [_job(r) for r in self._db().execute(sql + " ORDER BY created", args)]

  def job_counts(self) -> list[tuple[str, str, int]]:
    """(device, state, count) over every job (the metrics)."""
    return [tuple(r) for r in self._db().execute("SELECT json_extract(request, '$.device'), state, count(*) FROM jobs GROUP BY 1, 2")]

  def fail_unfinished(self, message:str) -> int:
    """After a restart nothing is running any more: every queued or running job is marked failed."""
    return self._db().execute(f"UPDATE jobs SET state='failed', message=?, updated=? WHERE state IN {ACTIVE}", (message, time.time())).rowcount

  # ***** sweeps *****
  def create_sweep(self, sid:str, request:dict, layers:list[dict], client:str) -> tuple[dict, bool]:
    """(sweep, new): a queued sweep under its id, or the one already stored under it."""
    now = time.time()
    cur = self._db().execute("INSERT OR IGNORE INTO sweeps (id, created, updated, state, request, layers, client) VALUES (?,?,?,?,?,?,?)",
                             (sid, now, now, "queued", json.dumps(request, sort_keys=True), json.dumps(layers), client))
    return self.get_sweep(sid), cur.rowcount == 1

  def get_sweep(self, sid:str) -> dict | None:
    row = self._db().execute("SELECT * FROM sweeps WHERE id=?", (sid,)).fetchone()
    return None if row is None else _sweep(row)

  def update_sweep(self, sid:str, *, state:str|None=None, layers:list[dict]|None=None, message:str|None=None, totals:dict|None=None):
    sets, args = ["updated=?"], [time.time()]
    for col, val in (("state", state), ("layers", None if layers is None else json.dumps(layers)), ("message", message),
                     ("totals", None if totals is None else json.dumps(totals))):
      if val is not None:
        sets.append(f"{col}=?")
        args.append(val)
    self._db().execute(f"UPDATE sweeps SET {', '.join(sets)} WHERE id=?", (*args, sid))

  def list_sweeps(self, limit:int=50, active:bool=False) -> list[dict]:
    """Newest first; `active`: only queued or running ones, oldest first (the order they run in)."""
    sql = f"SELECT * FROM sweeps WHERE state IN {ACTIVE} ORDER BY created" if active else "SELECT * FROM sweeps ORDER BY created DESC"
    return [_sweep(r) for r in self._db().execute(sql + " LIMIT ?", (limit,))]

def _sweep(row:sqlite3.Row) -> dict[str, Any]:
  return {"id": row["id"], "created": row["created"], "updated": row["updated"], "state": row["state"], "request": json.loads(row["request"]),
          "layers": json.loads(row["layers"]), "client": row["client"], "message": row["message"],
          "totals": json.loads(row["totals"]) if row["totals"] else None}

def _job(row:sqlite3.Row) -> dict[str, Any]:
  return {"id": row["id"], "comparison_id": row["comparison_id"], "state": row["state"], "progress": json.loads(row["progress"]),
          "message": row["message"], "request": json.loads(row["request"]), "client": row["client"], "created": row["created"],
          "updated": row["updated"]}
