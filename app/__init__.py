"""wino-dash's Flask app: an application factory, a blueprint per area, thin views over wino_core and the store."""
from __future__ import annotations
import os, pathlib, sys

DEFAULTS = {
  "DATABASE": None,             # default: <instance folder>/wino-dash.sqlite3
  "REPEAT": 10,                 # timed runs per kernel after warm-up
  "RUN_TIMEOUT_S": 300,         # wall-clock limit of one mode's child process
  "TIMING_PROCESSES": None,     # fresh processes each mode is timed in, interleaved (wino_core/rounds.py); default 5
  "MAX_QUEUE": 20,              # queued + running jobs, all clients together
  "MAX_QUEUED_PER_CLIENT": 5,
  "MAX_SWEEP_LAYERS": 64,       # distinct convs (comparisons) one sweep may run
  "MAX_SWEEPS": 10,             # queued + running sweeps, all clients together
  "MAX_SWEEPS_PER_CLIENT": 2,
  "MAX_CONTENT_LENGTH": 64 * 1024,  # request bodies: a spec is a few hundred bytes
  "PAGE_CACHE_SIZE": 64,        # rendered result views kept in memory
  "SWEEP_ROW_CACHE_SIZE": 1024,  # sweep rows' outcomes (a stored comparison's, ~1 KB each) kept in memory
  "RUNNER": None,               # a job runner object; default: the embedded in-process runner
  "QUEUE": None,                # redis://[:password@]host:port/db: jobs go to `wino-dash worker`s through RQ instead
  "SEARCH_BUDGET_S": 600,       # the most one mode's BEAM search may take; past it the run ends with a message
  "SEARCH_PARALLEL": None,      # compile processes a BEAM search uses; default: this machine's cores
  "TOKEN": None,                # an access token: requests that queue work must carry it (app/auth.py); None: open
  "PROTECT_READS": False,       # with a TOKEN, every page and export needs it too (only /healthz and /login stay open)
  "BEHIND_TLS": False,          # a TLS proxy in front: the session cookie is Secure (it always is on a request over https)
  "TINYGRAD_ENVS": None,        # the tinygrad environments (`wino-dash tinygrad add`); default: tinygrad/ beside DATABASE
  "SEARCH_CACHE": None,         # BEAM results kept across runs and restarts; default: search-cache.sqlite3 beside DATABASE
}

def instance_path() -> str:
  """Flask's instance folder for this package, by Flask's own rule (flask.sansio.scaffold.find_package) but without
  Flask, so the CLI finds the store without building an app: instance/ beside the package in a checkout,
  <prefix>/var/app-instance when the package is installed."""
  where = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  prefix = os.path.abspath(sys.prefix)
  if pathlib.PurePath(where).is_relative_to(prefix): return os.path.join(prefix, "var", "app-instance")
  parent, folder = os.path.split(where)
  if folder.lower() != "site-packages": return os.path.join(where, "instance")
  up, lib = os.path.split(parent)  # prefix/lib/site-packages, prefix/lib/pythonX.Y/site-packages or prefix/site-packages
  prefix = up if lib.lower() == "lib" else os.path.dirname(up) if os.path.basename(up).lower() == "lib" else parent
  return os.path.join(prefix, "var", "app-instance")

def default_database() -> str:
  """The store's file when none is given: wino-dash.sqlite3 in the instance folder."""
  return os.path.join(instance_path(), "wino-dash.sqlite3")

def create_app(config:dict|None=None):
  from flask import Flask
  app = Flask(__name__, instance_path=instance_path(), instance_relative_config=True)
  app.config.from_mapping(DEFAULTS)
  if config: app.config.from_mapping(config)
  if app.config["DATABASE"] is None:  # only then: given a --db, the code's directory may be read-only (docs/deploy.md)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config["DATABASE"] = os.path.join(app.instance_path, "wino-dash.sqlite3")

  from app.store import Store
  from app.in_process_runner import InProcessRunner
  store = Store(app.config["DATABASE"])
  from wino_core.search import cache_path_beside
  if app.config["SEARCH_CACHE"] is None: app.config["SEARCH_CACHE"] = cache_path_beside(app.config["DATABASE"])
  from wino_core.envs import envs_home
  if app.config["TINYGRAD_ENVS"] is None: app.config["TINYGRAD_ENVS"] = envs_home(app.config["DATABASE"])
  from app.ops import Metrics
  metrics = Metrics(store)
  from wino_core.run import RunSettings
  settings = RunSettings(timeout_s=app.config["RUN_TIMEOUT_S"], search_cache=app.config["SEARCH_CACHE"], search_budget_s=app.config["SEARCH_BUDGET_S"],
                         parallel=app.config["SEARCH_PARALLEL"], envs_home=app.config["TINYGRAD_ENVS"],
                         **({"processes": app.config["TIMING_PROCESSES"]} if app.config["TIMING_PROCESSES"] else {}))
  limits = dict(max_queue=app.config["MAX_QUEUE"], max_per_client=app.config["MAX_QUEUED_PER_CLIENT"], settings=settings, metrics=metrics)
  if (runner:=app.config["RUNNER"]) is None and app.config["QUEUE"]:
    from app.rq_runner import RqRunner
    runner = RqRunner(store, app.config["QUEUE"], **limits)
  runner = runner or InProcessRunner(store, **limits)
  from app.sweep_runner import SweepRunner
  sweep_runner = SweepRunner(store, runner, max_active=app.config["MAX_SWEEPS"], max_per_client=app.config["MAX_SWEEPS_PER_CLIENT"])
  app.extensions["wino"] = {"store": store, "runner": runner, "metrics": metrics, "sweeps": sweep_runner}

  from app import access, api, auth, ops, pages, errors, security, filters, sweep_pages
  access.register(app, on_request=metrics.observe_request)  # first: its timer starts before any other hook can refuse the request
  auth.register(app)
  app.register_blueprint(ops.bp)
  filters.register(app)
  app.register_blueprint(pages.bp)
  app.register_blueprint(api.bp)
  app.register_blueprint(sweep_pages.bp)
  errors.register(app)
  security.register(app)
  return app
