"""Malformed input answers a 4xx OpenStack fault that says what was wrong, never a 500.

Each case reproduces a 500 seen in issue #12 (deep JSON, invalid UTF-8, lone surrogates, NUL
bytes on PostgreSQL, huge integers and ids, errors raised at commit).
"""
import pytest
import sqlalchemy as sa
from sqlalchemy import event

C = "/compute/v2.1"
DEEP = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"auth": ' + DEEP + b"}"
LISTINGS = [f"{C}/servers", f"{C}/servers/detail", f"{C}/flavors", f"{C}/flavors/detail",
            f"{C}/images", f"{C}/images/detail", "/image/v2/images", f"{C}/v2/images"]


def fault_of(response, status: int) -> str:
    """The message of an OpenStack fault body with ``status``."""
    assert response.status_int == status, response.text
    assert response.content_type == "application/json"
    (_name, fault), = response.json.items()
    assert fault["code"] == status and fault["message"]
    return fault["message"]


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT])
def test_deeply_nested_json_is_400_even_without_a_token(world, body):
    response = world.app.post("/identity/v3/auth/tokens", body, status="*",
                              headers={"Content-Type": "application/json"})
    assert "nested too deeply" in fault_of(response, 400)


def test_deeply_nested_json_is_400_on_authenticated_routes(world):
    server_id = world.create()
    for path in (f"{C}/servers", f"{C}/servers/{server_id}/action",
                 f"{C}/servers/{server_id}/metadata"):
        response = world.app.post(path, DEEP_OBJECT, status="*", headers={
            **world.headers(), "Content-Type": "application/json"})
        assert "nested too deeply" in fault_of(response, 400)


@pytest.mark.parametrize("path", LISTINGS)
def test_invalid_utf8_in_the_query_string_is_400(world, path):
    response = world.app.get(f"{path}?marker=%ED%A0%80", headers=world.headers(), status="*")
    assert "UTF-8" in fault_of(response, 400)


@pytest.mark.parametrize("path", [f"{C}/images/%ED%A0%80", f"{C}/servers/1/metadata/%FF",
                                  "/image/v2/images/%C3"])
def test_invalid_utf8_in_the_path_is_400(world, path):
    response = world.app.get(path, headers=world.headers(), status="*")
    assert "UTF-8" in fault_of(response, 400)


@pytest.mark.parametrize("text", ["\ud800", "a\x00b"])
def test_lone_surrogates_and_nul_in_names_and_metadata_are_400(any_db_world, text):
    w = any_db_world
    server_id = w.create()
    cases = [
        w.post(f"{C}/servers", {"server": {"name": text, "imageRef": w.image, "flavorRef": "1",
                                           "networks": "none"}}, status="*"),
        w.post(f"{C}/servers", {"server": {"name": "ok", "imageRef": w.image, "flavorRef": "1",
                                           "networks": "none", "metadata": {"k": text}}},
               status="*"),
        w.put(f"{C}/servers/{server_id}", {"server": {"name": text}}, status="*"),
        w.post(f"{C}/servers/{server_id}/metadata", {"metadata": {text: "v"}}, status="*"),
        w.put(f"{C}/servers/{server_id}/metadata", {"metadata": {"k": text}}, status="*"),
        w.put(f"{C}/servers/{server_id}/metadata/k", {"meta": {"k": text}}, status="*"),
    ]
    for response in cases:
        assert "control character or a lone surrogate" in fault_of(response, 400)
    assert w.get(f"{C}/servers/{server_id}").json["server"]["metadata"] == {}
    assert len(w.get(f"{C}/servers").json["servers"]) == 1


@pytest.mark.parametrize("query", ["name=a%00b", "marker=a%00b", "id=a%00b", "id=in:x,a%00b"])
def test_nul_in_image_queries_is_400(any_db_world, query):
    for path in (f"{C}/images", "/image/v2/images"):
        response = any_db_world.app.get(f"{path}?{query}", headers=any_db_world.headers(),
                                        status="*")
        assert "control character" in fault_of(response, 400)


def test_nul_in_the_server_name_filter_is_400(any_db_world):
    response = any_db_world.get(f"{C}/servers?name=a%00b", status="*")
    assert "control character" in fault_of(response, 400)


@pytest.mark.parametrize("path", ["images/a%00b", "images/a%00b/metadata",
                                  "servers/1/metadata/a%00b"])
def test_nul_in_path_parameters_is_a_fault(any_db_world, path):
    response = any_db_world.get(f"{C}/{path}", status="*")
    assert response.status_int in (400, 404)
    fault_of(response, response.status_int)


@pytest.mark.parametrize("param", ["minRam", "minDisk", "limit", "marker"])
@pytest.mark.parametrize("value", ["9" * 30, str(2 ** 63), "9" * 5000])
def test_huge_integers_in_queries_are_400(any_db_world, param, value):
    response = any_db_world.get(f"{C}/flavors/detail?{param}={value}", status="*")
    assert param in fault_of(response, 400)


@pytest.mark.parametrize("path", ["servers/{}", "servers/{}/metadata", "servers/{}/ips",
                                  "flavors/{}", "images/{}"])
def test_5000_digit_ids_are_404(world, path):
    response = world.get(f"{C}/{path.format('9' * 5000)}", status="*")
    assert "could not be found" in fault_of(response, 404)


def test_huge_counts_and_boot_index_in_create_are_400(world):
    base = {"name": "x", "imageRef": world.image, "flavorRef": "1", "networks": "none"}
    for extra in ({"min_count": 10 ** 30}, {"max_count": 10 ** 30},
                  {"block_device_mapping_v2": [{"boot_index": 10 ** 30}]}):
        response = world.post(f"{C}/servers", {"server": {**base, **extra}}, status="*")
        fault_of(response, 400)


def _fail_at_commit(core, error):
    @event.listens_for(core.session_factory, "before_commit")
    def fail(session):
        if session.new or session.dirty or session.deleted:
            raise error
    return fail


def test_a_data_error_at_commit_is_a_400_fault_not_plain_text(world):
    server_id = world.create()
    data_error = sa.exc.DataError("UPDATE servers", {}, ValueError("value too long"))
    _fail_at_commit(world.core, data_error)
    response = world.put(f"{C}/servers/{server_id}", {"server": {"name": "new"}}, status="*")
    assert "invalid for the database" in fault_of(response, 400)


def test_an_unexpected_error_at_commit_is_a_500_fault_body(world):
    server_id = world.create()
    _fail_at_commit(world.core, RuntimeError("disk on fire"))
    response = world.put(f"{C}/servers/{server_id}", {"server": {"name": "new"}}, status="*")
    assert "Unexpected API Error" in fault_of(response, 500)
    assert "fire" not in response.text
