"""Kernel roles that need the whole schedule (wino_core.capture.refine_roles), on the kernel lists runs produce."""
from wino_core.capture import refine_roles

def k(role, reads, writes, reduces=False): return {"role": role, "reads": reads, "writes": writes, "reduces": reduces}

def test_a_rule_that_materializes_tiles_and_the_output_transform_pairs_by_role():
  """The seeds' rule (pull request 12763, six kernels): GHAT, a copy of the input into 6x6 tiles, XHAT from the tiles,
  MHAT, At·M·A into a buffer, that buffer copied into the conv's result. Buffers: x 0, w 1, out 2, the rest tmp."""
  kernels = [k("weight transform", [1], [3]), k("input transform", [0], [4]), k("other", [4], [5]),
             k("batched product", [5, 3], [6], True), k("other", [6], [7]), k("output", [7], [2])]
  assert [x["role"] for x in refine_roles(kernels)] == \
    ["weight transform", "input tiles", "input transform", "batched product", "output", "output copy"]

def test_four_kernel_winograd_and_the_direct_conv_keep_their_roles():
  old = [k("weight transform", [1], [3]), k("input transform", [0], [4]), k("batched product", [4, 3], [5], True), k("output", [5], [2])]
  assert [x["role"] for x in refine_roles([dict(x) for x in old])] == [x["role"] for x in old]
  assert [x["role"] for x in refine_roles([k("conv", [0, 1], [2], True)])] == ["conv"]
  # an 'other' kernel that feeds nothing Winograd-like stays 'other'
  assert [x["role"] for x in refine_roles([k("other", [3], [4]), k("conv", [0, 1], [2], True)])] == ["other", "conv"]
