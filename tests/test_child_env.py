"""Code under review sees no secrets: a `mode@checkout` column runs a pull request's tinygrad in a child, and that child
gets an allow-listed environment (wino_core/childenv.py), a HOME and working directory of its own, and not the store's
path. The probe is a checkout whose tinygrad writes down what it sees when it is imported."""
import json, os, shutil, time
from app import create_app
from wino_core.childenv import child_environ, passed
from wino_core.envs import add_checkout, envs_home

QUEUE = "redis://:secretpw@10.0.0.5:6379/0"
TOKEN = "tok-3f9a1c2e7b6d5a4f"

def test_only_what_tinygrad_needs_passes():
  server = {"PATH": "/usr/bin", "LANG": "C.UTF-8", "LC_ALL": "C", "CUDA_VISIBLE_DEVICES": "1", "DEV": "CUDA", "CPU_CC": "LLVM",
            "LD_LIBRARY_PATH": "/usr/local/cuda/lib64", "WINO_DASH_NEW_LAYOUT": "gpu", "WINO_DASH_TOKEN": TOKEN, "WINO_DASH_QUEUE": QUEUE,
            "REDIS_URL": QUEUE, "AWS_SECRET_ACCESS_KEY": "x", "GITHUB_TOKEN": "x", "CUDA_API_KEY": "x", "DATABASE_URL": "postgres://a:b@h/d",
            "CUDA_FOO": "https://user:pw@host/", "BEAM": "2", "NOOPT": "1", "HOME": "/home/server", "PYTHONPATH": "/srv/site", "VIRTUAL_ENV": "/srv/venv"}
  env = child_environ("/tmp/run", server)
  assert env == {"PATH": "/usr/bin", "LANG": "C.UTF-8", "LC_ALL": "C", "CUDA_VISIBLE_DEVICES": "1", "DEV": "CUDA", "CPU_CC": "LLVM",
                 "LD_LIBRARY_PATH": "/usr/local/cuda/lib64", "WINO_DASH_NEW_LAYOUT": "gpu",
                 "HOME": "/tmp/run", "TMPDIR": "/tmp/run", "TMP": "/tmp/run", "TEMP": "/tmp/run"}
  assert not passed("MY_PASSWORD", "x") and not passed("CUDA_PATH", "https://u:p@h/")

def test_a_checkout_column_sees_no_secret_and_no_store(tinygrad_checkout, tmp_path, monkeypatch):
  repo, seen = tmp_path / "tinygrad-probe", tmp_path / "seen.json"
  shutil.copytree(tinygrad_checkout, repo)
  with open(repo / "tinygrad" / "__init__.py", "a") as f:  # what code under review could do: read its environment
    f.write(f"\nimport json as _j, os as _o\nopen({str(seen)!r}, 'w').write(_j.dumps({{'environ': dict(_o.environ), 'cwd': _o.getcwd()}}))\n")
  db = str(tmp_path / "store" / "db.sqlite3")
  add_checkout(envs_home(db), str(repo), "probe")
  for k, v in {"WINO_DASH_TOKEN": TOKEN, "WINO_DASH_QUEUE": QUEUE, "REDIS_URL": QUEUE, "SOME_API_KEY": "k-77aa"}.items(): monkeypatch.setenv(k, v)
  c = create_app({"DATABASE": db, "TESTING": True}).test_client()
  r = c.post("/api/compare", json={"spec": {"cin": 2, "cout": 2, "h": 6, "w": 6}, "modes": ["baseline", "baseline@probe"], "repeat": 1})
  assert r.status_code == 202, r.get_data(as_text=True)
  while c.get(r.get_json()["status_url"]).get_json()["state"] not in ("done", "failed"): time.sleep(0.1)
  assert c.get(f"/c/{r.get_json()['id']}.json").get_json()["runs"]["baseline@probe"]["status"] == "ok"
  child = json.loads(seen.read_text())
  text = json.dumps(child)
  assert not {"WINO_DASH_TOKEN", "WINO_DASH_QUEUE", "REDIS_URL", "SOME_API_KEY"} & set(child["environ"])
  assert TOKEN not in text and "secretpw" not in text and "k-77aa" not in text
  assert str(tmp_path / "store") not in text, "nothing tells the child where the store is"
  assert child["environ"]["HOME"] == child["cwd"] != os.path.expanduser("~") and not os.path.exists(child["cwd"]), "a HOME of its own, removed after"

def test_a_pinned_child_keeps_the_callers_pythonpath(monkeypatch, tmp_path):
  """The pinned tinygrad may be importable only through PYTHONPATH (a package dir installed with --target, as on the GPU
  hosts): the child must see it too, after the wino_core beside this one (a child without it failed every mode there)."""
  from wino_core.run import PROJECT_ROOT, pinned_pythonpath
  monkeypatch.setenv("PYTHONPATH", f"{tmp_path}/site{os.pathsep}{tmp_path}/more")
  assert pinned_pythonpath().split(os.pathsep) == [PROJECT_ROOT, f"{tmp_path}/site", f"{tmp_path}/more"]
  monkeypatch.delenv("PYTHONPATH")
  assert pinned_pythonpath() == PROJECT_ROOT
