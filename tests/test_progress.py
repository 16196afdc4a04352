"""Long commands show a progress bar on a terminal, and print nothing extra anywhere else."""
import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).parent / "flask")


def _read_all(fd: int) -> str:
    out = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    return out.decode("utf-8", "replace")


def test_seed_demo_prints_no_bar_when_not_on_a_terminal(app):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--companies", "20"])
    assert result.exit_code == 0
    assert "seed-demo:" not in result.output and "%|" not in result.output
    assert "documents:" not in result.output


def test_seed_demo_shows_a_progress_bar_on_a_terminal(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
           "INSTANCE_PATH": str(tmp_path)}
    subprocess.run([FLASK, "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    pid, fd = pty.fork()
    if pid == 0:  # the child: a terminal 100 columns wide, as a person's would be
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
        os.chdir(ROOT)
        os.execve(FLASK, [FLASK, "--app", "wsgi", "seed-demo", "--companies", "600"], env)
    output = _read_all(fd)
    os.waitpid(pid, 0)
    assert "seed-demo:" in output and "/600 [" in output
    assert "documents:" in output  # the freezing of issued documents has its own bar
    assert "600 companies" in output
