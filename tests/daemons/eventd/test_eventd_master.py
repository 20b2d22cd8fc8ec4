"""Who is master, from Ganeti's ssconf files (re-read so a failover is noticed)."""
from synnefo.daemons.eventd.master import MasterCheck, Ssconf


def _ssconf(tmp_path, master):
    (tmp_path / "ssconf_master_node").write_text(master + "\n")
    (tmp_path / "ssconf_cluster_name").write_text("cluster.example.test\n")
    return Ssconf(str(tmp_path))


def test_recorded_ssconf_names_the_master_and_the_cluster():
    import os
    ssconf = Ssconf(os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "ganeti-3.0",
                                 "ssconf"))
    assert ssconf.master_node() == "node1.example.test"
    assert ssconf.cluster_name() == "cluster.example.test"


def test_master_check_follows_a_failover_after_its_interval(tmp_path):
    clock = [0.0]
    check = MasterCheck(_ssconf(tmp_path, "node1.example.test"), "NODE1.example.test.",
                        interval=5, clock=lambda: clock[0])
    assert check.is_master() and check.cluster_name == "cluster.example.test"
    _ssconf(tmp_path, "node2.example.test")
    clock[0] = 4.9
    assert check.is_master()  # cached until the interval is over
    clock[0] = 5.0
    assert not check.is_master()


def test_without_ssconf_the_node_stands_by(tmp_path):
    assert not MasterCheck(Ssconf(str(tmp_path)), "node1.example.test").is_master()
