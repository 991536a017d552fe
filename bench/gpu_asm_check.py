"""The CUDA check of issue 25: a comparison's CUDA kernels have PTX, SASS and resources, and a SASS diff of NEW vs
OLD's batched product, as the dashboard shows it.

  python bench/gpu_asm_check.py [--device CUDA] [--shape 8,64,64,56] [--dtype float16] [--out DIR]

Runs OLD and NEW (NEW forced, so its rewrite shows whatever its cost model says) through a real wino-dash server on
this machine, then prints per kernel: its levels (or why a level is missing: e.g. no nvdisasm on PATH), registers,
spills, shared/local memory, occupancy and the SASS mix (HMMA/FFMA/LDG.128 ...). Into --out it writes the comparison's
JSON, the standalone export opened on the SASS diff of the batched products (normalized registers, 3 lines of
context; it opens offline), and, where a Chromium is installed, a screenshot of that diff (sass-diff.png).
Exit status 1 when a CUDA kernel lacks PTX, SASS or its registers."""
import argparse, json, os, sys, tempfile, urllib.request
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]
from serving import CHROMIUM_ARGS, Server, chromium_path, compare_via_api

def main() -> int:
  p = argparse.ArgumentParser()
  p.add_argument("--device", default="CUDA")
  p.add_argument("--shape", default="8,64,64,56", help="batch,cin,cout,size (3x3, padding 1)")
  p.add_argument("--dtype", default="float16")
  p.add_argument("--out", default=os.environ.get("OUT", "."))
  a = p.parse_args()
  os.makedirs(a.out, exist_ok=True)
  batch, cin, cout, size = map(int, a.shape.split(","))
  server = Server(os.path.join(tempfile.mkdtemp(prefix="wino-asm-check-"), "db.sqlite3")).start(timeout=300)
  try:
    c = compare_via_api(server, {"spec": {"batch": batch, "cin": cin, "cout": cout, "h": size, "w": size, "padding": 1, "dtype": a.dtype},
                                 "modes": ["old", "new"], "device": a.device, "repeat": 3, "force_new": True}, timeout=1200)
    with open(os.path.join(a.out, "comparison.json"), "w") as f: json.dump(c, f)
    ok, product = True, {}
    for mode, r in c["runs"].items():
      print(f"{mode}: {r['status']} {r.get('message', '')[:120]}")
      for i, k in enumerate(r.get("kernels", [])):
        asm = k.get("assembly") or {}
        res, mix = asm.get("resources") or {}, (asm.get("mix") or {}).get("counts", {})
        occ = res.get("occupancy")
        print(f"  #{i} {k['name']:28} {k['role']:17} {k.get('stage', ''):6} levels {','.join(asm.get('levels', {})) or '-':9} "
              f"regs {res.get('registers', '-')} spills {res.get('spill_store_bytes', '-')}/{res.get('spill_load_bytes', '-')} B "
              f"smem {res.get('shared_bytes', '-')} B local {res.get('local_bytes', '-')} B "
              f"occupancy {'-' if occ is None else f'{occ:.0%}'} ({res.get('blocks_per_sm', '-')} blocks/SM)")
        print(f"      {(asm.get('mix') or {}).get('of', '')} mix: {' '.join(f'{key}={n}' for key, n in mix.items())}")
        for level, why in (asm.get("missing") or {}).items(): print(f"      no {level}: {why}")
        if not {"ptx", "sass"} <= set(asm.get("levels", {})) or "registers" not in res: ok = False
        if k["role"] == "batched product": product[mode] = i
    # the pair index of the batched products in the page's pairing (wino_core.diff.pair_kernels)
    from wino_core.diff import pair_kernels
    pair = next((n for n, q in enumerate(pair_kernels(c["runs"]["old"]["kernels"], c["runs"]["new"]["kernels"]))
                 if q["a"] == product.get("old") and q["b"] == product.get("new")), 0)
    query = f"a=old&b=new&pair={pair}&lvl=sass&norm=1&ctx=3"
    html = urllib.request.urlopen(f"{server.url}/c/{c['id']}.html?{query}").read()
    with open(os.path.join(a.out, "sass-diff.html"), "wb") as f: f.write(html)
    print(f"comparison {c['id']}; the SASS diff of the batched products: {a.out}/sass-diff.html (opens offline), view ?{query}")
    try:
      from playwright.sync_api import sync_playwright
      with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = b.new_page(viewport={"width": 1500, "height": 1100})
        page.goto(f"{server.url}/c/{c['id']}?{query}#diff")
        page.wait_for_selector("#diff-table tr")
        page.locator("#diff").screenshot(path=os.path.join(a.out, "sass-diff.png"))
        b.close()
      print(f"screenshot: {a.out}/sass-diff.png")
    except Exception as e: print(f"no screenshot ({type(e).__name__}: {str(e)[:200]}): open sass-diff.html in a browser instead")
    print("CUDA kernels have PTX, SASS and registers: " + ("yes" if ok else "NO"))
    return 0 if ok else 1
  finally: server.kill()

if __name__ == "__main__": sys.exit(main())
