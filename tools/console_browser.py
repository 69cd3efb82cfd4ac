"""Drives the web console in headless Chromium (selenium + Debian's
chromedriver) as a person would; run by tools/check-console.sh.

Environment: TP_URL (the server), TP_KEY (an owner's API key of the demo
org), TP_ADMIN (the server's operator token, to give the demo org a
member), TP_SHOTS (where the 1280 px screenshots go; none when empty).
The server must allow outbound calls to 127.0.0.1, where this script
receives the webhook deliveries it asks for. Exits non-zero with a message
on the first expectation that fails.
"""

import http.server
import json
import os
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

BASE = os.environ["TP_URL"]
KEY = os.environ["TP_KEY"]
ADMIN = os.environ["TP_ADMIN"]
SHOTS = os.environ.get("TP_SHOTS", "")
seen_urls = []
received = []


class Receiver(http.server.BaseHTTPRequestHandler):
    """A webhook receiver on loopback: keeps each event's type, answers 204."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        received.append(json.loads(body).get("type"))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def fail(message):
    print(f"console check: {message}", file=sys.stderr)
    sys.exit(1)


def expect(condition, message):
    if not condition:
        fail(message)


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
        "--window-size=1280,900",
        # No network but the server: every other host resolves nowhere.
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        f"--user-data-dir={tempfile.mkdtemp()}",
    ]:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))


def collect_requests(driver):
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            seen_urls.append(message["params"]["request"]["url"])


def wait(driver, predicate, what, timeout=15):
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: predicate(d))
    except Exception:  # noqa: BLE001 - any failure to see it is the failure
        fail(f"timed out waiting for {what} on {driver.current_url}")


def heading(driver):
    """The page's h1, or "" while a page is being replaced."""
    try:
        return driver.find_element(By.TAG_NAME, "h1").text
    except Exception:  # noqa: BLE001 - a stale or missing heading is no heading yet
        return ""


def status_text(driver):
    try:
        return driver.find_element(By.CSS_SELECTOR, "p[role=status] .status").text
    except Exception:  # noqa: BLE001 - htmx may be swapping the element
        return ""


def field(driver, label_text):
    """The control a visible label names."""
    for label in driver.find_elements(By.TAG_NAME, "label"):
        if label.text.strip() == label_text:
            return driver.find_element(By.ID, label.get_attribute("for"))
    fail(f"no control labelled {label_text!r}")


def labelled(driver, label_text):
    """The control a label names, also a visually hidden label."""
    for label in driver.find_elements(By.TAG_NAME, "label"):
        if label.get_attribute("textContent").strip() == label_text:
            return driver.find_element(By.ID, label.get_attribute("for"))
    fail(f"no control labelled {label_text!r}")


def button(driver, name):
    for b in driver.find_elements(By.TAG_NAME, "button"):
        if b.text.strip() == name:
            return b
    fail(f"no button {name!r}")


def shot(driver, name):
    if not SHOTS:
        return
    driver.set_window_size(1280, 900)
    path = os.path.join(SHOTS, f"{name}.png")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, max(900, min(height + 40, 2400)))
    driver.save_screenshot(path)
    driver.set_window_size(1280, 900)


def no_horizontal_scroll(driver, what):
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 375, "height": 800, "deviceScaleFactor": 1, "mobile": True})
    try:
        wide = driver.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]")
        expect(wide[0] <= wide[1], f"{what} scrolls sideways at 375 px: {wide}")
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def raw_post(path, body, cookie, origin):
    request = urllib.request.Request(
        BASE + path, data=urllib.parse.urlencode(body).encode(), method="POST",
        headers={"Cookie": cookie, "Origin": origin,
                 "Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def raw_get(path, cookie):
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(BASE + path, headers={"Cookie": cookie})) as r:
            return r.status, r.headers.get("Location")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location")


def api(method, path, body, token):
    """A JSON call to the server's API (operator or tenant)."""
    request = urllib.request.Request(
        BASE + path, data=json.dumps(body).encode(), method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"null")


def member_key():
    """A fresh user with the member role in the demo org, and its API key."""
    org = me_org()
    user = api("POST", "/admin/v1/users", {"email": f"member{time.time_ns()}@example.com"}, ADMIN)
    api("PUT", f"/admin/v1/orgs/{org}/members/{user['id']}", {"role": "member"}, ADMIN)
    return api("POST", "/admin/v1/api-keys", {"user_id": user["id"], "org_id": org}, ADMIN)["key"]


def me_org():
    request = urllib.request.Request(BASE + "/v1/me", headers={"Authorization": f"Bearer {KEY}"})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())["org_id"]


def main():
    started = time.monotonic()
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    driver = browser()
    try:
        run(driver, receiver.server_address[1])
    finally:
        driver.quit()
        receiver.shutdown()
    print(f"console check passed in {time.monotonic() - started:.1f} s")


def sign_in(driver, key):
    driver.get(BASE + "/console/sign-in")
    wait(driver, lambda d: heading(d) == "Sign in", "the sign-in page")
    field(driver, "API key").send_keys(key)
    button(driver, "Sign in").click()
    wait(driver, lambda d: heading(d) == "Numbers", "the Numbers page after signing in")


def go(driver, link, title):
    driver.find_element(By.LINK_TEXT, link).click()
    wait(driver, lambda d: heading(d) == title, f"the {title} page")


def row_named(driver, text):
    """The table row containing `text`, or None."""
    for row in driver.find_elements(By.CSS_SELECTOR, "tbody tr"):
        if text in row.text:
            return row
    return None


def agents(driver):
    """Create, rename and delete an agent."""
    go(driver, "Agents", "Agents")
    field(driver, "Agent name").send_keys("Night shift")
    button(driver, "Create agent").click()
    wait(driver, lambda d: row_named(d, "Night shift") or
         any(i.get_attribute("value") == "Night shift"
             for i in d.find_elements(By.CSS_SELECTOR, "tbody input[name=name]")),
         "the new agent in the list")
    box = labelled(driver, "New name for Night shift")
    box.clear()
    box.send_keys("Night desk")
    box.find_element(By.XPATH, "./following-sibling::button").click()
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR,
                                           "button[aria-label='Delete Night desk']"),
         "the renamed agent")
    driver.find_element(By.CSS_SELECTOR, "button[aria-label='Delete Night desk']").click()
    wait(driver, lambda d: not d.find_elements(By.CSS_SELECTOR,
                                               "button[aria-label='Delete Night desk']"),
         "the agent to be deleted")


def connections(driver):
    """Create a SIP connection and import numbers into it, one bad line named."""
    go(driver, "VoIP connections", "VoIP connections")
    field(driver, "Name").send_keys("Office PBX")
    Select(field(driver, "Provider")).select_by_visible_text("sip")
    field(driver, "Termination URI").send_keys("sip:pbx.example.com")
    field(driver, "SIP username").send_keys("office")
    field(driver, "SIP password").send_keys("pbx-secret-1")
    button(driver, "Create connection").click()
    wait(driver, lambda d: "Connection Office PBX created." in d.page_source, "the new connection")
    expect("pbx-secret-1" not in driver.page_source, "a credential was shown back")
    box = field(driver, "Numbers, one per line")
    box.send_keys("+13122340142\nnot a number")
    button(driver, "Import numbers").click()
    wait(driver, lambda d: "Line 2 (not a number)" in d.page_source, "the bad line named")
    box = field(driver, "Numbers, one per line")
    box.clear()
    box.send_keys("+13122340142\n+13122340143")
    button(driver, "Import numbers").click()
    wait(driver, lambda d: "Imported 2 numbers" in d.page_source, "the numbers imported")


def webhooks(driver, port):
    """An endpoint on the loopback receiver; a test event turns succeeded
    on the endpoint's page without a reload."""
    go(driver, "Webhooks", "Webhooks")
    url = f"http://127.0.0.1:{port}/hook"
    field(driver, "Endpoint URL").send_keys(url)
    button(driver, "Create endpoint").click()
    wait(driver, lambda d: d.find_elements(By.ID, "new-secret"), "the endpoint's secret")
    driver.find_element(By.LINK_TEXT, url).click()
    wait(driver, lambda d: heading(d).startswith("Webhook endpoint"), "the endpoint's page")
    button(driver, "Send test event").click()
    wait(driver, lambda d: "Test event sent" in d.page_source, "the test event to be sent")
    driver.execute_script("window.consoleMarker = 'same page'")
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".delivery-succeeded"),
         "the test delivery to turn succeeded", 30)
    expect(driver.execute_script("return window.consoleMarker") == "same page",
           "the page reloaded while waiting for the delivery")
    expect("webhook.test" in received, f"the receiver got {received}")
    driver.get(driver.current_url.split("/test")[0])
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".delivery-succeeded"),
         "the endpoint's page")
    no_horizontal_scroll(driver, "the endpoint's page")
    shot(driver, "endpoint")
    return driver.current_url


def member(driver, endpoint_url):
    """A member sees no controls that need an admin, and a forged POST is
    refused with the application's answer."""
    driver.delete_all_cookies()
    sign_in(driver, member_key())
    expect("member in org" in driver.page_source, "not signed in as a member")
    driver.get(endpoint_url)
    wait(driver, lambda d: heading(d).startswith("Webhook endpoint"), "the endpoint's page")
    for absent in ["Send test event", "Save endpoint", "Retry"]:
        expect(not [b for b in driver.find_elements(By.TAG_NAME, "button") if b.text == absent],
               f"a member sees {absent!r}")
    expect(driver.find_elements(By.CSS_SELECTOR, ".delivery-succeeded"),
           "a member does not see the deliveries")
    cookie = "tp_session=" + driver.get_cookie("tp_session")["value"]
    token = driver.find_element(By.NAME, "csrf").get_attribute("value")
    path = endpoint_url.replace(BASE, "") + "/test"
    status = raw_post(path, {"csrf": token}, cookie, BASE)
    expect(status == 403, f"a member's test event answered {status}, not 403")
    go(driver, "Webhooks", "Webhooks")
    expect(not [b for b in driver.find_elements(By.TAG_NAME, "button")
                if b.text == "Create endpoint"], "a member sees 'Create endpoint'")
    go(driver, "VoIP connections", "VoIP connections")
    expect(not [b for b in driver.find_elements(By.TAG_NAME, "button")
                if b.text in ("Create connection", "Delete")],
           "a member sees the connection controls")
    status = raw_post("/console/voip-connections", {
        "csrf": token, "name": "Forged", "provider": "sip",
        "termination_uri": "sip:x.example.com", "username": "u", "password": "p"}, cookie, BASE)
    expect(status == 403, f"a member's forged connection answered {status}, not 403")
    collect_requests(driver)


def run(driver, port):
    # Sign in with the keyboard only.
    driver.get(BASE + "/console")
    wait(driver, lambda d: heading(d) == "Sign in", "the sign-in page")
    no_horizontal_scroll(driver, "the sign-in page")
    shot(driver, "sign-in")
    active = driver.switch_to.active_element
    expect(active.get_attribute("id") == "api_key", "the API key field has no focus")
    expect(field(driver, "API key") == active, "the focused field is not labelled 'API key'")
    active.send_keys(KEY)
    active.send_keys(Keys.TAB)
    expect(driver.switch_to.active_element.text == "Sign in", "Tab does not reach 'Sign in'")
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    wait(driver, lambda d: heading(d) == "Numbers", "the Numbers page after signing in")
    for name in ["Numbers", "Agents", "VoIP connections", "Webhooks", "Events"]:
        expect(driver.find_elements(By.LINK_TEXT, name), f"no navigation link {name!r}")

    # Provision; the status turns active without a reload.
    field(driver, "Area code").send_keys("415")
    button(driver, "Provision number").click()
    notice = wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "p[role=status]"),
                  "the provisioned number")[0]
    expect("matched on area_code" in notice.text, f"no matched_on in {notice.text!r}")
    number = notice.find_element(By.TAG_NAME, "a").text
    expect(number.startswith("+1415"), f"unexpected number {number}")
    driver.execute_script("window.consoleMarker = 'same page'")
    wait(driver, lambda d: "active" == status_text(d), "the status to turn active", 30)
    expect(driver.execute_script("return window.consoleMarker") == "same page",
           "the page reloaded while waiting for the status")
    driver.get(BASE + "/console/numbers")
    no_horizontal_scroll(driver, "the Numbers page")
    shot(driver, "numbers")

    # Assign an agent by name, then read the history.
    driver.find_element(By.LINK_TEXT, number).click()
    wait(driver, lambda d: heading(d) == number, "the number's page")
    Select(field(driver, "Inbound agent")).select_by_visible_text("Front desk")
    button(driver, "Save agents").click()
    wait(driver, lambda d: "Agents saved." in d.page_source, "the agents to be saved")
    history = driver.find_element(By.CSS_SELECTOR, "section[aria-labelledby=history-heading]")
    expect("assigned" in history.text and "Front desk" in history.text,
           f"the history does not show the assignment: {history.text!r}")
    no_horizontal_scroll(driver, "the number's page")
    shot(driver, "number")

    # Release it and see its status.
    button(driver, "Release").click()
    wait(driver, lambda d: "Number released." in d.page_source, "the number to be released")
    expect("released" in driver.find_element(By.CSS_SELECTOR, ".fields-list .status").text,
           "the number's status does not say released")
    expect([b for b in driver.find_elements(By.TAG_NAME, "button") if b.text == "Reactivate"],
           "no way to reactivate the released number")

    agents(driver)
    connections(driver)
    endpoint_url = webhooks(driver, port)

    for link, name, title in [("Agents", "agents", "Agents"), ("Events", "events", "Events"),
                              ("VoIP connections", "voip-connections", "VoIP connections"),
                              ("Webhooks", "webhooks", "Webhooks")]:
        driver.find_element(By.LINK_TEXT, link).click()
        wait(driver, lambda d: heading(d) == title, f"the {title} page")
        no_horizontal_scroll(driver, f"the {title} page")
        shot(driver, name)

    # A POST from another site is refused, with a live cookie and token.
    cookie = "tp_session=" + driver.get_cookie("tp_session")["value"]
    token = driver.find_element(By.NAME, "csrf").get_attribute("value")
    status = raw_post("/console/numbers", {"csrf": token, "area_code": "415"}, cookie,
                      "https://evil.example")
    expect(status == 403, f"a cross-site POST answered {status}, not 403")
    collect_requests(driver)

    # A form on another origin posting to the console is refused too.
    driver.get("data:text/html,<form method=post action='" + BASE +
               "/console/numbers'><input name=area_code value=415></form>"
               "<script>document.forms[0].submit()</script>")
    wait(driver, lambda d: d.current_url.startswith(BASE), "the cross-site form to post")
    expect("Provisioned" not in driver.page_source and "matched on" not in driver.page_source,
           "a cross-site form provisioned a number")

    # Sign out; the old cookie is dead on the server.
    driver.get(BASE + "/console/numbers")
    button(driver, "Sign out").click()
    wait(driver, lambda d: heading(d) == "Sign in", "the sign-in page after signing out")
    status, location = raw_get("/console/numbers", cookie)
    expect(status == 303 and location == "/console/sign-in",
           f"the signed-out cookie still opens pages ({status} {location})")
    collect_requests(driver)

    member(driver, endpoint_url)

    # The browser's own pages (chrome://, data:) are not network requests.
    network = [u for u in seen_urls if u.split(":", 1)[0] in ("http", "https", "ws", "wss")]
    foreign = [u for u in network if not u.startswith(BASE + "/")]
    expect(any("/console/assets/htmx" in u for u in network), "no requests were recorded")
    expect(not foreign, f"requests left the server's origin: {foreign}")


if __name__ == "__main__":
    main()
