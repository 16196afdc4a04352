"""axe-core in a Playwright page: the serious and critical accessibility violations of a page."""
from pathlib import Path

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page, impacts=("serious", "critical")) -> list[str]:
    """One line per violation: rule, impact, and the first offending elements."""
    assert AXE.exists(), "axe-core is missing: run scripts/test-prerequisites (npm ci)"
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    found = []
    for violation in results["violations"]:
        if violation["impact"] in impacts:
            targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
            found.append(f"{violation['id']} ({violation['impact']}, "
                         f"{len(violation['nodes'])}×): {targets}")
    return found
