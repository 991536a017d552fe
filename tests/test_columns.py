"""A comparison's columns: modes on tinygrads (`mode`, `mode@env`), their order, errors, verdict pairs and ids."""
import pytest

from wino_core.columns import describe_env, parse_columns, verdict_pairs
from wino_core.compare import CompareRequest
from wino_core.spec import ConvSpec, SpecError

PINNED = "0.14.0"
CHECKOUT = {"name": "pr-1", "kind": "checkout", "path": "/src/tinygrad", "commit": "a" * 40, "branch": "fix", "dirty": True,
            "diff_hash": "0123456789ab", "url": None, "version": None}
KNOWN = {PINNED: {"name": PINNED, "kind": "pinned", "version": PINNED},
         "0.13.0": {"name": "0.13.0", "kind": "release", "version": "0.13.0"}, "pr-1": CHECKOUT,
         "broken": {"name": "broken", "error": "tinygrad environment 'broken' failed to install: no such version"}}

def test_plain_modes_stay_plain_and_canonical():
  assert parse_columns("new,baseline,old,new", KNOWN, PINNED) == (["baseline", "old", "new"], {})
  # naming the pinned tinygrad is the same as naming none: old ids and links stay
  assert parse_columns(["old@0.14.0", "NEW"], KNOWN, PINNED) == (["old", "new"], {})

def test_columns_on_other_tinygrads_keep_their_order_within_a_mode():
  cols, envs = parse_columns(["new@pr-1", "old@0.13.0", "old"], KNOWN, PINNED)
  assert cols == ["old@0.13.0", "old", "new@pr-1"]
  assert envs == {"0.13.0": KNOWN["0.13.0"], "pr-1": CHECKOUT}

def test_tinygrad_applies_to_columns_that_name_none():
  assert parse_columns("baseline,old@0.14.0", KNOWN, PINNED, tinygrad="pr-1")[0] == ["baseline@pr-1", "old"]

def test_unknown_and_broken_environments_say_what_is_wrong():
  with pytest.raises(SpecError) as e: parse_columns("old@nope", KNOWN, PINNED)
  assert e.value.field == "modes" and "unknown tinygrad environment 'nope'" in str(e.value) and "0.13.0" in str(e.value)
  with pytest.raises(SpecError) as e: parse_columns("old", KNOWN, PINNED, tinygrad="nope")
  assert e.value.field == "tinygrad"
  with pytest.raises(SpecError) as e: parse_columns("old@broken", KNOWN, PINNED)
  assert "cannot run" in str(e.value) and "failed to install" in str(e.value)
  with pytest.raises(SpecError) as e: parse_columns("winograd@0.13.0", KNOWN, PINNED)
  assert "unknown mode 'winograd'" in str(e.value)

def test_verdict_pairs_across_tinygrads():
  assert verdict_pairs(["baseline", "old", "new"]) is None  # the usual NEW/OLD/baseline pairs
  assert verdict_pairs(["old@0.13.0", "old"]) == [("old", "old@0.13.0")]
  assert verdict_pairs(["baseline@pr-1", "baseline", "new@pr-1", "new"]) == [
    ("baseline", "baseline@pr-1"), ("new", "new@pr-1"), ("new@pr-1", "baseline@pr-1"), ("new", "baseline")]
  assert verdict_pairs(["baseline@pr-1", "new"]) == [("new", "baseline@pr-1")]

def test_an_environments_identity_is_part_of_the_id():
  spec = ConvSpec()
  plain = CompareRequest(spec, ("old", "new"), "CPU", PINNED)
  import json
  on_pr = CompareRequest(spec, ("old", "old@pr-1"), "CPU", PINNED, envs_json=json.dumps({"pr-1": CHECKOUT}))
  edited = CompareRequest(spec, ("old", "old@pr-1"), "CPU", PINNED, envs_json=json.dumps({"pr-1": {**CHECKOUT, "diff_hash": "ffffffffffff"}}))
  assert "tinygrad_envs" not in plain.to_dict()  # ids made before environments existed do not change
  assert len({plain.id, on_pr.id, edited.id}) == 3
  assert CompareRequest.from_dict(on_pr.to_dict()).id == on_pr.id

def test_describe_env():
  assert describe_env(CHECKOUT) == "pr-1: checkout /src/tinygrad at aaaaaaaaaa (branch fix, dirty 0123456789ab)"
  assert describe_env(KNOWN["0.13.0"]) == "0.13.0: tinygrad 0.13.0 (release)"

def test_a_request_takes_only_the_identities_it_names(tmp_path):
  """An identity runs git several times per checkout: a request that names no environment takes none."""
  from wino_core.columns import available_envs, named_envs
  from wino_core.envs import add_checkout
  (tmp_path / "co" / "tinygrad").mkdir(parents=True)
  (tmp_path / "co" / "tinygrad" / "__init__.py").write_text("")
  add_checkout(str(tmp_path / "home"), str(tmp_path / "co"), "pr-1")
  assert named_envs(["old", "new@pr-1"]) == {"pr-1"} and named_envs("old,new", " 0.13.0 ") == {"0.13.0"} and named_envs(3) is None
  assert available_envs(str(tmp_path / "home"), set())["pr-1"] == {"name": "pr-1", "kind": "checkout"}
  assert "diff_hash" in available_envs(str(tmp_path / "home"), {"pr-1"})["pr-1"]
