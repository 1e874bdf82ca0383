"""Screenshots of TensorBoard showing a keras_gan run, for the README (a maintainer's tool).

Train with TensorBoard logs, then shoot them (from the repository's root):

    keras-gan train --model dcgan --iterations 3000 --sample-interval 500 --eval-interval 500 \\
        --seed 0 --data-dir ../shared/data/mnist --output-dir runs/dcgan --tensorboard logs/dcgan
    python scripts/tensorboard_screenshot.py logs

It starts `tensorboard --logdir LOGDIR` (the TensorBoard installed beside this Python), opens its
Time Series dashboard in headless Chromium and saves two PNGs in images/readme/ (see --out-dir):
tensorboard.png, the training curves (D's and G's losses, D(x), D(G(z)), D's accuracy) beside the
last sample grid, and tensorboard_images.png, the sample quality (Frechet distance, MNIST score,
digits covered; from `--eval-interval`) beside the same grid. It waits until every card has its
data and the page has stopped changing, then stops TensorBoard and Chromium, whatever happened.

Needs Chromium (Debian: `apt-get install chromium`; else pass --chromium PATH) and nothing else
beyond the project's own dependencies: the browser is driven over the DevTools protocol on a pipe
(--remote-debugging-pipe), so no selenium, playwright or chromedriver.
"""

import argparse
import base64
import io
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from PIL import Image

# (file name, tags on it, smoothing, minimum card width in pixels: 3 cards a row, or 2).
# No smoothing for the few quality points: TensorBoard fits the y axis to the smoothed line,
# which lags them.
SHOTS = [
    (
        "tensorboard.png",
        [
            "losses/d_loss",
            "losses/g_loss",
            "discriminator/d_real",
            "discriminator/d_fake",
            "discriminator/d_accuracy",
            "samples",
        ],
        0.8,
        335,
    ),
    (
        "tensorboard_images.png",
        ["quality/frechet_distance", "quality/mnist_score", "quality/digits_covered", "samples"],
        0,
        520,
    ),
]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
]
# True once every card shows its data: scalar charts have axis ticks, images have loaded.
CARDS_READY = """(() => {
  const charts = [...document.querySelectorAll('scalar-card')];
  const images = [...document.querySelectorAll('image-card img')];
  return charts.length + images.length === %d
    && charts.every(card => card.querySelector('line-chart-axis text'))
    && images.every(img => img.complete && img.naturalWidth > 0)
    && !document.querySelector('mat-spinner, mat-progress-spinner');
})()"""


def stop(process):
    """Stop a process started in a session of its own, and everything it started."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


@contextmanager
def tensorboard(logdir, port, timeout):
    """Serve logdir; yield the URL and the tags per plugin once all the logs are loaded."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tensorboard.main",
            "--logdir",
            str(logdir),
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        url, deadline, last, newest = (
            f"http://127.0.0.1:{port}",
            time.monotonic() + timeout,
            -1,
            None,
        )
        while newest != last:  # until it serves tags and the newest step stops changing
            if process.poll() is not None:
                raise RuntimeError(f"tensorboard exited with code {process.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"tensorboard did not serve {logdir} within {timeout} s")
            time.sleep(1)
            try:
                tags = {
                    plugin: get_json(f"{url}/data/plugin/{plugin}/tags")
                    for plugin in ("scalars", "images")
                }
                run, names = next(iter(tags["scalars"].items()))
                query = urllib.parse.urlencode({"run": run, "tag": next(iter(names))})
                last, newest = newest, get_json(f"{url}/data/plugin/scalars/scalars?{query}")[-1][1]
            except (OSError, StopIteration, IndexError):
                pass  # not serving yet, or no run loaded yet
        yield url, tags
    finally:
        stop(process)


class Chromium:
    """Headless Chromium with one page, driven over the DevTools protocol on a pipe."""

    def __init__(self, executable, width, height, timeout):
        self.profile, self.timeout = tempfile.mkdtemp(prefix="chromium-"), timeout
        commands, self.commands = os.pipe()  # Chromium reads commands on fd 3 ...
        self.replies, replies = os.pipe()  # ... and writes replies on fd 4

        def pipes_to_3_and_4():
            first, second = os.dup(commands), os.dup(replies)  # above 4, so dup2 never clobbers
            os.dup2(first, 3)
            os.dup2(second, 4)

        self.process = subprocess.Popen(
            [executable, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            preexec_fn=pipes_to_3_and_4,
            close_fds=False,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(commands)
        os.close(replies)
        self.last_id, self.buffer, self.session = 0, b"", None
        try:
            target = self.send("Target.createTarget", url="about:blank")["targetId"]
            self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)[
                "sessionId"
            ]
            self.send("Page.enable")
            self.send(
                "Emulation.setDeviceMetricsOverride",
                width=width,
                height=height,
                deviceScaleFactor=1,
                mobile=False,
            )
        except BaseException:
            self.close()
            raise

    def send(self, method, **params):
        """Send one command (to the page once attached) and return its result."""
        self.last_id += 1
        message = {"id": self.last_id, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        try:
            os.write(self.commands, json.dumps(message).encode() + b"\0")
        except BrokenPipeError:
            raise RuntimeError(f"Chromium exited with code {self.process.wait()}") from None
        while True:  # messages end with a NUL; skip events and replies to others
            while b"\0" not in self.buffer:
                if not select.select([self.replies], [], [], self.timeout)[0]:
                    raise TimeoutError(f"Chromium did not answer {method}")
                chunk = os.read(self.replies, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the pipe")
                self.buffer += chunk
            raw, self.buffer = self.buffer.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self.last_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def evaluate(self, expression):
        return self.send("Runtime.evaluate", expression=expression, returnByValue=True)[
            "result"
        ].get("value")

    def screenshot(self):
        return base64.b64decode(self.send("Page.captureScreenshot", format="png")["data"])

    def close(self):
        stop(self.process)
        os.close(self.commands)
        os.close(self.replies)
        shutil.rmtree(self.profile, ignore_errors=True)


def shoot(browser, url, tags, smoothing, card_width, timeout):
    """Open the Time Series dashboard on the given tags; return a PNG once it has rendered."""
    settings = {
        "theme": "light",
        "timeSeriesSettingsPaneOpened": False,
        "stepSelectorEnabled": False,
        "ignoreOutliers": False,
        "sideBarWidthInPercent": 12,
        "timeSeriesCardMinWidth": card_width,
    }
    # TensorBoard reads its settings from localStorage; this shot's script runs after earlier ones.
    browser.send(
        "Page.addScriptToEvaluateOnNewDocument",
        source=f"localStorage.setItem('_tb_global_settings', {json.dumps(json.dumps(settings))})",
    )
    query = urllib.parse.urlencode({"tagFilter": f"^({'|'.join(tags)})$", "smoothing": smoothing})
    browser.send("Page.navigate", url=f"{url}/?{query}#timeseries")
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        time.sleep(1)
        if browser.evaluate(CARDS_READY % len(tags)):
            png = browser.screenshot()
            if png == last:  # unchanged for a second: the charts are drawn
                return png
            last = png
    raise TimeoutError(f"the cards {tags} did not render within {timeout} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("logdir", type=Path, help="TensorBoard log folder (each run a subfolder)")
    parser.add_argument(
        "--out-dir", type=Path, default=Path(__file__).resolve().parents[1] / "images" / "readme"
    )
    parser.add_argument(
        "--port", type=int, default=0, help="TensorBoard's port (default: a free one)"
    )
    parser.add_argument(
        "--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser")
    )
    parser.add_argument("--size", default="1400x900", help="viewport WIDTHxHEIGHT")
    parser.add_argument("--timeout", type=float, default=180, help="seconds to wait for each step")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))  # so the finally blocks run
    if not args.chromium:
        parser.error("no chromium on PATH: apt-get install chromium, or pass --chromium")
    width, height = map(int, args.size.split("x"))
    port = args.port
    if not port:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    args.out_dir.mkdir(parents=True, exist_ok=True)
    with tensorboard(args.logdir, port, args.timeout) as (url, served):
        present = {tag for runs in served.values() for run in runs.values() for tag in run}
        browser = Chromium(args.chromium, width, height, args.timeout)
        try:
            for name, tags, smoothing, card_width in SHOTS:
                tags = [tag for tag in tags if tag in present]
                png = shoot(browser, url, tags, smoothing, card_width, args.timeout)
                path = args.out_dir / name
                Image.open(io.BytesIO(png)).save(path, optimize=True)
                print(f"{path}: {', '.join(tags)} ({path.stat().st_size // 1024} kB)")
        finally:
            browser.close()


if __name__ == "__main__":
    main()
