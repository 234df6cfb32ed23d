"""The sandbox's iptables rules, as text: only its own chains and jumps, by its id."""

from stork.sandbox.netguard import (
    Dnat,
    GuardSpec,
    install_script,
    parse_chains,
    parse_jumps,
    remove_script,
)

SERVICES = ("10.96.0.0/16", "10.100.0.0/16")


def test_without_nodes_only_output_to_the_service_cidrs_is_rejected() -> None:
    scripts = install_script(GuardSpec("abcd1234", SERVICES), set())
    assert set(scripts) == {"filter"}
    assert scripts["filter"].splitlines() == [
        "*filter",
        ":STORK-abcd1234-OUT - [0:0]",
        '-A STORK-abcd1234-OUT -d 10.96.0.0/16 -m comment --comment "stork-sandbox:abcd1234" '
        "-j REJECT --reject-with icmp-net-unreachable",
        '-A STORK-abcd1234-OUT -d 10.100.0.0/16 -m comment --comment "stork-sandbox:abcd1234" '
        "-j REJECT --reject-with icmp-net-unreachable",
        '-I OUTPUT 1 -m comment --comment "stork-sandbox:abcd1234" -j STORK-abcd1234-OUT',
        "COMMIT",
    ]


def test_with_nodes_the_bridges_are_exempt_kept_local_and_dnat_reaches_the_apiservers() -> None:
    spec = GuardSpec(
        "abcd1234",
        (*SERVICES, "10.244.1.0/24", "10.244.2.0/24"),
        bridges=("stork0-src", "stork0-dst"),
        dnat=(Dnat("10.96.0.1", 40001), Dnat("10.100.0.1", 40002)),
    )
    scripts = install_script(spec, set())
    out = scripts["filter"]
    # the bridges' RETURNs come before any REJECT
    assert out.index("-o stork0-dst") < out.index("REJECT")
    assert out.count("REJECT") == 4
    assert "-A STORK-abcd1234-FWD -i stork0-src -o stork0-src" in out
    assert (
        '-A STORK-abcd1234-FWD -i stork0-src -m comment --comment "stork-sandbox:abcd1234" -j DROP'
        in out
    )
    assert "-d 127.0.0.0/8 -m conntrack ! --ctstate DNAT" in out
    for hook in ("OUTPUT", "INPUT", "FORWARD"):
        assert f'-I {hook} 1 -m comment --comment "stork-sandbox:abcd1234"' in out
    nat = scripts["nat"].splitlines()
    dnat = [line for line in nat if "DNAT --to-destination" in line]
    assert len(dnat) == 4  # each bridge to each apiserver
    assert any(
        "-i stork0-dst -d 10.96.0.1/32 -p tcp --dport 443" in line
        and line.endswith("127.0.0.1:40001")
        for line in dnat
    )
    assert "-I PREROUTING 1" in scripts["nat"]


def test_jumps_already_present_are_not_inserted_again() -> None:
    spec = GuardSpec("abcd1234", SERVICES)
    jump = 'OUTPUT -m comment --comment "stork-sandbox:abcd1234" -j STORK-abcd1234-OUT'
    assert "-I OUTPUT" not in install_script(spec, {jump})["filter"]


LISTING = """-P OUTPUT ACCEPT
-N STORK-abcd1234-OUT
-N STORK-ffff0000-OUT
-A OUTPUT -m comment --comment "stork-sandbox:abcd1234" -j STORK-abcd1234-OUT
-A OUTPUT -m comment --comment "stork-sandbox:ffff0000" -j STORK-ffff0000-OUT
-A STORK-abcd1234-OUT -d 10.96.0.0/16 -m comment --comment "stork-sandbox:abcd1234" -j REJECT
"""


def test_removal_touches_only_the_sandboxs_own_rules() -> None:
    jumps = parse_jumps(LISTING, "abcd1234")
    chains = parse_chains(LISTING, "abcd1234")
    assert jumps == {'OUTPUT -m comment --comment "stork-sandbox:abcd1234" -j STORK-abcd1234-OUT'}
    assert chains == {"STORK-abcd1234-OUT"}
    script = remove_script("filter", jumps, chains)
    assert "ffff0000" not in script
    assert script.splitlines() == [
        "*filter",
        '-D OUTPUT -m comment --comment "stork-sandbox:abcd1234" -j STORK-abcd1234-OUT',
        "-F STORK-abcd1234-OUT",
        "-X STORK-abcd1234-OUT",
        "COMMIT",
    ]
