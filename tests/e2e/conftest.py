"""Fixtures for the desktop E2E tests: a testkit server and one WebDriver session of the app.

Paths and addresses come from tests/e2e/run.sh (E2E_* variables). The app runs with the real
OS keyring of the private D-Bus session that run.sh sets up, and a throwaway BAI_CONFIG_DIR.
"""

import json
import os
import pathlib
import subprocess
import time

import pytest
from selenium import webdriver
from selenium.common.exceptions import JavascriptException, WebDriverException
from selenium.webdriver.common.options import ArgOptions


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.exit(f"{name} is not set: run the E2E tests through tests/e2e/run.sh", returncode=2)
    return value


@pytest.fixture(scope="session")
def testkit():
    """A bai-testkit server (no JupyterLab needed in phase 1); its ready line as a dict."""
    proc = subprocess.Popen(
        [env("E2E_TESTKIT"), "--jupyter", "off", "--two-factor-user"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line:
            pytest.fail(f"bai-testkit exited without its ready line (exit {proc.poll()})")
        yield json.loads(line)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


# Finds the first element matching a CSS selector anywhere, shadow roots included (every
# component of the UI renders into its own shadow root).
DEEP_FIND = """
const sel = arguments[0];
function find(root) {
  const hit = root.querySelector(sel);
  if (hit) return hit;
  for (const el of root.querySelectorAll('*')) {
    if (el.shadowRoot) { const f = find(el.shadowRoot); if (f) return f; }
  }
  return null;
}
return find(document);
"""

# Everything the page holds as text: the markup of every shadow root and every field's value.
DEEP_TEXT = """
const parts = [document.documentElement.outerHTML];
function walk(root) {
  for (const el of root.querySelectorAll('*')) {
    if ('value' in el && typeof el.value === 'string') parts.push(el.value);
    if (el.shadowRoot) { parts.push(el.shadowRoot.innerHTML); walk(el.shadowRoot); }
  }
}
walk(document);
return parts.join('\\n');
"""


class App:
    """The launcher window, with helpers that see through shadow roots."""

    def __init__(self, driver, out: pathlib.Path):
        self.driver = driver
        self.out = out
        self.shots: list[pathlib.Path] = []

    def find(self, selector: str, timeout: float = 15.0, text: str | None = None):
        """Wait until `selector` matches (and, if given, its text contains `text`)."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                el = self.driver.execute_script(DEEP_FIND, selector)
            except JavascriptException as e:
                last = e
                el = None
            if el is not None:
                if text is None:
                    return el
                last = el.text
                if text in last:
                    return el
            time.sleep(0.1)
        self.shot(f"timeout-{selector}")
        raise AssertionError(
            f"{selector!r} did not appear within {timeout}s"
            + (f" with text {text!r} (last text: {last!r})" if text else "")
        )

    def absent(self, selector: str) -> bool:
        return self.driver.execute_script(DEEP_FIND, selector) is None

    def click(self, selector: str):
        self.find(selector).click()

    def type(self, selector: str, value: str):
        el = self.find(selector)
        el.clear()
        el.send_keys(value)

    def page_text(self) -> str:
        return self.driver.execute_script(DEEP_TEXT)

    def shot(self, name: str) -> pathlib.Path:
        path = self.out / f"{len(self.shots) + 1:02d}-{name}.png"
        # Let WebKit paint what the last step changed before the capture.
        self.driver.execute_async_script(
            "const done = arguments[0];"
            "requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 50)));"
        )
        self.driver.save_screenshot(str(path))
        self.shots.append(path)
        return path


@pytest.fixture(scope="session")
def app():
    """One session of the app for all tests (WebKitGTK allows one automation session)."""
    options = ArgOptions()
    options.set_capability("browserName", "wry")
    options.set_capability("tauri:options", {"application": env("E2E_APP"), "args": []})
    deadline = time.monotonic() + 30
    while True:
        try:
            driver = webdriver.Remote(command_executor=env("E2E_WEBDRIVER"), options=options)
            break
        except WebDriverException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    out = pathlib.Path(env("E2E_OUT"))
    out.mkdir(parents=True, exist_ok=True)
    try:
        yield App(driver, out)
    finally:
        try:
            driver.quit()
        except WebDriverException:
            pass  # the last test may have quit the app itself
