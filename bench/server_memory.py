"""Server memory over many comparisons: RSS of a real `wino-dash serve` before and after N comparisons (tiny specs,
distinct seeds, baseline + OLD + NEW), each also read back as a page and as JSON. Linux (/proc).

  python bench/server_memory.py [-n 200]
"""
import argparse, json, os, signal, sys, tempfile, time, urllib.request
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tests.serving import Server

def rss_mb(pid:int) -> float:
  with open(f"/proc/{pid}/status") as f: return next(int(l.split()[1]) for l in f if l.startswith("VmRSS")) / 1024

def compare(url:str, seed:int) -> str:
  body = {"spec": {"cin": 2, "cout": 2, "h": 6, "w": 6, "seed": seed}, "modes": ["baseline", "old", "new"], "repeat": 1}
  req = urllib.request.Request(url + "/api/compare", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
  r = json.loads(urllib.request.urlopen(req, timeout=60).read())
  while r.get("status_url") and json.loads(urllib.request.urlopen(url + r["status_url"], timeout=60).read())["state"] not in ("done", "failed"):
    time.sleep(0.2)
  for path in (f"/c/{r['id']}", f"/c/{r['id']}.json", "/history"): urllib.request.urlopen(url + path, timeout=60).read()
  return r["id"]

def main():
  signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # a `timeout` still stops the server (it runs in a session of its own)
  p = argparse.ArgumentParser()
  p.add_argument("-n", type=int, default=200)
  a = p.parse_args()
  with tempfile.TemporaryDirectory() as d:
    s = Server(os.path.join(d, "db.sqlite3")).start()
    try:
      st = time.monotonic()
      compare(s.url, 0)
      samples = [(1, rss_mb(s.proc.pid))]
      for i in range(1, a.n):
        compare(s.url, i)
        if (i + 1) % 25 == 0:
          samples.append((i + 1, rss_mb(s.proc.pid)))
          print(f"  {i+1} comparisons, {time.monotonic()-st:.0f} s: RSS {samples[-1][1]:.0f} MB", flush=True)
      print(f"{a.n} comparisons in {time.monotonic()-st:.0f} s; server RSS after k comparisons: " + ", ".join(f"{k}: {m:.0f} MB" for k, m in samples))
      print(f"RSS after the first: {samples[0][1]:.0f} MB, after {a.n}: {samples[-1][1]:.0f} MB")
    finally: s.kill()

if __name__ == "__main__": main()
