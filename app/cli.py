"""The `wino-dash` console script: compare (one conv in several modes, a table or --json), sweep, devices, serve, cache,
tinygrad (environments), worker (the queue). Above wino_core: it drives the library, the app and the queue."""
from __future__ import annotations
import argparse, json, os, platform, sys

def _compare_args(p:argparse.ArgumentParser):
  from wino_core.spec import ConvSpec
  d = ConvSpec()
  for name in ("batch", "cin", "cout", "h", "w", "stride", "dilation", "groups", "seed"):
    p.add_argument(f"--{name}", default=getattr(d, name), metavar="N")
  p.add_argument("--size", metavar="N", help="sets both --h and --w")
  p.add_argument("--kernel", default="3x3", metavar="KHxKW")
  p.add_argument("--padding", default="1", metavar="P|PH,PW|T,B,L,R")
  p.add_argument("--bias", action="store_true")
  p.add_argument("--dtype", default=d.dtype, metavar="float32|float16|bfloat16")
  p.add_argument("--modes", default="baseline,old,new", metavar="MODE[@TINYGRAD][+NAME=VALUE...],...",
                 help="columns: baseline, old, new, each on the pinned tinygrad or on an environment (old@0.13.0,old), "
                      "with tinygrad context variables set in its run only (baseline@pr-12763+WINO=1, baseline+NOOPT=1)")
  p.add_argument("--tinygrad", default=None, metavar="NAME", help="the tinygrad environment of every column that names none "
                 "(default: the pinned one; `wino-dash tinygrad list` shows the others)")
  p.add_argument("--db", default=None, help="the tinygrad environments are those beside this SQLite file (default: the instance folder's)")
  p.add_argument("--device", default=None, help="default: tinygrad's default device")
  p.add_argument("--repeat", default=10, type=int, help="timed runs per kernel after warm-up (default 10)")
  p.add_argument("--timeout", default=None, type=float, metavar="S", help="wall-clock limit per mode")
  p.add_argument("--processes", default=None, type=int, metavar="N", help="fresh processes each mode is timed in, interleaved (default 5)")
  p.add_argument("--force-new", action="store_true", help="NEW skips its cost model (rewrites convs it would leave alone)")
  g = p.add_mutually_exclusive_group()
  g.add_argument("--beam", type=int, default=0, metavar="N", help="tinygrad's BEAM=N search for every kernel (N in 1..4); results cached")
  g.add_argument("--noopt", action="store_true", help="no optimizations at all (NOOPT): the raw kernels")
  p.add_argument("--beam-seed", action="store_true", help="with --beam: each kernel's search starts from its own opts (NEW's pins, else tinygrad's heuristics)")
  p.add_argument("--search-budget", type=float, default=600, metavar="S", help="the most one mode's BEAM search may take (default 600 s)")
  p.add_argument("--search-cache", default=None, metavar="FILE", help="BEAM results (default: $WINO_DASH_SEARCH_CACHE, else ~/.cache/wino-dash)")
  p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")

LOOPBACK = ("127.0.0.1", "localhost", "::1")
MIN_TOKEN = 12

def run_settings(a, envs_home:str|None=None):
  """compare's and sweep's --timeout, --processes, --search-budget, --search-cache as the RunSettings every run path takes."""
  from wino_core.run import RunSettings
  from wino_core.search import user_cache_path
  from wino_core.spec import SpecError
  if a.processes is not None and not 1 <= a.processes <= 50: raise SpecError({"processes": f"must be in 1..50, got {a.processes}"})
  return RunSettings(**({"timeout_s": a.timeout} if a.timeout else {}), **({"processes": a.processes} if a.processes else {}),
                     search_budget_s=a.search_budget, search_cache=a.search_cache or user_cache_path(), envs_home=envs_home)

def search_request(a) -> dict|None:
  """--beam N [--beam-seed] | --noopt as the request's search (parse_search says what is wrong with it)"""
  return {"beam": a.beam, **({"seed": True} if a.beam_seed else {})} if a.beam or a.beam_seed else {"noopt": True} if a.noopt else None

def _fmt_s(x) -> str: return "-" if x is None else f"{x*1e3:.3f} ms" if x < 1 else f"{x:.2f} s"

def print_table(cmp:dict, out=sys.stdout):
  from wino_core.spec import parse_spec
  from wino_core.columns import describe_env
  print(f"{parse_spec(cmp['spec']).describe()} on {cmp['device']} (tinygrad {cmp['tinygrad']})", file=out)
  for ident in (cmp.get("tinygrad_envs") or {}).values(): print(f"  {describe_env(ident)}", file=out)
  w = max(9, *map(len, cmp["runs"]))
  print(f"{'mode':{w}} {'status':10} {'kernels':>7} {'kernel time (median)':>21} {'compile':>9} {'max rel err':>12}  note", file=out)
  for mode, r in cmp["runs"].items():
    kt = r["kernel_time_s"]["median"] if r.get("kernel_time_s") else None
    err = "-" if r.get("max_rel_err") is None else f"{r['max_rel_err']:.2e}"
    print(f"{mode:{w}} {r['status']:10} {len(r['kernels']):>7} {_fmt_s(kt):>21} {_fmt_s(r.get('compile_s')):>9} {err:>12}  {r['message']}", file=out)

def cmd_compare(a) -> int:
  from app import default_database
  from wino_core.columns import available_envs, local_var_types, named_envs, parse_columns
  from wino_core.compare import CompareRequest, compare
  from wino_core.envs import envs_home
  from wino_core.devices import check_device, default_device, tinygrad_version
  from wino_core.spec import SpecError, parse_spec
  raw = {k: getattr(a, k) for k in ("batch", "cin", "cout", "h", "w", "kernel", "stride", "padding", "dilation", "groups", "dtype", "seed")}
  raw["bias"] = a.bias
  if a.size is not None: raw["h"] = raw["w"] = a.size
  try:
    from wino_core.search import parse_search
    home = envs_home(a.db or default_database())
    known = available_envs(home, named_envs(a.modes, a.tinygrad))
    spec, (modes, envs) = parse_spec(raw), parse_columns(a.modes, known, tinygrad_version(), a.tinygrad, local_var_types(home, known))
    search = parse_search(search_request(a))
    if a.repeat < 1 or a.repeat > 1000: raise SpecError({"repeat": f"must be in 1..1000, got {a.repeat}"})
    device = a.device or default_device()
    check_device(spec, device)
    settings = run_settings(a, home)
  except SpecError as e:
    print(f"wino-dash: error: {e}", file=sys.stderr)
    return 2
  progress = None if a.json else (lambda mode, phase: print(f"  {mode}: {phase}", file=sys.stderr, flush=True))
  req = CompareRequest(spec, tuple(modes), device, tinygrad_version(), a.repeat, 0, a.force_new, search, json.dumps(envs, sort_keys=True))
  cmp = compare(req, settings, progress)
  from wino_core.verdict import summary_line, verdict
  v = verdict(cmp)
  if a.json: print(json.dumps({**cmp, "verdict": v}))
  else:
    print_table(cmp)
    print(summary_line(v))
  return 0

def _bar(done:int, total:int, width:int=20) -> str:
  n = round(width * done / max(total, 1))
  return "[" + "#" * n + "-" * (width - n) + f"] {done}/{total}"

def print_sweep(req, rows:list[dict], total:dict, out=sys.stdout):
  """A sweep's layer table and the network's totals, as text."""
  ms = lambda t: "-" if t is None else f"{t*1e3:.3f}"
  print(f"{'#':>3} {'layers':32} {'x':>2} {'conv':22} " + " ".join(f"{m + ' ms':>11}" for m in req.modes) + f" {'NEW/OLD':>7}  NEW", file=out)
  for i, r in enumerate(rows, 1):
    sp = r["spec"]
    conv = f"{sp['cin']}->{sp['cout']} {sp['h']}x{sp['w']} k{sp['kernel'][0]}" + (f"/{sp['stride']}" if sp["stride"] > 1 else "")
    ratio = "-" if r.get("new_old") is None else f"{r['new_old']:.2f}"
    why = f": {r['why']}" if r["why"] and r["new"] != "fired" else ""
    times = " ".join(f"{ms(r['time_s'].get(m)):>11}" for m in req.modes)
    print(f"{i:>3} {', '.join(r['names'])[:32]:32} {r['multiplicity']:>2} {conv:22} {times} {ratio:>7}  {r['new'] or '-'}{why}", file=out)
  sums = ", ".join(f"{m} {ms(total['time_s'][m])} ms{'' if total['complete'][m] else ' (incomplete)'}" for m in req.modes)
  ratios = "".join(f"; {k} {total[key]:.2f}" for k, key in (("NEW/OLD", "new_old"), ("NEW/baseline", "new_base"), ("OLD/baseline", "old_base"))
                   if total[key] is not None)
  print(f"total (median x multiplicity): {sums}{ratios}", file=out)

def cmd_sweep(a) -> int:
  """Every conv of a network through the modes, here and now (no server, nothing stored): the per-layer table and the
  network's totals, a progress bar on stderr."""
  from wino_core.spec import SpecError
  from wino_core.sweep_request import parse_sweep, run_sweep
  from wino_core.sweep_table import totals
  raw = {"model": a.model, "batch": a.batch, "dtype": a.dtype, "modes": a.modes, "repeat": a.repeat,
         **({"size": a.size} if a.size else {}), **({"device": a.device} if a.device else {}),
         **({"search": s} if (s:=search_request(a)) else {})}
  try:
    if a.model == "custom":
      if not a.layers: raise SpecError({"layers": "a custom network needs --layers FILE or 'name cin cout kernel stride padding size; ...'"})
      raw["layers"] = open(a.layers).read() if os.path.isfile(a.layers) else a.layers.replace(";", "\n")
    req = parse_sweep(raw)
    layers = req.layer_table()
    settings = run_settings(a)
  except SpecError as e:
    print(f"wino-dash: error: {e}", file=sys.stderr)
    return 2
  tty = sys.stderr.isatty()
  print(f"{req.title}: {sum(len(l['names']) for l in layers)} convs, {len(layers)} distinct, modes {', '.join(req.modes)} on {req.device}", file=sys.stderr)
  def progress(i:int, layer:dict, mode:str, phase:str):
    line = f"{_bar(i, len(layers))} {layer['names'][0]} · {mode}: {phase}"
    print(("\r" + line.ljust(78)) if tty else line, end="" if tty else "\n", file=sys.stderr, flush=True)
  rows = run_sweep(req, settings, progress)
  print(("\r" if tty else "") + _bar(len(layers), len(layers)).ljust(78 if tty else 0), file=sys.stderr)
  total = totals(rows, req.modes)
  if a.json:
    print(json.dumps({"request": req.to_dict(), "rows": rows, "totals": total}))
    return 0
  print_sweep(req, rows, total)
  return 0

def cmd_devices(a) -> int:
  from wino_core.devices import probe
  info = probe()
  if a.json: print(json.dumps(info))
  else:
    for d in info["devices"]: print(f"{'*' if d['default'] else ' '} {d['name']:8} {d['renderer']:16} {d['arch']:16} {', '.join(d['dtypes'])}")
    if info.get("error"): print(info["error"], file=sys.stderr)
  return 0

def cmd_serve(a) -> int:
  a.token = a.token or None  # an empty WINO_DASH_TOKEN is no token
  from app.access import configure
  from app.server import serve_dev, serve_production
  if a.token is not None and len(a.token) < MIN_TOKEN:
    print(f"wino-dash: error: the access token has {len(a.token)} characters, fewer than {MIN_TOKEN}: make a long random one, e.g. `openssl rand -hex 16`", file=sys.stderr)
    return 2
  if a.host not in LOOPBACK and not a.token:
    print(f"wino-dash: error: bound to {a.host}, not loopback, anyone who can reach it could queue compiles here: give an access token "
          "(WINO_DASH_TOKEN, which keeps it out of `ps`, or --token), e.g. `export WINO_DASH_TOKEN=$(openssl rand -hex 16)`", file=sys.stderr)
    return 2
  if a.protect_reads and not a.token:
    print("wino-dash: error: --protect-reads needs an access token (WINO_DASH_TOKEN or --token)", file=sys.stderr)
    return 2
  configure(a.log_level, a.access_log)
  def make_app():
    from app import create_app
    return create_app({**({"DATABASE": a.db} if a.db else {}), **({"QUEUE": a.queue} if a.queue else {}),
                       "TOKEN": a.token, "PROTECT_READS": a.protect_reads, "BEHIND_TLS": a.behind_tls})
  if a.dev:
    serve_dev(make_app, a.host, a.port)
    return 0
  from app.store import NewerSchema
  try: app = make_app()
  except NewerSchema as e:
    print(f"wino-dash: error: {e}", file=sys.stderr)
    return 2
  if a.queue:
    from app.rq_worker import redact
    jobs = f"jobs on the queue {redact(a.queue)}"
  else: jobs = "in-process jobs"
  print(f"wino-dash: serving on http://{a.host}:{a.port} with waitress, {a.threads} threads ({jobs}, results in {app.config['DATABASE']})", file=sys.stderr)
  serve_production(app, a.host, a.port, threads=a.threads, connection_limit=a.connection_limit, trusted_proxy=a.trusted_proxy)
  return 0

def cmd_cache(a) -> int:
  """`cache clear`: forget every kept BEAM result (the server's, beside its store, and the CLI's); `cache info` counts them."""
  from app import default_database
  from wino_core.search import SearchCache, cache_path_beside, user_cache_path
  paths = [a.path] if a.path else [cache_path_beside(a.db or default_database()), user_cache_path()]
  for path in paths:
    if not os.path.exists(path): print(f"{path}: no search cache", file=sys.stderr); continue
    cache = SearchCache(path)
    print(f"{path}: {'cleared ' + str(cache.clear()) if a.action == 'clear' else cache.count()} BEAM results")
  return 0

def cmd_worker(a) -> int:
  if not a.queue:
    print("wino-dash: error: --queue redis://[:PASSWORD@]HOST:PORT/DB (or $WINO_DASH_QUEUE) is required", file=sys.stderr)
    return 2
  from app import default_database
  from wino_core.envs import envs_home
  from app.rq_worker import run_worker
  return run_worker(a.queue, a.name, a.devices.split(",") if a.devices else None, envs_home(a.db or default_database()))

# ***** `wino-dash tinygrad`: the tinygrad environments a comparison can run on (wino_core/envs.py) *****

def _tinygrad_args(sub):
  t = sub.add_parser("tinygrad", help="tinygrad environments beside the pinned one: other releases (a venv each) and checkouts")
  tsub = t.add_subparsers(dest="action", required=True)
  add = tsub.add_parser("add", help="install a release (add 0.13.0), register a checkout in place (add --path DIR --name NAME), "
                       "or make one at a git ref (add --git CLONE_OR_URL --ref REF --name NAME)")
  add.add_argument("version", nargs="?", help="a tinygrad release on the package index, e.g. 0.13.0")
  add.add_argument("--path", default=None, metavar="DIR", help="a checkout: the directory holding the tinygrad package (a clone's root); never copied")
  add.add_argument("--git", default=None, metavar="PATH_OR_URL", help="a repository (a local clone works offline) to make a checkout of --ref from")
  add.add_argument("--ref", default=None, help="with --git: a branch, tag, commit or ref, e.g. refs/pull/12763/head")
  add.add_argument("--name", default=None, help="the checkout's name, e.g. pr-1234")
  ls = tsub.add_parser("list", help="the environments: name, kind, version, and a checkout's path, commit, branch, changes")
  ls.add_argument("--json", action="store_true", help="one JSON object: {home, envs: [identity + python], failed: [{name, error}]}")
  rm = tsub.add_parser("remove", help="forget an environment (a release's venv is deleted, a checkout's files are left alone)")
  rm.add_argument("name")
  for q in (add, ls, rm):
    q.add_argument("--db", default=None, help="the server's SQLite file (the environments live beside it; default: the instance folder's)")
  t.set_defaults(fn=cmd_tinygrad)

def cmd_tinygrad(a) -> int:
  from app import default_database
  from wino_core.envs import EnvError, envs_home, remove
  home = envs_home(a.db or default_database())
  try:
    if a.action == "add": return _tinygrad_add(a, home)
    if a.action == "list": return _tinygrad_list(a, home)
    remove(home, a.name)
    print(f"removed {a.name}")
    return 0
  except EnvError as e:
    print(f"wino-dash: error: {e}", file=sys.stderr)
    return 2

def _tinygrad_add(a, home:str) -> int:
  from wino_core.envs import EnvError, add_checkout, add_git, add_release, identity
  if a.git is not None or a.ref is not None:
    if a.version or a.path: raise EnvError("--git makes a checkout of its own: give no VERSION or --path with it")
    if not (a.git and a.ref and a.name): raise EnvError("a checkout at a git ref needs all three: --git CLONE_OR_URL --ref REF --name NAME")
    env = add_git(home, a.git, a.ref, a.name, log=lambda line: print(line, file=sys.stderr, flush=True))
    print(f"added {env.name}: {_describe(identity(env))}")
    return 0
  if a.path is not None:
    if a.version: raise EnvError(f"give a VERSION or --path DIR --name NAME, not both (got {a.version} and --path {a.path})")
    if not a.name: raise EnvError("a checkout needs a name: --path DIR --name NAME (e.g. --name pr-1234)")
    env = add_checkout(home, a.path, a.name)
    print(f"added {env.name}: {_describe(identity(env))}")
    return 0
  if not a.version: raise EnvError("give a release (`wino-dash tinygrad add 0.13.0`) or a checkout (`--path DIR --name NAME`)")
  if a.name: raise EnvError(f"--name is for a checkout (--path); a release is named by its version, {a.version}")
  env = add_release(home, a.version, log=lambda line: print(line, file=sys.stderr, flush=True))
  print(f"added {env.name}: tinygrad {env.version}, python {env.python}")
  return 0

def _describe(ident:dict) -> str:
  """One environment as a line: its version, and for a checkout where it is and what state it is in."""
  version = ident.get("version") or "version unknown"
  if ident["kind"] != "checkout": return f"{ident['kind']}, tinygrad {version}"
  if ident["commit"] is None: state = f"not in git, files {ident['diff_hash']}"
  else:
    on = ident["branch"] or (f"ref {ident['ref']}" if ident.get("ref") else "a detached HEAD")
    state = f"{ident['commit'][:12]} on {on}, " + (f"dirty (changes {ident['diff_hash']})" if ident["dirty"] else "clean")
  return f"checkout at {ident['path']}, tinygrad {version}, {state}"

def _tinygrad_list(a, home:str) -> int:
  from wino_core.envs import EnvError, failed, identity, list_envs
  rows = []
  for env in list_envs(home):
    try: rows.append({**identity(env), "python": env.python})
    except EnvError as e: rows.append({"name": env.name, "kind": env.kind, "path": env.path, "python": env.python, "error": str(e)})
  bad = [{"name": n, "error": msg} for n, msg in failed(home).items()]
  if a.json:
    print(json.dumps({"home": home, "envs": rows, "failed": bad}))
    return 0
  width = max(len(r["name"]) for r in rows + bad)
  for r in rows: print(f"{r['name']:{width}}  {r['error'] if 'error' in r else _describe(r)}")
  for r in bad: print(f"{r['name']:{width}}  failed: {r['error']}")
  return 0

def main(argv:list[str]|None=None) -> int:
  p = argparse.ArgumentParser(prog="wino-dash", description="Compare tinygrad's conv kernels: baseline, OLD (WINO=1), NEW (a UOp rewrite).")
  sub = p.add_subparsers(dest="cmd", required=True)
  _compare_args(c:=sub.add_parser("compare", help="compile and time one conv in several modes"))
  c.set_defaults(fn=cmd_compare)
  from wino_core.networks import MODELS
  sw = sub.add_parser("sweep", help="every conv of a network (resnet18, resnet50, vgg16, unet, or custom) in several modes")
  sw.add_argument("model", choices=(*MODELS, "custom"))
  sw.add_argument("--batch", default=1, type=int)
  sw.add_argument("--size", default=None, type=int, help="input height = width (default: the model's, 224 or U-Net's 256)")
  sw.add_argument("--dtype", default="float32", metavar="float32|float16|bfloat16")
  sw.add_argument("--modes", default="baseline,old,new")
  sw.add_argument("--device", default=None, help="default: tinygrad's default device")
  sw.add_argument("--repeat", default=10, type=int, help="timed runs per kernel after warm-up (default 10)")
  sw.add_argument("--timeout", default=None, type=float, metavar="S", help="wall-clock limit per mode and layer")
  sw.add_argument("--processes", default=None, type=int, metavar="N", help="fresh processes each mode is timed in, interleaved (default 5)")
  sw.add_argument("--search-budget", type=float, default=600, metavar="S", help="the most one mode's BEAM search may take (default 600 s)")
  sw.add_argument("--search-cache", default=None, metavar="FILE", help="BEAM results (default: $WINO_DASH_SEARCH_CACHE, else ~/.cache/wino-dash)")
  sw.add_argument("--layers", default=None, metavar="FILE|TEXT", help="custom: a file, or 'name cin cout kernel stride padding size; ...'")
  g = sw.add_mutually_exclusive_group()
  g.add_argument("--beam", type=int, default=0, metavar="N", help="BEAM=N search for every kernel (results cached)")
  g.add_argument("--noopt", action="store_true", help="no optimizations (NOOPT)")
  sw.add_argument("--beam-seed", action="store_true", help="with --beam: each kernel's search starts from its own opts (NEW's pins, else the heuristics)")
  sw.add_argument("--json", action="store_true", help="one JSON object: the request, each layer's row, the totals")
  sw.set_defaults(fn=cmd_sweep)
  (d:=sub.add_parser("devices", help="list the devices tinygrad can open here")).set_defaults(fn=cmd_devices)
  d.add_argument("--json", action="store_true")
  s = sub.add_parser("serve", help="start the dashboard (in-process jobs, SQLite in the instance folder)")
  s.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1 (loopback only)")
  s.add_argument("--port", default=5000, type=int)
  s.add_argument("--db", default=None, help="SQLite file (default: the instance folder's wino-dash.sqlite3)")
  s.add_argument("--queue", default=os.environ.get("WINO_DASH_QUEUE"), metavar="redis://[:PASSWORD@]HOST:PORT/DB",
                 help="run jobs on `wino-dash worker`s through RQ on this Redis (default: $WINO_DASH_QUEUE, else in-process)")
  s.add_argument("--token", default=os.environ.get("WINO_DASH_TOKEN"), metavar="TOKEN",
                 help="access token that requests queueing work must carry; required off loopback (default: $WINO_DASH_TOKEN, which keeps it out of `ps`)")
  s.add_argument("--protect-reads", action="store_true", help="with a token, stored results, history and exports need it too")
  s.add_argument("--threads", default=8, type=int, help="request threads of the production server (default 8)")
  s.add_argument("--connection-limit", default=200, type=int, metavar="N", help="open connections the server accepts at once; more wait to be accepted (default 200)")
  s.add_argument("--trusted-proxy", default=None, metavar="ADDR", help="a reverse proxy's address: take the client address and scheme from its X-Forwarded-* headers")
  s.add_argument("--behind-tls", action="store_true", default=os.environ.get("WINO_DASH_BEHIND_TLS", "") not in ("", "0"),
                 help="browsers reach the server over https (a TLS proxy in front): the session cookie is Secure (default: $WINO_DASH_BEHIND_TLS)")
  s.add_argument("--dev", action="store_true", help="Flask's development server with auto-reload, for working on the app; never for a shared server")
  s.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"), help="info and debug include the access log (default info)")
  s.add_argument("--access-log", default="-", metavar="FILE", help="one JSON line per request (method, path, status, ms, bytes, client) to FILE (default -: stderr)")
  s.set_defaults(fn=cmd_serve)
  k = sub.add_parser("cache", help="the BEAM search cache: clear it, or count what it holds")
  k.add_argument("action", choices=("clear", "info"))
  k.add_argument("--db", default=None, help="the server's SQLite file (its search cache sits beside it; default: the instance folder's)")
  k.add_argument("--path", default=None, help="one search cache file, instead of the server's and the CLI's")
  k.set_defaults(fn=cmd_cache)
  _tinygrad_args(sub)
  w = sub.add_parser("worker", help="serve this host's devices to a server's queue (RQ on Redis)")
  w.add_argument("--queue", default=os.environ.get("WINO_DASH_QUEUE"), metavar="redis://[:PASSWORD@]HOST:PORT/DB",
                 help="the server's Redis (default: $WINO_DASH_QUEUE, which keeps the password off the command line)")
  w.add_argument("--name", default=platform.node().split(".")[0], help="this worker's name in the device picker (default: the host name)")
  w.add_argument("--devices", default=None, metavar="CPU,CUDA,...", help="serve only these (default: every device tinygrad opens)")
  w.add_argument("--db", default=None, help="its tinygrad environments are those beside this SQLite file (default: the instance folder's)")
  w.set_defaults(fn=cmd_worker)
  a = p.parse_args(argv)
  return a.fn(a)

if __name__ == "__main__": sys.exit(main())
