"""ExecStart= words: what quote_exec_argv writes, split_exec_argv reads back word for word."""

from hypothesis import given, strategies as st

from ansible_collections.inferops.amd.plugins.module_utils._systemd.units import quote_exec_argv, split_exec_argv
from ansible_collections.inferops.amd.plugins.module_utils._ryzenadj import unit as ryzenadj_unit

# Words with every character quote_exec_arg treats specially, and plain ones.
WORD = st.text(alphabet=st.sampled_from(list("ab-=/.0 \t\"'\\;%$")), max_size=12)


@given(st.lists(WORD, min_size=1, max_size=6))
def test_round_trip(argv):
    assert split_exec_argv(quote_exec_argv(argv)) == argv


def test_specifiers_and_variables_are_undone():
    assert split_exec_argv("/bin/tool %%h $$HOME") == ["/bin/tool", "%h", "$HOME"]


def test_quotes_group_and_whitespace_separates():
    assert split_exec_argv('/bin/tool  "a b"\t\'c d\' e') == ["/bin/tool", "a b", "c d", "e"]


def test_ryzenadj_flags_come_back_from_a_quoted_unit():
    text = "[Service]\nExecStart=%s\n" % quote_exec_argv(["/opt/ryzen adj/ryzenadj", "--stapm-limit=80000",
                                                          "--tctl-temp=95"])
    assert ryzenadj_unit.exec_flags(text) == {"stapm-limit": 80000, "tctl-temp": 95}
