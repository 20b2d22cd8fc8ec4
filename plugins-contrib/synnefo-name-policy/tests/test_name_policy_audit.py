"""``jsonl-audit``: one JSON line per state change and finished job, after commit."""
import json


def read_lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_created_server_leaves_its_facts_in_the_file(deploy, tmp_path):
    deployment = deploy(hooks="default-scheduler jsonl-audit",
                        **{"jsonl_audit.path": str(tmp_path / "audit.jsonl")})
    server_id = int(deployment.create_server("vm").json["server"]["id"])
    deployment.settle()
    lines = read_lines(tmp_path / "audit.jsonl")
    jobs = [line for line in lines if line["hook"] == "backend_job_finished"]
    changes = [line for line in lines if line["hook"] == "vm_state_changed"]
    assert [(j["server_id"], j["opcode"], j["status"]) for j in jobs] == \
        [(server_id, "OP_INSTANCE_CREATE", "success")]
    assert [(c["server_id"], c["old_operstate"], c["new_operstate"]) for c in changes] == \
        [(server_id, "BUILD", "STARTED")]
    assert changes[0]["event_time"].startswith("20")  # ISO 8601


def test_the_default_path_is_next_to_the_ini(deploy):
    deployment = deploy(hooks="default-scheduler jsonl-audit")
    deployment.create_server("vm")
    deployment.settle()
    assert read_lines(deployment.ini.parent / "audit.jsonl")


def test_disabled_it_writes_nothing(deploy):
    deployment = deploy(hooks="default-scheduler")
    deployment.create_server("vm")
    deployment.settle()
    assert not (deployment.ini.parent / "audit.jsonl").exists()
