"""What an operator polls: GET /healthz (the store and the job queue answer: 200, else 503 saying which failed) and
GET /metrics in Prometheus's text format, made by prometheus_client: jobs per device and state, run durations,
request latency, and the process's own memory, CPU and open files."""
from __future__ import annotations
import sqlite3
from flask import Blueprint, Response, current_app, jsonify, request
from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client.exposition import choose_encoder
from prometheus_client.core import GaugeMetricFamily

from app import service

bp = Blueprint("ops", __name__)
JOB_STATES = ("queued", "running", "done", "failed")

class JobsCollector:
  """Job counts read from the store at each scrape, so they hold across restarts and whichever runner ran the jobs."""
  def __init__(self, store): self.store = store
  def collect(self):
    g = GaugeMetricFamily("wino_dash_jobs", "Jobs in the store by device and state (queued, running, done, failed)", labels=("device", "state"))
    counts = {(device, state): n for device, state, n in self.store.job_counts()}
    for device in sorted({d for d, _ in counts}):
      for state in JOB_STATES: g.add_metric((device, state), counts.get((device, state), 0))
    yield g

class Metrics:
  """One registry per app (not prometheus_client's global one), so that several apps in one process keep apart."""
  def __init__(self, store):
    self.registry = r = CollectorRegistry()
    self.requests = Histogram("wino_dash_request_seconds", "Time to answer an HTTP request, by method, route and status",
                              ("method", "route", "status"), registry=r,
                              buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
    self.job_runs = Histogram("wino_dash_job_run_seconds", "Wall time of a job from its start to its result (all its modes), by device",
                              ("device",), registry=r, buckets=(1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 3600))
    self.mode_runs = Counter("wino_dash_runs", "Finished runs of one mode, by device, mode and status (ok, not_applicable, error, "
                             "timeout, out_of_memory)", ("device", "mode", "status"), registry=r)
    ProcessCollector(registry=r)
    r.register(JobsCollector(store))

  def observe_request(self, method:str, route:str, status:int, seconds:float):
    self.requests.labels(method, route, str(status)).observe(seconds)

  def observe_result(self, device:str, comparison:dict, run_s:float|None):
    """A finished job (either runner): its wall time, and each mode's outcome."""
    if run_s is not None: self.job_runs.labels(device).observe(run_s)
    for mode, r in comparison["runs"].items(): self.mode_runs.labels(device, mode, r["status"]).inc()

@bp.get("/metrics")
def metrics():
  encode, content_type = choose_encoder(request.headers.get("Accept", ""))  # Prometheus's text format, or OpenMetrics if asked
  return Response(encode(current_app.extensions["wino"]["metrics"].registry), headers={"Content-Type": content_type})

@bp.get("/healthz")
def healthz():
  try: store = {"ok": True, "schema": service.store().ping()}
  except sqlite3.Error as e: store = {"ok": False, "error": f"the store cannot be read: {e}"}
  runner = service.runner()
  queue = runner.health() if hasattr(runner, "health") else {"ok": True}
  ok = store["ok"] and queue["ok"]
  return jsonify({"status": "ok" if ok else "failing", "store": store, "queue": queue}), 200 if ok else 503
