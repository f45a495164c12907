"""Phase-1 E2E: first run, adding and testing a keypair profile, a wrong secret, and that the
secret never shows up in the page, the config dir or the log. The tests share one app session
and run in file order (each builds on the state the previous one left)."""

import os
import pathlib
import time


def read_all(root: pathlib.Path) -> str:
    return "\n".join(
        p.read_text(errors="replace") for p in sorted(root.rglob("*")) if p.is_file()
    )


def test_a_first_run_shows_the_empty_state(app):
    app.find("[data-testid=profiles-empty]", text="No profiles yet")
    assert app.find("[data-testid=profile-count]").text == "0"
    assert app.find("[data-testid=try-demo]").is_enabled()
    app.find("[data-testid=version]")
    # The launcher's own page runs with a frozen Object.prototype (ui/public/freeze-prototype.js).
    assert app.driver.execute_script("return Object.isFrozen(Object.prototype)")
    app.shot("empty-state")


def add_keypair_profile(app, name: str, endpoint: str, access_key: str, secret: str):
    if app.absent("[data-testid=add-profile]"):
        app.click("[data-testid=add-first-profile]")
    else:
        app.click("[data-testid=add-profile]")
    app.find("[data-testid=profile-form]")
    app.type("[data-testid=field-name]", name)
    app.type("[data-testid=field-endpoint]", endpoint)
    app.click("[data-testid=detect]")
    app.find("[data-testid=detected]", text="Manager API")
    app.type("[data-testid=field-access-key]", access_key)
    app.type("[data-testid=field-secret]", secret)
    assert app.find("[data-testid=field-secret]").get_attribute("type") == "password"


def test_b_add_a_keypair_profile_and_test_the_connection(app, testkit):
    add_keypair_profile(
        app, "Lab", testkit["manager_url"], testkit["access_key"], testkit["secret_key"]
    )
    app.shot("add-profile-form")
    app.click("[data-testid=save-profile]")
    app.find("[data-testid=profile-item][data-name=Lab]")
    app.find("[data-testid=detail-name]", text="Lab")
    # A fixed mask: no character of the secret, not even its head and tail.
    masked = app.find("[data-testid=detail-secret]").text.strip()
    assert masked == "********", masked

    app.click("[data-testid=test-connection]")
    app.find("[data-testid=test-result]")
    assert app.find("[data-testid=server-version]").text == "26.9.6"
    assert app.find("[data-testid=user-email]").text == testkit["email"]
    app.shot("profile-tested")


def test_c_a_wrong_secret_shows_the_401_message(app, testkit):
    add_keypair_profile(
        app, "Wrong key", testkit["manager_url"], testkit["access_key"], "not-the-right-secret-0000"
    )
    app.click("[data-testid=save-profile]")
    app.find("[data-testid=detail-name]", text="Wrong key")
    app.click("[data-testid=test-connection]")
    app.find("[data-testid=error-code]", text="auth-failed")
    assert "authentication failed" in app.find("[data-testid=error-message]").text
    assert "401" in app.find("[data-testid=error-hint]").text
    assert app.absent("[data-testid=test-result]")
    app.shot("wrong-secret")


def test_c2_a_two_factor_account_is_asked_for_its_code(app, testkit):
    """A webserver account with two-factor sign-in: a wrong password adds nothing; the right
    one makes the form ask for the one-time code, and the code completes the sign-in."""
    user = testkit["two_factor"]
    app.click("[data-testid=add-profile]")
    app.find("[data-testid=profile-form]")
    app.type("[data-testid=field-name]", "Two-factor")
    app.type("[data-testid=field-endpoint]", testkit["webserver_url"])
    app.click("[data-testid=detect]")
    app.find("[data-testid=detected]", text="Web UI server")
    app.type("[data-testid=field-email]", user["email"])
    app.type("[data-testid=field-secret]", "not-the-password")
    assert app.absent("[data-testid=field-otp]")
    app.click("[data-testid=save-profile]")
    app.find("[data-testid=error-code]", text="auth-failed")
    assert "email or password" in app.find("[data-testid=error-message]").text
    assert app.absent("[data-testid=profile-item][data-name='Two-factor']")
    app.shot("two-factor-wrong-password")

    app.type("[data-testid=field-secret]", user["password"])
    app.click("[data-testid=save-profile]")
    app.find("[data-testid=error-code]", text="otp-required")
    app.find("[data-testid=field-otp]")
    assert app.absent("[data-testid=profile-item][data-name='Two-factor']")
    app.shot("two-factor-code-asked")
    app.type("[data-testid=field-otp]", user["otp"])
    app.click("[data-testid=save-profile]")
    app.find("[data-testid=detail-name]", text="Two-factor")
    assert user["password"] not in app.page_text()

    app.click("[data-testid=remove-profile]")
    app.click("[data-testid=confirm-remove]")
    deadline = time.monotonic() + 10
    while not app.absent("[data-testid=profile-item][data-name='Two-factor']"):
        assert time.monotonic() < deadline, "Two-factor is still listed"
        time.sleep(0.1)


def test_d_settings_are_saved(app):
    app.click("[data-testid=open-settings]")
    app.find("[data-testid=settings-panel]")
    app.type("[data-testid=qs-image]", "cr.backend.ai/stable/python:3.9-ubuntu20.04")
    app.click("[data-testid=close-keep-running]")
    app.click("[data-testid=save-settings]")
    app.find("[data-testid=settings-saved]")
    app.shot("settings")
    text = (pathlib.Path(os.environ["BAI_CONFIG_DIR"]) / "settings.toml").read_text()
    assert 'notebook-close = "keep-running"' in text
    assert "start-at-login = false" in text


def test_e_the_secret_never_leaves_the_keyring(app, testkit):
    secret = testkit["secret_key"]
    assert secret not in app.page_text(), "the secret is in the DOM"

    config = read_all(pathlib.Path(os.environ["BAI_CONFIG_DIR"]))
    assert testkit["access_key"] in config, "the profiles were written"
    assert secret not in config, "the secret is in the config dir"

    log_dir = pathlib.Path(os.environ["E2E_LOG_DIR"])
    # The log writer is asynchronous: wait for the lines of the steps above.
    deadline = time.monotonic() + 10
    log = ""
    while time.monotonic() < deadline:
        log = read_all(log_dir) if log_dir.exists() else ""
        if "connection tested" in log:
            break
        time.sleep(0.2)
    assert "profile added" in log, f"no log lines in {log_dir}: {log[:500]!r}"
    assert secret not in log, "the secret is in the log"


def test_f_remove_everything_then_try_the_demo(app):
    for name in ("Wrong key", "Lab"):
        app.click(f"[data-testid=profile-item][data-name='{name}']")
        app.find("[data-testid=detail-name]", text=name)
        app.click("[data-testid=remove-profile]")
        app.click("[data-testid=confirm-remove]")
        deadline = time.monotonic() + 10
        while not app.absent(f"[data-testid=profile-item][data-name='{name}']"):
            assert time.monotonic() < deadline, f"{name} is still listed"
            time.sleep(0.1)
    app.find("[data-testid=profiles-empty]")

    app.click("[data-testid=try-demo]")
    app.find("[data-testid=detail-name]", text="Demo", timeout=40)
    app.click("[data-testid=test-connection]")
    app.find("[data-testid=user-email]", text="@")
    app.shot("demo-tested")
