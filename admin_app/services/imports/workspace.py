"""An import's folder on disk, outside static: the uploaded file, the preview's plan (one JSON
line per row), its state (what was detected, the mapping, progress) and the final report.

Nothing about a file that was only previewed reaches the database: the preview is a dry run.
"""
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

TOKEN = re.compile(r"^[0-9a-f]{32}$")
# Previews nobody confirmed are removed after this long.
ABANDONED_AFTER_SECONDS = 2 * 86400


@dataclass
class Workspace:
    token: str
    root: Path

    @property
    def upload_path(self) -> Path:
        return self.root / "upload"

    @property
    def plan_path(self) -> Path:
        return self.root / "plan.jsonl"

    @property
    def report_path(self) -> Path:
        return self.root / "report.csv"

    @property
    def state_path(self) -> Path:
        return self.root / "state.json"

    def read_state(self) -> dict:
        try:
            return json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def write_state(self, **updates) -> dict:
        """Merge `updates` into the state, written atomically (a reader never sees half)."""
        state = {**self.read_state(), **updates}
        temporary = self.root / f"state.{secrets.token_hex(4)}.tmp"
        temporary.write_text(json.dumps(state), encoding="utf-8")
        os.replace(temporary, self.state_path)
        return state

    def plan_lines(self, fate: str | None = None, offset: int = 0,
                   limit: int | None = None) -> Iterator[dict]:
        """Planned rows in file order, of one fate if given; lines outside the page are not
        parsed, so paging through 50,000 rows stays cheap."""
        prefix = f'{{"f": "{fate}"' if fate else None
        seen = 0
        with open(self.plan_path, encoding="utf-8") as handle:
            for line in handle:
                if prefix and not line.startswith(prefix):
                    continue
                if seen >= offset and (limit is None or seen < offset + limit):
                    yield json.loads(line)
                seen += 1
                if limit is not None and seen >= offset + limit:
                    return


def imports_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "imports"


def new_workspace() -> Workspace:
    """An empty folder for a new upload, named by a random token."""
    token = secrets.token_hex(16)
    root = imports_root() / token
    root.mkdir(parents=True, mode=0o700)
    return Workspace(token, root)


def open_workspace(token: str | None) -> Workspace | None:
    """The workspace of a token from a URL, or None for anything that is not one."""
    if not token or not TOKEN.match(token):
        return None
    root = imports_root() / token
    return Workspace(token, root) if root.is_dir() else None


def discard(workspace: Workspace) -> None:
    shutil.rmtree(workspace.root, ignore_errors=True)


def remove_abandoned(keep: set[str]) -> None:
    """Remove old previews that were never imported (`keep`: tokens of recorded imports)."""
    root = imports_root()
    if not root.is_dir():
        return
    limit = time.time() - ABANDONED_AFTER_SECONDS
    for folder in root.iterdir():
        if folder.name in keep or not TOKEN.match(folder.name):
            continue
        try:
            if folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue
