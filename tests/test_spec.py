import pytest
from wino_core.spec import Caps, ConvSpec, SpecError, parse_spec

def field_of(raw, caps=None) -> str:
  with pytest.raises(SpecError) as e: parse_spec(raw, caps)
  return e.value.field

def test_defaults_are_the_seeds_shape():
  s = parse_spec({})
  assert (s.batch, s.cin, s.cout, s.h, s.w, s.kernel, s.padding, s.dtype) == (1, 16, 16, 32, 32, (3, 3), (1, 1, 1, 1), "float32")
  assert s.output_shape == (1, 16, 32, 32)

@pytest.mark.parametrize("raw,field", [
  ({"batch": "two"}, "batch"), ({"cin": 1.5}, "cin"), ({"cout": True}, "cout"), ({"h": "3.0"}, "h"),
  ({"batch": 0}, "batch"), ({"w": -4}, "w"), ({"stride": 0}, "stride"), ({"dilation": 0}, "dilation"), ({"groups": 0}, "groups"),
  ({"padding": -1}, "padding"), ({"padding": "1,2,3"}, "padding"), ({"kernel": "0x3"}, "kernel"), ({"kernel": "3x3x3"}, "kernel"),
  ({"cin": 6, "groups": 4}, "groups"), ({"cin": 8, "cout": 6, "groups": 4}, "groups"),
  ({"h": 2, "padding": 0}, "h"), ({"w": 4, "padding": 0, "dilation": 2}, "w"),
  ({"dtype": "int8"}, "dtype"), ({"dtype": "float64"}, "dtype"), ({"bias": "maybe"}, "bias"), ({"seed": -1}, "seed"),
  ({"colour": 3}, "colour"),
])
def test_each_rule_names_its_field(raw, field):
  assert field_of(raw) == field

def test_message_says_the_rule_and_the_value():
  with pytest.raises(SpecError) as e: parse_spec({"batch": 0})
  assert "at least 1" in str(e.value) and "0" in str(e.value)
  with pytest.raises(SpecError) as e: parse_spec({"cin": 6, "groups": 4})
  assert "must divide cin 6" in str(e.value)

def test_all_bad_fields_are_reported_at_once():
  with pytest.raises(SpecError) as e: parse_spec({"batch": 0, "cin": "x", "dtype": "int8"})
  assert set(e.value.errors) == {"batch", "cin", "dtype"}

def test_caps_refuse_big_tensors_and_flops_with_the_numbers():
  with pytest.raises(SpecError) as e: parse_spec({"batch": 64, "cin": 1024, "h": 64, "w": 64})
  assert "elements" in str(e.value) and f"{2**26:,}" in str(e.value)
  with pytest.raises(SpecError) as e: parse_spec({"batch": 8, "cin": 512, "cout": 512, "h": 128, "w": 128})
  assert "FLOPs" in str(e.value) and f"{2**36:,}" in str(e.value)
  # the caps are configurable
  assert parse_spec({"batch": 4}, Caps(max_tensor_elements=4*16*32*32)).batch == 4
  assert field_of({"batch": 4096}, Caps(max_tensor_elements=4*16*32*32)) == "batch"

@pytest.mark.parametrize("raw,fields", [
  ({"h": 100000, "w": 100000}, {"h", "w"}), ({"w": 10**7}, {"w"}), ({"batch": 64, "cin": 4096}, {"cin"}),
  ({"cout": 2**20}, {"cout"}), ({"kernel": "3000x3000", "padding": 2000}, {"kernel"}), ({"padding": 100000}, {"padding"}),
  ({"batch": 16, "cin": 512, "cout": 512}, {"cin", "cout"}),
])
def test_caps_blame_the_fields_that_make_it_too_large(raw, fields):
  with pytest.raises(SpecError) as e: parse_spec(raw)
  assert set(e.value.errors) == fields and e.value.field in fields
  assert f"{' and '.join(sorted(fields))} make{'s' if len(fields) == 1 else ''} it too large" in str(e.value)
  assert str(e.value).count("over the cap") == 1  # said once, for all the fields it names

@pytest.mark.parametrize("raw", [
  {}, {"padding": [0, 1, 2, 3], "kernel": [5, 3], "bias": True, "dtype": "float16", "seed": 7}, {"dtype": "bfloat16"},
  {"batch": 3, "cin": 6, "cout": 9, "h": 13, "w": 9, "groups": 3, "stride": 2, "dilation": 2, "padding": 2},
])
def test_canonical_forms_round_trip(raw):
  s = parse_spec(raw)
  assert parse_spec(s.to_dict()) == s
  assert ConvSpec.from_query(s.to_query()) == s
  assert parse_spec(s.to_dict()).to_json() == s.to_json()

def test_form_strings_parse_like_json():
  assert parse_spec({"batch": "2", "kernel": "3x3", "padding": "1,2", "bias": "on", "dtype": "float16"}) == \
         parse_spec({"batch": 2, "kernel": [3, 3], "padding": [1, 1, 2, 2], "bias": True, "dtype": "float16"})

def test_padding_order_is_top_bottom_left_right():
  s = parse_spec({"padding": [1, 2, 3, 4]})
  assert s.padding == (1, 2, 3, 4) and s.tinygrad_padding == (3, 4, 1, 2)
  assert s.out_hw == (32 + 3 - 2, 32 + 7 - 2)
