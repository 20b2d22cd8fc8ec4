"""The web console end to end, as a user sees it: ``openstack console url show`` gives a URL;
headless Chromium opens it; noVNC, served by the API, reaches a real Xtigervnc through the real
snf-vncauthproxy over WebSocket and shows the server's picture. The URL works once.

Needs Debian's chromium, chromium-driver and novnc (scripts/install-test-deps.sh); without them
the test skips, and fails under ``CI=true``.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from synnefo.testing import vncserver
from synnefo.testing.databases import in_ci
from synnefo.testing.vnc_fixtures import SCREEN, require_vnc_server, socket_dir  # noqa: F401
from synnefo.testing.vncauthproxy import ThreadedProxy, loopback_config

CHROMIUM, CHROMEDRIVER, NOVNC = "/usr/bin/chromium", "/usr/bin/chromedriver", "/usr/share/novnc"
OPENSTACK = os.path.join(os.path.dirname(sys.executable), "openstack")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--window-size=1024,768")
CLOUDS_YAML = """\
clouds:
  synnefo:
    auth: {{auth_url: "{url}/identity/v3", username: demo, password: demo-secret,
            project_name: demo, user_domain_name: Default, project_domain_name: Default}}
    region_name: RegionOne
"""


def require_browser() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER, f"{NOVNC}/core/rfb.js") if not os.path.exists(p)]
    if missing:
        message = f"missing {', '.join(missing)}: run scripts/install-test-deps.sh"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def pictured_server():
    """Xtigervnc showing a known picture; yields (server, picture)."""
    require_vnc_server()
    server = vncserver.start(*SCREEN)
    try:
        yield server, vncserver.show_test_pattern(server)
    finally:
        server.stop()


@pytest.fixture
def console_cloud(make_live_server, socket_dir, pictured_server):  # noqa: F811
    """The API (vncauthproxy plugin, web console) and a proxy with a WebSocket endpoint."""
    server, _ = pictured_server
    control, ws_port = f"{socket_dir}/control.sock", vncserver.free_port()
    api = make_live_server(**{
        "synnefo.console_proxy": "vncauthproxy",
        "synnefo.vncauthproxy.control_socket": control,
        "synnefo.vncauthproxy.public_host": "127.0.0.1",
        "synnefo.vncauthproxy.websocket_url": f"ws://127.0.0.1:{ws_port}",
        "synnefo.web_console.novnc_dir": NOVNC,
        "synnefo.fake.console_host": server.host,
        "synnefo.fake.console_port": str(server.port),
    })
    proxy = ThreadedProxy(loopback_config(control_socket=control,
                                          websocket_address=f"127.0.0.1:{ws_port}",
                                          websocket_origins=api.url)).start()
    yield api
    proxy.stop()


def openstack(api, tmp_path, *args) -> dict:
    config = tmp_path / "clouds.yaml"
    config.write_text(CLOUDS_YAML.format(url=api.url))
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(OS_CLIENT_CONFIG_FILE=str(config), OS_CLOUD="synnefo")
    done = subprocess.run([OPENSTACK, *args, "-f", "json"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, f"openstack {' '.join(args)} failed:\n{done.stderr}"
    return json.loads(done.stdout)


@pytest.fixture
def browser(tmp_path):
    require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium'}")
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    yield driver
    driver.quit()
    shutil.rmtree(tmp_path / "chromium", ignore_errors=True)


def page_state(driver, state: str, seconds: float = 30) -> str:
    """Wait for the console page to reach ``state``; returns its status line."""
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(driver, seconds).until(
        lambda d: d.find_element("tag name", "body").get_attribute("data-state") == state,
        message=f"the page never reached {state!r}")
    return driver.find_element("id", "status").text


def canvas_image(driver):
    """What the noVNC canvas shows, from a screenshot of the element."""
    import io

    from PIL import Image
    canvas = driver.find_element("css selector", "#screen canvas")
    return Image.open(io.BytesIO(canvas.screenshot_as_png)).convert("RGB")


def differing_pixels(image, expected) -> int:
    from PIL import ImageChops
    if image.size != expected.size:
        return image.size[0] * image.size[1]
    diff = ImageChops.difference(image, expected).convert("L").point(lambda v: 255 * (v > 24))
    return sum(diff.histogram()[255:])


def shows(driver, expected, seconds: float = 30) -> bool:
    """True once the canvas shows ``expected`` (all but 1% of the pixels, for the cursor)."""
    from selenium.webdriver.support.ui import WebDriverWait
    limit = expected.size[0] * expected.size[1] // 100
    WebDriverWait(driver, seconds).until(
        lambda d: differing_pixels(canvas_image(d), expected) <= limit,
        message="the canvas never showed the server's picture")
    return True


def test_console_url_opens_the_vm_screen_in_a_browser_once(console_cloud, pictured_server,
                                                           browser, tmp_path):
    _, picture = pictured_server
    openstack(console_cloud, tmp_path, "server", "create", "--image", "cirros", "--flavor",
              "m1.tiny", "--nic", "none", "--wait", "web-vm")
    console = openstack(console_cloud, tmp_path, "console", "url", "show", "web-vm")
    assert console["type"] == "novnc" and console["url"].startswith(f"{console_cloud.url}/console/")

    browser.get(console["url"])
    assert page_state(browser, "connected") == "Connected"
    assert shows(browser, picture)
    screenshot = tmp_path / "web-console.png"
    browser.save_screenshot(str(screenshot))
    print(f"web console screenshot: {screenshot}")

    browser.get("about:blank")  # leave the page, then load the very same URL again
    browser.get(console["url"])
    status = page_state(browser, "failed")
    assert "already used or has expired" in status
    browser.save_screenshot(str(tmp_path / "web-console-reused.png"))
